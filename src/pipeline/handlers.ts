/**
 * The stage handlers this build has: ingest, image (solve + calibrate), stack, lightcurve,
 * period, transit-times and ttv. `defaultStageHandlers(opts)` is the composition root the
 * worker and the embedded service use; each stage's options pass through. The image stage
 * takes its reference catalog from `opts.image.catalog`, else from OPENASTRO_CATALOG
 * (src/pipeline/catalog.ts).
 */
import type { QueueName } from '../platform/jobs/index.js';
import { QUEUES } from '../platform/jobs/index.js';
import { imageStage, type ImageOptions } from './image/stage.js';
import { ingestStage, type IngestOptions } from './ingest/stage.js';
import { lightcurveStage, type LightcurveOptions } from './lightcurve/stage.js';
import { periodStage, type PeriodOptions } from './period/stage.js';
import { stackStage, type StackOptions } from './stack/stage.js';
import { stagesOnQueue, type StageHandlers } from './stages.js';
import { transitTimesStage, type TransitTimesOptions } from './transit/stage.js';
import { ttvStage, type TtvStageOptions } from './ttv/stage.js';

export interface DefaultHandlerOptions {
  ingest?: IngestOptions;
  stack?: StackOptions;
  image?: ImageOptions;
  lightcurve?: LightcurveOptions;
  period?: PeriodOptions;
  transitTimes?: TransitTimesOptions;
  ttv?: TtvStageOptions;
}

export function defaultStageHandlers(opts: DefaultHandlerOptions = {}): StageHandlers {
  return {
    ingest: ingestStage(opts.ingest),
    stack: stackStage(opts.stack),
    image: imageStage(opts.image),
    lightcurve: lightcurveStage(opts.lightcurve),
    period: periodStage(opts.period),
    'transit-times': transitTimesStage(opts.transitTimes),
    ttv: ttvStage(opts.ttv),
  };
}

/** Queues every stage of which has a handler in `handlers` (what a process can serve). */
export function servableQueues(handlers: StageHandlers, among: readonly QueueName[] = QUEUES): QueueName[] {
  return among.filter((q) => stagesOnQueue(q).every((s) => handlers[s] !== undefined));
}
