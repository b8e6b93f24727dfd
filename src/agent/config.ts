/**
 * The node agent's configuration file (`openastro agent --config node.toml`; .toml, .yaml,
 * .yml or .json). Checked by hand like the service configuration: every problem is
 * collected and reported at once with its dotted path, and unknown keys are errors (a
 * misspelt `heartbeatIntervalS` left at its default should not cost a night). Relative
 * paths are relative to the file's folder. Secrets may come from the environment instead
 * of the file: OPENASTRO_NODE_TOKEN (node.token) and OPENASTRO_OPERATOR_TOKEN
 * (register.operatorToken).
 *
 *   server = "http://127.0.0.1:8080"
 *   stateDir = "state"                  # outbox, credentials, status, command log, log
 *   mastersDir = "masters"              # bias.fits, dark.fits, flat.fits / flat-<filter>.fits
 *   heartbeatIntervalS = 30             # 15–30 (the service may ask for less)
 *   filters = ["L", "V", "R"]
 *   [node]      id = "…"  token = "…"   # or [register] to register once and keep the token
 *   [register]  operatorToken = "…"  name = "Backyard 200"  siteId = "…" (or the [site] is created)
 *   [site]      name = "Home"  latDeg = 45.1  lonDeg = 5.7  elevationM = 300  minAltitudeDeg = 20
 *   [optics]    apertureMm focalLengthMm pixelSizeUm sensorWidthPx sensorHeightPx gainEPerAdu readNoiseE
 *   [devices]   kind = "simulator"  seed = 1  clouds = { kind = "passing", seed = 3 }
 *           or  kind = "indi"  host = "127.0.0.1"  port = 7624  mount = "…"  camera = "…"  filterWheel = "…"
 *   [clock]     speed = 60  start = "2026-01-15T20:00:00Z"   # simulation only: a night in minutes
 *   [limits]    minStars, maxFwhmPx, maxEllipticity, maxOutboxMb, chunkKb, uploadKBps, …
 *   [log]       level = "info"  file = "agent.log"   ("-" is stderr)
 */
import path from 'node:path';
import { readConfigFile } from '../platform/config/load.js';
import { ConfigError, type ConfigProblem } from '../platform/config/errors.js';
import { LOG_LEVELS, type LogLevel } from '../platform/config/config.js';
import type { CloudModel } from './devices/simulator/clouds.js';

export interface AgentSite {
  name?: string;
  latDeg: number;
  /** East positive. */
  lonDeg: number;
  elevationM: number;
  /** Lowest altitude the mount may point at, degrees (default 0 for the mount; the site's limit for the scheduler). */
  minAltitudeDeg?: number;
}

export interface AgentOptics {
  apertureMm: number;
  focalLengthMm: number;
  pixelSizeUm: number;
  sensorWidthPx: number;
  sensorHeightPx: number;
  gainEPerAdu?: number;
  readNoiseE?: number;
}

export interface SimulatorDevicesConfig {
  kind: 'simulator';
  seed: number;
  clouds: Exclude<CloudModel, { kind: 'custom' }>;
  /** RMS pointing error per axis after a slew, arcsec (default 60). */
  pointingErrorArcsec?: number;
  slewRateDegPerS?: number;
  settleS?: number;
  readoutS?: number;
  seeingFwhmArcsec?: number;
  /** 'rough' writes a TAN WCS at the requested pointing (default 'none'). */
  wcs: 'none' | 'rough';
  /** The weather station calls it unsafe below this transparency (default 0.5). */
  minSafeTransparency?: number;
  biasAdu?: number;
}

export interface IndiDevicesConfig {
  kind: 'indi';
  host: string;
  port: number;
  /** INDI device names (defaults: the simulators'). */
  mount: string;
  camera: string;
  /** Defaults to the camera device (many cameras have the wheel built in); '' for none. */
  filterWheel: string;
  /** Real seconds allowed for a slew (default 300). */
  slewTimeoutS: number;
}

export type DevicesConfig = SimulatorDevicesConfig | IndiDevicesConfig;

export interface AgentLimits {
  /** Frames with fewer stars are not uploaded (default 1; 0 uploads everything). */
  minStars: number;
  maxFwhmPx?: number;
  maxEllipticity?: number;
  /** Stop asking for work while the outbox holds more than this, MB (default 2048). */
  maxOutboxMb: number;
  /** Upload chunk size, KiB (default 1024). */
  chunkKb: number;
  /** Upload bandwidth cap, KiB/s of real time (default none). */
  uploadKBps?: number;
  /** Real seconds one HTTP request may take (default 60). */
  requestTimeoutS: number;
  /** Real seconds one upload attempt may take (default 600). */
  sendTimeoutS: number;
  /** Outbox retry backoff: first delay and cap, clock seconds (defaults 5 and 1800). */
  backoffBaseS: number;
  backoffMaxS: number;
  /** Cap of the retry delay of heartbeats, polls and work requests, clock seconds (default 60). */
  retryMaxS: number;
  /** Long-poll wait, real seconds (default 30, at most 60). */
  pollWaitS: number;
  /** Between two requests for work while idle, clock seconds (default 60). */
  workRetryS: number;
  /** Between two readings of the weather/safety monitor, clock seconds (default 10). */
  weatherCheckS: number;
  /**
   * A finished task still held by the server this long after its frames were all uploaded
   * (some failed the checks) is ended, so its remainder can be rescheduled; clock seconds
   * (default 1800).
   */
  finishedTaskGraceS: number;
}

export interface AgentConfig {
  /** The file read (absolute), when there was one. */
  file?: string;
  server: string;
  node: { id?: string; token?: string };
  register?: { operatorToken: string; name: string; siteId?: string; heartbeatIntervalS?: number };
  site?: AgentSite;
  optics?: AgentOptics;
  /** Filters the node has (a fixed filter without a wheel: one name). */
  filters?: string[];
  heartbeatIntervalS: number;
  /** Absolute. */
  stateDir: string;
  mastersDir?: string;
  devices: DevicesConfig;
  clock?: { speed: number; start?: string; realStart?: string };
  limits: AgentLimits;
  log: { level: LogLevel; /** Absolute path, or '-' for stderr. */ file: string };
}

export const NODE_TOKEN_ENV = 'OPENASTRO_NODE_TOKEN';
export const OPERATOR_TOKEN_ENV = 'OPENASTRO_OPERATOR_TOKEN';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ---------------------------------------------------------------- a checked reader over the parsed document

type Obj = Record<string, unknown>;

class Reader {
  constructor(
    private readonly problems: ConfigProblem[],
    private readonly source: string,
    readonly baseDir: string,
  ) {}

  problem(p: string, problem: string, value?: unknown, secret = false): void {
    this.problems.push({ path: p, problem, ...(value !== undefined ? { got: secret ? '***' : show(value) } : {}), source: this.source });
  }

  /** The table at `p` (undefined when absent); unknown keys are reported. */
  table(doc: Obj, key: string, p: string, known: readonly string[], required = false): Obj | undefined {
    const v = doc[key];
    if (v === undefined) {
      if (required) this.problem(p, 'is required');
      return undefined;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      this.problem(p, 'must be a table (an object)', v);
      return undefined;
    }
    this.unknownKeys(v as Obj, p, known);
    return v as Obj;
  }

  unknownKeys(o: Obj, p: string, known: readonly string[]): void {
    for (const k of Object.keys(o)) if (!known.includes(k)) this.problem(p ? `${p}.${k}` : k, `unknown setting (known here: ${known.join(', ')})`);
  }

  string(o: Obj | undefined, key: string, p: string, opts: { required?: boolean; secret?: boolean; check?: (v: string) => string | undefined } = {}): string | undefined {
    const v = o?.[key];
    if (v === undefined || v === null) {
      if (opts.required) this.problem(p, 'is required');
      return undefined;
    }
    if (typeof v !== 'string' || v.trim() === '') {
      this.problem(p, 'must be a non-empty string', v, opts.secret);
      return undefined;
    }
    const bad = opts.check?.(v);
    if (bad) {
      this.problem(p, bad, v, opts.secret);
      return undefined;
    }
    return v;
  }

  number(o: Obj | undefined, key: string, p: string, opts: { required?: boolean; min?: number; max?: number; exclusiveMin?: boolean; integer?: boolean } = {}): number | undefined {
    const v = o?.[key];
    if (v === undefined || v === null) {
      if (opts.required) this.problem(p, 'is required');
      return undefined;
    }
    const n = typeof v === 'bigint' ? Number(v) : v;
    const what = opts.integer ? 'an integer' : 'a number';
    const range =
      opts.min !== undefined && opts.max !== undefined
        ? ` from ${opts.min}${opts.exclusiveMin ? ' (exclusive)' : ''} to ${opts.max}`
        : opts.min !== undefined
          ? opts.exclusiveMin
            ? ` > ${opts.min}`
            : ` ≥ ${opts.min}`
          : opts.max !== undefined
            ? ` ≤ ${opts.max}`
            : '';
    if (
      typeof n !== 'number' ||
      !Number.isFinite(n) ||
      (opts.integer && !Number.isInteger(n)) ||
      (opts.min !== undefined && (opts.exclusiveMin ? n <= opts.min : n < opts.min)) ||
      (opts.max !== undefined && n > opts.max)
    ) {
      this.problem(p, `must be ${what}${range}`, v);
      return undefined;
    }
    return n;
  }

  path(o: Obj | undefined, key: string, p: string, fallback?: string): string | undefined {
    const s = this.string(o, key, p);
    const v = s ?? fallback;
    return v === undefined ? undefined : path.resolve(this.baseDir, v);
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x));
    return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(v);
  }
}

const isUrl = (v: string): string | undefined => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : 'must be an http:// or https:// URL';
  } catch {
    return 'must be an http:// or https:// URL';
  }
};
const isUuid = (v: string): string | undefined => (UUID.test(v) ? undefined : 'must be a UUID (the id the service gave the node)');
const isIso = (v: string): string | undefined =>
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(v) && Number.isFinite(Date.parse(v)) ? undefined : 'must be an ISO-8601 time with a zone, e.g. 2026-01-15T20:00:00Z';

// ---------------------------------------------------------------- sections

const TOP_KEYS = ['server', 'node', 'register', 'site', 'optics', 'filters', 'heartbeatIntervalS', 'stateDir', 'mastersDir', 'devices', 'clock', 'limits', 'log'] as const;

function readSite(r: Reader, doc: Obj): AgentSite | undefined {
  const t = r.table(doc, 'site', 'site', ['name', 'latDeg', 'lonDeg', 'elevationM', 'minAltitudeDeg']);
  if (!t) return undefined;
  const latDeg = r.number(t, 'latDeg', 'site.latDeg', { required: true, min: -90, max: 90 });
  const lonDeg = r.number(t, 'lonDeg', 'site.lonDeg', { required: true, min: -180, max: 180 });
  const elevationM = r.number(t, 'elevationM', 'site.elevationM', { min: -500, max: 9000 }) ?? 0;
  const minAltitudeDeg = r.number(t, 'minAltitudeDeg', 'site.minAltitudeDeg', { min: 0, max: 89 });
  const name = r.string(t, 'name', 'site.name');
  if (latDeg === undefined || lonDeg === undefined) return undefined;
  return { ...(name !== undefined ? { name } : {}), latDeg, lonDeg, elevationM, ...(minAltitudeDeg !== undefined ? { minAltitudeDeg } : {}) };
}

function readOptics(r: Reader, doc: Obj): AgentOptics | undefined {
  const keys = ['apertureMm', 'focalLengthMm', 'pixelSizeUm', 'sensorWidthPx', 'sensorHeightPx', 'gainEPerAdu', 'readNoiseE'] as const;
  const t = r.table(doc, 'optics', 'optics', keys);
  if (!t) return undefined;
  const pos = (k: string, integer = false) => r.number(t, k, `optics.${k}`, { required: true, min: 0, exclusiveMin: true, integer });
  const o = {
    apertureMm: pos('apertureMm'),
    focalLengthMm: pos('focalLengthMm'),
    pixelSizeUm: pos('pixelSizeUm'),
    sensorWidthPx: pos('sensorWidthPx', true),
    sensorHeightPx: pos('sensorHeightPx', true),
  };
  const gain = r.number(t, 'gainEPerAdu', 'optics.gainEPerAdu', { min: 0, exclusiveMin: true });
  const readNoise = r.number(t, 'readNoiseE', 'optics.readNoiseE', { min: 0 });
  if (Object.values(o).some((v) => v === undefined)) return undefined;
  return { ...(o as { [K in keyof typeof o]: number }), ...(gain !== undefined ? { gainEPerAdu: gain } : {}), ...(readNoise !== undefined ? { readNoiseE: readNoise } : {}) };
}

function readClouds(r: Reader, t: Obj): SimulatorDevicesConfig['clouds'] {
  const c = r.table(t, 'clouds', 'devices.clouds', ['kind', 'transparency', 'seed', 'cellS', 'cloudyFraction', 'minTransparency', 'maxTransparency']);
  if (!c) return { kind: 'clear' };
  const kind = r.string(c, 'kind', 'devices.clouds.kind', { required: true, check: (v) => (['clear', 'overcast', 'passing'].includes(v) ? undefined : "must be 'clear', 'overcast' or 'passing'") });
  const frac = (k: string) => r.number(c, k, `devices.clouds.${k}`, { min: 0, max: 1 });
  if (kind === 'overcast') return { kind, transparency: r.number(c, 'transparency', 'devices.clouds.transparency', { required: true, min: 0, max: 1 }) ?? 0 };
  if (kind === 'passing') {
    const seed = r.number(c, 'seed', 'devices.clouds.seed', { required: true, integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0;
    const cellS = r.number(c, 'cellS', 'devices.clouds.cellS', { min: 1 });
    const cloudyFraction = frac('cloudyFraction');
    const minTransparency = frac('minTransparency');
    const maxTransparency = frac('maxTransparency');
    return {
      kind,
      seed,
      ...(cellS !== undefined ? { cellS } : {}),
      ...(cloudyFraction !== undefined ? { cloudyFraction } : {}),
      ...(minTransparency !== undefined ? { minTransparency } : {}),
      ...(maxTransparency !== undefined ? { maxTransparency } : {}),
    };
  }
  return { kind: 'clear' };
}

function readDevices(r: Reader, doc: Obj): DevicesConfig | undefined {
  const simKeys = ['kind', 'seed', 'clouds', 'pointingErrorArcsec', 'slewRateDegPerS', 'settleS', 'readoutS', 'seeingFwhmArcsec', 'wcs', 'minSafeTransparency', 'biasAdu'];
  const indiKeys = ['kind', 'host', 'port', 'mount', 'camera', 'filterWheel', 'slewTimeoutS'];
  const raw = doc.devices;
  const kind = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Obj).kind : undefined;
  const t = r.table(doc, 'devices', 'devices', kind === 'indi' ? indiKeys : kind === 'simulator' ? simKeys : [...new Set([...simKeys, ...indiKeys])], true);
  if (!t) return undefined;
  const k = r.string(t, 'kind', 'devices.kind', { required: true, check: (v) => (v === 'simulator' || v === 'indi' ? undefined : "must be 'simulator' or 'indi'") });
  if (k === 'simulator') {
    const opt = (key: string, min = 0, exclusiveMin = false) => r.number(t, key, `devices.${key}`, { min, exclusiveMin });
    const seed = r.number(t, 'seed', 'devices.seed', { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 1;
    const wcs = (r.string(t, 'wcs', 'devices.wcs', { check: (v) => (v === 'none' || v === 'rough' ? undefined : "must be 'none' or 'rough'") }) ?? 'none') as 'none' | 'rough';
    const minSafe = r.number(t, 'minSafeTransparency', 'devices.minSafeTransparency', { min: 0, max: 1 });
    const out: SimulatorDevicesConfig = { kind: 'simulator', seed, clouds: readClouds(r, t), wcs };
    const set = <K extends keyof SimulatorDevicesConfig>(key: K, v: SimulatorDevicesConfig[K] | undefined) => {
      if (v !== undefined) out[key] = v;
    };
    set('pointingErrorArcsec', opt('pointingErrorArcsec'));
    set('slewRateDegPerS', opt('slewRateDegPerS', 0, true));
    set('settleS', opt('settleS'));
    set('readoutS', opt('readoutS'));
    set('seeingFwhmArcsec', opt('seeingFwhmArcsec', 0, true));
    set('biasAdu', opt('biasAdu'));
    set('minSafeTransparency', minSafe);
    return out;
  }
  if (k === 'indi') {
    const camera = r.string(t, 'camera', 'devices.camera') ?? 'CCD Simulator';
    const wheel = t.filterWheel === '' ? '' : (r.string(t, 'filterWheel', 'devices.filterWheel') ?? camera);
    return {
      kind: 'indi',
      host: r.string(t, 'host', 'devices.host') ?? '127.0.0.1',
      port: r.number(t, 'port', 'devices.port', { integer: true, min: 1, max: 65535 }) ?? 7624,
      mount: r.string(t, 'mount', 'devices.mount') ?? 'Telescope Simulator',
      camera,
      filterWheel: wheel,
      slewTimeoutS: r.number(t, 'slewTimeoutS', 'devices.slewTimeoutS', { min: 1, max: 3600 }) ?? 300,
    };
  }
  return undefined;
}

function readLimits(r: Reader, doc: Obj): AgentLimits {
  const keys = [
    'minStars',
    'maxFwhmPx',
    'maxEllipticity',
    'maxOutboxMb',
    'chunkKb',
    'uploadKBps',
    'requestTimeoutS',
    'sendTimeoutS',
    'backoffBaseS',
    'backoffMaxS',
    'retryMaxS',
    'pollWaitS',
    'workRetryS',
    'weatherCheckS',
    'finishedTaskGraceS',
  ] as const;
  const t = r.table(doc, 'limits', 'limits', keys) ?? {};
  const n = (k: (typeof keys)[number], opts: Parameters<Reader['number']>[3]) => r.number(t, k, `limits.${k}`, opts);
  const out: AgentLimits = {
    minStars: n('minStars', { integer: true, min: 0, max: 100_000 }) ?? 1,
    maxOutboxMb: n('maxOutboxMb', { min: 1 }) ?? 2048,
    chunkKb: n('chunkKb', { integer: true, min: 1, max: 65_536 }) ?? 1024,
    requestTimeoutS: n('requestTimeoutS', { min: 1, max: 3600 }) ?? 60,
    sendTimeoutS: n('sendTimeoutS', { min: 1, max: 86_400 }) ?? 600,
    backoffBaseS: n('backoffBaseS', { min: 0.001, max: 86_400 }) ?? 5,
    backoffMaxS: n('backoffMaxS', { min: 0.001, max: 86_400 }) ?? 1800,
    retryMaxS: n('retryMaxS', { min: 0.01, max: 3600 }) ?? 60,
    pollWaitS: n('pollWaitS', { integer: true, min: 0, max: 60 }) ?? 30,
    workRetryS: n('workRetryS', { min: 0.01, max: 86_400 }) ?? 60,
    weatherCheckS: n('weatherCheckS', { min: 0.01, max: 3600 }) ?? 10,
    finishedTaskGraceS: n('finishedTaskGraceS', { min: 0, max: 7 * 86_400 }) ?? 1800,
  };
  const fwhm = n('maxFwhmPx', { min: 0, exclusiveMin: true });
  const ell = n('maxEllipticity', { min: 0, max: 1 });
  const rate = n('uploadKBps', { min: 0, exclusiveMin: true });
  if (fwhm !== undefined) out.maxFwhmPx = fwhm;
  if (ell !== undefined) out.maxEllipticity = ell;
  if (rate !== undefined) out.uploadKBps = rate;
  if (out.backoffMaxS < out.backoffBaseS) r.problem('limits.backoffMaxS', `must be ≥ limits.backoffBaseS (${out.backoffBaseS})`, out.backoffMaxS);
  return out;
}

/**
 * Checks a parsed configuration document. `file` names the source in messages and its
 * folder anchors relative paths (default: `cwd`). Throws ConfigError listing every problem.
 */
export function parseAgentConfig(doc: unknown, opts: { file?: string; cwd?: string; env?: Record<string, string | undefined> } = {}): AgentConfig {
  const problems: ConfigProblem[] = [];
  const source = opts.file ?? '(config)';
  const baseDir = opts.file ? path.dirname(opts.file) : (opts.cwd ?? process.cwd());
  const env = opts.env ?? process.env;
  const r = new Reader(problems, source, baseDir);
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError([{ path: '(file)', problem: 'must hold a table of settings', source }]);
  }
  const d = doc as Obj;
  r.unknownKeys(d, '', TOP_KEYS);

  const server = r.string(d, 'server', 'server', { required: true, check: isUrl });
  const nodeT = r.table(d, 'node', 'node', ['id', 'token']);
  const nodeId = r.string(nodeT, 'id', 'node.id', { check: isUuid });
  const envToken = env[NODE_TOKEN_ENV];
  const nodeToken = r.string(nodeT, 'token', 'node.token', { secret: true }) ?? (envToken ? envToken : undefined);

  const site = readSite(r, d);
  const optics = readOptics(r, d);
  let filters: string[] | undefined;
  if (d.filters !== undefined) {
    if (!Array.isArray(d.filters) || d.filters.length === 0 || d.filters.some((f) => typeof f !== 'string' || f.trim() === '' || f.length > 64)) {
      r.problem('filters', 'must be a non-empty list of filter names', d.filters);
    } else if (new Set(d.filters).size !== d.filters.length) {
      r.problem('filters', 'must not name a filter twice', d.filters);
    } else filters = (d.filters as string[]).map((f) => f.trim());
  }

  let register: AgentConfig['register'];
  const regT = r.table(d, 'register', 'register', ['operatorToken', 'name', 'siteId', 'heartbeatIntervalS']);
  if (regT) {
    const opEnv = env[OPERATOR_TOKEN_ENV];
    const operatorToken = r.string(regT, 'operatorToken', 'register.operatorToken', { secret: true }) ?? (opEnv ? opEnv.split(',')[0].trim() : undefined);
    if (operatorToken === undefined) r.problem('register.operatorToken', `is required to register (or set ${OPERATOR_TOKEN_ENV})`);
    const name = r.string(regT, 'name', 'register.name', { required: true });
    const siteId = r.string(regT, 'siteId', 'register.siteId', { check: isUuid });
    const hb = r.number(regT, 'heartbeatIntervalS', 'register.heartbeatIntervalS', { integer: true, min: 15, max: 30 });
    if (siteId === undefined && d.site === undefined) r.problem('site', 'is required to register without register.siteId (the site is created)');
    if (d.optics === undefined) r.problem('optics', 'is required to register');
    if (d.filters === undefined) r.problem('filters', 'is required to register');
    if (operatorToken !== undefined && name !== undefined) {
      register = { operatorToken, name, ...(siteId !== undefined ? { siteId } : {}), ...(hb !== undefined ? { heartbeatIntervalS: hb } : {}) };
    }
  }
  if (nodeT !== undefined && (nodeId === undefined) !== (nodeToken === undefined) && !regT) {
    r.problem(nodeId === undefined ? 'node.id' : 'node.token', `is required with ${nodeId === undefined ? 'node.token' : 'node.id'}${nodeId === undefined ? '' : ` (or set ${NODE_TOKEN_ENV})`}`);
  }

  const heartbeatIntervalS = r.number(d, 'heartbeatIntervalS', 'heartbeatIntervalS', { min: 15, max: 30 }) ?? 30;
  const stateDir = r.path(d, 'stateDir', 'stateDir', 'state') as string;
  const mastersDir = r.path(d, 'mastersDir', 'mastersDir');
  const devices = readDevices(r, d);
  if (devices?.kind === 'simulator') {
    if (d.site === undefined) r.problem('site', 'is required for the simulator (it renders the sky of the site)');
    if (d.optics === undefined) r.problem('optics', 'is required for the simulator (it renders frames for the optics)');
  }

  let clock: AgentConfig['clock'];
  const clockT = r.table(d, 'clock', 'clock', ['speed', 'start', 'realStart']);
  if (clockT) {
    const speed = r.number(clockT, 'speed', 'clock.speed', { required: true, min: 0, exclusiveMin: true, max: 10_000 });
    const start = r.string(clockT, 'start', 'clock.start', { check: isIso });
    const realStart = r.string(clockT, 'realStart', 'clock.realStart', { check: isIso });
    if (realStart !== undefined && start === undefined) r.problem('clock.start', 'is required with clock.realStart');
    if (speed !== undefined) clock = { speed, ...(start !== undefined ? { start } : {}), ...(realStart !== undefined ? { realStart } : {}) };
  }

  const limits = readLimits(r, d);
  const logT = r.table(d, 'log', 'log', ['level', 'file']);
  const level = (r.string(logT, 'level', 'log.level', { check: (v) => ((LOG_LEVELS as readonly string[]).includes(v) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`) }) ?? 'info') as LogLevel;
  const logFile = logT?.file === '-' ? '-' : (r.path(logT, 'file', 'log.file') ?? path.join(stateDir, 'agent.log'));

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    ...(opts.file ? { file: opts.file } : {}),
    server: server as string,
    node: { ...(nodeId !== undefined ? { id: nodeId } : {}), ...(nodeToken !== undefined ? { token: nodeToken } : {}) },
    ...(register ? { register } : {}),
    ...(site ? { site } : {}),
    ...(optics ? { optics } : {}),
    ...(filters ? { filters } : {}),
    heartbeatIntervalS,
    stateDir,
    ...(mastersDir !== undefined ? { mastersDir } : {}),
    devices: devices as DevicesConfig,
    ...(clock ? { clock } : {}),
    limits,
    log: { level, file: logFile },
  };
}

/** Reads and checks a configuration file (.toml, .yaml, .yml, .json). Throws ConfigError. */
export async function loadAgentConfig(file: string, opts: { cwd?: string; env?: Record<string, string | undefined> } = {}): Promise<AgentConfig> {
  const abs = path.resolve(opts.cwd ?? process.cwd(), file);
  const problems: ConfigProblem[] = [];
  const doc = await readConfigFile(abs, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return parseAgentConfig(doc, { file: abs, env: opts.env });
}

/** Paths inside the state directory. */
export function statePaths(stateDir: string) {
  return {
    outbox: path.join(stateDir, 'outbox'),
    status: path.join(stateDir, 'status.json'),
    commands: path.join(stateDir, 'commands.json'),
    credentials: path.join(stateDir, 'credentials.json'),
    uploads: path.join(stateDir, 'uploads'),
    rejected: path.join(stateDir, 'rejected'),
  };
}
