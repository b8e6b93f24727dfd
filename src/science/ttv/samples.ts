/**
 * Posterior samples as CSV — one column per parameter (named as in the model) plus
 * optional `log_posterior` / `log_likelihood` columns, one row per equally weighted draw —
 * written by `ttv fit` and read back for a warm start or for predictions.
 */
import { TtvError } from './errors.js';

export interface SamplesTable {
  names: string[];
  /** nSamples × names.length, row-major. */
  values: Float64Array;
  nSamples: number;
}

/** Largest table read (values). */
export const MAX_SAMPLE_VALUES = 1 << 26;
const STAT_COLUMNS = ['log_posterior', 'log_likelihood'];

export function formatSamplesCsv(names: string[], samples: Float64Array, extra: Record<string, Float64Array> = {}): string {
  const nDim = names.length;
  const n = samples.length / nDim;
  const extraNames = Object.keys(extra);
  for (const k of extraNames) if (extra[k].length !== n) throw new TtvError('BAD_ARGUMENT', `column '${k}' has ${extra[k].length} values for ${n} samples`);
  const rows = [[...names, ...extraNames].join(',')];
  for (let i = 0; i < n; i++) {
    const cells: string[] = [];
    for (let d = 0; d < nDim; d++) cells.push(String(samples[i * nDim + d]));
    for (const k of extraNames) cells.push(String(extra[k][i]));
    rows.push(cells.join(','));
  }
  return rows.join('\n') + '\n';
}

/** Parses a samples CSV; the statistics columns are dropped from `names`/`values`. */
export function parseSamplesCsv(text: string, source?: string): SamplesTable {
  const where = (line: number) => (source === undefined ? { line } : { file: source, line });
  const lines = text.split(/\r\n|\r|\n/);
  let h = 0;
  while (h < lines.length && (lines[h].trim() === '' || lines[h].trim().startsWith('#'))) h++;
  if (h >= lines.length) throw new TtvError('BAD_SAMPLES', 'no header row', source === undefined ? {} : { file: source });
  const header = lines[h].split(',').map((c) => c.trim());
  if (header.some((c) => c === '')) throw new TtvError('BAD_SAMPLES', 'empty column name in the header', where(h + 1));
  const keep = header.map((c, i) => (STAT_COLUMNS.includes(c) ? -1 : i)).filter((i) => i >= 0);
  const names = keep.map((i) => header[i]);
  if (names.length === 0) throw new TtvError('BAD_SAMPLES', 'no parameter columns', where(h + 1));
  const dup = names.find((c, i) => names.indexOf(c) !== i);
  if (dup !== undefined) throw new TtvError('BAD_SAMPLES', `column '${dup}' appears twice`, where(h + 1));
  const out: number[] = [];
  for (let i = h + 1; i < lines.length; i++) {
    const s = lines[i].trim();
    if (s === '' || s.startsWith('#')) continue;
    const cells = s.split(',');
    if (cells.length !== header.length) throw new TtvError('BAD_SAMPLES', `has ${cells.length} cells, the header ${header.length}`, where(i + 1));
    for (const c of keep) {
      const v = Number(cells[c]);
      if (cells[c].trim() === '' || !Number.isFinite(v)) throw new TtvError('BAD_SAMPLES', `'${cells[c]}' in column '${header[c]}' is not a finite number`, where(i + 1));
      out.push(v);
    }
    if (out.length > MAX_SAMPLE_VALUES) throw new TtvError('TOO_LARGE', `more than ${MAX_SAMPLE_VALUES} values`, where(i + 1));
  }
  if (out.length === 0) throw new TtvError('BAD_SAMPLES', 'no samples after the header', source === undefined ? {} : { file: source });
  return { names, values: Float64Array.from(out), nSamples: out.length / names.length };
}

/**
 * Columns of `table` in the order of `names`; a missing name throws BAD_SAMPLES unless
 * `allowMissing` (then its column is NaN).
 */
export function selectColumns(table: SamplesTable, names: string[], allowMissing = false): Float64Array {
  const idx = names.map((n) => table.names.indexOf(n));
  const missing = names.filter((_, i) => idx[i] < 0);
  if (missing.length > 0 && !allowMissing) {
    throw new TtvError('BAD_SAMPLES', `samples have no column for ${missing.map((m) => `'${m}'`).join(', ')} (they have ${table.names.join(', ')})`);
  }
  const d = table.names.length;
  const out = new Float64Array(table.nSamples * names.length);
  for (let i = 0; i < table.nSamples; i++) {
    for (let j = 0; j < names.length; j++) out[i * names.length + j] = idx[j] < 0 ? NaN : table.values[i * d + idx[j]];
  }
  return out;
}
