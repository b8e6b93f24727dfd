/**
 * Fitting TAN / TAN-SIP: recovering astropy-generated truth exactly (noise-free), and
 * recovering an injected truth through noise and outliers.
 */
import { describe, expect, it } from 'vitest';
import {
  createWcs,
  fitWcs,
  pixToSky,
  pixToSkyBatch,
  skyToPix,
  wcsFromHeader,
  type Wcs,
} from '../../../src/science/wcs/index.js';
import { loadHeader, loadJson, rng, sepArcsec } from './helpers.js';

interface FitFixture {
  width: number;
  height: number;
  crpix0: [number, number];
  xPx: number[];
  yPx: number[];
  raDeg: number[];
  decDeg: number[];
  gridPix: Array<[number, number]>;
  gridSky: Array<[number, number]>;
}

/** Largest sky distance (arcsec) between two WCSs over a grid of the image. */
function maxDifferenceArcsec(a: Wcs, b: Wcs, width: number, height: number): number {
  let worst = 0;
  for (let i = 0; i <= 10; i++) {
    for (let j = 0; j <= 10; j++) {
      const x = ((width - 1) * i) / 10;
      const y = ((height - 1) * j) / 10;
      const [r1, d1] = pixToSky(a, x, y);
      const [r2, d2] = pixToSky(b, x, y);
      worst = Math.max(worst, sepArcsec(r1, d1, r2, d2));
    }
  }
  return worst;
}

describe('astropy-generated pairs (TAN-SIP order 3 truth)', () => {
  const f = loadJson<FitFixture>('fit_sip3.json');
  const truth = wcsFromHeader(loadHeader('fit_truth'))!;
  const pairs = {
    xPx: Float64Array.from(f.xPx),
    yPx: Float64Array.from(f.yPx),
    raDeg: Float64Array.from(f.raDeg),
    decDeg: Float64Array.from(f.decDeg),
  };

  it('recovers the truth to numerical precision', () => {
    const res = fitWcs(pairs, { sipOrder: 3, imageSize: [f.width, f.height] });
    expect(res.wcs.crpix).toEqual(f.crpix0); // image centre
    expect(res.rmsArcsec).toBeLessThan(1e-6);
    expect(res.rmsPx).toBeLessThan(1e-6);
    expect(res.inliers.every((v) => v === 1)).toBe(true);
    // Against astropy's own positions on a grid.
    let worst = 0;
    for (let i = 0; i < f.gridPix.length; i++) {
      const [ra, dec] = pixToSky(res.wcs, f.gridPix[i][0], f.gridPix[i][1]);
      worst = Math.max(worst, sepArcsec(ra, dec, f.gridSky[i][0], f.gridSky[i][1]));
    }
    expect(worst).toBeLessThan(1e-6);
    // The model itself: CRVAL, CD and SIP coefficients.
    expect(sepArcsec(res.wcs.crval[0], res.wcs.crval[1], truth.crval[0], truth.crval[1])).toBeLessThan(1e-7);
    for (let k = 0; k < 4; k++) expect(Math.abs(res.wcs.cd[k] - truth.cd[k])).toBeLessThan(1e-13);
    const coef = (w: Wcs, p: number, q: number): number => w.sip!.a.terms.find((t) => t.p === p && t.q === q)?.value ?? 0;
    for (const t of truth.sip!.a.terms) expect(Math.abs(coef(res.wcs, t.p, t.q) - t.value)).toBeLessThan(1e-9 * Math.abs(t.value) + 1e-18);
    // Fitted AP/BP: a good inverse over the image.
    expect(res.wcs.sip!.ap!.order).toBe(4);
    expect(res.inverseMaxErrorPx).toBeLessThan(2e-2);
    for (let i = 0; i < 20; i++) {
      const [px, py] = skyToPix(res.wcs, f.raDeg[i], f.decDeg[i], { sipInverse: 'polynomial' });
      expect(Math.hypot(px - f.xPx[i], py - f.yPx[i])).toBeLessThan(res.inverseMaxErrorPx * 1.5 + 1e-9);
    }
  });

  it('a TAN fit leaves the distortion as residuals', () => {
    const res = fitWcs(pairs, { sipOrder: 0, clipSigma: Infinity });
    expect(res.wcs.sip).toBeUndefined();
    expect(res.rmsArcsec).toBeGreaterThan(0.5); // ~5 px of distortion at the corners
    expect(res.iterations).toBe(1);
  });
});

describe('injected truth with noise and outliers', () => {
  const truth = createWcs({
    crpix: [1499.5, 999.5],
    crval: [83.82, -5.39],
    cd: [-2.1e-4, 3.0e-5, 3.1e-5, 2.1e-4],
    sip: {
      a: { order: 2, terms: [{ p: 2, q: 0, value: 2e-6 }, { p: 1, q: 1, value: -1.5e-6 }, { p: 0, q: 2, value: 8e-7 }] },
      b: { order: 2, terms: [{ p: 2, q: 0, value: -9e-7 }, { p: 1, q: 1, value: 1.2e-6 }, { p: 0, q: 2, value: 2.5e-6 }] },
    },
  });
  const n = 600;
  const sigmaPx = 0.05;
  const r = rng(42);
  const xPx = new Float64Array(n);
  const yPx = new Float64Array(n);
  const trueX = new Float64Array(n);
  const trueY = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    trueX[i] = r.uniform() * 2999;
    trueY[i] = r.uniform() * 1999;
    xPx[i] = trueX[i] + sigmaPx * r.normal();
    yPx[i] = trueY[i] + sigmaPx * r.normal();
  }
  const { raDeg, decDeg } = pixToSkyBatch(truth, trueX, trueY);
  const outlier = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (r.uniform() < 0.08) {
      outlier[i] = 1;
      const off = (10 + 40 * r.uniform()) / 3600;
      const pa = 2 * Math.PI * r.uniform();
      decDeg[i] += off * Math.cos(pa);
      raDeg[i] += (off * Math.sin(pa)) / Math.cos((decDeg[i] * Math.PI) / 180);
    }
  }
  const nOut = outlier.reduce((s, v) => s + v, 0);

  it('clips every outlier and recovers the truth within the noise', () => {
    const res = fitWcs({ xPx, yPx, raDeg, decDeg }, { sipOrder: 2, crpix: [1499.5, 999.5], imageSize: [3000, 2000] });
    expect(nOut).toBeGreaterThan(30);
    for (let i = 0; i < n; i++) if (outlier[i]) expect(res.inliers[i]).toBe(0);
    const goodKept = [...res.inliers].filter((v, i) => v === 1 && !outlier[i]).length;
    expect(goodKept / (n - nOut)).toBeGreaterThan(0.97);
    expect(res.iterations).toBeGreaterThan(1);
    // 2-D RMS of the noise: √2·σ px ≈ 0.071 px ≈ 0.054″ at 0.76″/px (a little less after clipping the tail).
    expect(res.rmsPx).toBeGreaterThan(0.055);
    expect(res.rmsPx).toBeLessThan(0.08);
    expect(res.rmsArcsec).toBeCloseTo(res.rmsPx * 0.7635, 2);
    // Model error ≈ σ·√(6/N) ≈ 0.004″, a few times that at the corners.
    expect(maxDifferenceArcsec(res.wcs, truth, 3000, 2000)).toBeLessThan(0.025);
  });

  it('without clipping the outliers pull the fit away', () => {
    const res = fitWcs({ xPx, yPx, raDeg, decDeg }, { sipOrder: 2, crpix: [1499.5, 999.5], clipSigma: Infinity });
    expect(res.rmsArcsec).toBeGreaterThan(5);
    expect(maxDifferenceArcsec(res.wcs, truth, 3000, 2000)).toBeGreaterThan(0.5);
  });

  it('zero weights exclude pairs', () => {
    const weights = Float64Array.from(outlier, (o) => (o ? 0 : 1));
    const res = fitWcs({ xPx, yPx, raDeg, decDeg }, { sipOrder: 2, crpix: [1499.5, 999.5], weights, clipSigma: Infinity });
    for (let i = 0; i < n; i++) expect(res.inliers[i]).toBe(outlier[i] ? 0 : 1);
    expect(maxDifferenceArcsec(res.wcs, truth, 3000, 2000)).toBeLessThan(0.025);
  });
});

describe('TAN fits in awkward places', () => {
  it.each([
    ['across RA = 0', [0.02, 30.0]],
    ['at the north pole', [250.0, 89.95]],
    ['at the south pole', [10.0, -89.99]],
  ] as const)('%s', (_label, crval) => {
    const truth = createWcs({ crpix: [511.5, 511.5], crval: [crval[0], crval[1]], cd: [-1e-3, 2e-4, 2e-4, 1e-3] });
    const r = rng(3);
    const m = 50;
    const xPx = Float64Array.from({ length: m }, () => r.uniform() * 1023);
    const yPx = Float64Array.from({ length: m }, () => r.uniform() * 1023);
    const { raDeg, decDeg } = pixToSkyBatch(truth, xPx, yPx);
    const res = fitWcs({ xPx, yPx, raDeg, decDeg }, { crpix: [511.5, 511.5] });
    expect(res.rmsArcsec).toBeLessThan(1e-6);
    expect(maxDifferenceArcsec(res.wcs, truth, 1024, 1024)).toBeLessThan(1e-6);
  });
});

describe('argument checks', () => {
  const a = Float64Array.of(1, 2, 3);
  it('rejects too few pairs, mismatched arrays and bad options', () => {
    expect(() => fitWcs({ xPx: a, yPx: a, raDeg: a, decDeg: Float64Array.of(1, 2) })).toThrow(/same length/);
    expect(() => fitWcs({ xPx: a, yPx: a, raDeg: a, decDeg: a }, { sipOrder: 2 })).toThrow(/at least 6/);
    expect(() => fitWcs({ xPx: a, yPx: a, raDeg: a, decDeg: a }, { sipOrder: 5 as 2 })).toThrow(/sipOrder/);
    expect(() => fitWcs({ xPx: a, yPx: a, raDeg: a, decDeg: a }, { clipSigma: 0 })).toThrow(/clipSigma/);
    // Collinear points: degenerate.
    expect(() => fitWcs({ xPx: Float64Array.of(0, 1, 2, 3), yPx: Float64Array.of(0, 1, 2, 3), raDeg: Float64Array.of(10, 10.001, 10.002, 10.003), decDeg: Float64Array.of(0, 0.001, 0.002, 0.003) })).toThrow(
      /degenerate/,
    );
  });
});
