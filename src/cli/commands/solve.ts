/**
 * `openastro solve FRAME --catalog CAT [--ra --dec --radius] [--scale-low --scale-high]
 * [-o OUT.fits | --overwrite] [--json]`: hinted plate solve (science/astrometry/solve.ts).
 * The hint defaults to the header's CRVAL/RA/DEC cards when present.
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CatalogFile, solveConeRadiusDeg, solveHinted, type SolveOptions } from '../../science/astrometry/index.js';
import { FitsReader } from '../../science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../../science/fits/writer.js';
import { estimateBackground } from '../../science/image/background.js';
import { detectSources } from '../../science/image/detect.js';
import { wcsToHeader } from '../../science/wcs/wcs.js';
import { parseFiniteNumber } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { loadFrame } from './detect.js';

interface SolveCliOptions {
  catalog: string;
  ra?: string;
  dec?: string;
  radius: string;
  scaleLow?: string;
  scaleHigh?: string;
  output?: string;
  overwrite?: boolean;
  json?: boolean;
}

export function solveCommand(io: CliIo): Command {
  return new Command('solve')
    .description('Plate-solve a FITS frame near a hinted position against a star catalog')
    .argument('<frame>', 'FITS file')
    .requiredOption('--catalog <file>', 'star catalog (openastro catalog import)')
    .option('--ra <deg>', 'hint: RA of the image centre')
    .option('--dec <deg>', 'hint: Dec of the image centre')
    .option('--radius <deg>', 'hint: how far off the centre may be', '1')
    .option('--scale-low <arcsec>', 'smallest pixel scale, ″/px', '0.3')
    .option('--scale-high <arcsec>', 'largest pixel scale, ″/px', '5')
    .option('-o, --output <file>', 'write the frame with the solved WCS to FILE')
    .option('--overwrite', 'write the solved WCS into FRAME itself')
    .option('--json', 'print {"solved","raDeg","decDeg","scaleArcsecPerPx","rotationDeg","matched","rmsArcsec","logOdds","seconds"}')
    .action(async (frame: string, o: SolveCliOptions) => {
      if (o.ra === undefined || o.dec === undefined) throw new CliError('solve: --ra and --dec are needed (blind solving is not implemented yet)', 2);
      if (o.output !== undefined && o.overwrite) throw new CliError('solve: give -o or --overwrite, not both', 2);
      const t0 = performance.now();
      const path = resolve(io.cwd, frame);
      const img = await loadFrame(path);
      const bg = estimateBackground(img.data, img.width, img.height);
      const floor = bg.mesh.globalRms > 0 ? bg.mesh.globalRms : 1e-30;
      for (let i = 0; i < bg.rms.length; i++) if (!(bg.rms[i] > 0)) bg.rms[i] = floor;
      const sources = detectSources({ data: img.data, width: img.width, height: img.height }, bg.level, bg.rms, { thresholdSigma: 3, minAreaPx: 5, saturationLevel: img.saturation }).sources;
      const opts: SolveOptions = {
        imageWidth: img.width,
        imageHeight: img.height,
        hint: { raDeg: parseFiniteNumber(o.ra, '--ra'), decDeg: parseFiniteNumber(o.dec, '--dec'), radiusDeg: parseFiniteNumber(o.radius, '--radius') },
        scaleLowArcsecPerPx: parseFiniteNumber(o.scaleLow ?? '0.3', '--scale-low'),
        scaleHighArcsecPerPx: parseFiniteNumber(o.scaleHigh ?? '5', '--scale-high'),
      };
      const cat = await CatalogFile.open(resolve(io.cwd, o.catalog));
      const stars = await cat.cone(opts.hint.raDeg, opts.hint.decDeg, solveConeRadiusDeg(opts));
      const r = solveHinted(sources, stars, opts);
      const seconds = (performance.now() - t0) / 1000;
      const out = o.overwrite ? path : o.output !== undefined ? resolve(io.cwd, o.output) : undefined;
      if (r.solved && out !== undefined) {
        const reader = await FitsReader.open(path);
        const header = reader.hdus[img.hdu].header;
        await reader.close();
        wcsToHeader(r.wcs, header);
        await writeFitsFile(out, [imageHdu(img.data, [img.width, img.height], { header })]);
      }
      if (o.json) {
        io.stdout(
          JSON.stringify(
            r.solved
              ? { solved: true, raDeg: r.raDeg, decDeg: r.decDeg, scaleArcsecPerPx: r.scaleArcsecPerPx, rotationDeg: r.rotationDeg, matched: r.matched, rmsArcsec: r.rmsArcsec, logOdds: r.logOdds, seconds, output: out ?? null }
              : { solved: false, reason: r.reason, logOdds: r.bestLogOdds, seconds },
          ) + '\n',
        );
      } else if (r.solved) {
        io.stdout(`solved: RA ${r.raDeg.toFixed(6)} Dec ${r.decDeg.toFixed(6)} scale ${r.scaleArcsecPerPx.toFixed(4)}″/px rotation ${r.rotationDeg.toFixed(2)}° matched ${r.matched} rms ${r.rmsArcsec.toFixed(3)}″ (${seconds.toFixed(2)} s)\n`);
      }
      if (!r.solved && !o.json) throw new CliError(r.reason, 1);
    });
}
