/**
 * Zero point and colour term: injected truth recovered (the test: ZP within 0.01
 * mag, colour term within 0.02), on a frame rendered by science/sky and measured with our
 * detection + aperture photometry, and on many seeded synthetic star lists where the quoted
 * errors must match the actual scatter of the estimates.
 */
import { describe, expect, it } from 'vitest';
import { aperturePhotometry } from '../../../src/science/image/aperture.js';
import { estimateBackground } from '../../../src/science/image/background.js';
import { detectSources } from '../../../src/science/image/detect.js';
import { Rng } from '../../../src/science/inference/random.js';
import { applyZeroPoint, crossMatch, fitZeroPoint, instrumentalMag, PhotometryError } from '../../../src/science/photometry/index.js';
import { psfEnclosedFraction, randomStarField, renderFrame, tanWcsForOptics, type Optics } from '../../../src/science/sky/index.js';

const ZP_TRUE = 21.734;
const CT_TRUE = 0.087;

/** A star list with catalog mags/colours and instrumental mags obeying cat − inst = zp + ct·colour. */
function synthetic(seed: number, n: number, outliers = 0): { instMag: Float64Array; instMagErr: Float64Array; catMag: Float64Array; catMagErr: Float64Array; colour: Float64Array } {
  const rng = new Rng(seed);
  const instMag = new Float64Array(n);
  const instMagErr = new Float64Array(n);
  const catMag = new Float64Array(n);
  const catMagErr = new Float64Array(n);
  const colour = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = 10 + 6 * rng.uniform();
    const c = -0.2 + 1.8 * rng.uniform();
    // Photon-noise-like errors, 3 mmag at m = 10 growing to ~0.05 at m = 16.
    const e = 0.003 * Math.pow(10, 0.2 * (m - 10));
    const ec = 0.01;
    catMag[i] = m + ec * rng.normal();
    catMagErr[i] = ec;
    colour[i] = c;
    instMag[i] = m - ZP_TRUE - CT_TRUE * c + e * rng.normal();
    instMagErr[i] = e;
  }
  for (let k = 0; k < outliers; k++) instMag[rng.int(n)] += 0.3 + rng.uniform();
  return { instMag, instMagErr, catMag, catMagErr, colour };
}

describe('fitZeroPoint on injected star lists', () => {
  it('recovers zp and colour term through 5 % outliers, within 0.01 and 0.02 mag', () => {
    const s = synthetic(1, 150, 8);
    const fit = fitZeroPoint(s);
    expect(Math.abs(fit.zp - ZP_TRUE)).toBeLessThan(0.01);
    expect(Math.abs(fit.colourTerm - CT_TRUE)).toBeLessThan(0.02);
    expect(fit.colourTermSource).toBe('fit');
    expect(fit.matched).toBe(150);
    expect(fit.clipped).toBeGreaterThanOrEqual(7);
    expect(fit.clipped).toBeLessThanOrEqual(14);
    expect(fit.used + fit.clipped).toBe(fit.matched);
    expect(fit.reducedChi2).toBeGreaterThan(0.6);
    expect(fit.reducedChi2).toBeLessThan(1.5);
    // Scatter of the kept stars: between the brightest (≈0.01 with the catalog error) and faintest errors.
    expect(fit.scatter).toBeGreaterThan(0.008);
    expect(fit.scatter).toBeLessThan(0.05);
  });

  it('quotes errors that match the scatter of the estimates over 300 seeded star lists', () => {
    const zp: number[] = [];
    const ct: number[] = [];
    const pullZp: number[] = [];
    const pullCt: number[] = [];
    for (let seed = 100; seed < 400; seed++) {
      const fit = fitZeroPoint(synthetic(seed, 40, 2));
      zp.push(fit.zp);
      ct.push(fit.colourTerm);
      pullZp.push((fit.zp - ZP_TRUE) / fit.zpErr);
      pullCt.push((fit.colourTerm - CT_TRUE) / fit.colourTermErr);
    }
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    const std = (a: number[]) => Math.sqrt(a.reduce((x, y) => x + (y - mean(a)) ** 2, 0) / (a.length - 1));
    // Unbiased…
    expect(Math.abs(mean(zp) - ZP_TRUE)).toBeLessThan(3 * (std(zp) / Math.sqrt(zp.length)) + 1e-4);
    expect(Math.abs(mean(ct) - CT_TRUE)).toBeLessThan(3 * (std(ct) / Math.sqrt(ct.length)) + 1e-4);
    // …with honest errors (pull std 1 within sampling and clipping effects).
    expect(std(pullZp)).toBeGreaterThan(0.85);
    expect(std(pullZp)).toBeLessThan(1.2);
    expect(std(pullCt)).toBeGreaterThan(0.85);
    expect(std(pullCt)).toBeLessThan(1.2);
  });

  it('with a fixed colour term fits zp only and carries the colour term error into it', () => {
    const s = synthetic(7, 60);
    const free = fitZeroPoint(s);
    const fixed = fitZeroPoint(s, { colourTerm: { value: CT_TRUE, err: 0.01 } });
    expect(fixed.colourTermSource).toBe('fixed');
    expect(fixed.colourTerm).toBe(CT_TRUE);
    expect(fixed.colourTermErr).toBe(0.01);
    expect(Math.abs(fixed.zp - ZP_TRUE)).toBeLessThan(0.005);
    // σ_zp² = σ_stat² + (σ_ct · mean colour)²: mean colour ≈ 0.7, so ≥ 0.006.
    expect(fixed.zpErr).toBeGreaterThan(0.006);
    const noCt = fitZeroPoint(s, { colourTerm: 'none' });
    expect(noCt.colourTerm).toBe(0);
    // Ignoring a real colour term shifts zp by ≈ ct × mean colour and inflates the scatter.
    expect(noCt.zp - ZP_TRUE).toBeGreaterThan(0.04);
    expect(noCt.scatter).toBeGreaterThan(free.scatter);
  });

  it('calibrates stars with the propagated covariance', () => {
    const s = synthetic(9, 80);
    const fit = fitZeroPoint(s);
    const cal = applyZeroPoint(s.instMag, s.instMagErr, s.colour, fit);
    let sum = 0;
    for (let i = 0; i < s.instMag.length; i++) sum += cal.mag[i] - s.catMag[i];
    expect(Math.abs(sum / s.instMag.length)).toBeLessThan(0.005);
    // A star of colour c: variance = σ² + σzp² + c²σct² + 2c·cov.
    const c = 1.3;
    const one = applyZeroPoint([10], [0], [c], fit);
    expect(one.magErr[0] ** 2).toBeCloseTo(fit.zpErr ** 2 + c * c * fit.colourTermErr ** 2 + 2 * c * fit.covZpColour, 12);
    expect(() => applyZeroPoint([10], [0.01], undefined, fit)).toThrow(PhotometryError);
  });

  it('rejects what it cannot fit with typed errors', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PhotometryError);
        return (e as PhotometryError).code;
      }
      return 'none';
    };
    expect(code(() => fitZeroPoint({ instMag: [1, 2], catMag: [1], colour: [0, 0] }))).toBe('SIZE_MISMATCH');
    expect(code(() => fitZeroPoint({ instMag: [1, 2], catMag: [20, 21], colour: [0.5, 0.6] }))).toBe('TOO_FEW_STARS');
    expect(code(() => fitZeroPoint({ instMag: [1, 2, 3, 4], catMag: [20, 21, 22, 23], colour: [0.5, 0.5, 0.5, 0.5] }))).toBe('DEGENERATE');
    expect(code(() => fitZeroPoint({ instMag: [NaN], catMag: [20] }))).toBe('TOO_FEW_STARS');
    expect(code(() => fitZeroPoint({ instMag: [1], catMag: [20] }, { sigma: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => fitZeroPoint({ instMag: [1], catMag: [20] }, { colourTerm: 'fit' }))).toBe('BAD_ARGUMENT');
    expect(code(() => instrumentalMag([1], undefined, 0))).toBe('BAD_ARGUMENT');
    // One star with an error among stars without: refuse rather than give it infinite weight.
    expect(code(() => fitZeroPoint({ instMag: [1, 2], instMagErr: [0.01, 0], catMag: [20, 21] }))).toBe('BAD_ARGUMENT');
  });
});

describe('zero point of a rendered frame', () => {
  it('recovers the renderer’s zero point and an injected colour term from detected, aperture-measured stars', () => {
    const optics: Optics = { apertureMm: 150, focalLengthMm: 750, pixelSizeUm: 4.5, widthPx: 640, heightPx: 480, gainEPerAdu: 1.5, readNoiseE: 4, biasAdu: 300, fullWellE: 1e9, vignetting: { kind: 'none' } };
    const ra = 84.1;
    const dec = 12.5;
    const wcs = tanWcsForOptics(optics, ra, dec, { rotationDeg: -12 });
    const field = randomStarField({ raDeg: ra, decDeg: dec, radiusDeg: 0.25, magBright: 9, magFaint: 16, densityAtRefMag: 2500, seed: 3 });
    // The camera sees catalog − ct·colour: a redder star looks fainter in this band.
    const rng = new Rng(17);
    const colour = field.map(() => -0.1 + 1.6 * rng.uniform());
    const stars = field.map((s, i) => ({ ...s, mag: s.mag - CT_TRUE * colour[i] }));
    const exposureS = 30;
    const frame = renderFrame({ wcs, optics, stars, exposureS, seeingFwhmArcsec: 3, seed: 8, skyMagPerArcsec2: 20.5 });
    const zpTrue = 2.5 * Math.log10(frame.meta.zeroPointEPerS);
    const gain = frame.meta.gainEPerAdu;
    const data = Float32Array.from(frame.frame, (v) => (v - frame.meta.biasAdu) * gain);
    const bg = estimateBackground(data, frame.width, frame.height);
    const det = detectSources({ data, width: frame.width, height: frame.height }, bg.level, bg.rms, { thresholdSigma: 5, minAreaPx: 6 }).sources.filter((s) => s.flags === 0);
    const fwhmPx = frame.meta.seeingFwhmPx;
    const radiusPx = 2.5 * fwhmPx;
    const phot = aperturePhotometry(
      { data, width: frame.width, height: frame.height },
      det.map((s) => s.x),
      det.map((s) => s.y),
      { radiusPx, annulus: { innerPx: 4 * fwhmPx, outerPx: 6 * fwhmPx }, gain: 1, readNoiseE: optics.readNoiseE },
    );
    // Aperture correction from the rendered PSF profile (the light outside 2.5 FWHM).
    const apCorr = -2.5 * Math.log10(psfEnclosedFraction(frame.meta.psf, radiusPx));
    const inst = instrumentalMag(phot.flux, phot.fluxErr, exposureS);
    for (let i = 0; i < inst.mag.length; i++) inst.mag[i] += apCorr;
    const m = crossMatch({ xPx: det.map((s) => s.x), yPx: det.map((s) => s.y) }, { raDeg: field.map((s) => s.raDeg), decDeg: field.map((s) => s.decDeg) }, wcs, { radiusArcsec: 2 });
    const k = m.sourceIndex.length;
    expect(k).toBeGreaterThan(60);
    const fit = fitZeroPoint({
      instMag: Array.from(m.sourceIndex, (i) => inst.mag[i]),
      instMagErr: Array.from(m.sourceIndex, (i) => inst.magErr[i]),
      catMag: Array.from(m.refIndex, (j) => field[j].mag),
      colour: Array.from(m.refIndex, (j) => colour[j]),
    });
    expect(Math.abs(fit.zp - zpTrue)).toBeLessThan(0.01);
    expect(Math.abs(fit.colourTerm - CT_TRUE)).toBeLessThan(0.02);
    expect(Math.abs(fit.zp - zpTrue)).toBeLessThan(4 * fit.zpErr + 0.002);
    console.info(`rendered frame: ${k} matched, zp ${fit.zp.toFixed(4)} (true ${zpTrue.toFixed(4)}, err ${fit.zpErr.toFixed(4)}), ct ${fit.colourTerm.toFixed(4)} ± ${fit.colourTermErr.toFixed(4)} (true ${CT_TRUE}), clipped ${fit.clipped}, χ²ν ${fit.reducedChi2.toFixed(2)}`);
  });
});
