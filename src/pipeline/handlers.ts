/**
 * The stage handlers this build has: ingest and stack. Solve/calibrate ('image'), light
 * curves, periods, transit times and TTV inference plug in here as their owners land them;
 * until then a worker asked to serve their queues refuses with NO_HANDLER.
 */
import type { QueueName } from '../platform/jobs/index.js';
import { QUEUES } from '../platform/jobs/index.js';
import { ingestStage, type IngestOptions } from './ingest/stage.js';
import { stackStage, type StackOptions } from './stack/stage.js';
import { stagesOnQueue, type StageHandlers } from './stages.js';

export interface DefaultHandlerOptions {
  ingest?: IngestOptions;
  stack?: StackOptions;
}

export function defaultStageHandlers(opts: DefaultHandlerOptions = {}): StageHandlers {
  return {
    ingest: ingestStage(opts.ingest),
    stack: stackStage(opts.stack),
  };
}

/** Queues every stage of which has a handler in `handlers` (what a process can serve). */
export function servableQueues(handlers: StageHandlers, among: readonly QueueName[] = QUEUES): QueueName[] {
  return among.filter((q) => stagesOnQueue(q).every((s) => handlers[s] !== undefined));
}
