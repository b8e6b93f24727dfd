/**
 * Commands: work the service writes for one node, which the node's agent polls,
 * acknowledges and reports. The service never calls a node.
 *
 * States (CommandState):
 *   PENDING ──poll──▶ DELIVERED ──ack──▶ ACKED ──report──▶ DONE | FAILED
 *      ▲                  │  ▲              │
 *      │                  └──┴── lease expired: the next poll delivers it again
 *      └── the node was FAULTED (requeueNodeCommands) — DELIVERED/ACKED go back
 *   PENDING | DELIVERED | ACKED ──cancelCommand──▶ CANCELLED
 *
 * Delivery is at least once: every poll sets a lease (`leaseS`); a command not reported
 * before its lease runs out is delivered again by a later poll, with `attempts` + 1. The
 * agent dedupes by command id. A re-poll within the lease does not repeat a delivery, so a
 * poll response lost on the way comes back only after the lease.
 *
 * Ack: accepted while the command is DELIVERED or ACKED — also after its lease ran out,
 * as long as no other delivery superseded it (the node is then still the only holder).
 * Each ack renews the lease, so an agent keeps a long command alive by acking again. An
 * ack may name the delivery it answers (`attempt`, the `attempts` value it received);
 * LEASE_EXPIRED when a later delivery superseded that one, or when the command was taken
 * back (node FAULTED, command PENDING again): the agent should poll again.
 *
 * Report: DONE (ok) or FAILED (with a reason). Accepted from DELIVERED or ACKED, and also
 * from PENDING after a take-back (attempts > 0): work that was done is kept rather than
 * done twice. Repeating the same report returns the stored command unchanged; a different
 * report on a finished command is a CONFLICT.
 *
 * A node acting on another node's command gets FORBIDDEN.
 */
import type { Kysely } from 'kysely';
import type { Command, CommandState, Schema } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { isUuid, requireInteger, requireJsonObject, requireNow, requireText, requireUuid } from '../nodes/validate.js';
import type { CommandNotifier } from './notifier.js';

export const MAX_LEASE_S = 86_400;
export const MAX_POLL_LIMIT = 100;

export interface CommandInfo {
  id: string;
  nodeId: string;
  taskId: string | null;
  kind: string;
  payload: Record<string, unknown>;
  state: CommandState;
  /** Number of deliveries so far. */
  attempts: number;
  leaseExpiresAt: Date | null;
  /** What the node reported with a DONE (or the details of a FAILED), else null. */
  result: Record<string, unknown> | null;
  /** Why the command FAILED, else null. */
  reason: string | null;
  createdAt: Date;
  ackedAt: Date | null;
  finishedAt: Date | null;
}

/** The stored `result` of a FAILED command: the reason, and the node's details if any. */
interface FailureRecord {
  reason: string;
  result?: Record<string, unknown>;
}

export function commandInfo(row: Command): CommandInfo {
  let result = row.result;
  let reason: string | null = null;
  if (row.state === 'FAILED' && result !== null) {
    const failure = result as unknown as FailureRecord;
    reason = typeof failure.reason === 'string' ? failure.reason : null;
    result = failure.result ?? null;
  }
  return {
    id: row.id,
    nodeId: row.node_id,
    taskId: row.task_id,
    kind: row.kind,
    payload: row.payload,
    state: row.state,
    attempts: row.attempts,
    leaseExpiresAt: row.lease_expires_at,
    result,
    reason,
    createdAt: row.created_at,
    ackedAt: row.acked_at,
    finishedAt: row.finished_at,
  };
}

export interface NewCommandInput {
  nodeId: string;
  taskId?: string | null;
  /** What to do, e.g. 'observe', 'park', 'abort' (the agent's vocabulary). */
  kind: string;
  payload?: Record<string, unknown>;
}

export interface CreateCommandOptions {
  /** Woken for the node after the insert (pass it only outside a transaction — see notifier.ts). */
  notifier?: CommandNotifier;
}

/** Write a PENDING command for a node. NOT_FOUND when the node or task does not exist. */
export async function createCommand(
  db: Kysely<Schema>,
  input: NewCommandInput,
  now: Date,
  opts: CreateCommandOptions = {},
): Promise<CommandInfo> {
  requireNow(now);
  if (input === null || typeof input !== 'object') throw new NetworkError('BAD_REQUEST', 'command: must be an object');
  const nodeId = requireUuid(input.nodeId, 'nodeId');
  const taskId = input.taskId === undefined || input.taskId === null ? null : requireUuid(input.taskId, 'taskId');
  const kind = requireText(input.kind, 'kind', 64);
  const payload = requireJsonObject(input.payload ?? {}, 'payload');

  const node = await db.selectFrom('nodes').select('id').where('id', '=', nodeId).executeTakeFirst();
  if (!node) throw new NetworkError('NOT_FOUND', `nodeId: no node with id '${nodeId}'`);
  if (taskId !== null) {
    const task = await db.selectFrom('tasks').select('id').where('id', '=', taskId).executeTakeFirst();
    if (!task) throw new NetworkError('NOT_FOUND', `taskId: no task with id '${taskId}'`);
  }
  const row = await db
    .insertInto('commands')
    .values({ node_id: nodeId, task_id: taskId, kind, payload: JSON.stringify(payload), state: 'PENDING', created_at: now })
    .returningAll()
    .executeTakeFirstOrThrow();
  opts.notifier?.notify(nodeId);
  return commandInfo(row);
}

export interface PollOptions {
  /** Lease given to each delivered command, seconds (1 … 86400). */
  leaseS: number;
  /** Most commands to deliver, 1 … 100. */
  limit: number;
}

function leaseEnd(now: Date, leaseS: unknown): Date {
  const s = requireInteger(leaseS, 'leaseS', 1, MAX_LEASE_S);
  return new Date(now.getTime() + s * 1000);
}

/**
 * Deliver the node's available commands, oldest first: PENDING ones, and DELIVERED or
 * ACKED ones whose lease ran out. Each gets a lease and attempts + 1. Concurrent polls
 * by the same node never hand out the same command: rows are claimed with
 * FOR UPDATE SKIP LOCKED, so a second poll skips what the first is taking.
 */
export async function pollCommands(db: Kysely<Schema>, nodeId: string, now: Date, opts: PollOptions): Promise<CommandInfo[]> {
  requireNow(now);
  const id = requireUuid(nodeId, 'nodeId');
  const leaseUntil = leaseEnd(now, opts.leaseS);
  const limit = requireInteger(opts.limit, 'limit', 1, MAX_POLL_LIMIT);

  // The CTE holding the row locks is evaluated once (a locking CTE is never inlined).
  const rows = await db
    .with('picked', (qb) =>
      qb
        .selectFrom('commands')
        .select('id')
        .where('node_id', '=', id)
        .where((eb) =>
          eb.or([
            eb('state', '=', 'PENDING'),
            eb.and([eb('state', 'in', ['DELIVERED', 'ACKED']), eb('lease_expires_at', '<=', now)]),
          ]),
        )
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .updateTable('commands')
    .from('picked')
    .set((eb) => ({
      state: 'DELIVERED',
      attempts: eb('commands.attempts', '+', 1),
      lease_expires_at: leaseUntil,
      acked_at: null,
    }))
    .whereRef('commands.id', '=', 'picked.id')
    .returningAll('commands')
    .execute();

  if (rows.length === 0) {
    const node = await db.selectFrom('nodes').select('id').where('id', '=', id).executeTakeFirst();
    if (!node) throw new NetworkError('NOT_FOUND', `no node with id '${id}'`);
  }
  // RETURNING has no order of its own.
  rows.sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rows.map(commandInfo);
}

async function loadForNode(db: Kysely<Schema>, nodeId: string, commandId: string): Promise<Command> {
  const row = isUuid(commandId) ? await db.selectFrom('commands').selectAll().where('id', '=', commandId).executeTakeFirst() : undefined;
  if (!row) throw new NetworkError('NOT_FOUND', `no command with id '${String(commandId)}'`);
  if (row.node_id !== nodeId) throw new NetworkError('FORBIDDEN', `command ${row.id} belongs to another node`);
  return row;
}

export interface AckOptions {
  /** The delivery being acknowledged (the `attempts` the poll returned); omitted = the current one. */
  attempt?: number;
}

/** Acknowledge a delivered command and renew its lease. See the module comment for the rules. */
export async function ackCommand(
  db: Kysely<Schema>,
  nodeId: string,
  commandId: string,
  now: Date,
  leaseS: number,
  opts: AckOptions = {},
): Promise<CommandInfo> {
  requireNow(now);
  const node = requireUuid(nodeId, 'nodeId');
  const leaseUntil = leaseEnd(now, leaseS);
  const attempt = opts.attempt === undefined ? undefined : requireInteger(opts.attempt, 'attempt', 1, Number.MAX_SAFE_INTEGER);

  if (isUuid(commandId)) {
    let q = db
      .updateTable('commands')
      .set({ state: 'ACKED', acked_at: now, lease_expires_at: leaseUntil })
      .where('id', '=', commandId)
      .where('node_id', '=', node)
      .where('state', 'in', ['DELIVERED', 'ACKED']);
    if (attempt !== undefined) q = q.where('attempts', '=', attempt);
    const row = await q.returningAll().executeTakeFirst();
    if (row) return commandInfo(row);
  }

  // Nothing changed: say why.
  const row = await loadForNode(db, node, commandId);
  switch (row.state) {
    case 'DELIVERED':
    case 'ACKED':
      // Only reachable with an explicit attempt (or a delivery racing this ack).
      throw new NetworkError(
        'LEASE_EXPIRED',
        `command ${row.id}: delivery ${attempt ?? '(unnamed)'} was superseded by delivery ${row.attempts}; acknowledge the latest delivery`,
      );
    case 'PENDING':
      if (row.attempts > 0) {
        throw new NetworkError('LEASE_EXPIRED', `command ${row.id}: its lease was withdrawn and it waits to be delivered again; poll for commands`);
      }
      throw new NetworkError('CONFLICT', `command ${row.id} has not been delivered yet; poll for commands first`);
    default:
      throw new NetworkError('CONFLICT', `command ${row.id} is ${row.state}; it can no longer be acknowledged`);
  }
}

export interface CommandReport {
  ok: boolean;
  /** Outcome details (ok) or failure details (not ok). */
  result?: Record<string, unknown> | null;
  /** Required when ok is false: why the command failed. */
  reason?: string;
}

function storedResult(report: { ok: boolean; result: Record<string, unknown> | null; reason: string | null }): Record<string, unknown> | null {
  if (report.ok) return report.result;
  const failure: FailureRecord = { reason: report.reason as string };
  if (report.result !== null) failure.result = report.result;
  return failure as unknown as Record<string, unknown>;
}

/** JSON text with object keys sorted, so jsonb's key reordering does not hide equality. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value as Record<string, unknown>)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Record the outcome of a command: DONE or FAILED. Idempotent for a repeated identical report. */
export async function reportCommand(
  db: Kysely<Schema>,
  nodeId: string,
  commandId: string,
  report: CommandReport,
  now: Date,
): Promise<CommandInfo> {
  requireNow(now);
  const node = requireUuid(nodeId, 'nodeId');
  if (report === null || typeof report !== 'object') throw new NetworkError('BAD_REQUEST', 'report: must be an object');
  if (typeof report.ok !== 'boolean') throw new NetworkError('BAD_REQUEST', `ok: must be true or false, got ${String(report.ok)}`);
  const result = report.result === undefined || report.result === null ? null : requireJsonObject(report.result, 'result');
  let reason: string | null = null;
  if (!report.ok) reason = requireText(report.reason, 'reason', 2000);
  else if (report.reason !== undefined) throw new NetworkError('BAD_REQUEST', 'reason: only a failed report (ok: false) carries a reason');
  const stored = storedResult({ ok: report.ok, result, reason });
  const state: CommandState = report.ok ? 'DONE' : 'FAILED';

  if (isUuid(commandId)) {
    const row = await db
      .updateTable('commands')
      .set({ state, finished_at: now, lease_expires_at: null, result: stored === null ? null : JSON.stringify(stored) })
      .where('id', '=', commandId)
      .where('node_id', '=', node)
      .where((eb) => eb.or([eb('state', 'in', ['DELIVERED', 'ACKED']), eb.and([eb('state', '=', 'PENDING'), eb('attempts', '>', 0)])]))
      .returningAll()
      .executeTakeFirst();
    if (row) return commandInfo(row);
  }

  const row = await loadForNode(db, node, commandId);
  if (row.state === 'DONE' || row.state === 'FAILED') {
    // The same report again (a retry after a lost response) changes nothing.
    if (row.state === state && canonicalJson(row.result) === canonicalJson(stored)) return commandInfo(row);
    throw new NetworkError('CONFLICT', `command ${row.id} was already reported ${row.state}; a different report cannot replace it`);
  }
  if (row.state === 'PENDING') throw new NetworkError('CONFLICT', `command ${row.id} has not been delivered yet; there is nothing to report`);
  throw new NetworkError('CONFLICT', `command ${row.id} is ${row.state}; it can no longer be reported`);
}

/** Withdraw a command that is not finished. Idempotent; CONFLICT once it is DONE or FAILED. */
export async function cancelCommand(db: Kysely<Schema>, commandId: string, now: Date): Promise<CommandInfo> {
  requireNow(now);
  const id = requireUuid(commandId, 'commandId');
  const row = await db
    .updateTable('commands')
    .set({ state: 'CANCELLED', finished_at: now, lease_expires_at: null })
    .where('id', '=', id)
    .where('state', 'in', ['PENDING', 'DELIVERED', 'ACKED'])
    .returningAll()
    .executeTakeFirst();
  if (row) return commandInfo(row);
  const current = await db.selectFrom('commands').selectAll().where('id', '=', id).executeTakeFirst();
  if (!current) throw new NetworkError('NOT_FOUND', `no command with id '${id}'`);
  if (current.state === 'CANCELLED') return commandInfo(current);
  throw new NetworkError('CONFLICT', `command ${id} is ${current.state}; it cannot be cancelled`);
}

/**
 * Take back every command the node holds (DELIVERED or ACKED, not finished): they become
 * PENDING, deliverable at the node's next poll. Used when the node is FAULTED. Returns how
 * many were taken back.
 */
export async function requeueNodeCommands(db: Kysely<Schema>, nodeId: string): Promise<number> {
  const id = requireUuid(nodeId, 'nodeId');
  const r = await db
    .updateTable('commands')
    .set({ state: 'PENDING', lease_expires_at: null, acked_at: null })
    .where('node_id', '=', id)
    .where('state', 'in', ['DELIVERED', 'ACKED'])
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** One command (NOT_FOUND otherwise); for operators and tests. */
export async function getCommand(db: Kysely<Schema>, commandId: string): Promise<CommandInfo> {
  const row = isUuid(commandId) ? await db.selectFrom('commands').selectAll().where('id', '=', commandId).executeTakeFirst() : undefined;
  if (!row) throw new NetworkError('NOT_FOUND', `no command with id '${String(commandId)}'`);
  return commandInfo(row);
}
