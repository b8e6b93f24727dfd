/**
 * `openastro solve` in-process on the committed frame-m67.fits (real Tycho-2 stars rendered
 * through a known WCS; OBJCTRA/OBJCTDEC and XPIXSZ/FOCALLEN in the header; a table and a mask
 * HDU after the image): the --json document's exact shape, the solution against the truth, the
 * output file keeping every other HDU and the pixels bit-exact, --overwrite, the blind
 * fallback, and the exit statuses of unsolved frames and bad arguments.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseFits } from '../../src/science/fits/reader.js';
import { FitsReader } from '../../src/science/fits/reader.js';
import { angularSeparationDeg, createWcs, pixelScaleArcsec, pixToSky, wcsFromHeader } from '../../src/science/wcs/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FRAME = join(ROOT, 'test/fixtures/astrometry/frame-m67.fits');
const TRUTH = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/astrometry/frame-m67.truth.json'), 'utf8')) as {
  crpix: [number, number];
  crval: [number, number];
  cd: [number, number, number, number];
  size: number;
};
const KEYS = ['solved', 'raDeg', 'decDeg', 'scaleArcsecPerPx', 'rotationDeg', 'matched', 'rmsArcsec', 'seconds', 'output', 'reason'];
const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, ROOT);

let dir: string;
let cat: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oasolve-cli-'));
  cat = join(dir, 'm67.oacat');
  const r = await cli('catalog', 'import', 'test/fixtures/astrometry/cones/m67.csv', '-o', cat);
  expect(r.code, r.stderr).toBe(0);
});

function checkAgainstTruth(doc: Record<string, unknown>): void {
  const truth = createWcs({ crpix: TRUTH.crpix, crval: TRUTH.crval, cd: TRUTH.cd });
  const c = (TRUTH.size - 1) / 2;
  const [ra, dec] = pixToSky(truth, c, c);
  expect(angularSeparationDeg(doc.raDeg as number, doc.decDeg as number, ra, dec) * 3600).toBeLessThan(1);
  expect(Math.abs((doc.scaleArcsecPerPx as number) / pixelScaleArcsec(truth, [c, c]) - 1)).toBeLessThan(1e-3);
  expect(doc.rmsArcsec as number).toBeLessThan(0.2 * 12);
  expect(doc.matched as number).toBeGreaterThan(20);
}

describe('openastro solve', () => {
  it('solves from the header hint, prints exactly the documented JSON and writes a copy that keeps everything else', async () => {
    const out = join(dir, 'solved.fits');
    const r = await cli('solve', 'test/fixtures/astrometry/frame-m67.fits', '--catalog', cat, '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(KEYS);
    expect(doc.solved).toBe(true);
    expect(doc.reason).toBeNull();
    expect(doc.output).toBe(out);
    checkAgainstTruth(doc);

    const a = new Uint8Array(readFileSync(FRAME));
    const b = new Uint8Array(readFileSync(out));
    const ha = parseFits(a);
    const hb = parseFits(b);
    expect(hb.length).toBe(ha.length);
    // The image's data unit and every later HDU are byte-for-byte the original.
    expect(Buffer.compare(a.subarray(ha[0].dataOffset), b.subarray(hb[0].dataOffset))).toBe(0);
    expect(hb[0].header.get('BITPIX')).toBe(16);
    expect(hb[0].header.get('BZERO')).toBe(32768);
    expect(hb[0].header.get('OBJCTRA')).toBe('08 51 40');
    expect(hb[0].header.get('PLTSOLVD')).toBe(true);
    const wcs = wcsFromHeader(hb[0].header)!;
    expect(wcs.ctype[0]).toMatch(/^RA---TAN/);
    const c = (TRUTH.size - 1) / 2;
    const [ra, dec] = pixToSky(wcs, c, c);
    expect(angularSeparationDeg(ra, dec, doc.raDeg as number, doc.decDeg as number) * 3600).toBeLessThan(1e-6);
    expect(hb[1].header.get('EXTNAME')).toBe('OBSLOG');
    expect(hb[2].header.get('EXTNAME')).toBe('MASK');
  });

  it('--overwrite writes the WCS into the frame itself, leaving no temporary file', async () => {
    const sub = mkdtempSync(join(dir, 'ow-'));
    const frame = join(sub, 'f.fits');
    copyFileSync(FRAME, frame);
    const r = await cli('solve', frame, '--catalog', cat, '--overwrite', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc.output).toBe(frame);
    expect(readdirSync(sub)).toEqual(['f.fits']);
    const reader = await FitsReader.open(frame);
    expect(wcsFromHeader(reader.hdus[0].header)).toBeDefined();
    expect(reader.hdus.length).toBe(3);
    await reader.close();
    // Solving it again starts from the WCS now in the header.
    const again = await cli('solve', frame, '--catalog', cat, '--json');
    expect(again.code, again.stderr).toBe(0);
    checkAgainstTruth(JSON.parse(again.stdout) as Record<string, unknown>);
  });

  it('an unsolved frame exits with status 1; with --json the document says why', async () => {
    const r = await cli('solve', 'test/fixtures/astrometry/frame-m67.fits', '--catalog', cat, '--ra', '200', '--dec', '-30', '--radius', '0.3', '--json', '-o', join(dir, 'never.fits'));
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(KEYS);
    expect(doc).toMatchObject({ solved: false, raDeg: null, decDeg: null, matched: null, output: null });
    expect(doc.reason).toMatch(/^solve_failed: /);
    expect(r.stderr).toMatch(/solve_failed/);
    expect(readdirSync(dir)).not.toContain('never.fits');
    const plain = await cli('solve', 'test/fixtures/astrometry/frame-m67.fits', '--catalog', cat, '--ra', '200', '--dec', '-30', '--radius', '0.3');
    expect(plain.code).toBe(1);
    expect(plain.stdout).toBe('');
    expect(plain.stderr).toMatch(/solve_failed: /);
  });

  it('falls back to blind solving with --index when the hinted solve fails', async () => {
    const idx = join(dir, 'm67.oaidx');
    const b = await cli('catalog', 'index', cat, '--scale-low', '10', '--scale-high', '14', '--image-px', '320', '-o', idx, '--json');
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ levels: expect.any(Number) as number, quads: expect.any(Number) as number });
    const r = await cli('solve', 'test/fixtures/astrometry/frame-m67.fits', '--catalog', cat, '--index', idx, '--ra', '10', '--dec', '10', '--radius', '0.5', '--json');
    expect(r.code, r.stderr).toBe(0);
    checkAgainstTruth(JSON.parse(r.stdout) as Record<string, unknown>);
    const text = await cli('solve', 'test/fixtures/astrometry/frame-m67.fits', '--catalog', cat, '--index', idx, '--ra', '10', '--dec', '10', '--radius', '0.5');
    expect(text.stdout).toMatch(/^solved \(native, blind\): RA 132\.9/);
  });

  it('rejects bad arguments with status 2 and a message', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--catalog', cat, '-o', join(dir, 'x.fits'), '--overwrite'], /-o or --overwrite/],
      [['--catalog', cat, '--backend', 'foo'], /--backend: 'foo'/],
      [[], /needs --catalog/],
      [['--catalog', cat, '--ra', '10'], /--ra and --dec go together/],
      [['--catalog', cat, '--scale-low', '5', '--scale-high', '2'], /need 0 < low ≤ high/],
      [['--catalog', cat, '--ra', '10', '--dec', '95'], /outside \[-90, 90\]/],
    ];
    for (const [args, re] of cases) {
      const r = await cli('solve', 'test/fixtures/astrometry/frame-m67.fits', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    const missing = await cli('solve', join(dir, 'nope.fits'), '--catalog', cat);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.fits/);
  });
});
