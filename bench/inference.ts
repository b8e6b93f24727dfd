/**
 * Sampler benchmarks (issue 6), beside emcee (Debian python3-emcee) in the same run:
 *
 * - Sampler overhead per likelihood call: the wall time of an ensemble run on a cheap toy
 *   likelihood (10-D isotropic Gaussian, 32 walkers, stretch move) minus the time of the
 *   bare likelihood calls, divided by the number of calls — the cost of the sampler itself.
 *   emcee runs the same problem with its default one-call-per-walker log_prob (numpy).
 *   Goal: ≤ 0.1× emcee's overhead.
 * - Speed-up with worker threads on an expensive likelihood (≈ 2 ms of arithmetic per call,
 *   16 walkers): run time with 1 worker over run time with 2 workers; emcee's figure is the
 *   same ratio with multiprocessing.Pool(1) and Pool(2). Goal: near-linear (→ 2 on 2 cores);
 *   on a loaded machine both figures fall.
 */
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { runEnsemble, startPool } from '../src/science/inference/index.js';
import { Rng } from '../src/science/inference/random.js';
import { DEBIAN_PYTHON, hasPythonModule, timeIt, timeItAsync, type BenchContext } from './harness.js';

const LOGPROB_MODULE = new URL(`file://${join(REPO_ROOT, 'bench/inference-logprob.mjs')}`);
const EMCEE_SCRIPT = join(REPO_ROOT, 'bench/reference/emcee_bench.py');

const OVERHEAD = { nDim: 10, nWalkers: 32, nSteps: 4000, repeats: 5 };
const SPEEDUP = { nWalkers: 16, nSteps: 8, repeats: 3, emceeWork: 100_000 };

let keep = 0;

function gaussian(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return -0.5 * s;
}

export async function run(ctx: BenchContext): Promise<void> {
  await benchOverhead(ctx);
  await benchSpeedup(ctx);
  if (Number.isNaN(keep)) throw new Error('toy likelihood returned NaN');
}

async function benchOverhead(ctx: BenchContext): Promise<void> {
  const { nDim, nWalkers, nSteps, repeats } = OVERHEAD;
  const calls = nWalkers * nSteps;
  const initial = (rng: Rng) => {
    const x = new Float64Array(nDim);
    for (let d = 0; d < nDim; d++) x[d] = rng.normal();
    return x;
  };
  const runS = await timeItAsync(async () => {
    await runEnsemble({ logProb: gaussian, nWalkers, nSteps, seed: 1, initial });
  }, repeats);
  // Bare calls on the same number of distinct positions (one row per walker, reused per step).
  const rng = new Rng(2);
  const rows = Array.from({ length: nWalkers }, () => initial(rng));
  let sink = 0;
  const bareS = timeIt(() => {
    for (let s = 0; s < nSteps; s++) for (let w = 0; w < nWalkers; w++) sink += gaussian(rows[w]);
  }, repeats);
  keep = sink; // the sum is used, so the calls cannot be optimised away
  const oursUs = (Math.max(0, runS - bareS) / calls) * 1e6;

  let emceeUs: number | undefined;
  let emceePerCallUs: number | undefined;
  if (hasPythonModule('emcee')) {
    const out = execFileSync(DEBIAN_PYTHON, [EMCEE_SCRIPT, 'overhead', String(nDim), String(nWalkers), String(nSteps / 4), '3'], { encoding: 'utf8' });
    const r = JSON.parse(out) as { run_s: number; bare_s: number; calls: number };
    emceeUs = ((r.run_s - r.bare_s) / r.calls) * 1e6;
    emceePerCallUs = (r.run_s / r.calls) * 1e6;
  }
  const label = `${nDim}-D Gaussian, ${nWalkers} walkers`;
  ctx.record({ name: `ensemble overhead per call, ${label}`, unit: 'µs', ours: oursUs, reference: emceeUs === undefined ? undefined : { tool: 'emcee', value: emceeUs }, higherIsBetter: false });
  ctx.record({ name: `ensemble time per call incl. likelihood, ${label}`, unit: 'µs', ours: (runS / calls) * 1e6, reference: emceePerCallUs === undefined ? undefined : { tool: 'emcee', value: emceePerCallUs }, higherIsBetter: false });
}

async function benchSpeedup(ctx: BenchContext): Promise<void> {
  const { nWalkers, nSteps, emceeWork } = SPEEDUP;
  // Both pools stay up and their runs alternate, so a passing load on this shared machine
  // hits both alike; the median of REPEATS runs each.
  const pools = [await startPool({ module: LOGPROB_MODULE, exportName: 'expensive', workers: 1 })];
  const seconds: number[] = [];
  try {
    pools.push(await startPool({ module: LOGPROB_MODULE, exportName: 'expensive', workers: 2 }));
    const initial = (rng: Rng) => Float64Array.of(rng.normal(), rng.normal(), rng.normal());
    for (const pool of pools) await runEnsemble({ pool, nWalkers, nSteps: 1, seed: 1, initial }); // JIT warm-up
    const times: number[][] = [[], []];
    for (let rep = 0; rep < SPEEDUP.repeats; rep++) {
      for (let p = 0; p < 2; p++) {
        const t0 = performance.now();
        await runEnsemble({ pool: pools[p], nWalkers, nSteps, seed: rep, initial });
        times[p].push((performance.now() - t0) / 1000);
      }
    }
    for (const t of times) seconds.push(t.sort((x, y) => x - y)[Math.floor(t.length / 2)]);
  } finally {
    for (const pool of pools) await pool.stop();
  }
  let emceeSpeedup: number | undefined;
  if (hasPythonModule('emcee')) {
    const out = execFileSync(DEBIAN_PYTHON, [EMCEE_SCRIPT, 'speedup', String(nWalkers), String(nSteps), String(emceeWork)], { encoding: 'utf8' });
    const r = JSON.parse(out) as { pool1_s: number; pool2_s: number };
    emceeSpeedup = r.pool1_s / r.pool2_s;
  }
  ctx.record({ name: `speed-up 2 vs 1 worker threads, ~2 ms likelihood, ${nWalkers} walkers`, unit: '×', ours: seconds[0] / seconds[1], reference: emceeSpeedup === undefined ? undefined : { tool: 'emcee', value: emceeSpeedup }, higherIsBetter: true });
  // Calls per run: the start positions plus one per walker per step.
  ctx.record({ name: `wall time per call with 2 workers, ~2 ms likelihood`, unit: 'ms', ours: (seconds[1] / (nWalkers * (nSteps + 1))) * 1e3, higherIsBetter: false });
}
