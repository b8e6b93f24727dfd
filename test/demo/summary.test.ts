import { describe, expect, it } from 'vitest';
import { exitCodeFor, formatSummary, missingRow, type SummaryRow } from '../../src/demo/summary.js';

const row = (check: string, pass: boolean, note?: string): SummaryRow => ({ check, truth: 't', recovered: 'r', tolerance: 'tol', pass, ...(note ? { note } : {}) });

describe('demo self-check', () => {
  it('exits 0 only when every row passes', () => {
    expect(exitCodeFor([row('a', true), row('b', true)])).toBe(0);
    expect(exitCodeFor([row('a', true), row('b', false)])).toBe(1);
    // Nothing checked is not a success.
    expect(exitCodeFor([])).toBe(1);
  });

  it('a product that never appeared is a failed row saying what is missing', () => {
    const r = missingRow('Variable star period', '0.11 d', '1 %', 'no periodogram product');
    expect(r.pass).toBe(false);
    expect(r.recovered).toContain('no periodogram product');
    expect(exitCodeFor([row('a', true), r])).toBe(1);
  });

  it('prints every row with its verdict, numbered notes and the count of failures', () => {
    const text = formatSummary([row('Period', true, 'Lomb–Scargle'), row('Stack depth', false), row('ToO', true, 'priority 95')]);
    const lines = text.split('\n');
    const body = lines.filter((l) => l.startsWith('│'));
    expect(body).toHaveLength(4); // header + 3 rows
    expect(body[1]).toMatch(/Period \[1\].*PASS/);
    expect(body[2]).toMatch(/Stack depth.*FAIL/);
    expect(body[3]).toMatch(/ToO \[2\].*PASS/);
    expect(text).toContain('[1] Lomb–Scargle');
    expect(text).toContain('[2] priority 95');
    expect(text).toContain('1 of 3 checks FAILED.');
    // Every table line has the same width.
    const widths = new Set(lines.filter((l) => /^[│┌├└]/.test(l)).map((l) => [...l].length));
    expect(widths.size).toBe(1);
  });

  it('says so when all pass', () => {
    expect(formatSummary([row('a', true)])).toContain('All 1 checks passed.');
  });
});
