/** Readers for the time golden fixtures (test/fixtures/time, see its README). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/time');

/** CSV with a header row → one record of strings per row. */
export function readCsv(name: string): Array<Record<string, string>> {
  const lines = readFileSync(resolve(FIXTURES, name), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(head.map((h, i) => [h, cells[i]]));
  });
}

export function readJson<T>(name: string): T {
  return JSON.parse(readFileSync(resolve(FIXTURES, name), 'utf8')) as T;
}

/** Maximum and root-mean-square of |x|. */
export function stats(xs: number[]): { max: number; rms: number } {
  let max = 0;
  let ss = 0;
  for (const x of xs) {
    max = Math.max(max, Math.abs(x));
    ss += x * x;
  }
  return { max, rms: Math.sqrt(ss / Math.max(1, xs.length)) };
}

/** The TimeError code `f` throws ('none' if it returns, 'not a TimeError: …' otherwise). */
export function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    const err = e as { name?: string; code?: string; message?: string };
    return err.name === 'TimeError' && typeof err.code === 'string' ? err.code : `not a TimeError: ${String(err.message)}`;
  }
  return 'none';
}
