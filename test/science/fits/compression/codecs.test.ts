/** The codecs on their own: Rice, quantization, gzip shuffling, PLIO. */
import { describe, expect, it } from 'vitest';
import {
  dequantizeTile,
  ditherSequence,
  estimateNoise,
  plioDecode,
  quantizeTile,
  riceDecode,
  riceEncode,
  shuffleBytes,
  unshuffleBytes,
  NULL_VALUE,
  ZERO_VALUE,
} from '../../../../src/science/fits/compression/index.js';
import { gaussian, rng } from './helpers.js';

describe('RICE_1', () => {
  const widths = [
    [1, 0, 255],
    [2, -32768, 32767],
    [4, -2147483648, 2147483647],
  ] as const;
  for (const [bytePix, lo, hi] of widths) {
    it(`round-trips BYTEPIX ${bytePix}: noise, flat runs, jumps between the extremes`, () => {
      const u = rng(bytePix);
      const g = gaussian(u);
      const n = 32 * 40 + 7; // a short last block
      const v = new Int32Array(n);
      for (let i = 0; i < n; i++) v[i] = Math.max(lo, Math.min(hi, Math.round((lo + hi) / 2 + 5 * g())));
      v.fill(42, 64, 160); // zero-difference blocks
      for (let i = 200; i < 264; i++) v[i] = i % 2 ? lo : hi; // high-entropy blocks
      for (let i = 300; i < 332; i++) v[i] = Math.floor(lo + u() * (hi - lo)); // raw range
      v[n - 1] = hi;
      const enc = riceEncode(v, 32, bytePix);
      const dec = riceDecode(enc, n, 32, bytePix);
      const shift = 32 - 8 * bytePix;
      for (let i = 0; i < n; i++) expect(((dec[i] << shift) >> shift) >>> 0 & 0xffffffff).toBe(((v[i] << shift) >> shift) >>> 0 & 0xffffffff);
    });
  }

  it('compresses a flat block to its code alone, and noise to about its entropy', () => {
    // One first pixel (2 bytes) and four 4-bit zero codes.
    expect(riceEncode(new Int16Array(128).fill(7), 32, 2).length).toBe(2 + 2);
    // Gaussian noise with σ = 10 needs about log2(σ·√(2πe)) ≈ 5.4 bits per pixel.
    const g = gaussian(rng(5));
    const v = Int16Array.from({ length: 32000 }, () => Math.round(1000 + 10 * g()));
    const bits = (riceEncode(v, 32, 2).length * 8) / v.length;
    expect(bits).toBeGreaterThan(5.4);
    expect(bits).toBeLessThan(6.6);
  });

  it('takes any block size', () => {
    const v = Int32Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1013);
    for (const bs of [1, 16, 31, 32, 64, 1000]) expect(Array.from(riceDecode(riceEncode(v, bs, 4), 1000, bs, 4))).toEqual(Array.from(v));
  });

  it('rejects a bad BYTEPIX or block size', () => {
    expect(() => riceEncode(new Int32Array(4), 32, 3)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED' }));
    expect(() => riceDecode(new Uint8Array(4), 4, 0, 4)).toThrow(expect.objectContaining({ code: 'BAD_VALUE' }));
  });
});

describe('quantization', () => {
  it('dither sequence: the convention’s generator', () => {
    const r = ditherSequence();
    expect(r).toHaveLength(10000);
    // First value: seed 16807 / (2^31 − 1), rounded to single precision.
    expect(r[0]).toBe(Math.fround(16807 / 2147483647));
    // Second: 16807² mod (2^31 − 1) = 282475249.
    expect(r[1]).toBe(Math.fround(282475249 / 2147483647));
    for (const x of r) {
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('estimates the noise of white Gaussian noise (σ = 7) within 5 %', () => {
    const g = gaussian(rng(11));
    const nx = 400;
    const ny = 50;
    const v = Float32Array.from({ length: nx * ny }, (_, i) => 300 + 7 * g() + 0.01 * (i % nx));
    const e = estimateNoise(v, 0, nx, ny);
    for (const s of [e.noise2, e.noise3, e.noise5]) expect(Math.abs(s / 7 - 1)).toBeLessThan(0.05);
    expect(e.good).toBe(nx * ny);
  });

  it('ignores smooth structure: a steep ramp adds no noise', () => {
    const g = gaussian(rng(12));
    const v = Float64Array.from({ length: 300 * 20 }, (_, i) => 10 * (i % 300) + 2 * g());
    const e = estimateNoise(v, 0, 300, 20);
    expect(Math.abs(e.noise3 / 2 - 1)).toBeLessThan(0.1);
  });

  it('SUBTRACTIVE_DITHER_1: error within half a step, and unbiased', () => {
    const g = gaussian(rng(13));
    const n = 5000;
    const v = Float32Array.from({ length: n }, () => 100 + 4 * g());
    const q = new Int32Array(n);
    const t = quantizeTile(v, 0, 100, 50, 3, { level: 4, method: 'SUBTRACTIVE_DITHER_1', dither0: 17 }, q)!;
    expect(t.scale).toBeGreaterThan(0.8);
    expect(t.scale).toBeLessThan(1.2);
    const back = new Float32Array(n);
    dequantizeTile(q, n, 3, { scale: t.scale, zero: t.zero, method: 'SUBTRACTIVE_DITHER_1', dither0: 17 }, back, 0);
    let sum = 0;
    let sum2 = 0;
    for (let i = 0; i < n; i++) {
      const d = back[i] - v[i];
      expect(Math.abs(d)).toBeLessThanOrEqual(t.scale / 2 + 1e-4);
      sum += d;
      sum2 += d * d;
    }
    // Dithered quantization error is uniform: mean 0, rms step/√12.
    expect(Math.abs(sum / n)).toBeLessThan(0.02 * t.scale);
    expect(Math.sqrt(sum2 / n) / (t.scale / Math.sqrt(12))).toBeGreaterThan(0.95);
    expect(Math.sqrt(sum2 / n) / (t.scale / Math.sqrt(12))).toBeLessThan(1.05);
  });

  it('nulls and exact zeros', () => {
    const g = gaussian(rng(14));
    const v = Float32Array.from({ length: 400 }, () => 50 + g());
    v[10] = NaN;
    v[11] = -Infinity;
    v[20] = 0;
    const q = new Int32Array(400);
    const t = quantizeTile(v, 0, 40, 10, 0, { level: 4, method: 'SUBTRACTIVE_DITHER_2', dither0: 1 }, q)!;
    expect(t.hasNulls).toBe(true);
    expect(q[10]).toBe(NULL_VALUE);
    expect(q[11]).toBe(NULL_VALUE);
    expect(q[20]).toBe(ZERO_VALUE);
    const back = new Float32Array(400);
    dequantizeTile(q, 400, 0, { scale: t.scale, zero: t.zero, method: 'SUBTRACTIVE_DITHER_2', dither0: 1, blank: NULL_VALUE }, back, 0);
    expect(back[10]).toBeNaN();
    expect(back[11]).toBeNaN();
    expect(Object.is(back[20], 0)).toBe(true);
  });

  it('refuses tiles it cannot quantize', () => {
    const flat = new Float32Array(100).fill(3);
    expect(quantizeTile(flat, 0, 100, 1, 0, { level: 4, method: 'NO_DITHER', dither0: 1 }, new Int32Array(100))).toBeUndefined();
    const wide = Float32Array.from({ length: 100 }, (_, i) => (i % 2 ? 3e38 : -3e38) + i);
    expect(quantizeTile(wide, 0, 100, 1, 0, { level: -1e-3, method: 'NO_DITHER', dither0: 1 }, new Int32Array(100))).toBeUndefined();
  });
});

describe('GZIP_2 shuffle and PLIO', () => {
  it('shuffle groups bytes by significance and unshuffles back', () => {
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(shuffleBytes(b, 4))).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
    expect(Array.from(unshuffleBytes(shuffleBytes(b, 2), 2))).toEqual(Array.from(b));
  });

  it('PLIO line lists (IRAF plio format, both header layouts)', () => {
    // New layout: 7-word header, length 12. Then: 3 zeros; value := 5; 2 pixels of it;
    // value += 2 and one pixel; 2 zeros then one pixel (opcode 5, N = 3); value := 4096·1 + 1.
    const list = new Int16Array([0, 7, -100, 14, 0, 0, 0, 0x0003, 0x1005, 0x0000, 0x4002, 0x6002, 0x5003, 0x1001, 0x0001, 0x4001]);
    list[3] = list.length;
    expect(Array.from(plioDecode(list, 12))).toEqual([0, 0, 0, 5, 5, 7, 0, 0, 7, 4097, 0, 0]);
    // Old layout: length in word 3, instructions from word 4.
    const old = new Int16Array([0, 0, 5, 0x4003, 0x7001]);
    expect(Array.from(plioDecode(old, 5))).toEqual([1, 1, 1, 0, 0]);
  });
});
