/**
 * Prometheus text exposition format 0.0.4, checked line for line against the examples of
 * the format's specification (prometheus.io/docs/instrumenting/exposition_formats, "Text
 * format example"), minus their optional timestamps.
 */
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPE, createRegistry, MetricsError } from '../../src/platform/metrics/index.js';

describe('exposition text', () => {
  it('reproduces the specification’s counter example', async () => {
    const r = createRegistry();
    const c = r.counter({ name: 'http_requests_total', help: 'The total number of HTTP requests.', labelNames: ['method', 'code'] });
    c.inc({ method: 'post', code: 200 }, 1000);
    c.inc({ method: 'post', code: '400' }, 3);
    c.inc({ method: 'post', code: '200' }, 27);
    expect(await r.render()).toBe(
      '# HELP http_requests_total The total number of HTTP requests.\n' +
        '# TYPE http_requests_total counter\n' +
        'http_requests_total{method="post",code="200"} 1027\n' +
        'http_requests_total{method="post",code="400"} 3\n',
    );
    expect(c.get({ method: 'post', code: '200' })).toBe(1027);
  });

  it('escapes label values as the specification’s msdos example', async () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'msdos_file_access_time_seconds', help: '', labelNames: ['path', 'error'] });
    g.set({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' }, 1.458255915e9);
    const text = await r.render();
    expect(text.split('\n')[2]).toBe('msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1458255915');
  });

  it('writes the minimalistic line and +Inf', async () => {
    const r = createRegistry();
    r.gauge({ name: 'metric_without_timestamp_and_labels', help: 'x' }).set({}, 12.47);
    r.gauge({ name: 'something_weird', help: 'y', labelNames: ['problem'] }).set({ problem: 'division by zero' }, Infinity);
    const samples = (await r.render()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(samples).toEqual(['metric_without_timestamp_and_labels 12.47', 'something_weird{problem="division by zero"} +Inf']);
  });

  it('reproduces the specification’s histogram example', async () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'http_request_duration_seconds', help: 'A histogram of the request duration.', buckets: [0.05, 0.1, 0.2, 0.5, 1] });
    // Per-bucket counts that accumulate to the example's; values are powers of two (exact
    // in binary) so the sum is exactly 53423.
    const fill = (n: number, v: number) => {
      for (let i = 0; i < n; i++) h.observe({}, v);
    };
    fill(24054, 0.03125); // ≤ 0.05
    fill(33444 - 24054, 0.0625); // (0.05, 0.1]
    fill(100392 - 33444, 0.125); // (0.1, 0.2]
    fill(129389 - 100392, 0.25); // (0.2, 0.5]
    fill(133988 - 129389, 1); // (0.5, 1] — on the bound: le is inclusive
    fill(144320 - 133988 - 1, 2); // > 1
    h.observe({}, 53423 - (24054 * 0.03125 + 9390 * 0.0625 + 66948 * 0.125 + 28997 * 0.25 + 4599 * 1 + 10331 * 2));
    expect(await r.render()).toBe(
      [
        '# HELP http_request_duration_seconds A histogram of the request duration.',
        '# TYPE http_request_duration_seconds histogram',
        'http_request_duration_seconds_bucket{le="0.05"} 24054',
        'http_request_duration_seconds_bucket{le="0.1"} 33444',
        'http_request_duration_seconds_bucket{le="0.2"} 100392',
        'http_request_duration_seconds_bucket{le="0.5"} 129389',
        'http_request_duration_seconds_bucket{le="1"} 133988',
        'http_request_duration_seconds_bucket{le="+Inf"} 144320',
        'http_request_duration_seconds_sum 53423',
        'http_request_duration_seconds_count 144320',
        '',
      ].join('\n'),
    );
  });

  it('puts labels before le, counts a value on a bound in that bucket, and keeps series apart', async () => {
    const r = createRegistry();
    const h = r.histogram({ name: 'lat_seconds', help: 'h', labelNames: ['route'], buckets: [0.1, 1] });
    h.observe({ route: '/a' }, 0.1);
    h.observe({ route: '/b' }, 5);
    h.observe({ route: '/a' }, 0.5);
    expect(await r.render()).toBe(
      [
        '# HELP lat_seconds h',
        '# TYPE lat_seconds histogram',
        'lat_seconds_bucket{route="/a",le="0.1"} 1',
        'lat_seconds_bucket{route="/a",le="1"} 2',
        'lat_seconds_bucket{route="/a",le="+Inf"} 2',
        'lat_seconds_sum{route="/a"} 0.6',
        'lat_seconds_count{route="/a"} 2',
        'lat_seconds_bucket{route="/b",le="0.1"} 0',
        'lat_seconds_bucket{route="/b",le="1"} 0',
        'lat_seconds_bucket{route="/b",le="+Inf"} 1',
        'lat_seconds_sum{route="/b"} 5',
        'lat_seconds_count{route="/b"} 1',
        '',
      ].join('\n'),
    );
  });

  it('escapes HELP text (backslash and newline only) and starts unlabelled metrics at 0', async () => {
    const r = createRegistry();
    r.counter({ name: 'jobs_total', help: 'Jobs "done"\nin C:\\queue' });
    r.gauge({ name: 'labelled', help: 'no series yet', labelNames: ['x'] });
    expect(await r.render()).toBe(
      '# HELP jobs_total Jobs "done"\\nin C:\\\\queue\n# TYPE jobs_total counter\njobs_total 0\n' + '# HELP labelled no series yet\n# TYPE labelled gauge\n',
    );
  });

  it('spells NaN and -Inf', async () => {
    const r = createRegistry();
    const g = r.gauge({ name: 'g', help: 'g', labelNames: ['k'] });
    g.set({ k: 'nan' }, NaN);
    g.set({ k: 'neg' }, -Infinity);
    expect((await r.render()).split('\n').slice(2, 4)).toEqual(['g{k="nan"} NaN', 'g{k="neg"} -Inf']);
  });

  it('runs collect callbacks at each render, and leaves out a failing one', async () => {
    const errors: string[] = [];
    const r = createRegistry({ onCollectError: (m, e) => errors.push(`${m}: ${(e as Error).message}`) });
    let n = 0;
    r.gauge({
      name: 'nodes',
      help: 'Nodes by state.',
      labelNames: ['state'],
      collect: async (g) => {
        g.reset();
        n++;
        g.set({ state: 'ONLINE' }, n * 10);
      },
    });
    r.gauge({
      name: 'broken',
      help: 'b',
      collect: () => {
        throw new Error('db down');
      },
    });
    expect(await r.render()).toContain('nodes{state="ONLINE"} 10\n');
    const second = await r.render();
    expect(second).toContain('nodes{state="ONLINE"} 20\n');
    expect(second).toContain('# TYPE broken gauge\n');
    expect(second).not.toMatch(/^broken /m);
    expect(errors).toEqual(['broken: db down', 'broken: db down']);
  });

  it('exposes the 0.0.4 content type', () => {
    expect(CONTENT_TYPE).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

describe('misuse', () => {
  it('rejects bad names, duplicates, wrong labels, decreasing counters and bad buckets', () => {
    const r = createRegistry();
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(MetricsError);
        return (e as MetricsError).code;
      }
      return 'no error';
    };
    expect(codeOf(() => r.counter({ name: '1bad', help: '' }))).toBe('BAD_NAME');
    expect(codeOf(() => r.counter({ name: 'ok', help: '', labelNames: ['__reserved'] }))).toBe('BAD_NAME');
    expect(codeOf(() => r.histogram({ name: 'h_le', help: '', labelNames: ['le'] }))).toBe('BAD_NAME');
    const c = r.counter({ name: 'c_total', help: '', labelNames: ['a'] });
    expect(codeOf(() => r.gauge({ name: 'c_total', help: '' }))).toBe('DUPLICATE');
    expect(codeOf(() => c.inc({ b: 1 }))).toBe('BAD_LABELS');
    expect(codeOf(() => c.inc({ a: 1, b: 2 }))).toBe('BAD_LABELS');
    expect(codeOf(() => c.inc({ a: 1 }, -1))).toBe('BAD_VALUE');
    expect(codeOf(() => r.histogram({ name: 'h1', help: '', buckets: [1, 1] }))).toBe('BAD_BUCKETS');
    expect(codeOf(() => r.histogram({ name: 'h2', help: '', buckets: [1, Infinity] }))).toBe('BAD_BUCKETS');
    const h = r.histogram({ name: 'h3', help: '' });
    expect(codeOf(() => h.observe({}, NaN))).toBe('BAD_VALUE');
  });
});
