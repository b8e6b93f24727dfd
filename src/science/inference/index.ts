/**
 * Samplers: affine-invariant ensemble MCMC (stretch and differential-evolution moves,
 * parallel red–black updates, worker-thread pool, exact checkpoints), its diagnostics
 * (integrated autocorrelation time, acceptance, split-R̂), and nested sampling with
 * multi-ellipsoid bounds for the evidence.
 */
export { InferenceError, type InferenceErrorCode, type InferenceLocation } from './errors.js';
export { Rng, deriveSeed, type RngState } from './random.js';
export {
  resolveMoves,
  type Move,
  type StretchMove,
  type DifferentialEvolutionMove,
  type ResolvedMove,
} from './moves.js';
export {
  runEnsemble,
  resumeEnsemble,
  MAX_CHAIN_VALUES,
  type LogProbFn,
  type BatchEvaluator,
  type CheckpointOptions,
  type EnsembleOptions,
  type ResumeOptions,
  type EnsembleState,
  type EnsembleResult,
} from './ensemble.js';
export {
  autocorrFunction,
  tauFromAutocorr,
  integratedAutocorrTime,
  ensembleAutocorrTime,
  autocorrReliable,
  acceptanceFraction,
  type ChainShape,
  type AutocorrOptions,
} from './autocorr.js';
export { splitRhat, rankNormalizedSplitRhat, ensembleRhat, normalQuantile } from './diagnostics.js';
export {
  encodeStateJson,
  decodeStateJson,
  encodeStateBinary,
  decodeStateBinary,
  saveStateFile,
  loadStateFile,
} from './checkpoint.js';
export { LogProbPool, startPool, MAX_WORKERS, type PoolOptions } from './pool.js';
export { nestedSample, resampleEqual, type NestedOptions, type NestedResult, type NestedProgress } from './nested.js';
