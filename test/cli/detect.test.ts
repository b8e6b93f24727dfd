/**
 * `openastro detect` in-process: JSON and CSV output on the committed star field, options,
 * and errors that name the problem.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imageHdu, writeFitsFile } from '../../src/science/fits/writer.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FRAME = join(ROOT, 'test/fixtures/image-detect/starfield.fits');
const SEP = (JSON.parse(readFileSync(join(ROOT, 'test/fixtures/image-detect/detect.json'), 'utf8')) as {
  sep: Array<{ xwin: number; ywin: number; snr: number; isolated: boolean }>;
}).sep;

const cli = (...argv: string[]): Promise<CliResult> => runCli(['detect', ...argv], ROOT);

describe('openastro detect', () => {
  it('--json prints sources with 0-based x, y, flux, fwhm, flags and the time', async () => {
    const r = await cli(FRAME, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { sources: Array<{ x: number; y: number; flux: number; fwhm: number; flags: number }>; seconds: number };
    expect(Object.keys(doc).sort()).toEqual(['seconds', 'sources']);
    expect(doc.seconds).toBeGreaterThan(0);
    expect(doc.sources.length).toBeGreaterThan(150);
    expect(Object.keys(doc.sources[0]).sort()).toEqual(['flags', 'flux', 'fwhm', 'x', 'y']);
    // With its own background estimate, it still finds sep's isolated bright sources at the same place.
    const want = SEP.filter((s) => s.snr > 10 && s.isolated);
    const found = want.filter((s) => doc.sources.some((o) => Math.hypot(o.x - s.xwin, o.y - s.ywin) < 0.5));
    expect(found.length / want.length).toBeGreaterThanOrEqual(0.98);
    // The header's SATURATE card flags the saturated stars.
    expect(doc.sources.filter((s) => s.flags & 4).length).toBeGreaterThanOrEqual(2);
  });

  it('prints a CSV catalogue, or writes it with -o', async () => {
    const r = await cli(FRAME, '--threshold', '5', '--min-area', '8');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('id,x,y,x_iso,y_iso,flux,flux_err,peak,area_px,a,b,theta_deg,fwhm,half_light_radius,flags');
    expect(lines.length).toBeGreaterThan(50);
    expect(lines[1].split(',')).toHaveLength(15);
    const dir = mkdtempSync(join(tmpdir(), 'detect-cli-'));
    const out = join(dir, 'cat.csv');
    const w = await cli(FRAME, '--threshold', '5', '--min-area', '8', '-o', out);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(r.stdout);
    // A higher threshold finds fewer sources; no filter changes the count.
    const all = (await cli(FRAME, '--json')).stdout;
    const noFilter = (await cli(FRAME, '--json', '--no-filter')).stdout;
    expect(JSON.parse(all).sources.length).toBeGreaterThan(lines.length - 1);
    expect(JSON.parse(noFilter).sources.length).not.toBe(JSON.parse(all).sources.length);
  });

  it('fails with a clear message on bad input', async () => {
    const missing = await cli(join(ROOT, 'no-such.fits'));
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    const badT = await cli(FRAME, '--threshold', '-1');
    expect(badT.code).toBe(2);
    expect(badT.stderr).toMatch(/--threshold/);
    const badHdu = await cli(FRAME, '--hdu', '3');
    expect(badHdu.code).toBe(2);
    expect(badHdu.stderr).toMatch(/no HDU 3/);
    const dir = mkdtempSync(join(tmpdir(), 'detect-cli-'));
    const nan = join(dir, 'nan.fits');
    await writeFitsFile(nan, [imageHdu(new Float32Array(64 * 64).fill(NaN), [64, 64], { primary: true })]);
    const allNan = await cli(nan);
    expect(allNan.code).toBe(1);
    expect(allNan.stderr).toMatch(/ImageError/);
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);
  });
});
