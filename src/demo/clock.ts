/**
 * The demo's simulated time: a clock running `speed` times faster than real time that
 * stops when the process is too busy to keep up ("elastic").
 *
 * Why not acceleratedClock: the demo runs the service, the pipeline and a dozen simulated
 * telescopes in one Node process. Rendering a frame or plate-solving one blocks the event
 * loop for a second; on a plain accelerated clock that second is minutes of simulated time
 * in which no node could send a heartbeat, so the fault sweeper would fault healthy nodes
 * and leases would expire for nothing. Here simulated time advances on a ticker, by the
 * real time since the last tick but never more than `maxStepMs` per tick: while the event
 * loop is blocked the simulation waits for it, as a real night would not, but every
 * heartbeat, lease and exposure stays on schedule relative to the others. The real time
 * the clock gave up is counted (`stats().pausedRealMs`) and reported.
 *
 * `sleep` waits on simulated time (the agents' and simulated devices' Sleep), woken by the
 * same ticker, so a wait of 30 simulated seconds is 30 simulated seconds however busy the
 * process is.
 */
import type { Clock } from '../network/clock.js';
import type { Sleep } from '../agent/devices/time.js';
import { AgentError } from '../agent/errors.js';
import { DemoError } from './errors.js';

export interface ElasticClockOptions {
  /** Simulated instant when the clock starts. */
  start: Date;
  /** Simulated ms per real ms while the process keeps up. */
  speed: number;
  /** Real ms between ticks (default 10). */
  tickMs?: number;
  /** Largest real ms one tick may count (default 5 × tickMs): the rest of a stall is paused. */
  maxStepMs?: number;
  /**
   * Furthest simulated instant the clock may reach now (ms since the epoch), re-read every
   * tick: time waits there until the limit moves (the demo holds it 70 s after the oldest
   * heartbeat of a running node, so the fault sweeper never faults a node only because
   * the process was too busy to send its heartbeat). Default: no limit.
   */
  limitMs?: () => number;
  /** Real time source, ms (default performance.now). */
  realNowMs?: () => number;
  /** Timer functions (tests drive them by hand). */
  timers?: { setInterval: (fn: () => void, ms: number) => unknown; clearInterval: (handle: unknown) => void };
}

export interface ClockStats {
  /** Simulated ms since the clock was created. */
  simElapsedMs: number;
  /** Real ms since start(). */
  realElapsedMs: number;
  /** Real ms during which the simulation waited for a busy event loop or a late heartbeat. */
  pausedRealMs: number;
}

export interface ElasticClock extends Clock {
  /** Current simulated ms per real ms. */
  readonly speed: number;
  /** Change the speed from now on (e.g. real time once the night is over). */
  setSpeed(speed: number): void;
  /** Wait `ms` of simulated time (rejects with AgentError ABORTED when the signal fires). */
  readonly sleep: Sleep;
  /** Start ticking (time stands still before). Idempotent. */
  start(): void;
  /** Stop ticking and reject every pending sleep. Idempotent. */
  stop(): void;
  stats(): ClockStats;
}

interface Waiter {
  atMs: number;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

function abortReason(signal: AbortSignal): AgentError {
  return signal.reason instanceof AgentError ? signal.reason : new AgentError('ABORTED', 'wait aborted', { cause: signal.reason });
}

export function elasticClock(opts: ElasticClockOptions): ElasticClock {
  const startMs = opts.start instanceof Date ? opts.start.getTime() : NaN;
  if (!Number.isFinite(startMs)) throw new DemoError('BAD_OPTION', `clock start must be a valid Date, got ${String(opts.start)}`);
  if (!(Number.isFinite(opts.speed) && opts.speed > 0)) throw new DemoError('BAD_OPTION', `clock speed must be a positive number, got ${opts.speed}`);
  const tickMs = opts.tickMs ?? 10;
  if (!(tickMs > 0)) throw new DemoError('BAD_OPTION', `clock tickMs must be > 0, got ${tickMs}`);
  const maxStepMs = opts.maxStepMs ?? 5 * tickMs;
  if (!(maxStepMs >= tickMs)) throw new DemoError('BAD_OPTION', `clock maxStepMs must be ≥ tickMs (${tickMs}), got ${maxStepMs}`);
  const realNow = opts.realNowMs ?? (() => performance.now());
  const timers = opts.timers ?? {
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms),
    clearInterval: (h: unknown) => clearInterval(h as NodeJS.Timeout),
  };
  let speed = opts.speed;

  let simMs = startMs;
  let lastReal = 0;
  let realStart = 0;
  let paused = 0;
  let handle: unknown = null;
  let running = false;
  let stopped = false;
  let waiters: Waiter[] = [];

  const limit = opts.limitMs ?? (() => Infinity);
  let limitNow = Infinity;

  /** Simulated time now, without committing it. */
  const peek = (): number => {
    if (!running) return simMs;
    return Math.max(simMs, Math.min(simMs + Math.min(Math.max(0, realNow() - lastReal), maxStepMs) * speed, limitNow));
  };

  const tick = (): void => {
    const r = realNow();
    const elapsed = Math.max(0, r - lastReal);
    const step = Math.min(elapsed, maxStepMs);
    limitNow = limit();
    const next = Math.max(simMs, Math.min(simMs + step * speed, limitNow));
    // Real time not turned into simulated time: a stall, or waiting at the limit.
    paused += elapsed - (next - simMs) / speed;
    simMs = next;
    lastReal = r;
    if (waiters.length === 0) return;
    const due: Waiter[] = [];
    const rest: Waiter[] = [];
    for (const w of waiters) (w.atMs <= simMs ? due : rest).push(w);
    if (due.length === 0) return;
    waiters = rest;
    due.sort((a, b) => a.atMs - b.atMs);
    for (const w of due) {
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.resolve();
    }
  };

  const sleep: Sleep = (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      if (stopped) return reject(new AgentError('ABORTED', 'the simulation clock is stopped'));
      if (!(ms > 0)) {
        // Still yield, like a zero timeout, so loops that sleep(0) let others run.
        setImmediate(() => (signal?.aborted ? reject(abortReason(signal)) : resolve()));
        return;
      }
      const w: Waiter = { atMs: peek() + ms, resolve, reject, signal };
      if (signal) {
        w.onAbort = () => {
          waiters = waiters.filter((x) => x !== w);
          reject(abortReason(signal));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      waiters.push(w);
    });

  return {
    get speed() {
      return speed;
    },
    setSpeed(next: number) {
      if (!(Number.isFinite(next) && next > 0)) throw new DemoError('BAD_OPTION', `clock speed must be a positive number, got ${next}`);
      if (running) tick();
      speed = next;
    },
    sleep,
    now: () => new Date(peek()),
    start() {
      if (running || stopped) return;
      running = true;
      limitNow = limit();
      lastReal = realNow();
      realStart = lastReal;
      handle = timers.setInterval(tick, tickMs);
    },
    stop() {
      if (stopped) return;
      if (running) tick();
      stopped = true;
      running = false;
      if (handle !== null) timers.clearInterval(handle);
      handle = null;
      const pending = waiters;
      waiters = [];
      for (const w of pending) {
        if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
        w.reject(new AgentError('ABORTED', 'the simulation clock stopped'));
      }
    },
    stats() {
      return { simElapsedMs: peek() - startMs, realElapsedMs: running ? realNow() - realStart : lastReal - realStart, pausedRealMs: paused };
    },
  };
}
