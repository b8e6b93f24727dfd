/**
 * `openastro period` on the archival formats (the issue: LC.csv "also accepts the archival
 * formats"): an ETD table in JD (UTC) with and without the target's coordinates, and a
 * TESS light-curve FITS.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/science/inference/random.js';
import { runCli } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('openastro period on archival formats', () => {
  it('finds the period of an ETD table (JD UTC → BJD_TDB with --ra/--dec; as written, with a warning, without)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-period-arch-'));
    const rng = new Rng(4);
    const lines = ['# synthetic ETD-style table', 'JD mag err'];
    for (let i = 0; i < 300; i++) {
      const jd = 2459800.3 + 12 * rng.uniform();
      lines.push(`${jd.toFixed(6)} ${(0.1 * Math.sin((2 * Math.PI * jd) / 0.3127) + 0.01 * rng.normal()).toFixed(5)} 0.01000`);
    }
    const file = join(dir, 'star.txt');
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await runCli(['period', file, '--format', 'etd', '--ra', '292.2472', '--dec', '47.9695', '--max-period', '2', '--json'], ROOT);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Math.abs(doc.peaks[0].periodDays / 0.3127 - 1)).toBeLessThan(0.001);
    const raw = await runCli(['period', file, '--format', 'etd', '--max-period', '2', '--json'], ROOT);
    expect(raw.code, raw.stderr).toBe(0);
    expect(raw.stderr).toMatch(/TIMES_NOT_BARYCENTRIC/);
    expect(Math.abs(JSON.parse(raw.stdout).peaks[0].periodDays / 0.3127 - 1)).toBeLessThan(0.001);
  });

  it('reads a TESS light-curve FITS (detected) and refuses a format that does not fit', async () => {
    const fits = join(ROOT, 'test/fixtures/lightcurve/tess-like.fits');
    const r = await runCli(['period', fits, '--json', '--fap', 'none', '--top', '2'], ROOT);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).peaks.length).toBe(2);
    const bad = await runCli(['period', fits, '--format', 'aavso'], ROOT);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/FITS/);
  });
});
