/**
 * The node agent's lifecycle: what `openastro agent` runs beside a telescope for months.
 *
 *   start: command log + outbox → devices connected → interrupted work resumed →
 *          heartbeat loop, command long-poll, work requests, background uploader
 *   stop:  stop taking work → abort the exposure → end the task ('shutdown') → park →
 *          last heartbeat (PARKED) → stop the uploader → close the outbox → disconnect
 *
 * Loops, each with its own backoff so a server that is down sees a trickle, not a storm:
 * - heartbeat every interval (the service may ask for a shorter one) with the state
 *   (ONLINE idle, BUSY observing, PARKED weather or shutdown), the current target and
 *   the weather flag;
 * - weather: the safety monitor is read every `weatherCheckS`; unsafe stops the exposure,
 *   ends the running task ('weather'), parks the mount and tells the service at once;
 * - commands by long poll, deduplicated by id through the command log (a restart does
 *   not run a finished command again, and resumes an interrupted observation);
 * - work: when idle, ONLINE, the weather safe and the outbox not too full, ask the
 *   scheduler (POST /work); its 'observe' command arrives through the poll;
 * - uploads: the outbox in the background (measurements first, FITS resumable).
 *
 * An observation: filter present? → slew (refused below the horizon) → filter → frames;
 * each frame is edge-processed and its measurement and FITS are in the outbox before it
 * counts; the command is acknowledged again between frames to keep its lease. It is
 * reported done with {frames, uploadedFrames, rejected}, or failed with the reason; a
 * task cut short (abort, weather, shutdown, a device error) is also ended, so the service
 * reschedules the remainder. Reports and task ends the service did not take are kept in
 * the command log and sent again until it does.
 *
 * Everything is injected — clock, sleep, devices, API client, logger — so a test runs a
 * night on an accelerated clock against a real service.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../../network/clock.js';
import { ApiError, createApiClient, type ApiClient } from '../../platform/api/client.js';
import { statePaths, type AgentConfig } from '../config.js';
import type { Sleep } from '../devices/time.js';
import type { CapturedFrame, Observatory } from '../devices/types.js';
import { processFrame } from '../edge/process.js';
import { AgentError, describeError, isAgentError } from '../errors.js';
import { Outbox } from '../outbox/outbox.js';
import { runUploader, type Delivery, type UploadEvent } from '../outbox/uploader.js';
import { pushError, writeStatusFile, STATUS_SCHEMA, type AgentErrorRecord, type AgentState, type AgentStatus } from '../status.js';
import { createUploadSend, UploadSessions } from '../upload.js';
import { CommandLog, type CommandRecord, type CommandReport, type RejectedFrame } from './command-log.js';
import type { NodeCredentials } from './credentials.js';
import { mastersFor, type MasterSet } from './devices.js';
import { frameHasWcs, measurementBody, parseObservePayload, type ObserveTask } from './observe-payload.js';

/** What the agent did, for tests, logs and the demo. */
export type AgentEvent =
  | { type: 'state'; state: AgentState }
  | { type: 'heartbeat'; ok: boolean; state: string; weatherOk: boolean | null; error?: string }
  | { type: 'command'; id: string; kind: string; action: 'received' | 'duplicate' | 'resumed' | 'lost' }
  | { type: 'report'; id: string; kind: string; ok: boolean; reason?: string; delivered: boolean }
  | { type: 'frame'; commandId: string; taskId: string; index: number; fileName: string; upload: boolean; sha256?: string; reasons: string[] }
  | { type: 'task-ended'; taskId: string; reason: string }
  | { type: 'upload'; event: UploadEvent }
  | { type: 'rejected-upload'; id: string; kind: string; error: string }
  | { type: 'error'; where: string; message: string };

export interface StartAgentOptions {
  config: AgentConfig;
  credentials: NodeCredentials;
  observatory: Observatory;
  clock: Clock;
  /** Waits on clock time (realSleep(speed) for an accelerated clock). */
  sleep: Sleep;
  logger: Logger;
  masters?: MasterSet;
  /** Authenticated as the node (default: created from the configuration). */
  api?: ApiClient;
  onEvent?: (e: AgentEvent) => void;
  /** Runs last in stop() (e.g. closing the INDI link). */
  onStopped?: () => Promise<void>;
}

export interface Agent {
  readonly nodeId: string;
  status(): AgentStatus;
  /** Parks and stops; idempotent. */
  stop(): Promise<void>;
}

/** Why an observation was cut short. */
class Cut extends Error {
  constructor(
    readonly kind: 'abort' | 'weather' | 'shutdown' | 'park' | 'lease',
    message: string,
  ) {
    super(message);
  }
}

interface Current {
  rec: CommandRecord;
  task: ObserveTask;
  ctl: AbortController;
  framesDone: number;
  uploadedFrames: number;
  rejected: RejectedFrame[];
}

interface CommandJson {
  id: string;
  kind: string;
  taskId: string | null;
  payload: Record<string, unknown>;
  state: string;
  attempts: number;
}

/** Wakes sleepers early (a state change wants a heartbeat or a work request now). */
class Waker {
  private readonly ctls = new Set<AbortController>();
  async wait(sleep: Sleep, ms: number, stop: AbortSignal): Promise<void> {
    const c = new AbortController();
    this.ctls.add(c);
    try {
      await sleep(Math.max(0, ms), AbortSignal.any([c.signal, stop]));
    } catch {
      /* woken or stopped */
    } finally {
      this.ctls.delete(c);
    }
  }
  wake(): void {
    for (const c of this.ctls) c.abort();
    this.ctls.clear();
  }
}

/** Real ms for calls made while shutting down: the server may be gone. */
const SHUTDOWN_CALL_MS = 5000;
/** 4xx answers to a report, task end or ack that will not change: the command moved on. */
const GONE = new Set(['LEASE_EXPIRED', 'CONFLICT', 'NOT_FOUND']);

function isGone(e: unknown): boolean {
  return e instanceof ApiError && e.status >= 400 && e.status < 500 && e.status !== 401 && e.status !== 408 && e.status !== 429 && (GONE.has(e.code) || e.status === 404 || e.status === 409);
}

export async function startAgent(o: StartAgentOptions): Promise<Agent> {
  const agent = new NodeAgent(o);
  await agent.start();
  return agent;
}

class NodeAgent implements Agent {
  readonly nodeId: string;
  private readonly config: AgentConfig;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly log: Logger;
  private readonly obs: Observatory;
  private readonly api: ApiClient;
  private readonly paths: ReturnType<typeof statePaths>;
  private readonly masters: MasterSet;
  private readonly emitEvent: (e: AgentEvent) => void;
  private commands!: CommandLog;
  private outbox!: Outbox;

  private state: AgentState = 'STARTING';
  private since: Date;
  private weatherOk: boolean | null = null;
  private weatherReasons: string[] = [];
  private weatherAt: string | null = null;
  private lastHeartbeat: AgentStatus['lastHeartbeat'] = null;
  private lastHeartbeatOk: string | null = null;
  private errors: AgentErrorRecord[] = [];
  private counters: AgentStatus['counters'] = { frames: 0, framesQueued: 0, framesRejected: 0, commandsDone: 0, commandsFailed: 0, uploadsSent: 0, uploadsRejected: 0 };
  private heartbeatMs: number;

  private current: Current | undefined;
  private readonly queue: CommandRecord[] = [];
  /** Commands queued or executing, with the delivery to name when acknowledging. */
  private readonly active = new Map<string, { attempt: number }>();
  private executing: Promise<void> | undefined;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private readonly loopsCtl = new AbortController();
  private readonly uploadCtl = new AbortController();
  private readonly heartbeatWaker = new Waker();
  private readonly workWaker = new Waker();
  private loops: Promise<void>[] = [];
  private statusChain: Promise<void> = Promise.resolve();
  private parking: Promise<void> | undefined;

  constructor(private readonly o: StartAgentOptions) {
    this.config = o.config;
    this.clock = o.clock;
    this.sleep = o.sleep;
    this.log = o.logger;
    this.obs = o.observatory;
    this.nodeId = o.credentials.nodeId;
    this.masters = o.masters ?? { flats: new Map() };
    this.paths = statePaths(o.config.stateDir);
    this.since = o.clock.now();
    this.heartbeatMs = o.config.heartbeatIntervalS * 1000;
    this.api = o.api ?? createApiClient({ baseUrl: o.config.server, token: o.credentials.token, timeoutMs: o.config.limits.requestTimeoutS * 1000 });
    this.emitEvent = (e) => {
      try {
        o.onEvent?.(e);
      } catch {
        /* an observer must not break the agent */
      }
    };
  }

  // ------------------------------------------------------------ lifecycle

  async start(): Promise<void> {
    const L = this.config.limits;
    await mkdir(this.config.stateDir, { recursive: true });
    this.commands = await CommandLog.open(this.paths.commands, this.clock);
    this.outbox = await Outbox.open({ dir: this.paths.outbox, clock: this.clock, backoff: { baseMs: L.backoffBaseS * 1000, maxMs: L.backoffMaxS * 1000 } });
    try {
      await this.writeStatus();
      const devices = [this.obs.mount, this.obs.camera, this.obs.filterWheel, this.obs.weather].filter((d) => d !== undefined);
      for (const d of devices) {
        try {
          await d.connect();
        } catch (e) {
          throw new AgentError(isAgentError(e) ? e.code : 'NOT_CONNECTED', `cannot connect ${d.name}: ${describeError(e)}`, { cause: e });
        }
      }
    } catch (e) {
      this.recordError('devices', e);
      await this.disconnectDevices();
      await this.outbox.close();
      this.state = 'STOPPED';
      await this.writeStatus();
      throw e;
    }
    this.log.info({ nodeId: this.nodeId, server: this.config.server, outbox: this.outbox.depth() }, 'agent started');

    const sessions = await UploadSessions.open(this.paths.uploads);
    const send = createUploadSend({
      api: this.api,
      sessions,
      chunkBytes: L.chunkKb * 1024,
      ...(L.uploadKBps !== undefined ? { bytesPerS: L.uploadKBps * 1024 } : {}),
      requestTimeoutMs: L.requestTimeoutS * 1000,
      onRejected: (item, err) => this.keepRejected(item, err),
      onProgress: (item, offset) => this.log.debug({ id: item.id, fileName: item.fileName, offset, bytes: item.sizeBytes }, 'upload progress'),
    });
    const uploader = runUploader({
      outbox: this.outbox,
      send,
      clock: this.clock,
      signal: this.uploadCtl.signal,
      sleep: this.sleep,
      sendTimeoutMs: L.sendTimeoutS * 1000,
      onEvent: (e) => this.onUpload(e),
    }).catch((e: unknown) => this.recordError('upload', e));

    await this.checkWeather();
    await this.resumeInterrupted();
    this.setState();
    this.loops = [this.heartbeatLoop(), this.pollLoop(), this.workLoop(), this.weatherLoop(), uploader];
  }

  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.log.info('agent stopping');
    this.setState();
    this.loopsCtl.abort();
    this.heartbeatWaker.wake();
    this.workWaker.wake();
    this.current?.ctl.abort(new Cut('shutdown', 'shutdown: the agent was stopped'));
    await this.obs.camera.abort().catch(() => undefined);
    await this.executing;
    await Promise.allSettled(this.loops.slice(0, 4));
    await this.park('shutdown');
    await this.sendHeartbeat(SHUTDOWN_CALL_MS);
    this.uploadCtl.abort();
    await Promise.allSettled(this.loops);
    await this.commands.flush();
    await this.outbox.close().catch((e: unknown) => this.recordError('outbox', e));
    await this.disconnectDevices();
    this.state = 'STOPPED';
    this.since = this.clock.now();
    this.emitEvent({ type: 'state', state: 'STOPPED' });
    await this.writeStatus();
    await this.statusChain;
    this.log.info('agent stopped');
    await this.o.onStopped?.().catch((e: unknown) => this.log.warn({ err: e }, 'closing failed'));
  }

  private async disconnectDevices(): Promise<void> {
    for (const d of [this.obs.camera, this.obs.filterWheel, this.obs.weather, this.obs.mount]) {
      if (d) await d.disconnect().catch((e: unknown) => this.recordError('devices', e));
    }
  }

  // ------------------------------------------------------------ state and status

  private computeState(): AgentState {
    if (this.state === 'STOPPED') return 'STOPPED';
    if (this.stopping) return 'STOPPING';
    if (this.current) return 'BUSY';
    if (this.weatherOk === false) return 'PARKED';
    return 'ONLINE';
  }

  private setState(): void {
    const s = this.computeState();
    if (s === this.state) return;
    this.state = s;
    this.since = this.clock.now();
    this.log.info({ state: s }, `state ${s}`);
    this.emitEvent({ type: 'state', state: s });
    this.heartbeatWaker.wake();
    void this.writeStatus();
  }

  status(): AgentStatus {
    const c = this.current;
    return {
      schema: STATUS_SCHEMA,
      pid: process.pid,
      nodeId: this.nodeId,
      server: this.config.server,
      state: this.state,
      since: this.since.toISOString(),
      updatedAt: this.clock.now().toISOString(),
      currentTarget: c ? c.task.object : null,
      task: c
        ? { commandId: c.rec.id, missionId: c.task.missionId, taskId: c.task.taskId, target: c.task.object, filter: c.task.filter, framesDone: c.framesDone, framesPlanned: c.task.count }
        : null,
      weather: { ok: this.weatherOk, reasons: this.weatherReasons, at: this.weatherAt },
      lastHeartbeat: this.lastHeartbeat,
      lastHeartbeatOk: this.lastHeartbeatOk,
      counters: { ...this.counters },
      outbox: this.outbox ? this.outbox.depth() : { items: 0, bytes: 0, measurements: 0, frames: 0 },
      lastErrors: this.errors,
    };
  }

  /** Writes are serialised, so an older snapshot never lands after a newer one. */
  private writeStatus(): Promise<void> {
    this.statusChain = this.statusChain.then(async () => {
      try {
        await writeStatusFile(this.paths.status, this.status());
      } catch (e) {
        this.log.warn({ err: e }, 'status file not written');
      }
    });
    return this.statusChain;
  }

  private recordError(where: string, e: unknown): void {
    const message = describeError(e);
    this.errors = pushError(this.errors, where, message, this.clock.now());
    if (this.errors[0].count === 1) this.log.warn({ where, err: message }, `${where}: ${message}`);
    this.emitEvent({ type: 'error', where, message });
    void this.writeStatus();
  }

  private retryDelayMs(failures: number): number {
    return Math.min(this.config.limits.retryMaxS * 1000, 1000 * 2 ** Math.min(20, Math.max(0, failures - 1)));
  }

  private nap(ms: number): Promise<void> {
    return this.sleep(Math.max(0, ms), this.loopsCtl.signal).catch(() => undefined);
  }

  // ------------------------------------------------------------ heartbeat and weather

  private async heartbeatLoop(): Promise<void> {
    let failures = 0;
    while (!this.loopsCtl.signal.aborted) {
      const ok = await this.sendHeartbeat();
      failures = ok ? 0 : failures + 1;
      if (this.loopsCtl.signal.aborted) break;
      await this.heartbeatWaker.wait(this.sleep, ok ? this.heartbeatMs : Math.min(this.heartbeatMs, this.retryDelayMs(failures)), this.loopsCtl.signal);
    }
  }

  /** The safety monitor, more often than heartbeats: clouds must stop an exposure promptly. */
  private async weatherLoop(): Promise<void> {
    while (!this.loopsCtl.signal.aborted) {
      await this.nap(this.config.limits.weatherCheckS * 1000);
      if (!this.loopsCtl.signal.aborted) await this.checkWeather();
    }
  }

  private async checkWeather(): Promise<void> {
    const w = this.obs.weather;
    if (!w) return;
    let safe: boolean;
    let reasons: string[];
    try {
      const r = await w.reading({ timeoutMs: 30_000 });
      safe = r.safe;
      reasons = r.reasons;
    } catch (e) {
      // A safety monitor that does not answer is not a safe one.
      this.recordError('weather', e);
      safe = false;
      reasons = [`weather station: ${describeError(e)}`];
    }
    const was = this.weatherOk;
    this.weatherOk = safe;
    this.weatherReasons = reasons;
    this.weatherAt = this.clock.now().toISOString();
    // The service hears of a change at once, not at the next heartbeat.
    if (was !== safe) this.heartbeatWaker.wake();
    if (!safe) {
      if (was !== false) this.log.warn({ reasons }, 'weather unsafe: parking');
      this.current?.ctl.abort(new Cut('weather', `weather: ${reasons.join('; ') || 'unsafe'}`));
      await this.park('weather');
    } else if (was === false) {
      this.log.info('weather safe again');
      this.workWaker.wake();
    }
    this.setState();
  }

  private park(why: string): Promise<void> {
    this.parking ??= (async () => {
      try {
        if (!this.obs.mount.connected) return;
        await this.obs.camera.abort().catch(() => undefined);
        if (!(await this.obs.mount.isParked())) {
          await this.obs.mount.park();
          this.log.info({ why }, 'mount parked');
        }
      } catch (e) {
        this.recordError('park', e);
      } finally {
        this.parking = undefined;
      }
    })();
    return this.parking;
  }

  private heartbeatState(): 'ONLINE' | 'BUSY' | 'PARKED' {
    return this.state === 'BUSY' ? 'BUSY' : this.state === 'ONLINE' || this.state === 'STARTING' ? 'ONLINE' : 'PARKED';
  }

  private async sendHeartbeat(timeoutMs?: number): Promise<boolean> {
    const body = { state: this.heartbeatState(), currentTarget: this.current ? this.current.task.object.slice(0, 200) : null, weatherOk: this.weatherOk };
    const at = this.clock.now().toISOString();
    try {
      const r = await this.api.post<{ heartbeatIntervalS?: number; recovered?: boolean }>(`/api/v1/nodes/${this.nodeId}/heartbeat`, body, {
        ...(timeoutMs === undefined ? { signal: this.loopsCtl.signal } : { timeoutMs }),
      });
      this.lastHeartbeat = { at, ok: true };
      this.lastHeartbeatOk = at;
      if (typeof r.heartbeatIntervalS === 'number' && r.heartbeatIntervalS > 0) this.heartbeatMs = Math.min(this.config.heartbeatIntervalS, r.heartbeatIntervalS) * 1000;
      if (r.recovered) this.log.info('the service had marked the node FAULTED; it is back');
      this.emitEvent({ type: 'heartbeat', ok: true, state: body.state, weatherOk: body.weatherOk });
      void this.writeStatus();
      return true;
    } catch (e) {
      if (this.loopsCtl.signal.aborted && timeoutMs === undefined) return false;
      this.lastHeartbeat = { at, ok: false, error: describeError(e) };
      this.emitEvent({ type: 'heartbeat', ok: false, state: body.state, weatherOk: body.weatherOk, error: describeError(e) });
      this.recordError('heartbeat', e);
      return false;
    }
  }

  // ------------------------------------------------------------ commands

  private async pollLoop(): Promise<void> {
    const waitS = this.config.limits.pollWaitS;
    let failures = 0;
    while (!this.loopsCtl.signal.aborted) {
      try {
        const r = await this.api.get<{ commands: CommandJson[] }>(`/api/v1/nodes/${this.nodeId}/commands`, {
          query: { wait: waitS },
          signal: this.loopsCtl.signal,
          timeoutMs: (waitS + this.config.limits.requestTimeoutS) * 1000,
        });
        failures = 0;
        for (const c of r.commands) {
          try {
            await this.dispatch(c);
          } catch (e) {
            this.recordError('command', e);
          }
        }
        if (waitS === 0) await this.nap(1000);
      } catch (e) {
        if (this.loopsCtl.signal.aborted) break;
        failures++;
        this.recordError('poll', e);
        await this.nap(this.retryDelayMs(failures));
      }
    }
  }

  /** Acknowledges (renewing the lease): 'ok', 'lost' (the service took it back) or 'unreachable'. */
  private async ack(id: string, attempt: number | undefined): Promise<'ok' | 'lost' | 'unreachable'> {
    try {
      await this.api.post(`/api/v1/nodes/${this.nodeId}/commands/${id}/ack`, attempt === undefined ? {} : { attempt }, { signal: this.loopsCtl.signal });
      return 'ok';
    } catch (e) {
      if (isGone(e)) return 'lost';
      if (!this.loopsCtl.signal.aborted) this.recordError('ack', e);
      return 'unreachable';
    }
  }

  private async dispatch(c: CommandJson): Promise<void> {
    const rec = this.commands.get(c.id);
    if (rec) {
      const active = this.active.get(c.id);
      if (rec.state === 'finished') {
        // Delivered again: the service has not got the report yet.
        this.emitEvent({ type: 'command', id: c.id, kind: c.kind, action: 'duplicate' });
        await this.flushRecord(rec);
      } else if (active) {
        active.attempt = c.attempts;
        this.emitEvent({ type: 'command', id: c.id, kind: c.kind, action: 'duplicate' });
        await this.ack(c.id, c.attempts);
      } else {
        // Taken by an earlier run that did not finish it.
        const r = await this.commands.update(c.id, (x) => ({ ...x!, attempt: c.attempts }));
        this.emitEvent({ type: 'command', id: c.id, kind: c.kind, action: 'resumed' });
        if ((await this.ack(c.id, c.attempts)) === 'lost') return void (await this.lose(r));
        await this.execute(r);
      }
      return;
    }
    const r = await this.commands.begin({ id: c.id, kind: c.kind, taskId: c.taskId, payload: c.payload ?? {}, attempt: c.attempts });
    this.log.info({ commandId: c.id, kind: c.kind }, `command ${c.kind} received`);
    this.emitEvent({ type: 'command', id: c.id, kind: c.kind, action: 'received' });
    if ((await this.ack(c.id, c.attempts)) === 'lost') return void (await this.lose(r));
    await this.execute(r);
  }

  /** The service took the command back before we started: nothing to do, nothing to tell. */
  private async lose(r: CommandRecord): Promise<void> {
    this.emitEvent({ type: 'command', id: r.id, kind: r.kind, action: 'lost' });
    await this.commands.update(r.id, (x) => ({ ...x!, state: 'finished', report: { ok: false, reason: 'the service took the command back before it started' }, reported: true, finishedAt: this.clock.now().toISOString() }));
  }

  private async execute(r: CommandRecord): Promise<void> {
    switch (r.kind) {
      case 'observe':
        this.enqueueObserve(r);
        return;
      case 'abort':
        return this.abortCommand(r);
      case 'park':
        this.current?.ctl.abort(new Cut('park', 'park: the service asked the node to park'));
        await this.park('command');
        return this.finishCommand(r, { ok: true, result: { parked: true } });
      default:
        return this.finishCommand(r, { ok: false, reason: `unknown command kind '${r.kind}' (this agent knows observe, abort, park)` });
    }
  }

  private async abortCommand(r: CommandRecord): Promise<void> {
    const taskId = typeof r.payload.taskId === 'string' ? r.payload.taskId : r.taskId;
    const why = typeof r.payload.reason === 'string' ? r.payload.reason : 'the service aborted the task';
    let aborted = false;
    const c = this.current;
    if (c && (taskId === null || c.task.taskId === taskId.toLowerCase())) {
      c.ctl.abort(new Cut('abort', `abort: ${why}`));
      aborted = true;
    }
    // Queued observations of that task never start.
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const q = this.queue[i];
      if (taskId === null || q.taskId === taskId) {
        this.queue.splice(i, 1);
        this.active.delete(q.id);
        await this.finishCommand(q, { ok: false, reason: `abort: ${why}`, result: { frames: 0, uploadedFrames: 0, rejected: [] } });
        aborted = true;
      }
    }
    await this.finishCommand(r, { ok: true, result: { aborted, taskId } });
  }

  private async finishCommand(r: CommandRecord, report: CommandReport, endTask?: { taskId: string; reason: string }): Promise<void> {
    const clean: CommandReport = { ok: report.ok, ...(report.result ? { result: report.result } : {}), ...(report.reason ? { reason: report.reason.slice(0, 2000) } : {}) };
    const rec = await this.commands.finish(r.id, clean, endTask ? { taskId: endTask.taskId, reason: endTask.reason.slice(0, 500) } : undefined);
    if (report.ok) this.counters.commandsDone++;
    else this.counters.commandsFailed++;
    this.log.info({ commandId: r.id, kind: r.kind, ok: report.ok, reason: report.reason }, `command ${r.kind} ${report.ok ? 'done' : 'failed'}`);
    await this.flushRecord(rec, this.stopping ? SHUTDOWN_CALL_MS : undefined);
  }

  /** Tells the service what it has not heard yet: the task end, then the report. */
  private async flushRecord(rec: CommandRecord, timeoutMs?: number): Promise<void> {
    const opts = timeoutMs === undefined ? { signal: this.loopsCtl.signal } : { timeoutMs };
    if (this.loopsCtl.signal.aborted && timeoutMs === undefined) return;
    if (rec.endTask && !rec.endTask.sent) {
      const { taskId, reason } = rec.endTask;
      try {
        await this.api.post(`/api/v1/nodes/${this.nodeId}/tasks/${taskId}/end`, { reason }, opts);
        this.emitEvent({ type: 'task-ended', taskId, reason });
        this.log.info({ taskId, reason }, 'task ended');
      } catch (e) {
        if (!isGone(e)) {
          if (timeoutMs !== undefined || !this.loopsCtl.signal.aborted) this.recordError('task end', e);
          return;
        }
      }
      rec = await this.commands.update(rec.id, (x) => ({ ...x!, endTask: { ...x!.endTask!, sent: true } }));
    }
    if (!rec.reported && rec.report) {
      let delivered = true;
      try {
        await this.api.post(`/api/v1/nodes/${this.nodeId}/commands/${rec.id}/report`, rec.report, opts);
      } catch (e) {
        if (!isGone(e)) {
          if (timeoutMs !== undefined || !this.loopsCtl.signal.aborted) this.recordError('report', e);
          return;
        }
        // Cancelled or reported otherwise meanwhile: it stays in our log.
        delivered = false;
        this.log.warn({ commandId: rec.id, err: describeError(e) }, 'the service would not take the report');
      }
      await this.commands.update(rec.id, (x) => ({ ...x!, reported: true }));
      this.emitEvent({ type: 'report', id: rec.id, kind: rec.kind, ok: rec.report.ok, ...(rec.report.reason ? { reason: rec.report.reason } : {}), delivered });
    }
  }

  private async flushPending(): Promise<void> {
    for (const r of this.commands.pending()) {
      if (this.loopsCtl.signal.aborted) return;
      await this.flushRecord(r);
    }
  }

  /** After a restart: observations the previous run did not finish go on where they stopped. */
  private async resumeInterrupted(): Promise<void> {
    for (const r of this.commands.running()) {
      this.emitEvent({ type: 'command', id: r.id, kind: r.kind, action: 'resumed' });
      if (r.kind !== 'observe') {
        await this.finishCommand(r, { ok: false, reason: 'interrupted: the agent restarted' });
        continue;
      }
      const ack = await this.ack(r.id, undefined);
      if (ack === 'lost') {
        this.log.info({ commandId: r.id }, 'interrupted observation: the service took it back meanwhile');
        await this.finishCommand(r, { ok: false, reason: 'interrupted: the agent restarted and the service had taken the command back', result: this.resultOf(r) });
        continue;
      }
      this.log.info({ commandId: r.id, framesDone: r.framesDone }, 'resuming an interrupted observation');
      this.enqueueObserve(r);
    }
  }

  // ------------------------------------------------------------ work

  private canAskForWork(): boolean {
    if (this.stopping || this.current || this.queue.length > 0 || this.weatherOk === false) return false;
    return this.outbox.depth().bytes < this.config.limits.maxOutboxMb * 1024 * 1024;
  }

  private async workLoop(): Promise<void> {
    const retryMs = this.config.limits.workRetryS * 1000;
    let failures = 0;
    while (!this.loopsCtl.signal.aborted) {
      await this.flushPending();
      if (!this.canAskForWork()) {
        await this.workWaker.wait(this.sleep, retryMs, this.loopsCtl.signal);
        continue;
      }
      let a: { task: { id: string }; command: CommandJson; reused: boolean } | null;
      try {
        const r = await this.api.post<{ assignment: typeof a }>(`/api/v1/nodes/${this.nodeId}/work`, undefined, { signal: this.loopsCtl.signal });
        a = r.assignment;
        failures = 0;
      } catch (e) {
        if (this.loopsCtl.signal.aborted) break;
        failures++;
        this.recordError('work', e);
        await this.nap(this.retryDelayMs(failures));
        continue;
      }
      if (a) {
        const rec = this.commands.get(a.command.id);
        if (rec?.state === 'finished') await this.releaseFinishedTask(rec);
        else if (!this.active.has(a.command.id) && (a.command.state === 'DELIVERED' || a.command.state === 'ACKED')) {
          // A delivery we never saw (lost poll response): take it from here.
          await this.dispatch(a.command).catch((e: unknown) => this.recordError('command', e));
        }
        // PENDING: the long poll brings it within its re-poll period, and starting it wakes us.
      }
      await this.workWaker.wait(this.sleep, retryMs, this.loopsCtl.signal);
    }
  }

  /**
   * The service still holds a task this node finished: its credit is waiting for frames
   * still in the outbox or in ingest. Once they are all sent and the grace has passed
   * (some frames failed the checks), end it so the remainder goes back to the pool.
   */
  private async releaseFinishedTask(rec: CommandRecord): Promise<void> {
    if (rec.taskId === null || rec.endTask) return;
    if (this.outbox.list().some((e) => e.meta.taskId === rec.taskId)) return;
    const since = Date.parse(rec.finishedAt ?? rec.receivedAt);
    if (this.clock.now().getTime() - since < this.config.limits.finishedTaskGraceS * 1000) return;
    const r = await this.commands.update(rec.id, (x) => ({ ...x!, endTask: { taskId: rec.taskId as string, reason: 'finished: all frames sent', sent: false } }));
    await this.flushRecord(r);
  }

  // ------------------------------------------------------------ observing

  private enqueueObserve(r: CommandRecord): void {
    if (this.active.has(r.id)) return;
    this.active.set(r.id, { attempt: r.attempt });
    this.queue.push(r);
    this.executing ??= this.runQueue().finally(() => {
      this.executing = undefined;
    });
  }

  private async runQueue(): Promise<void> {
    while (this.queue.length > 0 && !this.stopping) {
      const r = this.queue.shift()!;
      try {
        await this.observe(r);
      } catch (e) {
        this.recordError('observe', e);
      } finally {
        this.active.delete(r.id);
        this.setState();
        this.workWaker.wake();
      }
    }
  }

  private resultOf(c: { framesDone: number; uploadedFrames: number; rejected: RejectedFrame[] }): Record<string, unknown> {
    return { frames: c.framesDone, uploadedFrames: c.uploadedFrames, rejected: c.rejected };
  }

  private async observe(r: CommandRecord): Promise<void> {
    let task: ObserveTask;
    try {
      task = parseObservePayload(r.payload);
    } catch (e) {
      const taskId = r.taskId;
      return this.finishCommand(r, { ok: false, reason: describeError(e), result: this.resultOf(r) }, taskId ? { taskId, reason: `bad command: ${describeError(e)}` } : undefined);
    }
    const ctl = new AbortController();
    const cur: Current = { rec: r, task, ctl, framesDone: r.framesDone, uploadedFrames: r.uploadedFrames, rejected: [...r.rejected] };
    this.current = cur;
    this.setState();
    const signal = ctl.signal;
    const { mount, camera, filterWheel, weather } = this.obs;
    let stoppedEarly: string | undefined;
    try {
      if (this.weatherOk === false) throw new Cut('weather', `weather: ${this.weatherReasons.join('; ') || 'unsafe'}`);
      const filters = filterWheel ? await filterWheel.filters({ signal }) : (this.config.filters ?? []);
      if (!filters.includes(task.filter)) {
        throw new AgentError('FILTER_NOT_PRESENT', `no filter '${task.filter}' on this node (it has ${filters.join(', ') || 'none'})`);
      }
      if (await mount.isParked({ signal })) await mount.unpark({ signal });
      await mount.slew(task.raDeg, task.decDeg, { signal });
      if (filterWheel) await filterWheel.select(task.filter, { signal });
      const masters = mastersFor(this.masters, task.filter);
      for (let i = cur.framesDone; i < task.count; i++) {
        if (signal.aborted) throw signal.reason;
        const now = this.clock.now().getTime();
        if (task.notAfter !== null && now + task.subExposureS * 1000 > task.notAfter.getTime()) {
          stoppedEarly = `window closed at ${task.notAfter.toISOString()}`;
          break;
        }
        if (weather && !(await weather.isSafe({ signal }))) {
          await this.checkWeather();
          throw signal.reason instanceof Cut ? signal.reason : new Cut('weather', 'weather: unsafe');
        }
        const frame = await camera.expose(task.subExposureS, { frameType: 'light', object: task.object, signal });
        await this.keepFrame(cur, frame, i, masters);
        if (i < task.count - 1) await this.renewLease(cur);
      }
      if (stoppedEarly !== undefined) {
        await this.finishCommand(r, { ok: true, result: { ...this.resultOf(cur), stoppedEarly } }, { taskId: task.taskId, reason: stoppedEarly });
      } else await this.finishCommand(r, { ok: true, result: this.resultOf(cur) });
    } catch (e) {
      const cut = signal.aborted && signal.reason instanceof Cut ? signal.reason : e instanceof Cut ? e : undefined;
      const result = { ...this.resultOf(cur), ...(cut ? { cutShort: cut.kind } : {}) };
      if (cut?.kind === 'lease') {
        // The work went to the pool already; the frames taken still count for the mission.
        await this.finishCommand(r, { ok: false, reason: cut.message, result });
      } else if (cut) {
        await this.finishCommand(r, { ok: false, reason: cut.message, result }, { taskId: task.taskId, reason: cut.kind === 'abort' ? cut.message : cut.kind });
      } else {
        this.recordError('observe', e);
        const code = isAgentError(e) ? e.code : e instanceof ApiError ? e.code : 'ERROR';
        await this.finishCommand(r, { ok: false, reason: describeError(e), result }, { taskId: task.taskId, reason: `${code}: ${describeError(e)}` });
      }
    } finally {
      this.current = undefined;
    }
  }

  /** Between frames: ack again so the command (and task) stay ours. */
  private async renewLease(cur: Current): Promise<void> {
    const attempt = this.active.get(cur.rec.id)?.attempt ?? cur.rec.attempt;
    const r = await this.ack(cur.rec.id, attempt);
    if (r === 'lost') {
      // A poll may have just redelivered it (attempt changed): try once with that one.
      const again = this.active.get(cur.rec.id)?.attempt;
      if (again !== undefined && again !== attempt && (await this.ack(cur.rec.id, again)) !== 'lost') return;
      cur.ctl.abort(new Cut('lease', 'lease lost: the service took the task back (the node was silent too long, or the mission closed)'));
      throw cur.ctl.signal.reason;
    }
  }

  /** Edge-processes a frame and puts its measurement and FITS in the outbox; only then does it count. */
  private async keepFrame(cur: Current, frame: CapturedFrame, index: number, masters: ReturnType<typeof mastersFor>): Promise<void> {
    const { task } = cur;
    const L = this.config.limits;
    this.counters.frames++;
    const hasWcs = await frameHasWcs(frame.fits);
    const target = hasWcs
      ? { name: task.object, raDeg: task.raDeg, decDeg: task.decDeg }
      : // No WCS: the mount was told to point at the target, so it is near the middle.
        { name: task.object, xPx: (frame.facts.widthPx - 1) / 2, yPx: (frame.facts.heightPx - 1) / 2 };
    let fileName = `frame ${index + 1}`;
    try {
      const edge = await processFrame(frame.fits, {
        missionId: task.missionId,
        nodeId: this.nodeId,
        masters,
        target,
        minStars: L.minStars,
        ...(L.maxFwhmPx !== undefined ? { maxFwhmPx: L.maxFwhmPx } : {}),
        ...(L.maxEllipticity !== undefined ? { maxEllipticity: L.maxEllipticity } : {}),
      });
      fileName = edge.fileName;
      if (edge.upload && edge.compressed) {
        const meta = { taskId: task.taskId, missionId: task.missionId, commandId: cur.rec.id };
        const body = measurementBody(edge.measurement, { taskId: task.taskId, filter: task.filter });
        if (body) await this.outbox.enqueue({ kind: 'measurement', body, meta: { ...meta, fileName: edge.fileName } });
        const entry = await this.outbox.enqueue({ kind: 'frame', bytes: edge.compressed, fileName: edge.fileName, meta });
        cur.uploadedFrames++;
        this.counters.framesQueued++;
        this.log.info({ taskId: task.taskId, index, fileName: edge.fileName, sha256: entry.sha256, stars: edge.quality.starCount }, 'frame queued');
        this.emitEvent({ type: 'frame', commandId: cur.rec.id, taskId: task.taskId, index, fileName: edge.fileName, upload: true, sha256: entry.sha256, reasons: edge.reasons });
      } else {
        cur.rejected.push({ fileName: edge.fileName, reasons: edge.reasons });
        this.counters.framesRejected++;
        this.log.info({ taskId: task.taskId, index, fileName: edge.fileName, reasons: edge.reasons }, 'frame not uploaded');
        this.emitEvent({ type: 'frame', commandId: cur.rec.id, taskId: task.taskId, index, fileName: edge.fileName, upload: false, reasons: edge.reasons });
      }
    } catch (e) {
      if (!isAgentError(e) || (e.code !== 'BAD_FRAME' && e.code !== 'BAD_NAME')) throw e;
      // A frame the edge cannot read is reported, not fatal: the next one may be fine.
      cur.rejected.push({ fileName, reasons: [describeError(e)] });
      this.counters.framesRejected++;
      this.emitEvent({ type: 'frame', commandId: cur.rec.id, taskId: task.taskId, index, fileName, upload: false, reasons: [describeError(e)] });
    }
    cur.framesDone = index + 1;
    await this.commands.update(cur.rec.id, (x) => ({ ...x!, framesDone: cur.framesDone, uploadedFrames: cur.uploadedFrames, rejected: cur.rejected }));
    void this.writeStatus();
  }

  // ------------------------------------------------------------ uploads

  private onUpload(e: UploadEvent): void {
    this.emitEvent({ type: 'upload', event: e });
    if (e.type === 'sent') {
      this.counters.uploadsSent++;
      this.log.debug({ id: e.id }, 'upload sent');
    } else if (e.type === 'partial') this.log.debug({ id: e.id, offset: e.offset }, 'upload partial');
    else if (e.type === 'failed') this.log.debug({ id: e.id, attempts: e.attempts, retryAt: e.retryAt, err: e.error }, 'upload failed');
    else this.recordError('outbox', `item ${e.id}: ${e.error}`);
    void this.writeStatus();
  }

  /** An item the service refuses for good: kept under rejected/ for a human, never silently dropped. */
  private async keepRejected(item: Delivery, err: ApiError): Promise<void> {
    this.counters.uploadsRejected++;
    this.recordError('upload', `${item.kind} ${item.fileName ?? item.id} refused: ${err.message}`);
    this.emitEvent({ type: 'rejected-upload', id: item.id, kind: item.kind, error: err.message });
    try {
      await mkdir(this.paths.rejected, { recursive: true });
      const base = path.join(this.paths.rejected, item.id);
      await writeFile(`${base}${item.kind === 'frame' ? '.fits' : '.json'}`, item.payload);
      await writeFile(`${base}.error.json`, JSON.stringify({ at: this.clock.now().toISOString(), fileName: item.fileName ?? null, meta: item.meta, status: err.status, code: err.code, message: err.message }, null, 2));
    } catch (e) {
      // The outbox would otherwise drop it: keep it there, and retry later.
      throw new AgentError('IO', `cannot keep the refused ${item.kind} ${item.id}: ${describeError(e)}`, { cause: e });
    }
  }
}
