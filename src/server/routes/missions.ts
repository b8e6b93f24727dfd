/**
 * Missions over HTTP: operators create and cancel them; anyone who may read the API lists
 * them and follows their progress. The routes translate HTTP to the rules in
 * src/network/missions and rows to camelCase JSON with ISO-8601 UTC times.
 */
import type { FastifyInstance } from 'fastify';
import type { MissionState } from '../../platform/db/schema.js';
import type { Caller, ServerContext } from '../context.js';
import { NetworkError } from '../../network/errors.js';
import {
  cancelMission,
  createMission,
  listMissions,
  missionProgress,
  PRIORITY_MAX,
  PRIORITY_MIN,
  knownTargetNames,
  type MissionInfo,
  type MissionInput,
  type MissionProgress,
  type TaskInfo,
} from '../../network/missions/index.js';

// ---------------------------------------------------------------- access

function requireOperator(caller: Caller | undefined): void {
  const c = caller ?? { kind: 'anonymous' };
  if (c.kind === 'anonymous') throw new NetworkError('UNAUTHORIZED', 'an operator token is required (Authorization: Bearer <token>)');
  if (c.kind !== 'operator') throw new NetworkError('FORBIDDEN', 'only an operator may do this; a node token cannot');
}

// ---------------------------------------------------------------- JSON shapes

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function missionJson(m: MissionInfo) {
  return {
    ...m,
    windowStart: iso(m.windowStart),
    windowEnd: iso(m.windowEnd),
    createdAt: m.createdAt.toISOString(),
    updatedAt: m.updatedAt.toISOString(),
    completedAt: iso(m.completedAt),
  };
}

export function taskJson(t: TaskInfo) {
  return {
    ...t,
    leaseExpiresAt: iso(t.leaseExpiresAt),
    notBefore: iso(t.notBefore),
    notAfter: iso(t.notAfter),
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
  };
}

export function progressJson(p: MissionProgress) {
  return { ...p, mission: missionJson(p.mission), tasks: p.tasks.map(taskJson) };
}

// ---------------------------------------------------------------- schemas

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nullableNumber = { type: ['number', 'null'] } as const;
const missionStates = ['PENDING', 'ACTIVE', 'COMPLETE', 'CANCELLED'];
const taskStates = ['PENDING', 'LEASED', 'RUNNING', 'DONE', 'PARTIAL', 'CANCELLED'];

const errorSchema = {
  type: 'object',
  description: 'Error: a machine-readable code and a message saying what is wrong.',
  properties: { code: { type: 'string' }, message: { type: 'string' }, requestId: { type: 'string' } },
  required: ['code', 'message'],
} as const;
const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorSchema]));

const constraintsSchema = {
  type: 'object',
  additionalProperties: false,
  description: 'Observing constraints; the scheduler applies the strictest of these and the site limits.',
  properties: {
    minAltitudeDeg: { type: 'number', minimum: 0, exclusiveMaximum: 90, description: 'Lowest target altitude, degrees.' },
    maxAirmass: { type: 'number', exclusiveMinimum: 1, maximum: 10, description: 'Highest airmass (sec z).' },
    minMoonSeparationDeg: { type: 'number', minimum: 0, maximum: 180, description: 'Closest allowed approach to the Moon, degrees.' },
    twilight: {
      type: 'string',
      enum: ['civil', 'nautical', 'astronomical'],
      description: 'How dark: Sun below −6° (civil), −12° (nautical, the default) or −18° (astronomical).',
    },
    targetSizeArcmin: { type: 'number', exclusiveMinimum: 0, maximum: 1200, description: "Target's angular extent; only nodes whose field of view holds it get the work." },
  },
} as const;

const missionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['filter', 'totalExposureS', 'subExposureS'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'Label (default: target and filter).' },
    targetName: {
      type: ['string', 'null'],
      maxLength: 200,
      description: `A label, or without raDeg/decDeg one of the built-in targets (${knownTargetNames().join(', ')}; SIMBAD coordinates). Anything else needs raDeg/decDeg.`,
    },
    raDeg: { type: ['number', 'null'], minimum: 0, exclusiveMaximum: 360, description: 'ICRS (J2000) right ascension, degrees.' },
    decDeg: { type: ['number', 'null'], minimum: -90, maximum: 90, description: 'ICRS (J2000) declination, degrees.' },
    filter: { type: 'string', minLength: 1, maxLength: 32, description: 'Filter name as the nodes list it (e.g. V, R, L).' },
    totalExposureS: { type: 'number', exclusiveMinimum: 0, description: 'Exposure to deliver in total, seconds (credited per accepted frame).' },
    subExposureS: { type: 'number', exclusiveMinimum: 0, maximum: 86400, description: 'Length of one frame, seconds.' },
    cadenceS: { type: ['number', 'null'], exclusiveMinimum: 0, description: 'Time-series monitoring: seconds between visits (one task per visit).' },
    visitExposureS: { type: ['number', 'null'], exclusiveMinimum: 0, description: 'With cadenceS: exposure per visit, seconds (default one frame).' },
    windowStart: { ...nullableDateTime, description: 'Observe only from (ISO-8601 UTC), e.g. a predicted transit ingress minus margin.' },
    windowEnd: { ...nullableDateTime, description: 'Observe only until (ISO-8601 UTC).' },
    priority: { type: 'integer', minimum: PRIORITY_MIN, maximum: PRIORITY_MAX, description: 'Higher first; alerts use a high priority (default 0).' },
    constraints: constraintsSchema,
  },
} as const;

const missionSchema = {
  type: 'object',
  description: 'An observation request and its credited exposure.',
  properties: {
    id: uuid,
    name: { type: 'string' },
    targetName: { type: ['string', 'null'] },
    raDeg: nullableNumber,
    decDeg: nullableNumber,
    filter: { type: 'string' },
    totalExposureS: { type: 'number' },
    subExposureS: { type: 'number' },
    cadenceS: nullableNumber,
    windowStart: nullableDateTime,
    windowEnd: nullableDateTime,
    priority: { type: 'integer' },
    constraints: constraintsSchema,
    state: { type: 'string', enum: missionStates },
    deliveredExposureS: { type: 'number', description: 'Credited exposure, seconds (never above totalExposureS).' },
    createdAt: dateTime,
    updatedAt: dateTime,
    completedAt: nullableDateTime,
  },
  required: ['id', 'name', 'filter', 'totalExposureS', 'subExposureS', 'state', 'deliveredExposureS', 'createdAt'],
} as const;

const taskSchema = {
  type: 'object',
  description: 'A schedulable slice of a mission.',
  properties: {
    id: uuid,
    missionId: uuid,
    parentTaskId: { type: ['string', 'null'], format: 'uuid', description: 'The PARTIAL task this one is the remainder of.' },
    state: { type: 'string', enum: taskStates },
    exposureS: { type: 'number' },
    deliveredExposureS: { type: 'number' },
    nodeId: { type: ['string', 'null'], format: 'uuid' },
    leaseExpiresAt: nullableDateTime,
    notBefore: nullableDateTime,
    notAfter: nullableDateTime,
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  required: ['id', 'missionId', 'state', 'exposureS', 'deliveredExposureS'],
} as const;

const progressSchema = {
  type: 'object',
  description: 'Delivered vs required exposure, the tasks and the nodes that worked on them.',
  properties: {
    mission: missionSchema,
    deliveredExposureS: { type: 'number' },
    requiredExposureS: { type: 'number' },
    remainingExposureS: { type: 'number' },
    fraction: { type: 'number', description: 'delivered / required, 0 … 1.' },
    taskCounts: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Tasks per state.' },
    tasks: { type: 'array', items: taskSchema },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          nodeId: uuid,
          nodeName: { type: ['string', 'null'] },
          acceptedExposureS: { type: 'number', description: "Sum of the node's accepted frames, before the mission's cap." },
          acceptedFrames: { type: 'integer' },
          rejectedFrames: { type: 'integer' },
          pendingFrames: { type: 'integer', description: 'Received, not yet checked.' },
          tasks: { type: 'integer' },
        },
      },
    },
    partialTasks: {
      type: 'array',
      description: 'Tasks cut short with credit, and the remainder tasks made from them.',
      items: {
        type: 'object',
        properties: {
          taskId: uuid,
          nodeId: { type: ['string', 'null'], format: 'uuid' },
          exposureS: { type: 'number' },
          deliveredExposureS: { type: 'number' },
          remainderTaskIds: { type: 'array', items: uuid },
        },
      },
    },
    reassignments: { type: 'integer', description: 'Remainder tasks: work that moved on from a node.' },
  },
  required: ['mission', 'deliveredExposureS', 'requiredExposureS', 'remainingExposureS', 'fraction', 'tasks'],
} as const;

const idParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { ...uuid, description: 'Mission id.' } },
} as const;

// ---------------------------------------------------------------- routes

export async function missionsRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const db = ctx.database.db;

  app.post<{ Body: MissionInput }>(
    '/api/v1/missions',
    {
      schema: {
        tags: ['missions'],
        summary: 'Create a mission (operator)',
        description:
          'Target (RA/Dec or a built-in name), filter, total and sub-exposure, cadence or time window, priority, constraints. ' +
          'It is split into tasks of at most an hour of frames; with a window their starts are staggered over it.',
        body: missionBody,
        response: {
          201: { ...missionSchema, properties: { ...missionSchema.properties, taskCount: { type: 'integer', description: 'Tasks it was split into.' } } },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      requireOperator(request.caller);
      const { mission, tasks } = await createMission(db, request.body, ctx.clock.now());
      return reply.code(201).send({ ...missionJson(mission), taskCount: tasks.length });
    },
  );

  app.get<{ Querystring: { state?: MissionState; limit?: number; offset?: number } }>(
    '/api/v1/missions',
    {
      schema: {
        tags: ['missions'],
        summary: 'List missions',
        description: 'Newest first.',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            state: { type: 'string', enum: missionStates, description: 'Only missions in this state.' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100, description: 'Page size.' },
            offset: { type: 'integer', minimum: 0, default: 0, description: 'Missions to skip.' },
          },
        },
        response: { 200: { type: 'object', properties: { missions: { type: 'array', items: missionSchema } }, required: ['missions'] }, ...errors(400, 401) },
      },
    },
    async (request) => ({ missions: (await listMissions(db, request.query)).map(missionJson) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/missions/:id',
    {
      schema: {
        tags: ['missions'],
        summary: 'Show a mission and its progress',
        params: idParams,
        response: { 200: progressSchema, ...errors(400, 401, 404) },
      },
    },
    async (request) => progressJson(await missionProgress(db, request.params.id)),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/missions/:id/cancel',
    {
      schema: {
        tags: ['missions'],
        summary: 'Cancel a mission (operator)',
        description: 'Its open tasks are cancelled and nodes holding one are told to abort. Repeating it is harmless; a COMPLETE mission is a CONFLICT.',
        params: idParams,
        response: { 200: missionSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      requireOperator(request.caller);
      return missionJson(await cancelMission(db, request.params.id, ctx.clock.now()));
    },
  );
}
