/** A simulated filter wheel: named slots, moving takes clock time per slot passed. */
import { AgentError, withDeadline } from '../../errors.js';
import { realSleep, type Sleep } from '../time.js';
import type { CallOptions, FilterWheel } from '../types.js';

export interface SimulatedFilterWheelOptions {
  /** Slot names in wheel order; default Johnson–Cousins B V R I and a clear slot. */
  filters?: string[];
  sleep?: Sleep;
  /** Clock time per slot moved; default 1 s. */
  slotS?: number;
  timeoutMs?: number;
  name?: string;
}

export class SimulatedFilterWheel implements FilterWheel {
  readonly name: string;
  private isConnected = false;
  private slot = 0;
  private moving = false;
  private readonly names: string[];
  private readonly sleep: Sleep;
  private readonly slotS: number;
  private readonly timeoutMs: number;

  constructor(opts: SimulatedFilterWheelOptions = {}) {
    const names = opts.filters ?? ['Clear', 'B', 'V', 'R', 'I'];
    if (!Array.isArray(names) || names.length === 0) throw new AgentError('BAD_ARGUMENT', 'a filter wheel needs at least one filter');
    const seen = new Set<string>();
    for (const n of names) {
      if (typeof n !== 'string' || n.trim() === '') throw new AgentError('BAD_ARGUMENT', `filter names must be non-empty strings, got ${JSON.stringify(n)}`);
      if (seen.has(n)) throw new AgentError('BAD_ARGUMENT', `filter '${n}' appears twice`);
      seen.add(n);
    }
    this.names = [...names];
    this.sleep = opts.sleep ?? realSleep();
    this.slotS = opts.slotS ?? 1;
    if (!(this.slotS >= 0)) throw new AgentError('BAD_ARGUMENT', `slotS must be ≥ 0, got ${this.slotS}`);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.name = opts.name ?? 'Simulated Filter Wheel';
  }

  get connected(): boolean {
    return this.isConnected;
  }

  async connect(): Promise<void> {
    this.isConnected = true;
  }

  async disconnect(): Promise<void> {
    this.isConnected = false;
  }

  private requireConnected(): void {
    if (!this.isConnected) throw new AgentError('NOT_CONNECTED', 'filter wheel is not connected', { device: this.name });
  }

  async filters(): Promise<string[]> {
    this.requireConnected();
    return [...this.names];
  }

  async current(): Promise<string> {
    this.requireConnected();
    return this.names[this.slot];
  }

  /** The filter in the light path without the connection check (for the simulated camera). */
  currentName(): string {
    return this.names[this.slot];
  }

  async select(name: string, opts: CallOptions = {}): Promise<void> {
    return withDeadline('filter select', { timeoutMs: opts.timeoutMs ?? this.timeoutMs, signal: opts.signal }, async (signal) => {
      this.requireConnected();
      const target = this.names.indexOf(name);
      if (target < 0) throw new AgentError('FILTER_NOT_PRESENT', `no filter '${name}' in the wheel (it holds ${this.names.join(', ')})`, { device: this.name });
      if (this.moving) throw new AgentError('BUSY', 'filter wheel is moving', { device: this.name });
      if (target === this.slot) return;
      const n = this.names.length;
      const steps = Math.min((target - this.slot + n) % n, (this.slot - target + n) % n);
      this.moving = true;
      try {
        await this.sleep(steps * this.slotS * 1000, signal);
        this.slot = target;
      } finally {
        this.moving = false;
      }
    });
  }
}
