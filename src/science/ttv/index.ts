/**
 * openastro/science/ttv: inference of planetary masses and orbits from transit-timing
 * variations — a model with priors over the n-body forward model (science/dynamics), a
 * Gaussian likelihood with optional jitter, ensemble MCMC or nested sampling
 * (science/inference), posterior summaries, model comparison by evidence and predicted
 * transit times with credible bands.
 *
 *   const data = parseTransitTimesCsv(csvText);
 *   const model = buildTtvModel(config, data);
 *   const fit = await fitTtv(model, { sampler: 'ensemble', seed: 1, threads: 2 });
 *   fit.summary → medians and 68/95 % intervals; predictTransitTimes(model, fit.samples, { toDays })
 */
export { TtvError, type TtvErrorCode, type TtvLocation } from './errors.js';
export { parseTransitTimesCsv, validateTransitTimes, formatTransitTimesCsv, MAX_TRANSIT_ROWS, type TransitTimeData } from './data.js';
export {
  buildTtvModel,
  parameterNames,
  initialParameters,
  logPrior,
  priorTransform,
  planetValues,
  jitterAt,
  EARTH_MASS_MSUN,
  type TtvModel,
  type TtvModelConfig,
  type PlanetConfig,
  type ParameterSpec,
  type PriorSpec,
  type EccentricitySpec,
  type FreeParameter,
  type ResolvedPlanet,
} from './model.js';
export { TtvLikelihood } from './likelihood.js';
export { levenbergMarquardt, invertSpd, type LeastSquaresProblem, type LeastSquaresOptions, type LeastSquaresResult } from './least-squares.js';
export { fitTtv, optimizeTtv, type TtvFitOptions, type TtvFitResult, type TtvOptimum, type TtvSampler } from './fit.js';
export { summarizeSamples, summarizeColumn, derivedSamples, quantileSorted, column, type ParameterSummary } from './summary.js';
export { predictTransitTimes, MAX_PREDICTION_SPAN_DAYS, type PredictedTransit, type PredictOptions } from './predict.js';
export { compareModels, chooseModel, DEFAULT_LN_B_THRESHOLD, EVIDENCE_SIGMAS, type ComparedModel, type ModelComparison, type CompareOptions, type EvidenceEntry, type ModelChoice } from './compare.js';
export { formatSamplesCsv, parseSamplesCsv, selectColumns, MAX_SAMPLE_VALUES, type SamplesTable } from './samples.js';
export { parseTtvConfig, type TtvFileConfig, type SamplerConfig } from './config.js';
