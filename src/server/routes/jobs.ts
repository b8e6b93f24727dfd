/**
 * Pipeline job status (reads; open unless the service closes reads):
 *
 *   GET /api/v1/jobs                 queue depths per state, the running jobs with progress
 *   GET /api/v1/jobs?state=failed    the dead letters with their errors (any state, queue, stage)
 *   GET /api/v1/jobs/:id             one job (ledger id or pg-boss job id)
 *
 * Before answering, jobs left 'active' by a worker that died are brought in line with
 * pg-boss (retried or dead-lettered by timeout) — see pipeline/ledger.ts.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { PipelineError } from '../../pipeline/errors.js';
import { JOB_STATES, getJob, isJobState, listJobs, queueDepths, reconcileJobs, type JobView } from '../../pipeline/ledger.js';

export interface JobsRoutesOptions {
  /** An 'active' job untouched this long is checked against pg-boss, seconds (default 30). */
  staleAfterS?: number;
}

const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', format: 'uuid' },
    jobId: { type: ['string', 'null'], description: 'pg-boss job id' },
    queue: { type: 'string' },
    stage: { type: 'string' },
    input: { type: 'object', additionalProperties: true },
    state: { type: 'string', enum: [...JOB_STATES] },
    attempts: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    progress: { type: 'number', description: 'Fraction done, 0–1.' },
    message: { type: ['string', 'null'] },
    error: { type: ['string', 'null'], description: 'Error of the last failed attempt.' },
    worker: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
    startedAt: { type: ['string', 'null'], format: 'date-time' },
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const errorSchema = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } as const;

export async function jobsRoutes(app: FastifyInstance, ctx: ServerContext, opts: JobsRoutesOptions = {}): Promise<void> {
  const reconcile = async (): Promise<void> => {
    if (ctx.jobs) await reconcileJobs(ctx.database, ctx.jobs, ctx.clock.now(), opts.staleAfterS ?? 30);
  };

  await app.register(async (scope) => {
    scope.setErrorHandler((err: Error, _request, reply) => {
      if (!(err instanceof PipelineError)) throw err;
      return reply.code(err.status).send({ code: err.code, message: err.message });
    });

    scope.get(
      '/api/v1/jobs',
      {
        schema: {
          summary: 'Pipeline queues: depths, running jobs with progress; or jobs in one state (?state=failed: dead letters)',
          tags: ['jobs'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              state: { type: 'string', enum: [...JOB_STATES] },
              queue: { type: 'string', maxLength: 32 },
              stage: { type: 'string', maxLength: 32 },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            },
          },
          response: {
            200: {
              type: 'object',
              properties: {
                queues: { type: 'object', additionalProperties: { type: 'object', additionalProperties: { type: 'integer' } } },
                running: { type: 'array', items: jobSchema },
                jobs: { type: 'array', items: jobSchema },
              },
            },
            400: errorSchema,
          },
        },
      },
      async (request) => {
        const q = request.query as { state?: string; queue?: string; stage?: string; limit?: number };
        await reconcile();
        if (q.state !== undefined || q.queue !== undefined || q.stage !== undefined) {
          if (q.state !== undefined && !isJobState(q.state)) throw new PipelineError('BAD_REQUEST', `state must be one of ${JOB_STATES.join(', ')}`);
          const jobs: JobView[] = await listJobs(ctx.database.db, { state: q.state as JobView['state'] | undefined, queue: q.queue, stage: q.stage, limit: q.limit });
          return { jobs };
        }
        const [queues, running] = await Promise.all([queueDepths(ctx.database.db), listJobs(ctx.database.db, { state: 'active', limit: q.limit })]);
        return { queues, running };
      },
    );

    scope.get(
      '/api/v1/jobs/:id',
      {
        schema: {
          summary: 'One pipeline job (ledger id or pg-boss job id)',
          tags: ['jobs'],
          params: { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 64 } } },
          response: { 200: jobSchema, 404: errorSchema },
        },
      },
      async (request) => {
        const id = (request.params as { id: string }).id;
        await reconcile();
        const job = await getJob(ctx.database.db, id);
        if (!job) throw new PipelineError('NOT_FOUND', `no pipeline job '${id}'`);
        return job;
      },
    );
  });
}
