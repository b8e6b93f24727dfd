/**
 * Calibration frames: combination against astropy (sigma_clip(axis=0) + mean, nanmedian,
 * nanmean on a committed 7-frame stack), and bias / dark / flat built from synthetic frames
 * with known truth, applied to a light frame whose scene is recovered within its noise.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../../../src/science/inference/random.js';
import { Header } from '../../../src/science/fits/header.js';
import { imageHdu, writeFitsFile } from '../../../src/science/fits/writer.js';
import { writeCompressedFits } from '../../../src/science/fits/compression/compressed-image.js';
import { writeFile } from 'node:fs/promises';
import {
  applyCalibration,
  arrayFrame,
  bandRows,
  combineFrames,
  masterBias,
  masterDark,
  masterFlat,
  openFitsFrame,
  type CombineMethod,
  type FrameSource,
  type MasterFrame,
} from '../../../src/science/image/calibration.js';
import { MaskBit } from '../../../src/science/image/mask.js';
import { ImageError } from '../../../src/science/image/errors.js';

const DIR = resolve(import.meta.dirname, '../../fixtures/image-background');

describe('combination vs astropy', () => {
  const meta = JSON.parse(readFileSync(join(DIR, 'combine.json'), 'utf8')) as {
    frames: number;
    width: number;
    height: number;
    clippedMean: Array<number | null>;
    median: Array<number | null>;
    mean: Array<number | null>;
  };
  const b = readFileSync(join(DIR, 'combine.f32'));
  const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  const n = meta.width * meta.height;
  const frames = (): FrameSource[] =>
    Array.from({ length: meta.frames }, (_, i) => arrayFrame(`frame${i}`, { data: all.slice(i * n, (i + 1) * n), width: meta.width, height: meta.height }));

  const cases: Array<[CombineMethod, Array<number | null>]> = [
    ['clipped-mean', meta.clippedMean],
    ['median', meta.median],
    ['mean', meta.mean],
  ];
  for (const [method, golden] of cases) {
    it(`${method} equals astropy / numpy per pixel (NaN → NO_DATA)`, async () => {
      const r = await combineFrames(frames(), { method });
      for (let i = 0; i < n; i++) {
        const g = golden[i];
        if (g === null) {
          expect(r.data[i]).toBeNaN();
          expect(r.mask[i] & MaskBit.NO_DATA).toBe(MaskBit.NO_DATA);
        } else {
          expect(Math.abs(r.data[i] - g)).toBeLessThanOrEqual(1e-6 * Math.abs(g));
          expect(r.mask[i]).toBe(0);
        }
      }
    });
  }

  it('clipping removes a cosmic ray that a plain mean keeps (enough frames)', async () => {
    // With n frames a single large outlier sits n/√(n − 1) σ from the median (σ inflated by
    // the outlier itself): 3σ clipping needs n ≥ 8 (astropy behaves the same, so the
    // 7-frame golden above keeps some cosmic rays).
    const rng = new Rng(3);
    const fr = Array.from({ length: 15 }, (_, k) => {
      const d = Float32Array.from({ length: 20 }, () => 100 + rng.normal());
      if (k === 4) d[7] += 1000;
      return arrayFrame(`f${k}`, { data: d, width: 5, height: 4 });
    });
    const clipped = await combineFrames(fr, { method: 'clipped-mean' });
    const mean = await combineFrames(fr, { method: 'mean' });
    expect(mean.data[7]).toBeGreaterThan(150);
    expect(Math.abs(clipped.data[7] - 100)).toBeLessThan(1.5);
  });

  it('row bands of any height give the same result (streaming)', async () => {
    const whole = await combineFrames(frames(), { method: 'clipped-mean' });
    expect(bandRows(meta.frames, meta.width, meta.height, 1)).toBe(1);
    let calls = 0;
    const oneRow = await combineFrames(frames(), { method: 'clipped-mean', memoryBytes: 1, onProgress: () => calls++ });
    expect(calls).toBe(meta.height);
    expect(oneRow.data).toEqual(whole.data);
    const fiveRows = await combineFrames(frames(), { method: 'clipped-mean', memoryBytes: meta.frames * meta.width * 4 * 5 });
    expect(fiveRows.data).toEqual(whole.data);
  });
});

// ---------------------------------------------------------------------------------------
// Injected truth

const W = 64;
const H = 48;
const N = W * H;
const READ_NOISE = 5;
const DARK_RATE = 0.2; // e⁻/s (gain 1)
const HOT = [
  [10, 10],
  [50, 7],
  [33, 40],
];
const HOT_RATE = 30;
const DEAD = [20, 30]; // flat response 0
const SAT = 60000;

interface Truth {
  bias: Float64Array;
  rate: Float64Array;
  flat: Float64Array;
  scene: Float64Array;
}

function makeTruth(): Truth {
  const bias = new Float64Array(N);
  const rate = new Float64Array(N).fill(DARK_RATE);
  const flat = new Float64Array(N);
  const scene = new Float64Array(N);
  const rng = new Rng(99);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      bias[i] = 500 + 3 * Math.sin(x / 5) + 0.02 * y;
      const r2 = ((x - 31.5) ** 2 + (y - 23.5) ** 2) / (32 * 32 + 24 * 24);
      flat[i] = (1 - 0.3 * r2) * (1 + 0.02 * rng.normal());
      // Sky + a faint star + a star bright enough to saturate.
      scene[i] = 300 + 4000 * Math.exp(-((x - 15.2) ** 2 + (y - 30.7) ** 2) / (2 * 1.5 ** 2)) + 90000 * Math.exp(-((x - 45.6) ** 2 + (y - 20.1) ** 2) / (2 * 1.2 ** 2));
    }
  }
  for (const [x, y] of HOT) rate[y * W + x] = HOT_RATE;
  flat[DEAD[1] * W + DEAD[0]] = 0;
  return { bias, rate, flat, scene };
}

/** A raw frame: bias + dark·t + flat·signal, Poisson (Gaussian approximation) + read noise. */
function raw(t: Truth, rng: Rng, exposureS: number, signal: (i: number) => number): Float32Array {
  const out = new Float32Array(N);
  for (let i = 0; i < N; i++) {
    const e = t.rate[i] * exposureS + t.flat[i] * signal(i);
    const v = t.bias[i] + e + Math.sqrt(e + READ_NOISE ** 2) * rng.normal();
    out[i] = Math.min(SAT, Math.round(v));
  }
  return out;
}

describe('calibration on injected truth', () => {
  const truth = makeTruth();
  const rng = new Rng(2024);
  const biasFrames = Array.from({ length: 11 }, (_, k) => arrayFrame(`bias${k}`, { data: raw(truth, rng, 0, () => 0), width: W, height: H }, 0));
  const darkExposures = [60, 60, 60, 60, 60, 60, 60, 120, 120];
  const darkFrames = darkExposures.map((t, k) => {
    const d = raw(truth, rng, t, () => 0);
    if (k === 2) d[5 * W + 5] += 5000; // cosmic ray
    return arrayFrame(`dark${k}`, { data: d, width: W, height: H }, t);
  });
  const flatLevels = [20000, 22000, 25000, 27000, 30000, 24000, 26000];
  const flatFrames = flatLevels.map((L, k) => arrayFrame(`flat${k}`, { data: raw(truth, rng, 5, () => L), width: W, height: H }, 5));
  const lightRaw = raw(truth, rng, 90, (i) => truth.scene[i]);
  let bias: MasterFrame;
  let dark: MasterFrame;
  let flat: MasterFrame;

  beforeAll(async () => {
    bias = await masterBias(biasFrames);
    dark = await masterDark(darkFrames, { bias, hotSigma: 10 });
    flat = await masterFlat(flatFrames, { bias, dark });
  });

  it('master bias recovers the bias pattern within read noise / √N', () => {
    let s = 0;
    let ss = 0;
    for (let i = 0; i < N; i++) {
      const d = bias.data[i] - truth.bias[i];
      s += d;
      ss += d * d;
    }
    const sd = Math.sqrt(ss / N - (s / N) ** 2);
    expect(Math.abs(s / N)).toBeLessThan(0.1);
    // Rounding to integers adds 1/12 ADU² per frame.
    const expected = Math.sqrt((READ_NOISE ** 2 + 1 / 12) / 11);
    expect(sd / expected).toBeGreaterThan(0.85);
    expect(sd / expected).toBeLessThan(1.2);
    expect(bias.frames).toBe(11);
  });

  it('master dark is the dark current scaled to the median exposure (60 s), hot pixels flagged', () => {
    expect(dark.exposureS).toBe(60);
    expect(dark.biasSubtracted).toBe(true);
    let s = 0;
    let m = 0;
    for (let i = 0; i < N; i++) {
      if (truth.rate[i] !== DARK_RATE) continue;
      s += dark.data[i];
      m++;
    }
    expect(Math.abs(s / m - DARK_RATE * 60)).toBeLessThan(0.2);
    for (const [x, y] of HOT) {
      const i = y * W + x;
      expect(dark.data[i]).toBeGreaterThan(HOT_RATE * 60 * 0.97);
      expect(dark.mask[i] & MaskBit.HOT).toBe(MaskBit.HOT);
    }
    // The cosmic ray in one dark is clipped away.
    expect(Math.abs(dark.data[5 * W + 5] - DARK_RATE * 60)).toBeLessThan(15);
    const hot = Array.from(dark.mask).filter((v) => v & MaskBit.HOT).length;
    expect(hot).toBe(HOT.length);
  });

  it('master flat is the normalised response, dead pixel flagged LOW_RESPONSE', () => {
    const med = [...truth.flat].sort((a, b) => a - b)[N >> 1];
    let worst = 0;
    for (let i = 0; i < N; i++) {
      if (truth.flat[i] === 0) continue;
      worst = Math.max(worst, Math.abs(flat.data[i] - truth.flat[i] / med));
    }
    // Per pixel noise of the combined flat: ~1/√(7 × 25000) ≈ 0.0024; 5σ.
    expect(worst).toBeLessThan(0.012);
    expect(flat.mask[DEAD[1] * W + DEAD[0]] & MaskBit.LOW_RESPONSE).toBe(MaskBit.LOW_RESPONSE);
    expect(flat.frameLevels).toHaveLength(7);
    expect(flat.darkSubtracted).toBe(true);
  });

  it('the calibrated light frame recovers the scene within its noise', () => {
    const cal = applyCalibration({ data: lightRaw, width: W, height: H, exposureS: 90, name: 'light' }, { bias, dark, flat }, { saturationAdu: SAT });
    expect(cal.darkScale).toBe(1.5);
    const med = [...truth.flat].sort((a, b) => a - b)[N >> 1];
    let s = 0;
    let ss = 0;
    let m = 0;
    for (let i = 0; i < N; i++) {
      if (cal.mask[i] !== 0) continue;
      const expected = truth.scene[i] * med; // flat normalised by its median
      const f = truth.flat[i];
      // Light noise + master noises (bias /11, dark /9 scaled by 1.5) + flat noise.
      const eLight = truth.rate[i] * 90 + f * truth.scene[i];
      const varRaw = eLight + READ_NOISE ** 2 + 1 / 12 + (READ_NOISE ** 2 + 1 / 12) / 11 + 1.5 ** 2 * (DARK_RATE * 60 + 2 * READ_NOISE ** 2) / 9;
      const varFlat = (expected * 0.0025) ** 2;
      const sigma = Math.sqrt(varRaw / (f / med) ** 2 + varFlat);
      const z = (cal.data[i] - expected) / sigma;
      s += z;
      ss += z * z;
      m++;
    }
    expect(m).toBeGreaterThan(N - 60);
    const mean = s / m;
    const sd = Math.sqrt(ss / m - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(m));
    expect(sd).toBeGreaterThan(0.9);
    expect(sd).toBeLessThan(1.1);
  });

  it('masks propagate: saturation, hot pixels, dead flat pixel, bad-pixel map, NaN input', () => {
    const light = Float32Array.from(lightRaw);
    light[3] = NaN;
    const bpm = new Uint8Array(N);
    bpm[100] = 1;
    const cal = applyCalibration({ data: light, width: W, height: H, exposureS: 90 }, { bias, dark, flat }, { saturationAdu: SAT, badPixelMask: bpm });
    const sat = Array.from(cal.mask).filter((v) => v & MaskBit.SATURATED).length;
    expect(sat).toBe(Array.from(lightRaw).filter((v) => v >= SAT).length);
    expect(sat).toBeGreaterThan(0);
    for (const [x, y] of HOT) expect(cal.mask[y * W + x] & MaskBit.HOT).toBe(MaskBit.HOT);
    expect(cal.mask[DEAD[1] * W + DEAD[0]] & MaskBit.LOW_RESPONSE).toBe(MaskBit.LOW_RESPONSE);
    expect(cal.mask[100] & MaskBit.BAD).toBe(MaskBit.BAD);
    expect(cal.mask[3] & MaskBit.NO_DATA).toBe(MaskBit.NO_DATA);
    expect(cal.data[3]).toBeNaN();
    // An input mask plane is kept.
    const given = new Uint8Array(N);
    given[7] = MaskBit.COSMIC_RAY;
    const cal2 = applyCalibration({ data: lightRaw, width: W, height: H, exposureS: 90 }, { bias }, { mask: given });
    expect(cal2.mask[7]).toBe(MaskBit.COSMIC_RAY);
  });

  it('a dark made without bias is applied unscaled to lights of its exposure only', async () => {
    const d60 = darkFrames.slice(0, 7);
    const rawDark = await masterDark(d60);
    expect(rawDark.biasSubtracted).toBe(false);
    const light60 = raw(truth, new Rng(5), 60, (i) => truth.scene[i]);
    const cal = applyCalibration({ data: light60, width: W, height: H, exposureS: 60 }, { bias, dark: rawDark });
    // The bias is inside the dark: not subtracted twice.
    const i = 10 * W + 30;
    expect(Math.abs(cal.data[i] - truth.flat[i] * truth.scene[i])).toBeLessThan(6 * Math.sqrt(truth.scene[i] + 40));
    expect(() => applyCalibration({ data: lightRaw, width: W, height: H, exposureS: 90 }, { dark: rawDark })).toThrow(/cannot be scaled/);
    await expect(masterDark(darkFrames)).rejects.toThrow(/master bias/);
  });
});

// ---------------------------------------------------------------------------------------
// Bad input

describe('calibration: bad input', () => {
  const good = (name: string, t = 10): FrameSource => arrayFrame(name, { data: new Float32Array(12).fill(1), width: 4, height: 3 }, t);

  it('mismatched shapes name the frame', async () => {
    const odd = arrayFrame('odd.fits', { data: new Float32Array(12), width: 3, height: 4 });
    const err = await masterBias([good('a.fits'), good('b.fits'), odd]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageError);
    expect((err as ImageError).code).toBe('SIZE_MISMATCH');
    expect((err as ImageError).message).toMatch(/odd\.fits/);
    expect((err as ImageError).location.frame).toBe(2);
    const bias = await masterBias([good('a'), good('b')]);
    expect(() => applyCalibration({ data: new Float32Array(20), width: 5, height: 4, name: 'light.fits' }, { bias })).toThrow(/master bias is 4×3.*light\.fits|light\.fits.*master bias/);
  });

  it('an all-NaN frame is ALL_NAN naming it', async () => {
    const nan = arrayFrame('nan.fits', { data: new Float32Array(12).fill(NaN), width: 4, height: 3 });
    await expect(masterBias([good('a'), nan])).rejects.toThrow(expect.objectContaining({ code: 'ALL_NAN', message: expect.stringMatching(/nan\.fits/) }));
    await expect(masterFlat([nan])).rejects.toThrow(expect.objectContaining({ code: 'ALL_NAN' }));
    expect(() => applyCalibration({ data: new Float32Array(12).fill(NaN), width: 4, height: 3, name: 'l.fits' }, {})).toThrow(
      expect.objectContaining({ code: 'ALL_NAN' }),
    );
  });

  it('zero or missing exposure where a dark must be scaled', async () => {
    await expect(masterDark([good('d0', 0)], {})).rejects.toThrow(expect.objectContaining({ code: 'BAD_ARGUMENT', message: expect.stringMatching(/d0.*exposure 0/) }));
    const noExp = arrayFrame('d1', { data: new Float32Array(12), width: 4, height: 3 });
    await expect(masterDark([noExp])).rejects.toThrow(/no exposure time/);
    const bias = await masterBias([good('b')]);
    const dark = await masterDark([good('d', 10)], { bias });
    expect(() => applyCalibration({ data: new Float32Array(12), width: 4, height: 3, name: 'l' }, { bias, dark })).toThrow(/no exposure time/);
    const zeroDark: MasterFrame = { ...dark, exposureS: 0 };
    expect(() => applyCalibration({ data: new Float32Array(12), width: 4, height: 3, exposureS: 5 }, { bias, dark: zeroDark })).toThrow(/must be positive/);
    // A zero-second light (a bias-like frame) is fine: the dark scales to nothing.
    expect(applyCalibration({ data: new Float32Array(12), width: 4, height: 3, exposureS: 0 }, { bias, dark }).darkScale).toBe(0);
    expect(() => applyCalibration({ data: new Float32Array(12), width: 4, height: 3, exposureS: 5 }, { dark })).toThrow(/give that master bias/);
  });

  it('rejects empty frame lists and bad options', async () => {
    await expect(masterBias([])).rejects.toThrow(/no bias frames/);
    await expect(masterBias([good('a')], { sigma: 0 })).rejects.toThrow(/sigma/);
    await expect(masterBias([good('a')], { method: 'mode' as CombineMethod })).rejects.toThrow(/method/);
    expect(() => applyCalibration({ data: new Float32Array(12), width: 4, height: 3 }, {}, { badPixelMask: new Uint8Array(3) })).toThrow(
      expect.objectContaining({ code: 'SIZE_MISMATCH' }),
    );
  });
});

describe('FITS frames', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'openastro-calib-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads row bands of plain and tile-compressed images, with EXPTIME', async () => {
    const w = 37;
    const h = 29;
    const data = new Uint16Array(w * h).map((_, i) => 1000 + ((i * 7919) % 5000));
    const header = new Header();
    header.set('EXPTIME', 12.5);
    const plain = join(dir, 'plain.fits');
    await writeFitsFile(plain, [imageHdu(data, [w, h], { header })]);
    const image = { bitpix: 16 as const, axes: [w, h], width: w, height: h, data, bscale: 1, bzero: 32768 };
    const packed = join(dir, 'packed.fits.fz');
    await writeFile(packed, writeCompressedFits(image, { type: 'RICE_1', tileShape: [w, 4] }, header));
    for (const path of [plain, packed]) {
      const f = await openFitsFrame(path);
      expect([f.width, f.height, f.exposureS]).toEqual([w, h, 12.5]);
      const band = await f.readRows(5, 9);
      expect(Array.from(band)).toEqual(Array.from(data.subarray(5 * w, 14 * w)));
      const last = await f.readRows(h - 1, 1);
      expect(Array.from(last)).toEqual(Array.from(data.subarray((h - 1) * w)));
      await expect(Promise.resolve().then(() => f.readRows(28, 2))).rejects.toThrow(ImageError);
      await f.close();
    }
    const frames = [await openFitsFrame(plain), await openFitsFrame(packed)];
    const combined = await combineFrames(frames, { method: 'median', memoryBytes: 2 * w * 4 * 3 });
    expect(Array.from(combined.data)).toEqual(Array.from(data));
    for (const f of frames) await f.close();
  });

  it('a file without a 2-D image is a clear error', async () => {
    const path = join(dir, 'empty.fits');
    await writeFitsFile(path, [imageHdu(new Uint8Array(0), [])]);
    await expect(openFitsFrame(path)).rejects.toThrow(/no 2-D image/);
  });
});
