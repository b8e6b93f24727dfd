/**
 * Model comparison by evidence: each candidate model (e.g. no perturber, one, two) is run
 * through nested sampling on the same transit times, and the models are ranked by log Z.
 * ln B = ln Z_i − ln Z_best with error √(σ_i² + σ_best²); with equal prior odds the
 * posterior probability of model i is Z_i / Σ Z. Jeffreys' scale (as in Trotta 2008):
 * |ln B| < 1 inconclusive, 1–2.5 weak, 2.5–5 moderate, > 5 strong.
 */
import { TtvError } from './errors.js';
import { fitTtv, type TtvFitOptions, type TtvFitResult } from './fit.js';
import type { TtvModel } from './model.js';

export interface ComparedModel {
  name: string;
  nDim: number;
  logZ: number;
  logZErr: number;
  /** ln Z − ln Z of the preferred model (≤ 0) and its error. */
  logBayesFactor: number;
  logBayesFactorErr: number;
  /** Posterior probability with equal prior odds. */
  probability: number;
  fit: TtvFitResult;
}

export interface ModelComparison {
  models: ComparedModel[];
  preferred: string;
  /** ln Z(preferred) − ln Z(runner-up), and its error (NaN with one model). */
  margin: number;
  marginErr: number;
  strength: 'inconclusive' | 'weak' | 'moderate' | 'strong';
}

export type CompareOptions = Omit<TtvFitOptions, 'sampler' | 'warmStart' | 'resumeFrom' | 'threads' | 'checkpoint' | 'onProgress'> & {
  onProgress?: (model: string, fraction: number) => void;
};

export async function compareModels(candidates: Array<{ name: string; model: TtvModel }>, options: CompareOptions): Promise<ModelComparison> {
  if (candidates.length === 0) throw new TtvError('BAD_ARGUMENT', 'no models to compare');
  const fits: Array<{ name: string; fit: TtvFitResult }> = [];
  for (const c of candidates) {
    const fit = await fitTtv(c.model, { ...options, sampler: 'nested', onProgress: (f) => options.onProgress?.(c.name, f) });
    fits.push({ name: c.name, fit });
  }
  const logZ = fits.map((f) => f.fit.evidence!.logZ);
  const err = fits.map((f) => f.fit.evidence!.logZErr);
  const best = logZ.indexOf(Math.max(...logZ));
  const maxZ = logZ[best];
  let norm = 0;
  for (const z of logZ) norm += Math.exp(z - maxZ);
  const models: ComparedModel[] = fits.map((f, i) => ({
    name: f.name,
    nDim: f.fit.nDim,
    logZ: logZ[i],
    logZErr: err[i],
    logBayesFactor: logZ[i] - maxZ,
    logBayesFactorErr: i === best ? 0 : Math.hypot(err[i], err[best]),
    probability: Math.exp(logZ[i] - maxZ) / norm,
    fit: f.fit,
  }));
  const others = models.filter((_, i) => i !== best);
  const runnerUp = others.length > 0 ? others.reduce((a, b) => (b.logZ > a.logZ ? b : a)) : undefined;
  const margin = runnerUp ? maxZ - runnerUp.logZ : NaN;
  const marginErr = runnerUp ? Math.hypot(err[best], runnerUp.logZErr) : NaN;
  const strength = !(margin >= 1) ? 'inconclusive' : margin < 2.5 ? 'weak' : margin < 5 ? 'moderate' : 'strong';
  return { models, preferred: models[best].name, margin, marginErr, strength };
}
