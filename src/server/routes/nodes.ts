/**
 * Sites, nodes, heartbeats and the node command channel over HTTP.
 *
 * Who may call what:
 * - operators create sites and register nodes (the node token is in that response only);
 * - reads (sites, nodes) are open to every caller; the auth layer may close them by config;
 * - a node posts its own heartbeat and polls, acks and reports its own commands — an
 *   operator or another node gets FORBIDDEN, no token UNAUTHORIZED.
 *
 * The routes only translate HTTP to the rules in src/network (validation errors there name
 * the field too) and rows to camelCase JSON with ISO-8601 UTC times.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { NodeState } from '../../platform/db/schema.js';
import type { Caller, ServerContext } from '../context.js';
import { NetworkError } from '../../network/errors.js';
import { createSite, listSites, type SiteInfo } from '../../network/nodes/sites.js';
import {
  getNode,
  listNodes,
  registerNode,
  MAX_HEARTBEAT_INTERVAL_S,
  MIN_HEARTBEAT_INTERVAL_S,
  type NodeInfo,
} from '../../network/nodes/registry.js';
import { startHeartbeatWriter, type HeartbeatWriter } from '../../network/heartbeats/writer.js';
import { ackCommand, reportCommand, MAX_POLL_LIMIT, type CommandInfo } from '../../network/commands/commands.js';
import { waitForCommands } from '../../network/commands/long-poll.js';
import type { CommandNotifier } from '../../network/commands/notifier.js';

/** Longest long-poll a node may ask for, seconds. */
export const MAX_WAIT_S = 60;

export interface NodesRoutesOptions {
  /** Wakes long polls when a command is written in this process (else they re-poll). */
  notifier?: CommandNotifier;
  /** Long-poll re-poll period, ms (default 1000). */
  pollIntervalMs?: number;
  /**
   * Writes heartbeats in batches (group commit). Default: one started for this server over
   * ctx.database and stopped when the server closes — the one piece of state this plugin
   * holds, because batching only works where the requests meet.
   */
  heartbeats?: HeartbeatWriter;
}

// ---------------------------------------------------------------- access

function callerOf(request: { caller?: Caller }): Caller {
  return request.caller ?? { kind: 'anonymous' };
}

function requireOperator(caller: Caller): void {
  if (caller.kind === 'anonymous') throw new NetworkError('UNAUTHORIZED', 'an operator token is required (Authorization: Bearer <token>)');
  if (caller.kind !== 'operator') throw new NetworkError('FORBIDDEN', 'only an operator may do this; a node token cannot');
}

function requireNodeSelf(caller: Caller, nodeId: string): void {
  if (caller.kind === 'anonymous') throw new NetworkError('UNAUTHORIZED', `node ${nodeId}'s token is required (Authorization: Bearer <token>)`);
  if (caller.kind !== 'node') throw new NetworkError('FORBIDDEN', `only node ${nodeId} itself may do this`);
  if (caller.nodeId.toLowerCase() !== nodeId.toLowerCase()) throw new NetworkError('FORBIDDEN', `a node may act only as itself, not as node ${nodeId}`);
}

// ---------------------------------------------------------------- JSON shapes

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

export function siteJson(s: SiteInfo) {
  return { ...s, createdAt: s.createdAt.toISOString(), updatedAt: s.updatedAt.toISOString() };
}

export function nodeJson(n: NodeInfo) {
  return {
    ...n,
    lastHeartbeatAt: iso(n.lastHeartbeatAt),
    registeredAt: n.registeredAt.toISOString(),
    updatedAt: n.updatedAt.toISOString(),
  };
}

export function commandJson(c: CommandInfo) {
  return {
    ...c,
    leaseExpiresAt: iso(c.leaseExpiresAt),
    createdAt: c.createdAt.toISOString(),
    ackedAt: iso(c.ackedAt),
    finishedAt: iso(c.finishedAt),
  };
}

// ---------------------------------------------------------------- schemas

const uuid = { type: 'string', format: 'uuid' } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const nodeStates = ['ONLINE', 'BUSY', 'PARKED', 'FAULTED'];
const anyObject = { type: 'object', additionalProperties: true } as const;

const errorSchema = {
  type: 'object',
  description: 'Error: a machine-readable code and a message saying what is wrong.',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
  additionalProperties: true,
} as const;

const errors = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, errorSchema]));

const horizonProfileSchema = {
  type: ['array', 'null'],
  description: 'Local horizon: [azDeg, minAltDeg] points (azimuth from north through east), raising the minimum altitude where trees or buildings block the sky.',
  maxItems: 360,
  items: { type: 'array', minItems: 2, maxItems: 2, items: { type: 'number' } },
} as const;

const siteBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'latitudeDeg', 'longitudeDeg'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'Site name.' },
    latitudeDeg: { type: 'number', minimum: -90, maximum: 90, description: 'Geodetic latitude, degrees north.' },
    longitudeDeg: { type: 'number', minimum: -180, maximum: 180, description: 'Longitude, degrees east.' },
    elevationM: { type: 'number', description: 'Height above sea level, metres (default 0).' },
    minAltitudeDeg: { type: 'number', minimum: 0, maximum: 90, description: 'Lowest useful altitude anywhere at the site, degrees (default 20).' },
    horizonProfile: horizonProfileSchema,
  },
} as const;

const siteSchema = {
  type: 'object',
  description: 'An observing site.',
  properties: {
    id: uuid,
    name: { type: 'string' },
    latitudeDeg: { type: 'number' },
    longitudeDeg: { type: 'number' },
    elevationM: { type: 'number' },
    minAltitudeDeg: { type: 'number' },
    horizonProfile: horizonProfileSchema,
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  required: ['id', 'name', 'latitudeDeg', 'longitudeDeg', 'elevationM', 'minAltitudeDeg', 'horizonProfile', 'createdAt', 'updatedAt'],
} as const;

const nodeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['siteId', 'name', 'apertureMm', 'focalLengthMm', 'pixelSizeUm', 'sensorWidthPx', 'sensorHeightPx', 'filters'],
  properties: {
    siteId: { ...uuid, description: 'Site the node stands at.' },
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'Node name.' },
    apertureMm: { type: 'number', exclusiveMinimum: 0, description: 'Clear aperture, mm.' },
    focalLengthMm: { type: 'number', exclusiveMinimum: 0, description: 'Effective focal length, mm.' },
    pixelSizeUm: { type: 'number', exclusiveMinimum: 0, description: 'Pixel pitch, µm.' },
    sensorWidthPx: { type: 'integer', minimum: 1, description: 'Sensor width, pixels.' },
    sensorHeightPx: { type: 'integer', minimum: 1, description: 'Sensor height, pixels.' },
    filters: {
      type: 'array',
      minItems: 1,
      maxItems: 64,
      items: { type: 'string', minLength: 1, maxLength: 64 },
      description: 'Filters the node can use (unique names, e.g. "V", "r\'", "L").',
    },
    gainEPerAdu: { type: ['number', 'null'], description: 'Camera gain, e⁻/ADU.' },
    readNoiseE: { type: ['number', 'null'], description: 'Read noise, e⁻.' },
    heartbeatIntervalS: {
      type: 'integer',
      minimum: MIN_HEARTBEAT_INTERVAL_S,
      maximum: MAX_HEARTBEAT_INTERVAL_S,
      description: 'Heartbeat period asked of the node, s (default: the service setting).',
    },
  },
} as const;

const nodeSchema = {
  type: 'object',
  description: 'A telescope node with its optics, state and last heartbeat.',
  properties: {
    id: uuid,
    siteId: uuid,
    name: { type: 'string' },
    state: { type: 'string', enum: nodeStates },
    apertureMm: { type: 'number' },
    focalLengthMm: { type: 'number' },
    pixelSizeUm: { type: 'number' },
    sensorWidthPx: { type: 'integer' },
    sensorHeightPx: { type: 'integer' },
    filters: { type: 'array', items: { type: 'string' } },
    gainEPerAdu: { type: ['number', 'null'] },
    readNoiseE: { type: ['number', 'null'] },
    heartbeatIntervalS: { type: 'integer' },
    lastHeartbeatAt: nullableDateTime,
    currentTarget: { type: ['string', 'null'] },
    weatherOk: { type: ['boolean', 'null'] },
    registeredAt: dateTime,
    updatedAt: dateTime,
    pixelScaleArcsec: { type: 'number', description: 'Derived: arcsec per pixel on the optical axis.' },
    fieldOfView: {
      type: 'object',
      description: 'Derived: angular size of the sensor, degrees.',
      properties: { widthDeg: { type: 'number' }, heightDeg: { type: 'number' } },
      required: ['widthDeg', 'heightDeg'],
    },
  },
  required: ['id', 'siteId', 'name', 'state', 'filters', 'heartbeatIntervalS', 'registeredAt'],
} as const;

const commandSchema = {
  type: 'object',
  description: 'A command for a node. Delivery is at least once: dedupe by id.',
  properties: {
    id: uuid,
    nodeId: uuid,
    taskId: { type: ['string', 'null'], format: 'uuid' },
    kind: { type: 'string', description: "What to do (the agent's vocabulary, e.g. 'observe')." },
    payload: anyObject,
    state: { type: 'string', enum: ['PENDING', 'DELIVERED', 'ACKED', 'DONE', 'FAILED', 'CANCELLED'] },
    attempts: { type: 'integer', description: 'Deliveries so far; pass it back as `attempt` when acknowledging.' },
    leaseExpiresAt: { ...nullableDateTime, description: 'Ack or report before this, or the command is delivered again.' },
    result: { type: ['object', 'null'], additionalProperties: true },
    reason: { type: ['string', 'null'] },
    createdAt: dateTime,
    ackedAt: nullableDateTime,
    finishedAt: nullableDateTime,
  },
  required: ['id', 'nodeId', 'kind', 'payload', 'state', 'attempts', 'createdAt'],
} as const;

const nodeIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { ...uuid, description: 'Node id.' } },
} as const;

const commandParams = {
  type: 'object',
  required: ['id', 'commandId'],
  properties: { id: { ...uuid, description: 'Node id.' }, commandId: { ...uuid, description: 'Command id.' } },
} as const;

// ---------------------------------------------------------------- routes

export async function nodesRoutes(app: FastifyInstance, ctx: ServerContext, opts: NodesRoutesOptions = {}): Promise<void> {
  const db = ctx.database.db;
  const writer = opts.heartbeats ?? ownHeartbeatWriter(app, ctx);

  app.post<{ Body: Parameters<typeof createSite>[1] }>(
    '/api/v1/sites',
    {
      schema: {
        tags: ['sites'],
        summary: 'Create a site (operator)',
        description: 'Creates an observing site: position and horizon limits.',
        body: siteBody,
        response: { 201: siteSchema, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      requireOperator(callerOf(request));
      const site = await createSite(db, request.body, ctx.clock.now());
      return reply.code(201).send(siteJson(site));
    },
  );

  app.get(
    '/api/v1/sites',
    {
      schema: {
        tags: ['sites'],
        summary: 'List sites',
        response: { 200: { type: 'object', properties: { sites: { type: 'array', items: siteSchema } }, required: ['sites'] } },
      },
    },
    async () => ({ sites: (await listSites(db)).map(siteJson) }),
  );

  app.post<{ Body: Parameters<typeof registerNode>[1] }>(
    '/api/v1/nodes',
    {
      schema: {
        tags: ['nodes'],
        summary: 'Register a node (operator)',
        description:
          'Registers a telescope node at a site. The response carries the node token, shown this once only: the service keeps only its SHA-256. The node authenticates with `Authorization: Bearer <token>`.',
        body: nodeBody,
        response: {
          201: {
            type: 'object',
            properties: {
              node: nodeSchema,
              token: { type: 'string', description: 'The node token (43 characters, base64url). Store it now; it cannot be shown again.' },
            },
            required: ['node', 'token'],
          },
          ...errors(400, 401, 403),
        },
      },
    },
    async (request, reply) => {
      requireOperator(callerOf(request));
      const input = { ...request.body, heartbeatIntervalS: request.body.heartbeatIntervalS ?? ctx.heartbeatIntervalS };
      const { node, token } = await registerNode(db, input, ctx.clock.now());
      return reply.code(201).send({ node: nodeJson(node), token });
    },
  );

  app.get<{ Querystring: { siteId?: string; state?: NodeState; limit?: number; offset?: number } }>(
    '/api/v1/nodes',
    {
      schema: {
        tags: ['nodes'],
        summary: 'List nodes',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            siteId: { ...uuid, description: 'Only nodes at this site.' },
            state: { type: 'string', enum: nodeStates, description: 'Only nodes in this state.' },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 1000, description: 'Page size.' },
            offset: { type: 'integer', minimum: 0, default: 0, description: 'Nodes to skip (by name order).' },
          },
        },
        response: { 200: { type: 'object', properties: { nodes: { type: 'array', items: nodeSchema } }, required: ['nodes'] }, ...errors(400) },
      },
    },
    async (request) => ({ nodes: (await listNodes(db, request.query)).map(nodeJson) }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/nodes/:id',
    {
      schema: { tags: ['nodes'], summary: 'Show a node', params: nodeIdParams, response: { 200: nodeSchema, ...errors(400, 404) } },
    },
    async (request) => nodeJson(await getNode(db, request.params.id)),
  );

  app.post<{ Params: { id: string }; Body: { state: 'ONLINE' | 'BUSY' | 'PARKED'; currentTarget?: string | null; weatherOk?: boolean | null } }>(
    '/api/v1/nodes/:id/heartbeat',
    {
      schema: {
        tags: ['nodes'],
        summary: 'Heartbeat (that node only)',
        description: `Every heartbeatIntervalS seconds (${MIN_HEARTBEAT_INTERVAL_S}–${MAX_HEARTBEAT_INTERVAL_S}). Three missed intervals make the node FAULTED; its work goes back to the pool. A later heartbeat brings it back.`,
        params: nodeIdParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['state'],
          properties: {
            state: { type: 'string', enum: ['ONLINE', 'BUSY', 'PARKED'], description: 'The node’s own state.' },
            currentTarget: { type: ['string', 'null'], maxLength: 200, description: 'What the mount points at, if anything.' },
            weatherOk: { type: ['boolean', 'null'], description: 'Local weather allows observing (null: no sensor).' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              nodeId: uuid,
              state: { type: 'string', enum: nodeStates },
              previousState: { type: 'string', enum: nodeStates },
              recovered: { type: 'boolean', description: 'The node was FAULTED and is back.' },
              heartbeatIntervalS: { type: 'integer', description: 'Send the next heartbeat within this many seconds.' },
              receivedAt: dateTime,
            },
            required: ['nodeId', 'state', 'previousState', 'recovered', 'heartbeatIntervalS', 'receivedAt'],
          },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request) => {
      requireNodeSelf(callerOf(request), request.params.id);
      const hb = await writer.record(request.params.id, request.body, ctx.clock.now());
      return {
        nodeId: hb.nodeId,
        state: hb.state,
        previousState: hb.previousState,
        recovered: hb.recovered,
        heartbeatIntervalS: hb.heartbeatIntervalS,
        receivedAt: hb.receivedAt.toISOString(),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { wait: number; limit: number } }>(
    '/api/v1/nodes/:id/commands',
    {
      schema: {
        tags: ['nodes'],
        summary: 'Get commands (that node only; long poll)',
        description: `Delivers the node's pending commands (and those whose lease ran out), each with a lease of the service's lease length. With wait > 0 the request is held until a command arrives or wait seconds pass (then an empty list). At least once: dedupe by command id.`,
        params: nodeIdParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_S, default: 0, description: `Long-poll up to this many seconds (0–${MAX_WAIT_S}).` },
            limit: { type: 'integer', minimum: 1, maximum: MAX_POLL_LIMIT, default: 10, description: 'Most commands to return.' },
          },
        },
        response: {
          200: { type: 'object', properties: { commands: { type: 'array', items: commandSchema } }, required: ['commands'] },
          ...errors(400, 401, 403, 404),
        },
      },
    },
    async (request, reply) => {
      requireNodeSelf(callerOf(request), request.params.id);
      const gone = abortWhenClientLeaves(reply);
      try {
        const commands = await waitForCommands(
          { database: ctx.database, clock: ctx.clock, notifier: opts.notifier },
          request.params.id,
          { timeoutMs: request.query.wait * 1000, leaseS: ctx.leaseS, limit: request.query.limit, signal: gone.signal, pollIntervalMs: opts.pollIntervalMs },
        );
        return { commands: commands.map(commandJson) };
      } finally {
        gone.release();
      }
    },
  );

  app.post<{ Params: { id: string; commandId: string }; Body: { attempt?: number } | undefined }>(
    '/api/v1/nodes/:id/commands/:commandId/ack',
    {
      schema: {
        tags: ['nodes'],
        summary: 'Acknowledge a command (that node only)',
        description:
          'Confirms the node has the command and renews its lease (ack again to keep a long command alive). LEASE_EXPIRED (409) when the service took the command back or a later delivery superseded the one named by `attempt`: poll again.',
        params: commandParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { attempt: { type: 'integer', minimum: 1, description: 'The `attempts` value of the delivery being acknowledged.' } },
        },
        response: { 200: commandSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      requireNodeSelf(callerOf(request), request.params.id);
      const attempt = request.body?.attempt;
      const command = await ackCommand(db, request.params.id, request.params.commandId, ctx.clock.now(), ctx.leaseS, attempt === undefined ? {} : { attempt });
      return commandJson(command);
    },
  );

  app.post<{ Params: { id: string; commandId: string }; Body: { ok: boolean; result?: Record<string, unknown> | null; reason?: string } }>(
    '/api/v1/nodes/:id/commands/:commandId/report',
    {
      schema: {
        tags: ['nodes'],
        summary: 'Report a command done or failed (that node only)',
        description: 'ok: true → DONE, ok: false (with a reason) → FAILED. Repeating the same report is harmless; a different one is a CONFLICT.',
        params: commandParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['ok'],
          properties: {
            ok: { type: 'boolean', description: 'The command succeeded.' },
            result: { type: ['object', 'null'], additionalProperties: true, description: 'Outcome or failure details.' },
            reason: { type: 'string', minLength: 1, maxLength: 2000, description: 'Why it failed (required when ok is false).' },
          },
        },
        response: { 200: commandSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      requireNodeSelf(callerOf(request), request.params.id);
      return commandJson(await reportCommand(db, request.params.id, request.params.commandId, request.body, ctx.clock.now()));
    },
  );
}

/** A heartbeat writer for this server, stopped when it closes (after the requests in flight were answered). */
function ownHeartbeatWriter(app: FastifyInstance, ctx: ServerContext): HeartbeatWriter {
  const writer = startHeartbeatWriter({ database: ctx.database });
  app.addHook('onClose', () => writer.stop());
  return writer;
}

/** An AbortSignal that fires if the connection closes before the response is sent. */
function abortWhenClientLeaves(reply: FastifyReply): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onClose = () => {
    if (!reply.raw.writableFinished) controller.abort();
  };
  reply.raw.on('close', onClose);
  return { signal: controller.signal, release: () => reply.raw.off('close', onClose) };
}
