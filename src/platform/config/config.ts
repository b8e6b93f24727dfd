/**
 * The service configuration: one typed object built from three layers, later ones winning
 *
 *     defaults  <  file (--config PATH: .json, .yaml/.yml, .toml)  <  environment  <  flags
 *
 * Validation is by hand (no schema library): every setting is checked, every problem is
 * collected, and a ConfigError lists them all with the source of each value. Unknown keys in
 * a file are errors — a misspelt `heartbeatIntervalS` silently left at its default is the
 * kind of mistake that costs a night of observing. Relative paths in a file are relative to
 * the file's folder (so `--config /etc/openastro.toml` means the same from any working
 * directory); relative paths from the environment, flags and defaults are relative to the
 * working directory.
 *
 * Settings (file keys) and their environment variables:
 *
 * | file key                      | environment variable                | default                  |
 * |-------------------------------|-------------------------------------|--------------------------|
 * | (the file itself)             | OPENASTRO_CONFIG                    | none                     |
 * | server.host                   | OPENASTRO_HOST                      | 127.0.0.1                |
 * | server.port                   | OPENASTRO_PORT                      | 8080 (0: any free port)  |
 * | dataDir                       | OPENASTRO_DATA_DIR                  | ./data                   |
 * | database.url                  | DATABASE_URL                        | none: embedded PGlite    |
 * | database.dataDir              | OPENASTRO_DATABASE_DIR              | <dataDir>/db             |
 * | storage.kind (local, s3)      | OPENASTRO_STORAGE                   | local (s3 if any S3 var) |
 * | storage.dir (local)           | OPENASTRO_STORAGE_DIR               | <dataDir>/objects        |
 * | storage.bucket (s3)           | OPENASTRO_S3_BUCKET                 | required for s3          |
 * | storage.region (s3)           | OPENASTRO_S3_REGION                 | us-east-1                |
 * | storage.endpoint (s3)         | OPENASTRO_S3_ENDPOINT               | AWS                      |
 * | storage.accessKeyId (s3)      | OPENASTRO_S3_ACCESS_KEY_ID          | SDK credential chain     |
 * | storage.secretAccessKey (s3)  | OPENASTRO_S3_SECRET_ACCESS_KEY      | SDK credential chain     |
 * | storage.forcePathStyle (s3)   | OPENASTRO_S3_FORCE_PATH_STYLE       | false                    |
 * | storage.keyPrefix (s3)        | OPENASTRO_S3_KEY_PREFIX             | '' (bucket root)         |
 * | auth.operatorTokens           | OPENASTRO_OPERATOR_TOKEN (a,b,…)    | [] (no operator access)  |
 * | auth.readsOpen                | OPENASTRO_READS_OPEN                | true                     |
 * | network.heartbeatIntervalS    | OPENASTRO_HEARTBEAT_INTERVAL_S      | 30 (15–30)               |
 * | network.leaseS                | OPENASTRO_LEASE_S                   | 120                      |
 * | network.sweepIntervalS        | OPENASTRO_SWEEP_INTERVAL_S          | 5                        |
 * | jobs.queues                   | OPENASTRO_JOBS_QUEUES (a,b or none) | all queues               |
 * | jobs.pollingIntervalSeconds   | OPENASTRO_JOBS_POLLING_INTERVAL_S   | 2                        |
 * | jobs.schema                   | OPENASTRO_JOBS_SCHEMA               | pgboss                   |
 * | pipeline.catalogPath          | OPENASTRO_CATALOG                   | none (frames not solved) |
 * | log.level                     | OPENASTRO_LOG_LEVEL                 | info                     |
 *
 * Operator tokens are given either in clear (at least 16 characters) or as
 * `sha256:<64 hex>` of the token, so a config file need not hold the secret; in a file an
 * entry may also be `{ name, token }` or `{ name, sha256 }` to name the operator in logs.
 * Booleans from the environment: true/false, 1/0, yes/no, on/off.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parsePostgresUrl, redactUrl } from '../db/postgres.js';
import { QUEUES, type QueueName } from '../jobs/queues.js';
import { ConfigError, type ConfigProblem } from './errors.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface OperatorToken {
  /** Shown in logs and as the caller's name; never the token. */
  name: string;
  /** Lower-case hex SHA-256 of the token: the clear token is not kept after loading. */
  sha256: string;
}

export interface LocalStorageConfig {
  kind: 'local';
  /** Absolute path of the objects folder. */
  dir: string;
}

export interface S3StorageConfig {
  kind: 's3';
  bucket: string;
  region: string;
  endpoint?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle: boolean;
  keyPrefix: string;
}

export interface Config {
  server: { host: string; port: number };
  /** Root of everything the embedded mode keeps on disk (absolute). */
  dataDir: string;
  /** PostgreSQL when `url` is set, else PGlite under `dataDir` (absolute). */
  database: { url?: string; dataDir: string };
  storage: LocalStorageConfig | S3StorageConfig;
  auth: { operatorTokens: OperatorToken[]; readsOpen: boolean };
  network: { heartbeatIntervalS: number; leaseS: number; sweepIntervalS: number };
  jobs: { pollingIntervalSeconds: number; queues: QueueName[]; schema: string };
  /** The reference catalog (`.oacat`, absolute) for plate solving and zero points; none: frames end 'failed'. */
  pipeline: { catalogPath?: string };
  log: { level: LogLevel };
}

type FieldType = 'string' | 'path' | 'int' | 'number' | 'bool' | 'list';

interface FieldSpec {
  type: FieldType;
  env?: string;
  default?: unknown;
  /** Extra check of a value of the right type: a problem text, or undefined when fine. */
  check?: (value: never) => string | undefined;
  /** Storage settings that belong to one kind only. */
  onlyFor?: 'local' | 's3';
  /** Mask the value in messages. */
  secret?: boolean;
  /** '' is a meaningful value (string settings are otherwise non-empty). */
  allowEmpty?: boolean;
}

const isHttpUrl = (v: string) => {
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:' ? undefined : `must be an http:// or https:// URL`;
  } catch {
    return 'must be an http:// or https:// URL';
  }
};

const inRange = (min: number, max: number, what = 'a number') => (v: number) =>
  v >= min && v <= max ? undefined : `must be ${what} from ${min} to ${max}`;

/** Every setting, by its dotted path. The order is the order problems are reported in. */
export const FIELDS: Readonly<Record<string, FieldSpec>> = {
  'server.host': { type: 'string', env: 'OPENASTRO_HOST', default: '127.0.0.1' },
  'server.port': { type: 'int', env: 'OPENASTRO_PORT', default: 8080, check: inRange(0, 65535, 'an integer') },
  dataDir: { type: 'path', env: 'OPENASTRO_DATA_DIR', default: 'data' },
  'database.url': {
    type: 'string',
    env: 'DATABASE_URL',
    secret: true,
    check: (v: string) => {
      try {
        parsePostgresUrl(v);
        return undefined;
      } catch (err) {
        return (err as Error).message.replace(/^DATABASE_URL /, '').replace(/ \([^()]*\)$/, '');
      }
    },
  },
  'database.dataDir': { type: 'path', env: 'OPENASTRO_DATABASE_DIR' },
  'storage.kind': {
    type: 'string',
    env: 'OPENASTRO_STORAGE',
    default: 'local',
    check: (v: string) => (v === 'local' || v === 's3' ? undefined : "must be 'local' or 's3'"),
  },
  'storage.dir': { type: 'path', env: 'OPENASTRO_STORAGE_DIR', onlyFor: 'local' },
  'storage.bucket': {
    type: 'string',
    env: 'OPENASTRO_S3_BUCKET',
    onlyFor: 's3',
    check: (v: string) => (/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(v) ? undefined : 'must be an S3 bucket name (3–63 of a-z 0-9 . -)'),
  },
  'storage.region': { type: 'string', env: 'OPENASTRO_S3_REGION', default: 'us-east-1', onlyFor: 's3' },
  'storage.endpoint': { type: 'string', env: 'OPENASTRO_S3_ENDPOINT', onlyFor: 's3', check: isHttpUrl },
  'storage.accessKeyId': { type: 'string', env: 'OPENASTRO_S3_ACCESS_KEY_ID', onlyFor: 's3' },
  'storage.secretAccessKey': { type: 'string', env: 'OPENASTRO_S3_SECRET_ACCESS_KEY', onlyFor: 's3', secret: true },
  'storage.forcePathStyle': { type: 'bool', env: 'OPENASTRO_S3_FORCE_PATH_STYLE', default: false, onlyFor: 's3' },
  'storage.keyPrefix': {
    type: 'string',
    env: 'OPENASTRO_S3_KEY_PREFIX',
    default: '',
    allowEmpty: true,
    onlyFor: 's3',
    check: (v: string) => (v === '' || (/^[^/\\]/.test(v) && v.endsWith('/')) ? undefined : "must be '' or a relative folder ending in '/'"),
  },
  'auth.operatorTokens': { type: 'list', env: 'OPENASTRO_OPERATOR_TOKEN', default: [], secret: true },
  'auth.readsOpen': { type: 'bool', env: 'OPENASTRO_READS_OPEN', default: true },
  'network.heartbeatIntervalS': { type: 'number', env: 'OPENASTRO_HEARTBEAT_INTERVAL_S', default: 30, check: inRange(15, 30) },
  'network.leaseS': { type: 'number', env: 'OPENASTRO_LEASE_S', default: 120, check: inRange(1, 86_400) },
  'network.sweepIntervalS': { type: 'number', env: 'OPENASTRO_SWEEP_INTERVAL_S', default: 5, check: inRange(0.1, 3600) },
  'jobs.queues': { type: 'list', env: 'OPENASTRO_JOBS_QUEUES', default: [...QUEUES] },
  'jobs.pollingIntervalSeconds': { type: 'number', env: 'OPENASTRO_JOBS_POLLING_INTERVAL_S', default: 2, check: inRange(0.5, 3600) },
  'jobs.schema': {
    type: 'string',
    env: 'OPENASTRO_JOBS_SCHEMA',
    default: 'pgboss',
    check: (v: string) => (/^[a-z_][a-z0-9_]{0,62}$/.test(v) ? undefined : 'must be a lower-case SQL identifier (a-z, 0-9, _)'),
  },
  'pipeline.catalogPath': { type: 'path', env: 'OPENASTRO_CATALOG' },
  'log.level': {
    type: 'string',
    env: 'OPENASTRO_LOG_LEVEL',
    default: 'info',
    check: (v: string) => ((LOG_LEVELS as readonly string[]).includes(v) ? undefined : `must be one of ${LOG_LEVELS.join(', ')}`),
  },
};

/** Environment variables read, besides those of FIELDS: the config file's path. */
export const CONFIG_FILE_ENV = 'OPENASTRO_CONFIG';

/** One value and where it came from. */
interface Sourced {
  value: unknown;
  source: string;
  /** Folder relative paths are resolved against. */
  base: string;
}

/** A layer: dotted path → value, with its source. */
export type Layer = Map<string, Sourced>;

const SECTIONS = new Set(Object.keys(FIELDS).filter((k) => k.includes('.')).map((k) => k.split('.')[0]));

/**
 * A parsed config file (any format) as a layer. Unknown keys and sections that are not
 * tables are reported in `problems`; null values count as not given.
 */
export function fileLayer(doc: unknown, file: string, problems: ConfigProblem[]): Layer {
  const layer: Layer = new Map();
  const base = path.dirname(path.resolve(file));
  if (!isPlainObject(doc)) {
    problems.push({ path: '(file)', problem: 'must be a table/object of settings', got: typeName(doc), source: file });
    return layer;
  }
  for (const [key, value] of Object.entries(doc)) {
    if (value === null || value === undefined) continue;
    if (SECTIONS.has(key)) {
      if (!isPlainObject(value)) {
        problems.push({ path: key, problem: 'must be a table/object', got: typeName(value), source: file });
        continue;
      }
      for (const [sub, v] of Object.entries(value)) {
        if (v === null || v === undefined) continue;
        const p = `${key}.${sub}`;
        if (FIELDS[p]) layer.set(p, { value: v, source: file, base });
        else problems.push({ path: p, problem: `unknown key${suggest(p)}`, source: file });
      }
    } else if (FIELDS[key]) {
      layer.set(key, { value, source: file, base });
    } else {
      problems.push({ path: key, problem: `unknown key${suggest(key)}`, source: file });
    }
  }
  return layer;
}

/**
 * The environment as a layer: text values converted where they clearly are numbers or
 * booleans (otherwise left as text, for validation to report). Any OPENASTRO_S3_* variable
 * selects S3 storage unless OPENASTRO_STORAGE says otherwise.
 */
export function envLayer(env: Record<string, string | undefined>, cwd: string): Layer {
  const layer: Layer = new Map();
  for (const [p, spec] of Object.entries(FIELDS)) {
    if (!spec.env) continue;
    const text = env[spec.env];
    if (text === undefined || (text === '' && spec.type !== 'list')) continue;
    layer.set(p, { value: fromText(text, spec.type), source: spec.env, base: cwd });
  }
  if (!layer.has('storage.kind')) {
    const s3 = [...layer.entries()].find(([p]) => FIELDS[p].onlyFor === 's3');
    if (s3) layer.set('storage.kind', { value: 's3', source: s3[1].source, base: cwd });
  }
  return layer;
}

/** Command-line flags (or any programmatic override) as a layer. */
export function overrideLayer(overrides: ReadonlyArray<{ path: string; value: unknown; source: string }>, cwd: string): Layer {
  const layer: Layer = new Map();
  for (const o of overrides) {
    if (!FIELDS[o.path]) throw new RangeError(`override of unknown setting '${o.path}'`);
    layer.set(o.path, { value: o.value, source: o.source, base: cwd });
  }
  return layer;
}

function fromText(text: string, type: FieldType): unknown {
  const t = text.trim();
  switch (type) {
    case 'int':
    case 'number':
      return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t) ? Number(t) : text;
    case 'bool': {
      const l = t.toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(l)) return true;
      if (['false', '0', 'no', 'off'].includes(l)) return false;
      return text;
    }
    case 'list':
      return t === '' || t.toLowerCase() === 'none' ? [] : t.split(',').map((s) => s.trim()).filter((s) => s !== '');
    default:
      return text;
  }
}

/**
 * Merge layers (later wins) and validate. A layer that sets storage.kind to a different
 * kind drops the storage settings of the layers below it, which belonged to the other kind.
 */
export function buildConfig(layers: readonly Layer[], cwd: string, problems: ConfigProblem[] = []): Config {
  const defaults: Layer = new Map();
  for (const [p, spec] of Object.entries(FIELDS)) {
    if (spec.default !== undefined) defaults.set(p, { value: spec.default, source: 'default', base: cwd });
  }
  const merged: Layer = new Map(defaults);
  for (const layer of layers) {
    const kind = layer.get('storage.kind');
    if (kind && kind.value !== merged.get('storage.kind')?.value) {
      for (const p of [...merged.keys()]) if (p.startsWith('storage.')) merged.delete(p);
      for (const [p, v] of defaults) if (p.startsWith('storage.')) merged.set(p, v);
    }
    for (const [p, v] of layer) merged.set(p, v);
  }

  const kind = merged.get('storage.kind')?.value;
  const value = <T>(p: string): T | undefined => {
    const s = merged.get(p);
    if (s === undefined) return undefined;
    const spec = FIELDS[p];
    const problem = (spec.allowEmpty && s.value === '' ? undefined : typeProblem(s.value, spec.type)) ?? (spec.check ? spec.check(s.value as never) : undefined);
    if (problem) {
      problems.push({ path: p, problem, got: printable(s.value, spec.secret === true, p), source: s.source });
      return undefined;
    }
    return (spec.type === 'path' ? path.resolve(s.base, s.value as string) : s.value) as T;
  };

  // Storage settings of the other kind: given by a layer that did not change the kind.
  for (const [p, s] of merged) {
    const only = FIELDS[p].onlyFor;
    if (only && (kind === 'local' || kind === 's3') && only !== kind && s.source !== 'default') {
      problems.push({ path: p, problem: `applies only when storage.kind is '${only}' (storage.kind is '${String(kind)}')`, source: s.source });
    }
  }

  const dataDir = value<string>('dataDir') ?? path.resolve(cwd, 'data');
  const config: Config = {
    server: { host: value<string>('server.host') ?? '', port: value<number>('server.port') ?? 0 },
    dataDir,
    database: { dataDir: value<string>('database.dataDir') ?? path.join(dataDir, 'db') },
    storage: { kind: 'local', dir: '' },
    auth: { operatorTokens: [], readsOpen: value<boolean>('auth.readsOpen') ?? true },
    network: {
      heartbeatIntervalS: value<number>('network.heartbeatIntervalS') ?? 30,
      leaseS: value<number>('network.leaseS') ?? 120,
      sweepIntervalS: value<number>('network.sweepIntervalS') ?? 5,
    },
    jobs: {
      pollingIntervalSeconds: value<number>('jobs.pollingIntervalSeconds') ?? 2,
      queues: [],
      schema: value<string>('jobs.schema') ?? 'pgboss',
    },
    pipeline: {},
    log: { level: value<LogLevel>('log.level') ?? 'info' },
  };
  const url = value<string>('database.url');
  if (url !== undefined) config.database.url = url;
  const catalogPath = value<string>('pipeline.catalogPath');
  if (catalogPath !== undefined) config.pipeline.catalogPath = catalogPath;

  if (kind === 's3') {
    const bucket = value<string>('storage.bucket');
    if (bucket === undefined && !merged.has('storage.bucket')) {
      problems.push({ path: 'storage.bucket', problem: "is required when storage.kind is 's3'", source: merged.get('storage.kind')?.source ?? 'default' });
    }
    const s3: S3StorageConfig = {
      kind: 's3',
      bucket: bucket ?? '',
      region: value<string>('storage.region') ?? 'us-east-1',
      forcePathStyle: value<boolean>('storage.forcePathStyle') ?? false,
      keyPrefix: value<string>('storage.keyPrefix') ?? '',
    };
    const endpoint = value<string>('storage.endpoint');
    if (endpoint !== undefined) s3.endpoint = endpoint;
    const id = value<string>('storage.accessKeyId');
    const secret = value<string>('storage.secretAccessKey');
    const hasId = merged.has('storage.accessKeyId');
    if (hasId !== merged.has('storage.secretAccessKey')) {
      const given = merged.get(hasId ? 'storage.accessKeyId' : 'storage.secretAccessKey') as Sourced;
      problems.push({
        path: hasId ? 'storage.secretAccessKey' : 'storage.accessKeyId',
        problem: `is missing: storage.accessKeyId and storage.secretAccessKey go together (only ${hasId ? 'the key id' : 'the secret'} was given)`,
        source: given.source,
      });
    }
    if (id !== undefined && secret !== undefined) {
      s3.accessKeyId = id;
      s3.secretAccessKey = secret;
    }
    config.storage = s3;
  } else {
    value<string>('storage.kind'); // reports a bad kind
    config.storage = { kind: 'local', dir: value<string>('storage.dir') ?? path.join(dataDir, 'objects') };
  }

  config.auth.operatorTokens = operatorTokens(merged.get('auth.operatorTokens'), problems);
  config.jobs.queues = queues(merged.get('jobs.queues'), problems);

  const sweep = merged.get('network.sweepIntervalS');
  if (config.network.sweepIntervalS > config.network.heartbeatIntervalS && sweep) {
    problems.push({
      path: 'network.sweepIntervalS',
      problem: `must not exceed network.heartbeatIntervalS (${config.network.heartbeatIntervalS}), or a silent node is noticed late`,
      got: String(config.network.sweepIntervalS),
      source: sweep.source,
    });
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function operatorTokens(given: Sourced | undefined, problems: ConfigProblem[]): OperatorToken[] {
  if (given === undefined) return [];
  const p = 'auth.operatorTokens';
  if (!Array.isArray(given.value)) {
    problems.push({ path: p, problem: 'must be a list of tokens', got: typeName(given.value), source: given.source });
    return [];
  }
  const out: OperatorToken[] = [];
  given.value.forEach((entry: unknown, i: number) => {
    const at = `${p}[${i}]`;
    const defaultName = given.source.startsWith('OPENASTRO_') ? `env-operator-${i + 1}` : `operator-${i + 1}`;
    let name = defaultName;
    let token: unknown;
    let hash: unknown;
    if (typeof entry === 'string') {
      if (entry.startsWith('sha256:')) hash = entry.slice(7);
      else token = entry;
    } else if (isPlainObject(entry)) {
      const extra = Object.keys(entry).filter((k) => k !== 'name' && k !== 'token' && k !== 'sha256');
      if (extra.length > 0) problems.push({ path: `${at}.${extra[0]}`, problem: 'unknown key (an operator token has name, and token or sha256)', source: given.source });
      if (entry.name !== undefined) {
        if (typeof entry.name !== 'string' || entry.name.trim() === '') problems.push({ path: `${at}.name`, problem: 'must be a non-empty string', got: printable(entry.name, false), source: given.source });
        else name = entry.name;
      }
      token = entry.token;
      hash = entry.sha256;
      if ((token === undefined) === (hash === undefined)) {
        problems.push({ path: at, problem: 'needs exactly one of token or sha256', source: given.source });
        return;
      }
    } else {
      problems.push({ path: at, problem: "must be a token, 'sha256:<hex>', or { name, token | sha256 }", got: typeName(entry), source: given.source });
      return;
    }
    if (token !== undefined) {
      if (typeof token !== 'string' || token.length < 16 || /\s/.test(token)) {
        problems.push({ path: at, problem: 'a token must be at least 16 characters without spaces', got: typeof token === 'string' ? `${token.length} characters` : typeName(token), source: given.source });
        return;
      }
      out.push({ name, sha256: createHash('sha256').update(token, 'utf8').digest('hex') });
    } else {
      if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) {
        problems.push({ path: at, problem: 'sha256 must be 64 hex digits', got: printable(hash, false), source: given.source });
        return;
      }
      out.push({ name, sha256: hash.toLowerCase() });
    }
  });
  const names = new Set<string>();
  for (const t of out) {
    if (names.has(t.name)) problems.push({ path: p, problem: `operator name '${t.name}' is used twice`, source: given.source });
    names.add(t.name);
  }
  return out;
}

function queues(given: Sourced | undefined, problems: ConfigProblem[]): QueueName[] {
  if (given === undefined) return [];
  if (!Array.isArray(given.value)) {
    problems.push({ path: 'jobs.queues', problem: `must be a list of queue names (${QUEUES.join(', ')})`, got: printable(given.value, false), source: given.source });
    return [];
  }
  const out: QueueName[] = [];
  given.value.forEach((q: unknown, i: number) => {
    if (typeof q !== 'string' || !(QUEUES as readonly string[]).includes(q)) {
      problems.push({ path: `jobs.queues[${i}]`, problem: `must be one of ${QUEUES.join(', ')}`, got: printable(q, false), source: given.source });
    } else if (out.includes(q as QueueName)) {
      problems.push({ path: `jobs.queues[${i}]`, problem: 'is listed twice', got: JSON.stringify(q), source: given.source });
    } else {
      out.push(q as QueueName);
    }
  });
  return out;
}

function typeProblem(v: unknown, type: FieldType): string | undefined {
  switch (type) {
    case 'string':
      return typeof v === 'string' && v.trim() !== '' ? undefined : typeof v === 'string' ? 'must not be empty' : 'must be a string';
    case 'path':
      return typeof v === 'string' && v.trim() !== '' ? undefined : 'must be a non-empty path';
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) ? undefined : 'must be an integer';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a number';
    case 'bool':
      return typeof v === 'boolean' ? undefined : 'must be true or false';
    case 'list':
      return undefined; // checked element by element by its own reader
  }
}

/** A value for an error message: JSON-ish, short, secrets masked. */
function printable(v: unknown, secret: boolean, p?: string): string {
  if (secret) {
    if (p === 'database.url' && typeof v === 'string') return JSON.stringify(redactUrl(v));
    return '(hidden)';
  }
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  if (typeof v === 'bigint') return `${v}`;
  if (v instanceof Date) return `a date (${v.toISOString()})`;
  if (Array.isArray(v) || isPlainObject(v)) return typeName(v);
  return String(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isPlainObject(v)) return 'a table/object';
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 77)}...` : v);
  return `${typeof v} ${String(v)}`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** ' (did you mean x?)' for a near miss (edit distance ≤ 2) among known settings. */
function suggest(p: string): string {
  let best: string | undefined;
  let bestD = 3;
  for (const known of [...Object.keys(FIELDS), ...SECTIONS]) {
    const d = editDistance(p.toLowerCase(), known.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = known;
    }
  }
  return best ? ` (did you mean ${best}?)` : '';
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The configuration with secrets removed, for a start-up log line. */
export function describeConfig(c: Config): Record<string, unknown> {
  const storage = c.storage.kind === 's3' ? { ...c.storage, secretAccessKey: c.storage.secretAccessKey && '(hidden)' } : c.storage;
  return {
    ...c,
    database: { ...c.database, url: c.database.url && redactUrl(c.database.url) },
    storage,
    auth: { readsOpen: c.auth.readsOpen, operators: c.auth.operatorTokens.map((t) => t.name) },
  };
}
