/** The pipeline: stage graph, runner, job ledger, and the stages (ingest, stack). */
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
