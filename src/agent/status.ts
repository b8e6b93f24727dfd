/**
 * What the running agent tells `openastro agent status`: a small JSON file in the state
 * directory, replaced atomically (temporary file + rename) whenever something worth
 * showing changes, plus the outbox as read from its directory. The status command never
 * talks to the agent (it may be hung, or gone) and never takes the outbox lock.
 *
 * The file is not fsynced: losing the latest update on a power cut only shows an older
 * state, and the agent rewrites it at its next heartbeat.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { AgentError, describeError } from './errors.js';
import { inspectOutbox, type OutboxDepth, type OutboxError } from './outbox/outbox.js';
import { statePaths } from './config.js';

export const STATUS_SCHEMA = 'openastro.agent-status/1';

/** ONLINE/BUSY/PARKED are what the service hears; the others are the agent's own. */
export type AgentState = 'STARTING' | 'ONLINE' | 'BUSY' | 'PARKED' | 'STOPPING' | 'STOPPED';

export interface AgentErrorRecord {
  /** UTC ISO-8601 (clock time) of the latest occurrence. */
  at: string;
  /** What was being done: heartbeat, poll, work, command, observe, upload, devices … */
  where: string;
  message: string;
  /** Consecutive occurrences of the same message. */
  count: number;
}

export interface CurrentTask {
  commandId: string;
  missionId: string;
  taskId: string;
  target: string;
  filter: string;
  framesDone: number;
  framesPlanned: number;
}

export interface AgentStatus {
  schema: typeof STATUS_SCHEMA;
  pid: number;
  nodeId: string;
  server: string;
  state: AgentState;
  /** When the state last changed (clock time). */
  since: string;
  /** When this file was written (clock time). */
  updatedAt: string;
  currentTarget: string | null;
  task: CurrentTask | null;
  weather: { ok: boolean | null; reasons: string[]; at: string | null };
  lastHeartbeat: { at: string; ok: boolean; error?: string } | null;
  /** Last heartbeat the service answered. */
  lastHeartbeatOk: string | null;
  counters: { frames: number; framesQueued: number; framesRejected: number; commandsDone: number; commandsFailed: number; uploadsSent: number; uploadsRejected: number };
  outbox: OutboxDepth;
  lastErrors: AgentErrorRecord[];
}

const MAX_ERRORS = 20;

/** Adds an error to a newest-first list, folding a repeat of the latest one into its count. */
export function pushError(list: AgentErrorRecord[], where: string, err: unknown, at: Date): AgentErrorRecord[] {
  const message = (typeof err === 'string' ? err : describeError(err)).slice(0, 500);
  const head = list[0];
  if (head && head.where === where && head.message === message) return [{ ...head, at: at.toISOString(), count: head.count + 1 }, ...list.slice(1)];
  return [{ at: at.toISOString(), where, message, count: 1 }, ...list].slice(0, MAX_ERRORS);
}

/** Replaces the status file atomically (same directory, so rename cannot cross devices). */
export async function writeStatusFile(file: string, status: AgentStatus): Promise<void> {
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { flag: 'wx' });
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new AgentError('IO', `cannot write the status file ${file}: ${describeError(e)}`, { cause: e });
  }
}

/** The status file, or undefined when the agent never wrote one. IO when it is unreadable. */
export async function readStatusFile(file: string): Promise<AgentStatus | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentError('IO', `cannot read the status file ${file}: ${describeError(e)}`, { cause: e });
  }
  let s: AgentStatus;
  try {
    s = JSON.parse(text) as AgentStatus;
  } catch (e) {
    throw new AgentError('IO', `the status file ${file} is not JSON: ${describeError(e)}`, { cause: e });
  }
  if (s === null || typeof s !== 'object' || s.schema !== STATUS_SCHEMA) throw new AgentError('IO', `the status file ${file} is not an ${STATUS_SCHEMA} document`);
  return s;
}

export interface StatusReport {
  stateDir: string;
  status?: AgentStatus;
  /** The process that wrote the status is alive (and did not write STOPPED). */
  running: boolean;
  outbox: { depth: OutboxDepth; lastErrors: OutboxError[] };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reads the status file and the outbox of the agent whose state directory is `stateDir`. */
export async function collectStatus(stateDir: string, opts: { isAlive?: (pid: number) => boolean } = {}): Promise<StatusReport> {
  const p = statePaths(stateDir);
  const status = await readStatusFile(p.status);
  const outbox = await inspectOutbox(p.outbox);
  const alive = opts.isAlive ?? processAlive;
  const running = status !== undefined && status.state !== 'STOPPED' && Number.isInteger(status.pid) && status.pid > 0 && alive(status.pid);
  return { stateDir, ...(status ? { status } : {}), running, outbox };
}

function ago(iso: string | null | undefined, now: Date): string {
  if (!iso) return 'never';
  const s = Math.round((now.getTime() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return iso;
  const span = Math.abs(s) < 120 ? `${Math.abs(s)} s` : Math.abs(s) < 7200 ? `${Math.round(Math.abs(s) / 60)} min` : `${(Math.abs(s) / 3600).toFixed(1)} h`;
  return `${iso} (${s >= 0 ? `${span} ago` : `in ${span}`})`;
}

function bytes(n: number): string {
  return n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** The human-readable status (times are shown against `now`). */
export function formatStatus(r: StatusReport, now: Date): string {
  const lines: string[] = [];
  const s = r.status;
  if (!s) {
    lines.push(`state: unknown (no status file in ${r.stateDir}: the agent has not run here yet)`);
  } else {
    const proc = r.running ? `running, pid ${s.pid}` : s.state === 'STOPPED' ? 'stopped' : `not running (pid ${s.pid} is gone; last update ${ago(s.updatedAt, now)})`;
    lines.push(`node:   ${s.nodeId} at ${s.server}`);
    lines.push(`state:  ${s.state} since ${ago(s.since, now)} — ${proc}`);
    if (s.task) {
      lines.push(`task:   ${s.task.target} in ${s.task.filter}, ${s.task.framesDone}/${s.task.framesPlanned} frames (mission ${s.task.missionId}, task ${s.task.taskId})`);
    } else lines.push(`target: ${s.currentTarget ?? 'none'}`);
    lines.push(`weather: ${s.weather.ok === null ? 'unknown' : s.weather.ok ? 'ok' : `unsafe (${s.weather.reasons.join('; ') || 'no reason given'})`}`);
    const hb = s.lastHeartbeat;
    lines.push(`last heartbeat: ${hb ? `${ago(hb.at, now)} ${hb.ok ? 'ok' : `failed: ${hb.error ?? ''}`}` : 'none yet'}${hb && !hb.ok ? `; last answered ${ago(s.lastHeartbeatOk, now)}` : ''}`);
    const c = s.counters;
    lines.push(`frames: ${c.frames} taken, ${c.framesQueued} queued for upload, ${c.framesRejected} not uploaded; commands: ${c.commandsDone} done, ${c.commandsFailed} failed`);
  }
  const d = r.outbox.depth;
  lines.push(`outbox: ${d.items} item${d.items === 1 ? '' : 's'} waiting (${d.measurements} measurement${d.measurements === 1 ? '' : 's'}, ${d.frames} frame${d.frames === 1 ? '' : 's'}), ${bytes(d.bytes)}`);
  const errors: Array<{ at: string; text: string }> = [
    ...(s?.lastErrors ?? []).map((e) => ({ at: e.at, text: `${e.where}: ${e.message}${e.count > 1 ? ` (×${e.count})` : ''}` })),
    ...r.outbox.lastErrors.map((e) => ({ at: e.at, text: `upload ${e.id} (attempt ${e.attempts}): ${e.message}` })),
  ]
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
    .slice(0, 10);
  if (errors.length === 0) lines.push('last errors: none');
  else {
    lines.push('last errors:');
    for (const e of errors) lines.push(`  ${e.at}  ${e.text}`);
  }
  return lines.join('\n');
}
