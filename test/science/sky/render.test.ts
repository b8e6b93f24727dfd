/**
 * Whole frames against analytic truth: star flux and position through a SIP WCS, seeing,
 * sky and noise statistics (Poisson + read noise + quantisation), saturation, vignetting,
 * hot pixels, cosmic-ray counts, satellite trails, injected sources, determinism.
 */
import { describe, expect, it } from 'vitest';
import { createWcs, skyToPix, pixToSky, type Wcs } from '../../../src/science/wcs/index.js';
import { renderFrame, type RenderOptions } from '../../../src/science/sky/render.js';
import { expectedCosmicRays } from '../../../src/science/sky/artifacts.js';
import { resolveOptics, tanWcsForOptics, type Optics } from '../../../src/science/sky/optics.js';
import { gaussianSigmaPx } from '../../../src/science/sky/psf.js';
import { gammaQ, lnGamma } from '../../../src/science/sky/special.js';
import { SkyError } from '../../../src/science/sky/errors.js';
import { meanVariance, moments } from './moments.js';

const OPTICS: Optics = {
  apertureMm: 200,
  focalLengthMm: 1000,
  pixelSizeUm: 3.76,
  widthPx: 256,
  heightPx: 256,
  gainEPerAdu: 1.5,
  readNoiseE: 4,
  darkCurrentEPerS: 0.02,
  biasAdu: 300,
  fullWellE: 60000,
};
const QUIET: Optics = { ...OPTICS, readNoiseE: 0, darkCurrentEPerS: 0, biasAdu: 0 };

/** The optics' TAN WCS at (150°, 20°) with a SIP distortion of ~0.5 px at the corners. */
function sipWcs(optics: Optics = OPTICS): Wcs {
  const base = tanWcsForOptics(optics, 150, 20, { rotationDeg: 20 });
  return createWcs({
    crpix: base.crpix,
    crval: base.crval,
    cd: base.cd,
    sip: {
      a: { order: 2, terms: [{ p: 2, q: 0, value: 2e-5 }, { p: 1, q: 1, value: -1e-5 }, { p: 0, q: 2, value: 1.5e-5 }] },
      b: { order: 2, terms: [{ p: 2, q: 0, value: -1e-5 }, { p: 1, q: 1, value: 2e-5 }, { p: 0, q: 2, value: 1e-5 }] },
    },
  });
}

function base(patch: Partial<RenderOptions> = {}): RenderOptions {
  return { wcs: sipWcs(), optics: QUIET, exposureS: 60, seeingFwhmArcsec: 2.5, seed: 1, noise: false, skyMagPerArcsec2: Infinity, ...patch };
}

/** Catalog stars at given pixel positions (through the WCS). */
function starsAt(wcs: Wcs, positions: Array<[number, number]>, mag: number): Array<{ raDeg: number; decDeg: number; mag: number }> {
  return positions.map(([x, y]) => {
    const [raDeg, decDeg] = pixToSky(wcs, x, y);
    return { raDeg, decDeg, mag };
  });
}

describe('renderFrame: stars', () => {
  it('an isolated star carries zp·10^(−0.4(m + A))·t·V electrons, all on the image (noise off)', () => {
    const wcs = sipWcs();
    for (const [extinctionMag, vignetting] of [[0, { kind: 'none' }], [0.25, { kind: 'cos4' }]] as const) {
      const optics = { ...QUIET, focalLengthMm: 1000, vignetting };
      const r = renderFrame(base({ wcs, optics, stars: starsAt(wcs, [[100.3, 140.8]], 12), extinctionMag }));
      const o = resolveOptics(optics);
      expect(r.stars).toHaveLength(1);
      const t = r.stars[0];
      const [x, y] = skyToPix(wcs, t.raDeg, t.decDeg);
      const cosTh = 1000 / Math.hypot(1000, Math.hypot(x - 127.5, y - 127.5) * 3.76e-3);
      const v = vignetting.kind === 'cos4' ? cosTh ** 4 : 1;
      expect(t.fluxE / (o.zeroPointEPerS * Math.pow(10, -0.4 * (12 + extinctionMag)) * 60 * v)).toBeCloseTo(1, 12);
      const m = moments(r.electrons, r.width, r.height);
      expect(Math.abs(m.sum / t.fluxE - 1)).toBeLessThan(1e-4);
    }
  });

  it('stars land at skyToPix of their RA/Dec (SIP distortion included) to < 0.01 px', () => {
    const wcs = sipWcs();
    const positions: Array<[number, number]> = [[20.2, 30.7], [230.9, 25.1], [128.5, 127.4], [40.6, 228.3], [225.15, 219.85]];
    const stars = starsAt(wcs, positions, 13);
    const r = renderFrame(base({ wcs, stars }));
    expect(r.stars).toHaveLength(positions.length);
    for (const t of r.stars) {
      const [x, y] = skyToPix(wcs, stars[t.index].raDeg, stars[t.index].decDeg);
      expect(t.xPx).toBeCloseTo(x, 9);
      expect(t.yPx).toBeCloseTo(y, 9);
      const win: [number, number, number, number] = [Math.round(x) - 14, Math.round(x) + 14, Math.round(y) - 14, Math.round(y) + 14];
      const m = moments(r.electrons, r.width, r.height, { window: win });
      expect(Math.abs(m.x - x)).toBeLessThan(0.01);
      expect(Math.abs(m.y - y)).toBeLessThan(0.01);
    }
    // The distortion matters here: without SIP the positions differ by far more than 0.01 px.
    const plain = createWcs({ crpix: wcs.crpix, crval: wcs.crval, cd: wcs.cd });
    const [xp] = skyToPix(plain, stars[1].raDeg, stars[1].decDeg);
    expect(Math.abs(xp - positions[1][0])).toBeGreaterThan(0.1);
  });

  it('the PSF has the requested seeing FWHM (second moments, arcsec)', () => {
    const wcs = tanWcsForOptics(QUIET, 150, 20);
    for (const seeing of [2, 3.5]) {
      const r = renderFrame(base({ wcs, seeingFwhmArcsec: seeing, psf: { profile: 'gaussian' }, stars: starsAt(wcs, [[128.2, 127.7]], 11) }));
      const m = moments(r.electrons, r.width, r.height);
      const fwhmX = 2 * Math.sqrt(2 * Math.LN2) * Math.sqrt(m.xx - 1 / 12) * r.meta.pixelScaleArcsec;
      const fwhmY = 2 * Math.sqrt(2 * Math.LN2) * Math.sqrt(m.yy - 1 / 12) * r.meta.pixelScaleArcsec;
      expect(Math.abs(fwhmX / seeing - 1)).toBeLessThan(3e-3);
      expect(Math.abs(fwhmY / seeing - 1)).toBeLessThan(3e-3);
      expect(r.meta.seeingFwhmPx).toBeCloseTo(seeing / r.meta.pixelScaleArcsec, 12);
    }
  });

  it('saturates at the full well, then at the ADC ceiling; frame type follows the bit depth', () => {
    const wcs = tanWcsForOptics(OPTICS, 150, 20);
    const star = starsAt(wcs, [[128, 128]], 4);
    const r = renderFrame(base({ wcs, optics: OPTICS, stars: star, noise: true }));
    expect(Math.max(...r.electrons)).toBe(60000);
    expect(Math.max(...r.frame)).toBe(Math.round(60000 / 1.5 + 300));
    expect(r.meta.saturationAdu).toBe(40300);
    const deep = renderFrame(base({ wcs, optics: { ...OPTICS, fullWellE: 1e6, gainEPerAdu: 1 }, stars: star }));
    expect(Math.max(...deep.frame)).toBe(65535);
    expect(deep.frame).toBeInstanceOf(Uint16Array);
    const eight = renderFrame(base({ wcs, optics: { ...OPTICS, bitDepth: 8 }, stars: star }));
    expect(eight.frame).toBeInstanceOf(Uint8Array);
    expect(Math.max(...eight.frame)).toBe(255);
    const wide = renderFrame(base({ wcs, optics: { ...OPTICS, bitDepth: 20, fullWellE: 5e6, gainEPerAdu: 1 }, stars: star }));
    expect(wide.frame).toBeInstanceOf(Uint32Array);
    expect(Math.max(...wide.frame)).toBe(2 ** 20 - 1);
  });
});

describe('renderFrame: background and noise', () => {
  it('sky + dark level and Poisson + read-noise variance match the prediction (electrons and ADU)', () => {
    const optics: Optics = { ...OPTICS, widthPx: 512, heightPx: 512 };
    const wcs = tanWcsForOptics(optics, 150, 20);
    const r = renderFrame({ wcs, optics, exposureS: 60, seeingFwhmArcsec: 2.5, seed: 5, skyMagPerArcsec2: 20 });
    const o = resolveOptics(optics);
    const scale2 = r.meta.pixelScaleArcsec ** 2;
    const expected = o.zeroPointEPerS * 1e-8 * scale2 * 60 + 0.02 * 60;
    expect(r.meta.skyEPerPx + r.meta.darkEPerPx).toBeCloseTo(expected, 9);
    const e = meanVariance(r.electrons);
    const varE = expected + 16;
    expect(Math.abs(e.mean - expected)).toBeLessThan(5 * Math.sqrt(varE / e.n));
    expect(Math.abs(e.variance - varE)).toBeLessThan(5 * varE * Math.sqrt(2 / e.n));
    const a = meanVariance(r.frame);
    const meanAdu = expected / 1.5 + 300;
    const varAdu = varE / 2.25 + 1 / 12; // quantisation adds 1/12 ADU²
    expect(Math.abs(a.mean - meanAdu)).toBeLessThan(5 * Math.sqrt(varAdu / a.n));
    expect(Math.abs(a.variance - varAdu)).toBeLessThan(5 * varAdu * Math.sqrt(2 / a.n));
    // The bounds are tight enough to see a missing read-noise term (16 e⁻² of 92).
    expect(Math.abs(e.variance - expected)).toBeGreaterThan(20 * varE * Math.sqrt(2 / e.n));
  });

  it('low counts are exactly Poisson (no read noise): χ² against the pmf', () => {
    const optics: Optics = { ...QUIET, widthPx: 400, heightPx: 400, zeroPointEPerS: 1e8 };
    const wcs = tanWcsForOptics(optics, 150, 20);
    const scale = 206264.80624709636 * (3.76e-3 / 1000);
    const lambda = 2.2;
    const skyMag = -2.5 * Math.log10(lambda / (1e8 * scale * scale * 60));
    const r = renderFrame({ wcs, optics, exposureS: 60, seeingFwhmArcsec: 2.5, seed: 8, skyMagPerArcsec2: skyMag });
    expect(r.meta.skyEPerPx).toBeCloseTo(lambda, 6);
    const counts = new Map<number, number>();
    for (const v of r.electrons) counts.set(v, (counts.get(v) ?? 0) + 1);
    let chi2 = 0;
    let dof = -1;
    const n = r.electrons.length;
    for (let k = 0; k < 15; k++) {
      const expected = n * Math.exp(-lambda + k * Math.log(lambda) - lnGamma(k + 1));
      if (expected < 20) continue;
      chi2 += ((counts.get(k) ?? 0) - expected) ** 2 / expected;
      dof++;
    }
    expect(gammaQ(dof / 2, chi2 / 2)).toBeGreaterThan(1e-4);
    expect([...counts.keys()].every((k) => Number.isInteger(k))).toBe(true);
  });

  it('vignetting shapes the sky as cos⁴ of the field angle (noise off)', () => {
    // f = 3 mm: an all-sky lens, 18° across, with strong fall-off (and no full well in the way).
    const optics: Optics = { ...QUIET, focalLengthMm: 3, fullWellE: undefined, vignetting: { kind: 'cos4' } };
    const r = renderFrame(base({ wcs: tanWcsForOptics(optics, 150, 20), optics, skyMagPerArcsec2: 21 }));
    let worst = 0;
    for (const [x, y] of [[127, 128], [0, 0], [255, 0], [60, 200], [255, 255], [128, 10]]) {
      const theta = Math.atan((Math.hypot(x - 127.5, y - 127.5) * 3.76e-3) / 3);
      worst = Math.max(worst, Math.abs(r.electrons[y * 256 + x] / r.meta.skyEPerPx / Math.cos(theta) ** 4 - 1));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(r.electrons[0] / r.meta.skyEPerPx).toBeLessThan(0.91);
  });

  it('a sky gradient changes the level linearly from the chip centre', () => {
    const r = renderFrame(base({ skyMagPerArcsec2: 21, skyGradientPerPx: [1e-3, -2e-3] }));
    const s = r.meta.skyEPerPx;
    expect(r.electrons[0] / s).toBeCloseTo(1 + 1e-3 * -127.5 - 2e-3 * -127.5, 5);
    expect(r.electrons[255 * 256 + 255] / s).toBeCloseTo(1 + 1e-3 * 127.5 - 2e-3 * 127.5, 5);
  });

  it('hot pixels are fixed by the camera seed, not the frame seed', () => {
    const optics: Optics = { ...QUIET, hotPixelFraction: 1e-3, hotPixelDarkEPerS: [2, 50], defectSeed: 77 };
    const a = renderFrame(base({ optics, seed: 1 }));
    const b = renderFrame(base({ optics, seed: 2 }));
    expect(a.hotPixels.index.length).toBe(Math.round(1e-3 * 256 * 256));
    expect([...a.hotPixels.index]).toEqual([...b.hotPixels.index]);
    const c = renderFrame(base({ optics: { ...optics, defectSeed: 78 } }));
    expect([...c.hotPixels.index]).not.toEqual([...a.hotPixels.index]);
    const expected = new Float64Array(256 * 256);
    a.hotPixels.index.forEach((idx, i) => {
      expect(a.hotPixels.darkEPerS[i]).toBeGreaterThanOrEqual(2);
      expect(a.hotPixels.darkEPerS[i]).toBeLessThanOrEqual(50);
      expected[idx] += a.hotPixels.darkEPerS[i] * 60;
    });
    for (let i = 0; i < expected.length; i++) if (Math.abs(a.electrons[i] - expected[i]) > 1e-3 * (1 + expected[i])) expect.unreachable(`pixel ${i}`);
  });
});

describe('renderFrame: artefacts and injected sources', () => {
  it('cosmic-ray counts follow the rate: Poisson mean and dispersion over many frames', () => {
    const optics: Optics = { ...QUIET, widthPx: 64, heightPx: 64 };
    const wcs = tanWcsForOptics(optics, 150, 20);
    const cm = 64 * 3.76e-4;
    const rate = 30 / (cm * cm * 60); // 30 per frame
    expect(expectedCosmicRays(resolveOptics(optics), { ratePerCm2PerS: rate }, 60)).toBeCloseTo(30, 9);
    const counts: number[] = [];
    for (let seed = 0; seed < 60; seed++) {
      const r = renderFrame({ wcs, optics, exposureS: 60, seeingFwhmArcsec: 2.5, seed, noise: false, skyMagPerArcsec2: Infinity, cosmicRays: { ratePerCm2PerS: rate } });
      counts.push(r.cosmicRays.length);
      // All charge of tracks that stay on the chip is in the image.
      let onChip = 0;
      for (const h of r.cosmicRays) {
        const inside = (x: number, y: number): boolean => Math.round(x) >= 0 && Math.round(x) < 64 && Math.round(y) >= 0 && Math.round(y) < 64;
        if (inside(h.x0Px, h.y0Px) && inside(h.x1Px, h.y1Px)) onChip += h.electrons;
        else onChip = NaN;
      }
      if (!Number.isNaN(onChip)) {
        let sum = 0;
        for (const v of r.electrons) sum += v;
        expect(sum / onChip).toBeCloseTo(1, 4);
      }
    }
    const { mean, variance } = meanVariance(counts);
    expect(Math.abs(mean - 30)).toBeLessThan(4 * Math.sqrt(30 / counts.length));
    expect(Math.abs(variance / 30 - 1)).toBeLessThan(4 * Math.sqrt(2 / (counts.length - 1)));
    // One frame with many events: the count is within 4σ of rate × area × t.
    const big = renderFrame({ wcs, optics, exposureS: 60, seeingFwhmArcsec: 2.5, seed: 1, noise: false, cosmicRays: { ratePerCm2PerS: rate * 100 } });
    expect(Math.abs(big.cosmicRays.length - 3000)).toBeLessThan(4 * Math.sqrt(3000));
  });

  it('cosmic rays and trails do not disturb the noise of other pixels (independent streams)', () => {
    const opts = { ...base({ optics: OPTICS, noise: true, skyMagPerArcsec2: 20 }) };
    const plain = renderFrame(opts);
    const withCr = renderFrame({ ...opts, cosmicRays: { ratePerCm2PerS: 500 } });
    expect(withCr.cosmicRays.length).toBeGreaterThan(5);
    let differ = 0;
    for (let i = 0; i < plain.electrons.length; i++) if (plain.electrons[i] !== withCr.electrons[i]) differ++;
    expect(differ).toBeGreaterThan(0);
    expect(differ).toBeLessThan(withCr.cosmicRays.reduce((n, h) => n + 2 + Math.hypot(h.x1Px - h.x0Px, h.y1Px - h.y0Px), 0));
  });

  it('a satellite trail has the requested line flux and Gaussian width', () => {
    const lambda = 800;
    const r = renderFrame(base({ satellites: [{ startPx: [-20, 100.3], endPx: [300, 100.3], widthFwhmPx: 4, electronsPerPx: lambda }] }));
    for (const x of [10, 128, 240]) {
      let s = 0;
      let sy = 0;
      let syy = 0;
      for (let y = 70; y <= 130; y++) {
        const v = r.electrons[y * 256 + x];
        s += v;
        sy += v * y;
        syy += v * y * y;
      }
      expect(s / lambda).toBeCloseTo(1, 4);
      expect(sy / s).toBeCloseTo(100.3, 4);
      expect(syy / s - (sy / s) ** 2).toBeCloseTo(gaussianSigmaPx(4) ** 2 + 1 / 12, 3);
    }
    expect(r.satellites[0].fluxE / (lambda * 256)).toBeCloseTo(1, 3);
    // Given as a surface brightness: line flux = peak · σ √(2π).
    const mu = 19;
    const r2 = renderFrame(base({ satellites: [{ startPx: [0, 0], endPx: [255, 255], widthFwhmPx: 3, peakMagPerArcsec2: mu }] }));
    const peak = r2.meta.zeroPointEPerS * Math.pow(10, -0.4 * mu) * r2.meta.pixelScaleArcsec ** 2 * 60;
    expect(r2.satellites[0].electronsPerPx / (peak * gaussianSigmaPx(3) * Math.sqrt(2 * Math.PI))).toBeCloseTo(1, 12);
  });

  it('injected point sources: fixed magnitude, fixed flux, and a light curve averaged over the exposure', () => {
    const startJd = 2460000.5;
    const mid = startJd + 30 / 86400;
    const r = renderFrame(
      base({
        timeSamples: 8,
        startJd,
        sources: [
          { kind: 'point', xPx: 60.2, yPx: 70.9, mag: 13 },
          { kind: 'point', xPx: 180.7, yPx: 60.1, fluxE: 12345 },
          { kind: 'point', xPx: 120.4, yPx: 190.6, magAt: (jd) => (jd < mid ? 12 : 12.75), id: 'transit' },
          { kind: 'point', xPx: 400, yPx: 20, mag: 12 },
        ],
      }),
    );
    const zp = r.meta.zeroPointEPerS;
    const [a, b, c, off] = r.sources;
    expect(a.fluxE / (zp * Math.pow(10, -0.4 * 13) * 60)).toBeCloseTo(1, 12);
    expect(b.fluxE).toBe(12345);
    expect(c.fluxE / (zp * 60 * 0.5 * (Math.pow(10, -0.4 * 12) + Math.pow(10, -0.4 * 12.75)))).toBeCloseTo(1, 12);
    expect(c.id).toBe('transit');
    expect(off.onChip).toBe(false);
    for (const s of [a, b, c]) {
      const m = moments(r.electrons, 256, 256, { window: [Math.round(s.xPx) - 20, Math.round(s.xPx) + 20, Math.round(s.yPx) - 20, Math.round(s.yPx) + 20] });
      expect(Math.abs(m.sum / s.fluxE - 1)).toBeLessThan(1e-4);
      expect(Math.abs(m.x - s.xPx)).toBeLessThan(0.01);
    }
  });

  it('a Sérsic galaxy keeps its flux, and its position angle is east of north on the sky', () => {
    const optics: Optics = { ...QUIET, widthPx: 200, heightPx: 200 };
    const wcs = tanWcsForOptics(optics, 150, 20); // north up (+y), east left (−x)
    for (const [pa, along] of [[0, 'y'], [90, 'x']] as const) {
      const r = renderFrame(base({ wcs, optics, sources: [{ kind: 'sersic', xPx: 99.5, yPx: 100.2, mag: 12, n: 1, reArcsec: 4, ellipticity: 0.5, positionAngleDeg: pa }] }));
      const m = moments(r.electrons, 200, 200);
      expect(Math.abs(m.sum / r.sources[0].fluxE - 1)).toBeLessThan(1e-3);
      expect(Math.abs(m.x - 99.5)).toBeLessThan(0.01);
      if (along === 'y') expect(m.yy / m.xx).toBeGreaterThan(2);
      else expect(m.xx / m.yy).toBeGreaterThan(2);
    }
    // PA 45°: major axis towards north-east, i.e. up and to the left: negative x–y covariance.
    const r45 = renderFrame(base({ wcs, optics, sources: [{ kind: 'sersic', raDeg: 150, decDeg: 20, mag: 12, n: 1, reArcsec: 4, ellipticity: 0.5, positionAngleDeg: 45 }] }));
    const m45 = moments(r45.electrons, 200, 200);
    expect(m45.xy).toBeLessThan(-0.5 * Math.sqrt(m45.xx * m45.yy) * 0.5);
  });
});

describe('renderFrame: determinism and bad input', () => {
  const full = (seed: number): RenderOptions => ({
    wcs: sipWcs(),
    optics: { ...OPTICS, hotPixelFraction: 1e-3, vignetting: { kind: 'cos4' } },
    exposureS: 30,
    seeingFwhmArcsec: 2.2,
    seed,
    skyMagPerArcsec2: 19.5,
    stars: starsAt(sipWcs(), [[50, 50], [200, 100], [128, 200]], 13),
    sources: [{ kind: 'sersic', xPx: 100, yPx: 150, mag: 14, n: 2, reArcsec: 3, ellipticity: 0.3, positionAngleDeg: 40 }],
    cosmicRays: { ratePerCm2PerS: 200 },
    satellites: [{ startPx: [0, 10], endPx: [255, 240], peakMagPerArcsec2: 18 }],
    trail: { lengthPx: 3, angleDeg: 10 },
  });

  it('the same seed gives identical bytes; another seed a different frame', () => {
    const a = renderFrame(full(42));
    const b = renderFrame(full(42));
    expect(Buffer.from(a.frame.buffer).equals(Buffer.from(b.frame.buffer))).toBe(true);
    expect(Buffer.from(a.electrons.buffer).equals(Buffer.from(b.electrons.buffer))).toBe(true);
    expect(a.cosmicRays).toEqual(b.cosmicRays);
    const c = renderFrame(full(43));
    expect(Buffer.from(a.frame.buffer).equals(Buffer.from(c.frame.buffer))).toBe(false);
    let differ = 0;
    for (let i = 0; i < a.frame.length; i++) if (a.frame[i] !== c.frame[i]) differ++;
    expect(differ).toBeGreaterThan(a.frame.length / 2);
  });

  it('reports progress', () => {
    const stages = new Set<string>();
    renderFrame({ ...full(1), onProgress: (_d, _t, s) => stages.add(s) });
    expect([...stages]).toEqual(expect.arrayContaining(['background', 'stars', 'noise', 'done']));
  });

  it('rejects bad input with SkyError naming the parameter (and the entry)', () => {
    const cases: Array<[Partial<RenderOptions>, string, number | undefined]> = [
      [{ exposureS: 0 }, 'exposureS', undefined],
      [{ seeingFwhmArcsec: -1 }, 'seeingFwhmArcsec', undefined],
      [{ seed: 1.5 }, 'seed', undefined],
      [{ stars: [{ raDeg: 150, decDeg: 20, mag: 12 }, { raDeg: 150, decDeg: 20, mag: NaN }] }, 'stars.mag', 1],
      [{ sources: [{ kind: 'point', xPx: 1, yPx: 2, raDeg: 3, decDeg: 4, mag: 12 }] }, 'sources', 0],
      [{ sources: [{ kind: 'point', xPx: 1, yPx: 2, mag: 12, fluxE: 5 }] }, 'sources', 0],
      [{ sources: [{ kind: 'point', xPx: 1, yPx: 2, magAt: () => 12 }] }, 'startJd', undefined],
      [{ sources: [{ kind: 'sersic', xPx: 1, yPx: 2, mag: 12, n: 1, reArcsec: 2, ellipticity: 1 }] }, 'sources.ellipticity', 0],
      [{ satellites: [{ startPx: [0, 0], endPx: [10, 10], electronsPerPx: 5, peakMagPerArcsec2: 18 }] }, 'satellites', 0],
      [{ satellites: [{ startPx: [3, 3], endPx: [3, 3], electronsPerPx: 5 }] }, 'satellites', 0],
      [{ cosmicRays: { ratePerCm2PerS: -1 } }, 'cosmicRays.ratePerCm2PerS', undefined],
      [{ skyGradientPerPx: [2, 0] }, 'skyGradientPerPx[0]', undefined],
    ];
    for (const [patch, parameter, index] of cases) {
      try {
        renderFrame(base(patch));
        expect.unreachable(parameter);
      } catch (e) {
        expect(e, parameter).toBeInstanceOf(SkyError);
        expect((e as SkyError).code).toBe('BAD_ARGUMENT');
        expect((e as SkyError).location.parameter).toBe(parameter);
        expect((e as SkyError).location.index).toBe(index);
      }
    }
    expect(() => renderFrame({ ...base(), wcs: undefined as unknown as Wcs })).toThrow(/WCS/);
  });
});
