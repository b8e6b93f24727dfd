/**
 * `openastro solve FRAME [--ra --dec --radius] [--scale-low --scale-high] [--catalog CAT]
 * [--index IDX] [--backend native|astrometry.net|astap] [-o OUT | --overwrite] [--json]`:
 * plate-solve a FITS frame (science/astrometry).
 *
 * The hint defaults to the header (an existing WCS, RA/DEC or OBJCTRA/OBJCTDEC; the scale
 * from the WCS, XPIXSZ/FOCALLEN or PIXSCALE, ±10 %). The native backend solves hinted when it
 * has a hint and falls back to blind (with --index) when it has none or the hinted solve
 * fails. The solved WCS goes into the image HDU's header of a copy (-o) or of FRAME itself
 * (--overwrite); every other byte of the file is kept.
 *
 * With --json exactly {"solved","raDeg","decDeg","scaleArcsecPerPx","rotationDeg","matched",
 * "rmsArcsec","seconds","output","reason"} is printed (null where not applicable). An unsolved
 * frame exits with status 1, with or without --json (docs/decisions/0014).
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  astapBackend,
  astrometryNetBackend,
  hintFromHeader,
  nativeBackend,
  readSolveFrame,
  writeSolvedFits,
  type BackendSolveOptions,
  type SolverBackend,
} from '../../science/astrometry/index.js';
import { FitsReader } from '../../science/fits/reader.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';

interface SolveCliOptions {
  catalog?: string;
  index?: string;
  backend: string;
  ra?: string;
  dec?: string;
  radius?: string;
  scaleLow?: string;
  scaleHigh?: string;
  hdu?: string;
  epoch?: string;
  timeLimit: string;
  detectSigma: string;
  output?: string;
  overwrite?: boolean;
  json?: boolean;
}

const BACKENDS = ['native', 'astrometry.net', 'astap'];

/** Julian year of an ISO DATE-OBS, or undefined. */
function julianYear(dateObs: unknown): number | undefined {
  if (typeof dateObs !== 'string') return undefined;
  const t = Date.parse(/Z|[+-]\d\d:?\d\d$/.test(dateObs.trim()) ? dateObs.trim() : `${dateObs.trim()}Z`);
  if (!Number.isFinite(t)) return undefined;
  return 2000 + (t / 86400000 + 2440587.5 - 2451545.0) / 365.25;
}

export function solveCommand(io: CliIo): Command {
  return new Command('solve')
    .description('Plate-solve a FITS frame: hinted near a position, or blind with a sky index')
    .argument('<frame>', 'FITS file')
    .option('--catalog <file>', 'star catalog (openastro catalog import); needed by the native backend')
    .option('--index <file>', 'sky index for blind solving (openastro catalog index), built from --catalog')
    .option('--backend <name>', `solver: ${BACKENDS.join(', ')}`, 'native')
    .option('--ra <deg>', 'hint: RA of the image centre (default: from the header)')
    .option('--dec <deg>', 'hint: Dec of the image centre (default: from the header)')
    .option('--radius <deg>', 'hint: how far off the centre may be (default 1, or 0.2 around an existing WCS)')
    .option('--scale-low <arcsec>', 'smallest pixel scale, ″/px (default: header scale −10 %, else 0.3)')
    .option('--scale-high <arcsec>', 'largest pixel scale, ″/px (default: header scale +10 %, else 5)')
    .option('--hdu <n>', '0-based HDU of the image (default: the first 2-D image)')
    .option('--epoch <year>', 'observation epoch for proper motion (default: from DATE-OBS)')
    .option('--time-limit <s>', 'give up after this many seconds', '60')
    .option('--detect-sigma <n>', 'native backend: star detection threshold, σ of the background', '3')
    .option('-o, --output <file>', 'write the frame with the solved WCS to FILE')
    .option('--overwrite', 'write the solved WCS into FRAME itself')
    .option('--json', 'print {"solved","raDeg","decDeg","scaleArcsecPerPx","rotationDeg","matched","rmsArcsec","seconds","output","reason"}')
    .action(async (frame: string, o: SolveCliOptions) => {
      if (!BACKENDS.includes(o.backend)) throw new CliError(`--backend: '${o.backend}' is not one of ${BACKENDS.join(', ')}`, 2);
      if (o.output !== undefined && o.overwrite) throw new CliError('solve: give -o or --overwrite, not both', 2);
      if ((o.ra === undefined) !== (o.dec === undefined)) throw new CliError('solve: --ra and --dec go together', 2);
      if (o.backend === 'native' && o.catalog === undefined) throw new CliError('solve: the native backend needs --catalog (openastro catalog import)', 2);
      if (o.index !== undefined && o.backend !== 'native') throw new CliError('solve: --index is for the native backend', 2);
      const t0 = performance.now();
      const path = resolve(io.cwd, frame);
      const hdu = o.hdu === undefined ? undefined : parseInteger(o.hdu, '--hdu', 0, 999);
      const frameInfo = await readSolveFrame(path, hdu);
      const fromHeader = hintFromHeader(frameInfo.header, frameInfo.width, frameInfo.height);
      const opts: BackendSolveOptions = { hdu: frameInfo.hdu, timeLimitS: parseFiniteNumber(o.timeLimit, '--time-limit') };
      if (o.ra !== undefined && o.dec !== undefined) {
        opts.hint = { raDeg: parseFiniteNumber(o.ra, '--ra'), decDeg: parseFiniteNumber(o.dec, '--dec'), radiusDeg: parseFiniteNumber(o.radius ?? '1', '--radius') };
      } else if (fromHeader.position) {
        const defRadius = fromHeader.position.from.startsWith('WCS') ? '0.2' : '1';
        opts.hint = { raDeg: fromHeader.position.raDeg, decDeg: fromHeader.position.decDeg, radiusDeg: parseFiniteNumber(o.radius ?? defRadius, '--radius') };
      }
      if (opts.hint && !(opts.hint.decDeg >= -90 && opts.hint.decDeg <= 90)) throw new CliError(`--dec: ${opts.hint.decDeg} is outside [-90, 90]`, 2);
      if (opts.hint && !(opts.hint.radiusDeg > 0 && opts.hint.radiusDeg <= 30)) throw new CliError(`--radius: ${opts.hint.radiusDeg} must be in (0, 30]`, 2);
      const headerScale = fromHeader.scaleArcsecPerPx?.value;
      if (o.scaleLow !== undefined) opts.scaleLowArcsecPerPx = parseFiniteNumber(o.scaleLow, '--scale-low');
      else if (headerScale !== undefined) opts.scaleLowArcsecPerPx = headerScale * 0.9;
      if (o.scaleHigh !== undefined) opts.scaleHighArcsecPerPx = parseFiniteNumber(o.scaleHigh, '--scale-high');
      else if (headerScale !== undefined) opts.scaleHighArcsecPerPx = headerScale * 1.1;
      if (opts.scaleLowArcsecPerPx !== undefined && opts.scaleHighArcsecPerPx !== undefined && !(opts.scaleLowArcsecPerPx > 0 && opts.scaleLowArcsecPerPx <= opts.scaleHighArcsecPerPx)) {
        throw new CliError(`--scale-low ${opts.scaleLowArcsecPerPx} and --scale-high ${opts.scaleHighArcsecPerPx}: need 0 < low ≤ high`, 2);
      }
      opts.epochYr = o.epoch !== undefined ? parseFiniteNumber(o.epoch, '--epoch') : julianYear(frameInfo.header.get('DATE-OBS'));
      if (!opts.hint && o.backend === 'native' && o.index === undefined) {
        throw new CliError('solve: no position hint (no --ra/--dec, and the header has none); blind solving needs --index (openastro catalog index)', 2);
      }

      let backend: SolverBackend;
      if (o.backend === 'native') {
        const detectSigma = parseFiniteNumber(o.detectSigma, '--detect-sigma');
        if (!(detectSigma > 0)) throw new CliError(`--detect-sigma: ${detectSigma} must be positive`, 2);
        backend = nativeBackend({ catalogPath: resolve(io.cwd, o.catalog!), indexPath: o.index === undefined ? undefined : resolve(io.cwd, o.index), scaleRangeArcsecPerPx: [0.3, 5], detectSigma });
      } else if (o.backend === 'astrometry.net') backend = astrometryNetBackend();
      else backend = astapBackend();
      const r = await backend.solve(path, opts);

      const out = o.overwrite ? path : o.output !== undefined ? resolve(io.cwd, o.output) : undefined;
      let written: string | null = null;
      if (r.solved && r.wcs && out !== undefined) {
        await writeSolvedFits(path, out, r.hdu, r.wcs, {
          cards: [
            ['PLTSOLVD', true, 'plate solved by openastro'],
            ...(r.matched !== undefined ? ([['ASTMATCH', r.matched, 'catalog stars matched in the solution']] as Array<[string, number, string]>) : []),
            ...(r.rmsArcsec !== undefined && Number.isFinite(r.rmsArcsec) ? ([['ASTRMS', Number(r.rmsArcsec.toPrecision(6)), '[arcsec] RMS of the matched stars']] as Array<[string, number, string]>) : []),
          ],
          history: `openastro solve: backend ${r.backend}${r.mode ? ` (${r.mode})` : ''}`,
        });
        written = o.overwrite ? frame : o.output!;
        // A quick read-back: the written file must parse (it was renamed into place atomically).
        await (await FitsReader.open(out)).close();
      }
      const seconds = (performance.now() - t0) / 1000;
      if (o.json) {
        io.stdout(
          JSON.stringify({
            solved: r.solved,
            raDeg: r.solved ? r.raDeg : null,
            decDeg: r.solved ? r.decDeg : null,
            scaleArcsecPerPx: r.solved ? r.scaleArcsecPerPx : null,
            rotationDeg: r.solved ? r.rotationDeg : null,
            matched: r.solved ? (r.matched ?? null) : null,
            rmsArcsec: r.solved && r.rmsArcsec !== undefined && Number.isFinite(r.rmsArcsec) ? r.rmsArcsec : null,
            seconds,
            output: written,
            reason: r.solved ? null : (r.reason ?? 'solve_failed'),
          }) + '\n',
        );
      } else if (r.solved) {
        io.stdout(
          `solved (${r.backend}${r.mode ? `, ${r.mode}` : ''}): RA ${r.raDeg!.toFixed(6)} Dec ${r.decDeg!.toFixed(6)} scale ${r.scaleArcsecPerPx!.toFixed(4)}″/px rotation ${r.rotationDeg!.toFixed(2)}°` +
            `${r.matched !== undefined ? ` matched ${r.matched}` : ''}${r.rmsArcsec !== undefined ? ` rms ${r.rmsArcsec.toFixed(3)}″` : ''} (${seconds.toFixed(2)} s)${written ? ` → ${written}` : ''}\n`,
        );
      }
      if (!r.solved) throw new CliError(r.reason ?? 'solve_failed', 1);
    });
}
