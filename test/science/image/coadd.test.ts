/**
 * Co-addition on injected data: artefacts rejected, noise ∝ 1/√N, flux preserved across
 * instruments, zero points, tiling invariance, the memory formula, and bad input.
 */
import { describe, expect, it } from 'vitest';
import { apertureSums } from '../../../src/science/image/aperture.js';
import {
  accumulateWeighted,
  arrayFrames,
  coadd,
  coaddMemoryBytes,
  combinePixels,
  emptyWeightedSums,
  mergeWeighted,
} from '../../../src/science/image/coadd.js';
import { ImageError } from '../../../src/science/image/errors.js';
import { autoReferenceGrid } from '../../../src/science/image/reference-grid.js';
import { Rng } from '../../../src/science/inference/random.js';
import { pixToSky, skyToPix, type Wcs } from '../../../src/science/wcs/index.js';
import { addNoise, DEC0, RA0, randomStars, renderModel, tanWcs, type Star } from './coadd-helpers.js';

function std(values: number[]): number {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
}

describe('combinePixels', () => {
  it('rejects a single outlier among few values and averages the rest with their weights', () => {
    // 5 frames × 2 pixels; pixel 0 has a cosmic ray in frame 4; pixel 1 is clean.
    const values = Float32Array.from([1, 2, 1.5, 10, 0.5, 10.2, 1.2, 9.9, 1000, 10.1]);
    const weights = Float32Array.from([1, 1, 4, 4, 1, 1, 2, 2, 1, 1]);
    const out = { stack: new Float32Array(2), weight: new Float32Array(2), coverage: new Uint16Array(2), error: new Float32Array(2) };
    combinePixels(values, weights, 5, 2, { kappa: 3, ampFraction: 0, maxIters: 5 }, out, (p) => p);
    // Pixel 0: 1000 rejected; (1·1 + 4·1.5 + 1·0.5 + 2·1.2)/8.
    expect(out.coverage[0]).toBe(4);
    expect(out.stack[0]).toBeCloseTo((1 + 6 + 0.5 + 2.4) / 8, 6);
    expect(out.weight[0]).toBe(8);
    expect(out.error[0]).toBeCloseTo(1 / Math.sqrt(8), 6);
    // Pixel 1: the low value 2 of frame 0 (σ = 1) is 8σ below the others' median.
    expect(out.coverage[1]).toBe(4);
    expect(out.stack[1]).toBeCloseTo((40 + 10.2 + 2 * 9.9 + 10.1) / 8, 5);
  });

  it('chunked partial sums of the weighted mean equal one pass', () => {
    const rng = new Rng(5);
    const nPix = 50;
    const frames = Array.from({ length: 7 }, () => ({
      v: Float32Array.from({ length: nPix }, () => (rng.uniform() < 0.1 ? NaN : rng.normal())),
      w: Float32Array.from({ length: nPix }, () => rng.uniform()),
    }));
    const one = emptyWeightedSums(nPix);
    for (const f of frames) accumulateWeighted(one, f.v, f.w);
    const a = emptyWeightedSums(nPix);
    const b = emptyWeightedSums(nPix);
    frames.slice(0, 3).forEach((f) => accumulateWeighted(a, f.v, f.w));
    frames.slice(3).forEach((f) => accumulateWeighted(b, f.v, f.w));
    mergeWeighted(a, b);
    for (let p = 0; p < nPix; p++) {
      expect(a.count[p]).toBe(one.count[p]);
      expect(a.sumWV[p] / a.sumW[p]).toBeCloseTo(one.sumWV[p] / one.sumW[p], 12);
    }
  });
});

describe('memory bound', () => {
  it('100 frames of 4096² onto 4096² in 512² tiles stay under 2 GB by the documented formula', () => {
    const bytes = coaddMemoryBytes(100, 512, 4096, 4096, 4096, 4096);
    expect(bytes).toBe(8 * 100 * 512 * 512 + 14 * 4096 * 4096 + 12 * 4096 * 4096);
    expect(bytes).toBeLessThan(2e9);
    // The seed design (all frames reprojected at full size, float32 values + weights): 13 GB.
    expect(8 * 100 * 4096 * 4096).toBeGreaterThan(1e10);
  });

  it('refuses (TOO_LARGE) before allocating when the bound exceeds maxMemoryBytes', async () => {
    const wcs = tanWcs(64, 64, 1);
    const frames = arrayFrames([{ data: new Float32Array(64 * 64), width: 64, height: 64, wcs }]);
    await expect(coadd(frames, { wcs, width: 64, height: 64 }, { maxMemoryBytes: 1000 })).rejects.toMatchObject({ code: 'TOO_LARGE' });
  });
});

describe('coadd', () => {
  const SIGMA = 10;
  const SKY = 100;

  it('noise of an N-frame stack is σ/√N within 10 %', async () => {
    const N = 9;
    const w = 128;
    const wcs = tanWcs(w, w, 1);
    const model = new Float32Array(w * w).fill(SKY);
    const frames = arrayFrames(Array.from({ length: N }, (_, i) => ({ data: addNoise(model, SIGMA, 100 + i), width: w, height: w, wcs })));
    const grid = autoReferenceGrid([{ wcs, width: w, height: w }]);
    expect([grid.width, grid.height]).toEqual([w, w]);
    const r = await coadd(frames, grid);
    const vals: number[] = [];
    for (let y = 8; y < w - 8; y++) for (let x = 8; x < w - 8; x++) vals.push(r.stack[y * w + x]);
    const s = std(vals);
    expect(Math.abs(s / (SIGMA / Math.sqrt(N)) - 1)).toBeLessThan(0.1);
    // Background matched: the stack's sky is 0 (mean within 3 standard errors).
    expect(Math.abs(vals.reduce((a, b) => a + b, 0) / vals.length)).toBeLessThan(3 * s);
    // ERROR = 1/√Σw = σ/√N with unit scales and one instrument.
    expect(r.error[64 * w + 64] / (SIGMA / Math.sqrt(N))).toBeCloseTo(1, 1);
    expect(r.coverage[64 * w + 64]).toBeGreaterThanOrEqual(N - 1);
  });

  it('cosmic rays and a satellite trail in single frames are absent from the stack', async () => {
    const N = 5;
    const w = 160;
    const stars = randomStars(25, 0.02, 2000, 50000, 3);
    // Small sub-pixel dithers: every frame needs real resampling.
    const wcsList = Array.from({ length: N }, (_, i) => tanWcs(w, w, 1, 0, { dRaDeg: (i * 0.37) / 3600, dDecDeg: (-i * 0.61) / 3600 }));
    const truthFrames = wcsList.map((wcs) => renderModel(wcs, w, w, stars, SKY, 3, 1));
    const data = truthFrames.map((m, i) => addNoise(m, SIGMA, 200 + i));
    // Frame 0: cosmic rays (single pixels and 2×2 blobs); frame 2: a satellite trail, 30σ.
    const hits: Array<[number, number]> = [];
    const rng = new Rng(9);
    for (let k = 0; k < 40; k++) {
      const x = 5 + Math.floor(rng.uniform() * (w - 10));
      const y = 5 + Math.floor(rng.uniform() * (w - 10));
      hits.push([x, y]);
      data[0][y * w + x] += 3000;
      data[0][y * w + x + 1] += 1500;
    }
    const trail: Array<[number, number]> = [];
    for (let x = 0; x < w; x++) {
      const yc = 20 + 0.7 * x;
      for (let y = Math.floor(yc - 1); y <= Math.ceil(yc + 1); y++) {
        if (y < 0 || y >= w) continue;
        data[2][y * w + x] += 300 * Math.exp(-0.5 * ((y - yc) / 0.8) ** 2);
        if (Math.abs(y - yc) < 0.5) trail.push([x, y]);
      }
    }
    const provider = arrayFrames(data.map((d, i) => ({ data: d, width: w, height: w, wcs: wcsList[i] })));
    const grid = autoReferenceGrid(wcsList.map((wcs) => ({ wcs, width: w, height: w })));
    const clipped = await coadd(provider, grid);
    const plain = await coadd(provider, grid, { kappa: Infinity });
    // Truth on the grid (noise free, sky subtracted).
    const truth = renderModel(grid.wcs, grid.width, grid.height, stars, 0, 3, 1);
    const probe = (list: Array<[number, number]>, frameWcs: Wcs): Array<[number, number]> =>
      list.map(([x, y]) => {
        const [ra, dec] = pixToSky(frameWcs, x, y);
        const g = skyToPix(grid.wcs, ra, dec);
        return [Math.round(g[0]), Math.round(g[1])];
      });
    const sigmaStack = SIGMA / Math.sqrt(N);
    let worstClipped = 0;
    let worstPlain = 0;
    for (const [gx, gy] of [...probe(hits, wcsList[0]), ...probe(trail, wcsList[2])]) {
      if (gx < 2 || gy < 2 || gx >= grid.width - 2 || gy >= grid.height - 2) continue;
      const i = gy * grid.width + gx;
      if (truth[i] > 50) continue; // away from stars, where bilinear resampling itself errs
      worstClipped = Math.max(worstClipped, Math.abs(clipped.stack[i] - truth[i]));
      worstPlain = Math.max(worstPlain, Math.abs(plain.stack[i] - truth[i]));
    }
    expect(worstPlain).toBeGreaterThan(10 * sigmaStack); // the artefacts are there without clipping
    expect(worstClipped).toBeLessThan(5 * sigmaStack);
    // Stars survive the clipping: their aperture flux is the same with and without it.
    const star = stars.reduce((a, b) => (b.flux > a.flux && inside(grid, b) ? b : a), stars[0]);
    const [sx, sy] = skyToPix(grid.wcs, star.raDeg, star.decDeg);
    const f1 = apertureSums({ data: nanToZero(clipped.stack), width: grid.width, height: grid.height }, [sx], [sy], 8).sum[0];
    const f2 = apertureSums({ data: nanToZero(plain.stack), width: grid.width, height: grid.height }, [sx], [sy], 8).sum[0];
    expect(Math.abs(f1 / f2 - 1)).toBeLessThan(0.005);
  });

  it("preserves a star's flux to 0.5 % across instruments with different scales and rotations", async () => {
    // Three instruments: 1.0″/px north up, 1.6″/px rotated 30°, 0.8″/px rotated −70° and flipped.
    const specs = [
      { w: 96, scale: 1.0, rot: 0, flip: false },
      { w: 64, scale: 1.6, rot: 30, flip: false },
      { w: 120, scale: 0.8, rot: -70, flip: true },
    ];
    const star: Star = { raDeg: RA0 + 2 / 3600, decDeg: DEC0 - 3 / 3600, flux: 1e5 };
    const frames = specs.map((s, i) => {
      const wcs = tanWcs(s.w, s.w, s.scale, s.rot, { flip: s.flip });
      return { data: addNoise(renderModel(wcs, s.w, s.w, [star], SKY, 4, s.scale), 2, 300 + i), width: s.w, height: s.w, wcs };
    });
    const grid = autoReferenceGrid(frames);
    expect(grid.wcs.cd[0]).toBeCloseTo(-0.8 / 3600, 12);
    const [sx, sy] = skyToPix(grid.wcs, star.raDeg, star.decDeg);
    const rPx = 12 / 0.8; // 12″: 3 FWHM
    for (let i = 0; i < 3; i++) {
      const single = await coadd(arrayFrames([frames[i]]), grid);
      const f = apertureSums({ data: nanToZero(single.stack), width: grid.width, height: grid.height }, [sx], [sy], rPx).sum[0];
      expect(Math.abs(f / star.flux - 1), `frame ${i}`).toBeLessThan(0.005);
    }
    const all = await coadd(arrayFrames(frames), grid);
    const f = apertureSums({ data: nanToZero(all.stack), width: grid.width, height: grid.height }, [sx], [sy], rPx).sum[0];
    expect(Math.abs(f / star.flux - 1)).toBeLessThan(0.005);
    // A tight amplitude fraction clips the star cores where the instruments' sampling differs.
    const tight = await coadd(arrayFrames(frames), grid, { ampFraction: 0.3 });
    const ft = apertureSums({ data: nanToZero(tight.stack), width: grid.width, height: grid.height }, [sx], [sy], rPx).sum[0];
    expect(Math.abs(ft / star.flux - 1)).toBeGreaterThan(0.005);
  });

  it('scales frames to a common zero point, given or estimated from stars', async () => {
    const w = 128;
    const stars = randomStars(40, 0.02, 5000, 1e5, 11);
    const factors = [1, 2, 0.5];
    const wcsList = factors.map((_, i) => tanWcs(w, w, 1, i * 20));
    const frames = factors.map((k, i) => ({ data: addNoise(renderModel(wcsList[i], w, w, stars, SKY * k, 3, 1, k), 3, 400 + i), width: w, height: w, wcs: wcsList[i] }));
    const grid = autoReferenceGrid(frames);
    // ZP_i = ZP_0 + 2.5 log10(k_i): a frame with twice the counts has a zero point 0.75 mag larger.
    const zps = factors.map((k) => 25 + 2.5 * Math.log10(k));
    const byZp = await coadd(arrayFrames(frames), grid, { zeroPoints: zps });
    expect(byZp.zeroPoint).toBe(25);
    expect(byZp.frames.map((f) => f.scale)).toEqual(factors.map((k) => expect.closeTo(1 / k, 12)));
    const byStars = await coadd(arrayFrames(frames), grid, { normalise: 'stars' });
    byStars.frames.forEach((f, i) => expect(Math.abs(f.scale * factors[i] - 1), `frame ${i}`).toBeLessThan(0.01));
    // Weights: inverse variance after scaling — the frame scaled by ½ (σ/2) weighs 4× frame 0.
    expect(byZp.frames[1].weight / byZp.frames[0].weight).toBeCloseTo(4, 0);
    // The stack's star fluxes equal the reference frame's.
    const truth = renderModel(grid.wcs, grid.width, grid.height, stars, 0, 3, 1);
    const covered = (s: Star): boolean => {
      const [x, y] = skyToPix(grid.wcs, s.raDeg, s.decDeg);
      if (!inside(grid, s)) return false;
      for (let dy = -8; dy <= 8; dy++) for (let dx = -8; dx <= 8; dx++) if (byZp.coverage[(Math.round(y) + dy) * grid.width + Math.round(x) + dx] !== 3) return false;
      return true;
    };
    const bright = stars.filter(covered).sort((a, b) => b.flux - a.flux).slice(0, 5);
    expect(bright.length).toBeGreaterThanOrEqual(3);
    for (const s of bright) {
      const [x, y] = skyToPix(grid.wcs, s.raDeg, s.decDeg);
      const img = { width: grid.width, height: grid.height };
      const f = apertureSums({ ...img, data: nanToZero(byZp.stack) }, [x], [y], 6).sum[0];
      const t = apertureSums({ ...img, data: truth }, [x], [y], 6).sum[0];
      expect(Math.abs(f / t - 1)).toBeLessThan(0.01);
    }
  });

  it('tile by tile gives the single-tile result', async () => {
    const w = 100;
    const stars = randomStars(15, 0.02, 2000, 40000, 21);
    const frames = [0, 1, 2, 3].map((i) => {
      const wcs = tanWcs(w, w, 1 + 0.2 * i, 15 * i, { dRaDeg: i * 5e-4 });
      return { data: addNoise(renderModel(wcs, w, w, stars, SKY, 3, 1 + 0.2 * i), SIGMA, 500 + i), width: w, height: w, wcs };
    });
    const grid = autoReferenceGrid(frames);
    for (const method of ['bilinear', 'lanczos3'] as const) {
      const one = await coadd(arrayFrames(frames), grid, { tileSize: 4096, method });
      const tiled = await coadd(arrayFrames(frames), grid, { tileSize: 37, method });
      // Same pixels valid; values equal to float rounding (the pixel map's coarse nodes sit
      // at other places in another window: < 1e-5 px apart, far inside its 0.01 px bound).
      let worst = 0;
      for (let p = 0; p < one.stack.length; p++) {
        expect(Number.isNaN(tiled.stack[p])).toBe(Number.isNaN(one.stack[p]));
        if (!Number.isNaN(one.stack[p])) worst = Math.max(worst, Math.abs(tiled.stack[p] - one.stack[p]));
      }
      expect(worst).toBeLessThan(1e-3 * SIGMA);
      expect(tiled.weight).toEqual(one.weight);
      expect(tiled.coverage).toEqual(one.coverage);
      expect(one.coverage.some((c) => c === 4)).toBe(true);
    }
  });

  describe('bad input', () => {
    const w = 64;
    const wcs = tanWcs(w, w, 1);
    const good = { data: addNoise(new Float32Array(w * w).fill(SKY), SIGMA, 1), width: w, height: w, wcs, name: 'good.fits' };
    const grid = { wcs, width: w, height: w };

    it('a frame without WCS: NO_WCS naming the file', async () => {
      const err = await coadd(arrayFrames([good, { data: good.data, width: w, height: w, name: 'nowcs.fits' }]), grid).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImageError);
      expect(err).toMatchObject({ code: 'NO_WCS' });
      expect((err as Error).message).toContain('nowcs.fits');
    });

    it('a frame off the grid and an all-NaN frame are skipped with warnings', async () => {
      const far = { ...good, wcs: tanWcs(w, w, 1, 0, { dDecDeg: 5 }), name: 'far.fits' };
      const nan = { ...good, data: new Float32Array(w * w).fill(NaN), name: 'nan.fits' };
      const warnings: string[] = [];
      const r = await coadd(arrayFrames([good, far, nan]), grid, { onWarning: (m) => warnings.push(m) });
      expect(warnings.length).toBe(2);
      expect(warnings[0]).toContain('far.fits');
      expect(warnings[1]).toContain('nan.fits');
      expect(r.frames.map((f) => f.used)).toEqual([true, false, false]);
      expect(r.coverage[32 * w + 32]).toBe(1);
    });

    it('zero frames, or none usable, throw', async () => {
      await expect(coadd(arrayFrames([]), grid)).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
      const far = { ...good, wcs: tanWcs(w, w, 1, 0, { dDecDeg: 5 }) };
      await expect(coadd(arrayFrames([far]), grid, { onWarning: () => {} })).rejects.toMatchObject({ code: 'NO_OVERLAP' });
      await expect(coadd(arrayFrames([{ ...good, data: new Float32Array(w * w).fill(NaN) }]), grid)).rejects.toMatchObject({ code: 'ALL_NAN' });
      expect(() => autoReferenceGrid([])).toThrow(ImageError);
    });

    it('bad options are rejected', async () => {
      await expect(coadd(arrayFrames([good]), grid, { kappa: 0 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
      await expect(coadd(arrayFrames([good]), grid, { scales: [1, 2] })).rejects.toMatchObject({ code: 'SIZE_MISMATCH' });
    });
  });
});

function nanToZero(a: Float32Array): Float32Array {
  return a.map((v) => (Number.isNaN(v) ? 0 : v));
}

function inside(grid: { wcs: Wcs; width: number; height: number }, s: Star): boolean {
  const [x, y] = skyToPix(grid.wcs, s.raDeg, s.decDeg);
  return x > 15 && y > 15 && x < grid.width - 15 && y < grid.height - 15;
}
