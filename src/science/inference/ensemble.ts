/**
 * Affine-invariant ensemble MCMC (Goodman & Weare 2010) with the parallel "red–black"
 * update of Foreman-Mackey et al. (2013, Algorithm 3): the ensemble is split into two
 * halves; each half is moved using the other half only, so its proposals can be evaluated
 * as one batch (in worker threads through a pool, or in-process).
 *
 * Every random draw comes from one seeded generator in a fixed order that does not depend
 * on how the batch is evaluated, so a run is reproducible bit for bit, with or without
 * worker threads, and a run resumed from a checkpoint continues exactly as if it had never
 * stopped.
 *
 * The inner loop allocates nothing: proposals, their log-probabilities and the row views
 * handed to an in-process log-probability are allocated once per run. The row view passed
 * to `logProb` is reused; copy it if you keep it.
 */
import { InferenceError } from './errors.js';
import { cholesky, rowCovariance, rowMean } from './linalg.js';
import { pickMove, propose, resolveMoves, type Move, type ResolvedMove } from './moves.js';
import { Rng, type RngState } from './random.js';

/** Log-probability (up to a constant) of one position; −Infinity outside the support. */
export type LogProbFn = (x: Float64Array) => number;

/** Something that evaluates log-probabilities of `count` rows (nDim each) into `out`. */
export interface BatchEvaluator {
  evaluate(positions: Float64Array, count: number, nDim: number, out: Float64Array): void | Promise<void>;
}

export interface CheckpointOptions {
  /** Save after every `every` completed steps (and never after the last one: the result has it). */
  every: number;
  /**
   * Receives a snapshot. Its `chain`/`chainLogProb` are views into the sampler's buffers,
   * valid until `save` resolves: serialise (or copy) them before returning.
   */
  save(state: EnsembleState): Promise<void> | void;
  /**
   * Include the chain so far, so a resumed run returns the whole chain (default true). Only
   * possible when this run holds the chain from step 0 (not when it was itself resumed from
   * a state saved without its chain).
   */
  includeChain?: boolean;
}

export interface EnsembleOptions {
  /** In-process log-probability; give this or `pool`. */
  logProb?: LogProbFn;
  /** Batch evaluator (e.g. a worker pool, see pool.ts); give this or `logProb`. */
  pool?: BatchEvaluator;
  /** Number of walkers: even, ≥ 4 and ≥ 2·nDim. */
  nWalkers: number;
  /**
   * Starting positions: one row per walker (or a flat nWalkers×nDim array), or a function
   * drawing one start position; a drawn position with log-probability −∞ is drawn again.
   */
  initial: Float64Array[] | Float64Array | ((rng: Rng) => Float64Array);
  /** Dimension; needed only when `initial` is a flat array. */
  nDim?: number;
  nSteps: number;
  /** Moves and their weights (default: the stretch move with a = 2). */
  moves?: Move[];
  seed: number;
  checkpoint?: CheckpointOptions;
  onProgress?: (step: number, nSteps: number) => void;
}

export interface ResumeOptions {
  logProb?: LogProbFn;
  pool?: BatchEvaluator;
  /** Total number of steps wanted (default: the state's target); must be ≥ the state's step. */
  nSteps?: number;
  checkpoint?: CheckpointOptions;
  onProgress?: (step: number, nSteps: number) => void;
}

/** Everything needed to continue a run exactly. */
export interface EnsembleState {
  kind: 'ensemble';
  version: 1;
  nWalkers: number;
  nDim: number;
  /** Steps completed. */
  step: number;
  /** Steps the run was asked for. */
  nSteps: number;
  seed: number;
  moves: ResolvedMove[];
  rng: RngState;
  /** Current walkers, nWalkers × nDim. */
  positions: Float64Array;
  /** Their log-probabilities. */
  logProb: Float64Array;
  /** Accepted proposals per walker since step 0. */
  accepted: Float64Array;
  /** Steps [0, step) of the chain (step × nWalkers × nDim), when saved with the state. */
  chain?: Float64Array;
  /** Their log-probabilities (step × nWalkers). */
  chainLogProb?: Float64Array;
}

export interface EnsembleResult {
  /** Positions after each stored step: nSteps × nWalkers × nDim, step-major. */
  chain: Float64Array;
  /** Log-probabilities: nSteps × nWalkers. */
  logProb: Float64Array;
  /** Acceptance fraction per walker over all steps since step 0. */
  acceptance: Float64Array;
  /** State after the last step (resume it to run longer). */
  state: EnsembleState;
  /** First step held in `chain` (0 unless resumed from a state saved without its chain). */
  startStep: number;
  /** Steps held in `chain` (so the result is a ChainShape for the diagnostics). */
  nSteps: number;
  nWalkers: number;
  nDim: number;
}

/** Largest chain we allocate (values): 2^27 doubles = 1 GiB. */
export const MAX_CHAIN_VALUES = 2 ** 27;
/** Redraws allowed per walker when a drawn start position has zero probability. */
const MAX_INITIAL_DRAWS = 1000;

export async function runEnsemble(options: EnsembleOptions): Promise<EnsembleResult> {
  const { nWalkers, nSteps, seed } = options;
  if (!Number.isSafeInteger(seed)) throw new InferenceError('BAD_ARGUMENT', `seed must be a safe integer, got ${seed}`, { field: 'seed' });
  if (!Number.isInteger(nWalkers) || nWalkers < 4 || nWalkers % 2 !== 0) {
    throw new InferenceError('BAD_ARGUMENT', `nWalkers must be an even integer ≥ 4, got ${nWalkers}`, { field: 'nWalkers' });
  }
  checkSteps(nSteps);
  const evaluator = pickEvaluator(options.logProb, options.pool);
  const rng = new Rng(seed);
  const start = await initialPositions(options, rng, evaluator);
  const { positions, nDim } = start;
  const moves = resolveMoves(options.moves, nDim);
  let logProb = start.logProb;
  if (!logProb) {
    logProb = new Float64Array(nWalkers);
    await evaluateAll(evaluator, positions, nWalkers, nDim, logProb);
  }
  for (let w = 0; w < nWalkers; w++) checkInitial(logProb[w], w);
  checkSpan(positions, nWalkers, nDim);
  const state: EnsembleState = {
    kind: 'ensemble',
    version: 1,
    nWalkers,
    nDim,
    step: 0,
    nSteps,
    seed,
    moves,
    rng: rng.getState(),
    positions,
    logProb,
    accepted: new Float64Array(nWalkers),
  };
  return advance(state, rng, evaluator, nSteps, options.checkpoint, options.onProgress);
}

/** Continues a run from a state (a checkpoint or a previous result's `state`). */
export async function resumeEnsemble(state: EnsembleState, options: ResumeOptions): Promise<EnsembleResult> {
  validateState(state);
  const nSteps = options.nSteps ?? state.nSteps;
  checkSteps(nSteps);
  if (nSteps < state.step) {
    throw new InferenceError('BAD_ARGUMENT', `nSteps ${nSteps} is below the ${state.step} steps already done`, { field: 'nSteps' });
  }
  const evaluator = pickEvaluator(options.logProb, options.pool);
  const copy: EnsembleState = {
    ...state,
    nSteps,
    moves: state.moves.map((m) => ({ ...m })),
    positions: state.positions.slice(),
    logProb: state.logProb.slice(),
    accepted: state.accepted.slice(),
  };
  return advance(copy, Rng.fromState(state.rng), evaluator, nSteps, options.checkpoint, options.onProgress);
}

type Evaluator = { kind: 'fn'; fn: LogProbFn } | { kind: 'batch'; batch: BatchEvaluator };

function pickEvaluator(logProb: LogProbFn | undefined, pool: BatchEvaluator | undefined): Evaluator {
  if (logProb && pool) throw new InferenceError('BAD_ARGUMENT', 'give either logProb or pool, not both', { field: 'pool' });
  if (typeof logProb === 'function') return { kind: 'fn', fn: logProb };
  if (pool && typeof pool.evaluate === 'function') return { kind: 'batch', batch: pool };
  throw new InferenceError('BAD_ARGUMENT', 'a log-probability is needed: pass logProb (a function) or pool', { field: 'logProb' });
}

function checkSteps(nSteps: number): void {
  if (!Number.isInteger(nSteps) || nSteps < 0) throw new InferenceError('BAD_ARGUMENT', `nSteps must be an integer ≥ 0, got ${nSteps}`, { field: 'nSteps' });
}

async function evaluateAll(ev: Evaluator, rows: Float64Array, count: number, nDim: number, out: Float64Array): Promise<void> {
  if (ev.kind === 'fn') {
    for (let i = 0; i < count; i++) out[i] = callLogProb(ev.fn, rows.subarray(i * nDim, (i + 1) * nDim), -1, i);
  } else {
    await ev.batch.evaluate(rows, count, nDim, out);
  }
}

/** Calls the log-probability, turning a throw into a located error (step −1: start positions). */
function callLogProb(fn: LogProbFn, x: Float64Array, step: number, walker: number): number {
  try {
    return fn(x);
  } catch (err) {
    const where = step >= 0 ? { step, walker } : { walker };
    const e = new InferenceError('LOG_PROB_FAILED', `log-probability threw: ${err instanceof Error ? err.message : String(err)}`, where);
    (e as { cause?: unknown }).cause = err;
    throw e;
  }
}

async function initialPositions(
  options: EnsembleOptions,
  rng: Rng,
  ev: Evaluator,
): Promise<{ positions: Float64Array; nDim: number; logProb?: Float64Array }> {
  const { nWalkers, initial } = options;
  if (typeof initial === 'function') {
    // Copy each draw at once: the function may reuse one buffer.
    const first = drawRow(initial, rng, 0, undefined);
    const nDim = first.length;
    checkWalkerCount(nWalkers, nDim);
    const positions = new Float64Array(nWalkers * nDim);
    positions.set(first);
    for (let w = 1; w < nWalkers; w++) positions.set(drawRow(initial, rng, w, nDim), w * nDim);
    // Redraw walkers that start where the probability is zero, in walker order (deterministic).
    const lp = new Float64Array(nWalkers);
    await evaluateAll(ev, positions, nWalkers, nDim, lp);
    for (let w = 0; w < nWalkers; w++) {
      let tries = 1;
      const one = new Float64Array(1);
      while (lp[w] === -Infinity) {
        if (tries++ >= MAX_INITIAL_DRAWS) {
          throw new InferenceError('BAD_INITIAL_STATE', `no start position with non-zero probability in ${MAX_INITIAL_DRAWS} draws`, { walker: w });
        }
        positions.set(drawRow(initial, rng, w, nDim), w * nDim);
        await evaluateAll(ev, positions.subarray(w * nDim, (w + 1) * nDim), 1, nDim, one);
        lp[w] = one[0];
      }
    }
    return { positions, nDim, logProb: lp };
  }
  if (initial instanceof Float64Array) {
    const nDim = options.nDim ?? 0;
    if (!Number.isInteger(nDim) || nDim < 1) throw new InferenceError('BAD_ARGUMENT', 'nDim is needed with a flat initial array', { field: 'nDim' });
    if (initial.length !== nWalkers * nDim) {
      throw new InferenceError('BAD_ARGUMENT', `initial has ${initial.length} values, expected nWalkers × nDim = ${nWalkers * nDim}`, { field: 'initial' });
    }
    checkWalkerCount(nWalkers, nDim);
    checkFinite(initial, nDim);
    return { positions: initial.slice(), nDim };
  }
  if (!Array.isArray(initial) || initial.length !== nWalkers) {
    throw new InferenceError('BAD_ARGUMENT', `initial must have one row per walker (${nWalkers})`, { field: 'initial' });
  }
  const nDim = initial[0]?.length ?? 0;
  if (options.nDim !== undefined && options.nDim !== nDim) {
    throw new InferenceError('BAD_ARGUMENT', `nDim ${options.nDim} does not match the initial rows (${nDim})`, { field: 'nDim' });
  }
  for (let w = 0; w < nWalkers; w++) {
    if (!(initial[w] instanceof Float64Array) || initial[w].length !== nDim || nDim < 1) {
      throw new InferenceError('BAD_ARGUMENT', `initial row must be a Float64Array of length ${nDim}`, { walker: w, field: 'initial' });
    }
  }
  checkWalkerCount(nWalkers, nDim);
  const positions = packRows(initial, nDim);
  checkFinite(positions, nDim);
  return { positions, nDim };
}

function drawRow(draw: (rng: Rng) => Float64Array, rng: Rng, w: number, nDim: number | undefined): Float64Array {
  const row = draw(rng);
  if (!(row instanceof Float64Array) || row.length < 1 || (nDim !== undefined && row.length !== nDim)) {
    throw new InferenceError('BAD_ARGUMENT', `initial(rng) must return a Float64Array of length ${nDim ?? '≥ 1'}`, { walker: w, field: 'initial' });
  }
  for (let d = 0; d < row.length; d++) {
    if (!Number.isFinite(row[d])) throw new InferenceError('BAD_INITIAL_STATE', `start coordinate ${d} is ${row[d]}`, { walker: w });
  }
  return row;
}

function packRows(rows: Float64Array[], nDim: number): Float64Array {
  const out = new Float64Array(rows.length * nDim);
  for (let w = 0; w < rows.length; w++) out.set(rows[w], w * nDim);
  return out;
}

function checkFinite(positions: Float64Array, nDim: number): void {
  for (let i = 0; i < positions.length; i++) {
    if (!Number.isFinite(positions[i])) {
      throw new InferenceError('BAD_INITIAL_STATE', `start coordinate ${i % nDim} is ${positions[i]}`, { walker: Math.floor(i / nDim) });
    }
  }
}

function checkWalkerCount(nWalkers: number, nDim: number): void {
  if (nWalkers < 2 * nDim) {
    throw new InferenceError('BAD_ARGUMENT', `nWalkers (${nWalkers}) must be at least twice the dimension (${nDim}) so each half spans the space`, { field: 'nWalkers' });
  }
}

function checkInitial(lp: number, w: number): void {
  if (Number.isNaN(lp) || lp === Infinity) throw new InferenceError('BAD_LOG_PROB', `log-probability of the start position is ${lp}`, { walker: w });
  if (lp === -Infinity) throw new InferenceError('BAD_INITIAL_STATE', 'start position has zero probability (log-probability −Infinity)', { walker: w });
}

/**
 * The stretch move keeps walkers in the affine hull of the start ensemble, so the start
 * must span all dimensions: its sample correlation matrix must be well conditioned.
 */
function checkSpan(positions: Float64Array, nWalkers: number, nDim: number): void {
  const mean = rowMean(positions, nWalkers, nDim, new Float64Array(nDim));
  const cov = rowCovariance(positions, nWalkers, nDim, mean, new Float64Array(nDim * nDim));
  for (let d = 0; d < nDim; d++) {
    if (!(cov[d * nDim + d] > 0)) {
      throw new InferenceError('BAD_INITIAL_STATE', `all walkers start with the same value in dimension ${d}; spread them (e.g. a small ball around a guess)`);
    }
  }
  const corr = new Float64Array(nDim * nDim);
  for (let a = 0; a < nDim; a++) {
    for (let b = 0; b < nDim; b++) corr[a * nDim + b] = cov[a * nDim + b] / Math.sqrt(cov[a * nDim + a] * cov[b * nDim + b]);
  }
  const l = new Float64Array(nDim * nDim);
  let ok = cholesky(corr, nDim, l);
  for (let d = 0; ok && d < nDim; d++) if (l[d * nDim + d] < 1e-6) ok = false;
  if (!ok) throw new InferenceError('BAD_INITIAL_STATE', 'start walkers lie (nearly) in a lower-dimensional subspace; spread them in every dimension independently');
}

function validateState(s: EnsembleState): void {
  const bad = (field: string, msg: string): never => {
    throw new InferenceError('BAD_STATE', msg, { field });
  };
  if (!s || s.kind !== 'ensemble' || s.version !== 1) bad('kind', 'not an ensemble state (version 1)');
  const { nWalkers, nDim, step, nSteps } = s;
  if (!Number.isInteger(nWalkers) || nWalkers < 4 || nWalkers % 2 !== 0) bad('nWalkers', `bad walker count ${nWalkers}`);
  if (!Number.isInteger(nDim) || nDim < 1 || nWalkers < 2 * nDim) bad('nDim', `bad dimension ${nDim}`);
  if (!Number.isInteger(step) || step < 0) bad('step', `bad step ${step}`);
  if (!Number.isInteger(nSteps) || nSteps < 0) bad('nSteps', `bad nSteps ${nSteps}`);
  if (!(s.positions instanceof Float64Array) || s.positions.length !== nWalkers * nDim) bad('positions', 'positions do not match nWalkers × nDim');
  if (!(s.logProb instanceof Float64Array) || s.logProb.length !== nWalkers) bad('logProb', 'logProb does not match nWalkers');
  if (!(s.accepted instanceof Float64Array) || s.accepted.length !== nWalkers) bad('accepted', 'accepted does not match nWalkers');
  if ((s.chain === undefined) !== (s.chainLogProb === undefined)) bad('chain', 'chain and chainLogProb must be saved together');
  if (s.chain !== undefined) {
    if (!(s.chain instanceof Float64Array) || s.chain.length !== step * nWalkers * nDim) bad('chain', 'chain length does not match step × nWalkers × nDim');
    if (!(s.chainLogProb instanceof Float64Array) || s.chainLogProb.length !== step * nWalkers) bad('chainLogProb', 'chainLogProb length does not match step × nWalkers');
  }
  if (!Array.isArray(s.moves) || s.moves.length === 0) bad('moves', 'no moves');
  try {
    const again = resolveMoves(s.moves, nDim);
    if (JSON.stringify(again) !== JSON.stringify(s.moves)) bad('moves', 'moves are not fully resolved');
  } catch (err) {
    if (err instanceof InferenceError && err.code === 'BAD_ARGUMENT') bad('moves', err.message);
    throw err;
  }
  Rng.fromState(s.rng);
}

async function advance(
  state: EnsembleState,
  rng: Rng,
  ev: Evaluator,
  nSteps: number,
  checkpoint: CheckpointOptions | undefined,
  onProgress: ((step: number, nSteps: number) => void) | undefined,
): Promise<EnsembleResult> {
  const { nWalkers, nDim, moves } = state;
  const startStep = state.chain ? 0 : state.step;
  const nStored = nSteps - startStep;
  const rowValues = nWalkers * nDim;
  if (nStored * rowValues > MAX_CHAIN_VALUES) {
    throw new InferenceError('TOO_LARGE', `chain of ${nStored} steps × ${nWalkers} walkers × ${nDim} dimensions exceeds ${MAX_CHAIN_VALUES} values; run in segments with resumeEnsemble`);
  }
  if (checkpoint && (!Number.isInteger(checkpoint.every) || checkpoint.every < 1 || typeof checkpoint.save !== 'function')) {
    throw new InferenceError('BAD_ARGUMENT', 'checkpoint needs every (integer ≥ 1) and save(state)', { field: 'checkpoint' });
  }
  const chain = new Float64Array(nStored * rowValues);
  const chainLp = new Float64Array(nStored * nWalkers);
  if (state.chain && state.chainLogProb) {
    chain.set(state.chain);
    chainLp.set(state.chainLogProb);
  }
  const pos = state.positions;
  const lp = state.logProb;
  const accepted = state.accepted;
  const half = nWalkers / 2;
  const prop = new Float64Array(half * nDim);
  const propLp = new Float64Array(half);
  const logQ = new Float64Array(half);
  const views: Float64Array[] = [];
  for (let i = 0; i < half; i++) views.push(prop.subarray(i * nDim, (i + 1) * nDim));
  let totalWeight = 0;
  for (const m of moves) totalWeight += m.weight;
  const includeChain = checkpoint?.includeChain ?? true;

  for (let step = state.step; step < nSteps; step++) {
    const move = moves[pickMove(moves, totalWeight, rng)];
    for (let h = 0; h < 2; h++) {
      const s0 = h * half;
      const c0 = half - s0;
      propose(move, rng, pos, nDim, s0, s0 + half, c0, c0 + half, prop, logQ);
      if (ev.kind === 'fn') {
        const fn = ev.fn;
        for (let i = 0; i < half; i++) propLp[i] = callLogProb(fn, views[i], step, s0 + i);
      } else {
        try {
          await ev.batch.evaluate(prop, half, nDim, propLp);
        } catch (err) {
          throw locateBatchError(err, step, s0);
        }
      }
      for (let i = 0; i < half; i++) {
        const k = s0 + i;
        const lpNew = propLp[i];
        if (lpNew !== lpNew || lpNew === Infinity) {
          throw new InferenceError('BAD_LOG_PROB', `log-probability returned ${lpNew}; return -Infinity outside the support`, { step, walker: k });
        }
        const logU = Math.log(rng.uniformPositive());
        if (logU < logQ[i] + lpNew - lp[k]) {
          const ok = k * nDim;
          const oi = i * nDim;
          for (let d = 0; d < nDim; d++) pos[ok + d] = prop[oi + d];
          lp[k] = lpNew;
          accepted[k]++;
        }
      }
    }
    const row = step - startStep;
    chain.set(pos, row * rowValues);
    chainLp.set(lp, row * nWalkers);
    state.step = step + 1;
    if (onProgress) onProgress(step + 1, nSteps);
    if (checkpoint && state.step % checkpoint.every === 0 && state.step < nSteps) {
      state.rng = rng.getState();
      await checkpoint.save(snapshot(state, includeChain && startStep === 0 ? chain : undefined, chainLp));
    }
  }
  state.rng = rng.getState();
  const acceptance = new Float64Array(nWalkers);
  if (state.step > 0) for (let w = 0; w < nWalkers; w++) acceptance[w] = accepted[w] / state.step;
  const final = snapshot(state, undefined, chainLp);
  return { chain, logProb: chainLp, acceptance, state: final, startStep, nSteps: nStored, nWalkers, nDim };
}

/** A batch evaluator's error with the step added and its row turned into a walker index. */
function locateBatchError(err: unknown, step: number, firstWalker: number): unknown {
  if (!(err instanceof InferenceError) || err.code !== 'LOG_PROB_FAILED') return err;
  const row = err.location.walker;
  const where = { step, worker: err.location.worker, walker: row === undefined ? undefined : firstWalker + row };
  const message = err.message.replace(/^.*?: (?=log-probability)/, '');
  const located = new InferenceError('LOG_PROB_FAILED', message, where);
  (located as { cause?: unknown }).cause = err;
  return located;
}

/** A self-contained copy of the state (chain views added when given). */
function snapshot(state: EnsembleState, chain: Float64Array | undefined, chainLp: Float64Array): EnsembleState {
  const s: EnsembleState = {
    kind: 'ensemble',
    version: 1,
    nWalkers: state.nWalkers,
    nDim: state.nDim,
    step: state.step,
    nSteps: state.nSteps,
    seed: state.seed,
    moves: state.moves.map((m) => ({ ...m })),
    rng: { s: [...state.rng.s], spare: state.rng.spare },
    positions: state.positions.slice(),
    logProb: state.logProb.slice(),
    accepted: state.accepted.slice(),
  };
  if (chain) {
    s.chain = chain.subarray(0, state.step * state.nWalkers * state.nDim);
    s.chainLogProb = chainLp.subarray(0, state.step * state.nWalkers);
  }
  return s;
}
