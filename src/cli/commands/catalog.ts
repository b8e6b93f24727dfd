/**
 * `openastro catalog import INPUT... --format csv|fits|astrometry-net -o CAT`,
 * `catalog info CAT`, `catalog cone CAT RA DEC RADIUS`, and
 * `catalog index CAT --scale-low --scale-high [--image-px N] -o INDEX`: build, describe and
 * query a zone-indexed star catalog, and build the whole-sky quad index for blind solving
 * (science/astrometry).
 */
import { Command } from 'commander';
import { readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  buildCatalog,
  buildSkyIndex,
  CatalogFile,
  encodeCatalog,
  encodeSkyIndex,
  mergeStarLists,
  parseCatalogCsv,
  readAstrometryNetIndex,
  readCatalogFitsTable,
  readSkyIndex,
  type CatalogInput,
} from '../../science/astrometry/index.js';
import { parseFiniteNumber } from '../args.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';
import { progressBar } from '../progress.js';

const FORMATS = ['csv', 'fits', 'astrometry-net'] as const;
type Format = (typeof FORMATS)[number];

interface ImportOptions {
  output: string;
  format?: string;
  epoch?: string;
  zoneHeight: string;
  ra?: string;
  dec?: string;
  mag?: string;
  pmra?: string;
  pmdec?: string;
  hdu?: string;
  dedup: string;
  json?: boolean;
}

function guessFormat(path: string): Format {
  if (/\.csv$/i.test(path)) return 'csv';
  if (/index-.*\.fits?$/i.test(path)) return 'astrometry-net';
  if (/\.(fits?|fts)$/i.test(path)) return 'fits';
  throw new CliError(`catalog import: cannot tell the format of '${path}'; give --format ${FORMATS.join('|')}`, 2);
}

/** Writes bytes to a temporary file beside `path` and renames it over `path` (nothing half-written stays). */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export function catalogCommand(io: CliIo): Command {
  const cmd = new Command('catalog').description('Star catalogs: import (CSV, FITS table, astrometry.net index), describe, cone queries, blind-solving index');
  cmd
    .command('import')
    .argument('<input...>', 'CSV (Gaia- or Tycho-2-style columns), FITS binary table, or astrometry.net index file(s); several are merged')
    .requiredOption('-o, --output <file>', 'catalog file to write')
    .option('--format <format>', `input format: ${FORMATS.join(', ')} (default: from the file name)`)
    .option('--epoch <year>', 'epoch of the positions (default 2016 for Gaia columns, else 2000)')
    .option('--zone-height <deg>', 'declination zone height', '1')
    .option('--ra <column>', 'FITS table: RA column name')
    .option('--dec <column>', 'FITS table: Dec column name')
    .option('--mag <column>', 'FITS table or astrometry.net tag-along: magnitude column name')
    .option('--pmra <column>', 'FITS table: proper motion in RA (mas/yr, μα cos δ) column name')
    .option('--pmdec <column>', 'FITS table: proper motion in Dec (mas/yr) column name')
    .option('--hdu <n>', 'FITS table: 0-based HDU of the table')
    .option('--dedup <arcsec>', 'when merging several inputs, drop stars within this distance of one already kept', '0.01')
    .option('--json', 'print a JSON summary')
    .action(async (inputs: string[], o: ImportOptions) => {
      const epochYr = o.epoch === undefined ? undefined : parseFiniteNumber(o.epoch, '--epoch');
      if (o.format !== undefined && !FORMATS.includes(o.format as Format)) throw new CliError(`--format: '${o.format}' is not one of ${FORMATS.join(', ')}`, 2);
      const lists: CatalogInput[] = [];
      const bar = progressBar(io, 'import');
      for (const [k, input] of inputs.entries()) {
        bar.update(k, inputs.length, input);
        const path = resolve(io.cwd, input);
        const format = (o.format as Format | undefined) ?? guessFormat(input);
        if (format === 'csv') lists.push(parseCatalogCsv(await readFile(path, 'utf8'), { file: input, epochYr }));
        else if (format === 'fits') {
          lists.push(
            await readCatalogFitsTable(path, {
              file: input,
              epochYr,
              raColumn: o.ra,
              decColumn: o.dec,
              magColumn: o.mag,
              pmRaColumn: o.pmra,
              pmDecColumn: o.pmdec,
              hdu: o.hdu === undefined ? undefined : parseFiniteNumber(o.hdu, '--hdu'),
            }),
          );
        } else lists.push(await readAstrometryNetIndex(path, { magColumn: o.mag, epochYr }));
      }
      bar.update(inputs.length, inputs.length);
      bar.finish();
      const merged = lists.length === 1 ? { ...lists[0], duplicates: 0 } : mergeStarLists(lists, { dedupArcsec: parseFiniteNumber(o.dedup, '--dedup') });
      const cat = buildCatalog(merged, { zoneHeightDeg: parseFiniteNumber(o.zoneHeight, '--zone-height') });
      await writeAtomically(resolve(io.cwd, o.output), encodeCatalog(cat));
      emit(io, Boolean(o.json), { stars: cat.raDeg.length, duplicates: merged.duplicates, output: o.output, epochYr: cat.epochYr }, () => `${cat.raDeg.length} stars → ${o.output}${merged.duplicates > 0 ? ` (${merged.duplicates} duplicates dropped)` : ''}`);
    });
  cmd
    .command('info')
    .argument('<file>', 'catalog (.oacat) or sky index (.oaidx)')
    .option('--json')
    .action(async (file: string, o: { json?: boolean }) => {
      const path = resolve(io.cwd, file);
      const head = Buffer.alloc(8);
      const { open } = await import('node:fs/promises');
      const fh = await open(path, 'r');
      try {
        await fh.read(head, 0, 8, 0);
      } finally {
        await fh.close();
      }
      if (head.toString('latin1') === 'OAIDX001') {
        const idx = await readSkyIndex(path);
        const info = {
          kind: 'sky-index',
          quads: idx.keys.length,
          catalogStars: idx.catalogStars,
          levels: idx.levels.map((l) => ({ quadSizeArcmin: [l.sizeLoDeg * 60, l.sizeHiDeg * 60], quads: l.quads, stars: l.stars })),
        };
        emit(io, Boolean(o.json), info, () =>
          [`sky index: ${info.quads} quads over ${info.levels.length} levels, catalog of ${info.catalogStars} stars`, ...info.levels.map((l) => `  quads ${l.quadSizeArcmin[0].toFixed(1)}′–${l.quadSizeArcmin[1].toFixed(1)}′: ${l.quads} quads, ${l.stars} stars`)].join('\n'),
        );
        return;
      }
      const info = (await CatalogFile.open(path)).info();
      emit(io, Boolean(o.json), info, () => Object.entries(info).map(([k, v]) => `${k}: ${String(v)}`).join('\n'));
    });
  cmd
    .command('cone')
    .argument('<catalog>')
    .argument('<ra>')
    .argument('<dec>')
    .argument('<radius>')
    .option('--epoch <year>', 'apply proper motion to this epoch')
    .option('--json')
    .action(async (file: string, ra: string, dec: string, radius: string, o: { epoch?: string; json?: boolean }) => {
      const cat = await CatalogFile.open(resolve(io.cwd, file));
      const s = await cat.cone(parseFiniteNumber(ra, 'RA'), parseFiniteNumber(dec, 'DEC'), parseFiniteNumber(radius, 'RADIUS'), {
        epochYr: o.epoch === undefined ? undefined : parseFiniteNumber(o.epoch, '--epoch'),
      });
      const stars = Array.from(s.raDeg, (r, i) => ({ raDeg: r, decDeg: s.decDeg[i], mag: s.mag[i] }));
      emit(io, Boolean(o.json), { stars }, () => ['ra_deg,dec_deg,mag', ...stars.map((t) => `${t.raDeg.toFixed(8)},${t.decDeg.toFixed(8)},${t.mag.toFixed(3)}`)].join('\n'));
    });
  cmd
    .command('index')
    .description('Build the whole-sky quad index used by blind solving')
    .argument('<catalog>', 'catalog (.oacat) the index refers to')
    .requiredOption('--scale-low <arcsec>', 'smallest pixel scale to solve, ″/px')
    .requiredOption('--scale-high <arcsec>', 'largest pixel scale to solve, ″/px')
    .option('--image-px <n>', 'shorter image side, px (with the scales: the field widths to cover)', '1024')
    .option('--stars-per-cell <n>', 'index stars kept per cell of each level', '6')
    .option('--quads-per-cell <n>', 'quads per cell of each level', '3')
    .requiredOption('-o, --output <file>', 'index file to write (.oaidx)')
    .option('--json', 'print a JSON summary')
    .action(async (file: string, o: { scaleLow: string; scaleHigh: string; imagePx: string; starsPerCell: string; quadsPerCell: string; output: string; json?: boolean }) => {
      const sLo = parseFiniteNumber(o.scaleLow, '--scale-low');
      const sHi = parseFiniteNumber(o.scaleHigh, '--scale-high');
      const px = parseFiniteNumber(o.imagePx, '--image-px');
      if (!(sLo > 0 && sHi >= sLo)) throw new CliError(`--scale-low ${sLo} and --scale-high ${sHi}: need 0 < low ≤ high`, 2);
      if (!(px >= 16)) throw new CliError(`--image-px ${px}: need at least 16`, 2);
      const [lo, hi] = indexQuadSizes(sLo, sHi, px);
      const cat = await (await CatalogFile.open(resolve(io.cwd, file))).readAll();
      const bar = progressBar(io, 'index');
      const idx = buildSkyIndex(cat, {
        quadSizeDeg: [lo, hi],
        starsPerCell: parseFiniteNumber(o.starsPerCell, '--stars-per-cell'),
        quadsPerCell: parseFiniteNumber(o.quadsPerCell, '--quads-per-cell'),
        onProgress: (d, t, stage) => bar.update(d, t, stage),
      });
      bar.finish();
      await writeAtomically(resolve(io.cwd, o.output), encodeSkyIndex(idx));
      const summary = { quads: idx.keys.length, levels: idx.levels.length, quadSizeArcmin: [lo * 60, hi * 60], output: o.output };
      emit(io, Boolean(o.json), summary, () => `${summary.quads} quads in ${summary.levels} levels (quads ${(lo * 60).toFixed(1)}′–${(hi * 60).toFixed(1)}′) → ${o.output}`);
    });
  return cmd;
}

/**
 * Quad sizes (deg) an index needs for images whose shorter side is `imagePx` at scales
 * sLo…sHi ″/px: from a quarter of the smallest field to the largest field's side.
 */
export function indexQuadSizes(sLo: number, sHi: number, imagePx: number): [number, number] {
  return [(0.25 * sLo * imagePx) / 3600, (sHi * imagePx) / 3600];
}
