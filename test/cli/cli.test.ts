/**
 * The openastro CLI, run in-process through `run(argv, io)` with captured streams, plus one
 * spawn of the real entry point. Results are checked against astropy's reference points.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FitsReader } from '../../src/science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../../src/science/fits/writer.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SIP_FILE = join(ROOT, 'test/fixtures/fits-core/sip-wcs.fit');
const REF = readFileSync(join(ROOT, 'test/fixtures/cli/sip-wcs-reference-points.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(','))
  .map((c) => ({ x: Number(c[2]) - 1, y: Number(c[3]) - 1, ra: Number(c[4]), dec: Number(c[5]) }));

const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, ROOT);

describe('openastro CLI', () => {
  it('prints help for the root and every subcommand, exit 0', async () => {
    const root = await cli('--help');
    expect(root.code).toBe(0);
    expect(root.stdout).toMatch(/fits/);
    expect(root.stdout).toMatch(/wcs/);
    for (const sub of [['fits', '--help'], ['fits', 'info', '--help'], ['fits', 'compress', '--help'], ['fits', 'decompress', '--help'], ['wcs', 'pix2sky', '--help'], ['wcs', 'sky2pix', '--help']]) {
      const r = await cli(...sub);
      expect(r.code, sub.join(' ')).toBe(0);
      expect(r.stdout, sub.join(' ')).toMatch(/Usage: openastro/);
    }
  });

  it('rejects an unknown command with a non-zero status and nothing on stdout', async () => {
    const r = await cli('frobnicate');
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/unknown command/);
  });

  it('fits info --json describes the Feder SIP cut-out', async () => {
    const r = await cli('fits', 'info', SIP_FILE, '--json');
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.hdus).toHaveLength(1);
    expect(info.hdus[0]).toMatchObject({ index: 0, type: 'image', bitpix: 16, shape: [50, 100], compression: null });
    // Centre of a 100×50 image is 0-based (49.5, 24.5) = FITS (50.5, 25.5), the CSV's last row.
    const centre = REF[REF.length - 1];
    expect(centre.x).toBe(49.5);
    expect(info.wcs.centerRaDeg).toBeCloseTo(centre.ra, 9);
    expect(info.wcs.centerDecDeg).toBeCloseTo(centre.dec, 9);
    expect(info.wcs.scaleArcsecPerPx).toBeGreaterThan(0.55);
    expect(info.wcs.scaleArcsecPerPx).toBeLessThan(0.57);
  });

  it('fits info without --json is human text', async () => {
    const r = await cli('fits', 'info', SIP_FILE);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/WCS \(HDU 0\): centre 18h42m/);
  });

  it('wcs pix2sky and sky2pix --json agree with astropy', async () => {
    const args = REF.flatMap((p) => [String(p.x), String(p.y)]);
    const r = await cli('wcs', 'pix2sky', SIP_FILE, ...args, '--json');
    expect(r.code, r.stderr).toBe(0);
    const sky = JSON.parse(r.stdout) as Array<[number, number]>;
    expect(sky).toHaveLength(REF.length);
    sky.forEach(([ra, dec], i) => {
      expect(Math.abs(ra - REF[i].ra) * 3600).toBeLessThan(1e-4);
      expect(Math.abs(dec - REF[i].dec) * 3600).toBeLessThan(1e-4);
    });
    const back = await cli('wcs', 'sky2pix', SIP_FILE, ...REF.flatMap((p) => [String(p.ra), String(p.dec)]), '--json');
    expect(back.code, back.stderr).toBe(0);
    const pix = JSON.parse(back.stdout) as Array<[number, number]>;
    pix.forEach(([x, y], i) => {
      // The CSV's 1e-10 deg rounding is ~6e-7 px at 0.56"/px.
      expect(Math.abs(x - REF[i].x)).toBeLessThan(2e-6);
      expect(Math.abs(y - REF[i].y)).toBeLessThan(2e-6);
    });
  });

  it('fails with a one-line reason: missing file, not FITS, odd number of coordinates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-cli-'));
    const missing = await cli('fits', 'info', join(dir, 'nope.fits'), '--json');
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^openastro: .*nope\.fits/);

    const junk = join(dir, 'junk.fits');
    writeFileSync(junk, 'this is not a FITS file'.repeat(200));
    const notFits = await cli('fits', 'info', junk);
    expect(notFits.code).not.toBe(0);
    expect(notFits.stderr).toMatch(/^openastro: FitsError: .*not a FITS file/);

    const odd = await cli('wcs', 'pix2sky', SIP_FILE, '1', '2', '3');
    expect(odd.code).toBe(2);
    expect(odd.stderr).toMatch(/pairs/);
  });

  it('fits compress then decompress restores an integer image exactly, and leaves no partial file on failure', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-cli-'));
    const plain = join(dir, 'plain.fits');
    const width = 123;
    const height = 77;
    const data = new Int16Array(width * height);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 4001) - 2000;
    await writeFitsFile(plain, [imageHdu(data, [width, height], { primary: true })]);
    const fz = join(dir, 'plain.fits.fz');
    const c = await cli('fits', 'compress', plain, fz, '--json');
    expect(c.code, c.stderr).toBe(0);
    const cres = JSON.parse(c.stdout);
    expect(cres.compressedHdus).toBe(1);
    const info = JSON.parse((await cli('fits', 'info', fz, '--json')).stdout);
    expect(info.hdus[1]).toMatchObject({ type: 'compressed-image', compression: 'RICE_1', bitpix: 16, shape: [height, width], checksum: 'ok' });
    const out = join(dir, 'back.fits');
    const d = await cli('fits', 'decompress', fz, out, '--json');
    expect(d.code, d.stderr).toBe(0);
    const reader = await FitsReader.open(out);
    const img = await reader.readImage(0);
    await reader.close();
    expect(Array.from(img.data as Int16Array)).toEqual(Array.from(data));

    const bad = await cli('fits', 'compress', join(dir, 'missing.fits'), join(dir, 'never.fits'));
    expect(bad.code).not.toBe(0);
    expect(existsSync(join(dir, 'never.fits'))).toBe(false);
    expect(readdirSync(dir).filter((n) => n.includes('never'))).toEqual([]);
  });

  it('the real entry point prints one JSON document on stdout and exits 0', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'fits', 'info', SIP_FILE, '--json'], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    expect(JSON.parse(out).hdus[0].bitpix).toBe(16);
    const failed = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'wcs', 'pix2sky', SIP_FILE, 'x', '1'], { encoding: 'utf8', cwd: ROOT });
    expect(failed.status).toBe(2);
    expect(failed.stdout).toBe('');
    expect(failed.stderr.trim()).toMatch(/^openastro: X #1: 'x' is not a number$/);
  });
});
