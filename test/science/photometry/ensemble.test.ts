/**
 * Ensemble photometry on simulated nights with injected truth: frame-to-frame transparency
 * changes, a variable comparison star, a cosmic ray on a stable one. The target's injected
 * light curve must come back with errors that describe its scatter, the variable must be
 * dropped and the cosmic ray clipped.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import { ensemblePhotometry, PhotometryError, type EnsembleInput } from '../../../src/science/photometry/index.js';

interface Sim {
  input: EnsembleInput;
  truth: Float64Array;
  variableComp: number;
  cosmicStar: number;
}

function simulate(seed: number, opts: { withCatalog?: boolean } = {}): Sim {
  const rng = new Rng(seed);
  const nF = 80;
  const nS = 25;
  const target = 0;
  const variableComp = 7;
  const cosmicStar = 3;
  const meanMag = new Float64Array(nS);
  const colour = new Float64Array(nS);
  const xPx = new Float64Array(nS);
  const yPx = new Float64Array(nS);
  meanMag[0] = 13;
  colour[0] = 0.6;
  for (let s = 1; s < nS; s++) {
    meanMag[s] = 11.5 + 3 * rng.uniform();
    colour[s] = 0.2 + 0.9 * rng.uniform();
  }
  meanMag[variableComp] = 13.1;
  for (let s = 0; s < nS; s++) {
    xPx[s] = 2000 * rng.uniform();
    yPx[s] = 1500 * rng.uniform();
  }
  const instMag = new Float64Array(nF * nS);
  const instMagErr = new Float64Array(nF * nS);
  const truth = new Float64Array(nF);
  for (let f = 0; f < nF; f++) {
    // Thin cloud and rising airmass: up to 0.6 mag of common-mode dimming.
    const dim = 0.4 * rng.uniform() + 0.2 * (f / nF);
    truth[f] = meanMag[0] + 0.2 * Math.sin((2 * Math.PI * f) / 40);
    for (let s = 0; s < nS; s++) {
      let m = s === 0 ? truth[f] : meanMag[s];
      if (s === variableComp) m += 0.08 * Math.sin((2 * Math.PI * f) / 17);
      const e = 0.003 * Math.pow(10, 0.2 * (m + dim - 11.5));
      let obs = m + dim - 21 + e * rng.normal();
      if (s === cosmicStar && f === 33) obs -= 0.5;
      instMag[f * nS + s] = obs;
      instMagErr[f * nS + s] = e;
    }
  }
  // One star lost in a few frames (clouds, edge of the chip).
  for (const f of [5, 6, 60]) instMag[f * nS + 11] = NaN;
  const catMag = opts.withCatalog === false ? undefined : Float64Array.from(meanMag, (m) => m + 0.02 * rng.normal());
  return { input: { nFrames: nF, nStars: nS, instMag, instMagErr, target, catMag, colour, xPx, yPx }, truth, variableComp, cosmicStar };
}

const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;

describe('ensemblePhotometry', () => {
  it('recovers the injected light curve, drops the variable comparison star and clips the cosmic ray', () => {
    const sim = simulate(1);
    const r = ensemblePhotometry(sim.input, { maxComparisons: 15, magRangeMag: 2 });
    expect(r.scale).toBe('catalog');
    expect(Array.from(r.candidates)).toContain(sim.variableComp);
    expect(Array.from(r.rejected)).toEqual([sim.variableComp]);
    expect(Array.from(r.comparisons)).not.toContain(sim.variableComp);
    expect(r.comparisons.length).toBe(r.candidates.length - 1);
    expect(r.clippedPoints).toBeGreaterThanOrEqual(1);
    const kVar = Array.from(r.candidates).indexOf(sim.variableComp);
    // Its excess scatter is the injected 0.08/√2 ≈ 0.057 mag.
    expect(r.compExcess[kVar]).toBeGreaterThan(0.04);
    expect(r.compExcess[kVar]).toBeLessThan(0.075);
    expect(r.compWeight[kVar]).toBe(0);
    const resid = Float64Array.from(r.mag, (m, f) => m - sim.truth[f]);
    const offset = mean(resid);
    // Catalog scale: the offset is the weighted mean of the comparison stars' catalog errors (0.02 each).
    expect(Math.abs(offset)).toBeLessThan(0.02);
    const pulls = Float64Array.from(resid, (x, f) => (x - offset) / r.magErr[f]);
    const pullStd = Math.sqrt(mean(pulls.map((p) => p * p)));
    expect(pullStd).toBeGreaterThan(0.8);
    expect(pullStd).toBeLessThan(1.25);
    const rms = Math.sqrt(mean(resid.map((x) => (x - offset) ** 2)));
    expect(rms).toBeLessThan(0.012);
    console.info(`ensemble: ${r.comparisons.length} comparisons, light-curve rms ${(rms * 1000).toFixed(2)} mmag vs mean quoted ${(mean(r.magErr) * 1000).toFixed(2)} mmag, pull std ${pullStd.toFixed(2)}, offset ${offset.toFixed(4)}`);
  });

  it('without catalog magnitudes gives the differential light curve on an arbitrary zero point', () => {
    const sim = simulate(2, { withCatalog: false });
    const r = ensemblePhotometry(sim.input);
    expect(r.scale).toBe('instrumental');
    const resid = Float64Array.from(r.mag, (m, f) => m - sim.truth[f]);
    const offset = mean(resid);
    const rms = Math.sqrt(mean(resid.map((x) => (x - offset) ** 2)));
    expect(rms).toBeLessThan(0.012);
    expect(Array.from(r.rejected)).toContain(sim.variableComp);
  });

  it('with the variable excluded up front, keeps every other candidate', () => {
    const sim = simulate(3);
    const r = ensemblePhotometry(sim.input, { exclude: [sim.variableComp] });
    expect(Array.from(r.candidates)).not.toContain(sim.variableComp);
    expect(r.rejected.length).toBe(0);
  });

  it('honours the magnitude, colour and distance criteria', () => {
    const sim = simulate(4);
    const r = ensemblePhotometry(sim.input, { magRangeMag: 0.8, colourRangeMag: 0.3, maxDistance: 1200, minComparisons: 1 });
    const { catMag, colour, xPx, yPx } = sim.input;
    for (const s of r.candidates) {
      expect(Math.abs(catMag![s] - catMag![0])).toBeLessThanOrEqual(0.8);
      expect(Math.abs(colour![s] - colour![0])).toBeLessThanOrEqual(0.3);
      expect(Math.hypot(xPx![s] - xPx![0], yPx![s] - yPx![0])).toBeLessThanOrEqual(1200);
    }
  });

  it('rejects impossible requests with typed errors', () => {
    const sim = simulate(5);
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PhotometryError);
        return (e as PhotometryError).code;
      }
      return 'none';
    };
    expect(code(() => ensemblePhotometry(sim.input, { magRangeMag: 0.001 }))).toBe('TOO_FEW_STARS');
    expect(code(() => ensemblePhotometry({ ...sim.input, target: 99 }))).toBe('BAD_ARGUMENT');
    expect(code(() => ensemblePhotometry({ ...sim.input, instMag: new Float64Array(3) }))).toBe('SIZE_MISMATCH');
    expect(code(() => ensemblePhotometry(sim.input, { exclude: [-1] }))).toBe('BAD_ARGUMENT');
  });
});
