/**
 * Golden values from Debian's Python (numpy, astropy) for the dashboard's pure modules:
 * run a script with a JSON input on stdin, read its JSON answer.
 */
import { execFileSync } from 'node:child_process';
import { DEBIAN_PYTHON } from '../helpers/tools.js';

export function python<T>(script: string, input: unknown): T {
  const out = execFileSync(DEBIAN_PYTHON, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as T;
}

/** A seeded uniform generator (mulberry32): the same draws every run. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a uniform generator. */
export function gaussian(u: () => number): () => number {
  return () => {
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    return r * Math.cos(2 * Math.PI * u());
  };
}
