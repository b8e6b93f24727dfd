/**
 * Model comparison by evidence: each candidate model (e.g. no perturber, one, two) is run
 * through nested sampling on the same transit times, and one is chosen by its evidence.
 *
 * The choice is not simply the largest log Z. A model with more free parameters must earn
 * them: it replaces a simpler one only when
 *   ln B − 2σ_B > threshold,   ln B = ln Z_more − ln Z_simpler,   σ_B = √(σ_more² + σ_simpler²),
 * with `threshold` 2.5 by default ("moderate" evidence, odds ≈ 12 : 1, on Jeffreys' scale
 * as calibrated by Trotta 2008: |ln B| < 1 inconclusive, 1–2.5 weak, 2.5–5 moderate, > 5
 * strong). Why both terms:
 * - A perturber that the data cannot see — small enough or far enough — fits as well as no
 *   perturber at all, so the evidence cannot go against it by more than the fraction of its
 *   prior where it would have been seen: ln B(two : one) ≤ Δ ln L_max (≈ 0 when the second
 *   is spurious), and typically only −0.5 to −2. A choice by the largest log Z then follows
 *   the sampling noise (σ(ln Z) = √(H/N) ≈ 0.4–0.6 at the live-point counts a comparison
 *   can afford), and picks the spurious model about half the time. The threshold asks for
 *   positive evidence before adding parameters; the 2σ keeps the decision out of the noise.
 * - Nested sampling with uniform draws in multi-ellipsoid bounds overestimates log Z in
 *   ≳ 8 dimensions with ~100 live points: the recursive split cuts a unimodal contour into
 *   pieces whose union misses part of it, worst along unconstrained parameters — exactly
 *   those of a spurious perturber (measured: +0.5 to +0.9 nats on an 8-D Gaussian and on a
 *   5-D Gaussian with 3 flat directions, whose log Z is known; a single ellipsoid is
 *   unbiased there). That bias favours the bigger model and is not in σ; the threshold
 *   absorbs it. (The cure belongs in inference/ellipsoid.ts. `nestedSample: 'slice'`,
 *   where the bound only sets the slice directions, is less affected: +0.2 to +0.4 in the
 *   same tests, for several times the likelihood calls.)
 * Models with the same number of parameters (e.g. a perturber inside or outside) compete
 * by log Z alone.
 *
 * With equal prior odds the posterior probability of model i is Z_i / Σ Z (reported as is).
 */
import { TtvError } from './errors.js';
import { fitTtv, type TtvFitOptions, type TtvFitResult } from './fit.js';
import type { TtvModel } from './model.js';

/** ln B a model with more parameters must exceed, beyond 2σ, to be preferred ("moderate"). */
export const DEFAULT_LN_B_THRESHOLD = 2.5;
/** Error multiple subtracted from ln B before it is held against the threshold. */
export const EVIDENCE_SIGMAS = 2;

export interface ComparedModel {
  name: string;
  nDim: number;
  logZ: number;
  logZErr: number;
  /**
   * ln Z − ln Z of the preferred model, and its error. Negative for every model the
   * preferred one beats on evidence; it may be positive (below threshold + 2σ) for a model
   * with more parameters that did not earn them.
   */
  logBayesFactor: number;
  logBayesFactorErr: number;
  /** Posterior probability with equal prior odds (Z_i / Σ Z). */
  probability: number;
  fit: TtvFitResult;
}

export interface ModelComparison {
  models: ComparedModel[];
  preferred: string;
  /**
   * ln Z(preferred) − ln Z(runner-up: the other model with the largest log Z), and its
   * error (NaN with one model). Negative when a more complex runner-up was turned down.
   */
  margin: number;
  marginErr: number;
  /** Jeffreys' category of the margin ('inconclusive' when it is below 1, or negative). */
  strength: 'inconclusive' | 'weak' | 'moderate' | 'strong';
  /**
   * 'evidence' when every model with more parameters falls short of the preferred one's
   * log Z by more than the threshold; 'parsimony' when one comes within the threshold (or
   * above, short of threshold + 2σ) and the simpler model is kept for want of evidence for
   * the extra parameters.
   */
  basis: 'evidence' | 'parsimony';
  /** The ln B threshold used. */
  threshold: number;
}

export type CompareOptions = Omit<TtvFitOptions, 'sampler' | 'warmStart' | 'resumeFrom' | 'threads' | 'checkpoint' | 'onProgress'> & {
  onProgress?: (model: string, fraction: number) => void;
  /** ln B a model with more free parameters must exceed beyond 2σ (default DEFAULT_LN_B_THRESHOLD). */
  threshold?: number;
};

/** The evidence of one candidate, as `chooseModel` needs it. */
export interface EvidenceEntry {
  name: string;
  nDim: number;
  logZ: number;
  logZErr: number;
}

export interface ModelChoice {
  /** Index into the entries. */
  preferred: number;
  basis: 'evidence' | 'parsimony';
}

/**
 * The decision rule on its own (pure): walk the models by increasing number of free
 * parameters, starting from the simplest with the largest log Z; a model with more
 * parameters replaces the current choice when ln B − 2σ_B > threshold against it.
 */
export function chooseModel(entries: EvidenceEntry[], threshold = DEFAULT_LN_B_THRESHOLD): ModelChoice {
  if (entries.length === 0) throw new TtvError('BAD_ARGUMENT', 'no models to compare');
  if (!(threshold >= 0) || !Number.isFinite(threshold)) throw new TtvError('BAD_ARGUMENT', `threshold must be a finite number ≥ 0, got ${threshold}`);
  for (const e of entries) {
    if (!Number.isFinite(e.logZ) || !(e.logZErr >= 0)) {
      throw new TtvError('BAD_ARGUMENT', `model '${e.name}' has log Z ${e.logZ} ± ${e.logZErr}: both must be finite`);
    }
  }
  const dims = [...new Set(entries.map((e) => e.nDim))].sort((a, b) => a - b);
  // Best log Z among the models with `d` parameters (ties: the first given).
  const bestWith = (d: number): number => {
    let k = -1;
    entries.forEach((e, i) => {
      if (e.nDim === d && (k < 0 || e.logZ > entries[k].logZ)) k = i;
    });
    return k;
  };
  let current = bestWith(dims[0]);
  for (const d of dims.slice(1)) {
    const k = bestWith(d);
    const lnB = entries[k].logZ - entries[current].logZ;
    const err = Math.hypot(entries[k].logZErr, entries[current].logZErr);
    if (lnB - EVIDENCE_SIGMAS * err > threshold) current = k;
  }
  const turnedDown = entries.some((e) => e.nDim > entries[current].nDim && e.logZ > entries[current].logZ - threshold);
  return { preferred: current, basis: turnedDown ? 'parsimony' : 'evidence' };
}

export async function compareModels(candidates: Array<{ name: string; model: TtvModel }>, options: CompareOptions): Promise<ModelComparison> {
  if (candidates.length === 0) throw new TtvError('BAD_ARGUMENT', 'no models to compare');
  const threshold = options.threshold ?? DEFAULT_LN_B_THRESHOLD;
  // Check the rule's arguments before hours of sampling.
  chooseModel([{ name: 'check', nDim: 1, logZ: 0, logZErr: 0 }], threshold);
  const fits: Array<{ name: string; fit: TtvFitResult }> = [];
  for (const c of candidates) {
    const fit = await fitTtv(c.model, { ...options, sampler: 'nested', onProgress: (f) => options.onProgress?.(c.name, f) });
    fits.push({ name: c.name, fit });
  }
  const entries: EvidenceEntry[] = fits.map((f) => ({ name: f.name, nDim: f.fit.nDim, logZ: f.fit.evidence!.logZ, logZErr: f.fit.evidence!.logZErr }));
  const { preferred: p, basis } = chooseModel(entries, threshold);
  const maxZ = Math.max(...entries.map((e) => e.logZ));
  let norm = 0;
  for (const e of entries) norm += Math.exp(e.logZ - maxZ);
  const models: ComparedModel[] = fits.map((f, i) => ({
    name: f.name,
    nDim: entries[i].nDim,
    logZ: entries[i].logZ,
    logZErr: entries[i].logZErr,
    logBayesFactor: entries[i].logZ - entries[p].logZ,
    logBayesFactorErr: i === p ? 0 : Math.hypot(entries[i].logZErr, entries[p].logZErr),
    probability: Math.exp(entries[i].logZ - maxZ) / norm,
    fit: f.fit,
  }));
  const others = models.filter((_, i) => i !== p);
  const runnerUp = others.length > 0 ? others.reduce((a, b) => (b.logZ > a.logZ ? b : a)) : undefined;
  const margin = runnerUp ? entries[p].logZ - runnerUp.logZ : NaN;
  const marginErr = runnerUp ? Math.hypot(entries[p].logZErr, runnerUp.logZErr) : NaN;
  const strength = !(margin >= 1) ? 'inconclusive' : margin < 2.5 ? 'weak' : margin < 5 ? 'moderate' : 'strong';
  return { models, preferred: models[p].name, margin, marginErr, strength, basis, threshold };
}
