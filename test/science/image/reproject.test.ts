import { describe, expect, it } from 'vitest';
import { FitsReader } from '../../../src/science/fits/reader.js';
import { ImageError } from '../../../src/science/image/errors.js';
import { reproject, type WcsImage } from '../../../src/science/image/reproject.js';
import { createWcs, wcsFromHeader } from '../../../src/science/wcs/index.js';

const DIR = new URL('../../fixtures/image-reproject/', import.meta.url);

async function load(name: string): Promise<WcsImage> {
  const r = await FitsReader.open(new URL(name, DIR).pathname);
  try {
    const wcs = wcsFromHeader(r.hdus[0].header);
    if (!wcs) throw new Error(`${name}: no WCS`);
    const img = await r.readImage(0);
    return { data: img.data as Float32Array, width: img.width, height: img.height, wcs };
  } finally {
    await r.close();
  }
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function rms(data: Float32Array): number {
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (const v of data) {
    if (Number.isNaN(v)) continue;
    s += v;
    s2 += v * v;
    n++;
  }
  return Math.sqrt(s2 / n - (s / n) ** 2);
}

/** |ours − golden| where both are valid; counts footprint disagreements. */
function compare(ours: Float32Array, golden: Float32Array): { diffs: number[]; nanMismatch: number } {
  const diffs: number[] = [];
  let nanMismatch = 0;
  for (let i = 0; i < golden.length; i++) {
    const a = ours[i];
    const b = golden[i];
    if (Number.isNaN(a) !== Number.isNaN(b)) nanMismatch++;
    else if (!Number.isNaN(a)) diffs.push(Math.abs(a - b));
  }
  return { diffs, nanMismatch };
}

describe('reproject vs astropy reproject 0.10', () => {
  it('bilinear matches reproject_interp(order="bilinear") onto a rotated, rescaled, shifted TAN-SIP grid', async () => {
    const input = await load('input.fits');
    const golden = await load('interp_a.fits');
    const res = reproject(input, golden);
    expect(res.maxMapErrorPx).toBeLessThan(0.01);
    const { diffs, nanMismatch } = compare(res.data, golden.data);
    const scale = rms(input.data);
    expect(diffs.length).toBeGreaterThan(0.5 * golden.data.length);
    expect(median(diffs)).toBeLessThan(1e-3 * scale);
    expect(Math.max(...diffs)).toBeLessThan(0.02 * scale);
    // Footprint edge: at most a handful of pixels sitting exactly on the −0.5 boundary.
    expect(nanMismatch).toBeLessThanOrEqual(3);
    for (let i = 0; i < res.data.length; i++) expect(res.footprint[i]).toBe(Number.isNaN(res.data[i]) ? 0 : 1);
  });

  it('exact matches reproject_exact onto the finer TAN-SIP grid', async () => {
    const input = await load('input.fits');
    const golden = await load('exact_a.fits');
    const res = reproject(input, golden, { method: 'exact' });
    const { diffs, nanMismatch } = compare(res.data, golden.data);
    const scale = rms(input.data);
    expect(median(diffs)).toBeLessThan(1e-4 * scale);
    // Partly covered edge pixels: reproject_exact's spherical polygons vs our straight edges.
    expect(Math.max(...diffs)).toBeLessThan(0.01 * scale);
    expect(nanMismatch).toBeLessThanOrEqual(2);
  });

  it('exact matches reproject_exact (values and footprint) on a coarser grid and conserves total flux to 0.1 %', async () => {
    const input = await load('input.fits');
    const golden = await load('exact_b.fits');
    const fpGolden = await load('exact_b_footprint.fits');
    const res = reproject(input, golden, { method: 'exact' });
    const { diffs } = compare(res.data, golden.data);
    expect(median(diffs)).toBeLessThan(1e-4 * rms(input.data));
    let fpWorst = 0;
    for (let i = 0; i < res.footprint.length; i++) fpWorst = Math.max(fpWorst, Math.abs(res.footprint[i] - fpGolden.data[i]));
    expect(fpWorst).toBeLessThan(1e-3);
    // Σ out × Ω_out (covered part) = Σ in × Ω_in. Both are plain TAN a few arcminutes wide:
    // the pixel solid angle is |det CD| to 1e-6.
    const det = (cd: readonly number[]): number => Math.abs(cd[0] * cd[3] - cd[1] * cd[2]);
    let fluxIn = 0;
    for (const v of input.data) fluxIn += v;
    fluxIn *= det(input.wcs.cd);
    let fluxOut = 0;
    for (let i = 0; i < res.data.length; i++) if (res.footprint[i] > 0) fluxOut += res.data[i] * res.footprint[i];
    fluxOut *= det(golden.wcs.cd);
    expect(Math.abs(fluxOut / fluxIn - 1)).toBeLessThan(1e-3);
    // Coarser output pixels: each output pixel is 1.7² input pixels.
    expect(det(golden.wcs.cd) / det(input.wcs.cd)).toBeCloseTo(1.7 ** 2, 6);
  });

  it('windows (tiles) give the same values as one whole-grid call', async () => {
    const input = await load('input.fits');
    const target = await load('interp_a.fits');
    for (const method of ['bilinear', 'lanczos3', 'exact'] as const) {
      const whole = reproject(input, target, { method });
      const win = { x0: 37, y0: 21, width: 64, height: 50 };
      const tile = reproject(input, target, { method, window: win });
      let worst = 0;
      for (let y = 0; y < win.height; y++) {
        for (let x = 0; x < win.width; x++) {
          const a = tile.data[y * win.width + x];
          const b = whole.data[(y + win.y0) * target.width + x + win.x0];
          if (Number.isNaN(a) || Number.isNaN(b)) expect(Number.isNaN(a) && Number.isNaN(b)).toBe(true);
          else worst = Math.max(worst, Math.abs(a - b));
        }
      }
      // Both maps are within 0.01 px of exact (of each other far closer); stars are steep.
      expect(worst).toBeLessThan(1e-3 * rms(input.data));
    }
  });
});

describe('reproject: analytic cases', () => {
  const wcsIn = createWcs({ crpix: [40, 30], crval: [120, -30], cd: [-2e-4, 0, 0, 2e-4] });
  const W = 80;
  const H = 60;
  // A smooth field, linear in x and y: bilinear reproduces it exactly inside the image.
  const plane = new Float32Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) plane[y * W + x] = 3 + 0.5 * x - 0.25 * y;

  it('identity WCS returns the input (all methods)', () => {
    for (const method of ['bilinear', 'lanczos3', 'exact'] as const) {
      const res = reproject({ data: plane, width: W, height: H, wcs: wcsIn }, { wcs: wcsIn, width: W, height: H }, { method });
      let worst = 0;
      for (let i = 0; i < plane.length; i++) worst = Math.max(worst, Math.abs(res.data[i] - plane[i]));
      expect(worst).toBeLessThan(1e-3);
    }
  });

  it('a half-pixel shift: bilinear averages neighbours, Lanczos-3 reproduces a linear field, NaN outside', () => {
    // Target shifted by +0.5 px in x (CRPIX − 0.5): target x ↔ input x + 0.5.
    const wcsT = createWcs({ crpix: [39.5, 30], crval: [120, -30], cd: [-2e-4, 0, 0, 2e-4] });
    const bil = reproject({ data: plane, width: W, height: H, wcs: wcsIn }, { wcs: wcsT, width: W + 2, height: H }, { method: 'bilinear' });
    const lz = reproject({ data: plane, width: W, height: H, wcs: wcsIn }, { wcs: wcsT, width: W + 2, height: H }, { method: 'lanczos3' });
    for (const y of [5, 30]) {
      for (const x of [10, 40]) {
        const expected = 3 + 0.5 * (x + 0.5) - 0.25 * y;
        expect(bil.data[y * (W + 2) + x]).toBeCloseTo(expected, 3);
        expect(lz.data[y * (W + 2) + x]).toBeCloseTo(expected, 3);
      }
      // target x = W → input x = W + 0.5 > W − 0.5: outside.
      expect(bil.data[y * (W + 2) + W]).toBeNaN();
      expect(bil.footprint[y * (W + 2) + W]).toBe(0);
      expect(lz.data[y * (W + 2) + W + 1]).toBeNaN();
    }
  });

  it('NaN input pixels: bilinear renormalises over valid neighbours; exact skips them', () => {
    const data = Float32Array.from(plane);
    data[30 * W + 40] = NaN;
    const wcsT = createWcs({ crpix: [39.5, 29.5], crval: [120, -30], cd: [-2e-4, 0, 0, 2e-4] });
    const res = reproject({ data, width: W, height: H, wcs: wcsIn }, { wcs: wcsT, width: W, height: H });
    // Target (40, 30) samples input (40.5, 30.5): neighbours (40,30) NaN, (41,30), (40,31), (41,31).
    const v = res.data[30 * W + 40];
    const expected = (plane[30 * W + 41] + plane[31 * W + 40] + plane[31 * W + 41]) / 3;
    expect(v).toBeCloseTo(expected, 4);
    expect(res.footprint[30 * W + 40]).toBeCloseTo(0.75, 6);
    const ex = reproject({ data, width: W, height: H, wcs: wcsIn }, { wcs: wcsIn, width: W, height: H }, { method: 'exact' });
    // Only slivers (map rounding) of the neighbours cover that output pixel: nearly uncovered.
    expect(ex.footprint[30 * W + 40]).toBeLessThan(1e-3);
    expect(ex.footprint[30 * W + 42]).toBeCloseTo(1, 5);
  });

  it('weights are mapped the same way', () => {
    const weights = new Float32Array(W * H).fill(2);
    for (let x = 0; x < W; x++) weights[x] = 4;
    const wcsT = createWcs({ crpix: [40, 29.5], crval: [120, -30], cd: [-2e-4, 0, 0, 2e-4] });
    for (const method of ['bilinear', 'exact'] as const) {
      const res = reproject({ data: plane, width: W, height: H, wcs: wcsIn }, { wcs: wcsT, width: W, height: H }, { method, weights });
      expect(res.weights).toBeDefined();
      // Target row 0 straddles input rows 0 and 1 half and half.
      expect(res.weights![10]).toBeCloseTo(3, 4);
      expect(res.weights![10 * W + 10]).toBeCloseTo(2, 5);
    }
  });

  it('exact conserves flux when shrinking pixels by 3× and when enlarging by 2.5×', () => {
    const data = new Float32Array(W * H);
    data[30 * W + 40] = 1000;
    data[10 * W + 12] = 50;
    data[45 * W + 70] = 7;
    for (const f of [1 / 3, 2.5]) {
      const size = Math.ceil(130 / f);
      const wcsT = createWcs({ crpix: [size / 2, size / 2], crval: [120, -30], cd: [-2e-4 * f * 0.8, 2e-4 * f * 0.6, 2e-4 * f * 0.6, 2e-4 * f * 0.8] });
      const res = reproject({ data, width: W, height: H, wcs: wcsIn }, { wcs: wcsT, width: size, height: size }, { method: 'exact' });
      let s = 0;
      for (let i = 0; i < res.data.length; i++) if (res.footprint[i] > 0) s += res.data[i] * res.footprint[i];
      expect(s * f * f).toBeCloseTo(1057, 1);
    }
  });
});

describe('reproject: bad input', () => {
  const wcs = createWcs({ crpix: [10, 10], crval: [10, 10], cd: [-1e-3, 0, 0, 1e-3] });
  const img = { data: new Float32Array(400).fill(1), width: 20, height: 20, wcs };

  it('NO_OVERLAP for a grid elsewhere on the sky', () => {
    const far = createWcs({ crpix: [10, 10], crval: [200, -40], cd: [-1e-3, 0, 0, 1e-3] });
    expect(() => reproject(img, { wcs: far, width: 20, height: 20 })).toThrow(expect.objectContaining({ code: 'NO_OVERLAP' }));
    // A window (tile) off the footprint is simply empty.
    const tile = reproject(img, { wcs: far, width: 20, height: 20 }, { window: { x0: 0, y0: 0, width: 5, height: 5 } });
    expect(tile.data.every((v) => Number.isNaN(v))).toBe(true);
  });

  it('ALL_NAN, NO_WCS, SIZE_MISMATCH, BAD_ARGUMENT', () => {
    const nan = { ...img, data: new Float32Array(400).fill(NaN) };
    expect(() => reproject(nan, { wcs, width: 20, height: 20 })).toThrow(expect.objectContaining({ code: 'ALL_NAN' }));
    expect(() => reproject({ ...img, wcs: undefined as never }, { wcs, width: 20, height: 20 })).toThrow(expect.objectContaining({ code: 'NO_WCS' }));
    expect(() => reproject({ ...img, width: 21 }, { wcs, width: 20, height: 20 })).toThrow(expect.objectContaining({ code: 'SIZE_MISMATCH' }));
    expect(() => reproject(img, { wcs, width: 20, height: 20 }, { method: 'cubic' as never })).toThrow(ImageError);
    expect(() => reproject(img, { wcs, width: 20, height: 20 }, { window: { x0: 15, y0: 0, width: 10, height: 5 } })).toThrow(/window/);
    expect(() => reproject(img, { wcs, width: 1e6, height: 1e6 })).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }));
  });
});
