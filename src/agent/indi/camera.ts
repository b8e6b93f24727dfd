/**
 * A camera behind an INDI CCD driver (tested against indi_simulator_ccd): CCD_EXPOSURE
 * starts an exposure, the image comes back as the CCD1 BLOB (we ask for BLOBs with
 * enableBLOB Also and set UPLOAD_MODE to the client), CCD_FRAME_TYPE and CCD_BINNING set
 * what is taken, CCD_ABORT_EXPOSURE stops it, CCD_COOLER / CCD_TEMPERATURE drive the
 * cooler. The FITS the driver writes is kept as is; the keywords it lacks (OBJECT, the
 * requested RA/DEC, the site, ...) are added.
 */
import { systemClock, type Clock } from '../../network/clock.js';
import { FitsReader, Header } from '../../science/fits/index.js';
import { AgentError, withDeadline } from '../errors.js';
import { annotateFits, frameHeader, frameTypeFromImagetyp } from '../devices/frame-header.js';
import { FRAME_TYPES, type CallOptions, type Camera, type CapturedFrame, type ExposeOptions, type FilterWheel, type FrameFacts, type FrameType, type Mount, type Site } from '../devices/types.js';
import type { IndiBlob } from './blob.js';
import type { IndiClient } from './client.js';
import { connectDevice, disconnectDevice, requireLink } from './device.js';

export interface IndiCameraOptions {
  client: IndiClient;
  /** Default 'CCD Simulator'. */
  device?: string;
  /** BLOB property carrying the image; default 'CCD1'. */
  blob?: string;
  clock?: Clock;
  /** Where the requested pointing comes from (RA/DEC keywords). */
  mount?: Mount;
  filterWheel?: FilterWheel;
  site?: Site;
  telescope?: string;
  /** Real ms allowed for the download after the exposure ends; default 60 s. */
  downloadTimeoutMs?: number;
  timeoutMs?: number;
}

const FRAME_SWITCH: Record<FrameType, string> = { light: 'FRAME_LIGHT', dark: 'FRAME_DARK', bias: 'FRAME_BIAS', flat: 'FRAME_FLAT' };

export class IndiCamera implements Camera {
  readonly name: string;
  private isConnected = false;
  private exposing: AbortController | undefined;
  private readonly client: IndiClient;
  private readonly blobName: string;
  private readonly clock: Clock;
  private readonly o: IndiCameraOptions;

  constructor(opts: IndiCameraOptions) {
    this.client = opts.client;
    this.name = opts.device ?? 'CCD Simulator';
    this.blobName = opts.blob ?? 'CCD1';
    this.clock = opts.clock ?? systemClock;
    this.o = opts;
  }

  get connected(): boolean {
    return this.isConnected && !this.client.closed;
  }

  private quick(opts: CallOptions): { timeoutMs: number; signal?: AbortSignal } {
    return { timeoutMs: opts.timeoutMs ?? this.o.timeoutMs ?? 30_000, signal: opts.signal };
  }

  async connect(opts: CallOptions = {}): Promise<void> {
    const q = this.quick(opts);
    await connectDevice(this.client, this.name, ['CCD_EXPOSURE', this.blobName], q);
    this.client.enableBlob('Also', this.name);
    if (this.client.vector(this.name, 'UPLOAD_MODE') && this.client.value(this.name, 'UPLOAD_MODE', 'UPLOAD_CLIENT') !== true) {
      await this.client.update('Switch', this.name, 'UPLOAD_MODE', { UPLOAD_CLIENT: true }, q);
    }
    const fmt = this.client.vector(this.name, 'CCD_TRANSFER_FORMAT');
    if (fmt?.elements.has('FORMAT_FITS') && fmt.elements.get('FORMAT_FITS')?.value !== true) {
      await this.client.update('Switch', this.name, 'CCD_TRANSFER_FORMAT', { FORMAT_FITS: true }, q);
    }
    this.isConnected = true;
  }

  async disconnect(opts: CallOptions = {}): Promise<void> {
    await this.abort();
    this.isConnected = false;
    await disconnectDevice(this.client, this.name, this.quick(opts));
  }

  async abort(): Promise<void> {
    this.exposing?.abort(new AgentError('ABORTED', 'exposure aborted', { device: this.name }));
  }

  async temperature(opts: CallOptions = {}): Promise<number> {
    requireLink(this.client, this.isConnected, this.name);
    void opts;
    const t = this.client.value(this.name, 'CCD_TEMPERATURE', 'CCD_TEMPERATURE_VALUE');
    if (typeof t !== 'number') throw new AgentError('NOT_FOUND', 'camera reports no temperature', { device: this.name, property: 'CCD_TEMPERATURE' });
    return t;
  }

  async cooler(setpointC: number | null, opts: CallOptions = {}): Promise<void> {
    requireLink(this.client, this.isConnected, this.name);
    if (setpointC !== null && !(setpointC >= -60 && setpointC <= 40)) throw new AgentError('BAD_ARGUMENT', `cooler setpoint must be in [−60, 40] °C, got ${setpointC}`, { device: this.name });
    const hasCooler = this.client.vector(this.name, 'CCD_COOLER') !== undefined;
    if (setpointC === null) {
      if (hasCooler) this.client.send('Switch', this.name, 'CCD_COOLER', { COOLER_OFF: true });
      return;
    }
    this.client.requireVector(this.name, 'CCD_TEMPERATURE', 'Number');
    if (hasCooler) this.client.send('Switch', this.name, 'CCD_COOLER', { COOLER_ON: true });
    // Accepted once the driver starts ramping (Busy) or is there (Ok).
    await this.client.update('Number', this.name, 'CCD_TEMPERATURE', { CCD_TEMPERATURE_VALUE: setpointC }, { ...this.quick(opts), acceptBusy: true });
  }

  async expose(seconds: number, opts: ExposeOptions): Promise<CapturedFrame> {
    if (!(seconds >= 0 && seconds <= 36000)) throw new AgentError('BAD_ARGUMENT', `exposure must be in [0, 36000] s, got ${seconds}`, { device: this.name });
    if (!opts || !FRAME_TYPES.includes(opts.frameType)) throw new AgentError('BAD_ARGUMENT', `frameType must be one of ${FRAME_TYPES.join(', ')}, got ${String(opts?.frameType)}`, { device: this.name });
    const binning = opts.binning ?? 1;
    if (!Number.isInteger(binning) || binning < 1 || binning > 16) throw new AgentError('BAD_ARGUMENT', `binning must be an integer 1 … 16, got ${binning}`, { device: this.name });
    const timeoutMs = opts.timeoutMs ?? seconds * 1000 + (this.o.downloadTimeoutMs ?? 60_000) + 30_000;
    return withDeadline('exposure', { timeoutMs, signal: opts.signal }, async (signal) => {
      requireLink(this.client, this.isConnected, this.name);
      if (this.exposing) throw new AgentError('BUSY', 'an exposure is already in progress', { device: this.name });
      const ctl = new AbortController();
      const onAbort = (): void => ctl.abort(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.exposing = ctl;
      try {
        return await this.run(seconds, opts, binning, ctl.signal);
      } catch (e) {
        if (ctl.signal.aborted && !this.client.closed && this.client.vector(this.name, 'CCD_ABORT_EXPOSURE')) {
          this.client.send('Switch', this.name, 'CCD_ABORT_EXPOSURE', { ABORT: true });
        }
        throw e;
      } finally {
        signal.removeEventListener('abort', onAbort);
        this.exposing = undefined;
      }
    });
  }

  private async run(seconds: number, opts: ExposeOptions, binning: number, signal: AbortSignal): Promise<CapturedFrame> {
    const c = this.client;
    const dev = this.name;
    const q = { timeoutMs: this.o.timeoutMs ?? 30_000, signal };
    if (c.vector(dev, 'CCD_FRAME_TYPE')) {
      const el = FRAME_SWITCH[opts.frameType];
      await c.update('Switch', dev, 'CCD_FRAME_TYPE', { [el]: true }, { ...q, until: (v) => v.elements.get(el)?.value === true });
    }
    if (c.vector(dev, 'CCD_BINNING')) {
      await c.update('Number', dev, 'CCD_BINNING', { HOR_BIN: binning, VER_BIN: binning }, { ...q, until: (v) => v.elements.get('HOR_BIN')?.value === binning && v.elements.get('VER_BIN')?.value === binning });
    } else if (binning !== 1) {
      throw new AgentError('BAD_ARGUMENT', 'camera has no binning', { device: dev });
    }
    // The driver writes OBJECT from FITS_HEADER; give it the mission's target name.
    if (opts.object !== undefined && c.vector(dev, 'FITS_HEADER')?.elements.has('FITS_OBJECT')) {
      await c.update('Text', dev, 'FITS_HEADER', { FITS_OBJECT: opts.object }, q);
    }
    const pointing = opts.frameType === 'light' && this.o.mount?.connected ? await this.o.mount.position({ signal }) : undefined;
    const filter = this.o.filterWheel?.connected ? await this.o.filterWheel.current({ signal }) : undefined;
    const startedAt = this.clock.now();
    // Listen before asking, so a fast driver's BLOB cannot slip past.
    const blobWait = c.waitFor<IndiBlob>(
      `${dev} image`,
      (m) => {
        if (m.type !== 'set' || m.vector.device !== dev) return undefined;
        if (m.vector.name === 'CCD_EXPOSURE' && m.vector.state === 'Alert') {
          const said = m.vector.message ?? c.recentMessages(dev).at(-1);
          throw new AgentError('DEVICE_ERROR', `exposure failed${said ? `: ${said}` : ''}`, { device: dev, property: 'CCD_EXPOSURE' });
        }
        if (m.vector.name !== this.blobName || m.vector.kind !== 'BLOB') return undefined;
        for (const e of m.vector.elements.values()) if (e.value && typeof e.value === 'object') return e.value as IndiBlob;
        return undefined;
      },
      { signal, timeoutMs: seconds * 1000 + (this.o.downloadTimeoutMs ?? 60_000) },
    );
    try {
      c.send('Number', dev, 'CCD_EXPOSURE', { CCD_EXPOSURE_VALUE: seconds });
    } catch (e) {
      blobWait.catch(() => undefined);
      throw e;
    }
    const blob = await blobWait;
    if (!blob.format.startsWith('.fits') && !blob.format.startsWith('.fit')) throw new AgentError('BAD_BLOB', `expected a FITS image, got format '${blob.format}'`, { device: dev, property: this.blobName });
    return this.frame(blob, seconds, opts, binning, startedAt, pointing, filter);
  }

  private async frame(
    blob: IndiBlob,
    seconds: number,
    opts: ExposeOptions,
    binning: number,
    startedAt: Date,
    pointing: { raDeg: number; decDeg: number } | undefined,
    filter: string | undefined,
  ): Promise<CapturedFrame> {
    let reader: FitsReader;
    try {
      reader = await FitsReader.open(blob.data);
    } catch (e) {
      throw new AgentError('BAD_BLOB', `image is not a readable FITS file: ${e instanceof Error ? e.message : String(e)}`, { device: this.name, property: this.blobName, cause: e });
    }
    let header: Header;
    let width: number;
    let height: number;
    try {
      const image = reader.hdus.find((h) => h.type === 'image' && h.dataByteLength > 0) ?? reader.hdus.find((h) => h.type === 'compressed-image');
      if (!image) throw new AgentError('BAD_BLOB', 'FITS file holds no image', { device: this.name });
      header = image.header;
      const z = image.type === 'compressed-image';
      width = header.getInt(z ? 'ZNAXIS1' : 'NAXIS1') ?? 0;
      height = header.getInt(z ? 'ZNAXIS2' : 'NAXIS2') ?? 0;
    } finally {
      await reader.close();
    }
    const dateObs = header.getString('DATE-OBS');
    const parsed = dateObs !== undefined ? Date.parse(/[Zz]|[+-]\d\d:\d\d$/.test(dateObs) ? dateObs : `${dateObs}Z`) : NaN;
    const facts: FrameFacts = {
      dateObs: Number.isFinite(parsed) ? new Date(parsed).toISOString() : startedAt.toISOString(),
      exposureS: header.getNumber('EXPTIME') ?? seconds,
      frameType: frameTypeFromImagetyp(header.getString('IMAGETYP') ?? header.getString('FRAME')) ?? opts.frameType,
      binning: header.getInt('XBINNING') ?? binning,
      widthPx: width,
      heightPx: height,
      ...(filter !== undefined ? { filter } : {}),
      ...(pointing ? { raDeg: pointing.raDeg, decDeg: pointing.decDeg } : {}),
      ...(opts.object !== undefined ? { object: opts.object } : {}),
      ...(typeof header.getNumber('CCD-TEMP') === 'number' ? { ccdTempC: header.getNumber('CCD-TEMP') } : {}),
    };
    // Add what the driver did not write (its own values win); tile-compressed files are left alone.
    const fits = blob.format.endsWith('.fz')
      ? blob.data
      : await annotateFits(
          blob.data,
          frameHeader({ ...facts, ...(this.o.site ? { site: this.o.site } : {}), ...(this.o.telescope ? { telescope: this.o.telescope } : {}), software: 'OpenAstro agent (INDI)' }),
          // The mission's target name and pointing are ours to state.
          { override: ['OBJECT', 'RA', 'DEC', 'OBJCTRA', 'OBJCTDEC', 'FILTER'] },
        );
    return { fits, facts };
  }
}

/** The filter wheel of an INDI device (FILTER_SLOT, FILTER_NAME); the CCD simulator has one built in. */
export class IndiFilterWheel implements FilterWheel {
  readonly name: string;
  private isConnected = false;
  private readonly client: IndiClient;
  private readonly timeoutMs: number;

  constructor(opts: { client: IndiClient; device?: string; timeoutMs?: number }) {
    this.client = opts.client;
    this.name = opts.device ?? 'CCD Simulator';
    this.timeoutMs = opts.timeoutMs ?? 60_000;
  }

  get connected(): boolean {
    return this.isConnected && !this.client.closed;
  }

  async connect(opts: CallOptions = {}): Promise<void> {
    await connectDevice(this.client, this.name, ['FILTER_SLOT', 'FILTER_NAME'], { timeoutMs: opts.timeoutMs ?? this.timeoutMs, signal: opts.signal });
    this.isConnected = true;
  }

  async disconnect(): Promise<void> {
    this.isConnected = false;
  }

  async filters(): Promise<string[]> {
    requireLink(this.client, this.isConnected, this.name);
    const v = this.client.requireVector(this.name, 'FILTER_NAME', 'Text');
    return [...v.elements.values()].map((e) => String(e.value ?? ''));
  }

  async current(): Promise<string> {
    const names = await this.filters();
    const slot = this.client.value(this.name, 'FILTER_SLOT', 'FILTER_SLOT_VALUE');
    if (typeof slot !== 'number' || slot < 1 || slot > names.length) throw new AgentError('DEVICE_ERROR', `filter slot ${String(slot)} is not a slot of the wheel`, { device: this.name });
    return names[slot - 1];
  }

  async select(name: string, opts: CallOptions = {}): Promise<void> {
    const names = await this.filters();
    const i = names.indexOf(name);
    if (i < 0) throw new AgentError('FILTER_NOT_PRESENT', `no filter '${name}' in the wheel (it holds ${names.join(', ')})`, { device: this.name });
    await this.client.update('Number', this.name, 'FILTER_SLOT', { FILTER_SLOT_VALUE: i + 1 }, {
      timeoutMs: opts.timeoutMs ?? this.timeoutMs,
      signal: opts.signal,
      until: (v) => v.elements.get('FILTER_SLOT_VALUE')?.value === i + 1,
    });
  }
}
