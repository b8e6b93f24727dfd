/**
 * `openastro period LC.csv`: the best periods of a light curve (Lomb–Scargle), with their
 * false-alarm probabilities, and SVG plots of the periodogram and the folded light curve.
 */
import { Command } from 'commander';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { svgPlot, type PlotSeries } from '../../plot/svg.js';
import {
  autoFrequencyGrid,
  bootstrapFap,
  bootstrapMaximaAsync,
  evaluateModel,
  falseAlarmProbability,
  fitPeriodicModel,
  gridMaxFrequency,
  lombScargleAsync,
  multibandLombScargleAsync,
  parseLightCurveCsv,
  phaseFold,
  resolveMethod,
  startPeriodogramPool,
  topPeaks,
  type FrequencyGrid,
  type LightCurveTable,
  type PeriodogramPool,
  type Peak,
} from '../../science/timeseries/index.js';
import { detectLightCurveFormat, type LightCurve } from '../../science/lightcurve/index.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';
import { progressBar } from '../progress.js';
import { readerOptions, readLightCurveFile, type ReadOptions } from './lightcurve.js';

/** Largest light-curve file read (bytes). */
const MAX_FILE_BYTES = 1 << 30;
/** Work (points × frequencies × terms) above which a worker pool is worth its start-up. */
const POOL_WORK = 2e8;

interface PeriodOptions extends ReadOptions {
  minPeriod?: string;
  maxPeriod?: string;
  method: string;
  nterms: string;
  samplesPerPeak: string;
  nyquistFactor: string;
  top: string;
  band?: string;
  multiband?: boolean;
  fap: string;
  bootstraps: string;
  seed: string;
  threads?: string;
  plotDir?: string;
  json?: boolean;
}

interface PeakReport {
  periodDays: number;
  power: number;
  fap: number | null;
}

export function periodCommand(io: CliIo): Command {
  const cmd = new Command('period')
    .description('Best periods of a light curve (Lomb–Scargle), with false-alarm probabilities and SVG plots')
    .argument(
      '<file>',
      'light curve: CSV with a header t,y[,dy][,band] (names case-insensitive; also time/mjd/bjd, mag/flux, err/magerr), or an archival format (--format: AAVSO download/Extended, ETD, ExoClock, Kepler/TESS FITS)',
    )
    .option('--min-period <days>', 'shortest period searched (default: from the automatic grid, 5 × the mean Nyquist frequency)')
    .option('--max-period <days>', 'longest period searched (default: 2 × samples-per-peak × the baseline)')
    .option('--method <name>', 'auto | fast (extirpolation + FFT) | exact', 'auto')
    .option('--nterms <n>', 'Fourier terms of the model', '1')
    .option('--samples-per-peak <n>', 'frequency grid points per peak width 1/T', '10')
    .option('--nyquist-factor <x>', 'highest frequency as a multiple of the mean Nyquist frequency (without --min-period)', '5')
    .option('--top <n>', 'number of periods to report', '5')
    .option('--band <name>', 'use only the points of this band (needs a band column)')
    .option('--multiband', 'fit one period to all bands at once (VanderPlas & Ivezić 2015; needs a band column)')
    .option('--fap <method>', 'false-alarm probability: baluev | bootstrap | none (baluev needs nterms 1 and one band)', 'baluev')
    .option('--bootstraps <n>', 'bootstrap replicates for --fap bootstrap', '1000')
    .option('--seed <n>', 'random seed for the bootstrap', '1')
    .option('--threads <n>', 'worker threads for large periodograms and the bootstrap (default: all cores)')
    .option('--plot-dir <dir>', 'write <name>-periodogram.svg and <name>-folded.svg (best period) into this folder')
    .option('--json', 'print {"peaks":[{"periodDays","power","fap"}],"method","seconds"}, best first');
  // The archival readers' options (--format, --ra/--dec, --time-ref, …), as `lightcurve import` has them.
  return readerOptions(cmd).action(async (file: string, opts: PeriodOptions) => {
    await runPeriod(io, file, opts);
  });
}

async function runPeriod(io: CliIo, file: string, opts: PeriodOptions): Promise<void> {
  const method = opts.method;
  if (method !== 'auto' && method !== 'fast' && method !== 'exact') throw new CliError(`--method: '${method}' is not one of auto, fast, exact`, 2);
  const fapMethod = opts.fap;
  if (fapMethod !== 'baluev' && fapMethod !== 'bootstrap' && fapMethod !== 'none') throw new CliError(`--fap: '${fapMethod}' is not one of baluev, bootstrap, none`, 2);
  const nterms = parseInteger(opts.nterms, '--nterms', 1, 16);
  const top = parseInteger(opts.top, '--top', 1, 1000);
  const samplesPerPeak = parseFiniteNumber(opts.samplesPerPeak, '--samples-per-peak');
  const nyquistFactor = parseFiniteNumber(opts.nyquistFactor, '--nyquist-factor');
  const bootstraps = parseInteger(opts.bootstraps, '--bootstraps', 1, 1_000_000);
  const seed = parseInteger(opts.seed, '--seed', -(2 ** 53 - 1), 2 ** 53 - 1);
  const threads = opts.threads === undefined ? availableParallelism() : parseInteger(opts.threads, '--threads', 1, 256);
  const minPeriod = opts.minPeriod === undefined ? undefined : positive(opts.minPeriod, '--min-period');
  const maxPeriod = opts.maxPeriod === undefined ? undefined : positive(opts.maxPeriod, '--max-period');
  if (minPeriod !== undefined && maxPeriod !== undefined && minPeriod >= maxPeriod) throw new CliError('--min-period must be shorter than --max-period', 2);
  if (opts.band !== undefined && opts.multiband) throw new CliError('give --band or --multiband, not both', 2);

  const table = selectBand(await readTable(io, file, opts), opts, file);
  const multiband = Boolean(opts.multiband);

  const t0 = performance.now();
  let baseline = 0;
  {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of table.t) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    baseline = hi - lo;
  }
  const grid = autoFrequencyGrid(table.t, {
    samplesPerPeak,
    nyquistFactor,
    minPeriodDays: minPeriod,
    maxPeriodDays: maxPeriod,
  });
  const input = { t: table.t, y: table.y, dy: table.dy };
  const resolvedMethod = resolveMethod(table.t.length, grid, method, undefined, nterms);
  const work = table.t.length * grid.count * nterms;
  const wantBootstrap = fapMethod === 'bootstrap';
  const progress = progressBar(io, 'period');
  let pool: PeriodogramPool | undefined;
  try {
    if (threads > 1 && (work > POOL_WORK || (wantBootstrap && bootstraps * work > POOL_WORK))) pool = await startPeriodogramPool({ threads });
    progress.update(0, 3, 'periodogram');
    const power = multiband
      ? await multibandLombScargleAsync({ ...input, band: table.band! }, grid, { nbase: nterms, nband: 0, method: resolvedMethod, pool })
      : await lombScargleAsync(input, grid, { nterms, method: resolvedMethod, pool });
    progress.update(1, 3, 'peaks');
    const peaks = topPeaks(power, grid, { count: top, refine: true, minSeparation: baseline > 0 ? 1 / baseline : 0 });
    let faps: Array<number | null> = peaks.map(() => null);
    if (fapMethod === 'baluev' && !multiband && nterms === 1 && table.t.length >= 4) {
      const fmax = gridMaxFrequency(grid);
      faps = peaks.map((p) => falseAlarmProbability(Math.min(1, Math.max(0, p.power)), input, fmax));
    } else if (wantBootstrap) {
      if (multiband) throw new CliError('--fap bootstrap is not available with --multiband', 2);
      progress.update(2, 3, 'bootstrap');
      const dy = table.dy ?? new Float64Array(table.t.length).fill(1);
      const maxima = await bootstrapMaximaAsync({ t: table.t, y: table.y, dy, grid, options: { nterms, method: resolvedMethod }, seed }, bootstraps, pool);
      faps = peaks.map((p) => bootstrapFap(p.power, maxima));
    }
    progress.update(3, 3);
    progress.finish();
    const seconds = (performance.now() - t0) / 1000;
    const reports: PeakReport[] = peaks.map((p, i) => ({ periodDays: p.periodDays, power: p.power, fap: faps[i] }));
    const written = opts.plotDir ? await writePlots(resolve(io.cwd, opts.plotDir), file, table, grid, power, peaks, nterms, multiband) : [];
    emit(io, Boolean(opts.json), { peaks: reports, method: resolvedMethod, seconds }, () =>
      humanReport(file, table, grid, reports, resolvedMethod, seconds, multiband, written),
    );
  } finally {
    await pool?.stop();
  }
}

/**
 * The light curve as a table: a plain t,y,dy CSV is read as it always was (times as
 * written); archival formats (named with --format, or FITS/AAVSO detected) go through the
 * light-curve importers — to BJD_TDB when --ra/--dec are given, as written otherwise.
 */
async function readTable(io: CliIo, file: string, opts: PeriodOptions): Promise<LightCurveTable> {
  const path = resolve(io.cwd, file);
  const info = await stat(path).catch(() => {
    throw new CliError(`${file}: no such file`);
  });
  if (info.size > MAX_FILE_BYTES) throw new CliError(`${file}: ${info.size} bytes is more than the ${MAX_FILE_BYTES}-byte limit`);
  const format = opts.format ?? 'auto';
  if (format === 'csv' || (format === 'auto' && detectLightCurveFormat(await readHead(path), file) === 'csv')) {
    return parseLightCurveCsv(await readFile(path, 'utf8'), { source: file });
  }
  const haveTarget = opts.ra !== undefined || opts.dec !== undefined;
  const r = await readLightCurveFile(io, file, { ...opts, band: undefined }, { band: false, uncorrected: !haveTarget });
  for (const w of r.lightCurve.warnings) io.stderr(`openastro: warning ${w.code}: ${w.message}\n`);
  return tableOf(r.lightCurve, file, io);
}

async function readHead(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(65536);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

function tableOf(lc: LightCurve, file: string, io: CliIo): LightCurveTable {
  const n = lc.t.length;
  let known = 0;
  for (const e of lc.dy) if (e > 0) known++;
  // Mixed known and unknown errors: the points without one cannot be weighed; drop them.
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (known === 0 || known === n || lc.dy[i] > 0) keep.push(i);
  if (keep.length < n) io.stderr(`openastro: warning: ${n - keep.length} point(s) of ${file} have no error and were left out\n`);
  const band = lc.band && lc.band.some((b) => b !== '') ? keep.map((i) => lc.band![i]) : undefined;
  return {
    t: Float64Array.from(keep, (i) => lc.t[i]),
    y: Float64Array.from(keep, (i) => lc.y[i]),
    dy: known === 0 ? undefined : Float64Array.from(keep, (i) => lc.dy[i]),
    band,
    columns: { t: 'bjd_tdb', y: lc.kind, dy: known === 0 ? undefined : 'dy', band: band ? 'band' : undefined },
  };
}

function positive(text: string, what: string): number {
  const v = parseFiniteNumber(text, what);
  if (!(v > 0)) throw new CliError(`${what}: must be > 0 days, got ${text}`, 2);
  return v;
}

function selectBand(table: LightCurveTable, opts: PeriodOptions, file: string): LightCurveTable {
  if (opts.band === undefined && !opts.multiband) {
    if (table.band && new Set(table.band).size > 1) {
      throw new CliError(`${file}: has several bands (${[...new Set(table.band)].join(', ')}); choose one with --band or use --multiband`, 2);
    }
    return table;
  }
  if (!table.band) throw new CliError(`${file}: ${opts.multiband ? '--multiband' : '--band'} needs a band column (band, filter or passband)`, 2);
  if (opts.multiband) return table;
  const keep: number[] = [];
  table.band.forEach((b, i) => {
    if (b === opts.band) keep.push(i);
  });
  if (keep.length === 0) throw new CliError(`${file}: no points in band '${opts.band}' (bands: ${[...new Set(table.band)].join(', ')})`, 2);
  return {
    t: Float64Array.from(keep, (i) => table.t[i]),
    y: Float64Array.from(keep, (i) => table.y[i]),
    dy: table.dy ? Float64Array.from(keep, (i) => table.dy![i]) : undefined,
    band: keep.map((i) => table.band![i]),
    columns: table.columns,
  };
}

function humanReport(
  file: string,
  table: LightCurveTable,
  grid: FrequencyGrid,
  peaks: PeakReport[],
  method: string,
  seconds: number,
  multiband: boolean,
  written: string[],
): string {
  const fmax = gridMaxFrequency(grid);
  const bands = table.band ? new Set(table.band).size : 1;
  const lines = [
    `${file}: ${table.t.length} points${multiband ? ` in ${bands} bands (multiband)` : ''}, ${grid.count} frequencies ` +
      `(periods ${formatPeriod(1 / fmax)}–${grid.minFrequency > 0 ? formatPeriod(1 / grid.minFrequency) : '∞'} d), method ${method}, ${seconds.toFixed(3)} s`,
    ' rank  period (d)        frequency (1/d)   power     FAP',
  ];
  peaks.forEach((p, i) => {
    lines.push(
      `${String(i + 1).padStart(5)}  ${formatPeriod(p.periodDays).padEnd(16)}  ${(1 / p.periodDays).toPrecision(10).padEnd(16)}  ${p.power.toFixed(5).padEnd(8)}  ${
        p.fap === null ? '—' : p.fap.toPrecision(3)
      }`,
    );
  });
  if (written.length > 0) lines.push(`plots: ${written.join(', ')}`);
  return lines.join('\n');
}

function formatPeriod(p: number): string {
  return p >= 1000 ? p.toFixed(2) : p.toPrecision(9);
}

async function writePlots(
  dir: string,
  file: string,
  table: LightCurveTable,
  grid: FrequencyGrid,
  power: Float64Array,
  peaks: Peak[],
  nterms: number,
  multiband: boolean,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const stem = basename(file, extname(file)) || 'lightcurve';
  const periodogramPath = join(dir, `${stem}-periodogram.svg`);
  const foldedPath = join(dir, `${stem}-folded.svg`);
  const freqs = new Float64Array(grid.count);
  for (let k = 0; k < grid.count; k++) freqs[k] = grid.minFrequency + k * grid.step;
  await writeFile(
    periodogramPath,
    svgPlot([{ x: freqs, y: power, kind: 'line' }], {
      title: `${stem}: ${multiband ? 'multiband ' : ''}Lomb–Scargle periodogram`,
      xLabel: 'frequency (1/day)',
      yLabel: 'power',
      markers: peaks.slice(0, 3).map((p, i) => ({ x: p.frequency, label: `${i + 1}: P = ${formatPeriod(p.periodDays)} d` })),
    }),
  );
  const best = peaks[0];
  const invertY = /mag/i.test(table.columns.y);
  const series: PlotSeries[] = [];
  if (best && best.frequency > 0) {
    const bands = table.band && multiband ? [...new Set(table.band)] : [undefined];
    for (const b of bands) {
      const idx: number[] = [];
      for (let i = 0; i < table.t.length; i++) if (b === undefined || table.band![i] === b) idx.push(i);
      const t = Float64Array.from(idx, (i) => table.t[i]);
      const y = Float64Array.from(idx, (i) => table.y[i]);
      const dy = table.dy ? Float64Array.from(idx, (i) => table.dy![i]) : undefined;
      const epoch = table.t[0];
      const phase = phaseFold(t, best.periodDays, epoch);
      // Two cycles, so a feature at phase 0 is not cut in half.
      const x2 = Float64Array.from({ length: 2 * phase.length }, (_, j) => phase[j % phase.length] + (j >= phase.length ? 1 : 0));
      const y2 = Float64Array.from({ length: 2 * y.length }, (_, j) => y[j % y.length]);
      const e2 = dy ? Float64Array.from({ length: 2 * dy.length }, (_, j) => dy[j % dy.length]) : undefined;
      series.push({ x: x2, y: y2, yErr: e2, kind: 'points', label: b });
      if (t.length > 2 * nterms + 1) {
        try {
          const model = fitPeriodicModel({ t, y, dy }, best.frequency, { nterms });
          const mt = Float64Array.from({ length: 401 }, (_, j) => epoch + (2 * j * best.periodDays) / 400);
          const mx = Float64Array.from({ length: 401 }, (_, j) => (2 * j) / 400);
          series.push({ x: mx, y: evaluateModel(model, mt), kind: 'line', color: '#333' });
        } catch {
          // A band too sparse for the model still gets its points.
        }
      }
    }
  }
  await writeFile(
    foldedPath,
    svgPlot(series, {
      title: best ? `${stem} folded on P = ${formatPeriod(best.periodDays)} d` : `${stem}: no period found`,
      xLabel: `phase (epoch ${table.t[0]})`,
      yLabel: table.columns.y,
      invertY,
      xRange: [0, 2],
    }),
  );
  return [periodogramPath, foldedPath];
}
