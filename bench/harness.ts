/**
 * Benchmark harness. Every figure is printed beside the reference tool's figure from the
 * same run (when that tool is installed) and their ratio, so a reader sees at once how
 * we compare. A bench module exports `run(ctx)` and calls `ctx.record(...)`.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export interface Figure {
  /** What was measured, e.g. 'RICE_1 compress int16 4096²'. */
  name: string;
  unit: string; // 'MB/s', 'Mpt/s', 'ratio', 's'
  ours: number;
  /** Reference tool and its figure on the same input in the same run; absent if not installed. */
  reference?: { tool: string; value: number };
  /** True when bigger is better (throughput); false for durations. */
  higherIsBetter: boolean;
}

export interface BenchContext {
  record(f: Figure): void;
  /** Scratch directory for this run (deleted afterwards). */
  tmpDir: string;
}

/** Median wall time (s) of `fn` over `repeats` runs after one warm-up. */
export function timeIt(fn: () => void, repeats = 5): number {
  fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export async function timeItAsync(fn: () => Promise<void>, repeats = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await fn();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Median wall time (s) of an external command; undefined if the tool is missing. */
export function timeCommand(cmd: string, args: string[], repeats = 5, before?: () => void): number | undefined {
  if (!hasCommand(cmd)) return undefined;
  const times: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    before?.(); // e.g. remove an output the tool refuses to overwrite (fpack)
    const t0 = performance.now();
    execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    if (i > 0) times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Debian's Python with astropy (the first python3 on PATH may not see Debian's packages). */
export const DEBIAN_PYTHON = '/usr/bin/python3';

export function hasPythonModule(mod: string): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', `import ${mod}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function formatFigure(f: Figure): string {
  const ours = `${f.ours.toPrecision(4)} ${f.unit}`;
  if (!f.reference) return `${f.name.padEnd(48)} ${ours.padStart(16)}   (reference not installed)`;
  const ref = `${f.reference.value.toPrecision(4)} ${f.unit}`;
  const ratio = f.higherIsBetter ? f.ours / f.reference.value : f.reference.value / f.ours;
  return `${f.name.padEnd(48)} ${ours.padStart(16)}   ${f.reference.tool.padEnd(12)} ${ref.padStart(16)}   ×${ratio.toFixed(2)}`;
}
