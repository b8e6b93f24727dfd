/**
 * `openastro sky render`, run in-process: the FITS it writes (pixels, WCS, camera
 * keywords), the truth CSV, determinism, and argument errors.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FitsReader } from '../../src/science/fits/reader.js';
import { pixelScaleArcsec, pixToSky, skyToPix, wcsFromHeader } from '../../src/science/wcs/index.js';
import { opticsPixelScaleArcsec } from '../../src/science/sky/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const cli = (cwd: string, ...argv: string[]): Promise<CliResult> => runCli(argv, cwd);

const SCALE = opticsPixelScaleArcsec({ pixelSizeUm: 3.76, focalLengthMm: 1000 });

describe('openastro sky render', () => {
  it('writes a 16-bit FITS frame with a TAN WCS and camera keywords; --json prints one report; --truth the stars', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-sky-'));
    const r = await cli(dir, 'sky', 'render', '--ra', '83.82', '--dec', '-5.39', '--fov-arcmin', '10,8', '-o', 'frame.fits', '--seed', '3', '--truth', 'truth.csv', '--rotation', '15', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.output).toBe(join(dir, 'frame.fits'));
    expect(report.width).toBe(Math.round(600 / SCALE));
    expect(report.height).toBe(Math.round(480 / SCALE));
    expect(report.seconds).toBeGreaterThan(0);
    expect(readdirSync(dir).sort()).toEqual(['frame.fits', 'truth.csv']);

    const reader = await FitsReader.open(join(dir, 'frame.fits'));
    try {
      const hdu = reader.hdus[0];
      expect(hdu.header.getNumber('BITPIX')).toBe(16);
      expect(hdu.header.getNumber('BZERO')).toBe(32768);
      expect(hdu.header.getNumber('EXPTIME')).toBe(60);
      expect(hdu.header.getNumber('GAIN')).toBe(1);
      expect(hdu.header.getNumber('SATURATE')).toBe(50500);
      const wcs = wcsFromHeader(hdu.header)!;
      const [ra, dec] = pixToSky(wcs, (report.width - 1) / 2, (report.height - 1) / 2);
      expect(ra).toBeCloseTo(83.82, 9);
      expect(dec).toBeCloseTo(-5.39, 9);
      expect(pixelScaleArcsec(wcs)).toBeCloseTo(SCALE, 9);
      const image = await reader.readImage(0);
      expect(image.width).toBe(report.width);
      expect(image.height).toBe(report.height);
      const data = image.data as Uint16Array;

      const rows = readFileSync(join(dir, 'truth.csv'), 'utf8').trim().split('\n');
      expect(rows[0]).toBe('id,ra_deg,dec_deg,mag,x_px,y_px,flux_e');
      expect(rows.length - 1).toBe(report.starsOnChip);
      expect(report.starsOnChip).toBeGreaterThan(20);
      // Truth positions are the file's WCS positions; bright stars stand out of the sky there.
      const stars = rows.slice(1).map((l) => l.split(',').map(Number));
      let checked = 0;
      for (const [, sra, sdec, mag, x, y, flux] of stars) {
        const [px, py] = skyToPix(wcs, sra, sdec);
        expect(px).toBeCloseTo(x, 6);
        expect(py).toBeCloseTo(y, 6);
        // Vignetting (cos⁴ at f = 1000 mm) costs < 0.1 % this close to the axis.
        const ratio = flux / (report.zeroPointEPerS * Math.pow(10, -0.4 * mag) * 60);
        expect(ratio).toBeGreaterThan(0.999);
        expect(ratio).toBeLessThanOrEqual(1);
        if (mag < 15 && x > 5 && y > 5 && x < report.width - 6 && y < report.height - 6) {
          expect(data[Math.round(y) * report.width + Math.round(x)]).toBeGreaterThan(500 + report.skyEPerPx + 200);
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  });

  it('is deterministic: the same seed gives the same file bytes, another seed another file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-sky-'));
    const args = ['sky', 'render', '--ra', '10', '--dec', '41', '--fov-arcmin', '4', '--satellite', '0,0,300,250'];
    for (const [name, seed] of [['a.fits', '7'], ['b.fits', '7'], ['c.fits', '8']]) {
      const r = await cli(dir, ...args, '-o', name, '--seed', seed);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/a\.fits|b\.fits|c\.fits/);
    }
    const [a, b, c] = ['a.fits', 'b.fits', 'c.fits'].map((f) => readFileSync(join(dir, f)));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('--no-noise with no sky, dark or defects leaves the bias level between stars', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-sky-'));
    const r = await cli(dir, 'sky', 'render', '--ra', '200', '--dec', '-30', '--fov-arcmin', '3', '-o', 'q.fits', '--no-noise', '--sky', '40', '--dark', '0', '--hot-fraction', '0', '--cosmic-rate', '0', '--bias', '1000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const reader = await FitsReader.open(join(dir, 'q.fits'));
    try {
      const data = (await reader.readImage(0)).data as Uint16Array;
      const sorted = [...data].sort((x, y) => x - y);
      expect(sorted[0]).toBe(1000);
      expect(sorted[Math.floor(sorted.length / 2)]).toBe(1000);
    } finally {
      await reader.close();
    }
  });

  it('rejects bad arguments with a one-line reason and a non-zero status, writing nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-sky-'));
    const cases: Array<[string[], RegExp]> = [
      [['--dec', '10', '--fov-arcmin', '5', '-o', 'x.fits'], /--ra/],
      [['--ra', '10', '--dec', '95', '--fov-arcmin', '5', '-o', 'x.fits'], /--dec/],
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '0', '-o', 'x.fits'], /--fov-arcmin/],
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '5000', '-o', 'x.fits'], /limit/],
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '5,5,5', '-o', 'x.fits'], /--fov-arcmin/],
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '5', '-o', 'x.fits', '--seed', '1.5'], /--seed/],
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '5', '-o', 'x.fits', '--psf', 'airy'], /psf/],
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '5', '-o', 'x.fits', '--satellite', '1,2,3'], /--satellite/],
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '5', '-o', 'x.fits', '--date', 'yesterday'], /--date/],
      // Fails after rendering: neither the truth nor the frame may stay behind.
      [['--ra', '10', '--dec', '10', '--fov-arcmin', '2', '-o', 'x.fits', '--truth', 'missing-dir/t.csv'], /ENOENT|no such/i],
    ];
    for (const [argv, message] of cases) {
      const r = await cli(dir, 'sky', 'render', ...argv);
      expect(r.code, argv.join(' ')).toBeGreaterThan(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('has help', async () => {
    const r = await cli(process.cwd(), 'sky', 'render', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--fov-arcmin/);
  });
});
