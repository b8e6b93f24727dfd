/**
 * TTV inference: from a model (priors + observed transit times) to posterior samples,
 * credible intervals, the best fit and — with nested sampling — the evidence.
 *
 * Ensemble MCMC (default). TTV posteriors are narrow and curved, so walkers are not
 * started from the prior: a Levenberg–Marquardt fit of the transit times (least-squares.ts,
 * from the configured `init` values, with the eccentricity vector's start rotated through
 * four quadrants when it is free) finds the optimum, and the walkers start in a Gaussian
 * ball given by the Laplace covariance there (shrunk by half, and capped at a tenth of
 * each prior's width). A warm start replaces all that by draws from a previous posterior.
 * Likelihoods run on worker threads through the inference pool when `threads` > 0
 * (logprob-worker.mjs builds a TtvLikelihood per thread); results do not depend on the
 * thread count. The first `burnIn` steps are dropped; the rest, thinned, are the samples.
 *
 * Nested sampling gives log Z ± its error (for model comparison, compare.ts) and weighted
 * samples, resampled to equally weighted draws. It runs in-process (its draws are serial).
 */
import { runEnsemble, resumeEnsemble, type CheckpointOptions, type EnsembleResult, type EnsembleState } from '../inference/ensemble.js';
import type { Move } from '../inference/moves.js';
import { ensembleAutocorrTime } from '../inference/autocorr.js';
import { cholesky } from '../inference/linalg.js';
import { nestedSample, resampleEqual } from '../inference/nested.js';
import { startPool, type LogProbPool } from '../inference/pool.js';
import { Rng } from '../inference/random.js';
import { TtvError } from './errors.js';
import { levenbergMarquardt } from './least-squares.js';
import { TtvLikelihood } from './likelihood.js';
import { initialParameters, logPrior, parameterNames, priorTransform, type TtvModel } from './model.js';
import { selectColumns, type SamplesTable } from './samples.js';
import { derivedSamples, summarizeSamples, type ParameterSummary } from './summary.js';

export type TtvSampler = 'ensemble' | 'nested';

export interface TtvFitOptions {
  sampler?: TtvSampler;
  seed: number;
  /** Ensemble: walkers (default max(32, 4·nDim) rounded up to even). */
  nWalkers?: number;
  /** Ensemble: steps (default 2000). */
  nSteps?: number;
  /** Ensemble: leading steps dropped (default nSteps / 2). */
  burnIn?: number;
  /** Ensemble: keep every thin-th step (default 1). */
  thin?: number;
  /** Ensemble: worker threads evaluating the likelihood (default 0: in-process). */
  threads?: number;
  /** Ensemble: moves (default stretch 2 : differential evolution 1). */
  moves?: Move[];
  /** Ensemble: save the state periodically. */
  checkpoint?: CheckpointOptions;
  /** Ensemble: continue this saved run instead of starting a new one. */
  resumeFrom?: EnsembleState;
  /** Ensemble: start walkers from these posterior draws (columns matched by name). */
  warmStart?: SamplesTable;
  /** Nested: live points (default 400). */
  nLive?: number;
  /** Nested: stopping criterion on the remaining log Z (default 0.05). */
  dlogz?: number;
  /** Nested: 'uniform' inside the ellipsoids or 'slice' (default: uniform up to 8 dimensions). */
  nestedSample?: 'uniform' | 'slice';
  /** Nested: equally weighted draws returned (default 4000). */
  posteriorDraws?: number;
  /** Fraction done in [0, 1] and a short label. */
  onProgress?: (fraction: number, label: string) => void;
}

export interface TtvOptimum {
  theta: Float64Array;
  chi2: number;
  /** Laplace covariance (row-major, over all free parameters; jitter row/column from its prior). */
  covariance: Float64Array | undefined;
  evaluations: number;
}

export interface TtvFitResult {
  sampler: TtvSampler;
  parameterNames: string[];
  nDim: number;
  /** Equally weighted posterior draws, nSamples × nDim. */
  samples: Float64Array;
  nSamples: number;
  /** ln posterior (ensemble) or ln likelihood + ln prior (nested) of each draw. */
  logPosterior: Float64Array;
  /** Free parameters, then derived (ecc_*, omegaDeg_*). */
  summary: ParameterSummary[];
  /** Highest-posterior point visited. */
  bestFit: { theta: Float64Array; logPosterior: number; logLikelihood: number };
  optimum?: TtvOptimum;
  evidence?: { logZ: number; logZErr: number; information: number };
  diagnostics: {
    likelihoodCalls: number;
    /** Ensemble only. */
    nWalkers?: number;
    nSteps?: number;
    burnIn?: number;
    acceptance?: number;
    autocorrTime?: number[];
    /** Chain longer than 50 τ after burn-in. */
    autocorrReliable?: boolean;
    /** Nested only. */
    nIterations?: number;
  };
  /** Ensemble: final state (resume from it to run longer). */
  state?: EnsembleState;
}

const DEFAULT_MOVES: Move[] = [
  { type: 'stretch', weight: 2 },
  { type: 'de', weight: 1 },
];

export async function fitTtv(model: TtvModel, options: TtvFitOptions): Promise<TtvFitResult> {
  const sampler = options.sampler ?? 'ensemble';
  if (sampler !== 'ensemble' && sampler !== 'nested') throw new TtvError('BAD_ARGUMENT', `unknown sampler '${String(sampler)}' (ensemble or nested)`);
  if (!Number.isSafeInteger(options.seed)) throw new TtvError('BAD_ARGUMENT', `seed must be a safe integer, got ${options.seed}`);
  if (sampler === 'nested') {
    if (options.warmStart || options.resumeFrom) throw new TtvError('BAD_ARGUMENT', 'warm start and resume work with the ensemble sampler only');
    return fitNested(model, options);
  }
  return fitEnsemble(model, options);
}

/** Levenberg–Marquardt fit of the transit times from the configured start (jitter held at its init). */
export function optimizeTtv(model: TtvModel, likelihood = new TtvLikelihood(model), starts?: Float64Array[]): TtvOptimum {
  const nDim = model.parameters.length;
  const free = model.parameters.map((_, i) => i).filter((i) => i !== model.jitterIndex);
  const normals = free.filter((i) => model.parameters[i].kind === 'normal');
  const nData = model.data.timeDays.length;
  const full = new Float64Array(nDim);
  const res = new Float64Array(nData);
  const starting = starts ?? defaultStarts(model);
  const steps = free.map((i) => stepFor(model, i, starting[0][i]));
  let best: TtvOptimum | undefined;
  let evaluations = 0;
  for (const start of starting) {
    full.set(start);
    const problem = {
      nResiduals: nData + normals.length,
      steps,
      residuals: (x: Float64Array, out: Float64Array): boolean => {
        free.forEach((i, j) => (full[i] = x[j]));
        if (logPrior(model, full) === -Infinity) return false;
        if (!likelihood.residuals(full, res)) return false;
        out.set(res);
        normals.forEach((i, j) => (out[nData + j] = (full[i] - model.parameters[i].a) / model.parameters[i].b));
        return true;
      },
    };
    const r = levenbergMarquardt(problem, free.map((i) => start[i]));
    evaluations += r.evaluations;
    if (!(r.chi2 < Infinity)) continue;
    if (best && !(r.chi2 < best.chi2)) continue;
    const theta = Float64Array.from(start);
    free.forEach((i, j) => (theta[i] = r.x[j]));
    let covariance: Float64Array | undefined;
    if (r.covariance) {
      covariance = new Float64Array(nDim * nDim);
      free.forEach((i, a) => free.forEach((k, b) => (covariance![i * nDim + k] = r.covariance![a * free.length + b])));
      if (model.jitterIndex >= 0) {
        const q = model.parameters[model.jitterIndex];
        const sd = q.kind === 'normal' ? q.b : 0.05 * (q.b - q.a);
        covariance[model.jitterIndex * nDim + model.jitterIndex] = sd * sd;
      }
    }
    best = { theta, chi2: r.chi2, covariance, evaluations: 0 };
  }
  if (!best) throw new TtvError('NOT_CONVERGED', 'no starting point gives a finite likelihood: check the periods and conjunction times against the transit times');
  best.evaluations = evaluations;
  return best;
}

/** The init point, and with a free eccentricity vector its start rotated by 90°, 180°, 270°. */
function defaultStarts(model: TtvModel): Float64Array[] {
  const x0 = initialParameters(model);
  const pairs = model.planets.filter((p) => p.index.h >= 0).map((p) => [p.index.h, p.index.k]);
  if (pairs.length === 0) return [x0];
  const out: Float64Array[] = [];
  for (let q = 0; q < 4; q++) {
    const x = x0.slice();
    for (const [h, k] of pairs) {
      const c = Math.cos((q * Math.PI) / 2);
      const s = Math.sin((q * Math.PI) / 2);
      x[h] = x0[h] * c - x0[k] * s;
      x[k] = x0[h] * s + x0[k] * c;
    }
    out.push(x);
  }
  return out;
}

function stepFor(model: TtvModel, i: number, x: number): number {
  const q = model.parameters[i];
  switch (q.field) {
    case 'mass':
      return Math.max(1e-3 * Math.abs(x), 1e-3);
    case 'period':
      return 1e-7 * x;
    case 'conjunction':
      return 1e-5;
    case 'h':
    case 'k':
      return 1e-3;
    default:
      return 1e-3;
  }
}

function widthOf(model: TtvModel, i: number): number {
  const q = model.parameters[i];
  if (q.kind === 'uniform' || q.kind === 'log-uniform') return q.b - q.a;
  if (q.kind === 'normal') return 6 * q.b;
  return 2 * Math.sqrt(q.b);
}

async function fitEnsemble(model: TtvModel, options: TtvFitOptions): Promise<TtvFitResult> {
  const nDim = model.parameters.length;
  const names = parameterNames(model);
  const likelihood = new TtvLikelihood(model);
  let nWalkers = options.nWalkers ?? Math.max(32, 4 * nDim);
  if (nWalkers % 2 === 1) nWalkers++;
  const nSteps = options.nSteps ?? 2000;
  const burnIn = options.burnIn ?? Math.floor(nSteps / 2);
  const thin = options.thin ?? 1;
  if (!Number.isInteger(nSteps) || nSteps < 2) throw new TtvError('BAD_ARGUMENT', `nSteps must be an integer ≥ 2, got ${nSteps}`);
  if (!Number.isInteger(burnIn) || burnIn < 0 || burnIn >= nSteps) throw new TtvError('BAD_ARGUMENT', `burnIn must be an integer in [0, nSteps), got ${burnIn}`);
  if (!Number.isInteger(thin) || thin < 1) throw new TtvError('BAD_ARGUMENT', `thin must be a positive integer, got ${thin}`);
  const threads = options.threads ?? 0;
  if (!Number.isInteger(threads) || threads < 0 || threads > 256) throw new TtvError('BAD_ARGUMENT', `threads must be an integer in [0, 256], got ${threads}`);
  const progress = options.onProgress;

  let optimum: TtvOptimum | undefined;
  let initial: ((rng: Rng) => Float64Array) | undefined;
  if (options.resumeFrom) {
    if (options.resumeFrom.nDim !== nDim) {
      throw new TtvError('BAD_SAMPLES', `the checkpoint has ${options.resumeFrom.nDim} parameters, the model ${nDim} (${names.join(', ')})`);
    }
  } else if (options.warmStart) {
    initial = warmStartDraw(model, options.warmStart);
  } else {
    progress?.(0, 'optimising');
    optimum = optimizeTtv(model, likelihood);
    initial = ballAround(model, optimum);
  }

  let pool: LogProbPool | undefined;
  let result: EnsembleResult;
  try {
    if (threads > 0) {
      pool = await startPool({ module: new URL('./logprob-worker.mjs', import.meta.url), factory: 'makeLogProb', init: { model }, workers: threads });
    }
    const evaluator = pool ? { pool } : { logProb: (x: Float64Array) => likelihood.logPosterior(x) };
    const onProgress = (step: number, total: number) => progress?.(step / total, `step ${step}/${total}`);
    if (options.resumeFrom) {
      result = await resumeEnsemble(options.resumeFrom, { ...evaluator, nSteps, checkpoint: options.checkpoint, onProgress });
    } else {
      result = await runEnsemble({ ...evaluator, nWalkers, nSteps, initial: initial!, seed: options.seed, moves: options.moves ?? DEFAULT_MOVES, checkpoint: options.checkpoint, onProgress });
    }
  } finally {
    await pool?.stop();
  }

  const w = result.nWalkers;
  const first = Math.max(0, burnIn - result.startStep);
  if (first >= result.nSteps) throw new TtvError('BAD_ARGUMENT', `burn-in (${burnIn}) leaves no steps of the ${result.nSteps} held`);
  const kept: number[] = [];
  for (let s = first; s < result.nSteps; s += thin) kept.push(s);
  const nSamples = kept.length * w;
  const samples = new Float64Array(nSamples * nDim);
  const logPost = new Float64Array(nSamples);
  kept.forEach((s, j) => {
    samples.set(result.chain.subarray(s * w * nDim, (s + 1) * w * nDim), j * w * nDim);
    logPost.set(result.logProb.subarray(s * w, (s + 1) * w), j * w);
  });
  // Best point over the whole stored chain.
  let bi = 0;
  for (let i = 1; i < result.logProb.length; i++) if (result.logProb[i] > result.logProb[bi]) bi = i;
  const bestTheta = result.chain.slice(bi * nDim, (bi + 1) * nDim);
  const bestLogPost = result.logProb[bi];
  let acc = 0;
  for (let i = 0; i < w; i++) acc += result.acceptance[i];
  const tau = result.nSteps - first >= 2 ? Array.from(ensembleAutocorrTime(result.chain, result, { discard: first })) : [];
  const reliable = tau.length > 0 && tau.every((t) => 50 * t < result.nSteps - first);
  return {
    sampler: 'ensemble',
    parameterNames: names,
    nDim,
    samples,
    nSamples,
    logPosterior: logPost,
    summary: summaries(model, samples, names),
    bestFit: { theta: bestTheta, logPosterior: bestLogPost, logLikelihood: bestLogPost - logPrior(model, bestTheta) },
    optimum,
    diagnostics: {
      likelihoodCalls: w * (result.state.step + 1) + (optimum?.evaluations ?? 0),
      nWalkers: w,
      nSteps: result.state.step,
      burnIn,
      acceptance: acc / w,
      autocorrTime: tau,
      autocorrReliable: reliable,
    },
    state: result.state,
  };
}

function summaries(model: TtvModel, samples: Float64Array, names: string[]): ParameterSummary[] {
  const nDim = names.length;
  const out = summarizeSamples(samples, nDim, names);
  const derived = derivedSamples(model, samples);
  if (derived.names.length > 0) out.push(...summarizeSamples(derived.values, derived.names.length, derived.names));
  return out;
}

/** Walkers from N(optimum, ¼ Laplace covariance), each σ capped at a tenth of its prior width. */
function ballAround(model: TtvModel, opt: TtvOptimum): (rng: Rng) => Float64Array {
  const d = model.parameters.length;
  const cov = new Float64Array(d * d);
  const sd = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const cap = 0.1 * widthOf(model, i);
    const v = opt.covariance ? opt.covariance[i * d + i] : NaN;
    sd[i] = Number.isFinite(v) && v > 0 ? Math.min(Math.sqrt(v), cap) : 1e-4 * widthOf(model, i);
  }
  let l: Float64Array | undefined;
  if (opt.covariance) {
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        const si = Math.sqrt(opt.covariance[i * d + i]);
        const sj = Math.sqrt(opt.covariance[j * d + j]);
        const corr = si > 0 && sj > 0 ? opt.covariance[i * d + j] / (si * sj) : i === j ? 1 : 0;
        cov[i * d + j] = 0.25 * corr * sd[i] * sd[j] * (i === j ? 1 : 0.999);
      }
    }
    l = new Float64Array(d * d);
    if (!cholesky(cov, d, l)) l = undefined;
  }
  const z = new Float64Array(d);
  return (rng: Rng) => {
    const x = opt.theta.slice();
    for (let i = 0; i < d; i++) z[i] = rng.normal();
    for (let i = 0; i < d; i++) {
      if (l) {
        let s = 0;
        for (let k = 0; k <= i; k++) s += l[i * d + k] * z[k];
        x[i] += s;
      } else x[i] += 0.5 * sd[i] * z[i];
    }
    return x;
  };
}

/** Draws walkers from previous samples; parameters they lack start near their init. */
function warmStartDraw(model: TtvModel, table: SamplesTable): (rng: Rng) => Float64Array {
  const names = parameterNames(model);
  const cols = selectColumns(table, names, true);
  const d = names.length;
  const present = names.map((_, j) => Number.isFinite(cols[j]));
  if (!present.some(Boolean)) throw new TtvError('BAD_SAMPLES', `the warm-start samples share no column with the model (${names.join(', ')})`);
  const init = initialParameters(model);
  // A small spread so walkers drawn from the same row still span every dimension.
  const spread = names.map((_, j) => {
    if (!present[j]) return 1e-4 * widthOf(model, j);
    let m = 0;
    let m2 = 0;
    for (let i = 0; i < table.nSamples; i++) {
      const v = cols[i * d + j];
      m += v;
      m2 += v * v;
    }
    m /= table.nSamples;
    const sd = Math.sqrt(Math.max(0, m2 / table.nSamples - m * m));
    return sd > 0 ? 1e-3 * sd : 1e-6 * widthOf(model, j);
  });
  return (rng: Rng) => {
    const row = rng.int(table.nSamples);
    const x = new Float64Array(d);
    for (let j = 0; j < d; j++) x[j] = (present[j] ? cols[row * d + j] : init[j]) + spread[j] * rng.normal();
    return x;
  };
}

async function fitNested(model: TtvModel, options: TtvFitOptions): Promise<TtvFitResult> {
  const nDim = model.parameters.length;
  const names = parameterNames(model);
  const likelihood = new TtvLikelihood(model);
  const nLive = options.nLive ?? 400;
  const dlogz = options.dlogz ?? 0.05;
  const progress = options.onProgress;
  let first: number | undefined;
  const r = nestedSample({
    logLikelihood: (x) => likelihood.logLikelihood(x),
    priorTransform: (u, out) => priorTransform(model, u, out),
    nDim,
    nLive,
    seed: options.seed,
    bound: 'multi',
    sample: options.nestedSample ?? (nDim <= 8 ? 'uniform' : 'slice'),
    dlogz,
    onProgress: progress
      ? (p) => {
          // Progress as the fall of the remaining Δlog Z from its first value to dlogz, in log.
          if (!(p.dlogz > 0) || !Number.isFinite(p.dlogz)) return;
          first ??= Math.max(p.dlogz, dlogz * 1.0001);
          const f = Math.log(first / p.dlogz) / Math.log(first / dlogz);
          progress(Math.min(1, Math.max(0, f)), `log Z ${p.logZ.toFixed(2)}, ${p.nCalls} calls`);
        }
      : undefined,
  });
  const draws = options.posteriorDraws ?? 4000;
  const samples = resampleEqual(r.samples, r.weights, nDim, draws, options.seed + 1);
  const logPost = new Float64Array(draws);
  // Map each draw back to its log L (the rows are copies of nested samples).
  const index = new Map<string, number>();
  for (let i = 0; i < r.nSamples; i++) index.set(rowKey(r.samples, i, nDim), i);
  for (let i = 0; i < draws; i++) {
    const j = index.get(rowKey(samples, i, nDim));
    logPost[i] = (j === undefined ? NaN : r.logL[j]) + logPrior(model, samples.subarray(i * nDim, (i + 1) * nDim));
  }
  let bi = 0;
  let bestLp = -Infinity;
  for (let i = 0; i < r.nSamples; i++) {
    const lp = r.logL[i] + logPrior(model, r.samples.subarray(i * nDim, (i + 1) * nDim));
    if (lp > bestLp) {
      bestLp = lp;
      bi = i;
    }
  }
  return {
    sampler: 'nested',
    parameterNames: names,
    nDim,
    samples,
    nSamples: draws,
    logPosterior: logPost,
    summary: summaries(model, samples, names),
    bestFit: { theta: r.samples.slice(bi * nDim, (bi + 1) * nDim), logPosterior: bestLp, logLikelihood: r.logL[bi] },
    evidence: { logZ: r.logZ, logZErr: r.logZErr, information: r.information },
    diagnostics: { likelihoodCalls: r.nCalls, nIterations: r.nIterations },
  };
}

function rowKey(a: Float64Array, i: number, d: number): string {
  let s = '';
  for (let k = 0; k < d; k++) s += a[i * d + k] + ',';
  return s;
}
