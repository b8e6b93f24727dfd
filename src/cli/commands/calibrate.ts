/**
 * `openastro calibrate`: master bias / dark / flat from raw frames, and their application to
 * light frames, with a MASK extension of pixel flags carried into every output.
 *
 *   calibrate master-bias B... -o master_bias.fits
 *   calibrate master-dark D... --bias master_bias.fits -o master_dark.fits
 *   calibrate master-flat F... --bias master_bias.fits --dark master_dark.fits -o master_flat.fits
 *   calibrate apply LIGHT... --bias MB --dark MD --flat MF -o OUTDIR
 *   calibrate [run] LIGHT... --bias B... --dark D... --flat F... -o OUTDIR   (all in one go)
 */
import { Command, Option } from 'commander';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeFitsFile } from '../../science/fits/writer.js';
import {
  applyCalibration,
  calibratedHdus,
  masterBias,
  masterDark,
  masterFlat,
  masterHdus,
  openFitsFrame,
  readMasterFits,
  type CalibrationMasters,
  type CombineMethod,
  type FrameCombineOptions,
  type FitsFrame,
  type MasterFrame,
} from '../../science/image/calibration.js';
import { maskSummary } from '../../science/image/mask.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';
import { progressBar } from '../progress.js';

interface CombineCli {
  method: CombineMethod;
  sigma: string;
  maxIters: string;
  memoryMb: string;
  json?: boolean;
}

interface MasterSummary {
  output: string;
  kind: MasterFrame['kind'];
  frames: number;
  method: CombineMethod;
  width: number;
  height: number;
  exposureS?: number;
  normalisation?: number;
  flagged: Record<string, number>;
}

interface LightSummary {
  input: string;
  output: string;
  exposureS: number | null;
  darkScale: number;
  flagged: Record<string, number>;
}

function combineOptions(o: CombineCli, io: CliIo, title: string): FrameCombineOptions & { finish(): void } {
  const progress = progressBar(io, title);
  return {
    method: o.method,
    sigma: parseFiniteNumber(o.sigma, '--sigma'),
    maxIters: parseInteger(o.maxIters, '--max-iters', 1, 100),
    memoryBytes: parseFiniteNumber(o.memoryMb, '--memory-mb') * 2 ** 20,
    onProgress: (done, total) => progress.update(done, total),
    finish: () => progress.finish(),
  };
}

function withCombineOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--method <method>', 'per-pixel combination').choices(['clipped-mean', 'median', 'mean']).default('clipped-mean'))
    .option('--sigma <k>', "clipping threshold (σ) of 'clipped-mean'", '3')
    .option('--max-iters <n>', "clipping iterations of 'clipped-mean'", '5')
    .option('--memory-mb <mb>', 'memory for the row bands of all frames together (MiB)', '256')
    .option('--json', 'print one JSON document');
}

async function openAll(io: CliIo, paths: string[]): Promise<FitsFrame[]> {
  const frames: FitsFrame[] = [];
  try {
    for (const p of paths) frames.push(await openFitsFrame(resolve(io.cwd, p)));
    return frames;
  } catch (e) {
    await closeAll(frames);
    throw e;
  }
}

async function closeAll(frames: FitsFrame[]): Promise<void> {
  for (const f of frames) await f.close();
}

function summary(output: string, m: MasterFrame): MasterSummary {
  return {
    output,
    kind: m.kind,
    frames: m.frames,
    method: m.method,
    width: m.width,
    height: m.height,
    ...(m.exposureS !== undefined ? { exposureS: m.exposureS } : {}),
    ...(m.normalisation !== undefined ? { normalisation: m.normalisation } : {}),
    flagged: maskSummary(m.mask) as Record<string, number>,
  };
}

async function buildMaster(
  io: CliIo,
  kind: MasterFrame['kind'],
  inputs: string[],
  output: string,
  opts: CombineCli & { hotSigma?: string; minResponse?: string },
  masters: { bias?: MasterFrame; dark?: MasterFrame },
): Promise<{ master: MasterFrame; summary: MasterSummary }> {
  const frames = await openAll(io, inputs);
  const co = combineOptions(opts, io, `master ${kind}`);
  try {
    let master: MasterFrame;
    if (kind === 'bias') master = await masterBias(frames, co);
    else if (kind === 'dark') {
      const hotSigma = opts.hotSigma === undefined ? undefined : parseFiniteNumber(opts.hotSigma, '--hot-sigma');
      master = await masterDark(frames, { ...co, bias: masters.bias, hotSigma });
    } else {
      const minResponse = opts.minResponse === undefined ? undefined : parseFiniteNumber(opts.minResponse, '--min-response');
      master = await masterFlat(frames, { ...co, bias: masters.bias, dark: masters.dark, minResponse });
    }
    co.finish();
    const out = resolve(io.cwd, output);
    await writeFitsFile(out, masterHdus(master, [`openastro calibrate: master ${kind} of ${frames.length} frames (${master.method})`, ...inputs.map((p) => `input ${basename(p)}`)]), {
      checksum: true,
    });
    return { master, summary: summary(output, master) };
  } finally {
    await closeAll(frames);
  }
}

function humanMaster(s: MasterSummary): string {
  const flags = Object.entries(s.flagged).map(([k, v]) => `${k} ${v}`);
  return `${s.output}: master ${s.kind} ${s.width}×${s.height} from ${s.frames} frames (${s.method})${s.exposureS !== undefined ? `, ${s.exposureS} s` : ''}${flags.length ? `; flagged: ${flags.join(', ')}` : ''}`;
}

interface ApplyCli {
  output: string;
  saturation?: string;
  badPixels?: string;
  suffix: string;
  json?: boolean;
}

/** Calibrate each light and write OUTDIR/<stem><suffix>.fits; one light in memory at a time. */
async function applyAll(io: CliIo, lights: string[], masters: CalibrationMasters, opts: ApplyCli): Promise<LightSummary[]> {
  const outDir = resolve(io.cwd, opts.output);
  await mkdir(outDir, { recursive: true });
  const st = await stat(outDir);
  if (!st.isDirectory()) throw new CliError(`-o ${opts.output}: not a directory`, 2);
  const saturation = opts.saturation === undefined ? undefined : parseFiniteNumber(opts.saturation, '--saturation');
  let badPixelMask: Uint8Array | undefined;
  if (opts.badPixels) {
    const f = await openFitsFrame(resolve(io.cwd, opts.badPixels));
    try {
      const d = await f.readRows(0, f.height);
      badPixelMask = Uint8Array.from(d, (v) => (v !== 0 && v === v ? 1 : 0));
    } finally {
      await f.close();
    }
  }
  const names = new Set<string>();
  const outputs = lights.map((p) => {
    const stem = basename(p).replace(/\.(fits|fit|fts)(\.fz|\.gz)?$|\.fz$/i, '');
    const name = `${stem}${opts.suffix}.fits`;
    if (names.has(name)) throw new CliError(`two lights would both be written to ${name}; rename one`, 2);
    names.add(name);
    return join(outDir, name);
  });
  const progress = progressBar(io, 'calibrate');
  const results: LightSummary[] = [];
  for (let k = 0; k < lights.length; k++) {
    const frame = await openFitsFrame(resolve(io.cwd, lights[k]));
    try {
      const data = await frame.readRows(0, frame.height);
      const sat = saturation ?? frame.header.getNumber('SATURATE');
      const cal = applyCalibration(
        { data, width: frame.width, height: frame.height, exposureS: frame.exposureS, name: lights[k] },
        masters,
        { saturationAdu: sat, badPixelMask, out: data },
      );
      const history = [
        masters.bias && !(masters.dark && !masters.dark.biasSubtracted) ? 'openastro calibrate: bias subtracted' : undefined,
        masters.dark ? `openastro calibrate: dark subtracted x${cal.darkScale.toPrecision(6)}` : undefined,
        masters.flat ? 'openastro calibrate: divided by master flat' : undefined,
      ].filter((x): x is string => x !== undefined);
      await writeFitsFile(outputs[k], calibratedHdus(cal, frame.header, history), { checksum: true });
      results.push({
        input: lights[k],
        output: outputs[k],
        exposureS: frame.exposureS ?? null,
        darkScale: cal.darkScale,
        flagged: maskSummary(cal.mask) as Record<string, number>,
      });
    } finally {
      await frame.close();
    }
    progress.update(k + 1, lights.length);
  }
  progress.finish();
  return results;
}

function humanLights(rs: LightSummary[]): string {
  return rs
    .map((r) => {
      const flags = Object.entries(r.flagged).map(([k, v]) => `${k} ${v}`);
      return `${r.input} → ${r.output}${r.darkScale ? ` (dark ×${r.darkScale.toPrecision(4)})` : ''}${flags.length ? `; flagged: ${flags.join(', ')}` : ''}`;
    })
    .join('\n');
}

async function loadMasters(io: CliIo, o: { bias?: string; dark?: string; flat?: string }): Promise<CalibrationMasters> {
  const m: CalibrationMasters = {};
  if (o.bias) m.bias = await readMasterFits(resolve(io.cwd, o.bias), 'bias');
  if (o.dark) m.dark = await readMasterFits(resolve(io.cwd, o.dark), 'dark', { assumeBiasSubtracted: Boolean(o.bias) });
  if (o.flat) m.flat = await readMasterFits(resolve(io.cwd, o.flat), 'flat');
  return m;
}

const APPLY_HELP = `
Outputs: OUTDIR/<name><suffix>.fits with the calibrated image (float32, the light's header
plus HISTORY) and a MASK extension of pixel flags: 1 BAD, 2 SATURATED, 4 NO_DATA, 8 HOT,
16 LOW_RESPONSE. calibrated = (light − bias − dark × t_light/t_dark) / flat, exposures from
EXPTIME (or EXPOSURE, EXP_TIME, ITIME); saturation from --saturation or the SATURATE keyword.`;

export function calibrateCommand(io: CliIo): Command {
  const cmd = new Command('calibrate').description('Calibration frames: build master bias, dark and flat; calibrate light frames').addHelpText(
    'after',
    `
Masters are FITS files (float32 image + MASK extension; IMAGETYP, NCOMBINE, COMBINE, EXPTIME,
BIASSUB keywords). Darks are bias-subtracted when a master bias is given, and then scaled to
each light's exposure. Frames are read in row bands, so many large frames fit in memory.
Variadic options take every following argument up to the next option: put LIGHT files
first, or end the list with --.

Examples:
  openastro calibrate master-bias bias*.fits -o master_bias.fits
  openastro calibrate master-dark dark*.fits --bias master_bias.fits -o master_dark.fits
  openastro calibrate master-flat flat*.fits --bias master_bias.fits --dark master_dark.fits -o master_flat.fits
  openastro calibrate apply light*.fits --bias master_bias.fits --dark master_dark.fits --flat master_flat.fits -o calibrated/
  openastro calibrate light*.fits --bias bias*.fits --dark dark*.fits --flat flat*.fits -o calibrated/`,
  );

  withCombineOptions(
    cmd
      .command('master-bias')
      .description('Combine bias frames into a master bias')
      .argument('<frames...>', 'bias frames (FITS, plain or tile-compressed)')
      .requiredOption('-o, --output <file>', 'master bias to write'),
  ).action(async (frames: string[], opts: CombineCli & { output: string }) => {
    const t0 = performance.now();
    const { summary: s } = await buildMaster(io, 'bias', frames, opts.output, opts, {});
    emit(io, Boolean(opts.json), { ...s, seconds: (performance.now() - t0) / 1000 }, () => humanMaster(s));
  });

  withCombineOptions(
    cmd
      .command('master-dark')
      .description('Combine dark frames (minus the master bias, scaled to a common exposure) into a master dark')
      .argument('<frames...>', 'dark frames with EXPTIME')
      .requiredOption('-o, --output <file>', 'master dark to write')
      .option('--bias <file>', 'master bias to subtract first (without it, all darks must have one exposure)')
      .option('--hot-sigma <k>', 'flag HOT where the dark exceeds its clipped median by k σ'),
  ).action(async (frames: string[], opts: CombineCli & { output: string; bias?: string; hotSigma?: string }) => {
    const t0 = performance.now();
    const masters = await loadMasters(io, { bias: opts.bias });
    const { summary: s } = await buildMaster(io, 'dark', frames, opts.output, opts, masters);
    emit(io, Boolean(opts.json), { ...s, seconds: (performance.now() - t0) / 1000 }, () => humanMaster(s));
  });

  withCombineOptions(
    cmd
      .command('master-flat')
      .description('Combine flat frames (bias and dark removed, each normalised) into a master flat of median 1')
      .argument('<frames...>', 'flat frames')
      .requiredOption('-o, --output <file>', 'master flat to write')
      .option('--bias <file>', 'master bias')
      .option('--dark <file>', 'master dark (scaled to each flat’s exposure)')
      .option('--min-response <r>', 'flag LOW_RESPONSE below this normalised response', '0.1'),
  ).action(async (frames: string[], opts: CombineCli & { output: string; bias?: string; dark?: string; minResponse?: string }) => {
    const t0 = performance.now();
    const masters = await loadMasters(io, { bias: opts.bias, dark: opts.dark });
    const { summary: s } = await buildMaster(io, 'flat', frames, opts.output, opts, masters);
    emit(io, Boolean(opts.json), { ...s, seconds: (performance.now() - t0) / 1000 }, () => humanMaster(s));
  });

  cmd
    .command('apply')
    .description('Calibrate light frames with master bias / dark / flat')
    .argument('<lights...>', 'light frames')
    .requiredOption('-o, --output <dir>', 'output directory (created if missing)')
    .option('--bias <file>', 'master bias')
    .option('--dark <file>', 'master dark')
    .option('--flat <file>', 'master flat')
    .option('--saturation <adu>', 'raw level flagged SATURATED (default: the SATURATE keyword)')
    .option('--bad-pixels <file>', 'bad-pixel map (FITS, non-zero = bad)')
    .option('--suffix <s>', 'output name suffix', '_cal')
    .option('--json', 'print one JSON document')
    .addHelpText('after', APPLY_HELP)
    .action(async (lights: string[], opts: ApplyCli & { bias?: string; dark?: string; flat?: string }) => {
      const t0 = performance.now();
      if (!opts.bias && !opts.dark && !opts.flat) throw new CliError('nothing to apply: give --bias, --dark and/or --flat', 2);
      const masters = await loadMasters(io, opts);
      const outputs = await applyAll(io, lights, masters, opts);
      emit(io, Boolean(opts.json), { outputs, seconds: (performance.now() - t0) / 1000 }, () => humanLights(outputs));
    });

  withCombineOptions(
    cmd
      .command('run', { isDefault: true })
      .description('Build the masters from raw frames and calibrate the lights (default subcommand)')
      .argument('<lights...>', 'light frames')
      .requiredOption('-o, --output <dir>', 'output directory: masters and calibrated lights')
      .option('--bias <files...>', 'raw bias frames')
      .option('--dark <files...>', 'raw dark frames')
      .option('--flat <files...>', 'raw flat frames')
      .option('--hot-sigma <k>', 'flag HOT where the dark exceeds its clipped median by k σ')
      .option('--min-response <r>', 'flag LOW_RESPONSE below this normalised flat response', '0.1')
      .option('--saturation <adu>', 'raw level flagged SATURATED (default: the SATURATE keyword)')
      .option('--bad-pixels <file>', 'bad-pixel map (FITS, non-zero = bad)')
      .option('--suffix <s>', 'output name suffix', '_cal')
      .addHelpText('after', APPLY_HELP),
  ).action(
    async (
      lights: string[],
      opts: CombineCli & ApplyCli & { bias?: string[]; dark?: string[]; flat?: string[]; hotSigma?: string; minResponse?: string },
    ) => {
      const t0 = performance.now();
      if (!opts.bias && !opts.dark && !opts.flat) throw new CliError('nothing to do: give --bias, --dark and/or --flat frames', 2);
      const outDir = resolve(io.cwd, opts.output);
      await mkdir(outDir, { recursive: true });
      const masters: CalibrationMasters = {};
      const built: MasterSummary[] = [];
      for (const kind of ['bias', 'dark', 'flat'] as const) {
        const inputs = opts[kind];
        if (!inputs || inputs.length === 0) continue;
        const { master, summary: s } = await buildMaster(io, kind, inputs, join(outDir, `master_${kind}.fits`), opts, masters);
        masters[kind] = master;
        built.push(s);
      }
      const outputs = await applyAll(io, lights, masters, opts);
      emit(io, Boolean(opts.json), { masters: built, outputs, seconds: (performance.now() - t0) / 1000 }, () =>
        [...built.map(humanMaster), humanLights(outputs)].join('\n'),
      );
    },
  );
  return cmd;
}
