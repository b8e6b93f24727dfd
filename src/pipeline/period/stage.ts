/**
 * Period stage (queue 'science'): Lomb–Scargle periodogram of the mission's light curve.
 *
 * One band: the generalised (floating-mean, weighted) periodogram, nterms 1. Several
 * bands: the multi-band periodogram (VanderPlas & Ivezić 2015; one shared period, an
 * offset per band), because the network observes one star through different filters.
 * The frequency grid is science/timeseries autoFrequencyGrid (10 samples per peak,
 * 5 × the mean Nyquist frequency) between `minPeriodDays` and the light curve's span.
 *
 * False-alarm probabilities are Baluev's (2008) analytic approximation for the standard
 * power on [0, f_max]. For the multi-band periodogram (whose model adds only the band
 * offsets, which the per-band floating means of a single-band fit also carry) the same
 * formula with N = all points is used — an approximation, said so in the product.
 *
 * Product 'periodogram': the peaks (period, power, FAP), the best period, and the
 * periodogram itself decimated for display (the highest power of each of ≤ `displayPoints`
 * frequency bins, so no peak disappears). Idempotent: same light curve, same document.
 */
import type { Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { falseAlarmProbability } from '../../science/timeseries/fap.js';
import { autoFrequencyGrid, gridMaxFrequency, type FrequencyGrid } from '../../science/timeseries/frequency-grid.js';
import { lombScargle } from '../../science/timeseries/lombscargle.js';
import { multibandLombScargle } from '../../science/timeseries/multiband.js';
import { topPeaks } from '../../science/timeseries/peaks.js';
import { productSha, readLightcurveProduct } from '../lightcurve/stage.js';
import { dropReplaced, putJsonProduct, upsertProduct } from '../lightcurve/products.js';
import type { StageContext, StageHandler } from '../stages.js';

export interface PeriodOptions {
  /** Shortest period searched, days (default: from the automatic grid). */
  minPeriodDays?: number;
  /** Longest period searched, days (default: the light curve's time span). */
  maxPeriodDays?: number;
  samplesPerPeak?: number;
  nyquistFactor?: number;
  /** Peaks reported (default 5). */
  peaks?: number;
  /** Most frequencies in the displayed periodogram (default 4000). */
  displayPoints?: number;
  /** Fewest points for a search (default 10). */
  minPoints?: number;
}

export interface PeakDoc {
  periodDays: number;
  frequencyPerDay: number;
  power: number;
  fap: number | null;
}

export interface PeriodogramDocument {
  format: 'openastro-periodogram';
  version: 1;
  missionId: string;
  method: 'lomb-scargle' | 'multiband-lomb-scargle';
  bands: string[];
  nPoints: number;
  spanDays: number;
  grid: { minFrequencyPerDay: number; stepPerDay: number; count: number };
  /** Periods (ascending) and their power, decimated for display. */
  periodsDays: number[];
  power: number[];
  peaks: PeakDoc[];
  bestPeriodDays: number | null;
  fapMethod: string;
}

export interface PeriodOutcome {
  missionId: string;
  bestPeriodDays?: number;
  bestFap?: number | null;
  peaks: PeakDoc[];
  reason?: string;
}

export function periodStage(opts: PeriodOptions = {}): StageHandler<'period'> {
  return async (input, ctx) => {
    await runPeriod(input.missionId, ctx, opts);
  };
}

export async function runPeriod(missionId: string, ctx: StageContext, opts: PeriodOptions = {}): Promise<PeriodOutcome> {
  await ctx.progress(0.05, 'reading the light curve');
  const read = await readLightcurveProduct(ctx, missionId);
  const points = read?.doc.points ?? [];
  const minPoints = Math.max(4, opts.minPoints ?? 10);
  if (points.length < minPoints) {
    const reason = `${points.length} light-curve point(s): a period search needs ${minPoints}`;
    await ctx.progress(1, reason);
    return { missionId, peaks: [], reason };
  }
  const t = Float64Array.from(points, (p) => p.bjdTdb);
  const y = Float64Array.from(points, (p) => p.mag);
  const dy = Float64Array.from(points, (p) => p.err);
  const band = points.map((p) => p.band);
  const bands = [...new Set(band)].sort();
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const v of t) [tMin, tMax] = [Math.min(tMin, v), Math.max(tMax, v)];
  const span = tMax - tMin;
  if (!(span > 0)) {
    const reason = 'all points at one time: no period can be searched';
    await ctx.progress(1, reason);
    return { missionId, peaks: [], reason };
  }
  const grid: FrequencyGrid = autoFrequencyGrid(t, {
    samplesPerPeak: opts.samplesPerPeak ?? 10,
    nyquistFactor: opts.nyquistFactor ?? 5,
    ...(opts.minPeriodDays !== undefined ? { minPeriodDays: opts.minPeriodDays } : {}),
    maxPeriodDays: opts.maxPeriodDays ?? span,
  });
  await ctx.progress(0.2, `periodogram over ${grid.count} frequencies`);
  const multiband = bands.length > 1;
  const power = multiband ? multibandLombScargle({ t, y, dy, band }, grid, { nbase: 1, nband: 0 }) : lombScargle({ t, y, dy }, grid, { nterms: 1 });
  await ctx.progress(0.8, 'peaks');
  const peaks = topPeaks(power, grid, { count: opts.peaks ?? 5, refine: true, minSeparation: 1 / span });
  const fmax = gridMaxFrequency(grid);
  const peakDocs: PeakDoc[] = peaks.map((p) => ({
    periodDays: p.periodDays,
    frequencyPerDay: p.frequency,
    power: p.power,
    fap: points.length >= 4 && p.power > 0 ? falseAlarmProbability(Math.min(1, Math.max(0, p.power)), { t, dy }, fmax) : null,
  }));
  const display = decimate(power, grid, opts.displayPoints ?? 4000);
  const doc: PeriodogramDocument = {
    format: 'openastro-periodogram',
    version: 1,
    missionId,
    method: multiband ? 'multiband-lomb-scargle' : 'lomb-scargle',
    bands,
    nPoints: points.length,
    spanDays: span,
    grid: { minFrequencyPerDay: grid.minFrequency, stepPerDay: grid.step, count: grid.count },
    periodsDays: display.periodsDays,
    power: display.power,
    peaks: peakDocs,
    bestPeriodDays: peakDocs[0]?.periodDays ?? null,
    fapMethod: multiband ? 'baluev (single-band formula with N = all points; approximate for the multi-band periodogram)' : 'baluev',
  };
  const staged = await putJsonProduct(ctx.storage, missionId, 'periodogram', doc);
  const summary = { bestPeriodDays: doc.bestPeriodDays, bestPower: peakDocs[0]?.power ?? null, bestFap: peakDocs[0]?.fap ?? null, nPoints: doc.nPoints, bands, method: doc.method };
  const now = ctx.clock.now();
  const old = await ctx.database.db.transaction().execute(async (trx: Transaction<Schema>) => {
    const live = await trx.selectFrom('missions').select('id').where('id', '=', missionId).forUpdate().executeTakeFirst();
    if (!live) return { gone: 'the mission no longer exists' };
    // The light curve changed since we read it: the period job it queued supersedes this one.
    if ((await productSha(trx, missionId, 'lightcurve')) !== read!.sha256) return { gone: 'the light curve changed meanwhile' };
    return { gone: undefined, key: await upsertProduct(trx, missionId, staged, summary, now) };
  });
  if (old.gone !== undefined) {
    const current = await ctx.database.db.selectFrom('products').select('object_key').where('mission_id', '=', missionId).where('kind', '=', 'periodogram').executeTakeFirst();
    if (current?.object_key !== staged.key) await dropReplaced(ctx.storage, staged.key);
    await ctx.progress(1, `not stored: ${old.gone}`);
    return { missionId, peaks: [], reason: old.gone };
  }
  await dropReplaced(ctx.storage, old.key);
  const best = peakDocs[0];
  await ctx.progress(1, best ? `best period ${best.periodDays.toFixed(6)} d (FAP ${best.fap === null ? 'n/a' : best.fap.toExponential(2)})` : 'no peak');
  return { missionId, peaks: peakDocs, ...(best ? { bestPeriodDays: best.periodDays, bestFap: best.fap } : {}) };
}

/** The highest power in each of ≤ `max` equal frequency bins, as (period, power) by ascending period. */
export function decimate(power: Float64Array, grid: FrequencyGrid, max: number): { periodsDays: number[]; power: number[] } {
  const n = power.length;
  const bins = Math.max(1, Math.min(n, Math.floor(max)));
  const per = n / bins;
  const out: Array<[number, number]> = [];
  for (let b = 0; b < bins; b++) {
    const lo = Math.floor(b * per);
    const hi = Math.min(n, Math.floor((b + 1) * per));
    let best = -1;
    for (let k = lo; k < hi; k++) if (Number.isFinite(power[k]) && (best < 0 || power[k] > power[best])) best = k;
    if (best < 0) continue;
    const f = grid.minFrequency + best * grid.step;
    if (f > 0) out.push([1 / f, power[best]]);
  }
  out.sort((a, b) => a[0] - b[0]);
  return { periodsDays: out.map((p) => p[0]), power: out.map((p) => p[1]) };
}
