/**
 * Model comparison (no perturber / one / two) by evidence, on transit times of one planet
 * injected with our own forward model: one perturber injected → one is chosen over none
 * and over two; none injected → none is chosen. The rule (compare.ts): a model with more
 * parameters must beat a simpler one by ln B − 2σ > 2.5 ("moderate" on Jeffreys' scale).
 * Also the rule alone, on hand-made evidences.
 */
import { describe, expect, it } from 'vitest';
import { buildTtvModel, TtvError, type TransitTimeData, type TtvModelConfig } from '../../../src/science/ttv/index.js';
import { chooseModel, compareModels, DEFAULT_LN_B_THRESHOLD, type EvidenceEntry } from '../../../src/science/ttv/compare.js';
import { injectTimes } from './inject.js';

const T0 = 2459000;
const SIGMA = 1 / 1440; // one minute
const STEP = 0.8; // P_b/10, the same in the injection and the fits
const SPAN = 200;

/** b (observed, 8.0 d) and, when `perturbed`, an unseen 25 M⊕ planet c at 16.4 d (near 2:1). */
function observations(perturbed: boolean): TransitTimeData {
  const truth = [
    { name: 'b', massEarth: 15, periodDays: 8.0, conjunctionDays: T0 + 3.1 },
    { name: 'c', massEarth: perturbed ? 25 : 0, periodDays: 16.4, conjunctionDays: T0 + 9.7 },
  ];
  return injectTimes(1, T0, truth, { endDays: T0 + SPAN, sigmaDays: SIGMA, seed: 2, observed: ['b'], stepDays: STEP });
}

const B = { name: 'b', massEarth: 15, periodDays: { prior: 'uniform', min: 7.99, max: 8.01 }, conjunctionDays: { prior: 'uniform', min: T0 + 3.0, max: T0 + 3.2 } } as const;
/** First perturber: log-uniform mass, period around the 2:1. */
const C = {
  name: 'c',
  massEarth: { prior: 'log-uniform', min: 5, max: 300 },
  periodDays: { prior: 'uniform', min: 15.8, max: 17 },
  conjunctionDays: { prior: 'uniform', min: T0 + 1, max: T0 + 17.4 },
} as const;
/** Second perturber: further out, over a broad range of periods and masses. */
const D = {
  name: 'd',
  massEarth: { prior: 'log-uniform', min: 5, max: 300 },
  periodDays: { prior: 'uniform', min: 25, max: 40 },
  conjunctionDays: { prior: 'uniform', min: T0 + 1, max: T0 + 41 },
} as const;

function candidates(data: TransitTimeData, upTo: number) {
  const base: Omit<TtvModelConfig, 'planets'> = { stellarMassMsun: 1, referenceEpochDays: T0, stepDays: STEP };
  const all = [
    { name: 'no perturber', model: buildTtvModel({ ...base, planets: [B] }, data) },
    { name: 'one perturber', model: buildTtvModel({ ...base, planets: [B, C] }, data) },
    { name: 'two perturbers', model: buildTtvModel({ ...base, planets: [B, C, D] }, data) },
  ];
  return all.slice(0, upTo + 1);
}

// Few live points keep this to seconds; σ(ln Z) ≈ √(H/N) ≈ 0.55 each, which the rule's 2σ covers.
const NESTED = { nLive: 60, dlogz: 0.1 };

describe('compareModels: how many perturbers', () => {
  it('one injected: prefers one over none (decisively) and over two (which does not earn its parameters)', async () => {
    const r = await compareModels(candidates(observations(true), 2), { seed: 3, ...NESTED });
    const [none, one, two] = r.models;
    expect(r.preferred).toBe('one perturber');
    expect(r.threshold).toBe(DEFAULT_LN_B_THRESHOLD);
    // One perturber against none: a TTV of hours against one-minute errors.
    expect(one.logZ - none.logZ - 2 * Math.hypot(one.logZErr, none.logZErr)).toBeGreaterThan(20);
    expect(none.logBayesFactor).toBeLessThan(-20);
    // Two against one: no more than the likelihood can give (an unseen planet fits as well
    // as none): ln B(two : one) is at most a little above 0, far short of the threshold.
    expect(two.fit.bestFit.logLikelihood - one.fit.bestFit.logLikelihood).toBeLessThan(1);
    expect(two.logZ - one.logZ - 2 * Math.hypot(two.logZErr, one.logZErr)).toBeLessThan(DEFAULT_LN_B_THRESHOLD);
    expect(r.basis).toBe('parsimony');
    // The perturber is found where it was put.
    const mass = one.fit.summary.find((q) => q.name === 'massEarth_c')!;
    const period = one.fit.summary.find((q) => q.name === 'periodDays_c')!;
    expect(25).toBeGreaterThanOrEqual(mass.lo95);
    expect(25).toBeLessThanOrEqual(mass.hi95);
    expect(16.4).toBeGreaterThanOrEqual(period.lo95);
    expect(16.4).toBeLessThanOrEqual(period.hi95);
  }, 90_000);

  it('none injected: prefers no perturber (the evidence leans against the perturber: its Occam penalty)', async () => {
    const r = await compareModels(candidates(observations(false), 1), { seed: 3, ...NESTED });
    const [none, one] = r.models;
    expect(r.preferred).toBe('no perturber');
    // Part of the perturber's prior (≥ 5 M⊕ near the 2:1) would have shown in the times,
    // the rest fits as well as no perturber: ln B(one : none) < 0, by ~1 nat (measured 1.3).
    expect(one.logBayesFactor).toBeLessThan(0);
    expect(r.margin).toBe(none.logZ - one.logZ);
    expect(one.fit.bestFit.logLikelihood - none.fit.bestFit.logLikelihood).toBeLessThan(3);
  }, 60_000);
});

describe('chooseModel (the rule)', () => {
  const m = (name: string, nDim: number, logZ: number, logZErr = 0.3): EvidenceEntry => ({ name, nDim, logZ, logZErr });

  it('adds parameters only for ln B − 2σ above the threshold', () => {
    // 2.5 + 2·√(0.3² + 0.3²) = 3.35: just below and just above.
    expect(chooseModel([m('a', 2, 0), m('b', 5, 3.3)])).toEqual({ preferred: 0, basis: 'parsimony' });
    expect(chooseModel([m('a', 2, 0), m('b', 5, 3.4)])).toEqual({ preferred: 1, basis: 'evidence' });
    // The error counts: the same ln B with larger errors is not enough.
    expect(chooseModel([m('a', 2, 0, 1), m('b', 5, 3.4, 1)]).preferred).toBe(0);
    // A lower threshold admits it.
    expect(chooseModel([m('a', 2, 0), m('b', 5, 2), m('c', 8, 2.1)], 0.5).preferred).toBe(1);
  });

  it('walks up by parameter count, comparing each step with the current choice', () => {
    // c is not much better than b, but b is not better than a: c still has to beat a.
    expect(chooseModel([m('a', 2, 0), m('b', 5, 1), m('c', 8, 20)]).preferred).toBe(2);
    expect(chooseModel([m('a', 2, 0), m('b', 5, 20), m('c', 8, 21)])).toEqual({ preferred: 1, basis: 'parsimony' });
    // A much worse complex model is rejected on evidence, not parsimony.
    expect(chooseModel([m('a', 2, 0), m('b', 5, 20), m('c', 8, 10)])).toEqual({ preferred: 1, basis: 'evidence' });
    // Same parameter count: the larger log Z, whatever the order given.
    expect(chooseModel([m('inner', 5, 4), m('outer', 5, 4.2), m('none', 2, -10)]).preferred).toBe(1);
    expect(chooseModel([m('x', 3, 7)])).toEqual({ preferred: 0, basis: 'evidence' });
  });

  it('rejects what cannot be ranked', () => {
    expect(() => chooseModel([])).toThrow(TtvError);
    expect(() => chooseModel([m('a', 2, NaN)])).toThrow(/log Z/);
    expect(() => chooseModel([m('a', 2, 0, -1)])).toThrow(/log Z/);
    expect(() => chooseModel([m('a', 2, 0)], -1)).toThrow(/threshold/);
  });
});
