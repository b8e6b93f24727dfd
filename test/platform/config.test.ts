/**
 * Configuration: defaults < file (JSON, YAML, TOML) < environment < flags, and validation
 * that names the path, the problem, the value and its source for every problem at once.
 * Token hashes are golden values from coreutils `sha256sum`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, describeConfig, FIELDS, loadConfig, type Config, type ConfigProblem } from '../../src/platform/config/index.js';
import { QUEUES } from '../../src/platform/jobs/queues.js';

// printf %s TOKEN | sha256sum
const SHA_OPERATOR = '943a274ca49d65fbfdd9d69fda41d6f14f49acff57e8d0aa8de7084f6abf3e09'; // operator-secret-token-0001
const SHA_ENV_A = '7ff4fe979423012ddf4859d1dfeffa5832605e5f64520f73ed9662eae3c7b013'; // env-token-aaaaaaaaaaaaaaaa
const SHA_ENV_B = 'ced050b5c29a2c22e851b6ed8632e55a11220f9e320a91d5ac1249f8436369af'; // env-token-bbbbbbbbbbbbbbbb

const root = mkdtempSync(path.join(tmpdir(), 'openastro-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const cwd = path.join(root, 'cwd');

function write(name: string, text: string): string {
  const file = path.join(root, name);
  writeFileSync(file, text);
  return file;
}

/** The message of the ConfigError `p` rejects with. */
async function messageOf(p: Promise<Config>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return (err as ConfigError).message;
}

async function problemsOf(p: Promise<Config>): Promise<ConfigProblem[]> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect(err).toMatchObject({ name: 'ConfigError', code: 'BAD_CONFIG' });
  return [...(err as ConfigError).problems];
}

describe('defaults', () => {
  it('build the embedded configuration under ./data', async () => {
    const c = await loadConfig({ env: {}, cwd });
    expect(c).toEqual({
      server: { host: '127.0.0.1', port: 8080 },
      dataDir: path.join(cwd, 'data'),
      database: { dataDir: path.join(cwd, 'data', 'db') },
      storage: { kind: 'local', dir: path.join(cwd, 'data', 'objects') },
      auth: { operatorTokens: [], readsOpen: true },
      network: { heartbeatIntervalS: 30, leaseS: 120, sweepIntervalS: 5 },
      jobs: { pollingIntervalSeconds: 2, queues: [...QUEUES], schema: 'pgboss' },
      pipeline: {},
      log: { level: 'info' },
    });
  });

  it('take the reference catalog from OPENASTRO_CATALOG, resolved against the working folder', async () => {
    const c = await loadConfig({ env: { OPENASTRO_CATALOG: 'catalogs/tycho2.oacat' }, cwd });
    expect(c.pipeline).toEqual({ catalogPath: path.join(cwd, 'catalogs', 'tycho2.oacat') });
  });
});

describe('file formats', () => {
  const expected = (dir: string): Partial<Config> => ({
    server: { host: '0.0.0.0', port: 9100 },
    dataDir: path.join(dir, 'state'),
    database: { dataDir: path.join(dir, 'state', 'db'), url: 'postgres://u:p@db.example:5432/astro' },
    storage: { kind: 's3', bucket: 'frames', region: 'eu-west-1', endpoint: 'http://minio:9000', forcePathStyle: true, keyPrefix: '' },
    auth: { operatorTokens: [{ name: 'alice', sha256: SHA_OPERATOR }, { name: 'operator-2', sha256: 'ab'.repeat(32) }], readsOpen: false },
    network: { heartbeatIntervalS: 15, leaseS: 60, sweepIntervalS: 2.5 },
    jobs: { pollingIntervalSeconds: 1, queues: ['ingest', 'image'], schema: 'pgboss' },
    pipeline: {},
    log: { level: 'debug' },
  });

  const json = JSON.stringify({
    server: { host: '0.0.0.0', port: 9100 },
    dataDir: 'state',
    database: { url: 'postgres://u:p@db.example:5432/astro' },
    storage: { kind: 's3', bucket: 'frames', region: 'eu-west-1', endpoint: 'http://minio:9000', forcePathStyle: true },
    auth: { operatorTokens: [{ name: 'alice', token: 'operator-secret-token-0001' }, `sha256:${'AB'.repeat(32)}`], readsOpen: false },
    network: { heartbeatIntervalS: 15, leaseS: 60, sweepIntervalS: 2.5 },
    jobs: { pollingIntervalSeconds: 1, queues: ['ingest', 'image'] },
    log: { level: 'debug' },
  });
  const yaml = `
server:
  host: 0.0.0.0
  port: 9100
dataDir: state
database:
  url: postgres://u:p@db.example:5432/astro
storage:
  kind: s3
  bucket: frames
  region: eu-west-1
  endpoint: http://minio:9000
  forcePathStyle: true
auth:
  operatorTokens:
    - { name: alice, token: operator-secret-token-0001 }
    - sha256:${'AB'.repeat(32)}
  readsOpen: false
network: { heartbeatIntervalS: 15, leaseS: 60, sweepIntervalS: 2.5 }
jobs:
  pollingIntervalSeconds: 1
  queues: [ingest, image]
log:
  level: debug
`;
  const toml = `
dataDir = "state"

[server]
host = "0.0.0.0"
port = 9100

[database]
url = "postgres://u:p@db.example:5432/astro"

[storage]
kind = "s3"
bucket = "frames"
region = "eu-west-1"
endpoint = "http://minio:9000"
forcePathStyle = true

[auth]
operatorTokens = [{ name = "alice", token = "operator-secret-token-0001" }, "sha256:${'AB'.repeat(32)}"]
readsOpen = false

[network]
heartbeatIntervalS = 15
leaseS = 60
sweepIntervalS = 2.5

[jobs]
pollingIntervalSeconds = 1
queues = ["ingest", "image"]

[log]
level = "debug"
`;

  it.each([
    ['openastro.json', json],
    ['openastro.yaml', yaml],
    ['openastro.yml', yaml],
    ['openastro.toml', toml],
  ])('%s gives the same configuration, paths relative to the file', async (name, text) => {
    const file = write(name, text);
    const c = await loadConfig({ file, env: {}, cwd });
    expect(c).toEqual(expected(root));
  });

  it('reads the file named by OPENASTRO_CONFIG', async () => {
    const file = write('via-env.toml', toml);
    const c = await loadConfig({ env: { OPENASTRO_CONFIG: file }, cwd });
    expect(c.server.port).toBe(9100);
  });

  it.each([
    ['bad.json', '{ "server": { "port": 80, } }', 'not valid JSON'],
    ['bad.yaml', 'server:\n  port: [1, 2\n', 'not valid YAML'],
    ['bad.toml', '[server]\nport = = 3\n', 'not valid TOML'],
    ['bad.ini', 'port=3', 'unknown config file type'],
  ])('a syntax error in %s names the file', async (name, text, problem) => {
    const file = write(name, text);
    const problems = await problemsOf(loadConfig({ file, env: {}, cwd }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ path: '(file)', source: file });
    expect(problems[0].problem).toContain(problem);
  });

  it.each([
    ['line.toml', '[server]\nhost = "a"\nport = = 3\n', 'line 3, column 8'],
    ['line.yaml', 'server:\n  host: a\n  port: [1, 2\n', 'line 4, column 1'], // the unclosed list is noticed at the end
    ['line.json', '{\n  "server": {\n    "port": 80,\n  }\n}', 'line 4, column 3'],
  ])('reports the line of a syntax error in %s', async (name, text, where) => {
    const file = write(name, text);
    const [p] = await problemsOf(loadConfig({ file, env: {}, cwd }));
    expect(p.problem).toContain(where);
  });

  it('reports a missing file', async () => {
    const file = path.join(root, 'nope.yaml');
    expect(await problemsOf(loadConfig({ file, env: {}, cwd }))).toEqual([{ path: '(file)', problem: 'file not found', source: file }]);
  });
});

describe('precedence', () => {
  it('environment overrides the file, flags override the environment', async () => {
    const file = write('prec.yaml', 'server: { host: 10.0.0.1, port: 7000 }\nlog: { level: warn }\nauth: { operatorTokens: [operator-secret-token-0001] }\n');
    const env = {
      OPENASTRO_PORT: '7001',
      OPENASTRO_LOG_LEVEL: 'error',
      OPENASTRO_OPERATOR_TOKEN: 'env-token-aaaaaaaaaaaaaaaa, env-token-bbbbbbbbbbbbbbbb',
      OPENASTRO_READS_OPEN: 'no',
      OPENASTRO_DATA_DIR: 'rel/data',
      OPENASTRO_JOBS_QUEUES: 'none',
      OPENASTRO_SWEEP_INTERVAL_S: '1e0',
    };
    const c = await loadConfig({ file, env, cwd, overrides: [{ path: 'server.port', value: 7002, source: '--port' }] });
    expect(c.server).toEqual({ host: '10.0.0.1', port: 7002 });
    expect(c.log.level).toBe('error');
    expect(c.auth).toEqual({
      operatorTokens: [
        { name: 'env-operator-1', sha256: SHA_ENV_A },
        { name: 'env-operator-2', sha256: SHA_ENV_B },
      ],
      readsOpen: false,
    });
    expect(c.dataDir).toBe(path.join(cwd, 'rel', 'data'));
    expect(c.database.dataDir).toBe(path.join(cwd, 'rel', 'data', 'db'));
    expect(c.jobs.queues).toEqual([]);
    expect(c.network.sweepIntervalS).toBe(1);
  });

  it('DATABASE_URL selects PostgreSQL', async () => {
    const c = await loadConfig({ env: { DATABASE_URL: 'postgresql://x@localhost/openastro' }, cwd });
    expect(c.database.url).toBe('postgresql://x@localhost/openastro');
  });

  it('an S3 variable switches storage to s3 and drops the file’s local settings', async () => {
    const file = write('local.json', JSON.stringify({ storage: { kind: 'local', dir: '/srv/objects' } }));
    const c = await loadConfig({
      file,
      env: { OPENASTRO_S3_BUCKET: 'net-frames', OPENASTRO_S3_ACCESS_KEY_ID: 'AKIA', OPENASTRO_S3_SECRET_ACCESS_KEY: 'shh', OPENASTRO_S3_FORCE_PATH_STYLE: 'true', OPENASTRO_S3_KEY_PREFIX: 'net1/' },
      cwd,
    });
    expect(c.storage).toEqual({ kind: 's3', bucket: 'net-frames', region: 'us-east-1', accessKeyId: 'AKIA', secretAccessKey: 'shh', forcePathStyle: true, keyPrefix: 'net1/' });
  });

  it('OPENASTRO_STORAGE=local wins over S3 variables only by reporting them', async () => {
    const problems = await problemsOf(loadConfig({ env: { OPENASTRO_STORAGE: 'local', OPENASTRO_S3_BUCKET: 'b-b-b' }, cwd }));
    expect(problems).toEqual([{ path: 'storage.bucket', problem: "applies only when storage.kind is 's3' (storage.kind is 'local')", source: 'OPENASTRO_S3_BUCKET' }]);
  });
});

describe('validation', () => {
  it('lists every problem in a file with path, value and source', async () => {
    const file = write(
      'many.yaml',
      `
server:
  prot: 80
  port: 70000
sever: {}
database:
  url: mysql://root:hunter2@db/x
storage:
  kind: s3
  dir: /srv/objects
auth:
  operatorTokens: [short, { token: operator-secret-token-0001, sha256: ${'0'.repeat(64)} }, { name: bob, sha256: xyz }, 42]
  readsOpen: maybe
network:
  heartbeatIntervalS: 60
  leaseS: 0
jobs:
  queues: [ingest, ingest, render]
  pollingIntervalSeconds: fast
log:
  level: verbose
`,
    );
    const problems = await problemsOf(loadConfig({ file, env: {}, cwd }));
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'server.prot', problem: 'unknown key (did you mean server.port?)', source: file },
        { path: 'sever', problem: 'unknown key (did you mean server?)', source: file },
        { path: 'server.port', problem: 'must be an integer from 0 to 65535', got: '70000', source: file },
        { path: 'database.url', problem: "has scheme 'mysql'; expected postgres:// or postgresql://", got: '"mysql://root:***@db/x"', source: file },
        { path: 'storage.dir', problem: "applies only when storage.kind is 'local' (storage.kind is 's3')", source: file },
        { path: 'storage.bucket', problem: "is required when storage.kind is 's3'", source: file },
        { path: 'auth.operatorTokens[0]', problem: 'a token must be at least 16 characters without spaces', got: '5 characters', source: file },
        { path: 'auth.operatorTokens[1]', problem: 'needs exactly one of token or sha256', source: file },
        { path: 'auth.operatorTokens[2]', problem: 'sha256 must be 64 hex digits', got: '"xyz"', source: file },
        { path: 'auth.operatorTokens[3]', problem: "must be a token, 'sha256:<hex>', or { name, token | sha256 }", got: 'number 42', source: file },
        { path: 'auth.readsOpen', problem: 'must be true or false', got: '"maybe"', source: file },
        { path: 'network.heartbeatIntervalS', problem: 'must be a number from 15 to 30', got: '60', source: file },
        { path: 'network.leaseS', problem: 'must be a number from 1 to 86400', got: '0', source: file },
        { path: 'jobs.queues[1]', problem: 'is listed twice', got: '"ingest"', source: file },
        { path: 'jobs.queues[2]', problem: `must be one of ${QUEUES.join(', ')}`, got: '"render"', source: file },
        { path: 'jobs.pollingIntervalSeconds', problem: 'must be a number', got: '"fast"', source: file },
        { path: 'log.level', problem: 'must be one of fatal, error, warn, info, debug, trace, silent', got: '"verbose"', source: file },
      ]),
    );
    expect(problems).toHaveLength(17);
    const message = await messageOf(loadConfig({ file, env: {}, cwd }));
    expect(message).toContain('bad configuration (17 problems)');
    expect(message).toContain(`server.port: must be an integer from 0 to 65535 (got 70000) [from ${file}]`);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('operator-secret-token-0001');
  });

  it('names the environment variable of a bad value and hides secrets', async () => {
    const env = {
      OPENASTRO_PORT: 'eighty',
      OPENASTRO_HEARTBEAT_INTERVAL_S: '10',
      OPENASTRO_READS_OPEN: 'perhaps',
      DATABASE_URL: 'postgres://user:topsecret@localhost',
      OPENASTRO_S3_SECRET_ACCESS_KEY: 'very-secret-key',
      OPENASTRO_S3_ENDPOINT: 'ftp://x',
      OPENASTRO_OPERATOR_TOKEN: 'tiny',
      OPENASTRO_JOBS_QUEUES: 'ingest,bogus',
      OPENASTRO_JOBS_SCHEMA: 'Bad-Schema',
    };
    const problems = await problemsOf(loadConfig({ env, cwd }));
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: 'server.port', problem: 'must be an integer', got: '"eighty"', source: 'OPENASTRO_PORT' },
        { path: 'network.heartbeatIntervalS', problem: 'must be a number from 15 to 30', got: '10', source: 'OPENASTRO_HEARTBEAT_INTERVAL_S' },
        { path: 'auth.readsOpen', problem: 'must be true or false', got: '"perhaps"', source: 'OPENASTRO_READS_OPEN' },
        { path: 'database.url', problem: 'names no database; add /<database> after the host', got: '"postgres://user:***@localhost"', source: 'DATABASE_URL' },
        { path: 'storage.endpoint', problem: 'must be an http:// or https:// URL', got: '"ftp://x"', source: 'OPENASTRO_S3_ENDPOINT' },
        // The first S3 variable is what selected s3 storage.
        { path: 'storage.bucket', problem: "is required when storage.kind is 's3'", source: 'OPENASTRO_S3_ENDPOINT' },
        {
          path: 'storage.accessKeyId',
          problem: 'is missing: storage.accessKeyId and storage.secretAccessKey go together (only the secret was given)',
          source: 'OPENASTRO_S3_SECRET_ACCESS_KEY',
        },
        { path: 'auth.operatorTokens[0]', problem: 'a token must be at least 16 characters without spaces', got: '4 characters', source: 'OPENASTRO_OPERATOR_TOKEN' },
        { path: 'jobs.queues[1]', problem: `must be one of ${QUEUES.join(', ')}`, got: '"bogus"', source: 'OPENASTRO_JOBS_QUEUES' },
        { path: 'jobs.schema', problem: 'must be a lower-case SQL identifier (a-z, 0-9, _)', got: '"Bad-Schema"', source: 'OPENASTRO_JOBS_SCHEMA' },
      ]),
    );
    expect(problems).toHaveLength(10);
    const message = await messageOf(loadConfig({ env, cwd }));
    for (const secret of ['topsecret', 'very-secret-key', 'tiny']) expect(message).not.toContain(secret);
  });

  it('checks the sweep interval against the heartbeat interval', async () => {
    const problems = await problemsOf(loadConfig({ env: { OPENASTRO_HEARTBEAT_INTERVAL_S: '20', OPENASTRO_SWEEP_INTERVAL_S: '25' }, cwd }));
    expect(problems).toEqual([
      {
        path: 'network.sweepIntervalS',
        problem: 'must not exceed network.heartbeatIntervalS (20), or a silent node is noticed late',
        got: '25',
        source: 'OPENASTRO_SWEEP_INTERVAL_S',
      },
    ]);
  });

  it('refuses a file that is not a table, and sections that are not tables', async () => {
    const list = write('list.json', '[1, 2]');
    expect(await problemsOf(loadConfig({ file: list, env: {}, cwd }))).toEqual([
      { path: '(file)', problem: 'must be a table/object of settings', got: 'a list', source: list },
    ]);
    const scalar = write('scalar.yaml', 'server: 8080\nlog: { level: info }\n');
    expect(await problemsOf(loadConfig({ file: scalar, env: {}, cwd }))).toEqual([
      { path: 'server', problem: 'must be a table/object', got: 'number 8080', source: scalar },
    ]);
  });

  it('treats empty YAML values as not given', async () => {
    const file = write('nulls.yaml', 'database:\n  url:\nserver:\n  port: 9000\n');
    const c = await loadConfig({ file, env: {}, cwd });
    expect(c.database.url).toBeUndefined();
    expect(c.server.port).toBe(9000);
  });
});

it('describes a configuration for the log without its secrets', async () => {
  const c = await loadConfig({
    env: {
      DATABASE_URL: 'postgres://astro:db-password-1@db:5432/astro',
      OPENASTRO_S3_BUCKET: 'frames',
      OPENASTRO_S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      OPENASTRO_S3_SECRET_ACCESS_KEY: 's3-secret-2',
      OPENASTRO_OPERATOR_TOKEN: 'env-token-aaaaaaaaaaaaaaaa',
    },
    cwd,
  });
  const text = JSON.stringify(describeConfig(c));
  for (const secret of ['db-password-1', 's3-secret-2', 'env-token-aaaaaaaaaaaaaaaa', SHA_ENV_A]) expect(text).not.toContain(secret);
  expect(describeConfig(c)).toMatchObject({ database: { url: 'postgres://astro:***@db:5432/astro' }, auth: { operators: ['env-operator-1'] }, storage: { bucket: 'frames' } });
});

it('documents every environment variable in the module comment', () => {
  const source = readFileSync(fileURLToPath(new URL('../../src/platform/config/config.ts', import.meta.url)), 'utf8');
  const comment = source.slice(0, source.indexOf('*/'));
  for (const [p, spec] of Object.entries(FIELDS)) {
    expect(comment, p).toContain(`| ${p}`);
    if (spec.env) expect(comment, spec.env).toContain(spec.env);
  }
});
