/**
 * `openastro catalog import|info|cone|index` in-process on the committed Tycho-2 cone, the
 * query-starkd FITS table and the committed astrometry.net index file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { angularSeparationDeg } from '../../src/science/wcs/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');

const cli = (...argv: string[]): Promise<CliResult> => runCli(['catalog', ...argv], ROOT);

describe('openastro catalog', () => {
  it('imports, describes and queries the M67 Tycho-2 cone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oacat-cli-'));
    const cat = join(dir, 'm67.oacat');
    let r = await cli('import', 'test/fixtures/astrometry/m67_tycho2.csv', '-o', cat, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stars: 48, epochYr: 2000 });
    r = await cli('info', cat, '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ stars: 48, zones: 180, hasProperMotion: false });
    r = await cli('cone', cat, '132.834', '11.812', '0.2', '--json');
    const doc = JSON.parse(r.stdout) as { stars: Array<{ raDeg: number; decDeg: number; mag: number }> };
    expect(doc.stars.length).toBeGreaterThan(3);
    expect(doc.stars.length).toBeLessThan(48);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'ra,dec,mag\n1,2,x\n');
    r = await cli('import', bad, '-o', join(dir, 'bad.oacat'));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/line 2 column 'mag'/);
  });

  it('imports a FITS table and astrometry.net index files (merging duplicates), and builds and describes a sky index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oacat-cli-'));
    const fromTable = join(dir, 't.oacat');
    let r = await cli('import', '--format', 'fits', 'test/fixtures/astrometry/index-tycho2-19.query-starkd.fits', '-o', fromTable, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stars: 1080, duplicates: 0 });
    const fromIndex = join(dir, 'i.oacat');
    // The same file twice: every star is a duplicate of itself.
    r = await cli('import', 'test/fixtures/astrometry/index-tycho2-19.fits', 'test/fixtures/astrometry/index-tycho2-19.fits', '-o', fromIndex, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ stars: 1080, duplicates: 1080 });
    type Star = { raDeg: number; decDeg: number; mag: number };
    r = await cli('cone', fromIndex, '0', '90', '20', '--json');
    const a = (JSON.parse(r.stdout) as { stars: Star[] }).stars;
    r = await cli('cone', fromTable, '0', '90', '20', '--json');
    const b = (JSON.parse(r.stdout) as { stars: Star[] }).stars;
    // Both come out zone-sorted: the same stars in the same order, to the catalog's 0.3 mas quantum.
    expect(b.length).toBe(a.length);
    expect(a.length).toBeGreaterThan(20);
    b.forEach((s, i) => {
      expect(s.mag).toBe(a[i].mag);
      expect(angularSeparationDeg(s.raDeg, s.decDeg, a[i].raDeg, a[i].decDeg) * 3.6e6).toBeLessThan(1);
    });
    const idx = join(dir, 'sky.oaidx');
    r = await cli('index', fromIndex, '--scale-low', '100', '--scale-high', '200', '--image-px', '600', '-o', idx, '--json');
    expect(r.code, r.stderr).toBe(0);
    const built = JSON.parse(r.stdout) as { quads: number; levels: number; quadSizeArcmin: number[] };
    expect(built.quadSizeArcmin[0]).toBeCloseTo(250, 9);
    expect(built.quadSizeArcmin[1]).toBeCloseTo(2000, 9);
    r = await cli('info', idx, '--json');
    const info = JSON.parse(r.stdout) as { kind: string; quads: number; catalogStars: number; levels: unknown[] };
    expect(info).toMatchObject({ kind: 'sky-index', quads: built.quads, catalogStars: 1080 });
    expect(info.levels.length).toBe(built.levels);
    r = await cli('import', '--format', 'votable', 'x.xml', '-o', join(dir, 'x.oacat'));
    expect(r.code).toBe(2);
    r = await cli('index', fromIndex, '--scale-low', '5', '--scale-high', '1', '-o', join(dir, 'bad.oaidx'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/need 0 < low ≤ high/);
  });
});
