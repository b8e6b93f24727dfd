/**
 * The demo's progress on the terminal: per node (state, target, frames), per mission
 * (exposure delivered / required), per queue (jobs waiting and running). On a terminal one
 * block is redrawn in place, with events ("ToO alert", "node FAULTED") printed above it as
 * they happen; otherwise (a pipe, a log file, CI) events are printed as lines and the state
 * as one line every `lineEveryS` real seconds.
 */

export interface NodeLine {
  name: string;
  site: string;
  /** Agent state (ONLINE, BUSY, PARKED, …) or the service's FAULTED. */
  state: string;
  target: string | null;
  frames: number;
  linkUp: boolean;
}

export interface MissionLine {
  label: string;
  state: string;
  deliveredS: number;
  totalS: number;
}

export interface QueueLine {
  queue: string;
  waiting: number;
  running: number;
  failed: number;
}

export interface Snapshot {
  simTime: Date;
  realS: number;
  /** Real seconds the simulation waited for the busy process. */
  pausedS: number;
  phase: string;
  nodes: NodeLine[];
  missions: MissionLine[];
  queues: QueueLine[];
}

export interface ProgressOutput {
  write(text: string): void;
  tty: boolean;
  /** Terminal width (default 100). */
  columns?: number;
}

const STATE_MARK: Record<string, string> = { BUSY: '●', ONLINE: '○', PARKED: '◌', FAULTED: '✖', STARTING: '…', STOPPING: '…', STOPPED: '·' };

export class ProgressDisplay {
  private drawn = 0;
  private lastLine = -Infinity;

  constructor(
    private readonly out: ProgressOutput,
    private readonly lineEveryS = 10,
  ) {}

  /** A line that stays (printed above the live block on a terminal). */
  event(simTime: Date, text: string): void {
    const line = `${clock(simTime)}  ${text}\n`;
    if (this.out.tty) {
      this.clear();
      this.out.write(line);
    } else this.out.write(line);
  }

  update(s: Snapshot): void {
    if (this.out.tty) {
      const block = renderBlock(s, this.out.columns ?? 100);
      this.clear();
      this.out.write(block.join('\n') + '\n');
      this.drawn = block.length;
      return;
    }
    if (s.realS - this.lastLine < this.lineEveryS) return;
    this.lastLine = s.realS;
    this.out.write(`${renderLine(s)}\n`);
  }

  /** Leaves the last block on screen and stops redrawing over it. */
  finish(): void {
    this.drawn = 0;
  }

  private clear(): void {
    if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }
}

export function clock(d: Date): string {
  return `${d.toISOString().slice(5, 10)} ${d.toISOString().slice(11, 16)}Z`;
}

function bar(fraction: number, width: number): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return '█'.repeat(full) + '░'.repeat(width - full);
}

export function renderBlock(s: Snapshot, columns: number): string[] {
  const w = Math.max(60, Math.min(columns, 140));
  const lines: string[] = [];
  lines.push(`── OpenAstro demo ── simulated ${clock(s.simTime)} ── ${s.phase} ── real ${fmtS(s.realS)}${s.pausedS >= 1 ? ` (sim paused ${fmtS(s.pausedS)} for CPU)` : ''}`.slice(0, w));
  const nameW = Math.max(...s.nodes.map((n) => n.name.length), 4);
  const half = Math.ceil(s.nodes.length / 2);
  const cell = (n: NodeLine) =>
    `${STATE_MARK[n.state] ?? '?'} ${n.name.padEnd(nameW)} ${n.state.padEnd(7)} ${String(n.frames).padStart(3)}f ${(n.linkUp ? (n.target ?? '') : 'link down').slice(0, 18).padEnd(18)}`;
  const twoCols = w >= 2 * (nameW + 36);
  if (twoCols) {
    for (let i = 0; i < half; i++) lines.push(`${cell(s.nodes[i])}  ${s.nodes[i + half] ? cell(s.nodes[i + half]) : ''}`.trimEnd());
  } else for (const n of s.nodes) lines.push(cell(n));
  const labelW = Math.min(40, Math.max(...s.missions.map((m) => m.label.length), 8));
  for (const m of s.missions) {
    const f = m.totalS > 0 ? m.deliveredS / m.totalS : 0;
    lines.push(`${m.label.slice(0, labelW).padEnd(labelW)} ${bar(f, 20)} ${fmtMin(m.deliveredS)}/${fmtMin(m.totalS)} min ${m.state}`.slice(0, w));
  }
  lines.push(`queues: ${s.queues.map((q) => `${q.queue} ${q.waiting}${q.running > 0 ? `+${q.running}▶` : ''}${q.failed > 0 ? ` ${q.failed}✖` : ''}`).join('  ')}`.slice(0, w));
  return lines;
}

export function renderLine(s: Snapshot): string {
  const count = (st: string) => s.nodes.filter((n) => n.state === st).length;
  const nodes = `nodes ${count('BUSY')} busy ${count('ONLINE')} idle ${count('PARKED')} parked${count('FAULTED') > 0 ? ` ${count('FAULTED')} FAULTED` : ''}`;
  const missions = s.missions.map((m) => `${m.label.split(':')[0]} ${fmtMin(m.deliveredS)}/${fmtMin(m.totalS)}m`).join(', ');
  const queues = s.queues
    .filter((q) => q.waiting + q.running > 0)
    .map((q) => `${q.queue} ${q.waiting + q.running}`)
    .join(' ');
  return `${clock(s.simTime)}  [${fmtS(s.realS)}] ${s.phase} | ${nodes} | ${missions} | queues ${queues || 'idle'}`;
}

function fmtS(s: number): string {
  return s < 90 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)} m ${String(Math.round(s % 60)).padStart(2, '0')} s`;
}

function fmtMin(s: number): string {
  return (s / 60).toFixed(0);
}
