import { describe, expect, it } from 'vitest';
import { assignEpochs, fitLinearEphemeris, observedMinusCalculated, predictTransitTime } from '../../../src/science/transit/ephemeris.js';
import { TransitError } from '../../../src/science/transit/errors.js';
import { readCsv } from './fixtures.js';

function series(planet: string) {
  const rows = readCsv('transit_times.csv').filter((r) => r.planet === planet);
  return {
    epochs: Float64Array.from(rows, (r) => +r.epoch),
    times: Float64Array.from(rows, (r) => +r.time),
    sigmas: Float64Array.from(rows, (r) => +r.sigma),
  };
}

describe('linear ephemeris vs numpy weighted least squares (published transit times)', () => {
  const golden = readCsv('ephemeris_golden.csv');
  it.each(golden.map((g) => [g.planet, g] as const))('%s', (_name, g) => {
    const s = series(g.planet);
    expect(s.epochs.length).toBeGreaterThan(30);
    const eph = fitLinearEphemeris(s.epochs, s.times, s.sigmas, { referenceEpoch: +g.ref_epoch });
    expect(Math.abs(eph.t0 - +g.t0)).toBeLessThan(2e-9); // days (~0.2 ms)
    expect(Math.abs(eph.periodDays / +g.period - 1)).toBeLessThan(1e-11);
    expect(Math.abs(eph.sigmaT0 / +g.sigma_t0 - 1)).toBeLessThan(1e-9);
    expect(Math.abs(eph.sigmaPeriod / +g.sigma_period - 1)).toBeLessThan(1e-9);
    expect(Math.abs(eph.covT0Period - +g.cov_t0_period)).toBeLessThan(1e-9 * +g.sigma_t0 * +g.sigma_period);
    expect(Math.abs(eph.chi2 / +g.chi2 - 1)).toBeLessThan(1e-7);
    expect(eph.dof).toBe(s.epochs.length - 2);
  });

  it('Kepler-307 periods match the published linear-fit values (TTV2Fast2Furious: 10.415738, 13.084248 d)', () => {
    const b = series('kepler307b');
    const c = series('kepler307c');
    expect(fitLinearEphemeris(b.epochs, b.times, b.sigmas).periodDays).toBeCloseTo(10.415738, 6);
    expect(fitLinearEphemeris(c.epochs, c.times, c.sigmas).periodDays).toBeCloseTo(13.084248, 6);
  });
});

describe('linear ephemeris: analytic properties', () => {
  const epochs = [0, 1, 2, 4, 7, 11];
  const t0 = 2459123.456789;
  const period = 3.14159265;

  it('recovers an exact ephemeris, O−C = 0, and its reference-epoch shift is consistent', () => {
    const times = epochs.map((n) => t0 + n * period);
    const sig = epochs.map(() => 5e-4);
    const eph = fitLinearEphemeris(epochs, times, sig, { referenceEpoch: 0 });
    expect(Math.abs(eph.t0 - t0)).toBeLessThan(1e-9);
    expect(Math.abs(eph.periodDays - period)).toBeLessThan(1e-11);
    expect(eph.chi2).toBeLessThan(1e-6);
    const oc = observedMinusCalculated(eph, epochs, times, sig);
    for (const v of oc.ocDays) expect(Math.abs(v)).toBeLessThan(1e-9);
    // Predicted σ at any epoch does not depend on which reference epoch the fit reports.
    const eph5 = fitLinearEphemeris(epochs, times, sig, { referenceEpoch: 5 });
    for (const n of [-3, 0, 6, 20]) {
      expect(predictTransitTime(eph5, n).sigmaDays).toBeCloseTo(predictTransitTime(eph, n).sigmaDays, 12);
    }
  });

  it('two points: σ(P) = √(σ1² + σ2²)/Δn, and a default reference near the weighted centre', () => {
    const eph = fitLinearEphemeris([0, 10], [100, 130], [0.003, 0.004]);
    expect(eph.periodDays).toBeCloseTo(3, 12);
    expect(eph.sigmaPeriod).toBeCloseTo(0.005 / 10, 14);
    expect(eph.dof).toBe(0);
    // Weighted mean epoch 10·(1/16)/(1/9 + 1/16) = 3.6 → reference epoch 4, t0 = 100 + 4·3.
    expect(eph.referenceEpoch).toBe(4);
    expect(eph.t0).toBeCloseTo(112, 12);
  });

  it('scaleErrors inflates σ by √(χ²/dof) only when χ²/dof > 1', () => {
    const times = epochs.map((n, i) => t0 + n * period + (i % 2 ? 0.002 : -0.002));
    const sig = epochs.map(() => 5e-4);
    const raw = fitLinearEphemeris(epochs, times, sig);
    const scaled = fitLinearEphemeris(epochs, times, sig, { scaleErrors: true });
    expect(scaled.errorScale).toBeCloseTo(Math.sqrt(raw.chi2 / raw.dof), 12);
    expect(scaled.sigmaPeriod / raw.sigmaPeriod).toBeCloseTo(scaled.errorScale, 12);
    const clean = fitLinearEphemeris(epochs, epochs.map((n) => t0 + n * period), sig, { scaleErrors: true });
    expect(clean.errorScale).toBe(1);
  });

  it('O−C errors optionally include the ephemeris prediction error in quadrature', () => {
    const times = epochs.map((n) => t0 + n * period);
    const sig = epochs.map(() => 1e-3);
    const eph = fitLinearEphemeris(epochs, times, sig);
    const oc = observedMinusCalculated(eph, [30], [t0 + 30 * period + 0.01], [1e-3], true);
    expect(oc.ocDays[0]).toBeCloseTo(0.01, 9);
    const pred = predictTransitTime(eph, 30).sigmaDays;
    expect(oc.sigmaDays[0]).toBeCloseTo(Math.hypot(1e-3, pred), 15);
  });

  it('assigns epochs by nearest integer cycle', () => {
    expect(Array.from(assignEpochs([t0 - period, t0 + 0.4 * period, t0 + 5.1 * period], t0, period))).toEqual([-1, 0, 5]);
  });

  it('rejects bad input with TransitError', () => {
    expect(() => fitLinearEphemeris([0], [1], [1])).toThrow(/at least 2/);
    expect(() => fitLinearEphemeris([0, 1], [1, 2], [1])).toThrow(TransitError);
    expect(() => fitLinearEphemeris([0, 1], [1, 2], [1, 0])).toThrow(/'sigmaDays' point 1/);
    expect(() => fitLinearEphemeris([0, 0.5], [1, 2], [1, 1])).toThrow(/'epochs' point 1/);
    expect(() => fitLinearEphemeris([3, 3], [1, 2], [1, 1])).toThrow(/share one epoch/);
    expect(() => fitLinearEphemeris([0, 1], [1, Number.NaN], [1, 1])).toThrow(/'timesDays'/);
    expect(() => assignEpochs([1], 0, 0)).toThrow(TransitError);
  });
});
