/** Readers for the transit golden fixtures (test/fixtures/transit, see its README). */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/transit');

/** CSV with a header row → one object per row, numeric cells parsed (NaN for 'nan'). */
export function readCsv(name: string): Array<Record<string, string>> {
  const lines = readFileSync(resolve(FIXTURES, name), 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  return lines.slice(1).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(head.map((h, i) => [h, cells[i]]));
  });
}

export interface GoldenCase {
  name: string;
  periodDays: number;
  rp: number;
  a: number;
  incDeg: number;
  u1: number;
  u2: number;
  t0: number;
}

/** The batman reference light curves (ECSV: parameters in the YAML header, rows below). */
export function readBatmanEcsv(): { cases: GoldenCase[]; rows: Array<{ name: string; t: number; flux: number }> } {
  const text = readFileSync(resolve(FIXTURES, 'batman_reference_lightcurves.ecsv'), 'utf8');
  const cases: GoldenCase[] = [];
  const rows: Array<{ name: string; t: number; flux: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^#\s+- \{a: ([^,]+), inc: ([^,]+), name: ([^,]+), period: ([^,]+), rp: ([^,]+), t0: ([^,]+), u1: ([^,]+), u2: ([^}]+)\}/.exec(line);
    if (m) {
      cases.push({ a: +m[1], incDeg: +m[2], name: m[3], periodDays: +m[4], rp: +m[5], t0: +m[6], u1: +m[7], u2: +m[8] });
      continue;
    }
    if (line.startsWith('#') || line.trim() === '' || line.startsWith('case ')) continue;
    const [name, t, flux] = line.trim().split(/\s+/);
    rows.push({ name, t: +t, flux: +flux });
  }
  return { cases, rows };
}
