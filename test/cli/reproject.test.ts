import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Header } from '../../src/science/fits/header.js';
import { FitsReader } from '../../src/science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../../src/science/fits/writer.js';
import { wcsFromHeader } from '../../src/science/wcs/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/image-reproject');

const cli = (...argv: string[]): Promise<CliResult> => runCli(['reproject', ...argv], ROOT);

async function readFits(path: string): Promise<{ data: Float32Array; header: Header; width: number; height: number; bitpix: number }> {
  const r = await FitsReader.open(path);
  try {
    const img = await r.readImage(0);
    return { data: img.data as Float32Array, header: r.hdus[0].header as Header, width: img.width, height: img.height, bitpix: img.bitpix };
  } finally {
    await r.close();
  }
}

describe('openastro reproject', () => {
  it('writes float32 with the reference WCS, matching reproject_interp; --json prints {output, seconds}', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reproject-cli-'));
    const out = join(dir, 'out.fits');
    const r = await cli(join(FIX, 'input.fits'), '--ref', join(FIX, 'interp_a.fits'), '-o', out, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { output: string; seconds: number };
    expect(Object.keys(doc).sort()).toEqual(['output', 'seconds']);
    expect(doc.output).toBe(out);
    expect(doc.seconds).toBeGreaterThan(0);
    const ours = await readFits(out);
    const golden = await readFits(join(FIX, 'interp_a.fits'));
    expect(ours.bitpix).toBe(-32);
    expect([ours.width, ours.height]).toEqual([golden.width, golden.height]);
    expect(wcsFromHeader(ours.header)).toEqual(wcsFromHeader(golden.header));
    const diffs: number[] = [];
    let nanOutside = 0;
    let goldenNan = 0;
    for (let i = 0; i < golden.data.length; i++) {
      if (Number.isNaN(golden.data[i])) goldenNan++;
      if (Number.isNaN(golden.data[i])) nanOutside += Number.isNaN(ours.data[i]) ? 1 : 0;
      else if (!Number.isNaN(ours.data[i])) diffs.push(Math.abs(ours.data[i] - golden.data[i]));
    }
    diffs.sort((a, b) => a - b);
    expect(diffs[Math.floor(diffs.length / 2)]).toBeLessThan(0.01);
    expect(goldenNan).toBeGreaterThan(100);
    expect(nanOutside).toBeGreaterThanOrEqual(goldenNan - 3);
  });

  it('--method exact matches reproject_exact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reproject-cli-'));
    const out = join(dir, 'exact.fits');
    const r = await cli(join(FIX, 'input.fits'), '--ref', join(FIX, 'exact_b.fits'), '-o', out, '--method', 'exact');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/exact/);
    const ours = await readFits(out);
    const golden = await readFits(join(FIX, 'exact_b.fits'));
    const diffs: number[] = [];
    for (let i = 0; i < golden.data.length; i++) if (!Number.isNaN(golden.data[i]) && !Number.isNaN(ours.data[i])) diffs.push(Math.abs(ours.data[i] - golden.data[i]));
    diffs.sort((a, b) => a - b);
    expect(diffs.length).toBeGreaterThan(5000);
    expect(diffs[Math.floor(diffs.length / 2)]).toBeLessThan(0.01);
  });

  it('errors: no WCS names the file (NO_WCS), no overlap, bad method', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reproject-cli-'));
    const plain = join(dir, 'nowcs.fits');
    await writeFitsFile(plain, [imageHdu(new Float32Array(100).fill(1), [10, 10])]);
    const a = await cli(plain, '--ref', join(FIX, 'interp_a.fits'), '-o', join(dir, 'x.fits'));
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/ImageError/);
    expect(a.stderr).toContain('nowcs.fits');
    expect(a.stderr).toMatch(/no celestial WCS/);

    const far = new Header();
    for (const [k, v] of [['CTYPE1', 'RA---TAN'], ['CTYPE2', 'DEC--TAN'], ['CRPIX1', 5], ['CRPIX2', 5], ['CRVAL1', 300], ['CRVAL2', -60], ['CD1_1', -1e-3], ['CD1_2', 0], ['CD2_1', 0], ['CD2_2', 1e-3]] as const) {
      far.set(k, v);
    }
    const farFile = join(dir, 'far.fits');
    await writeFitsFile(farFile, [imageHdu(new Float32Array(100).fill(1), [10, 10], { header: far })]);
    const b = await cli(farFile, '--ref', join(FIX, 'interp_a.fits'), '-o', join(dir, 'y.fits'));
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/does not overlap/);
    expect(b.stderr).toContain('far.fits');

    const c = await cli(join(FIX, 'input.fits'), '--ref', join(FIX, 'interp_a.fits'), '-o', join(dir, 'z.fits'), '--method', 'cubic');
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/--method/);
  });
});
