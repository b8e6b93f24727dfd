/**
 * The agent's memory of the commands it was given, on disk (one JSON file, replaced
 * atomically and fsynced). Delivery is at least once (decision 0034), so a command comes
 * again after a lost poll response, a lease that ran out, or a restart; the log says what
 * to do with it:
 *
 *   running   taken and (being) executed; after a restart an observe resumes from
 *             `framesDone` rather than starting again
 *   finished  done or failed, with the report; sent again if the service has not got it
 *
 * A frame is counted in `framesDone` only after it is in the outbox, so a crash between
 * the two at worst takes that frame again. The most recent `keep` commands are kept.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../network/clock.js';
import { AgentError, describeError } from '../errors.js';

export interface CommandReport {
  ok: boolean;
  result?: Record<string, unknown>;
  reason?: string;
}

export interface RejectedFrame {
  fileName: string;
  reasons: string[];
}

export interface CommandRecord {
  id: string;
  kind: string;
  taskId: string | null;
  payload: Record<string, unknown>;
  state: 'running' | 'finished';
  /** Delivery the latest ack named (`attempts` of the command). */
  attempt: number;
  receivedAt: string;
  /** Observe progress. */
  framesDone: number;
  uploadedFrames: number;
  rejected: RejectedFrame[];
  report?: CommandReport;
  /** The service accepted the report (or can never take it). */
  reported: boolean;
  finishedAt?: string;
  /** A task end still to tell the service (cut short, or a finished task held too long). */
  endTask?: { taskId: string; reason: string; sent: boolean };
}

const VERSION = 1;

export class CommandLog {
  private readonly records = new Map<string, CommandRecord>();
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    private readonly clock: Clock,
    private readonly keep: number,
  ) {}

  /** Opens the log at `file` (created on first write). An unreadable log is set aside, not trusted. */
  static async open(file: string, clock: Clock, opts: { keep?: number } = {}): Promise<CommandLog> {
    const log = new CommandLog(file, clock, opts.keep ?? 500);
    let text: string | undefined;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AgentError('IO', `cannot read the command log ${file}: ${describeError(e)}`, { cause: e });
    }
    if (text !== undefined) {
      try {
        const doc = JSON.parse(text) as { version: number; commands: CommandRecord[] };
        if (doc.version !== VERSION || !Array.isArray(doc.commands)) throw new Error(`version ${String(doc.version)}`);
        for (const r of doc.commands) if (typeof r?.id === 'string') log.records.set(r.id, r);
      } catch (e) {
        // Written atomically, so this is disk damage: keep it for a human and start empty.
        await rename(file, `${file}.corrupt-${clock.now().getTime()}`).catch(() => undefined);
        void e;
      }
    }
    return log;
  }

  get(id: string): CommandRecord | undefined {
    const r = this.records.get(id);
    return r ? structuredClone(r) : undefined;
  }

  /** Observe commands taken but not finished (a previous run was killed). */
  running(): CommandRecord[] {
    return [...this.records.values()].filter((r) => r.state === 'running').map((r) => structuredClone(r));
  }

  /** Finished commands whose report or task end the service has not acknowledged. */
  pending(): CommandRecord[] {
    return [...this.records.values()].filter((r) => r.state === 'finished' && (!r.reported || (r.endTask !== undefined && !r.endTask.sent))).map((r) => structuredClone(r));
  }

  /** Finished observe commands whose task the service may still hold. */
  finishedTasks(): CommandRecord[] {
    return [...this.records.values()].filter((r) => r.state === 'finished' && r.kind === 'observe' && r.taskId !== null).map((r) => structuredClone(r));
  }

  /** Records a new command as running. */
  begin(c: { id: string; kind: string; taskId: string | null; payload: Record<string, unknown>; attempt: number }): Promise<CommandRecord> {
    return this.update(c.id, () => ({
      id: c.id,
      kind: c.kind,
      taskId: c.taskId,
      payload: c.payload,
      state: 'running',
      attempt: c.attempt,
      receivedAt: this.clock.now().toISOString(),
      framesDone: 0,
      uploadedFrames: 0,
      rejected: [],
      reported: false,
    }));
  }

  /** Changes a record (the function gets a copy); creates it when `fn` is given none. */
  update(id: string, fn: (r: CommandRecord | undefined) => CommandRecord): Promise<CommandRecord> {
    const run = this.chain.then(async () => {
      const current = this.records.get(id);
      const next = fn(current ? structuredClone(current) : undefined);
      this.records.set(id, next);
      this.prune();
      await this.save();
      return structuredClone(next);
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  finish(id: string, report: CommandReport, endTask?: { taskId: string; reason: string }): Promise<CommandRecord> {
    return this.update(id, (r) => {
      if (!r) throw new AgentError('BAD_ARGUMENT', `no command '${id}' in the log`);
      return { ...r, state: 'finished', report, reported: false, finishedAt: this.clock.now().toISOString(), ...(endTask ? { endTask: { ...endTask, sent: false } } : {}) };
    });
  }

  private prune(): void {
    if (this.records.size <= this.keep) return;
    // Oldest finished first; running commands are never dropped.
    const finished = [...this.records.values()].filter((r) => r.state === 'finished').sort((a, b) => ((a.finishedAt ?? '') < (b.finishedAt ?? '') ? -1 : 1));
    for (const r of finished) {
      if (this.records.size <= this.keep) break;
      this.records.delete(r.id);
    }
  }

  private async save(): Promise<void> {
    const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
    const body = JSON.stringify({ version: VERSION, commands: [...this.records.values()] });
    try {
      await mkdir(path.dirname(this.file), { recursive: true });
      const fh = await open(tmp, 'wx');
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.file);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw new AgentError('IO', `cannot write the command log ${this.file}: ${describeError(e)}`, { cause: e });
    }
  }

  /** Waits for pending writes. */
  async flush(): Promise<void> {
    await this.chain;
  }
}
