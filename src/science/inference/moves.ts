/**
 * Proposal moves of the affine-invariant ensemble sampler. Each move proposes a new
 * position for every walker of one half of the ensemble from the other half (the
 * "complementary ensemble"), which stays fixed while the half is updated; so the
 * proposals are independent and their log-probabilities can be evaluated in parallel
 * (Foreman-Mackey et al. 2013, Algorithm 3).
 *
 * - Stretch move (Goodman & Weare 2010, eqs. 7, 9, 10): Y = X_j + z (X_k − X_j) with X_j a
 *   random walker of the complement and z drawn from g(z) ∝ 1/√z on [1/a, a]; accepted with
 *   probability min(1, z^(N−1) p(Y)/p(X_k)). Sampling g by its inverse CDF:
 *   z = ((a − 1) u + 1)² / a.
 * - Differential-evolution move (ter Braak 2006): Y = X_k + γ (X_r1 − X_r2) + e with r1 ≠ r2
 *   from the complement; γ₀ = 2.38/√(2N) is optimal for Gaussian targets. γ is randomised
 *   around γ₀ by a relative jitter (as in Nelson et al. 2014's DEMCMC) and set to 1 with a
 *   small probability so walkers can jump between modes (ter Braak's suggestion); e is an
 *   optional small isotropic Gaussian. The proposal is symmetric, so the Metropolis ratio is
 *   p(Y)/p(X_k).
 *
 * Moves are plain data so they can be stored in a checkpoint.
 */
import { InferenceError } from './errors.js';
import type { Rng } from './random.js';

export interface StretchMove {
  type: 'stretch';
  /** Scale parameter a > 1 of g(z) (default 2, Goodman & Weare's choice). */
  a?: number;
  /** Relative probability of choosing this move at a step (default 1). */
  weight?: number;
}

export interface DifferentialEvolutionMove {
  type: 'de';
  /** Base scale γ₀ (default 2.38/√(2N)). */
  gamma?: number;
  /** Relative standard deviation of γ around γ₀ (default 0.1). */
  gammaJitter?: number;
  /** Probability of γ = 1 (mode jumping; default 0.1). */
  pGammaOne?: number;
  /** Standard deviation of the additive Gaussian e in parameter units (default 0: none). */
  epsilon?: number;
  weight?: number;
}

export type Move = StretchMove | DifferentialEvolutionMove;

export interface ResolvedStretchMove {
  type: 'stretch';
  a: number;
  weight: number;
}

export interface ResolvedDifferentialEvolutionMove {
  type: 'de';
  gamma: number;
  gammaJitter: number;
  pGammaOne: number;
  epsilon: number;
  weight: number;
}

export type ResolvedMove = ResolvedStretchMove | ResolvedDifferentialEvolutionMove;

/** Fills in defaults and validates a move list (default: one stretch move). */
export function resolveMoves(moves: readonly Move[] | undefined, nDim: number): ResolvedMove[] {
  const list = moves && moves.length > 0 ? moves : [{ type: 'stretch' } as Move];
  return list.map((m, i) => {
    const field = `moves[${i}]`;
    const weight = m.weight ?? 1;
    if (!(weight > 0) || !Number.isFinite(weight)) throw new InferenceError('BAD_ARGUMENT', `move weight must be positive, got ${weight}`, { field });
    if (m.type === 'stretch') {
      const a = m.a ?? 2;
      if (!(a > 1) || !Number.isFinite(a)) throw new InferenceError('BAD_ARGUMENT', `stretch scale a must be > 1, got ${a}`, { field });
      return { type: 'stretch', a, weight };
    }
    if (m.type === 'de') {
      const gamma = m.gamma ?? 2.38 / Math.sqrt(2 * nDim);
      const gammaJitter = m.gammaJitter ?? 0.1;
      const pGammaOne = m.pGammaOne ?? 0.1;
      const epsilon = m.epsilon ?? 0;
      if (!(gamma > 0) || !Number.isFinite(gamma)) throw new InferenceError('BAD_ARGUMENT', `DE scale gamma must be positive, got ${gamma}`, { field });
      if (!(gammaJitter >= 0) || !Number.isFinite(gammaJitter)) throw new InferenceError('BAD_ARGUMENT', `gammaJitter must be ≥ 0, got ${gammaJitter}`, { field });
      if (!(pGammaOne >= 0 && pGammaOne <= 1)) throw new InferenceError('BAD_ARGUMENT', `pGammaOne must be in [0, 1], got ${pGammaOne}`, { field });
      if (!(epsilon >= 0) || !Number.isFinite(epsilon)) throw new InferenceError('BAD_ARGUMENT', `epsilon must be ≥ 0, got ${epsilon}`, { field });
      return { type: 'de', gamma, gammaJitter, pGammaOne, epsilon, weight };
    }
    throw new InferenceError('BAD_ARGUMENT', `unknown move type '${(m as { type?: unknown }).type}' (have 'stretch', 'de')`, { field });
  });
}

/**
 * Proposes positions for walkers [s0, s1) of `pos` (nDim per row) from the complement
 * [c0, c1), writing rows 0..(s1−s0−1) of `prop` and the log proposal-density correction of
 * each into `logQ`. Allocation-free.
 */
export function propose(
  move: ResolvedMove,
  rng: Rng,
  pos: Float64Array,
  nDim: number,
  s0: number,
  s1: number,
  c0: number,
  c1: number,
  prop: Float64Array,
  logQ: Float64Array,
): void {
  const nC = c1 - c0;
  if (move.type === 'stretch') {
    const am1 = move.a - 1;
    const invA = 1 / move.a;
    const dm1 = nDim - 1;
    for (let k = s0, i = 0; k < s1; k++, i++) {
      const j = c0 + rng.int(nC);
      const t = am1 * rng.uniform() + 1;
      const z = t * t * invA;
      const ok = k * nDim;
      const oj = j * nDim;
      const oi = i * nDim;
      for (let d = 0; d < nDim; d++) {
        const xj = pos[oj + d];
        prop[oi + d] = xj + z * (pos[ok + d] - xj);
      }
      logQ[i] = dm1 * Math.log(z);
    }
    return;
  }
  const { gamma, gammaJitter, pGammaOne, epsilon } = move;
  for (let k = s0, i = 0; k < s1; k++, i++) {
    const r1 = rng.int(nC);
    let r2 = rng.int(nC - 1);
    if (r2 >= r1) r2++;
    let g: number;
    if (pGammaOne > 0 && rng.uniform() < pGammaOne) g = 1;
    else g = gammaJitter > 0 ? gamma * (1 + gammaJitter * rng.normal()) : gamma;
    const ok = k * nDim;
    const o1 = (c0 + r1) * nDim;
    const o2 = (c0 + r2) * nDim;
    const oi = i * nDim;
    for (let d = 0; d < nDim; d++) prop[oi + d] = pos[ok + d] + g * (pos[o1 + d] - pos[o2 + d]);
    if (epsilon > 0) for (let d = 0; d < nDim; d++) prop[oi + d] += epsilon * rng.normal();
    logQ[i] = 0;
  }
}

/** Index of the move to use at this step, drawn by weight (no draw when there is one move). */
export function pickMove(moves: readonly ResolvedMove[], totalWeight: number, rng: Rng): number {
  if (moves.length === 1) return 0;
  let u = rng.uniform() * totalWeight;
  for (let i = 0; i < moves.length - 1; i++) {
    u -= moves[i].weight;
    if (u < 0) return i;
  }
  return moves.length - 1;
}
