/**
 * The scheduler over HTTP:
 * - GET  /api/v1/nodes/:id/plan — tonight's plan for a node (a forecast; reserves nothing).
 *   A read: open to every caller the auth layer lets read.
 * - POST /api/v1/nodes/:id/work — the node asks for work: it gets a leased task and its
 *   'observe' command (or none, with the reasons), the same one again if it already holds
 *   one. That node only.
 * - POST /api/v1/nodes/:id/tasks/:taskId/end — the node stops a task (done or cut short):
 *   credit stays, the remainder becomes a new task. That node only.
 */
import type { FastifyInstance } from 'fastify';
import type { Caller, ServerContext } from '../context.js';
import { NetworkError } from '../../network/errors.js';
import { assignWorkExplained, planNight, type NightPlan } from '../../network/scheduler/index.js';
import { endTask } from '../../network/missions/index.js';
import { commandJson } from './nodes.js';
import { missionJson, taskJson } from './missions.js';

function requireNodeSelf(caller: Caller | undefined, nodeId: string): void {
  const c = caller ?? { kind: 'anonymous' };
  if (c.kind === 'anonymous') throw new NetworkError('UNAUTHORIZED', `node ${nodeId}'s token is required (Authorization: Bearer <token>)`);
  if (c.kind !== 'node') throw new NetworkError('FORBIDDEN', `only node ${nodeId} itself may do this`);
  if (c.nodeId.toLowerCase() !== nodeId.toLowerCase()) throw new NetworkError('FORBIDDEN', `a node may act only as itself, not as node ${nodeId}`);
}

export function planJson(p: NightPlan) {
  return {
    nodeId: p.nodeId,
    siteId: p.siteId,
    generatedAt: p.generatedAt.toISOString(),
    night: p.night === null ? null : { startUtc: p.night.startUtc.toISOString(), endUtc: p.night.endUtc.toISOString() },
    entries: p.entries.map((e) => ({ ...e, startUtc: e.startUtc.toISOString(), endUtc: e.endUtc.toISOString() })),
  };
}

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const errorSchema = {
  type: 'object',
  description: 'Error: a machine-readable code and a message saying what is wrong.',
  properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
  required: ['code', 'message'],
} as const;
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorSchema]));
const anyObject = { type: 'object', additionalProperties: true } as const;

const planSchema = {
  type: 'object',
  description: "Tonight's plan: what the scheduler expects to hand this node, in order.",
  properties: {
    nodeId: uuid,
    siteId: uuid,
    generatedAt: dateTime,
    night: {
      type: ['object', 'null'],
      description: 'Civil dusk (or now) to civil dawn; null when the Sun stays above −6°.',
      properties: { startUtc: dateTime, endUtc: dateTime },
    },
    entries: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          missionId: uuid,
          missionName: { type: 'string' },
          taskId: uuid,
          targetName: { type: ['string', 'null'] },
          filter: { type: 'string' },
          priority: { type: 'integer' },
          startUtc: dateTime,
          endUtc: dateTime,
          exposureS: { type: 'number' },
          frameCount: { type: 'integer' },
          altitudeStartDeg: { type: 'number' },
          altitudeEndDeg: { type: 'number' },
          minAltitudeDeg: { type: 'number' },
          maxAirmass: { type: 'number', description: 'sec z at the lowest altitude.' },
          minMoonSeparationDeg: { type: 'number' },
          held: { type: 'boolean', description: 'The node holds this task already.' },
        },
      },
    },
  },
  required: ['nodeId', 'siteId', 'generatedAt', 'night', 'entries'],
} as const;

const nodeParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { ...uuid, description: 'Node id.' } },
} as const;

const rejectionSchema = {
  type: 'object',
  properties: {
    taskId: uuid,
    missionId: uuid,
    reason: { type: 'string', enum: ['WEATHER', 'FILTER', 'FIELD_OF_VIEW', 'NOT_YET', 'WINDOW', 'DAYTIME', 'BELOW_LIMIT', 'MOON'] },
    message: { type: 'string' },
  },
} as const;

export async function plannerRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const db = ctx.database.db;

  app.get<{ Params: { id: string } }>(
    '/api/v1/nodes/:id/plan',
    {
      schema: {
        tags: ['scheduler'],
        summary: "Tonight's plan for a node",
        description:
          'Plays the night forward with the scheduler’s own rules (visibility, twilight, Moon, filter, field of view, priority, urgency, fair share). ' +
          'A forecast: other nodes may take planned tasks; the weather is assumed good.',
        params: nodeParams,
        response: { 200: planSchema, ...errors(400, 401, 404) },
      },
    },
    async (request) => planJson(await planNight(db, request.params.id, ctx.clock.now())),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/nodes/:id/work',
    {
      schema: {
        tags: ['scheduler'],
        summary: 'Ask for work (that node only)',
        description:
          `Leases the best task the node can do now for ${ctx.leaseS} s and returns it with its 'observe' command. ` +
          'The command also arrives through the node’s command poll; acknowledging it there starts the task, and a lease that runs out unacknowledged returns the task to the pool. ' +
          'assignment is null when nothing fits; rejected says why for each task looked at.',
        params: nodeParams,
        response: {
          200: {
            type: 'object',
            properties: {
              assignment: {
                type: ['object', 'null'],
                properties: {
                  task: anyObject,
                  mission: anyObject,
                  command: anyObject,
                  reused: { type: 'boolean', description: 'The node already held this task.' },
                },
              },
              rejected: { type: 'array', items: rejectionSchema },
            },
            required: ['assignment', 'rejected'],
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      requireNodeSelf(request.caller, request.params.id);
      const r = await assignWorkExplained(db, request.params.id, ctx.clock.now(), { leaseS: ctx.leaseS });
      return {
        assignment:
          r.assignment === null
            ? null
            : {
                task: taskJson(r.assignment.task),
                mission: missionJson(r.assignment.mission),
                command: commandJson(r.assignment.command),
                reused: r.assignment.reused,
              },
        rejected: r.rejected,
      };
    },
  );

  app.post<{ Params: { id: string; taskId: string }; Body: { reason?: string } | undefined }>(
    '/api/v1/nodes/:id/tasks/:taskId/end',
    {
      schema: {
        tags: ['scheduler'],
        summary: 'End a task (that node only)',
        description:
          'The node stops working on a task. Fully delivered → DONE; partly → PARTIAL, and the rest becomes a new PENDING task; nothing → back to PENDING. ' +
          'Repeating it returns the same outcome; LEASE_EXPIRED if the task was taken back meanwhile.',
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['id', 'taskId'],
          properties: { id: { ...uuid, description: 'Node id.' }, taskId: { ...uuid, description: 'Task id.' } },
        },
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { reason: { type: 'string', minLength: 1, maxLength: 500, description: 'Why it stopped (clouds, dawn, finished …).' } },
        },
        response: {
          200: {
            type: 'object',
            properties: { task: anyObject, remainder: { type: ['object', 'null'], additionalProperties: true }, reason: { type: ['string', 'null'] } },
            required: ['task', 'remainder'],
          },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      requireNodeSelf(request.caller, request.params.id);
      const r = await endTask(db, request.params.taskId, request.params.id, { reason: request.body?.reason }, ctx.clock.now());
      return { task: taskJson(r.task), remainder: r.remainder === null ? null : taskJson(r.remainder), reason: r.reason };
    },
  );
}
