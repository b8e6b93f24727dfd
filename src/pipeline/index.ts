/**
 * The pipeline: stage graph, runner, job ledger, reference catalogs, and one namespace per
 * stage (ingest → image → lightcurve → period, transit-times → ttv; stack).
 */
export { PipelineError, PIPELINE_ERROR_STATUS, type PipelineErrorCode } from './errors.js';
export {
  STAGES,
  STAGE_NAMES,
  isStageName,
  stagesOnQueue,
  type StageName,
  type StageInputs,
  type StageSpec,
  type StagePolicy,
  type StageContext,
  type StageHandler,
  type StageHandlers,
  type StageJobData,
  type EnqueueOptions,
} from './stages.js';
export { enqueueStage } from './enqueue.js';
export { startPipeline, describeQueues, type Pipeline, type PipelineOptions } from './runner.js';
export { defaultStageHandlers, servableQueues, type DefaultHandlerOptions } from './handlers.js';
export { listJobs, getJob, queueDepths, reconcileJobs, jobView, JOB_STATES, type JobView, type JobFilter, type QueueDepths } from './ledger.js';
export { readObject, downloadObject } from './objects.js';
export { catalogFile, memoryCatalog, resolveCatalog, CATALOG_ENV, type ReferenceCatalog, type ReferenceStars, type MemoryStar } from './catalog.js';
export * as ingest from './ingest/index.js';
export * as image from './image/index.js';
export * as lightcurve from './lightcurve/index.js';
export * as period from './period/index.js';
export * as transit from './transit/index.js';
export * as ttv from './ttv/index.js';
export * as stack from './stack/index.js';
