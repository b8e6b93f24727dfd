import { describe, expect, it } from 'vitest';
import { InferenceError, LogProbPool, runEnsemble, startPool } from '../../../src/science/inference/index.js';

const MODULE = new URL('../../fixtures/inference/toy-logprob.mjs', import.meta.url);

// Same function as the module's `logProb`, in-process.
function logProb(x: Float64Array): number {
  const rho = 0.9;
  return -0.5 * ((x[0] * x[0] - 2 * rho * x[0] * x[1] + x[1] * x[1]) / (1 - rho * rho) + x[2] * x[2]);
}

const opts = {
  nWalkers: 10,
  nSteps: 200,
  seed: 5,
  moves: [{ type: 'stretch' as const, weight: 2 }, { type: 'de' as const, weight: 1 }],
  initial: (rng: { normal(): number }) => Float64Array.of(rng.normal(), rng.normal(), rng.normal()),
};

describe('LogProbPool', () => {
  it('gives chains identical to in-process evaluation with 0, 1 and 2 worker threads', async () => {
    const ref = await runEnsemble({ ...opts, logProb });
    for (const workers of [0, 1, 2]) {
      const pool = await startPool({ module: MODULE, workers });
      try {
        expect(pool.size).toBe(workers);
        const r = await runEnsemble({ ...opts, pool });
        expect(Buffer.from(r.chain.buffer).equals(Buffer.from(ref.chain.buffer)), `workers ${workers}`).toBe(true);
        expect(r.logProb).toEqual(ref.logProb);
      } finally {
        await pool.stop();
      }
    }
  });

  it('builds the function from a factory with init data in every worker', async () => {
    const pool = new LogProbPool({ module: MODULE, factory: 'makeLogProb', init: { mean: [1, 2, 3], sigma: 0.5 }, workers: 2 });
    await pool.start();
    try {
      const xs = Float64Array.of(1, 2, 3, 0, 0, 0, 1.5, 2, 3, 2, 2, 2, 1, 1, 1);
      const out = new Float64Array(5);
      await pool.evaluate(xs, 5, 3, out);
      const expected = [-0, -0.5 * 14 * 4, -0.5 * 0.25 * 4, -0.5 * 2 * 4, -0.5 * 5 * 4];
      expect(Array.from(out)).toEqual(expected);
      // Batches larger than the first one grow the shared buffers.
      const big = new Float64Array(300).fill(1);
      const outBig = new Float64Array(100);
      await pool.evaluate(big, 100, 3, outBig);
      expect(outBig.every((v) => v === -0.5 * 5 * 4)).toBe(true);
    } finally {
      await pool.stop();
    }
  });

  it('reports a throwing log-probability with the worker and row', async () => {
    for (const workers of [0, 2]) {
      const pool = await startPool({ module: MODULE, exportName: 'throwing', workers });
      try {
        const xs = Float64Array.of(0, 0, 0, 1, 1, 1, 3, 0, 0, 0, 1, 0);
        const err = await Promise.resolve()
          .then(() => pool.evaluate(xs, 4, 3, new Float64Array(4)))
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InferenceError);
        expect((err as InferenceError).code).toBe('LOG_PROB_FAILED');
        expect((err as InferenceError).message).toMatch(/x\[0\] too large/);
        expect((err as InferenceError).location.walker).toBe(2);
        // The pool stays usable after a failed batch.
        const out = new Float64Array(1);
        await pool.evaluate(Float64Array.of(1, 0, 0), 1, 3, out);
        expect(out[0]).toBe(-0.5);
      } finally {
        await pool.stop();
      }
    }
  });

  it('locates a worker failure during a run by step and walker', async () => {
    const pool = await startPool({ module: MODULE, exportName: 'throwing', workers: 2 });
    try {
      const err = await runEnsemble({ ...opts, nSteps: 2000, pool, initial: (rng) => Float64Array.of(0.3 * rng.normal(), rng.normal(), rng.normal()) }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'LOG_PROB_FAILED' });
      const loc = (err as InferenceError).location;
      expect(loc.step).toBeGreaterThan(0);
      expect(loc.walker).toBeGreaterThanOrEqual(0);
      expect(loc.walker).toBeLessThan(10);
      expect(loc.worker === 0 || loc.worker === 1).toBe(true);
      expect((err as InferenceError).message).toMatch(/^step \d+ walker \d+ worker \d: log-probability threw in a worker: x\[0\] too large/);
    } finally {
      await pool.stop();
    }
  });

  it('turns a dying worker into a POOL error and a broken pool', async () => {
    const pool = await startPool({ module: MODULE, exportName: 'dying', workers: 2 });
    try {
      const err = await Promise.resolve()
        .then(() => pool.evaluate(Float64Array.of(0, 0, 0, 3, 0, 0), 2, 3, new Float64Array(2)))
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'POOL' });
      expect(() => pool.evaluate(Float64Array.of(0, 0, 0), 1, 3, new Float64Array(1))).toThrow(/broken/);
    } finally {
      await pool.stop();
    }
  });

  it('fails to start with a missing module or export, and refuses use outside start/stop', async () => {
    for (const workers of [0, 1]) {
      await expect(startPool({ module: MODULE, exportName: 'notAFunction', workers })).rejects.toMatchObject({ code: 'POOL' });
      await expect(startPool({ module: new URL('./no-such-module.mjs', MODULE), workers })).rejects.toMatchObject({ code: 'POOL' });
    }
    expect(() => new LogProbPool({ module: MODULE, workers: -1 })).toThrow(InferenceError);
    expect(() => new LogProbPool({ module: MODULE, workers: 1.5 })).toThrow(InferenceError);
    const pool = new LogProbPool({ module: MODULE, workers: 1 });
    expect(() => pool.evaluate(new Float64Array(3), 1, 3, new Float64Array(1))).toThrow(/start/);
    await pool.start();
    await expect(pool.start()).rejects.toMatchObject({ code: 'POOL' });
    await pool.stop();
    await pool.stop();
    expect(() => pool.evaluate(new Float64Array(3), 1, 3, new Float64Array(1))).toThrow(InferenceError);
  });

  it('refuses both logProb and pool, and overlapping batches', async () => {
    const pool = await startPool({ module: MODULE, workers: 1 });
    try {
      await expect(runEnsemble({ ...opts, logProb, pool })).rejects.toMatchObject({ code: 'BAD_ARGUMENT' });
      const a = pool.evaluate(new Float64Array(30), 10, 3, new Float64Array(10));
      await expect(Promise.resolve().then(() => pool.evaluate(new Float64Array(30), 10, 3, new Float64Array(10)))).rejects.toMatchObject({ code: 'POOL' });
      await a;
    } finally {
      await pool.stop();
    }
  });
});
