/**
 * Coordination service under heartbeat load (issue 7): `openastro serve` on loopback with N
 * registered nodes, driven by autocannon — 50 connections, each request a heartbeat (POST
 * /api/v1/nodes/:id/heartbeat) of a random registered node with its own token. Figures:
 * heartbeats/s, p50 and p99 latency. The reference is the same load against GET /healthz
 * on the same server (one `select 1`, no write, no auth lookup), so the ratio says what the
 * heartbeat's auth + batched UPDATE (+ sampled log INSERT) cost over the bare request path.
 * Goal on the 2-core reference machine: ≥ 3,000 heartbeats/s with p99 < 50 ms on
 * PostgreSQL (a 45,000-node network at 15 s intervals).
 *
 * The machine is shared, so its load drifts during a run: heartbeats and /healthz are
 * measured in alternating slices (BENCH_SERVER_ROUNDS rounds of each), and the figures are
 * over all slices of a kind — requests answered per second of slice time, and percentiles
 * of every response time — so both sides of the ratio saw the same drift.
 *
 * Before measuring, every node sends one heartbeat (a live network has, within the last 15–30
 * s), so the server's token cache holds every node as it would in steady state.
 *
 * The service runs in a child process (this same file, with --child), so the load
 * generator does not share its event loop. Engines: PGlite always; PostgreSQL when
 * BENCH_DATABASE_URL or TEST_DATABASE_URL is set (in a throw-away schema).
 * Knobs: BENCH_SERVER_DURATION_S (default 10, per kind), BENCH_SERVER_ROUNDS (default 5),
 * BENCH_SERVER_NODES (default 1000), BENCH_SERVER_ENGINES (default 'pglite,postgres').
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import type { BenchContext } from './harness.js';

const CHILD_FLAG = '--child';
const OPERATOR_TOKEN = randomBytes(24).toString('base64url');
const CONNECTIONS = 50;

export async function run(ctx: BenchContext): Promise<void> {
  const durationS = Number(process.env.BENCH_SERVER_DURATION_S ?? 10);
  const nodeCount = Number(process.env.BENCH_SERVER_NODES ?? 1000);
  const rounds = Math.max(1, Math.floor(Number(process.env.BENCH_SERVER_ROUNDS ?? 5)));
  const only = (process.env.BENCH_SERVER_ENGINES ?? 'pglite,postgres').split(',').map((e) => e.trim());
  const engines: Array<{ name: 'pglite' | 'postgres'; url?: string }> = [];
  if (only.includes('pglite')) engines.push({ name: 'pglite' });
  const pgUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (pgUrl && only.includes('postgres')) engines.push({ name: 'postgres', url: pgUrl });
  else if (!pgUrl) console.log('server: PostgreSQL skipped (set BENCH_DATABASE_URL or TEST_DATABASE_URL)');

  for (const engine of engines) {
    const tag = randomBytes(4).toString('hex');
    const schema = engine.url ? await createSchema(engine.url, `bench_${tag}`) : undefined;
    const child = await startChild({
      OPENASTRO_CONFIG: '',
      OPENASTRO_HOST: '127.0.0.1',
      OPENASTRO_PORT: '0',
      OPENASTRO_DATA_DIR: path.join(ctx.tmpDir, `data-${engine.name}`),
      OPENASTRO_OPERATOR_TOKEN: OPERATOR_TOKEN,
      OPENASTRO_LOG_LEVEL: 'warn',
      OPENASTRO_JOBS_QUEUES: 'none',
      OPENASTRO_JOBS_SCHEMA: `pgboss_bench_${tag}`,
      DATABASE_URL: schema ? schema.url : '',
    });
    try {
      const nodes = await registerNodes(child.url, nodeCount);
      const random = xorshift(42);
      const heartbeat: autocannon.Request = {
        method: 'POST',
        setupRequest: (req) => {
          const n = nodes[Math.floor(random() * nodes.length)];
          return {
            ...req,
            path: `/api/v1/nodes/${n.id}/heartbeat`,
            headers: { 'content-type': 'application/json', authorization: `Bearer ${n.token}` },
            body: JSON.stringify({ state: 'ONLINE', weatherOk: true, currentTarget: 'HAT-P-7' }),
          };
        },
      };
      // Warm-up: one heartbeat from every node, as a live network has sent within the last
      // interval (so each node's token is in the server's cache), then 2 s of the load itself
      // (JIT, pool, prepared statement).
      let nextNode = 0;
      const everyNode: autocannon.Request = {
        method: 'POST',
        setupRequest: (req) => {
          const n = nodes[nextNode++ % nodes.length];
          return { ...req, path: `/api/v1/nodes/${n.id}/heartbeat`, headers: { 'content-type': 'application/json', authorization: `Bearer ${n.token}` }, body: JSON.stringify({ state: 'ONLINE', weatherOk: true }) };
        },
      };
      await loadAmount(child.url, [everyNode], nodes.length);
      await load(child.url, [heartbeat], Math.min(2, durationS), []);
      const { heartbeat: hb, healthz: base } = await alternate(
        child.url,
        { heartbeat: [heartbeat], healthz: [{ method: 'GET', path: '/healthz' }] },
        durationS,
        rounds,
      );
      for (const [label, r] of [['heartbeat', hb], ['/healthz', base]] as const) {
        // A non-2xx answer is a bug (bad token, bad body): the figures would be meaningless.
        if (r.non2xx > 0) throw new Error(`server bench (${engine.name}): ${label} had ${r.non2xx} non-2xx responses of ${r.total}`);
        // Errors are requests with no answer within autocannon's 10 s timeout: overload, reported.
        if (r.errors > 0) console.log(`server: ${engine.name} ${label}: ${r.errors} of ${r.total + r.errors} requests unanswered after 10 s (${r.timeouts} timeouts)`);
      }
      const ref = (value: number) => ({ tool: 'GET /healthz', value });
      const name = `heartbeat ${engine.name} (${nodes.length} nodes, ${CONNECTIONS} conn)`;
      ctx.record({ name: `${name} rate`, unit: 'req/s', ours: hb.rate, reference: ref(base.rate), higherIsBetter: true });
      ctx.record({ name: `${name} p50`, unit: 'ms', ours: hb.p50Ms, reference: ref(base.p50Ms), higherIsBetter: false });
      ctx.record({ name: `${name} p99`, unit: 'ms', ours: hb.p99Ms, reference: ref(base.p99Ms), higherIsBetter: false });
      if (engine.name === 'postgres') {
        const met = hb.rate >= 3000 && hb.p99Ms < 50;
        console.log(`server: goal ≥ 3000 heartbeats/s with p99 < 50 ms on PostgreSQL: ${met ? 'met' : 'NOT met'}`);
      }
    } finally {
      await child.stop();
      if (schema) await schema.drop(`pgboss_bench_${tag}`);
    }
  }
}

interface Totals {
  /** 2xx answers per second of measured time. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

/**
 * `rounds` rounds of one slice per kind (durationS / rounds seconds each), kinds in turn;
 * totals per kind over all its slices.
 */
async function alternate<K extends string>(url: string, kinds: Record<K, autocannon.Request[]>, durationS: number, rounds: number): Promise<Record<K, Totals>> {
  const sliceS = Math.max(1, durationS / rounds);
  const acc = {} as Record<K, { latencies: number[]; seconds: number; ok: number; non2xx: number; errors: number; timeouts: number }>;
  for (const k of Object.keys(kinds) as K[]) acc[k] = { latencies: [], seconds: 0, ok: 0, non2xx: 0, errors: 0, timeouts: 0 };
  for (let r = 0; r < rounds; r++) {
    for (const k of Object.keys(kinds) as K[]) {
      const a = acc[k];
      const res = await load(url, kinds[k], sliceS, a.latencies);
      a.seconds += res.duration;
      a.ok += res['2xx'];
      a.non2xx += res.non2xx;
      a.errors += res.errors;
      a.timeouts += res.timeouts;
    }
  }
  const out = {} as Record<K, Totals>;
  for (const k of Object.keys(kinds) as K[]) {
    const a = acc[k];
    const sorted = Float64Array.from(a.latencies).sort();
    out[k] = { rate: a.ok / a.seconds, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), total: a.ok + a.non2xx, non2xx: a.non2xx, errors: a.errors, timeouts: a.timeouts };
  }
  return out;
}

/** The q-quantile of sorted values (nearest rank). */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** `amount` requests, then stop. */
function loadAmount(url: string, requests: autocannon.Request[], amount: number): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, amount, requests }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** One autocannon run; every response time (ms) is appended to `latencies`. */
function load(url: string, requests: autocannon.Request[], durationS: number, latencies: number[]): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections: CONNECTIONS, duration: durationS, requests }, (err, result) => (err ? reject(err) : resolve(result)));
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTimeMs: number) => latencies.push(responseTimeMs));
  });
}

/** Register `n` nodes at one site through the API, 16 at a time. */
async function registerNodes(url: string, n: number): Promise<Array<{ id: string; token: string }>> {
  const headers = { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' };
  const post = async (p: string, body: unknown) => {
    const r = await fetch(url + p, { method: 'POST', headers, body: JSON.stringify(body) });
    if (r.status !== 201) throw new Error(`server bench: POST ${p} answered ${r.status}: ${await r.text()}`);
    return r.json() as Promise<Record<string, unknown>>;
  };
  const site = await post('/api/v1/sites', { name: 'bench site', latitudeDeg: 28.76, longitudeDeg: -17.88 });
  const nodes: Array<{ id: string; token: string }> = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const r = await post('/api/v1/nodes', {
        siteId: site.id,
        name: `bench-${i}`,
        apertureMm: 200,
        focalLengthMm: 1000,
        pixelSizeUm: 3.76,
        sensorWidthPx: 4096,
        sensorHeightPx: 4096,
        filters: ['V'],
      });
      nodes.push({ id: (r.node as { id: string }).id, token: r.token as string });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return nodes;
}

/** Start this file as the service process; resolves when it prints its URL. */
async function startChild(env: Record<string, string>): Promise<{ url: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), CHILD_FLAG], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const m = /^READY (\S+)$/m.exec(out);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`server bench: service process exited (${code}) before it was ready`)));
  });
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A throw-away schema in the PostgreSQL database, and the URL that uses it. */
async function createSchema(url: string, schema: string): Promise<{ url: string; drop(bossSchema: string): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: u.toString(),
    async drop(bossSchema) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.query(`DROP SCHEMA IF EXISTS ${bossSchema} CASCADE`);
      await c.end();
    },
  };
}

/** Seeded uniform [0, 1) (xorshift32), so every run draws the same nodes. */
function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** The service process: start from the environment, print READY <url>, stop on SIGTERM. */
async function childMain(): Promise<void> {
  const { loadConfig } = await import('../src/platform/config/load.js');
  const { startService } = await import('../src/server/service.js');
  const config = await loadConfig();
  const service = await startService({ config, shutdownGraceMs: 2000 });
  process.stdout.write(`READY ${service.url}\n`);
  await new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
  await service.close();
}

if (process.argv[2] === CHILD_FLAG && path.resolve(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  childMain().catch((err: unknown) => {
    console.error(`server bench child: ${err instanceof Error ? err.stack : String(err)}`);
    process.exitCode = 1;
  });
}
