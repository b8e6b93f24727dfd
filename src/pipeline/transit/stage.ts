/**
 * Transit-times stage (queue 'science'), for a transit mission (one with a row in
 * transit_ephemerides):
 *
 * 1. the light curve (magnitudes) becomes relative flux per band (10^(−0.4 (m − median)));
 * 2. every predicted transit window with data is fitted for its mid-time
 *    (science/transit fitTransitLightCurve: multiplicative baseline × limb-darkened model,
 *    one shape shared by all windows, Laplace errors — docs/decisions/0018). When fewer
 *    than two windows can be fitted that routine cannot number an ephemeris; then, if the
 *    shape is fully known, each window is fitted alone (fitTransitTime);
 * 3. the mission's archival times join them (epochs numbered from the mission's
 *    ephemeris; a transit measured twice enters the fit as the weighted mean of both);
 * 4. a linear ephemeris by weighted least squares, O−C of every time, and the model band
 *    of the ephemeris (its prediction uncertainty) → product 'oc';
 * 5. with a TTV model configured and at least `minTtvTimes` distinct epochs, the 'ttv' job
 *    in the same transaction (its key carries a hash of the times, so unchanged times do
 *    not queue it again).
 * Partial transits (ingress or egress missing) are reported but left out of the fits.
 */
import type { Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { assignEpochs, fitLinearEphemeris, predictTransitTime, type LinearEphemeris } from '../../science/transit/ephemeris.js';
import { TransitError } from '../../science/transit/errors.js';
import { fitTransitLightCurve, type TransitWindowResult } from '../../science/transit/light-curve-fit.js';
import { fitTransitTime, transitDurations, type TransitShape } from '../../science/transit/timing.js';
import { productSha, readLightcurveProduct, type LightcurvePointDoc } from '../lightcurve/stage.js';
import { dropReplaced, putJsonProduct, shortHash, upsertProduct } from '../lightcurve/products.js';
import type { StageContext, StageHandler } from '../stages.js';
import { getTransitEphemeris, listArchivalTransitTimes, type TransitEphemeris } from './ephemeris.js';

export interface TransitTimesOptions {
  /** Distinct transit epochs needed before TTV inference is queued (default 5). */
  minTtvTimes?: number;
  /** Points needed in a window (default 10). */
  minWindowPoints?: number;
  /** Epochs beyond the last observed one covered by the model band (default 20). */
  futureEpochs?: number;
}

export interface OcPointDoc {
  epoch: number;
  bjdTdb: number;
  sigmaDays: number;
  ocMin: number;
  errMin: number;
  /** Site name(s) of a pipeline time; the source of an archival one. */
  site: string;
  source: 'pipeline' | 'archival';
  partial: boolean;
}

export interface OcModelDoc {
  epoch: number;
  medianMin: number;
  lo68Min: number;
  hi68Min: number;
  lo95Min: number;
  hi95Min: number;
}

export interface OcDocument {
  format: 'openastro-oc';
  version: 1;
  missionId: string;
  planet: string;
  /** The fitted linear ephemeris (or the mission's when fewer than two epochs are known). */
  ephemeris: { t0BjdTdb: number; periodDays: number; sigmaT0Days: number; sigmaPeriodDays: number; covT0PeriodDays2: number; referenceEpoch: number; chi2: number; dof: number; fitted: boolean };
  points: OcPointDoc[];
  model: OcModelDoc[];
  /** One time per epoch (duplicates combined): the TTV stage's input. */
  times: Array<{ planet: string; epoch: number; bjdTdb: number; sigmaDays: number }>;
  windows: Array<Pick<TransitWindowResult, 'epoch' | 'predictedDays' | 'nPoints' | 'tcDays' | 'sigmaDays' | 'partial' | 'chi2' | 'dof' | 'converged'>>;
  skipped: Array<{ epoch: number; nPoints: number; reason: string }>;
  shape?: TransitShape;
  note?: string;
}

export interface TransitTimesOutcome {
  missionId: string;
  windows: number;
  times: number;
  enqueuedTtv: boolean;
  reason?: string;
}

const MIN_PER_DAY = 1440;

export function transitTimesStage(opts: TransitTimesOptions = {}): StageHandler<'transit-times'> {
  return async (input, ctx) => {
    await runTransitTimes(input.missionId, ctx, opts);
  };
}

export async function runTransitTimes(missionId: string, ctx: StageContext, opts: TransitTimesOptions = {}): Promise<TransitTimesOutcome> {
  const db = ctx.database.db;
  const eph = await getTransitEphemeris(db, missionId);
  if (!eph) {
    const reason = 'not a transit mission (no ephemeris)';
    await ctx.progress(1, reason);
    return { missionId, windows: 0, times: 0, enqueuedTtv: false, reason };
  }
  await ctx.progress(0.05, 'reading the light curve');
  const lc = await readLightcurveProduct(ctx, missionId);
  const fitted = await fitWindows(lc?.doc.points ?? [], eph, opts);
  await ctx.progress(0.6, `${fitted.windows.length} transit window(s) fitted`);

  const archival = (await listArchivalTransitTimes(db, missionId)).filter((a) => a.planet === eph.planet);
  const points: Array<Omit<OcPointDoc, 'ocMin' | 'errMin'>> = [];
  for (const w of fitted.windows) {
    points.push({ epoch: w.epoch, bjdTdb: w.tcDays, sigmaDays: w.sigmaDays, site: w.sites.join(', '), source: 'pipeline', partial: w.partial });
  }
  const archivalEpochs = assignEpochs(archival.map((a) => a.bjdTdb), eph.t0BjdTdb, eph.periodDays);
  archival.forEach((a, i) => points.push({ epoch: archivalEpochs[i], bjdTdb: a.bjdTdb, sigmaDays: a.sigmaDays, site: a.source, source: 'archival', partial: false }));
  points.sort((a, b) => a.epoch - b.epoch || a.bjdTdb - b.bjdTdb);

  // One time per epoch for the fits: weighted mean of repeated measurements.
  const byEpoch = new Map<number, { sw: number; swt: number; t0: number }>();
  for (const p of points) {
    if (p.partial) continue;
    const w = 1 / (p.sigmaDays * p.sigmaDays);
    const e = byEpoch.get(p.epoch) ?? { sw: 0, swt: 0, t0: p.bjdTdb };
    e.sw += w;
    e.swt += w * (p.bjdTdb - e.t0);
    byEpoch.set(p.epoch, e);
  }
  const times = [...byEpoch.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([epoch, e]) => ({ planet: eph.planet, epoch, bjdTdb: e.t0 + e.swt / e.sw, sigmaDays: 1 / Math.sqrt(e.sw) }));

  let linear: LinearEphemeris | undefined;
  if (times.length >= 2) {
    try {
      linear = fitLinearEphemeris(times.map((t) => t.epoch), times.map((t) => t.bjdTdb), times.map((t) => t.sigmaDays));
    } catch (err) {
      if (!(err instanceof TransitError)) throw err;
      fitted.notes.push(`linear ephemeris: ${err.message}`);
    }
  }
  const e: OcDocument['ephemeris'] = linear
    ? { t0BjdTdb: linear.t0, periodDays: linear.periodDays, sigmaT0Days: linear.sigmaT0, sigmaPeriodDays: linear.sigmaPeriod, covT0PeriodDays2: linear.covT0Period, referenceEpoch: linear.referenceEpoch, chi2: linear.chi2, dof: linear.dof, fitted: true }
    : { t0BjdTdb: eph.t0BjdTdb, periodDays: eph.periodDays, sigmaT0Days: 0, sigmaPeriodDays: 0, covT0PeriodDays2: 0, referenceEpoch: 0, chi2: 0, dof: 0, fitted: false };
  const calc = (epoch: number) => e.t0BjdTdb + (epoch - e.referenceEpoch) * e.periodDays;
  const ocPoints: OcPointDoc[] = points.map((p) => ({ ...p, ocMin: (p.bjdTdb - calc(p.epoch)) * MIN_PER_DAY, errMin: p.sigmaDays * MIN_PER_DAY }));
  const model: OcModelDoc[] = [];
  if (ocPoints.length > 0) {
    const first = ocPoints[0].epoch;
    const last = ocPoints[ocPoints.length - 1].epoch + (opts.futureEpochs ?? 20);
    const asEph: LinearEphemeris = linear ?? { t0: e.t0BjdTdb, periodDays: e.periodDays, sigmaT0: 0, sigmaPeriod: 0, covT0Period: 0, referenceEpoch: 0, chi2: 0, dof: 0, errorScale: 1 };
    const stepE = Math.max(1, Math.ceil((last - first) / 400));
    for (let ep = first; ep <= last; ep += stepE) {
      const s = predictTransitTime(asEph, ep).sigmaDays * MIN_PER_DAY;
      model.push({ epoch: ep, medianMin: 0, lo68Min: -s, hi68Min: s, lo95Min: -1.959964 * s, hi95Min: 1.959964 * s });
    }
  }
  const doc: OcDocument = {
    format: 'openastro-oc',
    version: 1,
    missionId,
    planet: eph.planet,
    ephemeris: e,
    points: ocPoints,
    model,
    times,
    windows: fitted.windows.map((w) => ({ epoch: w.epoch, predictedDays: w.predictedDays, nPoints: w.nPoints, tcDays: w.tcDays, sigmaDays: w.sigmaDays, partial: w.partial, chi2: w.chi2, dof: w.dof, converged: w.converged })),
    skipped: fitted.skipped,
    ...(fitted.shape ? { shape: fitted.shape } : {}),
    ...(fitted.notes.length > 0 ? { note: fitted.notes.join('; ') } : {}),
  };
  const staged = await putJsonProduct(ctx.storage, missionId, 'oc', doc);
  const minTtv = opts.minTtvTimes ?? 5;
  const wantTtv = eph.ttv !== undefined && times.length >= minTtv;
  const timesHash = shortHash(JSON.stringify(times) + JSON.stringify(eph.ttv ?? null));
  const summary = { planet: eph.planet, times: times.length, pipelineTimes: fitted.windows.filter((w) => !w.partial).length, archivalTimes: archival.length, periodDays: e.periodDays, t0BjdTdb: e.t0BjdTdb, fitted: e.fitted, reducedChi2: e.dof > 0 ? e.chi2 / e.dof : null };
  const now = ctx.clock.now();
  let enqueuedTtv = false;
  const out = await db.transaction().execute(async (trx: Transaction<Schema>) => {
    const live = await trx.selectFrom('missions').select('id').where('id', '=', missionId).forUpdate().executeTakeFirst();
    if (!live) return undefined;
    // The light curve changed since we read it: the transit-times job it queued supersedes this one.
    if ((await productSha(trx, missionId, 'lightcurve')) !== lc?.sha256) return undefined;
    const old = await upsertProduct(trx, missionId, staged, summary, now);
    if (wantTtv) enqueuedTtv = (await ctx.enqueue(trx, 'ttv', { missionId }, { dedupeKey: `ttv:${missionId}:${timesHash}` })) !== null;
    return { old };
  });
  if (!out) {
    const current = await db.selectFrom('products').select('object_key').where('mission_id', '=', missionId).where('kind', '=', 'oc').executeTakeFirst();
    if (current?.object_key !== staged.key) await dropReplaced(ctx.storage, staged.key);
    const reason = 'not stored: the mission or its light curve changed meanwhile';
    await ctx.progress(1, reason);
    return { missionId, windows: 0, times: 0, enqueuedTtv: false, reason };
  }
  await dropReplaced(ctx.storage, out.old);
  await ctx.progress(1, `${fitted.windows.length} window(s), ${times.length} transit time(s)${enqueuedTtv ? '; TTV queued' : ''}`);
  return { missionId, windows: fitted.windows.length, times: times.length, enqueuedTtv, ...(doc.note ? { reason: doc.note } : {}) };
}

interface FittedWindow extends TransitWindowResult {
  sites: string[];
}

/** Mid-times of every window of the light curve. Never throws for data reasons: notes say why. */
async function fitWindows(
  points: readonly LightcurvePointDoc[],
  eph: TransitEphemeris,
  opts: TransitTimesOptions,
): Promise<{ windows: FittedWindow[]; skipped: OcDocument['skipped']; shape?: TransitShape; notes: string[] }> {
  const notes: string[] = [];
  if (points.length === 0) return { windows: [], skipped: [], notes: ['no light-curve points yet'] };
  const sorted = [...points].sort((a, b) => a.bjdTdb - b.bjdTdb);
  const median = new Map<string, number>();
  for (const band of new Set(sorted.map((p) => p.band))) {
    const m = sorted.filter((p) => p.band === band).map((p) => p.mag).sort((a, b) => a - b);
    median.set(band, m[Math.floor(m.length / 2)]);
  }
  const t = Float64Array.from(sorted, (p) => p.bjdTdb);
  const f = Float64Array.from(sorted, (p) => Math.pow(10, -0.4 * (p.mag - (median.get(p.band) ?? 0))));
  const s = Float64Array.from(sorted, (p, i) => (f[i] * p.err * Math.LN10) / 2.5);
  const sitesNear = (tc: number, half: number): string[] => [...new Set(sorted.filter((p) => Math.abs(p.bjdTdb - tc) <= half).map((p) => p.site))].sort();
  const minPoints = opts.minWindowPoints ?? 10;
  try {
    const r = await fitTransitLightCurve(t, f, s, { periodDays: eph.periodDays, t0Days: eph.t0BjdTdb, shape: eph.shape, minPoints, includePartial: true });
    return { windows: r.windows.map((w) => ({ ...w, sites: sitesNear(w.tcDays, w.halfSpanDays) })), skipped: r.skipped, shape: r.shape, notes };
  } catch (err) {
    if (!(err instanceof TransitError)) throw err;
    notes.push(err.message);
  }
  // Fewer than two fittable windows: fit each alone with the known shape.
  const sh = eph.shape;
  if (sh.rp === undefined || sh.a === undefined || sh.incDeg === undefined) {
    notes.push('single windows need the full transit shape (rp, a/R*, incDeg) in the mission ephemeris');
    return { windows: [], skipped: [], notes };
  }
  const shape: TransitShape = { rp: sh.rp, a: sh.a, incDeg: sh.incDeg, u: sh.u ?? [0.4, 0.26] };
  const { t14 } = transitDurations(eph.periodDays, shape);
  const half = Math.max(1.5 * t14, 0.02);
  const windows: FittedWindow[] = [];
  const skipped: OcDocument['skipped'] = [];
  const eFirst = Math.ceil((t[0] - half - eph.t0BjdTdb) / eph.periodDays);
  const eLast = Math.floor((t[t.length - 1] + half - eph.t0BjdTdb) / eph.periodDays);
  for (let epoch = eFirst; epoch <= eLast && epoch - eFirst < 10_000; epoch++) {
    const pred = eph.t0BjdTdb + epoch * eph.periodDays;
    const idx: number[] = [];
    for (let i = 0; i < t.length; i++) if (Math.abs(t[i] - pred) <= half) idx.push(i);
    if (idx.length === 0) continue;
    if (idx.length < minPoints) {
      skipped.push({ epoch, nPoints: idx.length, reason: `${idx.length} points (fewer than ${minPoints})` });
      continue;
    }
    try {
      const w = fitTransitTime(Float64Array.from(idx, (i) => t[i]), Float64Array.from(idx, (i) => f[i]), Float64Array.from(idx, (i) => s[i]), { tcGuessDays: pred, periodDays: eph.periodDays, shape });
      windows.push({
        epoch,
        predictedDays: pred,
        nPoints: idx.length,
        tcDays: w.tcDays,
        sigmaDays: w.sigmaTcDays,
        tcLaplaceDays: w.tcDays,
        sigmaLaplaceDays: w.sigmaTcDays,
        partial: w.partial,
        coverage: w.coverage,
        chi2: w.chi2,
        dof: w.dof,
        converged: w.converged,
        baseline: Array.from(w.baseline),
        baselineReferenceDays: pred,
        halfSpanDays: w.halfSpanDays,
        shape: w.shape,
        sites: sitesNear(w.tcDays, half),
      });
    } catch (err) {
      if (!(err instanceof TransitError)) throw err;
      skipped.push({ epoch, nPoints: idx.length, reason: err.message });
    }
  }
  return { windows, skipped, shape, notes };
}
