/**
 * The pipeline's job ledger (pipeline_jobs): one row per logical stage job, written by the
 * runner as attempts start, report progress, succeed or fail. Failed after the last retry
 * = dead letter (state 'failed', with the error). We keep our own table rather than read
 * pg-boss's: it holds what pg-boss does not (stage, progress, message), survives pg-boss's
 * archiving and deletion of old jobs, and reads the same on both engines. pg-boss stays
 * authoritative for delivery: a worker killed mid-job leaves its row 'active', and
 * `reconcileJobs` asks pg-boss what became of such jobs (retried or failed by timeout).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../platform/db/database.js';
import type { PipelineJob, PipelineJobState, Schema } from '../platform/db/schema.js';
import type { Jobs } from '../platform/jobs/index.js';
import { QUEUES, isQueueName } from '../platform/jobs/index.js';

export const JOB_STATES: readonly PipelineJobState[] = ['queued', 'active', 'retry', 'completed', 'failed'];

export function isJobState(s: unknown): s is PipelineJobState {
  return typeof s === 'string' && (JOB_STATES as readonly string[]).includes(s);
}

/** A job as the API shows it. */
export interface JobView {
  id: string;
  jobId: string | null;
  queue: string;
  stage: string;
  input: Record<string, unknown>;
  state: PipelineJobState;
  attempts: number;
  maxAttempts: number;
  progress: number;
  message: string | null;
  error: string | null;
  worker: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

export function jobView(row: PipelineJob): JobView {
  const iso = (d: Date | null) => (d === null ? null : new Date(d).toISOString());
  return {
    id: row.id,
    jobId: row.job_id,
    queue: row.queue,
    stage: row.stage,
    input: row.input,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    progress: row.progress,
    message: row.message,
    error: row.error,
    worker: row.worker,
    createdAt: new Date(row.created_at).toISOString(),
    startedAt: iso(row.started_at),
    finishedAt: iso(row.finished_at),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}

export async function markStarted(db: Kysely<Schema>, ledgerId: string, attempt: number, worker: string, now: Date): Promise<void> {
  await db
    .updateTable('pipeline_jobs')
    .set({ state: 'active', attempts: attempt, worker, started_at: now, finished_at: null, progress: 0, message: null, updated_at: now })
    .where('id', '=', ledgerId)
    .execute();
}

export async function markProgress(db: Kysely<Schema>, ledgerId: string, fraction: number, message: string | undefined, now: Date): Promise<void> {
  const p = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  await db
    .updateTable('pipeline_jobs')
    .set({ progress: p, ...(message !== undefined ? { message } : {}), updated_at: now })
    .where('id', '=', ledgerId)
    .where('state', '=', 'active')
    .execute();
}

export async function markCompleted(db: Kysely<Schema>, ledgerId: string, now: Date): Promise<void> {
  await db
    .updateTable('pipeline_jobs')
    .set({ state: 'completed', progress: 1, error: null, finished_at: now, updated_at: now })
    .where('id', '=', ledgerId)
    .execute();
}

/** An attempt failed: 'retry' while retries remain, 'failed' (dead letter) after the last. */
export async function markFailed(db: Kysely<Schema>, ledgerId: string, error: string, final: boolean, now: Date): Promise<void> {
  await db
    .updateTable('pipeline_jobs')
    .set({ state: final ? 'failed' : 'retry', error, updated_at: now, ...(final ? { finished_at: now } : {}) })
    .where('id', '=', ledgerId)
    .execute();
}

export interface JobFilter {
  state?: PipelineJobState;
  queue?: string;
  stage?: string;
  limit?: number;
}

export async function listJobs(db: Kysely<Schema>, filter: JobFilter = {}): Promise<JobView[]> {
  let q = db.selectFrom('pipeline_jobs').selectAll();
  if (filter.state) q = q.where('state', '=', filter.state);
  if (filter.queue) q = q.where('queue', '=', filter.queue);
  if (filter.stage) q = q.where('stage', '=', filter.stage);
  const rows = await q
    .orderBy('updated_at', 'desc')
    .orderBy('id')
    .limit(Math.min(Math.max(1, filter.limit ?? 100), 1000))
    .execute();
  return rows.map(jobView);
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A job by ledger id or by pg-boss job id; undefined when neither matches. */
export async function getJob(db: Kysely<Schema>, id: string): Promise<JobView | undefined> {
  if (!UUID_RE.test(id)) return undefined;
  const row = await db
    .selectFrom('pipeline_jobs')
    .selectAll()
    .where((eb) => eb.or([eb('id', '=', id), eb('job_id', '=', id)]))
    .executeTakeFirst();
  return row ? jobView(row) : undefined;
}

export type QueueDepths = Record<string, Record<PipelineJobState, number>>;

/** Jobs per queue and state (every queue listed, zeros included). */
export async function queueDepths(db: Kysely<Schema>): Promise<QueueDepths> {
  const rows = await db
    .selectFrom('pipeline_jobs')
    .select(['queue', 'state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy(['queue', 'state'])
    .execute();
  const out: QueueDepths = {};
  const empty = () => Object.fromEntries(JOB_STATES.map((s) => [s, 0])) as Record<PipelineJobState, number>;
  for (const q of QUEUES) out[q] = empty();
  for (const r of rows) {
    out[r.queue] ??= empty();
    if (isJobState(r.state)) out[r.queue][r.state] = Number(r.n);
  }
  return out;
}

/** The message pg-boss stored with a failed attempt (handler error or expiry). */
function bossErrorMessage(output: unknown): string | undefined {
  if (output === null || typeof output !== 'object') return undefined;
  const o = output as { message?: unknown; value?: { message?: unknown } };
  if (typeof o.message === 'string') return o.message;
  if (o.value && typeof o.value.message === 'string') return o.value.message;
  return undefined;
}

/**
 * Bring 'active' ledger rows in line with pg-boss for jobs whose worker died: pg-boss
 * fails such a job by timeout (expireIn) and retries it, or dead-letters it after the
 * last retry. Rows untouched for less than `staleAfterS` (default 30 s) are left alone.
 * Returns the number of rows changed.
 */
export async function reconcileJobs(database: Database, jobs: Jobs, now: Date, staleAfterS = 30): Promise<number> {
  const cutoff = new Date(now.getTime() - staleAfterS * 1000);
  const stale = await database.db
    .selectFrom('pipeline_jobs')
    .select(['id', 'job_id', 'queue'])
    .where('state', '=', 'active')
    .where('updated_at', '<', cutoff)
    .where('job_id', 'is not', null)
    .limit(200)
    .execute();
  let changed = 0;
  for (const row of stale) {
    if (!isQueueName(row.queue) || row.job_id === null) continue;
    const job = await jobs.boss.getJobById(row.queue, row.job_id, { includeArchive: true });
    if (!job || job.state === 'active') continue;
    const error = bossErrorMessage(job.output);
    const state: PipelineJobState =
      job.state === 'completed' ? 'completed' : job.state === 'failed' || job.state === 'cancelled' ? 'failed' : 'retry';
    const r = await database.db
      .updateTable('pipeline_jobs')
      .set({
        state,
        updated_at: now,
        ...(error !== undefined && state !== 'completed' ? { error } : {}),
        ...(state === 'completed' || state === 'failed' ? { finished_at: now } : {}),
      })
      .where('id', '=', row.id)
      .where('state', '=', 'active')
      .executeTakeFirst();
    changed += Number(r.numUpdatedRows ?? 0);
  }
  return changed;
}
