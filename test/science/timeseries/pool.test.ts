/**
 * The worker pool: the same sums, periodograms and bootstrap maxima as on one thread,
 * whatever the split; explicit lifecycle; typed errors. (From the TypeScript sources the
 * workers load through tsx, so starting takes a second or two.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  autoFrequencyGrid,
  bootstrapMaxima,
  bootstrapMaximaAsync,
  lombScargle,
  lombScargleAsync,
  multibandLombScargle,
  multibandLombScargleAsync,
  PeriodogramPool,
  startPeriodogramPool,
  TimeseriesError,
} from '../../../src/science/timeseries/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { ds1, DS1_GRID, readText } from './fixtures.js';

let pool: PeriodogramPool;
beforeAll(async () => {
  pool = await startPeriodogramPool({ threads: 2 });
}, 60_000);
afterAll(async () => {
  await pool?.stop();
});

describe('PeriodogramPool', () => {
  it('gives bit-identical exact and fast periodograms', async () => {
    const d = ds1();
    for (const method of ['exact', 'fast'] as const) {
      for (const nterms of [1, 2]) {
        const a = lombScargle(d, DS1_GRID, { method, nterms });
        const b = await lombScargleAsync(d, DS1_GRID, { method, nterms, pool });
        expect(b).toEqual(a);
      }
    }
    const f = Float64Array.of(0.1, 0.27, 0.5);
    expect(await lombScargleAsync(d, f, { pool })).toEqual(lombScargle(d, f));
  });

  it('a larger fast job split over residues equals the single-thread result', async () => {
    const rng = new Rng(3);
    const t = Float64Array.from({ length: 3000 }, () => rng.uniform() * 800).sort();
    const y = t.map((x) => Math.sin((2 * Math.PI * x) / 2.2) + rng.normal());
    const grid = { minFrequency: 0.002, step: 1e-4, count: 40_000 };
    expect(await lombScargleAsync({ t, y }, grid, { method: 'fast', pool })).toEqual(lombScargle({ t, y }, grid, { method: 'fast' }));
  });

  it('gives the same multiband periodogram', async () => {
    const rows = readText('multiband_data.csv').trim().split('\n').slice(1).map((l) => l.split(','));
    const d = { t: rows.map((r) => +r[0]), y: rows.map((r) => +r[1]), dy: rows.map((r) => +r[2]), band: rows.map((r) => r[3]) };
    const grid = autoFrequencyGrid(Float64Array.from(d.t), { maxFrequency: 3 });
    for (const method of ['exact', 'fast'] as const) {
      expect(await multibandLombScargleAsync(d, grid, { method, pool })).toEqual(multibandLombScargle(d, grid, { method }));
    }
  });

  it('gives the same bootstrap maxima as one thread', async () => {
    const d = ds1();
    const task = { t: d.t, y: d.y, dy: d.dy, grid: { minFrequency: 0.05, step: 0.002, count: 400 }, options: { method: 'exact' as const }, seed: 5 };
    const a = bootstrapMaxima(task, 25);
    const b = await bootstrapMaximaAsync(task, 25, pool);
    expect([...b]).toEqual([...a]);
  });

  it('passes typed errors back from the workers and stays usable', async () => {
    await expect(lombScargleAsync({ t: [0, 1, 2], y: [1, 2, 3] }, DS1_GRID, { pool, nterms: 2 })).rejects.toThrow(TimeseriesError);
    const bad = { t: Float64Array.of(0, 1, 2), y: Float64Array.of(1, 2, 3), dy: Float64Array.of(1, 1, 1), grid: { minFrequency: 0.1, step: 0.1, count: 3 }, options: { nterms: 5 }, seed: 1 };
    await expect(bootstrapMaximaAsync(bad, 4, pool)).rejects.toMatchObject({ name: 'TimeseriesError', code: 'TOO_FEW_POINTS' });
    const d = ds1();
    expect(await lombScargleAsync(d, DS1_GRID, { pool })).toEqual(lombScargle(d, DS1_GRID));
  });
});

describe('pool lifecycle', () => {
  it('rejects bad thread counts and refuses work once stopped', async () => {
    await expect(startPeriodogramPool({ threads: 0 })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
    const p = await startPeriodogramPool({ threads: 1 });
    expect(p.size).toBe(1);
    await p.stop();
    await p.stop();
    await expect(lombScargleAsync(ds1(), DS1_GRID, { pool: p })).rejects.toMatchObject({ code: 'POOL' });
  }, 60_000);
});
