/**
 * A simulated German-equatorial mount. Slews take clock time (separation / slew rate +
 * settling), land with a random pointing error (seeded, one draw per slew: real gotos
 * miss by arcminutes until a plate solve syncs them), refuse targets below the altitude
 * limit and motion while parked. With tracking off the mount holds its hour angle, so the
 * sky drifts through the field.
 */
import type { Clock } from '../../../network/clock.js';
import { deriveSeed, Rng } from '../../../science/inference/random.js';
import { angularSeparationDeg } from '../../../science/wcs/index.js';
import { AgentError, withDeadline } from '../../errors.js';
import { checkRaDec, checkSite, horizontal, localSiderealDeg, ofDateToJ2000 } from '../coordinates.js';
import { realSleep, type Sleep } from '../time.js';
import type { CallOptions, Mount, MountPosition, Site } from '../types.js';

export interface SimulatedMountOptions {
  site: Site;
  clock: Clock;
  /** Waits on clock time; default real time. */
  sleep?: Sleep;
  seed: number;
  /** Targets below this geometric altitude are refused; default 0°. */
  minAltitudeDeg?: number;
  /** Default 3°/s. */
  slewRateDegPerS?: number;
  /** Settling after a slew; default 2 s. */
  settleS?: number;
  /** RMS pointing error per axis after a slew, arcsec; default 60. */
  pointingErrorArcsec?: number;
  /** Start parked (default true). */
  startParked?: boolean;
  /** Default timeout of a call, real ms; default 10 min. */
  timeoutMs?: number;
  name?: string;
}

/** Where the mount really points, and where it was told to point (J2000 degrees). */
export interface MountTruth {
  requestedRaDeg: number;
  requestedDecDeg: number;
  trueRaDeg: number;
  trueDecDeg: number;
  /** Pointing error east and north, arcsec. */
  errorArcsec: [east: number, north: number];
  tracking: boolean;
  parked: boolean;
}

type Motion =
  | { kind: 'parked' }
  /** Fixed on the sky. */
  | { kind: 'tracking'; raDeg: number; decDeg: number }
  /** Fixed in hour angle: RA = LST − haDeg. */
  | { kind: 'stopped'; haDeg: number; decDeg: number }
  | { kind: 'slewing'; fromRa: number; fromDec: number; toRa: number; toDec: number; startMs: number; endMs: number };

const D2R = Math.PI / 180;

export class SimulatedMount implements Mount {
  readonly name: string;
  private isConnected = false;
  private motion: Motion;
  private requested: [number, number] | undefined;
  private error: [number, number] = [0, 0];
  private slews = 0;
  private readonly opts: Required<Omit<SimulatedMountOptions, 'name' | 'sleep'>> & { sleep: Sleep };

  constructor(opts: SimulatedMountOptions) {
    checkSite(opts.site);
    if (!Number.isSafeInteger(opts.seed)) throw new AgentError('BAD_ARGUMENT', `seed must be a safe integer, got ${opts.seed}`);
    const o = {
      site: opts.site,
      clock: opts.clock,
      sleep: opts.sleep ?? realSleep(),
      seed: opts.seed,
      minAltitudeDeg: opts.minAltitudeDeg ?? 0,
      slewRateDegPerS: opts.slewRateDegPerS ?? 3,
      settleS: opts.settleS ?? 2,
      pointingErrorArcsec: opts.pointingErrorArcsec ?? 60,
      startParked: opts.startParked ?? true,
      timeoutMs: opts.timeoutMs ?? 600_000,
    };
    if (!(o.minAltitudeDeg >= -90 && o.minAltitudeDeg <= 90)) throw new AgentError('BAD_ARGUMENT', `minAltitudeDeg must be in [−90, 90], got ${o.minAltitudeDeg}`);
    if (!(o.slewRateDegPerS > 0)) throw new AgentError('BAD_ARGUMENT', `slewRateDegPerS must be > 0, got ${o.slewRateDegPerS}`);
    if (!(o.settleS >= 0)) throw new AgentError('BAD_ARGUMENT', `settleS must be ≥ 0, got ${o.settleS}`);
    if (!(o.pointingErrorArcsec >= 0)) throw new AgentError('BAD_ARGUMENT', `pointingErrorArcsec must be ≥ 0, got ${o.pointingErrorArcsec}`);
    this.opts = o;
    this.name = opts.name ?? 'Simulated Mount';
    this.motion = o.startParked ? { kind: 'parked' } : { kind: 'stopped', haDeg: 0, decDeg: o.site.latDeg };
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
    if (!this.isConnected) throw new AgentError('NOT_CONNECTED', 'mount is not connected', { device: this.name });
  }

  /** The park position: the celestial pole of the site's hemisphere (a GEM's home). */
  private parkPosition(at: Date): [number, number] {
    return ofDateToJ2000(localSiderealDeg(this.opts.site, at), this.opts.site.latDeg >= 0 ? 90 : -90, at);
  }

  /** Mechanical pointing (without the pointing error) at `at`, J2000 degrees. */
  private pointingAt(at: Date): [number, number] {
    const m = this.motion;
    switch (m.kind) {
      case 'parked':
        return this.parkPosition(at);
      case 'tracking':
        return [m.raDeg, m.decDeg];
      case 'stopped':
        return [(((localSiderealDeg(this.opts.site, at) - m.haDeg) % 360) + 360) % 360, m.decDeg];
      case 'slewing': {
        const f = Math.min(1, Math.max(0, (at.getTime() - m.startMs) / (m.endMs - m.startMs || 1)));
        let dRa = ((m.toRa - m.fromRa + 540) % 360) - 180;
        if (dRa === -180) dRa = 180;
        return [(((m.fromRa + f * dRa) % 360) + 360) % 360, m.fromDec + f * (m.toDec - m.fromDec)];
      }
    }
  }

  async position(opts: CallOptions = {}): Promise<MountPosition> {
    return withDeadline('mount position', { timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs, signal: opts.signal }, async () => {
      this.requireConnected();
      const [raDeg, decDeg] = this.pointingAt(this.opts.clock.now());
      return { raDeg, decDeg, tracking: this.motion.kind === 'tracking', parked: this.motion.kind === 'parked', slewing: this.motion.kind === 'slewing' };
    });
  }

  /** For the simulated camera: where the optical axis really is at `at`. */
  truth(at: Date): MountTruth {
    const [ra, dec] = this.pointingAt(at);
    const [e, n] = this.motion.kind === 'parked' ? [0, 0] : this.error;
    const trueDec = Math.max(-90, Math.min(90, dec + n / 3600));
    const cosDec = Math.max(1e-6, Math.cos(dec * D2R));
    const trueRa = (((ra + e / 3600 / cosDec) % 360) + 360) % 360;
    const [reqRa, reqDec] = this.requested ?? [ra, dec];
    return {
      requestedRaDeg: reqRa,
      requestedDecDeg: reqDec,
      trueRaDeg: trueRa,
      trueDecDeg: trueDec,
      errorArcsec: [e, n],
      tracking: this.motion.kind === 'tracking',
      parked: this.motion.kind === 'parked',
    };
  }

  async slew(raDeg: number, decDeg: number, opts: CallOptions = {}): Promise<MountPosition> {
    checkRaDec(raDeg, decDeg);
    const ra = ((raDeg % 360) + 360) % 360;
    return withDeadline('slew', { timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs, signal: opts.signal }, async (signal) => {
      this.requireConnected();
      if (this.motion.kind === 'parked') throw new AgentError('PARKED', 'mount is parked: unpark it before slewing', { device: this.name });
      if (this.motion.kind === 'slewing') throw new AgentError('BUSY', 'mount is already slewing', { device: this.name });
      const now = this.opts.clock.now();
      const alt = horizontal(ra, decDeg, this.opts.site, now).altDeg;
      if (alt < this.opts.minAltitudeDeg) {
        throw new AgentError('BELOW_HORIZON', `target RA ${ra.toFixed(4)}° Dec ${decDeg.toFixed(4)}° is at altitude ${alt.toFixed(2)}°, below the limit of ${this.opts.minAltitudeDeg}°`, {
          device: this.name,
        });
      }
      await this.move(ra, decDeg, now, signal);
      this.requested = [ra, decDeg];
      // One pointing-error draw per slew, from a stream keyed by the slew number.
      const rng = new Rng(deriveSeed(this.opts.seed, ++this.slews));
      this.error = [rng.normal() * this.opts.pointingErrorArcsec, rng.normal() * this.opts.pointingErrorArcsec];
      this.motion = { kind: 'tracking', raDeg: ra, decDeg };
      return { raDeg: ra, decDeg, tracking: true, parked: false, slewing: false };
    });
  }

  /** Moves (taking clock time) to (ra, dec); on abort stops where it got to, tracking. */
  private async move(ra: number, dec: number, now: Date, signal: AbortSignal): Promise<void> {
    const [fromRa, fromDec] = this.pointingAt(now);
    const sep = angularSeparationDeg(fromRa, fromDec, ra, dec);
    const durationMs = (sep / this.opts.slewRateDegPerS + this.opts.settleS) * 1000;
    this.motion = { kind: 'slewing', fromRa, fromDec, toRa: ra, toDec: dec, startMs: now.getTime(), endMs: now.getTime() + durationMs };
    try {
      await this.opts.sleep(durationMs, signal);
    } catch (e) {
      const [r, d] = this.pointingAt(this.opts.clock.now());
      this.motion = { kind: 'tracking', raDeg: r, decDeg: d };
      throw e;
    }
  }

  async track(on: boolean, opts: CallOptions = {}): Promise<void> {
    return withDeadline('track', { timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs, signal: opts.signal }, async () => {
      this.requireConnected();
      const m = this.motion;
      if (m.kind === 'parked') throw new AgentError('PARKED', 'mount is parked: unpark it before tracking', { device: this.name });
      if (m.kind === 'slewing') throw new AgentError('BUSY', 'mount is slewing', { device: this.name });
      const now = this.opts.clock.now();
      const [ra, dec] = this.pointingAt(now);
      if (on && m.kind === 'stopped') this.motion = { kind: 'tracking', raDeg: ra, decDeg: dec };
      if (!on && m.kind === 'tracking') this.motion = { kind: 'stopped', haDeg: localSiderealDeg(this.opts.site, now) - ra, decDeg: dec };
    });
  }

  async park(opts: CallOptions = {}): Promise<void> {
    return withDeadline('park', { timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs, signal: opts.signal }, async (signal) => {
      this.requireConnected();
      if (this.motion.kind === 'parked') return;
      if (this.motion.kind === 'slewing') throw new AgentError('BUSY', 'mount is slewing', { device: this.name });
      const now = this.opts.clock.now();
      const [ra, dec] = this.parkPosition(now);
      await this.move(ra, dec, now, signal);
      this.motion = { kind: 'parked' };
      this.requested = undefined;
    });
  }

  async unpark(opts: CallOptions = {}): Promise<void> {
    return withDeadline('unpark', { timeoutMs: opts.timeoutMs ?? this.opts.timeoutMs, signal: opts.signal }, async () => {
      this.requireConnected();
      if (this.motion.kind !== 'parked') return;
      const now = this.opts.clock.now();
      const [ra, dec] = this.parkPosition(now);
      this.motion = { kind: 'stopped', haDeg: localSiderealDeg(this.opts.site, now) - ra, decDeg: dec };
    });
  }

  async isParked(opts: CallOptions = {}): Promise<boolean> {
    return (await this.position(opts)).parked;
  }
}
