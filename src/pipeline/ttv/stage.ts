/**
 * TTV stage (queue 'inference'): the masses and orbits the mission's transit times imply,
 * by science/ttv (n-body forward model, ensemble MCMC or nested sampling), with the model
 * and sampler the mission's ephemeris row configures (transit_ephemerides.ttv, the
 * `openastro ttv --config` document).
 *
 * Input: the one-time-per-epoch table of the mission's 'oc' product (pipeline + archival).
 *
 * Checkpoints (ensemble sampler): the sampler state is saved every `checkpointEvery` steps
 * to object storage under `checkpoints/ttv/{missionId}/{fingerprint}.oaens`, the
 * fingerprint a hash of the model, the sampler settings and the times. When the job runs
 * again after its worker died (pg-boss retries it after its expiry), it finds that state
 * and continues from it; the resumed chain is bit-identical to an uninterrupted one, so
 * the product is too. The checkpoint is deleted once the product is committed. Nested
 * sampling is not checkpointed: a retried nested run starts over (same seed, same result).
 *
 * Product 'posterior': parameters (median and 68/95 % intervals, with units), at most
 * `maxSamples` equally spaced posterior draws (columns = parameters), the best fit,
 * log-evidence for nested sampling, and predicted transit times (median and bands) from
 * the first observed transit to `predictDays` after the last.
 */
import type { Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import type { EnsembleState } from '../../science/inference/ensemble.js';
import { decodeStateBinary, encodeStateBinary } from '../../science/inference/checkpoint.js';
import type { TransitTimeData } from '../../science/ttv/data.js';
import { TtvError } from '../../science/ttv/errors.js';
import { fitTtv, type TtvFitResult } from '../../science/ttv/fit.js';
import { buildTtvModel, type TtvModel } from '../../science/ttv/model.js';
import { predictTransitTimes } from '../../science/ttv/predict.js';
import { derivedSamples } from '../../science/ttv/summary.js';
import { PipelineError } from '../errors.js';
import { dropReplaced, getProduct, putJsonProduct, readJsonProduct, shortHash, upsertProduct } from '../lightcurve/products.js';
import { readObject } from '../objects.js';
import type { StageContext, StageHandler } from '../stages.js';
import type { OcDocument } from '../transit/stage.js';
import { getTransitEphemeris } from '../transit/ephemeris.js';
import { productSha } from '../lightcurve/stage.js';

export interface TtvStageOptions {
  /** Ensemble steps between checkpoints (default nSteps / 20). */
  checkpointEvery?: number;
  /** Posterior draws kept in the product (default 2000). */
  maxSamples?: number;
  /** Predict transits up to this many days after the last observed one (default 365). */
  predictDays?: number;
  /** Posterior draws integrated for the predictions (default 300). */
  predictDraws?: number;
  /** Worker threads for the likelihood (default: the config's sampler.threads, else 0). */
  threads?: number;
}

export interface PosteriorParameterDoc {
  name: string;
  unit: string;
  median: number;
  lo68: number;
  hi68: number;
  lo95: number;
  hi95: number;
}

export interface PredictedTransitDoc {
  planet: string;
  epoch: number;
  medianBjdTdb: number;
  lo68BjdTdb: number;
  hi68BjdTdb: number;
  lo95BjdTdb: number;
  hi95BjdTdb: number;
}

export interface PosteriorDocument {
  format: 'openastro-posterior';
  version: 1;
  missionId: string;
  sampler: 'ensemble' | 'nested';
  parameters: PosteriorParameterDoc[];
  /** Rows of parameter values, columns in `parameters` order. */
  samples: number[][];
  nSamplesTotal: number;
  bestFit: Record<string, number>;
  logEvidence?: number;
  logEvidenceErr?: number;
  predicted: PredictedTransitDoc[];
  /** Sampler diagnostics that do not depend on whether the run was resumed. */
  diagnostics: Omit<TtvFitResult['diagnostics'], 'likelihoodCalls'>;
  nTimes: number;
}

export interface TtvOutcome {
  missionId: string;
  status: 'fitted' | 'skipped';
  reason?: string;
  resumed?: boolean;
  parameters?: PosteriorParameterDoc[];
}

export function ttvStage(opts: TtvStageOptions = {}): StageHandler<'ttv'> {
  return async (input, ctx) => {
    await runTtv(input.missionId, ctx, opts);
  };
}

/** Unit of a parameter by its name (science/ttv naming: field_planet). */
export function parameterUnit(name: string): string {
  const field = name.split('_')[0];
  switch (field) {
    case 'massEarth':
      return 'M_earth';
    case 'periodDays':
    case 'jitterDays':
      return 'd';
    case 'conjunctionDays':
      return 'BJD_TDB';
    case 'incDeg':
    case 'nodeDeg':
    case 'omegaDeg':
      return 'deg';
    default:
      return '';
  }
}

export const ttvCheckpointKey = (missionId: string, fingerprint: string): string => `checkpoints/ttv/${missionId}/${fingerprint}.oaens`;

export async function runTtv(missionId: string, ctx: StageContext, opts: TtvStageOptions = {}): Promise<TtvOutcome> {
  const db = ctx.database.db;
  const eph = await getTransitEphemeris(db, missionId);
  if (!eph?.ttv) {
    const reason = eph ? 'the mission has no TTV model configured' : 'not a transit mission';
    await ctx.progress(1, reason);
    return { missionId, status: 'skipped', reason };
  }
  const ocProduct = await getProduct(db, missionId, 'oc');
  if (!ocProduct) {
    const reason = 'no transit times yet (no O−C product)';
    await ctx.progress(1, reason);
    return { missionId, status: 'skipped', reason };
  }
  const oc = await readJsonProduct<OcDocument>(ctx.storage, ocProduct);
  const data: TransitTimeData = {
    planet: oc.times.map((t) => t.planet),
    epoch: Int32Array.from(oc.times, (t) => t.epoch),
    timeDays: Float64Array.from(oc.times, (t) => t.bjdTdb),
    sigmaDays: Float64Array.from(oc.times, (t) => t.sigmaDays),
  };
  let model: TtvModel;
  try {
    model = buildTtvModel(eph.ttv.model, data);
  } catch (err) {
    if (!(err instanceof TtvError)) throw err;
    // A model that does not fit its data will not fit it on a retry either: record and stop.
    const reason = `the TTV model cannot be built: ${err.message}`;
    ctx.log(`mission ${missionId}: ${reason}`);
    await ctx.progress(1, reason);
    return { missionId, status: 'skipped', reason };
  }
  const sc = eph.ttv.sampler;
  const sampler = sc.kind ?? 'ensemble';
  const nSteps = sc.nSteps ?? 2000;
  const fingerprint = shortHash(JSON.stringify({ model: eph.ttv.model, sampler: sc, times: oc.times }));
  const key = ttvCheckpointKey(missionId, fingerprint);

  let resumeFrom: EnsembleState | undefined;
  if (sampler === 'ensemble' && (await ctx.storage.head(key))) {
    try {
      resumeFrom = decodeStateBinary(await readObject(ctx.storage, key));
      ctx.log(`resuming TTV sampling of mission ${missionId} at step ${resumeFrom.step}/${resumeFrom.nSteps}`);
    } catch (err) {
      // A damaged checkpoint costs a restart, not the job.
      ctx.log(`checkpoint ${key} unreadable (${(err as Error).message}); starting over`);
      resumeFrom = undefined;
    }
  }
  await ctx.progress(resumeFrom ? resumeFrom.step / nSteps : 0.01, resumeFrom ? `resuming at step ${resumeFrom.step}` : 'starting');
  let fit: TtvFitResult;
  try {
    fit = await fitTtv(model, {
      sampler,
      seed: sc.seed ?? 1,
      nWalkers: sc.nWalkers,
      nSteps,
      burnIn: sc.burnIn,
      thin: sc.thin,
      threads: opts.threads ?? sc.threads ?? 0,
      nLive: sc.nLive,
      dlogz: sc.dlogz,
      posteriorDraws: sc.posteriorDraws,
      ...(sampler === 'ensemble'
        ? {
            checkpoint: {
              every: Math.max(1, opts.checkpointEvery ?? Math.floor(nSteps / 20)),
              save: async (state: EnsembleState) => {
                await ctx.storage.put(key, encodeStateBinary(state), { contentType: 'application/octet-stream' });
              },
            },
            ...(resumeFrom ? { resumeFrom } : {}),
          }
        : {}),
      onProgress: (fraction, label) => void ctx.progress(0.9 * fraction, label).catch(() => {}),
    });
  } catch (err) {
    if (err instanceof TtvError && (err.code === 'NOT_CONVERGED' || err.code === 'BAD_CONFIG' || err.code === 'BAD_DATA')) {
      const reason = `TTV inference failed: ${err.message}`;
      ctx.log(`mission ${missionId}: ${reason}`);
      await ctx.progress(1, reason);
      return { missionId, status: 'skipped', reason };
    }
    throw err;
  }

  await ctx.progress(0.92, 'predicting transit times');
  const doc = posteriorDocument(missionId, model, fit, opts, oc.times.length);
  const staged = await putJsonProduct(ctx.storage, missionId, 'posterior', doc);
  const summary = {
    sampler: doc.sampler,
    parameters: doc.parameters.map((p) => ({ name: p.name, unit: p.unit, median: p.median, lo68: p.lo68, hi68: p.hi68 })),
    nTimes: doc.nTimes,
    ...(doc.logEvidence !== undefined ? { logEvidence: doc.logEvidence } : {}),
  };
  const now = ctx.clock.now();
  const out = await db.transaction().execute(async (trx: Transaction<Schema>) => {
    const live = await trx.selectFrom('missions').select('id').where('id', '=', missionId).forUpdate().executeTakeFirst();
    if (!live) return undefined;
    // New transit times since we read them: the TTV job they queued supersedes this one.
    if ((await productSha(trx, missionId, 'oc')) !== ocProduct.sha256) return undefined;
    return { old: await upsertProduct(trx, missionId, staged, summary, now) };
  });
  if (!out) {
    const current = await db.selectFrom('products').select('object_key').where('mission_id', '=', missionId).where('kind', '=', 'posterior').executeTakeFirst();
    if (current?.object_key !== staged.key) await dropReplaced(ctx.storage, staged.key);
    await ctx.storage.delete(key).catch(() => {});
    const reason = 'not stored: the mission or its transit times changed meanwhile';
    await ctx.progress(1, reason);
    return { missionId, status: 'skipped', reason };
  }
  await dropReplaced(ctx.storage, out.old);
  await ctx.storage.delete(key).catch(() => {});
  await ctx.progress(1, `posterior of ${doc.parameters.length} parameters from ${fit.nSamples} draws`);
  return { missionId, status: 'fitted', resumed: resumeFrom !== undefined, parameters: doc.parameters };
}

function posteriorDocument(missionId: string, model: TtvModel, fit: TtvFitResult, opts: TtvStageOptions, nTimes: number): PosteriorDocument {
  if (fit.summary.length === 0) throw new PipelineError('STAGE_FAILED', 'the TTV fit returned no parameters');
  const derived = derivedSamples(model, fit.samples);
  const names = [...fit.parameterNames, ...derived.names];
  const byName = new Map(fit.summary.map((s) => [s.name, s]));
  const parameters: PosteriorParameterDoc[] = names.map((name) => {
    const s = byName.get(name)!;
    return { name, unit: parameterUnit(name), median: s.median, lo68: s.lo68, hi68: s.hi68, lo95: s.lo95, hi95: s.hi95 };
  });
  const maxSamples = Math.max(1, opts.maxSamples ?? 2000);
  const n = fit.nSamples;
  const m = Math.min(n, maxSamples);
  const nd = fit.nDim;
  const nx = derived.names.length;
  const samples: number[][] = [];
  for (let j = 0; j < m; j++) {
    const i = Math.floor((j * n) / m);
    const row = Array.from(fit.samples.subarray(i * nd, (i + 1) * nd));
    for (let k = 0; k < nx; k++) row.push(derived.values[i * nx + k]);
    samples.push(row);
  }
  let first = Infinity;
  let last = -Infinity;
  for (const t of model.data.timeDays) [first, last] = [Math.min(first, t), Math.max(last, t)];
  const predicted = predictTransitTimes(model, fit.samples, {
    fromDays: first - 1,
    toDays: last + (opts.predictDays ?? 365),
    maxDraws: opts.predictDraws ?? 300,
    seed: 7,
  }).map((p) => ({
    planet: p.planet,
    epoch: p.epoch,
    medianBjdTdb: p.medianDays,
    lo68BjdTdb: p.lo68Days,
    hi68BjdTdb: p.hi68Days,
    lo95BjdTdb: p.lo95Days,
    hi95BjdTdb: p.hi95Days,
  }));
  return {
    format: 'openastro-posterior',
    version: 1,
    missionId,
    sampler: fit.sampler,
    parameters,
    samples,
    nSamplesTotal: n,
    bestFit: Object.fromEntries(fit.parameterNames.map((name, i) => [name, fit.bestFit.theta[i]])),
    ...(fit.evidence ? { logEvidence: fit.evidence.logZ, logEvidenceErr: fit.evidence.logZErr } : {}),
    predicted,
    diagnostics: (({ likelihoodCalls: _calls, ...rest }) => rest)(fit.diagnostics),
    nTimes,
  };
}
