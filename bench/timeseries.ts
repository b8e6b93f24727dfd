/**
 * Lomb–Scargle benchmarks: N = 10⁴ points × 10⁵ frequencies and N = 10⁵ × 10⁶, beside
 * astropy's LombScargle on the same data and grid in the same run (timed inside Python,
 * so interpreter start-up and file I/O are not counted; our worker pool is started once
 * beforehand, as importing astropy is not counted either).
 *
 * Figures per size: the fast method (default settings) on all cores and on one thread
 * against astropy 'fast' (seconds); the worst |power − exact power| of each fast method on
 * 2000 grid frequencies, with astropy's exact ('cython') powers as the reference for both
 * (so "same accuracy" is measured, not assumed); the fast method at astropy's accuracy —
 * the cheapest of a few coarser settings whose measured error is no larger than astropy's
 * — on all cores; and the exact method against astropy's exact method, both timed on a
 * contiguous 1/100 (10⁵ × 10⁶: 1/1000) of the grid and scaled to the whole grid (O(N·M)
 * methods: the full astropy run would take minutes to hours).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Rng } from '../src/science/inference/random.js';
import { lombScargle, lombScargleAsync, startPeriodogramPool, type FastSumSettings, type FrequencyGrid } from '../src/science/timeseries/index.js';
import { DEBIAN_PYTHON, hasPythonModule, timeItAsync, type BenchContext } from './harness.js';

interface Size {
  label: string;
  n: number;
  m: number;
  repeats: number;
  /** Fraction of the grid on which the exact methods are timed. */
  exactFraction: number;
}

const SIZES: Size[] = [
  { label: 'N=1e4 M=1e5', n: 10_000, m: 100_000, repeats: 5, exactFraction: 0.01 },
  { label: 'N=1e5 M=1e6', n: 100_000, m: 1_000_000, repeats: 3, exactFraction: 0.001 },
];

/** Grid frequencies where accuracy is compared. */
const CHECK_POINTS = 2000;

/** Coarser fast settings, cheapest last, tried for the "at astropy's accuracy" figure. */
const COARSER: FastSumSettings[] = [
  { oversampling: 3, order: 12 },
  { oversampling: 3, order: 10 },
  { oversampling: 2.5, order: 12 },
];

const PYTHON = String.raw`
import json, sys, time
import numpy as np
from astropy.timeseries import LombScargle
data, f0, df, m, repeats, k0, k1, idx_path, out_path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]), sys.argv[8], sys.argv[9]
a = np.fromfile(data, dtype='<f8').reshape(3, -1)
t, y, dy = a[0], a[1], a[2]
f = f0 + df * np.arange(m)
idx = np.fromfile(idx_path, dtype='<i4')
ls = LombScargle(t, y, dy)
def med(fn, r):
    fn()
    ts = []
    for _ in range(r):
        t0 = time.perf_counter(); fn(); ts.append(time.perf_counter() - t0)
    return sorted(ts)[len(ts) // 2]
fast_s = med(lambda: ls.power(f, method='fast'), repeats)
fast = ls.power(f, method='fast')[idx]
t0 = time.perf_counter(); ls.power(f[k0:k1], method='cython'); exact_s = time.perf_counter() - t0
exact = ls.power(f[idx], method='cython')
np.concatenate([fast, exact]).astype('<f8').tofile(out_path)
print(json.dumps({'fast_s': fast_s, 'exact_part_s': exact_s}))
`;

function syntheticLightCurve(n: number, seed: number): { t: Float64Array; y: Float64Array; dy: Float64Array } {
  const rng = new Rng(seed);
  const t = Float64Array.from({ length: n }, () => 1000 * rng.uniform()).sort();
  const dy = Float64Array.from({ length: n }, () => 0.5 + rng.uniform());
  const y = Float64Array.from(t, (x, i) => 10 + 0.3 * Math.sin((2 * Math.PI * x) / 3.7) + 0.1 * Math.sin((2 * Math.PI * x) / 0.731) + dy[i] * rng.normal());
  return { t, y, dy };
}

export async function run(ctx: BenchContext): Promise<void> {
  const threads = availableParallelism();
  const pool = await startPeriodogramPool({ threads });
  const haveAstropy = hasPythonModule('astropy');
  try {
    for (const size of SIZES) {
      const data = syntheticLightCurve(size.n, size.n);
      // f from 0.001 to 5 cycles/day: 1000-day baseline, 5000 cycles over the band.
      const grid: FrequencyGrid = { minFrequency: 0.001, step: 5 / size.m, count: size.m };
      const idx = Int32Array.from({ length: CHECK_POINTS }, (_, i) => Math.round((i * (size.m - 1)) / (CHECK_POINTS - 1)));
      const k0 = Math.floor(size.m / 2);
      const k1 = k0 + Math.round(size.m * size.exactFraction);
      const part: FrequencyGrid = { minFrequency: grid.minFrequency + k0 * grid.step, step: grid.step, count: k1 - k0 };

      let astropy: { fast_s: number; exact_part_s: number } | undefined;
      let astropyFast: Float64Array | undefined;
      let astropyExact: Float64Array | undefined;
      if (haveAstropy) {
        const dataPath = join(ctx.tmpDir, 'lc.f64');
        const idxPath = join(ctx.tmpDir, 'idx.i32');
        const outPath = join(ctx.tmpDir, 'out.f64');
        const packed = new Float64Array(3 * size.n);
        packed.set(data.t, 0);
        packed.set(data.y, size.n);
        packed.set(data.dy, 2 * size.n);
        writeFileSync(dataPath, Buffer.from(packed.buffer));
        writeFileSync(idxPath, Buffer.from(idx.buffer));
        const out = execFileSync(
          DEBIAN_PYTHON,
          ['-c', PYTHON, dataPath, String(grid.minFrequency), String(grid.step), String(size.m), String(size.repeats), String(k0), String(k1), idxPath, outPath],
          { encoding: 'utf8', maxBuffer: 1 << 20 },
        );
        astropy = JSON.parse(out.trim().split('\n').pop()!) as { fast_s: number; exact_part_s: number };
        const buf = readFileSync(outPath);
        const all = new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
        astropyFast = all.slice(0, CHECK_POINTS);
        astropyExact = all.slice(CHECK_POINTS);
      }

      const fastAll = await timeItAsync(async () => {
        await lombScargleAsync(data, grid, { method: 'fast', pool });
      }, size.repeats);
      ctx.record({
        name: `LS fast ${size.label}, ${threads} threads`,
        unit: 's',
        ours: fastAll,
        reference: astropy && { tool: 'astropy fast', value: astropy.fast_s },
        higherIsBetter: false,
      });
      const fastOne = await timeItAsync(async () => {
        lombScargle(data, grid, { method: 'fast' });
      }, size.repeats);
      ctx.record({
        name: `LS fast ${size.label}, 1 thread`,
        unit: 's',
        ours: fastOne,
        reference: astropy && { tool: 'astropy fast', value: astropy.fast_s },
        higherIsBetter: false,
      });

      if (astropyFast && astropyExact) {
        const exact = astropyExact;
        const errorOf = (p: Float64Array): number => {
          let e = 0;
          for (let i = 0; i < CHECK_POINTS; i++) e = Math.max(e, Math.abs(p[idx[i]] - exact[i]));
          return e;
        };
        let errAstropy = 0;
        for (let i = 0; i < CHECK_POINTS; i++) errAstropy = Math.max(errAstropy, Math.abs(astropyFast[i] - exact[i]));
        const errOurs = errorOf(await lombScargleAsync(data, grid, { method: 'fast', pool }));
        ctx.record({
          name: `LS fast ${size.label}: max |Δpower| vs exact`,
          unit: '',
          ours: errOurs,
          reference: { tool: 'astropy fast', value: errAstropy },
          higherIsBetter: false,
        });
        let matched: FastSumSettings | undefined;
        for (const fast of COARSER) {
          if (errorOf(await lombScargleAsync(data, grid, { method: 'fast', pool, fast })) <= errAstropy) matched = fast;
        }
        if (matched) {
          const fast = matched;
          const seconds = await timeItAsync(async () => {
            await lombScargleAsync(data, grid, { method: 'fast', pool, fast });
          }, size.repeats);
          ctx.record({
            name: `LS fast ${size.label} at astropy's accuracy (${fast.oversampling}/${fast.order}), ${threads} thr`,
            unit: 's',
            ours: seconds,
            reference: astropy && { tool: 'astropy fast', value: astropy.fast_s },
            higherIsBetter: false,
          });
        }
      }

      const t0 = performance.now();
      await lombScargleAsync(data, part, { method: 'exact', pool });
      const exactPart = (performance.now() - t0) / 1000;
      const scale = size.m / part.count;
      ctx.record({
        name: `LS exact ${size.label} (scaled from ${part.count} freqs)`,
        unit: 's',
        ours: exactPart * scale,
        reference: astropy && { tool: 'astropy exact', value: astropy.exact_part_s * scale },
        higherIsBetter: false,
      });
    }
  } finally {
    await pool.stop();
  }
}
