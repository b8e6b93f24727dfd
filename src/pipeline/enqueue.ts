/**
 * Enqueuing a stage job: a ledger row in pipeline_jobs (unique by the stage's natural key)
 * and the pg-boss job, both inside the caller's transaction — the state change that causes
 * the job, the job and its ledger row commit or roll back together. Enqueuing a key that
 * is already in the ledger does nothing (returns null): a mission that reaches COMPLETE
 * twice, or an ingest re-run after a crash, queues its successor once.
 */
import type { Transaction } from 'kysely';
import type { Schema } from '../platform/db/schema.js';
import type { Jobs, SendOptions } from '../platform/jobs/index.js';
import { PipelineError } from './errors.js';
import { STAGES, isStageName, type EnqueueOptions, type StageInputs, type StageJobData, type StageName } from './stages.js';

/** pg-boss options beyond the wrapper's SendOptions type (passed through to pg-boss as-is). */
type BossSendOptions = SendOptions;

/**
 * Enqueue `stage` with `input` inside `trx`. Resolves to the ledger id, or null when a job
 * with the same natural key was enqueued before.
 */
export async function enqueueStage<S extends StageName>(
  jobs: Jobs,
  trx: Transaction<Schema>,
  stage: S,
  input: StageInputs[S],
  now: Date,
  opts: EnqueueOptions = {},
): Promise<string | null> {
  if (!isStageName(stage)) throw new PipelineError('BAD_REQUEST', `unknown pipeline stage '${String(stage)}'`);
  const spec = STAGES[stage];
  const policy = { ...spec.policy, ...opts.policy };
  const dedupeKey = opts.dedupeKey ?? spec.dedupeKey(input);
  const row = await trx
    .insertInto('pipeline_jobs')
    .values({
      dedupe_key: dedupeKey,
      queue: spec.queue,
      stage,
      input: JSON.stringify(input),
      max_attempts: policy.retryLimit + 1,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!row) return null;
  const data: StageJobData<S> = { stage, input, ledgerId: row.id };
  const options: BossSendOptions = {
    db: trx,
    retryLimit: policy.retryLimit,
    retryDelaySeconds: policy.retryDelayS,
    retryBackoff: true,
    expireInSeconds: policy.expireInS,
    ...(opts.startAfterS !== undefined ? { startAfter: opts.startAfterS } : {}),
  };
  const jobId = await jobs.send(spec.queue, data, options);
  if (jobId === null) throw new PipelineError('STAGE_FAILED', `pg-boss refused the ${stage} job ${dedupeKey}`);
  await trx.updateTable('pipeline_jobs').set({ job_id: jobId }).where('id', '=', row.id).execute();
  return row.id;
}
