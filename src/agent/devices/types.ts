/**
 * The devices a node agent drives, behind one interface whatever is underneath (the
 * simulator, INDI drivers for real hardware). Every call is async, takes an AbortSignal
 * and a timeout, and fails with a typed AgentError. Angles are degrees, J2000 (ICRS) at
 * this interface: a driver that works in another frame (INDI's JNow) converts.
 *
 * Lifecycle: connect() before use, disconnect() after; calls on a disconnected device
 * fail with NOT_CONNECTED. connect()/disconnect() are idempotent.
 */

export interface CallOptions {
  signal?: AbortSignal;
  /** Real milliseconds before the call fails with TIMEOUT (each device has a default). */
  timeoutMs?: number;
}

export interface Device {
  /** Device name (INDI device name, or the simulator's role name). */
  readonly name: string;
  readonly connected: boolean;
  connect(opts?: CallOptions): Promise<void>;
  disconnect(opts?: CallOptions): Promise<void>;
}

export interface MountPosition {
  /** Where the mount points, J2000 degrees. */
  raDeg: number;
  decDeg: number;
  tracking: boolean;
  parked: boolean;
  slewing: boolean;
}

export interface Mount extends Device {
  /**
   * Slew to (raDeg, decDeg) J2000 and track there; resolves once the mount has settled.
   * Refuses targets below the mount's altitude limit (BELOW_HORIZON) and motion while
   * parked (PARKED).
   */
  slew(raDeg: number, decDeg: number, opts?: CallOptions): Promise<MountPosition>;
  track(on: boolean, opts?: CallOptions): Promise<void>;
  park(opts?: CallOptions): Promise<void>;
  unpark(opts?: CallOptions): Promise<void>;
  position(opts?: CallOptions): Promise<MountPosition>;
  isParked(opts?: CallOptions): Promise<boolean>;
}

export type FrameType = 'light' | 'dark' | 'bias' | 'flat';
export const FRAME_TYPES: readonly FrameType[] = ['light', 'dark', 'bias', 'flat'];

/** IMAGETYP values as the common capture programs write them (MaxIm DL / SBIG convention). */
export const IMAGETYP: Readonly<Record<FrameType, string>> = {
  light: 'Light Frame',
  dark: 'Dark Frame',
  bias: 'Bias Frame',
  flat: 'Flat Field',
};

export interface ExposeOptions extends CallOptions {
  frameType: FrameType;
  /** Square binning factor; default 1. */
  binning?: number;
  /** OBJECT keyword (the mission's target name). */
  object?: string;
}

/** What a program needs to know about a frame without parsing its header. */
export interface FrameFacts {
  /** Exposure start, UTC ISO-8601 (DATE-OBS). */
  dateObs: string;
  exposureS: number;
  frameType: FrameType;
  binning: number;
  widthPx: number;
  heightPx: number;
  filter?: string;
  /** Pointing asked for (RA/DEC keywords), J2000 degrees. */
  raDeg?: number;
  decDeg?: number;
  object?: string;
  ccdTempC?: number;
}

export interface CapturedFrame {
  /** A complete FITS file (uncompressed). */
  fits: Uint8Array;
  facts: FrameFacts;
}

export interface Camera extends Device {
  /** Expose for `seconds` and download; aborting (signal or abort()) fails with ABORTED. */
  expose(seconds: number, opts: ExposeOptions): Promise<CapturedFrame>;
  /** Stop an exposure in progress (no-op when idle). */
  abort(opts?: CallOptions): Promise<void>;
  /** Cooler to `setpointC`, or off with null. Resolves once the camera accepted it (not when reached). */
  cooler(setpointC: number | null, opts?: CallOptions): Promise<void>;
  /** Sensor temperature, °C. */
  temperature(opts?: CallOptions): Promise<number>;
}

export interface FilterWheel extends Device {
  filters(opts?: CallOptions): Promise<string[]>;
  /** Move to the filter called `name` (FILTER_NOT_PRESENT if the wheel has none). */
  select(name: string, opts?: CallOptions): Promise<void>;
  current(opts?: CallOptions): Promise<string>;
}

export interface WeatherReading {
  /** UTC ISO-8601 time of the reading. */
  time: string;
  safe: boolean;
  /** Fraction of starlight getting through, 0 … 1. */
  transparency: number;
  /** Fraction of the sky covered, 0 … 1. */
  cloudCover: number;
  /** Why it is unsafe (empty when safe). */
  reasons: string[];
}

export interface Weather extends Device {
  isSafe(opts?: CallOptions): Promise<boolean>;
  reading(opts?: CallOptions): Promise<WeatherReading>;
}

/** The devices of one telescope. */
export interface Observatory {
  mount: Mount;
  camera: Camera;
  filterWheel?: FilterWheel;
  weather?: Weather;
}

/** Where the telescope is: geodetic latitude and longitude (east positive), degrees; height above the ellipsoid, m. */
export interface Site {
  latDeg: number;
  lonDeg: number;
  heightM: number;
}
