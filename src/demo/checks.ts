/**
 * The demo's self-check: each injected truth set against what the network and the pipeline
 * recovered, read back from the database and the products exactly as the API serves them.
 *
 * Rows and how each is measured:
 * - period: the 'periodogram' product's best period vs the injected period (1 %);
 * - photometric scatter: every calibrated frame of the variable, the pipeline's magnitude
 *   minus the magnitude the camera really rendered (exposure-averaged), by frame;
 * - astrometric RMS: every plate-solved frame's WCS against the WCS it was rendered with,
 *   over a 5 × 5 grid of pixels;
 * - stack depth: the stack's background noise against a single frame's, both on the stack's
 *   grid; the expectation is the weighted mean's (frames from different telescopes differ,
 *   so not simply √N; √N is shown beside it);
 * - perturber mass and period: inside the TTV posterior's 95 % interval;
 * - the night's transit time (full demo): within 3σ of the true (n-body) time;
 * - partial exposure: credited exposure equals the accepted frames' exposure for every
 *   mission, and the dropped node's task split exactly into credit + remainder;
 * - drop-out: FAULTED after three missed heartbeats, its work done by another node;
 * - target of opportunity: time from the alert to its first frame;
 * - weather: no frame begun under a sky the weather station called unsafe;
 * - network health: no other node was faulted.
 */
import type { Kysely } from 'kysely';
import { transparencyAt } from '../agent/devices/simulator/clouds.js';
import type { Schema } from '../platform/db/schema.js';
import { readFrame } from '../pipeline/ingest/frame.js';
import { wcsFromCards, type WcsCards } from '../pipeline/image/wcs-store.js';
import { getProduct, readJsonProduct } from '../pipeline/lightcurve/products.js';
import { readObject } from '../pipeline/objects.js';
import type { PeriodogramDocument } from '../pipeline/period/stage.js';
import { stackSourceKey, type StackSummary } from '../pipeline/stack/stage.js';
import type { OcDocument } from '../pipeline/transit/stage.js';
import type { PosteriorDocument } from '../pipeline/ttv/stage.js';
import type { ObjectStoreLike } from '../server/context.js';
import { FitsReader } from '../science/fits/reader.js';
import { reproject } from '../science/image/reproject.js';
import { sigmaClippedStats } from '../science/image/stats.js';
import { angularSeparationDeg, pixelScaleArcsec } from '../science/wcs/geometry.js';
import { pixToSky } from '../science/wcs/transform.js';
import { wcsFromHeader, type Wcs } from '../science/wcs/wcs.js';
import { cloudModel, type TruthLog } from './nodes.js';
import type { MissionKind, Scenario } from './scenario.js';
import { fmt, missingRow, type SummaryRow } from './summary.js';

/** What happened during the run that the checks need besides the database. */
export interface RunRecord {
  missionIds: Partial<Record<MissionKind, string>>;
  /** Node names by node id. */
  nodeNames: Map<string, string>;
  dropout?: { nodeName: string; nodeId: string; taskId: string; cutAt: Date; faultedAt?: Date };
  /** FAULTED seen for other nodes after every node was up, by node name. */
  spuriousFaults: Map<string, Date>;
  /** Task ends the agents reported, by node name. */
  tasksEnded: Array<{ node: string; taskId: string; reason: string }>;
  /** Nodes whose every observation failed (none uploaded a frame), with the last reason. */
  brokenNodes?: Array<{ node: string; failures: number; reason: string }>;
  tooCreatedAt?: Date;
  /** Pending tasks of other missions at the alert (they were waiting when the ToO jumped the queue). */
  tooWaitingTasks?: number;
}

export interface CheckContext {
  /** Real seconds between the service's fault sweeps, and the clock speed: the drop-out's expected delay. */
  sweepIntervalS: number;
  speed: number;
  db: Kysely<Schema>;
  storage: ObjectStoreLike;
  scenario: Scenario;
  truthLog: TruthLog;
  run: RunRecord;
}

const ARCSEC = 3600;

export async function runChecks(ctx: CheckContext): Promise<SummaryRow[]> {
  const rows: SummaryRow[] = [];
  const guard = async (name: string, truth: string, tol: string, f: () => Promise<SummaryRow | SummaryRow[]>) => {
    try {
      const r = await f();
      rows.push(...(Array.isArray(r) ? r : [r]));
    } catch (err) {
      rows.push(missingRow(name, truth, tol, `check failed: ${(err as Error).message}`));
    }
  };
  const s = ctx.scenario;
  await guard('Variable star period', `${fmt(s.truth.variable.periodDays, 5)} d`, '4σ of the expected precision', () => periodRow(ctx));
  await guard('Photometric scatter (variable)', 'rendered magnitudes', '|offset| ≤ 0.03, σ ≤ 0.05 mag', () => photometryRow(ctx));
  await guard('Astrometric RMS (plate solutions)', 'rendered WCS', '≤ 0.5″', () => astrometryRow(ctx));
  await guard('Stack depth (galaxy field)', 'weighted-mean noise', 'ratio within ±15 %', () => stackRow(ctx));
  await guard('Perturber mass / period', 'injected companion', 'truth inside 95 % interval', () => ttvRows(ctx));
  if (s.observeTransit) await guard("Tonight's transit time", 'n-body mid-transit', '|Δt| ≤ 3σ', () => transitRow(ctx));
  await guard('Partial-exposure accounting', 'credit = accepted frames', 'exact', () => accountingRow(ctx));
  await guard('Node drop-out', 'link cut mid-task', 'FAULTED in time, remainder re-done', () => dropoutRow(ctx));
  await guard('Target of opportunity latency', 'alert', '≤ 30 min to first frame', () => tooRow(ctx));
  await guard('Weather', 'cloud banks', '0 frames begun under an unsafe sky', () => weatherRow(ctx));
  rows.push(healthRow(ctx));
  return rows;
}

// ---------------------------------------------------------------- science rows

async function periodRow(ctx: CheckContext): Promise<SummaryRow> {
  const v = ctx.scenario.truth.variable;
  const truth = v.periodDays;
  const check = 'Variable star period';
  const id = ctx.run.missionIds.variable;
  const product = id ? await getProduct(ctx.db, id, 'periodogram') : undefined;
  if (!product) return missingRow(check, `${fmt(truth, 5)} d`, '4σ of the expected precision', 'no periodogram product');
  const doc = await readJsonProduct<PeriodogramDocument>(ctx.storage, product);
  const best = doc.bestPeriodDays;
  if (best === null) return missingRow(check, `${fmt(truth, 5)} d`, '4σ of the expected precision', `no period found in ${doc.nPoints} points`);
  // Expected precision of a sinusoid's frequency from N points over a span T with noise σ
  // and semi-amplitude A: σ_f = √(6/N) σ / (π T A) (Montgomery & O'Donoghue 1999, Delta Scuti
  // Star Newsletter 13, 28). σ from the pipeline's own errors; never tighter than 0.3 %.
  const errs = await ctx.db
    .selectFrom('frame_calibrations')
    .select('target_mag_err')
    .where('mission_id', '=', id!)
    .where('status', '=', 'calibrated')
    .where('target_mag_err', 'is not', null)
    .execute();
  const sigma = errs.length > 0 ? sigmaClippedStats(Float64Array.from(errs, (e) => e.target_mag_err as number), { sigma: 10 }).median : 0.02;
  const sigmaF = (Math.sqrt(6 / doc.nPoints) * sigma) / (Math.PI * doc.spanDays * v.amplitudeMag);
  const tolRel = Math.max(0.003, 4 * sigmaF * truth);
  const rel = Math.abs(best - truth) / truth;
  const fap = doc.peaks[0]?.fap;
  return {
    check,
    truth: `${fmt(truth, 5)} d`,
    recovered: `${fmt(best, 5)} d (Δ ${fmt(rel * 100, 2)} %)`,
    tolerance: `|ΔP|/P ≤ ${fmt(tolRel * 100, 2)} %`,
    pass: rel <= tolRel,
    values: { truthDays: truth, recoveredDays: best, relativeError: rel, toleranceRelative: tolRel },
    note: `${doc.method} of the merged light curve, ${doc.nPoints} points over ${fmt(doc.spanDays * 24, 1)} h${fap !== undefined && fap !== null ? `, FAP ${fap.toExponential(1)}` : ''}; tolerance 4σ of the expected precision √(6/N)·σ/(π T A) with σ = ${fmt(sigma * 1000, 1)} mmag (the frames' median error)`,
  };
}

async function photometryRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = 'Photometric scatter (variable)';
  const tol = '|offset| ≤ 0.03, σ ≤ 0.05 mag';
  const id = ctx.run.missionIds.variable;
  if (!id) return missingRow(check, 'rendered magnitudes', tol, 'no variable-star mission');
  const rows = await ctx.db
    .selectFrom('frame_calibrations')
    .innerJoin('exposures', 'exposures.id', 'frame_calibrations.exposure_id')
    .select(['exposures.node_id', 'exposures.started_at', 'frame_calibrations.target_mag', 'frame_calibrations.target_mag_err'])
    .where('frame_calibrations.mission_id', '=', id)
    .where('frame_calibrations.status', '=', 'calibrated')
    .where('frame_calibrations.target_mag', 'is not', null)
    .execute();
  const resid: number[] = [];
  const errs: number[] = [];
  for (const r of rows) {
    const node = ctx.run.nodeNames.get(r.node_id);
    const t = node ? ctx.truthLog.find(node, new Date(r.started_at).getTime()) : undefined;
    const m = t?.mags.variable;
    if (m === undefined || r.target_mag === null) continue;
    resid.push(r.target_mag - m);
    if (r.target_mag_err !== null) errs.push(r.target_mag_err);
  }
  if (resid.length < 5) return missingRow(check, 'rendered magnitudes', tol, `${resid.length} calibrated frames with truth`);
  const st = sigmaClippedStats(Float64Array.from(resid), { sigma: 4, maxIters: 5 });
  const offset = st.median;
  const scatter = st.std;
  const medErr = errs.length > 0 ? sigmaClippedStats(Float64Array.from(errs), { sigma: 10 }).median : NaN;
  return {
    check,
    truth: `${resid.length} frames`,
    recovered: `offset ${fmt(offset * 1000, 1)} mmag, σ ${fmt(scatter * 1000, 1)} mmag`,
    tolerance: tol,
    pass: Math.abs(offset) <= 0.03 && scatter <= 0.05,
    values: { frames: resid.length, offsetMag: offset, scatterMag: scatter, medianErrorMag: medErr },
    note: `pipeline magnitude − rendered magnitude per calibrated frame (ensemble zero point against the catalog); the pipeline's own median error is ${fmt(medErr * 1000, 1)} mmag`,
  };
}

async function astrometryRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = 'Astrometric RMS (plate solutions)';
  const tol = '≤ 0.5″';
  const ids = Object.values(ctx.run.missionIds).filter((x): x is string => x !== undefined);
  if (ids.length === 0) return missingRow(check, 'rendered WCS', tol, 'no missions');
  const exposures = await ctx.db
    .selectFrom('exposures')
    .select(['node_id', 'started_at', 'wcs', 'width', 'height', 'solve_status'])
    .where('mission_id', 'in', ids)
    .where('solve_status', 'in', ['solved', 'header'])
    .where('wcs', 'is not', null)
    .execute();
  let sum2 = 0;
  let n = 0;
  let frames = 0;
  let solved = 0;
  let worst = 0;
  for (const e of exposures) {
    const node = ctx.run.nodeNames.get(e.node_id);
    const truth = node ? ctx.truthLog.find(node, new Date(e.started_at).getTime()) : undefined;
    const fitted = wcsFromCards(e.wcs as WcsCards);
    if (!truth?.wcs || !fitted || !e.width || !e.height) continue;
    frames++;
    if (e.solve_status === 'solved') solved++;
    let f2 = 0;
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        const x = ((e.width - 1) * i) / 4;
        const y = ((e.height - 1) * j) / 4;
        const [ra1, dec1] = pixToSky(fitted, x, y);
        const [ra0, dec0] = pixToSky(truth.wcs, x, y);
        const d = angularSeparationDeg(ra1, dec1, ra0, dec0) * ARCSEC;
        sum2 += d * d;
        f2 += d * d;
        n++;
      }
    }
    worst = Math.max(worst, Math.sqrt(f2 / 25));
  }
  if (frames === 0) return missingRow(check, 'rendered WCS', tol, 'no plate-solved frame');
  const rms = Math.sqrt(sum2 / n);
  return {
    check,
    truth: `${frames} frames`,
    recovered: `${fmt(rms, 3)}″ RMS (worst frame ${fmt(worst, 2)}″)`,
    tolerance: tol,
    pass: rms <= 0.5,
    values: { frames, solved, rmsArcsec: rms, worstArcsec: worst },
    note: `${solved} solved by the pipeline, ${frames - solved} header WCS confirmed; offsets of 25 pixel positions per frame between the fitted and the rendered WCS`,
  };
}

async function stackRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = 'Stack depth (galaxy field)';
  const tol = 'ratio within ±15 %';
  const id = ctx.run.missionIds.galaxy;
  const product = id ? await getProduct(ctx.db, id, 'stack') : undefined;
  if (!product) return missingRow(check, 'weighted-mean noise', tol, 'no stack product');
  const summary = (typeof product.summary === 'string' ? JSON.parse(product.summary) : product.summary) as StackSummary;
  const reader = await FitsReader.open(await readObject(ctx.storage, product.object_key));
  let stack: Float32Array;
  let gridWcs: Wcs | undefined;
  let width: number;
  let height: number;
  try {
    const img = await reader.readImage(0);
    stack = img.data instanceof Float32Array ? img.data : Float32Array.from(img.data as ArrayLike<number>);
    [width, height] = img.axes;
    gridWcs = wcsFromHeader(reader.hdus[0].header);
  } finally {
    await reader.close();
  }
  if (!gridWcs) return missingRow(check, 'weighted-mean noise', tol, 'the stack has no WCS');
  const used = summary.frames.filter((f) => f.used);
  const rowsE = await ctx.db
    .selectFrom('exposures')
    .select(['id', 'object_key', 'has_wcs', 'solve_status', 'solved_object_key'])
    .where('id', 'in', used.map((f) => f.exposureId))
    .execute();
  // The file the stack read (the plate-solved copy when there is one).
  const keys = new Map(rowsE.map((r) => [r.id, stackSourceKey(r)]));
  const gridScale = pixelScaleArcsec(gridWcs, [(width - 1) / 2, (height - 1) / 2]);
  // The region every used frame covers, and each frame's reprojected noise in stack units.
  const all = new Uint8Array(width * height).fill(1);
  const perFrame: Array<{ w: number; unitScale: number; reprojected: Float32Array }> = [];
  for (const f of used) {
    const key = keys.get(f.exposureId);
    if (!key) continue;
    const frame = await readFrame(await readObject(ctx.storage, key));
    const wcs = wcsFromHeader(frame.header);
    if (!wcs) continue;
    const data = frame.data instanceof Float32Array ? frame.data : Float32Array.from(frame.data as ArrayLike<number>, Number);
    const r = reproject({ data, width: frame.width, height: frame.height, wcs }, { wcs: gridWcs, width, height }, { method: summary.method ?? 'bilinear' });
    for (let i = 0; i < all.length; i++) if (!(r.footprint[i] >= 0.999)) all[i] = 0;
    const frameScale = pixelScaleArcsec(wcs, [(frame.width - 1) / 2, (frame.height - 1) / 2]);
    perFrame.push({ w: f.weight, unitScale: f.scale * (gridScale / frameScale) ** 2, reprojected: r.data });
  }
  const inside = (img: Float32Array): Float64Array => {
    const out: number[] = [];
    for (let i = 0; i < img.length; i++) if (all[i] && Number.isFinite(img[i])) out.push(img[i]);
    return Float64Array.from(out);
  };
  const nPix = all.reduce((a, b) => a + b, 0);
  if (perFrame.length < 2 || nPix < 1000) return missingRow(check, 'weighted-mean noise', tol, `${perFrame.length} frames, ${nPix} pixels covered by all`);
  const sigma = (v: Float64Array) => sigmaClippedStats(v, { sigma: 3, maxIters: 10 }).std;
  const stackSigma = sigma(inside(stack));
  const noise = perFrame.map((f) => f.unitScale * sigma(inside(f.reprojected)));
  const sw = perFrame.reduce((a, f) => a + f.w, 0);
  const expected = Math.sqrt(perFrame.reduce((a, f, i) => a + (f.w * noise[i]) ** 2, 0)) / sw;
  const best = Math.min(...noise);
  const gainMeasured = best / stackSigma;
  const gainExpected = best / expected;
  const ratio = gainMeasured / gainExpected;
  return {
    check,
    truth: `${perFrame.length} frames: gain ${fmt(gainExpected, 2)}× (√N ${fmt(Math.sqrt(perFrame.length), 2)})`,
    recovered: `noise ${fmt(gainMeasured, 2)}× below best frame (${fmt(ratio, 3)} of expected)`,
    tolerance: tol,
    pass: Math.abs(ratio - 1) <= 0.15,
    values: { frames: perFrame.length, gainMeasured, gainExpected, sqrtN: Math.sqrt(perFrame.length), ratio },
    note: `background σ (3σ-clipped) over the ${nPix} stack pixels every frame covers; each frame reprojected (${summary.method ?? 'bilinear'}) onto the stack grid and scaled as the stack scales it; ${summary.nCombined} frames, ${fmt(summary.totalExposureS / 60, 0)} min in total`,
  };
}

async function ttvRows(ctx: CheckContext): Promise<SummaryRow[]> {
  const c = ctx.scenario.truth.planets.truth.companion;
  const massTol = 'truth inside 95 % interval';
  const id = ctx.run.missionIds.transit;
  const product = id ? await getProduct(ctx.db, id, 'posterior') : undefined;
  if (!product) {
    return [
      missingRow('Perturber mass', `${fmt(c.massEarth, 1)} M⊕`, massTol, 'no TTV posterior'),
      missingRow('Perturber period', `${fmt(c.periodDays, 4)} d`, massTol, 'no TTV posterior'),
    ];
  }
  const doc = await readJsonProduct<PosteriorDocument>(ctx.storage, product);
  const p = (name: string) => doc.parameters.find((x) => x.name === name);
  const mass = p(`massEarth_${c.name}`);
  const period = p(`periodDays_${c.name}`);
  const d = doc.diagnostics;
  const budget =
    doc.sampler === 'ensemble'
      ? `ensemble MCMC, ${d.nWalkers ?? '?'} walkers × ${d.nSteps ?? '?'} steps (burn-in ${d.burnIn ?? '?'}), autocorrelation time ${d.autocorrTime ? fmt(Math.max(...d.autocorrTime), 0) : '?'} steps${d.autocorrReliable === false ? ' — chain shorter than 50 τ: a demo budget, intervals from ~' + fmt(((d.nSteps ?? 0) - (d.burnIn ?? 0)) / Math.max(1, ...(d.autocorrTime ?? [1])) * (d.nWalkers ?? 0), 0) + ' independent draws' : ''}`
      : `nested sampling`;
  const row = (label: string, truth: number, q: typeof mass, unit: string, digits: number, extra: string): SummaryRow =>
    q
      ? {
          check: label,
          truth: `${fmt(truth, digits)} ${unit}`,
          recovered: `${fmt(q.median, digits)} [${fmt(q.lo95, digits)}, ${fmt(q.hi95, digits)}] ${unit}`,
          tolerance: massTol,
          pass: truth >= q.lo95 && truth <= q.hi95,
          values: { truth, median: q.median, lo68: q.lo68, hi68: q.hi68, lo95: q.lo95, hi95: q.hi95 },
          note: extra,
        }
      : missingRow(label, `${fmt(truth, digits)} ${unit}`, massTol, `no parameter ${label} in the posterior`);
  return [
    row('Perturber mass', c.massEarth, mass, 'M⊕', 1, `TTV inference from ${doc.nTimes} transit times: ${budget}`),
    row('Perturber period', c.periodDays, period, 'd', 4, `osculating period at the model's reference epoch (BJD_TDB ${fmt(ctx.scenario.truth.planets.truth.epochBjd, 2)}); circular, coplanar orbits assumed (as injected)`),
  ];
}

async function transitRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = "Tonight's transit time";
  const tol = '|Δt| ≤ 3σ';
  const night = ctx.scenario.truth.planets.night;
  const truth = `BJD ${fmt(night.trueBjd, 5)}`;
  const id = ctx.run.missionIds.transit;
  const product = id ? await getProduct(ctx.db, id, 'oc') : undefined;
  if (!product) return missingRow(check, truth, tol, 'no O−C product');
  const doc = await readJsonProduct<OcDocument>(ctx.storage, product);
  const point = doc.points.find((x) => x.source === 'pipeline' && x.epoch === night.epoch && !x.partial);
  if (!point) {
    const w = doc.windows.find((x) => x.epoch === night.epoch);
    const why = w ? `window of ${w.nPoints} points${w.partial ? ', partial' : ''}${w.converged === false ? ', fit did not converge' : ''}` : (doc.skipped.find((x) => x.epoch === night.epoch)?.reason ?? 'no points in the window');
    return missingRow(check, truth, tol, why);
  }
  const dtMin = (point.bjdTdb - night.trueBjd) * 1440;
  const sigmaMin = point.sigmaDays * 1440;
  return {
    check,
    truth,
    recovered: `Δ ${fmt(dtMin, 2)} ± ${fmt(sigmaMin, 2)} min (${point.site})`,
    tolerance: tol,
    pass: Math.abs(dtMin) <= 3 * sigmaMin,
    values: { truthBjd: night.trueBjd, recoveredBjd: point.bjdTdb, deltaMin: dtMin, sigmaMin },
    note: `the archive predicted ${fmt((night.predictedBjd - night.trueBjd) * 1440, 2)} min from the true time (the companion's pull); the night's time joined the archival ones in the TTV fit`,
  };
}

// ---------------------------------------------------------------- network rows

async function accountingRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = 'Partial-exposure accounting';
  const tol = 'exact';
  const ids = Object.values(ctx.run.missionIds).filter((x): x is string => x !== undefined);
  const missions = await ctx.db.selectFrom('missions').select(['id', 'name', 'delivered_exposure_s', 'total_exposure_s']).where('id', 'in', ids).execute();
  const problems: string[] = [];
  let partial = 0;
  let remainders = 0;
  for (const m of missions) {
    const acc = await ctx.db
      .selectFrom('exposures')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('exposure_s'), eb.val(0)).as('s'))
      .where('mission_id', '=', m.id)
      .where('state', '=', 'ACCEPTED')
      .executeTakeFirstOrThrow();
    const accepted = Number(acc.s);
    const expect = Math.min(m.total_exposure_s, accepted);
    if (Math.abs(m.delivered_exposure_s - expect) > 1e-9) problems.push(`${m.name}: credited ${m.delivered_exposure_s} s ≠ min(total, accepted) ${expect} s`);
    const tasks = await ctx.db.selectFrom('tasks').select(['id', 'state', 'parent_task_id']).where('mission_id', '=', m.id).execute();
    partial += tasks.filter((t) => t.state === 'PARTIAL').length;
    remainders += tasks.filter((t) => t.parent_task_id !== null).length;
  }
  let dropText = 'no drop-out happened';
  const d = ctx.run.dropout;
  if (d) {
    const task = await ctx.db.selectFrom('tasks').selectAll().where('id', '=', d.taskId).executeTakeFirst();
    const children = await ctx.db.selectFrom('tasks').select(['id', 'exposure_s', 'created_at']).where('parent_task_id', '=', d.taskId).execute();
    const frames = await ctx.db
      .selectFrom('exposures')
      .select(['exposure_s', 'ingested_at'])
      .where('task_id', '=', d.taskId)
      .where('node_id', '=', d.nodeId)
      .where('state', '=', 'ACCEPTED')
      .execute();
    if (!task) problems.push(`the dropped node's task ${d.taskId} is gone`);
    else if (children.length === 0) problems.push(`the dropped node's task is ${task.state} with no remainder`);
    else {
      const rest = children.reduce((a, c) => a + c.exposure_s, 0);
      // Credit at the moment the service took the task back (its remainder's creation), and after.
      const releasedAt = Math.min(...children.map((c) => new Date(c.created_at).getTime()));
      const before = frames.filter((f) => f.ingested_at !== null && new Date(f.ingested_at).getTime() < releasedAt).reduce((a, f) => a + f.exposure_s, 0);
      const all = frames.reduce((a, f) => a + f.exposure_s, 0);
      if (task.state !== 'PARTIAL') problems.push(`the dropped node's task is ${task.state}, not PARTIAL`);
      if (Math.abs(before + rest - task.exposure_s) > 1e-9) problems.push(`task ${task.exposure_s} s ≠ ${before} s credited before the release + ${rest} s remainder`);
      if (Math.abs(all - task.delivered_exposure_s) > 1e-9) problems.push(`task credited ${task.delivered_exposure_s} s but its accepted frames hold ${all} s`);
      dropText = `${d.nodeName}'s task: ${task.exposure_s} s = ${before} s credited + ${rest} s remainder${all > before ? ` (+${all - before} s arrived late, kept)` : ''}`;
    }
  }
  return {
    check,
    truth: 'credit = Σ accepted frames',
    recovered: problems.length === 0 ? `${missions.length} missions exact; ${dropText}` : problems[0],
    tolerance: tol,
    pass: problems.length === 0 && missions.length > 0,
    values: { missions: missions.length, problems: problems.length, partialTasks: partial, remainderTasks: remainders },
    note: `${partial} task(s) cut short (PARTIAL), ${remainders} remainder task(s) created${problems.length > 1 ? `; also: ${problems.slice(1).join('; ')}` : ''}`,
  };
}

async function dropoutRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = 'Node drop-out';
  // Silent for 3 heartbeat intervals after its last heartbeat (≤ 30 s before the cut), seen
  // at the next sweep — or the one after: on a busy machine a timer of 0.1 s real fires late,
  // and at ×450 every 0.1 s of lateness is 45 simulated seconds.
  const limitS = 90 + 2 * ctx.sweepIntervalS * ctx.speed + 5;
  const tol = `FAULTED ≤ ${limitS.toFixed(0)} s, remainder re-done`;
  const d = ctx.run.dropout;
  if (!d) return missingRow(check, 'link cut mid-task', tol, 'no node held a multi-frame task to drop out of');
  if (!d.faultedAt) return missingRow(check, `${d.nodeName} cut at ${hhmm(d.cutAt)}`, tol, 'never FAULTED');
  const faultS = (d.faultedAt.getTime() - d.cutAt.getTime()) / 1000;
  const children = await ctx.db.selectFrom('tasks').select(['node_id', 'state', 'delivered_exposure_s', 'exposure_s']).where('parent_task_id', '=', d.taskId).execute();
  const doneBy = children.filter((c) => c.node_id !== null && c.node_id !== d.nodeId && c.delivered_exposure_s > 0).map((c) => ctx.run.nodeNames.get(c.node_id!) ?? c.node_id!);
  const complete = children.length > 0 && children.every((c) => c.state === 'DONE' || c.state === 'CANCELLED' || (c.state === 'PARTIAL' && c.delivered_exposure_s > 0));
  return {
    check,
    truth: `${d.nodeName} cut at ${hhmm(d.cutAt)}`,
    recovered: `FAULTED after ${fmt(faultS, 0)} s; remainder → ${doneBy.length > 0 ? [...new Set(doneBy)].join(', ') : 'nobody yet'}`,
    tolerance: tol,
    pass: faultS >= 60 && faultS <= limitS && doneBy.length > 0 && complete,
    values: { faultedAfterS: faultS, limitS, reassignedTo: doneBy.length },
    note: `heartbeats every 30 s; FAULTED after three missed intervals (90 s since its last heartbeat, sent up to 30 s before the cut) at the next sweep or the one after (every ${ctx.sweepIntervalS} s real = ${fmt(ctx.sweepIntervalS * ctx.speed, 0)} s simulated); its task's credit stayed, the remainder went back to the pool`,
  };
}

async function tooRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = 'Target of opportunity latency';
  const tol = '≤ 30 min to first frame';
  const id = ctx.run.missionIds.too;
  const at = ctx.run.tooCreatedAt;
  if (!id || !at) return missingRow(check, 'alert', tol, 'the alert was never raised');
  const first = await ctx.db.selectFrom('exposures').select(['started_at', 'node_id']).where('mission_id', '=', id).orderBy('started_at').limit(1).executeTakeFirst();
  if (!first) return missingRow(check, `alert ${hhmm(at)}`, tol, 'no frame taken');
  const minutes = (new Date(first.started_at).getTime() - at.getTime()) / 60_000;
  return {
    check,
    truth: `alert at ${hhmm(at)}`,
    recovered: `first frame ${fmt(minutes, 1)} min later (${ctx.run.nodeNames.get(first.node_id) ?? first.node_id})`,
    tolerance: tol,
    pass: minutes >= 0 && minutes <= 30,
    values: { latencyMin: minutes, waitingTasks: ctx.run.tooWaitingTasks ?? NaN },
    note: `priority 95 ranks first: it went ahead of ${ctx.run.tooWaitingTasks ?? '?'} task(s) already waiting; latency includes the node finishing its current frame, the slew and the exposure`,
  };
}

async function weatherRow(ctx: CheckContext): Promise<SummaryRow> {
  const check = 'Weather';
  const tol = '0 frames begun under an unsafe sky';
  const cloudy = ctx.scenario.nodes.filter((n) => n.clouds.kind === 'banks');
  if (cloudy.length === 0) return missingRow(check, 'cloud banks', tol, 'no node had clouds');
  let bad = 0;
  for (const n of cloudy) {
    const model = cloudModel(n.clouds);
    for (const t of ctx.truthLog.framesOf(n.name)) if (transparencyAt(model, new Date(t.startMs)) < 0.5) bad++;
  }
  const ended = ctx.run.tasksEnded.filter((t) => t.reason === 'weather');
  const names = cloudy.map((n) => `${n.name} ${n.clouds.kind === 'banks' ? n.clouds.banks.map((b) => `${hhmm(b.start)}–${hhmm(b.end)}`).join(',') : ''}`);
  return {
    check,
    truth: names.join('; '),
    recovered: `${bad} frames under clouds; ${ended.length} task(s) ended 'weather'`,
    tolerance: tol,
    pass: bad === 0,
    values: { framesUnderClouds: bad, tasksEndedByWeather: ended.length },
    note: `the simulated weather station reads the same cloud model the camera renders; unsafe below 50 % transparency → the agent parks and ends its task, whose remainder goes back to the pool`,
  };
}

function healthRow(ctx: CheckContext): SummaryRow {
  const others = [...ctx.run.spuriousFaults.entries()];
  const broken = ctx.run.brokenNodes ?? [];
  const problems = [
    ...(others.length > 0 ? [`also FAULTED: ${others.map(([n, t]) => `${n} at ${hhmm(t)}`).join(', ')}`] : []),
    ...broken.map((b) => `${b.node}: ${b.failures} observations failed, none delivered (${b.reason})`),
  ];
  return {
    check: 'Network health',
    truth: 'only the dropped node fails',
    recovered: problems.length === 0 ? 'no other node FAULTED or failing' : problems.join('; '),
    tolerance: 'no spurious FAULTED, no node failing every task',
    pass: problems.length === 0,
    values: { spuriousFaults: others.length, brokenNodes: broken.length },
  };
}

function hhmm(d: Date): string {
  return `${d.toISOString().slice(11, 16)}Z`;
}
