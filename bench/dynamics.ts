/**
 * n-body TTV forward model (issue 6): milliseconds per call — element → state conversion plus
 * a 4-year integration with transit finding — on the golden-ttv systems, beside TTVFast.
 *
 * TTVFast is not installed here, so its figure is the one measured by the dataset authors and
 * printed in ../shared/datasets/golden-ttv/README.md (TTVFast C, gcc -O3, one core of this
 * 2-core machine, median per call, at the setup file's step): kepler9_like 1.4 ms,
 * trappist1_like ~40 ms. It is recorded with the tool name 'TTVFast (README figure)'.
 *
 * We time two steps: our default, 1/20 of the innermost period (0.96 d and 0.076 d; errors vs
 * IAS15 0.09 s and 0.06 s), and TTVFast's own step from the setup file (0.5 d, 0.06 d; errors
 * 0.006 s and 0.006 s, against TTVFast's 2.2 s and 1.6 s there).
 *
 * Where we time. Under `tsx` (how bench/run.ts runs) Node's off-thread module loader detaches
 * an ArrayBuffer while loading, which invalidates V8's "no detached buffers" assumption for the
 * whole process: from then on every typed-array access in optimized code also checks for
 * detachment, and this integrator, which is all typed-array accesses, runs 1.3–2× slower
 * than it does as plain JavaScript (measured: one detached buffer in a plain `node` process
 * has the same effect). Production runs compiled JavaScript, so the main figure comes from a
 * child `node` process running this module transpiled by the TypeScript compiler; the
 * in-process figure is recorded too.
 */
import { REPO_ROOT } from './paths.js';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import ts from 'typescript';
import {
  parseTtvfastParams,
  parseTtvfastSetup,
  suggestedStepDays,
  toAstrocentric,
  TransitSimulator,
} from '../src/science/dynamics/index.js';
import type { BenchContext } from './harness.js';

const ROOT = REPO_ROOT;
const FIXTURES = join(ROOT, 'test/fixtures/dynamics');
/** TTVFast (C) per-call medians from golden-ttv/README.md, ms. */
const TTVFAST_README_MS: Record<string, number> = { kepler9_like: 1.4, trappist1_like: 40 };
const CASES = ['kepler9_like', 'trappist1_like'];

interface Timing {
  name: string;
  label: string;
  stepDays: number;
  ms: number;
}

/**
 * The timing loop, as plain JavaScript so the child process runs exactly this text (the
 * in-process run evaluates it too, against the TypeScript modules). `deps` is the dynamics
 * module; median over ≥ 20 calls and ≥ 2 s after two warm-up calls.
 */
const TIME_ALL_JS = `(deps, fixtures, read, now) => {
  const out = [];
  for (const name of ${JSON.stringify(CASES)}) {
    const setupPath = fixtures + '/' + name + '/setup';
    const setup = deps.parseTtvfastSetup(read(setupPath), setupPath);
    const paramsPath = fixtures + '/' + name + '/' + setup.paramsFile;
    const system = deps.parseTtvfastParams(read(paramsPath), setup.nPlanets, setup.inputFlag, setup.startDays, paramsPath);
    const sim = new deps.TransitSimulator(setup.nPlanets);
    const steps = [['step P/20', deps.suggestedStepDays(deps.toAstrocentric(system))], ['TTVFast step', setup.stepDays]];
    for (const [label, stepDays] of steps) {
      const opts = { stepDays, endDays: setup.endDays };
      sim.run(deps.toAstrocentric(system), opts);
      sim.run(deps.toAstrocentric(system), opts);
      const times = [];
      const start = now();
      while (times.length < 20 || now() - start < 2000) {
        const t0 = now();
        sim.run(deps.toAstrocentric(system), opts);
        times.push(now() - t0);
      }
      times.sort((a, b) => a - b);
      out.push({ name, label, stepDays, ms: times[Math.floor(times.length / 2)] });
    }
  }
  return out;
}`;

type TimeAll = (deps: unknown, fixtures: string, read: (p: string) => string, now: () => number) => Timing[];

/** Transpiles src/science/dynamics to plain ESM JavaScript in `dir` and times it in a child node. */
function timeCompiled(dir: string): Timing[] | undefined {
  try {
    const src = join(ROOT, 'src/science/dynamics');
    const outDir = join(dir, 'dynamics');
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    for (const f of readdirSync(src).filter((x) => x.endsWith('.ts'))) {
      const js = ts.transpileModule(readFileSync(join(src, f), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
      }).outputText;
      writeFileSync(join(outDir, f.replace(/\.ts$/, '.js')), js);
    }
    const runner = [
      "import { readFileSync } from 'node:fs';",
      "import * as deps from './dynamics/index.js';",
      `const timeAll = ${TIME_ALL_JS};`,
      `const out = timeAll(deps, ${JSON.stringify(FIXTURES)}, (p) => readFileSync(p, 'utf8'), () => performance.now());`,
      'console.log(JSON.stringify(out));',
    ].join('\n');
    writeFileSync(join(dir, 'run.mjs'), runner);
    const text = execFileSync(process.execPath, [join(dir, 'run.mjs')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return JSON.parse(text) as Timing[];
  } catch (err) {
    console.error(`bench dynamics: compiled run failed (${err instanceof Error ? err.message : String(err)}); in-process figures only`);
    return undefined;
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const compiled = timeCompiled(join(ctx.tmpDir, 'compiled'));
  const timeAll = (0, eval)(TIME_ALL_JS) as TimeAll;
  const inProcess = timeAll(
    { parseTtvfastSetup, parseTtvfastParams, suggestedStepDays, toAstrocentric, TransitSimulator },
    FIXTURES,
    (p) => readFileSync(p, 'utf8'),
    () => performance.now(),
  );
  for (const [where, timings] of [
    ['compiled JS', compiled],
    ['in-process (tsx)', inProcess],
  ] as const) {
    if (!timings) continue;
    for (const t of timings) {
      if (!CASES.includes(t.name)) continue;
      ctx.record({
        name: `TTV model ${t.name} 4 yr, ${t.label} ${t.stepDays.toPrecision(3)} d, ${where}`,
        unit: 'ms',
        ours: t.ms,
        // Not measured in this run: TTVFast is not installed; the README's measured figure.
        reference: { tool: 'TTVFast (README figure)', value: TTVFAST_README_MS[t.name] },
        higherIsBetter: false,
      });
    }
  }
}
