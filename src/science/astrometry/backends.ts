/**
 * Interchangeable plate solvers behind one interface: our own (hinted, then blind), and
 * adapters for astrometry.net's `solve-field` and ASTAP that run the tool on the frame and
 * read its WCS output back with our FITS and WCS readers. External tools run through an
 * injectable command runner (tests substitute a fake one).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readBinTable } from '../fits/bintable.js';
import { FitsError } from '../fits/errors.js';
import { Header, parseCard } from '../fits/header.js';
import { FitsReader } from '../fits/reader.js';
import { angularSeparationDeg, isFlipped, pixelScaleArcsec, rotationDeg } from '../wcs/geometry.js';
import { pixToSky } from '../wcs/transform.js';
import { wcsFromHeader, type Wcs } from '../wcs/wcs.js';
import { solveBlind } from './blind.js';
import { CatalogFile, type StarCatalog } from './catalog.js';
import { AstrometryError } from './errors.js';
import { detectStars, readSolveFrame } from './frame.js';
import { readSkyIndex, type SkyIndex } from './sky-index.js';
import { solveConeRadiusDeg, solveHinted, type SolveResult } from './solve.js';

export interface BackendSolveOptions {
  /** Where the telescope pointed and how far off the image centre may be, degrees. */
  hint?: { raDeg: number; decDeg: number; radiusDeg: number };
  scaleLowArcsecPerPx?: number;
  scaleHighArcsecPerPx?: number;
  /** 0-based HDU of the image (default: the first 2-D image). */
  hdu?: number;
  /** Observation epoch (Julian year) for catalog proper motions. */
  epochYr?: number;
  /** Give up after this long (default 60 s). */
  timeLimitS?: number;
}

export interface SolveOutcome {
  backend: string;
  solved: boolean;
  /** 'hinted' or 'blind' for the native backend. */
  mode?: 'hinted' | 'blind';
  wcs?: Wcs;
  /** HDU the WCS belongs to. */
  hdu: number;
  imageWidth: number;
  imageHeight: number;
  /** Image centre, degrees. */
  raDeg?: number;
  decDeg?: number;
  scaleArcsecPerPx?: number;
  rotationDeg?: number;
  flipped?: boolean;
  matched?: number;
  rmsArcsec?: number;
  rmsPx?: number;
  seconds: number;
  /** Why it did not solve (`solve_failed: …`). */
  reason?: string;
}

export interface SolverBackend {
  readonly name: string;
  solve(framePath: string, opts: BackendSolveOptions): Promise<SolveOutcome>;
}

/** Runs a command; resolves with its exit code and output (never rejects for a non-zero exit). */
export type CommandRunner = (cmd: string, args: string[], opts: { timeoutMs: number }) => Promise<{ code: number | null; stdout: string; stderr: string; notFound?: boolean }>;

export const runCommand: CommandRunner = (cmd, args, opts) =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: opts.timeoutMs, maxBuffer: 64 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
      if (e && e.code === 'ENOENT') resolve({ code: null, stdout: '', stderr: String(stderr), notFound: true });
      else resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });

function describe(wcs: Wcs, width: number, height: number): Pick<SolveOutcome, 'raDeg' | 'decDeg' | 'scaleArcsecPerPx' | 'rotationDeg' | 'flipped'> {
  const c: [number, number] = [(width - 1) / 2, (height - 1) / 2];
  const [ra, dec] = pixToSky(wcs, c[0], c[1]);
  return { raDeg: ra, decDeg: dec, scaleArcsecPerPx: pixelScaleArcsec(wcs, c), rotationDeg: rotationDeg(wcs, c), flipped: isFlipped(wcs, c) };
}

async function frameSize(path: string, hdu?: number): Promise<{ width: number; height: number; hdu: number }> {
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(path);
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BAD_FRAME', e.message, { file: path });
    throw e;
  }
  try {
    const info =
      hdu !== undefined
        ? reader.hdus[hdu]
        : reader.hdus.find((h) => (h.type === 'image' && (h.header.getInt('NAXIS') ?? 0) >= 2 && h.dataByteLength > 0) || h.type === 'compressed-image');
    if (!info) throw new AstrometryError('BAD_FRAME', 'no 2-D image in any HDU', { file: path });
    const z = info.type === 'compressed-image' ? 'Z' : '';
    const width = info.header.getInt(`${z}NAXIS1`) ?? 0;
    const height = info.header.getInt(`${z}NAXIS2`) ?? 0;
    return { width, height, hdu: info.index };
  } finally {
    await reader.close();
  }
}

// ---------------------------------------------------------------------------------------
// Native

export interface NativeBackendOptions {
  /** Catalog file (.oacat) for hinted solving, verification and refinement. */
  catalogPath: string;
  /** Sky index (.oaidx) built from the same catalog, for blind solving. */
  indexPath?: string;
  /** Default scale range when none is given and the header has none, ″/px. */
  scaleRangeArcsecPerPx?: [number, number];
  /** Detection threshold, σ of the background (default 3). */
  detectSigma?: number;
}

/** Our solver: hinted when a hint is given, blind (with an index) when there is none or the hinted solve fails. */
export function nativeBackend(o: NativeBackendOptions): SolverBackend {
  let blindData: Promise<{ index: SkyIndex; catalog: StarCatalog }> | undefined;
  const loadBlind = (): Promise<{ index: SkyIndex; catalog: StarCatalog }> => {
    blindData ??= (async () => {
      const [index, catalog] = await Promise.all([readSkyIndex(o.indexPath!), CatalogFile.open(o.catalogPath).then((c) => c.readAll())]);
      return { index, catalog };
    })();
    return blindData;
  };
  return {
    name: 'native',
    async solve(framePath, opts) {
      const t0 = performance.now();
      const frame = await readSolveFrame(framePath, opts.hdu);
      const sources = detectStars(frame, { thresholdSigma: o.detectSigma });
      const W = frame.width;
      const H = frame.height;
      const [defLo, defHi] = o.scaleRangeArcsecPerPx ?? [0.3, 5];
      const sLo = opts.scaleLowArcsecPerPx ?? defLo;
      const sHi = opts.scaleHighArcsecPerPx ?? defHi;
      const limit = opts.timeLimitS ?? 60;
      let r: SolveResult | undefined;
      let mode: 'hinted' | 'blind' = 'hinted';
      const reasons: string[] = [];
      if (opts.hint) {
        const so = { imageWidth: W, imageHeight: H, hint: opts.hint, scaleLowArcsecPerPx: sLo, scaleHighArcsecPerPx: sHi, timeLimitS: limit };
        const cat = await CatalogFile.open(o.catalogPath);
        const stars = await cat.cone(opts.hint.raDeg, opts.hint.decDeg, solveConeRadiusDeg(so), { epochYr: opts.epochYr });
        r = solveHinted(sources, stars, so);
        if (!r.solved) reasons.push(`hinted: ${r.reason}`);
      }
      if ((!r || !r.solved) && o.indexPath !== undefined) {
        mode = 'blind';
        const { index, catalog } = await loadBlind();
        const left = Math.max(1, limit - (performance.now() - t0) / 1000);
        const b = solveBlind(sources, index, catalog, {
          imageWidth: W,
          imageHeight: H,
          scaleLowArcsecPerPx: opts.scaleLowArcsecPerPx,
          scaleHighArcsecPerPx: opts.scaleHighArcsecPerPx,
          epochYr: opts.epochYr,
          timeLimitS: left,
        });
        if (!b.solved) reasons.push(`blind: ${b.reason}`);
        r = b;
      }
      const seconds = (performance.now() - t0) / 1000;
      if (!r) {
        return { backend: 'native', solved: false, hdu: frame.hdu, imageWidth: W, imageHeight: H, seconds, reason: 'solve_failed: no position hint and no sky index for blind solving' };
      }
      if (!r.solved) {
        return { backend: 'native', solved: false, mode, hdu: frame.hdu, imageWidth: W, imageHeight: H, seconds, reason: reasons.length === 1 ? reasons[0].replace(/^(hinted|blind): /, '') : `solve_failed: ${reasons.join('; ')}` };
      }
      return {
        backend: 'native',
        solved: true,
        mode,
        wcs: r.wcs,
        hdu: frame.hdu,
        imageWidth: W,
        imageHeight: H,
        ...describe(r.wcs, W, H),
        matched: r.matched,
        rmsArcsec: r.rmsArcsec,
        rmsPx: r.rmsPx,
        seconds,
      };
    },
  };
}

// ---------------------------------------------------------------------------------------
// astrometry.net solve-field

export interface ExternalBackendOptions {
  /** Executable (default 'solve-field' / 'astap', found on PATH). */
  command?: string;
  run?: CommandRunner;
  /** Extra arguments passed through (e.g. an index config for solve-field, -d DB for astap). */
  extraArgs?: string[];
}

/** The solve-field command line for a frame (exported for tests). */
export function solveFieldArgs(framePath: string, dir: string, opts: BackendSolveOptions, extra: string[] = []): string[] {
  const args = [framePath, '--dir', dir, '--out', 'solve', '--overwrite', '--no-plots', '--new-fits', 'none', '--no-remove-lines', '--corr', join(dir, 'solve.corr'), '--wcs', join(dir, 'solve.wcs')];
  args.push('--cpulimit', String(Math.max(1, Math.round(opts.timeLimitS ?? 60))));
  if (opts.scaleLowArcsecPerPx !== undefined || opts.scaleHighArcsecPerPx !== undefined) {
    args.push('--scale-units', 'arcsecperpix');
    if (opts.scaleLowArcsecPerPx !== undefined) args.push('--scale-low', String(opts.scaleLowArcsecPerPx));
    if (opts.scaleHighArcsecPerPx !== undefined) args.push('--scale-high', String(opts.scaleHighArcsecPerPx));
  }
  if (opts.hint) args.push('--ra', String(opts.hint.raDeg), '--dec', String(opts.hint.decDeg), '--radius', String(opts.hint.radiusDeg));
  if (opts.hdu !== undefined) args.push('--extension', String(opts.hdu));
  return [...args, ...extra];
}

/** Reads a WCS from a FITS header-only file (solve-field's .wcs, ASTAP's .wcs). */
export async function readWcsFile(path: string): Promise<Wcs> {
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(path);
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BACKEND_FAILED', `unreadable WCS file: ${e.message}`, { file: path });
    throw e;
  }
  try {
    const wcs = wcsFromHeader(reader.hdus[0].header);
    if (!wcs) throw new AstrometryError('BACKEND_FAILED', 'the WCS file has no celestial WCS', { file: path });
    return wcs;
  } finally {
    await reader.close();
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Matched stars and their RMS (″) from solve-field's .corr table, through the solved WCS. */
async function readCorr(path: string, wcs: Wcs): Promise<{ matched: number; rmsArcsec: number } | undefined> {
  if (!(await exists(path))) return undefined;
  const reader = await FitsReader.open(path);
  try {
    const h = reader.hdus.find((x) => x.type === 'bintable');
    if (!h) return undefined;
    const t = readBinTable(h.header, await reader.readDataBytes(h.index), { hdu: h.index });
    const col = (n: string): Float64Array => {
      const v = t.column(n);
      if (v.kind !== 'numeric') throw new AstrometryError('BACKEND_FAILED', `corr column ${n} is not numeric`, { file: path });
      return Float64Array.from(v.values as ArrayLike<number | bigint>, Number);
    };
    const fx = col('field_x');
    const fy = col('field_y');
    const ira = col('index_ra');
    const idec = col('index_dec');
    let s = 0;
    for (let i = 0; i < fx.length; i++) {
      const [ra, dec] = pixToSky(wcs, fx[i] - 1, fy[i] - 1);
      s += (angularSeparationDeg(ra, dec, ira[i], idec[i]) * 3600) ** 2;
    }
    return { matched: fx.length, rmsArcsec: fx.length > 0 ? Math.sqrt(s / fx.length) : NaN };
  } finally {
    await reader.close();
  }
}

export function astrometryNetBackend(o: ExternalBackendOptions = {}): SolverBackend {
  const cmd = o.command ?? 'solve-field';
  const run = o.run ?? runCommand;
  return {
    name: 'astrometry.net',
    async solve(framePath, opts) {
      const t0 = performance.now();
      const size = await frameSize(framePath, opts.hdu);
      const dir = await mkdtemp(join(tmpdir(), 'openastro-solve-field-'));
      try {
        const res = await run(cmd, solveFieldArgs(framePath, dir, opts, o.extraArgs), { timeoutMs: 1000 * ((opts.timeLimitS ?? 60) + 30) });
        if (res.notFound) throw new AstrometryError('NOT_INSTALLED', `'${cmd}' not found (install astrometry.net and an index package, e.g. apt-get install astrometry.net astrometry-data-tycho2)`);
        const wcsPath = join(dir, 'solve.wcs');
        const seconds = (): number => (performance.now() - t0) / 1000;
        if (!(await exists(wcsPath))) {
          if (res.code !== 0) {
            const last = res.stderr.trim().split('\n').pop() ?? '';
            throw new AstrometryError('BACKEND_FAILED', `${cmd} exited with status ${String(res.code)}${last ? `: ${last}` : ''}`);
          }
          return { backend: 'astrometry.net', solved: false, hdu: size.hdu, imageWidth: size.width, imageHeight: size.height, seconds: seconds(), reason: 'solve_failed: solve-field found no solution' };
        }
        const wcs = await readWcsFile(wcsPath);
        const corr = await readCorr(join(dir, 'solve.corr'), wcs);
        return { backend: 'astrometry.net', solved: true, wcs, hdu: size.hdu, imageWidth: size.width, imageHeight: size.height, ...describe(wcs, size.width, size.height), matched: corr?.matched, rmsArcsec: corr?.rmsArcsec, seconds: seconds() };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// ASTAP

/** The astap command line (exported for tests). RA goes in hours, Dec as south-pole distance. */
export function astapArgs(framePath: string, outBase: string, opts: BackendSolveOptions, heightPx: number, extra: string[] = []): string[] {
  const args = ['-f', framePath, '-o', outBase, '-wcs'];
  if (opts.hint) {
    args.push('-ra', String(opts.hint.raDeg / 15), '-spd', String(opts.hint.decDeg + 90), '-r', String(Math.max(opts.hint.radiusDeg, 0.01)));
  } else args.push('-r', '180');
  const lo = opts.scaleLowArcsecPerPx;
  const hi = opts.scaleHighArcsecPerPx;
  // ASTAP takes the field height; 0 lets it try a range itself.
  const fovDeg = lo !== undefined && hi !== undefined ? (Math.sqrt(lo * hi) * heightPx) / 3600 : 0;
  args.push('-fov', String(fovDeg));
  return [...args, ...extra];
}

/**
 * ASTAP's result file (`<out>.ini`): KEY=VALUE lines, PLTSOLVD=T or F, the solution as FITS
 * keywords (CRPIX 1-based, CRVAL, CD or CDELT/CROTA), ERROR= / WARNING= messages.
 */
export function parseAstapIni(text: string): { solved: boolean; header?: Header; error?: string; warning?: string } {
  const kv = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const i = raw.indexOf('=');
    if (i <= 0) continue;
    kv.set(raw.slice(0, i).trim().toUpperCase(), raw.slice(i + 1).trim());
  }
  const solved = /^T/i.test(kv.get('PLTSOLVD') ?? '');
  const error = kv.get('ERROR') || undefined;
  const warning = kv.get('WARNING') || undefined;
  if (!solved) return { solved, error, warning };
  const header = new Header([]);
  header.set('CTYPE1', 'RA---TAN');
  header.set('CTYPE2', 'DEC--TAN');
  for (const k of ['CRPIX1', 'CRPIX2', 'CRVAL1', 'CRVAL2', 'CD1_1', 'CD1_2', 'CD2_1', 'CD2_2', 'CDELT1', 'CDELT2', 'CROTA1', 'CROTA2']) {
    const v = kv.get(k);
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new AstrometryError('BACKEND_FAILED', `ASTAP result: ${k}=${v} is not a number`);
    header.set(k, n);
  }
  return { solved, header, error, warning };
}

/** A FITS header written as text: 80-character cards, with or without line breaks. */
export function parseHeaderText(text: string): Header {
  const cards: string[] = [];
  const lines = text.includes('\n') ? text.split(/\r?\n/) : (text.match(/.{1,80}/g) ?? []);
  for (const line of lines) {
    const img = line.replace(/\r$/, '').padEnd(80).slice(0, 80);
    if (img.trim() === '') continue;
    if (img.startsWith('END') && img.slice(3).trim() === '') break;
    cards.push(img);
  }
  return new Header(cards.map((c, i) => parseCard(c, { card: i + 1 })));
}

export function astapBackend(o: ExternalBackendOptions = {}): SolverBackend {
  const cmd = o.command ?? 'astap';
  const run = o.run ?? runCommand;
  return {
    name: 'astap',
    async solve(framePath, opts) {
      const t0 = performance.now();
      const size = await frameSize(framePath, opts.hdu);
      const dir = await mkdtemp(join(tmpdir(), 'openastro-astap-'));
      try {
        const outBase = join(dir, basename(framePath).replace(/\.[^.]*$/, ''));
        const res = await run(cmd, astapArgs(framePath, outBase, opts, size.height, o.extraArgs), { timeoutMs: 1000 * ((opts.timeLimitS ?? 60) + 30) });
        if (res.notFound) throw new AstrometryError('NOT_INSTALLED', `'${cmd}' not found (install ASTAP and a star database, https://www.hnsky.org/astap.htm)`);
        const seconds = (): number => (performance.now() - t0) / 1000;
        const iniPath = `${outBase}.ini`;
        if (!(await exists(iniPath))) {
          const last = (res.stderr || res.stdout).trim().split('\n').pop() ?? '';
          throw new AstrometryError('BACKEND_FAILED', `${cmd} wrote no result file (exit status ${String(res.code)})${last ? `: ${last}` : ''}`);
        }
        const ini = parseAstapIni(await readFile(iniPath, 'latin1'));
        const fail = (reason: string): SolveOutcome => ({ backend: 'astap', solved: false, hdu: size.hdu, imageWidth: size.width, imageHeight: size.height, seconds: seconds(), reason: `solve_failed: ${reason}` });
        if (!ini.solved) return fail(`ASTAP found no solution${ini.error ? ` (${ini.error})` : ''}`);
        // The .wcs file (with -wcs) holds the full header; the .ini has the essentials.
        const wcsPath = `${outBase}.wcs`;
        let wcs: Wcs | undefined;
        if (await exists(wcsPath)) wcs = wcsFromHeader(parseHeaderText(await readFile(wcsPath, 'latin1')));
        wcs ??= ini.header ? wcsFromHeader(ini.header) : undefined;
        if (!wcs) return fail('ASTAP reported a solution without a WCS');
        return { backend: 'astap', solved: true, wcs, hdu: size.hdu, imageWidth: size.width, imageHeight: size.height, ...describe(wcs, size.width, size.height), seconds: seconds() };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
