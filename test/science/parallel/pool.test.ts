import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createPool, PoolError, TaskError, withPool } from '../../../src/science/parallel/pool.js';

const MODULE = fileURLToPath(new URL('./tasks.ts', import.meta.url));

describe('createPool', () => {
  it('gives the same results in-process and over 2 workers, in FIFO order', async () => {
    const input = Float64Array.from({ length: 1000 }, (_, i) => i * 0.5 - 17);
    const results: Float64Array[][] = [];
    for (const workers of [0, 2]) {
      const got = await withPool(workers, async (pool) => {
        expect(pool.size).toBe(workers);
        const tasks = [0, 1, 2, 3, 4].map((k) => {
          const part = input.slice(k * 200, (k + 1) * 200);
          return pool.run({ module: MODULE, fn: 'squares', args: [part], transfer: [part.buffer] }) as Promise<Float64Array>;
        });
        return Promise.all(tasks);
      });
      results.push(got);
    }
    for (let k = 0; k < 5; k++) {
      expect(results[1][k]).toBeInstanceOf(Float64Array);
      expect(Array.from(results[1][k])).toEqual(Array.from(results[0][k]));
      expect(results[0][k][3]).toBe(input[k * 200 + 3] ** 2); // analytic
    }
  });

  it('really uses other threads, and moves transferred buffers', async () => {
    await withPool(2, async (pool) => {
      const ids = await Promise.all([0, 1, 2, 3].map(() => pool.run({ module: MODULE, fn: 'threadId', args: [] })));
      expect(ids.every((id) => id !== 0)).toBe(true);
      const a = new Float64Array(8).fill(3);
      const p = pool.run({ module: MODULE, fn: 'squares', args: [a], transfer: [a.buffer] });
      expect(a.length).toBe(0); // detached: moved, not copied
      expect(Array.from((await p) as Float64Array)).toEqual(new Array(8).fill(9));
    });
  });

  it("propagates a task's error with the worker's message and code; the pool stays usable", async () => {
    for (const workers of [0, 2]) {
      await withPool(workers, async (pool) => {
        const err = (await pool.run({ module: MODULE, fn: 'fails', args: ['kappa'] }).catch((e: unknown) => e)) as Error & { code?: string };
        expect(err.message).toContain('bad kappa');
        expect(err.name).toBe('ImageError');
        expect(err.code).toBe('BAD_ARGUMENT');
        if (workers > 0) expect(err).toBeInstanceOf(TaskError);
        const missing = (await pool.run({ module: MODULE, fn: 'nope', args: [] }).catch((e: unknown) => e)) as Error;
        expect(missing.message).toContain("no exported function 'nope'");
        expect(await pool.run({ module: MODULE, fn: 'delayed', args: [1, 42] })).toBe(42);
      });
    }
  });

  it('replaces a crashed worker and keeps running the queue', async () => {
    await withPool(1, async (pool) => {
      const crash = pool.run({ module: MODULE, fn: 'crashes', args: [] });
      const after = pool.run({ module: MODULE, fn: 'delayed', args: [1, 7] });
      const err = (await crash.catch((e: unknown) => e)) as PoolError;
      expect(err).toBeInstanceOf(PoolError);
      expect(err.code).toBe('WORKER_CRASHED');
      expect(err.message).toContain('worker blown up');
      expect(await after).toBe(7);
    });
  });

  it('stop() terminates the workers and rejects pending and later tasks', async () => {
    const pool = createPool({ workers: 1 });
    await expect(pool.run({ module: MODULE, fn: 'delayed', args: [1, 1] })).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    await pool.start();
    const running = pool.run({ module: MODULE, fn: 'delayed', args: [10_000, 1] }).catch((e: unknown) => e);
    const queued = pool.run({ module: MODULE, fn: 'delayed', args: [1, 2] }).catch((e: unknown) => e);
    const t0 = Date.now();
    await pool.stop();
    expect(await running).toMatchObject({ code: 'STOPPED' });
    expect(await queued).toMatchObject({ code: 'STOPPED' });
    expect(Date.now() - t0).toBeLessThan(5000);
    await expect(pool.run({ module: MODULE, fn: 'delayed', args: [1, 1] })).rejects.toMatchObject({ code: 'NOT_RUNNING' });
    await pool.stop(); // idempotent
  });

  it('rejects bad arguments', () => {
    expect(() => createPool({ workers: -1 })).toThrow(PoolError);
    expect(() => createPool({ workers: 1.5 })).toThrow(/workers must be an integer/);
  });
});
