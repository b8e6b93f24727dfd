/**
 * `openastro calibrate` in-process: masters from synthetic raw frames with known bias, dark
 * current and flat, calibrated lights checked against the injected scene, JSON output, help,
 * and errors that name the offending file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Header } from '../../src/science/fits/header.js';
import { FitsReader } from '../../src/science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../../src/science/fits/writer.js';
import { Rng } from '../../src/science/inference/random.js';
import { MaskBit } from '../../src/science/image/mask.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, dir);

const W = 32;
const H = 24;
const N = W * H;
let dir: string;
const bias = (x: number, y: number): number => 400 + 2 * Math.cos(x / 3) + 0.1 * y;
const flatTruth = (x: number, y: number): number => 1 - 0.25 * (((x - 15.5) / 16) ** 2 + ((y - 11.5) / 12) ** 2);
const scene = (x: number, y: number): number => 200 + 3000 * Math.exp(-((x - 10.3) ** 2 + (y - 12.2) ** 2) / 4);
const RATE = 0.5;

async function writeRaw(name: string, exposureS: number, signal: (x: number, y: number) => number, rng: Rng, opts: { width?: number } = {}): Promise<string> {
  const w = opts.width ?? W;
  const data = new Uint16Array(w * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < w; x++) {
      const e = RATE * exposureS + flatTruth(x, y) * signal(x, y);
      data[y * w + x] = Math.round(bias(x, y) + e + Math.sqrt(e + 16) * rng.normal());
    }
  }
  const header = new Header();
  header.set('EXPTIME', exposureS);
  header.set('SATURATE', 65000);
  const path = join(dir, name);
  await writeFitsFile(path, [imageHdu(data, [w, H], { header })]);
  return path;
}

const files: { bias: string[]; dark: string[]; flat: string[]; light: string[] } = { bias: [], dark: [], flat: [], light: [] };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openastro-cli-calibrate-'));
  const rng = new Rng(17);
  for (let k = 0; k < 9; k++) files.bias.push(await writeRaw(`bias_${k}.fits`, 0, () => 0, rng));
  for (let k = 0; k < 9; k++) files.dark.push(await writeRaw(`dark_${k}.fits`, 120, () => 0, rng));
  for (let k = 0; k < 9; k++) files.flat.push(await writeRaw(`flat_${k}.fits`, 2, () => 20000 + 1000 * k, rng));
  for (let k = 0; k < 2; k++) files.light.push(await writeRaw(`light_${k}.fits`, 60, scene, rng));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readCalibrated(path: string): Promise<{ data: Float32Array; mask: Uint8Array; header: Header }> {
  const r = await FitsReader.open(path);
  try {
    const img = await r.readImage(0);
    const m = await r.readImage(1);
    return { data: img.data as Float32Array, mask: m.data as Uint8Array, header: r.hdus[0].header };
  } finally {
    await r.close();
  }
}

/** RMS of (calibrated − flat-normalised scene) over unflagged pixels. */
function residualRms(data: Float32Array, mask: Uint8Array): number {
  const f: number[] = [];
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) f.push(flatTruth(x, y));
  const med = [...f].sort((a, b) => a - b)[N >> 1];
  let ss = 0;
  let m = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      if (mask[i]) continue;
      ss += (data[i] - scene(x, y) * med) ** 2 / (scene(x, y) + 40);
      m++;
    }
  }
  return Math.sqrt(ss / m);
}

describe('openastro calibrate', () => {
  it('documents itself in --help', async () => {
    for (const sub of [[], ['master-bias'], ['master-dark'], ['master-flat'], ['apply'], ['run']]) {
      const r = await cli('calibrate', ...sub, '--help');
      expect(r.code, sub.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: openastro calibrate/);
    }
    expect((await cli('calibrate', '--help')).stdout).toMatch(/master-bias[\s\S]*apply/);
    expect((await cli('calibrate', 'apply', '--help')).stdout).toMatch(/MASK extension/);
  });

  it('builds masters step by step and applies them (--json)', async () => {
    const mb = await cli('calibrate', 'master-bias', ...files.bias, '-o', 'mb.fits', '--json');
    expect(mb.code, mb.stderr).toBe(0);
    const sb = JSON.parse(mb.stdout);
    expect(sb).toMatchObject({ output: 'mb.fits', kind: 'bias', frames: 9, method: 'clipped-mean', width: W, height: H });
    expect(typeof sb.seconds).toBe('number');
    const md = await cli('calibrate', 'master-dark', ...files.dark, '--bias', 'mb.fits', '-o', 'md.fits', '--json');
    expect(md.code, md.stderr).toBe(0);
    expect(JSON.parse(md.stdout)).toMatchObject({ kind: 'dark', exposureS: 120 });
    const mf = await cli('calibrate', 'master-flat', ...files.flat, '--bias', 'mb.fits', '--dark', 'md.fits', '-o', 'mf.fits', '--json', '--method', 'median');
    expect(mf.code, mf.stderr).toBe(0);
    expect(JSON.parse(mf.stdout)).toMatchObject({ kind: 'flat', method: 'median' });

    const ap = await cli('calibrate', 'apply', ...files.light, '--bias', 'mb.fits', '--dark', 'md.fits', '--flat', 'mf.fits', '-o', 'out', '--json');
    expect(ap.code, ap.stderr).toBe(0);
    const res = JSON.parse(ap.stdout);
    expect(res.outputs).toHaveLength(2);
    expect(res.outputs[0]).toMatchObject({ input: files.light[0], exposureS: 60, darkScale: 0.5 });
    expect(res.outputs[0].output).toBe(join(dir, 'out', 'light_0_cal.fits'));
    const cal = await readCalibrated(res.outputs[0].output);
    expect(cal.header.get('EXPTIME')).toBe(60);
    expect(cal.header.findAll('HISTORY').length).toBeGreaterThanOrEqual(3);
    // Residuals in units of the light's own noise: masters add ~10 %.
    const rms = residualRms(cal.data, cal.mask);
    expect(rms).toBeGreaterThan(0.9);
    expect(rms).toBeLessThan(1.3);
  });

  it('does everything in one go with the default subcommand, lights first', async () => {
    const r = await cli('calibrate', files.light[1], '--bias', ...files.bias, '--dark', ...files.dark, '--flat', ...files.flat, '-o', 'all', '--saturation', '1000', '--json');
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.masters.map((m: { kind: string }) => m.kind)).toEqual(['bias', 'dark', 'flat']);
    for (const k of ['bias', 'dark', 'flat']) expect(existsSync(join(dir, 'all', `master_${k}.fits`))).toBe(true);
    // The star's core is above 1000 ADU: flagged SATURATED.
    expect(res.outputs[0].flagged.SATURATED).toBeGreaterThan(0);
    const cal = await readCalibrated(res.outputs[0].output);
    const core = Math.round(12.2) * W + Math.round(10.3);
    expect(cal.mask[core] & MaskBit.SATURATED).toBe(MaskBit.SATURATED);
    expect(residualRms(cal.data, new Uint8Array(N))).toBeLessThan(1.3);
  });

  it('names the frame whose shape differs', async () => {
    const odd = await writeRaw('odd_bias.fits', 0, () => 0, new Rng(1), { width: W + 1 });
    const r = await cli('calibrate', 'master-bias', files.bias[0], odd, '-o', 'x.fits');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ImageError: .*odd_bias\.fits.*33×24/);
    expect(r.stdout).toBe('');
    expect(existsSync(join(dir, 'x.fits'))).toBe(false);
  });

  it('usage errors exit 2', async () => {
    expect((await cli('calibrate', 'apply', files.light[0], '-o', 'o2')).code).toBe(2);
    expect((await cli('calibrate', 'master-bias', files.bias[0])).code).toBe(2);
    expect((await cli('calibrate', 'master-bias', files.bias[0], '-o', 'y.fits', '--method', 'mode')).code).toBe(2);
  });

  it('refuses a master of the wrong kind', async () => {
    await cli('calibrate', 'master-bias', ...files.bias.slice(0, 3), '-o', 'mb2.fits');
    const r = await cli('calibrate', 'apply', files.light[0], '--flat', 'mb2.fits', '-o', 'o3');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/MASTER BIAS, expected a MASTER FLAT/);
  });
});
