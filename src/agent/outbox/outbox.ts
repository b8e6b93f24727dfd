/**
 * The durable outbox: what the node has measured or exposed and not yet delivered. An
 * item is acknowledged (enqueue resolves) only once it is on disk — written to tmp/,
 * fsynced, renamed into items/, the directory fsynced — so a frame the agent was told is
 * safe survives kill -9 and power cuts, and a half-written one never appears.
 *
 * No manifest: the state is the directory.
 *   items/<id>.item   one committed item (header line + payload); its name orders the queue
 *   state/<id>.json   delivery state (attempts, next attempt, upload offset, last error);
 *                     replaced atomically; a lost update only means a retry comes sooner
 *   tmp/              writes in progress; emptied on open (they were never acknowledged)
 *   corrupt/          items whose bytes no longer match their SHA-256 (kept for a human)
 *   LOCK              the pid of the agent using the directory
 * An id is "<priority>-<created ms, 13 digits>-<sequence, 6 digits>-<random>", priority 0
 * for measurements (compact JSON) and 1 for frames, so sorting ids gives the delivery
 * order: measurements before frames, then oldest first.
 *
 * markSent removes the item file first (then its state): after that the outbox never
 * hands it out again, across restarts. Delivery is at-least-once — a crash between the
 * server accepting an item and markSent resends it after restart — which is why every
 * item carries a stable id and SHA-256 for the server to deduplicate.
 */
import { createHash, randomBytes, randomInt } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../network/clock.js';
import { Rng } from '../../science/inference/random.js';
import { AgentError, describeError } from '../errors.js';
import { backoffDelayMs, resolveBackoff, type BackoffPolicy } from './backoff.js';
import { syncDir, writeDurably } from './fs-durable.js';

export type OutboxKind = 'measurement' | 'frame';

export type OutboxItem =
  | { kind: 'measurement'; body: unknown; meta?: Record<string, unknown> }
  | { kind: 'frame'; bytes: Uint8Array; fileName: string; meta?: Record<string, unknown> };

/** A pending item as the queue sees it (payload not loaded). */
export interface OutboxEntry {
  id: string;
  kind: OutboxKind;
  /** UTC ISO-8601 enqueue time. */
  createdAt: string;
  sizeBytes: number;
  sha256: string;
  fileName?: string;
  meta: Record<string, unknown>;
  attempts: number;
  /** Bytes the server already has (resumable uploads). */
  offset: number;
  /** Epoch ms before which it is not retried. */
  nextAttemptMs: number;
  lastError?: { at: string; message: string };
}

export interface OutboxError {
  id: string;
  at: string;
  message: string;
  attempts: number;
}

export interface OutboxDepth {
  items: number;
  bytes: number;
  measurements: number;
  frames: number;
}

export interface OutboxOptions {
  dir: string;
  clock: Clock;
  backoff?: BackoffPolicy;
  /** Uniform [0, 1) draws for the jitter; default a generator seeded from the OS. */
  random?: () => number;
}

interface Header {
  id: string;
  kind: OutboxKind;
  createdAt: string;
  sizeBytes: number;
  sha256: string;
  fileName?: string;
  meta?: Record<string, unknown>;
}

interface State {
  attempts: number;
  nextAttemptMs: number;
  offset: number;
  lastError?: { at: string; message: string };
}

const MAGIC = 'OAOUTBOX1\n';
const ID = /^([01])-(\d{13})-(\d{6})-([0-9a-f]{8})$/;
const MAX_HEADER_BYTES = 1 << 20;
const FILE_NAME = /^[^/\\\0]{1,255}$/;

function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

export class Outbox {
  readonly dir: string;
  private readonly clock: Clock;
  private readonly policy: Required<BackoffPolicy>;
  private readonly random: () => number;
  /** Pending entries by id; ids sort in delivery order. */
  private readonly entries = new Map<string, OutboxEntry>();
  private readonly bySha = new Map<string, string>();
  private readonly leased = new Set<string>();
  private readonly corrupt: OutboxError[] = [];
  private readonly wakers = new Set<() => void>();
  private seq = 0;
  private closed = false;
  /** Mutations one at a time: the directory and the in-memory index change together. */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(opts: OutboxOptions) {
    this.dir = opts.dir;
    this.clock = opts.clock;
    this.policy = resolveBackoff(opts.backoff);
    if (opts.random) this.random = opts.random;
    else {
      const rng = new Rng(randomInt(0, 2 ** 47));
      this.random = () => rng.uniform();
    }
  }

  private path(sub: string, name = ''): string {
    return name ? join(this.dir, sub, name) : join(this.dir, sub);
  }

  /** Opens (creating if needed) the outbox in `dir`, recovering from any crash. */
  static async open(opts: OutboxOptions): Promise<Outbox> {
    const ob = new Outbox(opts);
    try {
      for (const sub of ['', 'tmp', 'items', 'state', 'corrupt']) await mkdir(ob.path(sub), { recursive: true });
    } catch (e) {
      throw new AgentError('IO', `cannot create outbox directory ${opts.dir}: ${describeError(e)}`, { cause: e });
    }
    await ob.lock();
    try {
      await ob.recover();
    } catch (e) {
      await ob.unlock();
      throw e;
    }
    return ob;
  }

  private async lock(): Promise<void> {
    const lockPath = join(this.dir, 'LOCK');
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fh = await open(lockPath, 'wx');
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
        await fh.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new AgentError('IO', `cannot lock outbox ${this.dir}: ${describeError(e)}`, { cause: e });
      }
      const pid = Number((await readFile(lockPath, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new AgentError('LOCKED', `outbox ${this.dir} is in use by process ${pid}`);
      }
      // A stale lock from a process that died (kill -9, reboot): take it over.
      await unlink(lockPath).catch(() => undefined);
    }
    throw new AgentError('LOCKED', `cannot take the lock of outbox ${this.dir}`);
  }

  private async unlock(): Promise<void> {
    await unlink(join(this.dir, 'LOCK')).catch(() => undefined);
  }

  private async recover(): Promise<void> {
    // Unacknowledged writes: gone.
    for (const f of await readdir(this.path('tmp'))) await rm(this.path('tmp', f), { force: true, recursive: true });
    const states = new Set(await readdir(this.path('state')));
    for (const f of (await readdir(this.path('items'))).sort()) {
      if (!f.endsWith('.item')) continue;
      const id = f.slice(0, -5);
      const m = ID.exec(id);
      if (!m) continue;
      this.seq = Math.max(this.seq, Number(m[3]));
      let header: Header;
      try {
        header = await this.readHeader(id);
      } catch (e) {
        await this.quarantine(id, describeError(e));
        continue;
      }
      const state = states.has(`${id}.json`) ? await this.readState(id) : undefined;
      const entry: OutboxEntry = {
        id,
        kind: header.kind,
        createdAt: header.createdAt,
        sizeBytes: header.sizeBytes,
        sha256: header.sha256,
        ...(header.fileName !== undefined ? { fileName: header.fileName } : {}),
        meta: header.meta ?? {},
        attempts: state?.attempts ?? 0,
        offset: Math.min(state?.offset ?? 0, header.sizeBytes),
        nextAttemptMs: state?.nextAttemptMs ?? 0,
        ...(state?.lastError ? { lastError: state.lastError } : {}),
      };
      this.entries.set(id, entry);
      this.bySha.set(`${entry.kind}:${entry.sha256}`, id);
    }
    // State files whose item was delivered (crash between the two unlinks) or never committed.
    for (const f of states) {
      const id = f.replace(/\.json(\.tmp)?$/, '');
      if (!this.entries.has(id) || f.endsWith('.tmp')) await rm(this.path('state', f), { force: true });
    }
  }

  private async readHeader(id: string): Promise<Header> {
    const file = this.path('items', `${id}.item`);
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      const head = new Uint8Array(Math.min(size, MAX_HEADER_BYTES));
      await fh.read(head, 0, head.length, 0);
      return parseHeader(head, size, id);
    } finally {
      await fh.close();
    }
  }

  private async readState(id: string): Promise<State | undefined> {
    try {
      const s = JSON.parse(await readFile(this.path('state', `${id}.json`), 'utf8')) as State;
      if (!Number.isInteger(s.attempts) || s.attempts < 0 || !Number.isFinite(s.nextAttemptMs) || !Number.isInteger(s.offset) || s.offset < 0) return undefined;
      return s;
    } catch {
      return undefined; // unreadable state: start the item afresh
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new AgentError('BAD_ARGUMENT', `outbox ${this.dir} is closed`));
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * Stores an item durably; resolves with its entry once it is on disk. The same content
   * (kind and SHA-256) already pending is not stored twice: its entry is returned.
   */
  enqueue(item: OutboxItem): Promise<OutboxEntry> {
    let payload: Uint8Array;
    let fileName: string | undefined;
    if (item === null || typeof item !== 'object') return Promise.reject(new AgentError('BAD_ARGUMENT', 'outbox item is required'));
    if (item.kind === 'measurement') {
      let json: string | undefined;
      try {
        json = JSON.stringify(item.body);
      } catch (e) {
        return Promise.reject(new AgentError('BAD_ARGUMENT', `measurement is not JSON-serialisable: ${describeError(e)}`));
      }
      if (json === undefined) return Promise.reject(new AgentError('BAD_ARGUMENT', 'measurement body is required'));
      payload = new TextEncoder().encode(json);
    } else if (item.kind === 'frame') {
      if (!(item.bytes instanceof Uint8Array) || item.bytes.length === 0) return Promise.reject(new AgentError('BAD_ARGUMENT', 'frame bytes are required'));
      if (typeof item.fileName !== 'string' || !FILE_NAME.test(item.fileName)) return Promise.reject(new AgentError('BAD_ARGUMENT', `bad frame file name ${JSON.stringify(item.fileName)}`));
      payload = item.bytes;
      fileName = item.fileName;
    } else {
      return Promise.reject(new AgentError('BAD_ARGUMENT', `unknown outbox item kind '${String((item as { kind: unknown }).kind)}' (measurement, frame)`));
    }
    const meta = item.meta ?? {};
    try {
      JSON.stringify(meta);
    } catch (e) {
      return Promise.reject(new AgentError('BAD_ARGUMENT', `item meta is not JSON-serialisable: ${describeError(e)}`));
    }
    const hash = sha256(payload);
    return this.exclusive(async () => {
      const dup = this.bySha.get(`${item.kind}:${hash}`);
      if (dup && this.entries.has(dup)) return { ...this.entries.get(dup)! };
      const now = this.clock.now();
      const id = `${item.kind === 'measurement' ? 0 : 1}-${String(Math.max(0, now.getTime())).padStart(13, '0')}-${String(++this.seq % 1e6).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
      const header: Header = { id, kind: item.kind, createdAt: now.toISOString(), sizeBytes: payload.length, sha256: hash, ...(fileName !== undefined ? { fileName } : {}), meta };
      const head = new TextEncoder().encode(`${MAGIC}${JSON.stringify(header)}\n`);
      await writeDurably(this.path('tmp', `${id}.item`), this.path('items', `${id}.item`), [head, payload], this.path('items'));
      const entry: OutboxEntry = { id, kind: item.kind, createdAt: header.createdAt, sizeBytes: payload.length, sha256: hash, ...(fileName !== undefined ? { fileName } : {}), meta, attempts: 0, offset: 0, nextAttemptMs: 0 };
      this.entries.set(id, entry);
      this.bySha.set(`${item.kind}:${hash}`, id);
      for (const w of [...this.wakers]) w();
      return { ...entry };
    });
  }

  /** Called (once per call) when an item is enqueued; returns an unsubscribe function. */
  onEnqueue(wake: () => void): () => void {
    this.wakers.add(wake);
    return () => this.wakers.delete(wake);
  }

  /**
   * The next item due for delivery — measurements before frames, oldest first, skipping
   * those waiting out a backoff — leased to the caller until markSent, markFailed or
   * release. Undefined when nothing is due.
   */
  next(): OutboxEntry | undefined {
    const now = this.clock.now().getTime();
    let best: OutboxEntry | undefined;
    for (const e of this.entries.values()) {
      if (this.leased.has(e.id) || e.nextAttemptMs > now) continue;
      if (!best || e.id < best.id) best = e;
    }
    if (!best) return undefined;
    this.leased.add(best.id);
    return { ...best };
  }

  /** Epoch ms when the next item not leased becomes due (undefined when the queue is empty). */
  nextDueMs(): number | undefined {
    let t: number | undefined;
    for (const e of this.entries.values()) if (!this.leased.has(e.id) && (t === undefined || e.nextAttemptMs < t)) t = e.nextAttemptMs;
    return t;
  }

  /**
   * Makes every item waiting out a backoff due now (in memory: after a restart the
   * recorded retry times hold). The uploader calls it when the link comes back.
   */
  expedite(): void {
    const now = this.clock.now().getTime();
    for (const [id, e] of this.entries) if (e.nextAttemptMs > now) this.entries.set(id, { ...e, nextAttemptMs: now });
  }

  /** Gives a leased item back without counting an attempt. */
  release(id: string): void {
    this.leased.delete(id);
  }

  private require(id: string): OutboxEntry {
    const e = this.entries.get(id);
    if (!e) throw new AgentError('UNKNOWN_ITEM', `no pending outbox item '${id}'`);
    return e;
  }

  /** The payload, checked against its SHA-256 (a corrupt item is moved to corrupt/ and UNKNOWN_ITEM thrown). */
  async read(id: string): Promise<Uint8Array> {
    const e = this.require(id);
    let bytes: Uint8Array;
    try {
      const file = new Uint8Array(await readFile(this.path('items', `${id}.item`)));
      const header = parseHeader(file.subarray(0, Math.min(file.length, MAX_HEADER_BYTES)), file.length, id);
      bytes = file.subarray(file.length - header.sizeBytes);
    } catch (err) {
      await this.exclusive(() => this.quarantine(id, describeError(err)));
      throw new AgentError('UNKNOWN_ITEM', `outbox item '${id}' is unreadable and was set aside: ${describeError(err)}`, { cause: err });
    }
    if (sha256(bytes) !== e.sha256) {
      await this.exclusive(() => this.quarantine(id, 'payload does not match its SHA-256'));
      throw new AgentError('UNKNOWN_ITEM', `outbox item '${id}' is corrupt (SHA-256 mismatch) and was set aside`);
    }
    return bytes;
  }

  /** Delivered: removes the item for good. */
  markSent(id: string): Promise<void> {
    return this.exclusive(async () => {
      const e = this.require(id);
      try {
        await unlink(this.path('items', `${id}.item`));
        await syncDir(this.path('items'));
      } catch (err) {
        throw new AgentError('IO', `cannot remove delivered item '${id}': ${describeError(err)}`, { cause: err });
      }
      this.entries.delete(id);
      this.leased.delete(id);
      if (this.bySha.get(`${e.kind}:${e.sha256}`) === id) this.bySha.delete(`${e.kind}:${e.sha256}`);
      await rm(this.path('state', `${id}.json`), { force: true });
    });
  }

  /** A failed attempt: counts it and schedules the retry with backoff and jitter. */
  markFailed(id: string, error: unknown): Promise<OutboxEntry> {
    return this.exclusive(async () => {
      const e = this.require(id);
      const now = this.clock.now();
      const attempts = e.attempts + 1;
      const u = this.random();
      if (!(u >= 0 && u < 1)) throw new AgentError('BAD_ARGUMENT', `random() must return a number in [0, 1), got ${u}`);
      const next: OutboxEntry = { ...e, attempts, nextAttemptMs: now.getTime() + backoffDelayMs(attempts, this.policy, u), lastError: { at: now.toISOString(), message: describeError(error).slice(0, 2000) } };
      await this.writeState(next);
      this.entries.set(id, next);
      this.leased.delete(id);
      return { ...next };
    });
  }

  /** Records how many bytes the server has (kept across restarts). */
  recordOffset(id: string, offset: number): Promise<void> {
    return this.exclusive(async () => {
      const e = this.require(id);
      if (!Number.isInteger(offset) || offset < 0 || offset > e.sizeBytes) throw new AgentError('BAD_ARGUMENT', `offset ${offset} outside 0 … ${e.sizeBytes} of item '${id}'`);
      const next = { ...e, offset };
      await this.writeState(next);
      this.entries.set(id, next);
    });
  }

  private async writeState(e: OutboxEntry): Promise<void> {
    const s: State = { attempts: e.attempts, nextAttemptMs: e.nextAttemptMs, offset: e.offset, ...(e.lastError ? { lastError: e.lastError } : {}) };
    const tmp = this.path('state', `${e.id}.json.${randomBytes(4).toString('hex')}.tmp`);
    // Without the directory fsync: losing this update on a power cut only makes the retry come sooner.
    await writeDurably(tmp, this.path('state', `${e.id}.json`), [new TextEncoder().encode(JSON.stringify(s))]);
  }

  private async quarantine(id: string, reason: string): Promise<void> {
    await rename(this.path('items', `${id}.item`), this.path('corrupt', `${id}.item`)).catch(() => undefined);
    await rm(this.path('state', `${id}.json`), { force: true });
    const e = this.entries.get(id);
    this.entries.delete(id);
    this.leased.delete(id);
    if (e && this.bySha.get(`${e.kind}:${e.sha256}`) === id) this.bySha.delete(`${e.kind}:${e.sha256}`);
    this.corrupt.push({ id, at: this.clock.now().toISOString(), message: `set aside as corrupt: ${reason}`, attempts: e?.attempts ?? 0 });
  }

  /** Snapshot of the pending entries in delivery order. */
  list(): OutboxEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map((e) => ({ ...e }));
  }

  depth(): OutboxDepth {
    let bytes = 0;
    let measurements = 0;
    for (const e of this.entries.values()) {
      bytes += e.sizeBytes;
      if (e.kind === 'measurement') measurements++;
    }
    return { items: this.entries.size, bytes, measurements, frames: this.entries.size - measurements };
  }

  /** The most recent delivery errors of pending items and corrupt items, newest first. */
  lastErrors(limit = 10): OutboxError[] {
    const errs: OutboxError[] = [...this.corrupt];
    for (const e of this.entries.values()) if (e.lastError) errs.push({ id: e.id, at: e.lastError.at, message: e.lastError.message, attempts: e.attempts });
    return errs.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0)).slice(0, limit);
  }

  /** Waits for pending writes, then releases the directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.chain;
    this.closed = true;
    this.wakers.clear();
    await this.unlock();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseHeader(head: Uint8Array, fileSize: number, id: string): Header {
  const text = new TextDecoder().decode(head.subarray(0, Math.min(head.length, MAX_HEADER_BYTES)));
  if (!text.startsWith(MAGIC)) throw new AgentError('IO', `item '${id}' does not start with the outbox magic`);
  const end = text.indexOf('\n', MAGIC.length);
  if (end < 0) throw new AgentError('IO', `item '${id}' has no complete header`);
  let h: Header;
  try {
    h = JSON.parse(text.slice(MAGIC.length, end)) as Header;
  } catch (e) {
    throw new AgentError('IO', `item '${id}' has an unreadable header: ${describeError(e)}`, { cause: e });
  }
  const headerBytes = new TextEncoder().encode(text.slice(0, end + 1)).length;
  if (h.id !== id || (h.kind !== 'measurement' && h.kind !== 'frame') || !Number.isInteger(h.sizeBytes) || typeof h.sha256 !== 'string') {
    throw new AgentError('IO', `item '${id}' has an inconsistent header`);
  }
  if (headerBytes + h.sizeBytes !== fileSize) throw new AgentError('IO', `item '${id}' is ${fileSize} bytes, its header says ${headerBytes + h.sizeBytes}`);
  return h;
}

/**
 * What a status command shows without taking the lock (the agent may be running): queue
 * depth and the last errors, read from the directory.
 */
export async function inspectOutbox(dir: string, limit = 10): Promise<{ depth: OutboxDepth; lastErrors: OutboxError[] }> {
  const depth: OutboxDepth = { items: 0, bytes: 0, measurements: 0, frames: 0 };
  const errors: OutboxError[] = [];
  let names: string[];
  try {
    names = await readdir(join(dir, 'items'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { depth, lastErrors: [] };
    throw new AgentError('IO', `cannot read outbox ${dir}: ${describeError(e)}`, { cause: e });
  }
  for (const f of names) {
    const m = ID.exec(f.replace(/\.item$/, ''));
    if (!m || !f.endsWith('.item')) continue;
    const id = f.slice(0, -5);
    const st = await stat(join(dir, 'items', f)).catch(() => undefined);
    if (!st) continue;
    depth.items++;
    depth.bytes += st.size;
    if (m[1] === '0') depth.measurements++;
    else depth.frames++;
    try {
      const s = JSON.parse(await readFile(join(dir, 'state', `${id}.json`), 'utf8')) as State;
      if (s.lastError) errors.push({ id, at: s.lastError.at, message: s.lastError.message, attempts: s.attempts });
    } catch {
      /* no state yet */
    }
  }
  return { depth, lastErrors: errors.sort((a, b) => (a.at < b.at ? 1 : -1)).slice(0, limit) };
}
