/**
 * Live updates for the dashboard: `GET /api/v1/events`, a Server-Sent Events stream.
 *
 * One hub per server computes a snapshot of the network every `intervalMs` (node states,
 * mission progress, queue depths, running jobs) — once for all viewers, not once per
 * viewer — and sends each client either the whole snapshot (when it connects, or
 * reconnects) or the difference from the last state it was sent. Nothing is polled while
 * nobody is watching. A client that disconnects is dropped at once; a client too slow to
 * drain its socket is cut off (it reconnects and gets a fresh snapshot) rather than
 * buffering without bound; closing the server ends every stream (preClose), so shutdown
 * never waits on an open dashboard.
 *
 * Wire format (one JSON object per `data:` line):
 *
 *   retry: 3000
 *
 *   id: 7
 *   event: snapshot            data: LiveSnapshot & { seq }
 *   event: diff                data: LiveDiff & { seq }    (only what changed; none when nothing did)
 *   event: problem             data: { code, message }     (a snapshot failed; the stream stays up)
 *   : keep-alive               (comment, every keepAliveMs, for proxies)
 *
 * The dashboard's client (web/src/live) applies a diff with the inverse of `diffSnapshots`:
 * upserts replace by id, removals drop by id, the lists are re-sorted by the orders below.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/swagger'; // route schemas carry tags/summary for the OpenAPI document
import type { MissionState, NodeState, TaskState } from '../../platform/db/schema.js';
import type { ServerContext } from '../context.js';
import { listNodes, NODE_STATES } from '../../network/nodes/registry.js';
import { listMissions } from '../../network/missions/missions.js';
import { listJobs, queueDepths, type QueueDepths } from '../../pipeline/ledger.js';

// ---------------------------------------------------------------- wire types

export interface LiveNode {
  id: string;
  name: string;
  siteId: string;
  state: NodeState;
  /** ISO-8601 UTC, null before the first heartbeat. */
  lastHeartbeatAt: string | null;
  currentTarget: string | null;
  weatherOk: boolean | null;
}

export interface LiveMission {
  id: string;
  name: string;
  targetName: string | null;
  filter: string;
  state: MissionState;
  priority: number;
  deliveredExposureS: number;
  requiredExposureS: number;
  /** delivered / required, 0 … 1. */
  fraction: number;
  /** Tasks per state. */
  tasks: Record<TaskState, number>;
  createdAt: string;
}

export interface LiveJob {
  id: string;
  queue: string;
  stage: string;
  /** Fraction done, 0 … 1. */
  progress: number;
  message: string | null;
  attempts: number;
  maxAttempts: number;
  startedAt: string | null;
}

export interface LiveSnapshot {
  /** Service time of the snapshot (the injected clock), ISO-8601 UTC. */
  at: string;
  /** Up to maxNodes nodes, by name then id. */
  nodes: LiveNode[];
  /** Nodes per state over the whole network (not capped). */
  nodeCounts: Record<NodeState, number>;
  /** Up to maxMissions missions, newest first. */
  missions: LiveMission[];
  queues: QueueDepths;
  /** Jobs running now (up to 50), most recently updated first. */
  running: LiveJob[];
}

export interface EntityDiff<T> {
  /** New or changed entities, whole. */
  upsert: T[];
  /** Ids that left the snapshot. */
  remove: string[];
}

/** What changed between two snapshots; absent fields did not change. */
export interface LiveDiff {
  at: string;
  nodes?: EntityDiff<LiveNode>;
  nodeCounts?: Record<NodeState, number>;
  missions?: EntityDiff<LiveMission>;
  queues?: QueueDepths;
  running?: LiveJob[];
}

export type LiveMessage = { event: 'snapshot'; seq: number; data: LiveSnapshot } | { event: 'diff'; seq: number; data: LiveDiff };

// ---------------------------------------------------------------- orders (mirrored in web/src/live/state.ts)

/** Code-unit order: the same in every engine and browser (SQL collations are not). */
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const compareNodes = (a: LiveNode, b: LiveNode): number => cmp(a.name, b.name) || cmp(a.id, b.id);
export const compareMissions = (a: LiveMission, b: LiveMission): number => cmp(b.createdAt, a.createdAt) || cmp(a.id, b.id);

// ---------------------------------------------------------------- snapshot and diff

export interface SnapshotOptions {
  /** Most nodes listed (default 2000, at most 10 000); nodeCounts covers all of them. */
  maxNodes?: number;
  /** Most missions listed (default 200, at most 500). */
  maxMissions?: number;
}

const TASK_STATES: readonly TaskState[] = ['PENDING', 'LEASED', 'RUNNING', 'DONE', 'PARTIAL', 'CANCELLED'];
const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString());

/** The network as the dashboard sees it now. */
export async function computeSnapshot(ctx: Pick<ServerContext, 'database' | 'clock'>, opts: SnapshotOptions = {}): Promise<LiveSnapshot> {
  const db = ctx.database.db;
  const at = ctx.clock.now();
  // One after another: PGlite has a single session, and a snapshot is small.
  const nodes = await listNodes(db, { limit: opts.maxNodes ?? 2000 });
  const counted = await db
    .selectFrom('nodes')
    .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('state')
    .execute();
  const missions = await listMissions(db, { limit: opts.maxMissions ?? 200 });
  const taskRows =
    missions.length === 0
      ? []
      : await db
          .selectFrom('tasks')
          .select(['mission_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
          .where(
            'mission_id',
            'in',
            missions.map((m) => m.id),
          )
          .groupBy(['mission_id', 'state'])
          .execute();
  const queues = await queueDepths(db);
  const running = await listJobs(db, { state: 'active', limit: 50 });

  const nodeCounts = Object.fromEntries(NODE_STATES.map((s) => [s, 0])) as Record<NodeState, number>;
  for (const r of counted) if (r.state in nodeCounts) nodeCounts[r.state] = Number(r.n);

  const tasks = new Map<string, Record<TaskState, number>>();
  for (const m of missions) tasks.set(m.id, Object.fromEntries(TASK_STATES.map((s) => [s, 0])) as Record<TaskState, number>);
  for (const r of taskRows) {
    const t = tasks.get(r.mission_id);
    if (t && r.state in t) t[r.state] = Number(r.n);
  }

  return {
    at: at.toISOString(),
    nodes: nodes
      .map((n) => ({
        id: n.id,
        name: n.name,
        siteId: n.siteId,
        state: n.state,
        lastHeartbeatAt: iso(n.lastHeartbeatAt),
        currentTarget: n.currentTarget,
        weatherOk: n.weatherOk,
      }))
      .sort(compareNodes),
    nodeCounts,
    missions: missions
      .map((m) => ({
        id: m.id,
        name: m.name,
        targetName: m.targetName,
        filter: m.filter,
        state: m.state,
        priority: m.priority,
        deliveredExposureS: m.deliveredExposureS,
        requiredExposureS: m.totalExposureS,
        fraction: m.totalExposureS > 0 ? Math.min(1, m.deliveredExposureS / m.totalExposureS) : 0,
        tasks: tasks.get(m.id) as Record<TaskState, number>,
        createdAt: m.createdAt.toISOString(),
      }))
      .sort(compareMissions),
    queues,
    running: running.map((j) => ({
      id: j.id,
      queue: j.queue,
      stage: j.stage,
      progress: j.progress,
      message: j.message,
      attempts: j.attempts,
      maxAttempts: j.maxAttempts,
      startedAt: j.startedAt,
    })),
  };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function entityDiff<T extends { id: string }>(prev: readonly T[], next: readonly T[]): EntityDiff<T> | undefined {
  const before = new Map(prev.map((e) => [e.id, JSON.stringify(e)]));
  const upsert = next.filter((e) => before.get(e.id) !== JSON.stringify(e));
  const present = new Set(next.map((e) => e.id));
  const remove = prev.filter((e) => !present.has(e.id)).map((e) => e.id);
  return upsert.length === 0 && remove.length === 0 ? undefined : { upsert, remove };
}

/** What changed from `prev` to `next`, or null when nothing but the time did. */
export function diffSnapshots(prev: LiveSnapshot, next: LiveSnapshot): LiveDiff | null {
  const diff: LiveDiff = { at: next.at };
  const nodes = entityDiff(prev.nodes, next.nodes);
  if (nodes) diff.nodes = nodes;
  if (!sameJson(prev.nodeCounts, next.nodeCounts)) diff.nodeCounts = next.nodeCounts;
  const missions = entityDiff(prev.missions, next.missions);
  if (missions) diff.missions = missions;
  if (!sameJson(prev.queues, next.queues)) diff.queues = next.queues;
  if (!sameJson(prev.running, next.running)) diff.running = next.running;
  return Object.keys(diff).length === 1 ? null : diff;
}

// ---------------------------------------------------------------- hub

export interface Timers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const realTimers: Timers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

export interface EventHubOptions extends SnapshotOptions {
  /** Snapshot period, ms (default 3000). */
  intervalMs?: number;
  /** Keep-alive comment period, ms (default 15 000). */
  keepAliveMs?: number;
  /** Most simultaneous streams (default 200); more are refused with 503. */
  maxClients?: number;
  /** Bytes a client may leave unread before it is cut off (default 4 MiB). */
  maxBufferedBytes?: number;
  /** Reconnect delay suggested to clients, ms (default 3000). */
  retryMs?: number;
  /** Timers (tests pass fakes; default the global ones). */
  timers?: Timers;
  /** Called when a snapshot fails (default: nothing; the route passes the app logger). */
  onError?: (err: unknown) => void;
}

/** A connected stream as the hub sees it. */
export interface EventSink {
  /** Write raw SSE text; false when the peer is not keeping up. */
  write(text: string): boolean;
  /** Bytes written but not yet taken by the peer. */
  readonly bufferedBytes: number;
  end(): void;
}

export interface EventHub {
  /** Start streaming to a sink; returns the function that stops it. */
  subscribe(sink: EventSink): () => void;
  /** Compute a snapshot now and send it (snapshot or diff) to every client; polls never overlap. */
  poll(): Promise<void>;
  /** Sequence number of the last snapshot (0 before the first). */
  readonly seq: number;
  readonly clients: number;
  /** The polling timer runs (there are clients). */
  readonly running: boolean;
  /** End every stream and stop the timers. Idempotent. */
  close(): void;
}

interface Client {
  sink: EventSink;
  /** seq of the state this client holds (0: none yet). */
  seq: number;
}

export function frame(event: string, id: number, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createEventHub(ctx: Pick<ServerContext, 'database' | 'clock'>, opts: EventHubOptions = {}): EventHub {
  const intervalMs = opts.intervalMs ?? 3000;
  const keepAliveMs = opts.keepAliveMs ?? 15_000;
  const maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
  const timers = opts.timers ?? realTimers;
  if (!(intervalMs > 0) || !(keepAliveMs > 0)) throw new RangeError(`createEventHub: intervalMs and keepAliveMs must be > 0, got ${intervalMs}, ${keepAliveMs}`);

  const clients = new Set<Client>();
  let latest: { seq: number; snapshot: LiveSnapshot } | null = null;
  let seq = 0;
  let inFlight: Promise<void> | null = null;
  let pollTimer: unknown = null;
  let keepAliveTimer: unknown = null;
  let closed = false;

  const drop = (c: Client) => {
    if (!clients.delete(c)) return;
    try {
      c.sink.end();
    } catch {
      // already gone
    }
    if (clients.size === 0) stopTimers();
  };

  const send = (c: Client, text: string) => {
    let ok: boolean;
    try {
      ok = c.sink.write(text);
    } catch {
      ok = false;
      drop(c);
      return;
    }
    // A peer that stops reading would make us buffer forever: cut it off; it reconnects.
    if (!ok && c.sink.bufferedBytes > maxBuffered) drop(c);
  };

  const broadcast = (snapshot: LiveSnapshot, next: number, diff: LiveDiff | null, diffFrom: number) => {
    for (const c of [...clients]) {
      if (c.seq === diffFrom && diffFrom !== 0) {
        if (diff) send(c, frame('diff', next, { seq: next, ...diff }));
      } else {
        send(c, frame('snapshot', next, { seq: next, ...snapshot }));
      }
      c.seq = next;
    }
  };

  const runPoll = async () => {
    let snapshot: LiveSnapshot;
    try {
      snapshot = await computeSnapshot(ctx, opts);
    } catch (err) {
      opts.onError?.(err);
      const message = err instanceof Error ? err.message : String(err);
      for (const c of [...clients]) send(c, `event: problem\ndata: ${JSON.stringify({ code: 'SNAPSHOT_FAILED', message: `live snapshot failed: ${message}` })}\n\n`);
      return;
    }
    if (closed) return;
    const prev = latest;
    const next = ++seq;
    const diff = prev ? diffSnapshots(prev.snapshot, snapshot) : null;
    latest = { seq: next, snapshot };
    broadcast(snapshot, next, diff, prev ? prev.seq : 0);
  };

  const poll = (): Promise<void> => {
    if (closed) return Promise.resolve();
    inFlight ??= runPoll().finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const startTimers = () => {
    if (pollTimer !== null) return;
    pollTimer = timers.setInterval(() => void poll(), intervalMs);
    keepAliveTimer = timers.setInterval(() => {
      for (const c of [...clients]) send(c, ': keep-alive\n\n');
    }, keepAliveMs);
  };

  function stopTimers() {
    if (pollTimer !== null) timers.clearInterval(pollTimer);
    if (keepAliveTimer !== null) timers.clearInterval(keepAliveTimer);
    pollTimer = keepAliveTimer = null;
  }

  return {
    subscribe(sink) {
      if (closed) {
        sink.end();
        return () => {};
      }
      const c: Client = { sink, seq: 0 };
      clients.add(c);
      send(c, `retry: ${opts.retryMs ?? 3000}\n\n`);
      if (pollTimer === null) {
        // First viewer after a quiet spell: what we hold may be stale, take a fresh one.
        startTimers();
        void poll();
      } else if (latest) {
        send(c, frame('snapshot', latest.seq, { seq: latest.seq, ...latest.snapshot }));
        c.seq = latest.seq;
      }
      // else: a poll is on its way and will send this client a snapshot.
      return () => drop(c);
    },
    poll,
    get seq() {
      return seq;
    },
    get clients() {
      return clients.size;
    },
    get running() {
      return pollTimer !== null;
    },
    close() {
      if (closed) return;
      closed = true;
      stopTimers();
      for (const c of [...clients]) drop(c);
    },
  };
}

// ---------------------------------------------------------------- route

export interface EventsRoutesOptions extends EventHubOptions {
  /** A hub made by the caller (tests drive `poll` by hand); otherwise one is made here. Either way it is closed with the server. */
  hub?: EventHub;
}

function responseSink(res: ServerResponse): EventSink {
  return {
    write: (text) => res.write(text),
    get bufferedBytes() {
      return res.writableLength;
    },
    end: () => {
      if (!res.writableEnded) res.end();
    },
  };
}

export async function eventsRoutes(app: FastifyInstance, ctx: ServerContext, opts: EventsRoutesOptions = {}): Promise<void> {
  const hub = opts.hub ?? createEventHub(ctx, { ...opts, onError: opts.onError ?? ((err) => app.log.warn({ err }, 'events: live snapshot failed')) });
  const maxClients = opts.maxClients ?? 200;
  // preClose, not onClose: the HTTP server waits for open streams before onClose runs.
  app.addHook('preClose', async () => hub.close());

  app.get(
    '/api/v1/events',
    {
      schema: {
        tags: ['events'],
        summary: 'Live updates (Server-Sent Events)',
        description:
          'A `text/event-stream`: `snapshot` (the whole state: nodes, node counts, missions with progress, queue depths, running jobs) on connect, then `diff` events with only what changed, computed every few seconds. Each `data:` line is one JSON object with a `seq`. A client that reconnects gets a new snapshot.',
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (hub.clients >= maxClients) {
        return reply.code(503).header('retry-after', '10').send({ code: 'UNAVAILABLE', message: `too many live streams open (limit ${maxClients}); retry later` });
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        // nginx and friends would otherwise hold the events back.
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      const unsubscribe = hub.subscribe(responseSink(res));
      request.raw.socket?.setNoDelay?.(true);
      res.on('close', unsubscribe);
    },
  );
}
