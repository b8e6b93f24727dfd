/**
 * The demo's verdict: one row per injected-truth-vs-recovered check, each with its
 * tolerance and PASS/FAIL, printed as a table. The demo is also the end-to-end test: its
 * exit status is 0 only when every row passes.
 */

export interface SummaryRow {
  /** What is checked, e.g. 'Variable star period'. */
  check: string;
  /** The injected truth (or the expectation), as text. */
  truth: string;
  /** What the network and the pipeline recovered, as text. */
  recovered: string;
  /** The tolerance the row is judged by, as text. */
  tolerance: string;
  pass: boolean;
  /** A short remark (how it was measured, sampler budget…), printed under the table. */
  note?: string;
  /** The numbers behind the row (truth, recovered, interval…), for programs and tests. */
  values?: Record<string, number>;
}

/** Exit status of the demo: 0 when every row passed (and there was at least one), else 1. */
export function exitCodeFor(rows: readonly SummaryRow[]): number {
  return rows.length > 0 && rows.every((r) => r.pass) ? 0 : 1;
}

/** A row for a check whose product never appeared: it fails, saying what is missing. */
export function missingRow(check: string, truth: string, tolerance: string, why: string): SummaryRow {
  return { check, truth, recovered: `— (${why})`, tolerance, pass: false };
}

/** Fixed-width text table (Unicode box rules), then numbered notes. */
export function formatSummary(rows: readonly SummaryRow[], opts: { width?: number } = {}): string {
  const head = ['Check', 'Injected truth', 'Recovered', 'Tolerance', 'Result'];
  const maxCol = Math.max(16, Math.floor(((opts.width ?? 160) - 16) / 4));
  const cells = rows.map((r, i) => [r.check + (r.note ? ` [${noteNumber(rows, i)}]` : ''), r.truth, r.recovered, r.tolerance, r.pass ? 'PASS' : 'FAIL']);
  const widths = head.map((h, c) => Math.min(c === 4 ? 6 : maxCol, Math.max(h.length, ...cells.map((row) => row[c].length))));
  const clip = (s: string, w: number) => (s.length <= w ? s.padEnd(w) : `${s.slice(0, w - 1)}…`);
  const line = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  const row = (vals: string[]) => `│${vals.map((v, c) => ` ${clip(v, widths[c])} `).join('│')}│`;
  const out = [line('┌', '┬', '┐'), row(head), line('├', '┼', '┤'), ...cells.map(row), line('└', '┴', '┘')];
  const notes = rows.filter((r) => r.note);
  notes.forEach((r, k) => out.push(`[${k + 1}] ${r.note}`));
  const failed = rows.filter((r) => !r.pass).length;
  out.push(failed === 0 && rows.length > 0 ? `All ${rows.length} checks passed.` : `${failed} of ${rows.length} checks FAILED.`);
  return `${out.join('\n')}\n`;
}

function noteNumber(rows: readonly SummaryRow[], index: number): number {
  let k = 0;
  for (let i = 0; i <= index; i++) if (rows[i].note) k++;
  return k;
}

/** Number formatting shared by the checks. */
export function fmt(v: number, digits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  return v.toFixed(digits);
}
