/**
 * `openastro transit fit LC.csv --period P --t0 T`: mid-transit times of every transit in a
 * light curve (science/transit fitTransitLightCurve): a window around each predicted
 * transit, a baseline polynomial × transit model, one shape shared by all windows or free
 * in each, mid-times with Laplace and (by default) MCMC uncertainties, partial transits
 * flagged, a linear ephemeris by weighted least squares and O−C with errors. The CSV it
 * exports (`planet,epoch,time,sigma,…`) is what `openastro ttv fit` reads. With a plot
 * directory it writes the folded light curve with the model and the O−C diagram as SVG.
 *
 * The light curve is a CSV with a header: time (t, time, bjd, bjd_tdb, …), flux (flux, y,
 * rel_flux, …) and optionally its 1σ (flux_err, err, sigma, …). Without uncertainties,
 * every point gets the robust scatter of the flux (1.4826 × MAD of successive differences / √2).
 */
import { Command } from 'commander';
import { mkdir, rename, stat, unlink, writeFile, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ocDiagramSvg } from '../../plot/oc.js';
import { svgPlot } from '../../plot/svg.js';
import { parseLightCurveCsv } from '../../science/timeseries/csv.js';
import {
  fitTransitLightCurve,
  formatLightCurveFitCsv,
  transitDurations,
  transitLightCurve,
  type LightCurveFitResult,
  type TransitShape,
} from '../../science/transit/index.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { progressBar } from '../progress.js';

const MAX_FILE_BYTES = 1 << 30;

interface FitOptions {
  period: string;
  t0: string;
  rp?: string;
  a?: string;
  inc?: string;
  u1?: string;
  u2?: string;
  window?: string;
  baselineOrder: string;
  freeShape?: boolean;
  mcmc: boolean;
  mcmcSteps: string;
  mcmcWalkers?: string;
  seed: string;
  includePartial?: boolean;
  planet: string;
  output?: string;
  plot?: boolean;
  plotDir?: string;
  json?: boolean;
}

export function transitCommand(io: CliIo): Command {
  const cmd = new Command('transit').description('Transit light curves: mid-transit times, ephemeris, O−C');
  cmd
    .command('fit')
    .description('Fit every transit window of a light curve: mid-times (MCMC and Laplace errors), partial flags, linear ephemeris, O−C')
    .argument('<lc>', 'CSV light curve: time (BJD_TDB), relative flux, optional flux error')
    .requiredOption('--period <days>', 'orbital period (days) predicting the transits')
    .requiredOption('--t0 <bjd>', 'a mid-transit time; its transit is epoch 0')
    .option('--rp <ratio>', 'Rp/R* (default: estimated from the data)')
    .option('--a <ratio>', 'a/R* (default: estimated)')
    .option('--inc <deg>', 'inclination (default: estimated)')
    .option('--u1 <u>', 'quadratic limb darkening u1', '0.4')
    .option('--u2 <u>', 'quadratic limb darkening u2', '0.26')
    .option('--window <days>', 'half-width of each transit window (default 1.5 × the transit duration)')
    .option('--baseline-order <k>', 'degree of the baseline polynomial per window', '1')
    .option('--free-shape', 'fit Rp/R*, a/R* and b in every window (default: one shape shared by all)')
    .option('--no-mcmc', 'Laplace (curvature) errors only, no MCMC per window')
    .option('--mcmc-steps <n>', 'MCMC steps per window', '1000')
    .option('--mcmc-walkers <n>', 'MCMC walkers per window (default max(16, 2 × parameters + 2))')
    .option('--seed <n>', 'random seed of the MCMC', '1')
    .option('--include-partial', 'use partial transits in the ephemeris fit too')
    .option('--planet <name>', 'planet name written in the CSV', 'b')
    .option('-o, --output <file>', 'write the transit-time CSV here')
    .option('--plot', 'write transit-lc.svg and transit-oc.svg in the working directory')
    .option('--plot-dir <dir>', 'write the SVG plots in this directory')
    .option('--json', 'print the result as one JSON document')
    .action(async (lcArg: string, opts: FitOptions) => runFit(io, lcArg, opts));
  return cmd;
}

async function runFit(io: CliIo, lcArg: string, opts: FitOptions): Promise<void> {
  const num = (text: string | undefined, what: string): number | undefined => (text === undefined ? undefined : parseFiniteNumber(text, what));
  const periodDays = num(opts.period, '--period')!;
  if (!(periodDays > 0)) throw new CliError(`--period: '${opts.period}' must be positive`, 2);
  const t0Days = num(opts.t0, '--t0')!;
  const order = parseInteger(opts.baselineOrder, '--baseline-order', 0, 5);
  const mcmcSteps = parseInteger(opts.mcmcSteps, '--mcmc-steps', 10, 1_000_000);
  const mcmcWalkers = opts.mcmcWalkers === undefined ? undefined : parseInteger(opts.mcmcWalkers, '--mcmc-walkers', 4, 10_000);
  const seed = parseInteger(opts.seed, '--seed', 0, Number.MAX_SAFE_INTEGER);
  const window = num(opts.window, '--window');
  if (window !== undefined && !(window > 0)) throw new CliError(`--window: '${opts.window}' must be positive`, 2);
  if (!/^[^\s,]+$/.test(opts.planet)) throw new CliError(`--planet: '${opts.planet}' must be a name without spaces or commas`, 2);
  const shape: Partial<TransitShape> = { u: [num(opts.u1, '--u1')!, num(opts.u2, '--u2')!] };
  const rp = num(opts.rp, '--rp');
  const a = num(opts.a, '--a');
  const inc = num(opts.inc, '--inc');
  if (rp !== undefined) shape.rp = rp;
  if (a !== undefined) shape.a = a;
  if (inc !== undefined) shape.incDeg = inc;

  const path = resolve(io.cwd, lcArg);
  const text = await readText(path);
  const table = parseLightCurveCsv(text, { source: path });
  const sigma = table.dy ?? robustScatter(table.y);
  if (!table.dy) io.stderr(`no flux-error column: every point gets the flux scatter ${sigma[0].toPrecision(3)}\n`);

  const bar = progressBar(io, 'transit fit');
  let result: LightCurveFitResult;
  try {
    result = await fitTransitLightCurve(table.t, table.y, sigma, {
      periodDays,
      t0Days,
      shape,
      windowHalfWidthDays: window,
      baselineOrder: order,
      shapeMode: opts.freeShape ? 'free' : 'shared',
      mcmc: opts.mcmc ? { seed, nSteps: mcmcSteps, nWalkers: mcmcWalkers } : undefined,
      includePartial: opts.includePartial,
      onProgress: (d, t) => bar.update(d, t),
    });
  } finally {
    bar.finish();
  }

  const files: Array<[string, string]> = [];
  const csv = formatLightCurveFitCsv(result, opts.planet);
  if (opts.output !== undefined) files.push([resolve(io.cwd, opts.output), csv]);
  const plotDir = opts.plotDir !== undefined ? resolve(io.cwd, opts.plotDir) : opts.plot ? io.cwd : undefined;
  if (plotDir) {
    files.push([join(plotDir, 'transit-lc.svg'), lightCurveSvg(table.t, table.y, result, periodDays)]);
    files.push([join(plotDir, 'transit-oc.svg'), ocSvg(result, opts.planet)]);
    await mkdir(plotDir, { recursive: true });
  }
  await writeAll(files);
  if (opts.json) {
    io.stdout(JSON.stringify({ planet: opts.planet, shape: result.shape, ephemeris: result.ephemeris, windows: result.windows, ocDays: result.ocDays, ocSigmaDays: result.ocSigmaDays, skipped: result.skipped, files: files.map((f) => f[0]) }) + '\n');
  } else {
    io.stdout(humanReport(result, opts.planet, Boolean(opts.freeShape)) + (files.length > 0 ? files.map((f) => `wrote ${f[0]}\n`).join('') : ''));
    if (opts.output === undefined && !opts.json) io.stdout('\n' + csv);
  }
}

async function readText(path: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`light curve '${path}' is not a file`);
    if (info.size > MAX_FILE_BYTES) throw new CliError(`light curve '${path}' is ${info.size} bytes, more than the ${MAX_FILE_BYTES} accepted`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`light curve '${path}' does not exist`);
    throw new CliError(`cannot read light curve '${path}': ${(err as Error).message}`);
  }
}

/** Every output through a temporary file; renamed only when all are written. */
async function writeAll(files: Array<[string, string]>): Promise<void> {
  const tmps: string[] = [];
  try {
    for (const [p, text] of files) {
      const tmp = `${p}.tmp-${process.pid}`;
      tmps.push(tmp);
      await writeFile(tmp, text);
    }
  } catch (err) {
    await Promise.all(tmps.map((t) => unlink(t).catch(() => undefined)));
    throw new CliError(`cannot write '${files[tmps.length - 1][0]}': ${(err as Error).message}`);
  }
  for (let i = 0; i < files.length; i++) await rename(tmps[i], files[i][0]);
}

/** 1.4826 × MAD of successive differences / √2: white-noise σ, insensitive to transits and trends. */
function robustScatter(y: Float64Array): Float64Array {
  const d = new Float64Array(Math.max(0, y.length - 1));
  for (let i = 1; i < y.length; i++) d[i - 1] = y[i] - y[i - 1];
  const s = d.slice().sort();
  const med = s.length ? s[Math.floor(s.length / 2)] : 0;
  const dev = d.map((v) => Math.abs(v - med)).sort();
  const mad = dev.length ? dev[Math.floor(dev.length / 2)] : 0;
  const sigma = (1.4826 * mad) / Math.SQRT2;
  if (!(sigma > 0)) throw new CliError('the flux has no scatter to estimate its uncertainty from; add a flux-error column');
  return new Float64Array(y.length).fill(sigma);
}

function humanReport(r: LightCurveFitResult, planet: string, freeShape: boolean): string {
  const e = r.ephemeris;
  const lines = [
    `${freeShape ? 'starting shape (fitted per window)' : 'shared shape'}: Rp/R* ${r.shape.rp.toFixed(5)}, a/R* ${r.shape.a.toFixed(3)}, i ${r.shape.incDeg.toFixed(3)}°`,
    `ephemeris (${planet}): T0 = ${e.t0.toFixed(6)} ± ${e.sigmaT0.toFixed(6)} (epoch ${e.referenceEpoch}), P = ${e.periodDays.toFixed(7)} ± ${e.sigmaPeriod.toFixed(7)} d, χ²/dof = ${(e.chi2 / Math.max(e.dof, 1)).toFixed(2)}`,
    'epoch  time               σ (min)  σ Laplace (min)  O−C (min)  partial',
  ];
  r.windows.forEach((w, i) => {
    lines.push(
      `${String(w.epoch).padStart(5)}  ${w.tcDays.toFixed(6).padEnd(17)}  ${(w.sigmaDays * 1440).toFixed(2).padStart(7)}  ${(w.sigmaLaplaceDays * 1440).toFixed(2).padStart(15)}  ${(r.ocDays[i] * 1440).toFixed(2).padStart(9)}  ${w.partial ? 'yes' : ''}`,
    );
  });
  for (const k of r.skipped) lines.push(`epoch ${k.epoch} skipped: ${k.reason}`);
  return lines.join('\n') + '\n';
}

/** The light curve folded on each window's own mid-time and divided by its baseline, with the model. */
function lightCurveSvg(t: Float64Array, flux: Float64Array, r: LightCurveFitResult, periodDays: number): string {
  const x: number[] = [];
  const y: number[] = [];
  let hw = 0;
  for (const w of r.windows) {
    hw = Math.max(hw, w.halfSpanDays);
    for (let i = 0; i < t.length; i++) {
      const dt = t[i] - w.tcDays;
      if (Math.abs(t[i] - w.baselineReferenceDays) > w.halfSpanDays * 1.0001 + 1e-9) continue;
      const xx = (t[i] - w.baselineReferenceDays) / w.halfSpanDays;
      let bl = 0;
      for (let k = w.baseline.length - 1; k >= 0; k--) bl = bl * xx + w.baseline[k];
      x.push(dt * 24);
      y.push(flux[i] / bl);
    }
  }
  const n = 600;
  const grid = Float64Array.from({ length: n }, (_, i) => -hw + (2 * hw * i) / (n - 1));
  const model = transitLightCurve(grid, { t0: 0, periodDays, ...r.shape });
  const { t14 } = transitDurations(periodDays, r.shape);
  return svgPlot(
    [
      { x, y, kind: 'points', label: `${r.windows.length} transits` },
      { x: Array.from(grid, (g) => g * 24), y: model, kind: 'line', label: 'model', color: '#d62728' },
    ],
    {
      title: `Folded on the fitted mid-times (T14 = ${(t14 * 24).toFixed(2)} h)`,
      xLabel: 'hours from mid-transit',
      yLabel: 'flux / baseline',
      markers: [{ x: (-t14 / 2) * 24 }, { x: (t14 / 2) * 24 }],
    },
  );
}

function ocSvg(r: LightCurveFitResult, planet: string): string {
  const e = r.ephemeris;
  return ocDiagramSvg(
    [
      {
        title: `${planet}: P = ${e.periodDays.toFixed(7)} d, T0 = ${e.t0.toFixed(5)} (epoch ${e.referenceEpoch})`,
        points: {
          x: r.windows.map((w) => w.epoch),
          y: r.ocDays.map((v) => v * 1440),
          yErr: r.ocSigmaDays.map((v) => v * 1440),
          hollow: r.windows.map((w) => w.partial),
        },
      },
    ],
    { title: 'O−C of the fitted transit times (partial transits hollow)', xLabel: 'epoch' },
  );
}
