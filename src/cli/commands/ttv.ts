/**
 * `openastro ttv simulate SETUP`: the n-body transit-time forward model on TTVFast's own
 * setup + parameter files (convention in ../shared/datasets/golden-ttv/README.md), writing
 * `planet,epoch,time,rsky,vsky` like TTVFast. `--repeat N --json` times the forward model in
 * this process (median over N calls after a warm-up) so it can be set beside TTVFast's figure.
 */
import { Command } from 'commander';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
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

/** Setup and parameter files are a few hundred bytes; refuse to slurp anything huge. */
const MAX_INPUT_BYTES = 1 << 20;

async function readSmallText(path: string, what: string): Promise<string> {
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`${what} '${path}' is not a file`);
    if (info.size > MAX_INPUT_BYTES) throw new CliError(`${what} '${path}' is ${info.size} bytes; a TTVFast input file is far smaller`);
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
  const cmd = new Command('ttv').description('Transit-timing variations: the n-body forward model');

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
  return cmd;
}
