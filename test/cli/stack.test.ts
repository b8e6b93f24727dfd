/** `openastro stack` in-process: FITS in, FITS out with the four planes, JSON, and errors naming the file. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Header } from '../../src/science/fits/header.js';
import { FitsReader } from '../../src/science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../../src/science/fits/writer.js';
import { wcsFromHeader, wcsToHeader } from '../../src/science/wcs/index.js';
import { addNoise, renderModel, randomStars, tanWcs } from '../science/image/coadd-helpers.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const cli = (cwd: string, ...argv: string[]): Promise<CliResult> => runCli(['stack', ...argv], cwd);

describe('openastro stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stack-'));
  const w = 80;
  const stars = randomStars(10, 0.01, 3000, 30000, 4);
  async function writeFrame(name: string, i: number, withWcs = true): Promise<string> {
    const wcs = tanWcs(w, w, 1, 10 * i, { dRaDeg: i * 2e-4 });
    const data = addNoise(renderModel(wcs, w, w, stars, 100, 3, 1), 5, 70 + i);
    const header = new Header([]);
    if (withWcs) wcsToHeader(wcs, header);
    await writeFitsFile(join(dir, name), [imageHdu(data, [w, w], { header })]);
    return name;
  }

  it('writes stack, WEIGHT, COVERAGE and ERROR with the reference WCS; --json reports frames', async () => {
    const names = [await writeFrame('a.fits', 0), await writeFrame('b.fits', 1), await writeFrame('c.fits', 2)];
    const r = await cli(dir, ...names, '-o', 'out.fits', '--json', '--tile', '32');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { output: string; width: number; height: number; frames: Array<{ used: boolean }>; seconds: number };
    expect(doc.frames.map((f) => f.used)).toEqual([true, true, true]);
    const reader = await FitsReader.open(join(dir, 'out.fits'));
    try {
      expect(reader.hdus.map((h) => h.header.get('EXTNAME') ?? '')).toEqual(['', 'WEIGHT', 'COVERAGE', 'ERROR']);
      expect(reader.hdus[0].header.getInt('BITPIX')).toBe(-32);
      const wcs = wcsFromHeader(reader.hdus[0].header);
      expect(wcs?.cd[0]).toBeCloseTo(-1 / 3600, 10);
      const cov = (await reader.readImage(2)).data as Float32Array;
      expect(Math.max(...cov)).toBe(3);
      const stack = (await reader.readImage(0)).data as Float32Array;
      expect(stack.length).toBe(doc.width * doc.height);
    } finally {
      await reader.close();
    }
    // Same grid given explicitly: the output as reference.
    const again = await cli(dir, ...names, '-o', 'out2.fits', '--reference', 'out.fits', '--method', 'lanczos3', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { width: number }).width).toBe(doc.width);
  });

  it('names a frame without WCS; rejects a bad method', async () => {
    const names = [await writeFrame('d.fits', 0), await writeFrame('nowcs.fits', 1, false)];
    const r = await cli(dir, ...names, '-o', 'x.fits');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('nowcs.fits');
    expect(r.stderr).toContain('ImageError');
    const m = await cli(dir, names[0], '-o', 'x.fits', '--method', 'cubic');
    expect(m.code).toBe(2);
  });
});
