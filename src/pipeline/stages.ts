/**
 * The stage graph: every pipeline stage, the queue (compute class) it runs on, what it
 * takes, what it may enqueue next, and its retry policy. A stage is
 * `async (input, ctx) => void`; it reads and writes through ctx (database, storage), is
 * idempotent (a re-run after a crash writes the same result: upserts by natural key), and
 * enqueues its successors with `ctx.enqueue(trx, …)` inside the transaction that records
 * its result.
 *
 *   upload ─▶ ingest ─▶ image (solve + calibrate) ─▶ lightcurve ─▶ period | transit-times ─▶ ttv
 *               └─ credit → mission COMPLETE ─▶ stack
 *
 * Handlers are supplied by whoever owns the stage (`StageHandlers`); this module holds no
 * implementation. The runner refuses to serve a queue whose stages lack a handler, so a
 * job never lands on a worker that cannot run it.
 */
import type { Transaction } from 'kysely';
import type { Database } from '../platform/db/database.js';
import type { Schema } from '../platform/db/schema.js';
import type { Jobs, QueueName } from '../platform/jobs/index.js';
import type { Clock } from '../network/clock.js';
import type { ObjectStoreLike } from '../server/context.js';

export interface StageInputs {
  /** Register an uploaded frame: metadata, checks, credit. */
  ingest: { exposureId: string };
  /** Plate-solve (when there is no or a poor WCS) and calibrate one frame. */
  image: { exposureId: string };
  /** Reproject + co-add a mission's accepted frames. */
  stack: { missionId: string };
  /** Update a mission's light curve with newly calibrated frames. */
  lightcurve: { missionId: string };
  /** Period search on a mission's light curve. */
  period: { missionId: string };
  /** Mid-transit times from a mission's light curve. */
  'transit-times': { missionId: string };
  /** TTV inference (checkpointed, resumable). */
  ttv: { missionId: string };
}

export type StageName = keyof StageInputs;

export interface StagePolicy {
  /** Retries after the first attempt (pg-boss retryLimit). */
  retryLimit: number;
  /** Base delay before a retry, seconds; doubled each retry with jitter (pg-boss retryBackoff). */
  retryDelayS: number;
  /** Seconds a worker may hold the job; past it the job is failed by timeout and retried (a dead worker). */
  expireInS: number;
}

export interface StageSpec<S extends StageName = StageName> {
  name: S;
  queue: QueueName;
  description: string;
  /** Stages this one may enqueue. */
  next: readonly StageName[];
  policy: StagePolicy;
  /** Natural key of one job of this stage: enqueuing the same key twice queues it once. */
  dedupeKey(input: StageInputs[S]): string;
}

const byExposure = (stage: string) => (input: { exposureId: string }) => `${stage}:${input.exposureId}`;
const byMission = (stage: string) => (input: { missionId: string }) => `${stage}:${input.missionId}`;

export const STAGES: { readonly [S in StageName]: StageSpec<S> } = {
  ingest: {
    name: 'ingest',
    queue: 'ingest',
    description: 'header metadata, validation, credit to the mission',
    next: ['image', 'stack'],
    policy: { retryLimit: 4, retryDelayS: 5, expireInS: 300 },
    dedupeKey: byExposure('ingest'),
  },
  image: {
    name: 'image',
    queue: 'image',
    description: 'plate solve (if no or poor WCS), then photometric calibration',
    next: ['lightcurve'],
    policy: { retryLimit: 3, retryDelayS: 30, expireInS: 1800 },
    dedupeKey: byExposure('image'),
  },
  stack: {
    name: 'stack',
    queue: 'stack',
    description: 'reproject + normalise + co-add the accepted frames of a completed mission',
    next: [],
    policy: { retryLimit: 3, retryDelayS: 60, expireInS: 3600 },
    dedupeKey: byMission('stack'),
  },
  lightcurve: {
    name: 'lightcurve',
    queue: 'science',
    description: 'append calibrated photometry to the mission light curve',
    next: ['period', 'transit-times'],
    policy: { retryLimit: 3, retryDelayS: 30, expireInS: 900 },
    dedupeKey: byMission('lightcurve'),
  },
  period: {
    name: 'period',
    queue: 'science',
    description: 'Lomb–Scargle period search when enough data',
    next: [],
    policy: { retryLimit: 3, retryDelayS: 30, expireInS: 1800 },
    dedupeKey: byMission('period'),
  },
  'transit-times': {
    name: 'transit-times',
    queue: 'science',
    description: 'mid-transit times and O−C',
    next: ['ttv'],
    policy: { retryLimit: 3, retryDelayS: 30, expireInS: 1800 },
    dedupeKey: byMission('transit-times'),
  },
  ttv: {
    name: 'ttv',
    queue: 'inference',
    description: 'TTV inference (checkpointed; resumes after a worker dies)',
    next: [],
    policy: { retryLimit: 10, retryDelayS: 60, expireInS: 4 * 3600 },
    dedupeKey: byMission('ttv'),
  },
};

export const STAGE_NAMES = Object.keys(STAGES) as StageName[];

export function isStageName(name: unknown): name is StageName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(STAGES, name);
}

/** Stages that run on `queue`. */
export function stagesOnQueue(queue: QueueName): StageName[] {
  return STAGE_NAMES.filter((s) => STAGES[s].queue === queue);
}

/** What pg-boss carries for a pipeline job. */
export interface StageJobData<S extends StageName = StageName> {
  stage: S;
  input: StageInputs[S];
  /** pipeline_jobs.id of the ledger row. */
  ledgerId: string;
}

export interface EnqueueOptions {
  /** Override the natural key (e.g. an operator's forced re-run: 'stack:{missionId}:2'). */
  dedupeKey?: string;
  /** Override parts of the stage's retry policy (tests use a short expiry). */
  policy?: Partial<StagePolicy>;
  /** Delay the job: seconds from now. */
  startAfterS?: number;
}

/** Everything a stage handler may use. */
export interface StageContext {
  database: Database;
  storage: ObjectStoreLike;
  clock: Clock;
  jobs: Jobs;
  /** pg-boss job id and ledger id of the running job. */
  jobId: string;
  ledgerId: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  /** Record progress (fraction in [0, 1]) visible at GET /api/v1/jobs; throttled. */
  progress(fraction: number, message?: string): Promise<void>;
  /** A line for the worker's log. */
  log(message: string): void;
  /** Enqueue a successor inside the transaction that records this stage's result. */
  enqueue<S extends StageName>(trx: Transaction<Schema>, stage: S, input: StageInputs[S], opts?: EnqueueOptions): Promise<string | null>;
}

export type StageHandler<S extends StageName> = (input: StageInputs[S], ctx: StageContext) => Promise<void>;

/** The handlers a runner serves; absent stages are someone else's (or later) work. */
export type StageHandlers = { [S in StageName]?: StageHandler<S> };
