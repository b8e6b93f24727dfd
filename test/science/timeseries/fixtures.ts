/** Readers for the timeseries golden fixtures (test/fixtures/timeseries, see its README). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/timeseries');

/** A numeric CSV as named columns. */
export function readColumns(name: string): Record<string, Float64Array> {
  const lines = readFileSync(resolve(FIXTURES, name), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  return Object.fromEntries(head.map((h, j) => [h, Float64Array.from(rows, (r) => Number(r[j]))]));
}

export function readJson<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(resolve(FIXTURES, name), 'utf8')) as T;
}

export function readText(name: string): string {
  return readFileSync(resolve(FIXTURES, name), 'utf8');
}

export const DS1_GRID = { minFrequency: 0.005, step: 5e-4, count: 4000 };
export const DS3_GRID = { minFrequency: 0.01, step: 2e-4, count: 5000 };

export function ds1(): { t: Float64Array; y: Float64Array; dy: Float64Array } {
  const c = readColumns('ds1_data.csv');
  return { t: c.t, y: c.y, dy: c.dy };
}

export function ds3(): { t: Float64Array; y: Float64Array; dy: Float64Array } {
  const c = readColumns('ds3_data.csv');
  return { t: c.t, y: c.y, dy: c.dy };
}

/** Largest |a[k[i]] − b[i]| over the sampled grid indices k. */
export function maxAbsDiffAt(full: Float64Array, k: Float64Array, golden: Float64Array): number {
  let e = 0;
  for (let i = 0; i < k.length; i++) e = Math.max(e, Math.abs(full[k[i]] - golden[i]));
  return e;
}

/** Largest |a − b| / max(|b|, floor) over the sampled grid indices. */
export function maxRelDiffAt(full: Float64Array, k: Float64Array, golden: Float64Array, floor = 1e-12): number {
  let e = 0;
  for (let i = 0; i < k.length; i++) e = Math.max(e, Math.abs(full[k[i]] - golden[i]) / Math.max(Math.abs(golden[i]), floor));
  return e;
}

export function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}
