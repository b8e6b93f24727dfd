/**
 * `openastro ttv …`: transit-timing variations.
 * - `simulate SETUP`: the n-body transit-time forward model on TTVFast's own setup +
 *   parameter files (convention in ../shared/datasets/golden-ttv/README.md), writing
 *   `planet,epoch,time,rsky,vsky` like TTVFast. `--repeat N --json` times the forward model
 *   in this process (median over N calls after a warm-up) to set beside TTVFast's figure.
 * - `fit TIMES.csv --config CONFIG`: posterior of masses and orbits (science/ttv) by ensemble
 *   MCMC (checkpoints, resume, warm start, worker threads) or nested sampling (evidence);
 *   writes the samples and a summary, and optionally an O−C diagram with the model band and
 *   a corner plot.
 * - `predict TIMES.csv --config CONFIG --samples SAMPLES`: future transit times with 68/95 %
 *   bands from the posterior draws, for scheduling.
 */
import { Command } from 'commander';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cornerPlotSvg } from '../../plot/corner.js';
import { ocDiagramSvg, type OcPanel } from '../../plot/oc.js';
import { loadStateFile, saveStateFile, type EnsembleState } from '../../science/inference/index.js';
import { fitLinearEphemeris } from '../../science/transit/ephemeris.js';
import {
  buildTtvModel,
  fitTtv,
  formatSamplesCsv,
  parseSamplesCsv,
  parseTransitTimesCsv,
  parseTtvConfig,
  predictTransitTimes,
  selectColumns,
  TtvError,
  type PredictedTransit,
  type TtvFitResult,
  type TtvModel,
} from '../../science/ttv/index.js';
import {
  formatTransitsCsv,
  parseTtvfastParams,
  parseTtvfastSetup,
  toAstrocentric,
  TransitSimulator,
  type TransitTimes,
} from '../../science/dynamics/index.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { progressBar } from '../progress.js';

/** Setup and parameter files are a few hundred bytes; refuse to slurp anything huge. */
const MAX_INPUT_BYTES = 1 << 20;
/** Transit-time tables and configurations: generous but bounded. */
const MAX_TABLE_BYTES = 64 << 20;
/** Samples files (warm start, predictions). */
const MAX_SAMPLES_BYTES = 1 << 30;

async function readSmallText(path: string, what: string, maxBytes = MAX_INPUT_BYTES): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`${what} '${path}' is not a file`);
    if (info.size > maxBytes) throw new CliError(`${what} '${path}' is ${info.size} bytes, more than the ${maxBytes} accepted`);
    return await readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${what} '${path}' does not exist`);
    throw new CliError(`cannot read ${what} '${path}': ${(err as Error).message}`);
  }
}

/** Writes `text` to `path` through a temporary file, so a failure leaves nothing half-written. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`cannot write '${path}': ${(err as Error).message}`);
  }
}

/** Writes every file through a temporary one and renames them all only when all are written. */
async function writeAllAtomically(files: Array<[string, string]>): Promise<void> {
  const tmps: string[] = [];
  try {
    for (const [path, text] of files) {
      const tmp = `${path}.tmp-${process.pid}`;
      tmps.push(tmp);
      await writeFile(tmp, text);
    }
  } catch (err) {
    await Promise.all(tmps.map((t) => unlink(t).catch(() => undefined)));
    throw new CliError(`cannot write '${files[tmps.length - 1][0]}': ${(err as Error).message}`);
  }
  for (let i = 0; i < files.length; i++) await rename(tmps[i], files[i][0]);
}

function transitsJson(t: TransitTimes): Array<{ planet: number; epoch: number; time: number; rsky: number; vsky: number }> {
  const out = [];
  for (let i = 0; i < t.count; i++) out.push({ planet: t.planet[i], epoch: t.epoch[i], time: t.timeDays[i], rsky: t.rskyAu[i], vsky: t.vskyAu[i] });
  return out;
}

interface SimulateOptions {
  output?: string;
  repeat?: string;
  step?: string;
  json?: boolean;
}

export function ttvCommand(io: CliIo): Command {
  const cmd = new Command('ttv').description('Transit-timing variations: n-body forward model, posterior of masses and orbits, predictions');

  cmd
    .command('simulate')
    .description("Transit times of a planetary system given in TTVFast's setup + parameter files")
    .argument('<setup>', "TTVFast setup file (its parameter file is read relative to the setup file's folder)")
    .option('-o, --output <file>', 'write the planet,epoch,time,rsky,vsky CSV to this file instead of stdout')
    .option('--repeat <n>', 'run the forward model N times after a warm-up; report the median seconds per call')
    .option('--step <days>', "integration step in days (default: the setup file's dt)")
    .option('--json', 'print {"transits": [...], "secondsPerCall": s} as one JSON document')
    .action(async (setupArg: string, opts: SimulateOptions) => {
      const repeat = opts.repeat === undefined ? undefined : parseInteger(opts.repeat, '--repeat', 1, 100_000);
      const stepOverride = opts.step === undefined ? undefined : parseFiniteNumber(opts.step, '--step');
      if (stepOverride !== undefined && !(stepOverride > 0)) throw new CliError(`--step: '${opts.step}' must be positive`, 2);

      const setupPath = resolve(io.cwd, setupArg);
      const setup = parseTtvfastSetup(await readSmallText(setupPath, 'setup file'), setupPath);
      const paramsPath = resolve(dirname(setupPath), setup.paramsFile);
      const paramsText = await readSmallText(paramsPath, 'parameter file');
      const system = parseTtvfastParams(paramsText, setup.nPlanets, setup.inputFlag, setup.startDays, paramsPath);
      const options = { stepDays: stepOverride ?? setup.stepDays, endDays: setup.endDays };

      // One call = state from the parsed input + integration, as a sampler would call it.
      const sim = new TransitSimulator(setup.nPlanets);
      const call = (): TransitTimes => sim.run(toAstrocentric(system), options);
      let result: TransitTimes;
      let secondsPerCall: number;
      if (repeat === undefined) {
        const t0 = performance.now();
        result = call();
        secondsPerCall = (performance.now() - t0) / 1000;
      } else {
        result = call(); // warm-up: lets the JIT compile the integrator
        const times: number[] = [];
        for (let i = 0; i < repeat; i++) {
          const t0 = performance.now();
          result = call();
          times.push((performance.now() - t0) / 1000);
        }
        times.sort((a, b) => a - b);
        secondsPerCall = times.length % 2 === 1 ? times[(times.length - 1) / 2] : 0.5 * (times[times.length / 2 - 1] + times[times.length / 2]);
      }

      const csv = formatTransitsCsv(result);
      if (opts.output !== undefined) {
        const outPath = resolve(io.cwd, opts.output);
        await writeAtomically(outPath, csv);
        io.stderr(`${result.count} transits of ${setup.nPlanets} planet(s) written to ${outPath}\n`);
      }
      if (opts.json) {
        io.stdout(JSON.stringify({ transits: transitsJson(result), secondsPerCall }) + '\n');
      } else {
        if (opts.output === undefined) io.stdout(csv);
        if (repeat !== undefined) io.stderr(`median ${(secondsPerCall * 1000).toFixed(3)} ms per call over ${repeat} calls\n`);
      }
    });
  cmd
    .command('fit')
    .description('Posterior of planetary masses and orbits from transit times (ensemble MCMC or nested sampling)')
    .argument('<times>', 'CSV of transit times: planet,epoch,time,sigma (days; planet = a name from the config)')
    .requiredOption('--config <file>', 'model: star, planets, priors (JSON or YAML; see docs/decisions/0016)')
    .option('--sampler <name>', 'ensemble | nested (default: the config\'s, else ensemble)')
    .option('--steps <n>', 'ensemble steps (default 2000)')
    .option('--walkers <n>', 'ensemble walkers (default max(32, 4 × parameters))')
    .option('--burn-in <n>', 'ensemble steps dropped (default half)')
    .option('--live <n>', 'nested live points (default 400)')
    .option('--threads <n>', 'worker threads evaluating the likelihood (ensemble; default 0 = in-process)')
    .option('--seed <n>', 'random seed (default 1)')
    .option('--checkpoint <file>', 'save the ensemble state to this file while running')
    .option('--checkpoint-every <n>', 'steps between checkpoints (default steps / 20)')
    .option('--resume', 'continue the run saved in --checkpoint')
    .option('--warm-start <samples>', 'start the walkers from a previous posterior (samples CSV)')
    .option('--out-dir <dir>', 'where ttv-samples.csv and ttv-summary.json are written', '.')
    .option('--plot-dir <dir>', 'also write oc.svg (data and model band) and corner.svg there')
    .option('--json', 'print the summary as one JSON document')
    .action(async (timesArg: string, opts: FitOptions) => runFit(io, timesArg, opts));

  cmd
    .command('predict')
    .description('Future transit times with 68 % and 95 % bands from posterior samples')
    .argument('<times>', 'the transit-time CSV the samples were fitted to (numbers the epochs)')
    .requiredOption('--config <file>', 'the model configuration of the fit')
    .requiredOption('--samples <file>', 'posterior samples CSV written by `ttv fit`')
    .option('--from <bjd>', 'report transits from this time (default: after the last observed transit)')
    .option('--to <bjd>', 'report transits up to this time')
    .option('--days <n>', 'or: up to this many days after --from (default 365)')
    .option('--planet <name...>', 'only these planets')
    .option('--draws <n>', 'posterior draws integrated (default 500)')
    .option('--seed <n>', 'seed for choosing the draws (default 1)')
    .option('-o, --output <file>', 'write the CSV to this file instead of stdout')
    .option('--json', 'print {"transits": [...]} as one JSON document')
    .action(async (timesArg: string, opts: PredictOptions) => runPredict(io, timesArg, opts));
  return cmd;
}

interface FitOptions {
  config: string;
  sampler?: string;
  steps?: string;
  walkers?: string;
  burnIn?: string;
  live?: string;
  threads?: string;
  seed?: string;
  checkpoint?: string;
  checkpointEvery?: string;
  resume?: boolean;
  warmStart?: string;
  outDir: string;
  plotDir?: string;
  json?: boolean;
}

interface PredictOptions {
  config: string;
  samples: string;
  from?: string;
  to?: string;
  days?: string;
  planet?: string[];
  draws?: string;
  seed?: string;
  output?: string;
  json?: boolean;
}

async function loadModel(io: CliIo, timesArg: string, configArg: string): Promise<{ model: TtvModel; sampler: ReturnType<typeof parseTtvConfig>['sampler'] }> {
  const timesPath = resolve(io.cwd, timesArg);
  const configPath = resolve(io.cwd, configArg);
  const data = parseTransitTimesCsv(await readSmallText(timesPath, 'transit-time file', MAX_TABLE_BYTES), timesPath);
  const cfg = parseTtvConfig(await readSmallText(configPath, 'configuration', MAX_TABLE_BYTES), configPath);
  try {
    return { model: buildTtvModel(cfg.model, data), sampler: cfg.sampler };
  } catch (err) {
    // Configuration errors name the file they came from.
    if (err instanceof TtvError && err.code === 'BAD_CONFIG' && err.location.file === undefined) throw new TtvError(err.code, err.detail, { ...err.location, file: configPath });
    throw err;
  }
}

/** Identifies a model and its data, so a checkpoint is never resumed against another fit. */
function fingerprint(model: TtvModel): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(model.parameters));
  h.update(JSON.stringify(model.planets));
  h.update(JSON.stringify([model.stellarMassMsun, model.referenceEpochDays, model.endDays, model.stepDays, model.jitterDays]));
  for (const a of [model.data.planet, model.data.epoch, model.data.timeDays, model.data.sigmaDays]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest('hex');
}

async function runFit(io: CliIo, timesArg: string, opts: FitOptions): Promise<void> {
  // Usage errors first, before any file is read.
  if (opts.sampler !== undefined && opts.sampler !== 'ensemble' && opts.sampler !== 'nested') throw new CliError(`--sampler: '${opts.sampler}' must be ensemble or nested`, 2);
  if (opts.resume && !opts.checkpoint) throw new CliError('--resume needs --checkpoint FILE', 2);
  const { model, sampler: sc } = await loadModel(io, timesArg, opts.config);
  const sampler = opts.sampler ?? sc.kind ?? 'ensemble';
  if (sampler !== 'ensemble' && sampler !== 'nested') throw new CliError(`--sampler: '${sampler}' must be ensemble or nested`, 2);
  const int = (text: string | undefined, what: string, min: number, max: number, fallback: number | undefined): number | undefined =>
    text === undefined ? fallback : parseInteger(text, what, min, max);
  const nSteps = int(opts.steps, '--steps', 2, 10_000_000, sc.nSteps);
  const seed = int(opts.seed, '--seed', 0, Number.MAX_SAFE_INTEGER, sc.seed) ?? 1;
  const threads = int(opts.threads, '--threads', 0, 256, sc.threads) ?? 0;
  if (sampler === 'nested' && (opts.checkpoint || opts.resume || opts.warmStart)) {
    throw new CliError('--checkpoint, --resume and --warm-start work with the ensemble sampler only', 2);
  }
  const steps = nSteps ?? 2000;
  const outDir = resolve(io.cwd, opts.outDir);
  const plotDir = opts.plotDir === undefined ? undefined : resolve(io.cwd, opts.plotDir);
  const checkpointPath = opts.checkpoint === undefined ? undefined : resolve(io.cwd, opts.checkpoint);
  const print = fingerprint(model);

  let resumeFrom: EnsembleState | undefined;
  if (opts.resume && checkpointPath) {
    let meta: { fingerprint?: string };
    try {
      meta = JSON.parse(await readFile(`${checkpointPath}.meta.json`, 'utf8')) as { fingerprint?: string };
      resumeFrom = await loadStateFile(checkpointPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new CliError(`checkpoint '${checkpointPath}' (or its .meta.json) does not exist; run once with --checkpoint first`);
      throw err;
    }
    if (meta.fingerprint !== print) throw new CliError(`checkpoint '${checkpointPath}' belongs to another model or other transit times; refusing to resume`);
  }
  const warmStart = opts.warmStart === undefined ? undefined : parseSamplesCsv(await readSmallText(resolve(io.cwd, opts.warmStart), 'warm-start samples', MAX_SAMPLES_BYTES), resolve(io.cwd, opts.warmStart));

  const bar = progressBar(io, sampler === 'nested' ? 'ttv fit (nested)' : 'ttv fit');
  let checkpoint;
  if (checkpointPath) {
    const every = int(opts.checkpointEvery, '--checkpoint-every', 1, 10_000_000, undefined) ?? Math.max(1, Math.floor(steps / 20));
    await mkdir(dirname(checkpointPath), { recursive: true });
    await writeAtomically(`${checkpointPath}.meta.json`, JSON.stringify({ fingerprint: print, parameters: model.parameters.map((q) => q.name) }) + '\n');
    checkpoint = { every, save: (state: EnsembleState) => saveStateFile(checkpointPath, state) };
  }
  let fit: TtvFitResult;
  try {
    fit = await fitTtv(model, {
      sampler,
      seed,
      nSteps: steps,
      nWalkers: int(opts.walkers, '--walkers', 4, 100_000, sc.nWalkers),
      burnIn: int(opts.burnIn, '--burn-in', 0, 10_000_000, sc.burnIn),
      thin: sc.thin,
      threads,
      nLive: int(opts.live, '--live', 2, 1_000_000, sc.nLive),
      dlogz: sc.dlogz,
      posteriorDraws: sc.posteriorDraws,
      checkpoint,
      resumeFrom,
      warmStart,
      onProgress: (f, label) => bar.update(f, 1, label),
    });
  } finally {
    bar.finish();
  }

  const samplesPath = join(outDir, 'ttv-samples.csv');
  const summaryPath = join(outDir, 'ttv-summary.json');
  const paths: Record<string, string> = { samples: samplesPath, summary: summaryPath };
  const files: Array<[string, string]> = [[samplesPath, formatSamplesCsv(fit.parameterNames, fit.samples, { log_posterior: fit.logPosterior })]];
  if (plotDir) {
    paths.oc = join(plotDir, 'oc.svg');
    paths.corner = join(plotDir, 'corner.svg');
    files.push([paths.oc, ocSvg(model, fit)]);
    files.push([paths.corner, cornerPlotSvg(fit.samples, fit.nDim, { names: fit.parameterNames, title: `TTV posterior (${fit.nSamples} draws)` })]);
    await mkdir(plotDir, { recursive: true });
  }
  const summary = summaryDoc(model, fit, paths);
  files.push([summaryPath, JSON.stringify(summary, null, 2) + '\n']);
  await mkdir(outDir, { recursive: true });
  await writeAllAtomically(files);
  if (opts.json) io.stdout(JSON.stringify(summary) + '\n');
  else io.stdout(humanSummary(fit) + Object.entries(paths).map(([k, v]) => `${k}: ${v}`).join('\n') + '\n');
}

function summaryDoc(model: TtvModel, fit: TtvFitResult, files: Record<string, string>): Record<string, unknown> {
  return {
    sampler: fit.sampler,
    nSamples: fit.nSamples,
    referenceEpochDays: model.referenceEpochDays,
    parameters: fit.summary,
    bestFit: {
      values: Object.fromEntries(fit.parameterNames.map((n, i) => [n, fit.bestFit.theta[i]])),
      logPosterior: fit.bestFit.logPosterior,
      logLikelihood: fit.bestFit.logLikelihood,
    },
    ...(fit.evidence ? { evidence: fit.evidence } : {}),
    diagnostics: fit.diagnostics,
    files: { ...files },
  };
}

function humanSummary(fit: TtvFitResult): string {
  const lines: string[] = [];
  lines.push(`${fit.sampler} sampler, ${fit.nSamples} posterior draws`);
  const w = Math.max(...fit.summary.map((s) => s.name.length));
  for (const s of fit.summary) {
    const d = decimalsFor(Math.min(s.hi68 - s.median, s.median - s.lo68));
    lines.push(`  ${s.name.padEnd(w)}  ${s.median.toFixed(d)}  +${(s.hi68 - s.median).toFixed(d)} −${(s.median - s.lo68).toFixed(d)}   95 %: [${s.lo95.toFixed(d)}, ${s.hi95.toFixed(d)}]`);
  }
  if (fit.evidence) lines.push(`log Z = ${fit.evidence.logZ.toFixed(2)} ± ${fit.evidence.logZErr.toFixed(2)}`);
  const dg = fit.diagnostics;
  if (dg.acceptance !== undefined) {
    lines.push(`acceptance ${dg.acceptance.toFixed(2)}, max τ ${Math.max(...(dg.autocorrTime ?? [NaN])).toFixed(1)} steps${dg.autocorrReliable ? '' : ' (chain shorter than 50 τ: run longer, e.g. --resume with more --steps)'}`);
  }
  lines.push(`${dg.likelihoodCalls} likelihood calls`);
  return lines.join('\n') + '\n';
}

function decimalsFor(err: number): number {
  return err > 0 && Number.isFinite(err) ? Math.min(10, Math.max(0, 1 - Math.floor(Math.log10(err)))) : 4;
}

/** O−C of every observed planet (minutes, against its linear ephemeris) with the posterior band. */
function ocSvg(model: TtvModel, fit: TtvFitResult): string {
  const d = model.data;
  let tMin = Infinity;
  for (let r = 0; r < d.timeDays.length; r++) tMin = Math.min(tMin, d.timeDays[r]);
  const offset = Math.floor(tMin / 100) * 100;
  const pred = predictTransitTimes(model, fit.samples, { toDays: model.endDays, maxDraws: 200, seed: 7 });
  const panels: OcPanel[] = [];
  model.planets.forEach((pl, p) => {
    if (!pl.ephemeris) return;
    const rows: number[] = [];
    for (let r = 0; r < d.timeDays.length; r++) if (d.planet[r] === p) rows.push(r);
    const eph = fitLinearEphemeris(rows.map((r) => d.epoch[r]), rows.map((r) => d.timeDays[r]), rows.map((r) => d.sigmaDays[r]));
    const calc = (e: number) => eph.t0 + (e - eph.referenceEpoch) * eph.periodDays;
    const band = pred.filter((q) => q.planet === pl.name);
    const min = (v: number) => v * 1440;
    panels.push({
      title: `${pl.name}: P = ${eph.periodDays.toFixed(6)} d`,
      points: { x: rows.map((r) => d.timeDays[r] - offset), y: rows.map((r) => min(d.timeDays[r] - calc(d.epoch[r]))), yErr: rows.map((r) => min(d.sigmaDays[r])) },
      band: bandOf(band, calc, offset),
    });
  });
  return ocDiagramSvg(panels, { title: 'O−C: observed transit times and the posterior model (68 % and 95 % bands)', xLabel: `BJD_TDB − ${offset}` });
}

function bandOf(pred: PredictedTransit[], calc: (e: number) => number, offset: number): OcPanel['band'] {
  const m = (v: number, e: number) => (v - calc(e)) * 1440;
  return {
    x: pred.map((q) => q.medianDays - offset),
    lo95: pred.map((q) => m(q.lo95Days, q.epoch)),
    lo68: pred.map((q) => m(q.lo68Days, q.epoch)),
    median: pred.map((q) => m(q.medianDays, q.epoch)),
    hi68: pred.map((q) => m(q.hi68Days, q.epoch)),
    hi95: pred.map((q) => m(q.hi95Days, q.epoch)),
  };
}

async function runPredict(io: CliIo, timesArg: string, opts: PredictOptions): Promise<void> {
  const { model } = await loadModel(io, timesArg, opts.config);
  const samplesPath = resolve(io.cwd, opts.samples);
  const table = parseSamplesCsv(await readSmallText(samplesPath, 'samples file', MAX_SAMPLES_BYTES), samplesPath);
  const samples = selectColumns(table, model.parameters.map((q) => q.name));
  let tLast = -Infinity;
  for (const t of model.data.timeDays) tLast = Math.max(tLast, t);
  const from = opts.from === undefined ? tLast : parseFiniteNumber(opts.from, '--from');
  if (opts.to !== undefined && opts.days !== undefined) throw new CliError('give --to or --days, not both', 2);
  const days = opts.days === undefined ? 365 : parseFiniteNumber(opts.days, '--days');
  if (!(days > 0)) throw new CliError(`--days: '${opts.days}' must be positive`, 2);
  const to = opts.to === undefined ? from + days : parseFiniteNumber(opts.to, '--to');
  if (!(to > from)) throw new CliError(`--to (${to}) must be after --from (${from})`, 2);
  const draws = opts.draws === undefined ? 500 : parseInteger(opts.draws, '--draws', 1, 1_000_000);
  const seed = opts.seed === undefined ? 1 : parseInteger(opts.seed, '--seed', 0, Number.MAX_SAFE_INTEGER);
  const bar = progressBar(io, 'ttv predict');
  let pred: PredictedTransit[];
  try {
    pred = predictTransitTimes(model, samples, { fromDays: from, toDays: to, planets: opts.planet, maxDraws: draws, seed, onProgress: (d, t) => bar.update(d, t) });
  } finally {
    bar.finish();
  }
  const csv = ['planet,epoch,median,lo68,hi68,lo95,hi95,sigma,n_draws', ...pred.map((q) => [q.planet, q.epoch, q.medianDays, q.lo68Days, q.hi68Days, q.lo95Days, q.hi95Days, q.sigmaDays, q.nDraws].join(','))].join('\n') + '\n';
  if (opts.output !== undefined) {
    const out = resolve(io.cwd, opts.output);
    await writeAtomically(out, csv);
    io.stderr(`${pred.length} predicted transits written to ${out}\n`);
  }
  if (opts.json) io.stdout(JSON.stringify({ from, to, transits: pred }) + '\n');
  else if (opts.output === undefined) io.stdout(csv);
}
