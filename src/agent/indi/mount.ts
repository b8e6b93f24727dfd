/**
 * A mount behind an INDI telescope driver (tested against indi_simulator_telescope):
 * CONNECTION, EQUATORIAL_EOD_COORD with ON_COORD_SET = TRACK (goto and track),
 * TELESCOPE_TRACK_STATE, TELESCOPE_PARK and GEOGRAPHIC_COORD. INDI mounts take
 * coordinates of date (JNow), RA in hours; we take J2000 degrees and convert.
 */
import { systemClock, type Clock } from '../../network/clock.js';
import { AgentError, withDeadline } from '../errors.js';
import { checkRaDec, checkSite, horizontal, j2000ToOfDate, ofDateToJ2000 } from '../devices/coordinates.js';
import type { CallOptions, Mount, MountPosition, Site } from '../devices/types.js';
import type { IndiClient } from './client.js';
import { connectDevice, disconnectDevice, requireLink } from './device.js';

export interface IndiMountOptions {
  client: IndiClient;
  /** Default 'Telescope Simulator'. */
  device?: string;
  clock?: Clock;
  /** Written to the driver's GEOGRAPHIC_COORD on connect; otherwise read from it. */
  site?: Site;
  /** Default 0°. */
  minAltitudeDeg?: number;
  /** A slew the driver never reports Busy for counts as done when it reports a position this close; default 60″. */
  slewToleranceArcsec?: number;
  /** Default for connect and quick calls, real ms; default 30 s. */
  timeoutMs?: number;
  /** Default for slews and parking; default 5 min. */
  slewTimeoutMs?: number;
}

export class IndiMount implements Mount {
  readonly name: string;
  private isConnected = false;
  private readonly client: IndiClient;
  private readonly clock: Clock;
  private readonly o: IndiMountOptions;

  constructor(opts: IndiMountOptions) {
    if (opts.site) checkSite(opts.site);
    this.client = opts.client;
    this.clock = opts.clock ?? systemClock;
    this.name = opts.device ?? 'Telescope Simulator';
    this.o = opts;
  }

  get connected(): boolean {
    return this.isConnected && !this.client.closed;
  }

  private quick(opts: CallOptions): { timeoutMs: number; signal?: AbortSignal } {
    return { timeoutMs: opts.timeoutMs ?? this.o.timeoutMs ?? 30_000, signal: opts.signal };
  }

  async connect(opts: CallOptions = {}): Promise<void> {
    await connectDevice(this.client, this.name, ['EQUATORIAL_EOD_COORD', 'TELESCOPE_PARK'], this.quick(opts));
    const site = this.o.site;
    if (site && this.client.vector(this.name, 'GEOGRAPHIC_COORD')) {
      await this.client.update('Number', this.name, 'GEOGRAPHIC_COORD', { LAT: site.latDeg, LONG: ((site.lonDeg % 360) + 360) % 360, ELEV: site.heightM }, this.quick(opts));
    }
    this.isConnected = true;
  }

  async disconnect(opts: CallOptions = {}): Promise<void> {
    this.isConnected = false;
    await disconnectDevice(this.client, this.name, this.quick(opts));
  }

  /** The site: as configured, else as the driver has it. */
  site(): Site {
    if (this.o.site) return this.o.site;
    const lat = this.client.value(this.name, 'GEOGRAPHIC_COORD', 'LAT');
    const lon = this.client.value(this.name, 'GEOGRAPHIC_COORD', 'LONG');
    const elev = this.client.value(this.name, 'GEOGRAPHIC_COORD', 'ELEV');
    if (typeof lat !== 'number' || typeof lon !== 'number') throw new AgentError('NOT_FOUND', 'no site configured and the driver has no GEOGRAPHIC_COORD', { device: this.name });
    return { latDeg: lat, lonDeg: lon > 180 ? lon - 360 : lon, heightM: typeof elev === 'number' ? elev : 0 };
  }

  private parkedNow(): boolean {
    return this.client.value(this.name, 'TELESCOPE_PARK', 'PARK') === true;
  }

  async position(opts: CallOptions = {}): Promise<MountPosition> {
    return withDeadline('mount position', this.quick(opts), async () => {
      requireLink(this.client, this.isConnected, this.name);
      const v = this.client.requireVector(this.name, 'EQUATORIAL_EOD_COORD', 'Number');
      const raH = v.elements.get('RA')?.value;
      const dec = v.elements.get('DEC')?.value;
      if (typeof raH !== 'number' || typeof dec !== 'number') throw new AgentError('PROTOCOL', 'EQUATORIAL_EOD_COORD lacks RA/DEC', { device: this.name });
      const [raDeg, decDeg] = ofDateToJ2000(((raH * 15) % 360 + 360) % 360, Math.max(-90, Math.min(90, dec)), this.clock.now());
      return {
        raDeg,
        decDeg,
        tracking: this.client.value(this.name, 'TELESCOPE_TRACK_STATE', 'TRACK_ON') === true,
        parked: this.parkedNow(),
        slewing: v.state === 'Busy',
      };
    });
  }

  async slew(raDeg: number, decDeg: number, opts: CallOptions = {}): Promise<MountPosition> {
    checkRaDec(raDeg, decDeg);
    const timeoutMs = opts.timeoutMs ?? this.o.slewTimeoutMs ?? 300_000;
    await withDeadline('slew', { timeoutMs, signal: opts.signal }, async (signal) => {
      requireLink(this.client, this.isConnected, this.name);
      if (this.parkedNow()) throw new AgentError('PARKED', 'mount is parked: unpark it before slewing', { device: this.name });
      const now = this.clock.now();
      const limit = this.o.minAltitudeDeg ?? 0;
      const alt = horizontal(raDeg, decDeg, this.site(), now).altDeg;
      if (alt < limit) {
        throw new AgentError('BELOW_HORIZON', `target RA ${raDeg.toFixed(4)}° Dec ${decDeg.toFixed(4)}° is at altitude ${alt.toFixed(2)}°, below the limit of ${limit}°`, { device: this.name });
      }
      const [ra, dec] = j2000ToOfDate(raDeg, decDeg, now);
      if (this.client.vector(this.name, 'ON_COORD_SET')) await this.client.update('Switch', this.name, 'ON_COORD_SET', { TRACK: true }, { signal, timeoutMs });
      const tol = (this.o.slewToleranceArcsec ?? 60) / 3600;
      const raH = ra / 15;
      // Done when the driver reports Ok after having been Busy with this slew — or, if it
      // never went Busy (already there), when it reports the target. A stale Ok from
      // before the request, far from the target, does not count. Drivers end a goto
      // within their own tolerance (the INDI simulator: ~2′), not exactly on target.
      let sawBusy = false;
      try {
        await this.client.update('Number', this.name, 'EQUATORIAL_EOD_COORD', { RA: raH, DEC: dec }, {
          signal,
          timeoutMs,
          until: (v) => {
            if (v.state === 'Busy') sawBusy = true;
            if (sawBusy) return true;
            const r = v.elements.get('RA')?.value as number;
            const d = v.elements.get('DEC')?.value as number;
            const dRa = ((((r - raH) * 15) % 360) + 540) % 360 - 180;
            return Math.abs(d - dec) <= tol && Math.abs(dRa * Math.cos((dec * Math.PI) / 180)) <= tol;
          },
        });
      } catch (e) {
        if (e instanceof AgentError && (e.code === 'ABORTED' || e.code === 'TIMEOUT') && !this.client.closed) {
          this.client.send('Switch', this.name, 'TELESCOPE_ABORT_MOTION', { ABORT: true });
        }
        throw e;
      }
    });
    return this.position(opts);
  }

  async track(on: boolean, opts: CallOptions = {}): Promise<void> {
    requireLink(this.client, this.isConnected, this.name);
    if (this.parkedNow()) throw new AgentError('PARKED', 'mount is parked: unpark it before tracking', { device: this.name });
    const el = on ? 'TRACK_ON' : 'TRACK_OFF';
    await this.client.update('Switch', this.name, 'TELESCOPE_TRACK_STATE', { [el]: true }, { ...this.quick(opts), until: (v) => v.elements.get('TRACK_ON')?.value === on });
  }

  async park(opts: CallOptions = {}): Promise<void> {
    requireLink(this.client, this.isConnected, this.name);
    if (this.parkedNow()) return;
    await this.client.update('Switch', this.name, 'TELESCOPE_PARK', { PARK: true }, {
      timeoutMs: opts.timeoutMs ?? this.o.slewTimeoutMs ?? 300_000,
      signal: opts.signal,
      until: (v) => v.elements.get('PARK')?.value === true,
    });
  }

  async unpark(opts: CallOptions = {}): Promise<void> {
    requireLink(this.client, this.isConnected, this.name);
    if (!this.parkedNow()) return;
    await this.client.update('Switch', this.name, 'TELESCOPE_PARK', { UNPARK: true }, { ...this.quick(opts), until: (v) => v.elements.get('PARK')?.value === false });
  }

  async isParked(opts: CallOptions = {}): Promise<boolean> {
    requireLink(this.client, this.isConnected, this.name);
    void opts;
    return this.parkedNow();
  }
}
