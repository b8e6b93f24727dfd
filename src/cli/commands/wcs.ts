/** `openastro wcs pix2sky|sky2pix`: pixel ↔ sky with a file's WCS (0-based pixels, degrees). */
import { Command } from 'commander';
import { FitsReader } from '../../science/fits/reader.js';
import { pixToSky, skyToPix, wcsFromHeader, type Wcs } from '../../science/wcs/index.js';
import { parseInteger, parsePairs } from '../args.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';
import { formatDec, formatRa } from '../format.js';

/** The WCS of a file: of HDU `hduIndex` if given, else of the first HDU that has one. */
export async function loadWcs(path: string, hduIndex?: number): Promise<{ wcs: Wcs; hdu: number }> {
  const reader = await FitsReader.open(path);
  try {
    const candidates = hduIndex === undefined ? reader.hdus : [reader.hdus[hduIndex]];
    if (candidates[0] === undefined) throw new CliError(`${path}: no HDU ${hduIndex} (file has ${reader.hdus.length})`);
    for (const hdu of candidates) {
      const wcs = wcsFromHeader(hdu.header, { hdu: hdu.index });
      if (wcs) return { wcs, hdu: hdu.index };
    }
    throw new CliError(`${path}: no celestial WCS${hduIndex === undefined ? ' in any HDU' : ` in HDU ${hduIndex}`}`);
  } finally {
    await reader.close();
  }
}

export function wcsCommand(io: CliIo): Command {
  const cmd = new Command('wcs').description('World coordinate system of an image: pixel ↔ sky');

  cmd
    .command('pix2sky')
    .description('Sky position (RA, Dec in degrees) of 0-based pixel positions')
    .argument('<file>', 'FITS file with a celestial WCS')
    .argument('<xy...>', 'pixel coordinates X Y [X Y ...] (0-based: 0,0 is the centre of the first pixel)')
    .option('--hdu <n>', 'HDU index (default: the first with a WCS)')
    .option('--json', 'print [[raDeg, decDeg], ...]')
    .action(async (file: string, xy: string[], opts: { hdu?: string; json?: boolean }) => {
      const pairs = parsePairs(xy, ['X', 'Y']);
      const { wcs } = await loadWcs(file, opts.hdu === undefined ? undefined : parseInteger(opts.hdu, '--hdu', 0));
      const out = pairs.map(([x, y]) => pixToSky(wcs, x, y));
      emit(io, Boolean(opts.json), out, () =>
        out
          .map(([ra, dec], i) => `${pairs[i][0]} ${pairs[i][1]} -> ${ra.toFixed(8)} ${dec.toFixed(8)}  (${formatRa(ra)} ${formatDec(dec)})`)
          .join('\n'),
      );
    });

  cmd
    .command('sky2pix')
    .description('0-based pixel positions of sky positions (RA, Dec in degrees)')
    .argument('<file>', 'FITS file with a celestial WCS')
    .argument('<radec...>', 'sky coordinates RA DEC [RA DEC ...] in degrees')
    .option('--hdu <n>', 'HDU index (default: the first with a WCS)')
    .option('--json', 'print [[x, y], ...]')
    .action(async (file: string, radec: string[], opts: { hdu?: string; json?: boolean }) => {
      const pairs = parsePairs(radec, ['RA', 'DEC']);
      for (const [, dec] of pairs) if (Math.abs(dec) > 90) throw new CliError(`DEC ${dec} is outside [-90, 90]`, 2);
      const { wcs } = await loadWcs(file, opts.hdu === undefined ? undefined : parseInteger(opts.hdu, '--hdu', 0));
      const out = pairs.map(([ra, dec]) => skyToPix(wcs, ra, dec));
      emit(io, Boolean(opts.json), out, () =>
        out.map(([x, y], i) => `${pairs[i][0]} ${pairs[i][1]} -> ${x.toFixed(6)} ${y.toFixed(6)}`).join('\n'),
      );
    });
  return cmd;
}
