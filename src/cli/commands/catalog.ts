/**
 * `openastro catalog import CSV -o CAT`, `catalog info CAT`, `catalog cone CAT RA DEC RADIUS`:
 * build, describe and query a zone-indexed star catalog (science/astrometry/catalog.ts).
 */
import { Command } from 'commander';
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildCatalog, CatalogFile, encodeCatalog, parseCatalogCsv } from '../../science/astrometry/index.js';
import { parseFiniteNumber } from '../args.js';
import { emit, type CliIo } from '../io.js';

export function catalogCommand(io: CliIo): Command {
  const cmd = new Command('catalog').description('Star catalogs: import from CSV, describe, cone queries');
  cmd
    .command('import')
    .argument('<csv>', 'CSV with Gaia-style (ra,dec,phot_g_mean_mag,pmra,pmdec) or Tycho-2-style columns')
    .requiredOption('-o, --output <file>', 'catalog file to write')
    .option('--epoch <year>', 'epoch of the positions (default 2016 for Gaia columns, else 2000)')
    .option('--zone-height <deg>', 'declination zone height', '1')
    .option('--json', 'print a JSON summary')
    .action(async (csv: string, o: { output: string; epoch?: string; zoneHeight: string; json?: boolean }) => {
      const path = resolve(io.cwd, csv);
      const input = parseCatalogCsv(await readFile(path, 'utf8'), { file: csv, epochYr: o.epoch === undefined ? undefined : parseFiniteNumber(o.epoch, '--epoch') });
      const cat = buildCatalog(input, { zoneHeightDeg: parseFiniteNumber(o.zoneHeight, '--zone-height') });
      await writeFile(resolve(io.cwd, o.output), encodeCatalog(cat));
      emit(io, Boolean(o.json), { stars: cat.raDeg.length, output: o.output, epochYr: cat.epochYr }, () => `${cat.raDeg.length} stars → ${o.output}`);
    });
  cmd
    .command('info')
    .argument('<catalog>')
    .option('--json')
    .action(async (file: string, o: { json?: boolean }) => {
      const info = (await CatalogFile.open(resolve(io.cwd, file))).info();
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
  return cmd;
}
