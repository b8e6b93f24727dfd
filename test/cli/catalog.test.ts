/** `openastro catalog import|info|cone` in-process on the committed Tycho-2 cone. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
