/**
 * Delimited text tables as archives write them: comment lines ('#'), an optional header
 * row, then rows separated by commas, tabs, semicolons, pipes or runs of spaces. Cells may
 * be double-quoted ("" inside quotes is a quote). Each row keeps its 1-based line number
 * so importers can name the exact place of a bad cell.
 */
import { LightCurveError } from './errors.js';
import { MAX_LIGHTCURVE_POINTS } from './lightcurve.js';

export type Delimiter = ',' | '\t' | ';' | '|' | 'whitespace';

export interface TextTable {
  /** Header names as written (trimmed), or undefined when the first row is data. */
  header?: string[];
  rows: Array<{ line: number; cells: string[] }>;
  /** Comment lines without their leading '#', in order. */
  comments: string[];
  delimiter: Delimiter;
}

export interface TextTableOptions {
  source?: string;
  /** Default 'auto': the first non-comment line decides. */
  delimiter?: Delimiter | 'auto';
  /** 'auto' (default): the first row is a header unless every cell of it is a number. */
  header?: 'auto' | 'yes' | 'no';
}

export function readTextTable(text: string, options: TextTableOptions = {}): TextTable {
  if (typeof text !== 'string') throw new LightCurveError('BAD_ARGUMENT', 'table text must be a string', { source: options.source });
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const comments: string[] = [];
  let first = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '') continue;
    if (l.startsWith('#')) {
      comments.push(l.slice(1).trim());
      continue;
    }
    first = i;
    break;
  }
  if (first < 0) throw new LightCurveError('BAD_FORMAT', 'no data (only blank or comment lines)', { source: options.source, line: lines.length });
  const delimiter = options.delimiter && options.delimiter !== 'auto' ? options.delimiter : detectDelimiter(lines[first]);
  const split = (line: string): string[] => splitRow(line, delimiter).map((c) => c.trim());
  const firstCells = split(lines[first]);
  const headerMode = options.header ?? 'auto';
  const isHeader = headerMode === 'yes' || (headerMode === 'auto' && !firstCells.every((c) => c !== '' && Number.isFinite(Number(c))));
  const rows: TextTable['rows'] = [];
  for (let i = isHeader ? first + 1 : first; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '') continue;
    if (l.startsWith('#')) {
      comments.push(l.slice(1).trim());
      continue;
    }
    if (rows.length >= MAX_LIGHTCURVE_POINTS) throw new LightCurveError('TOO_LARGE', `more than ${MAX_LIGHTCURVE_POINTS} rows`, { source: options.source, line: i + 1 });
    rows.push({ line: i + 1, cells: split(lines[i]) });
  }
  return { header: isHeader ? firstCells : undefined, rows, comments, delimiter };
}

/** Index of the first header name matching one of `names` (case- and punctuation-insensitive), or −1. */
export function findColumn(header: readonly string[] | undefined, names: readonly string[]): number {
  if (!header) return -1;
  const norm = header.map(normaliseName);
  for (const name of names) {
    const i = norm.indexOf(normaliseName(name));
    if (i >= 0) return i;
  }
  return -1;
}

/** Lower case, with spaces, dashes, dots and brackets folded to '_' and trimmed. */
export function normaliseName(name: string): string {
  return name
    .trim()
    .toLowerCase()
    .replace(/[\s\-.()[\]/]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** A finite number from a cell, or a BAD_FORMAT error naming the line and column. */
export function numberCell(cells: string[], col: number, what: string, line: number, source?: string, column?: string): number {
  const raw = (cells[col] ?? '').trim();
  const v = raw === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) {
    throw new LightCurveError('BAD_FORMAT', `${what} '${raw}' is not a finite number`, { source, line, column: column ?? col + 1 });
  }
  return v;
}

function detectDelimiter(line: string): Delimiter {
  const unquoted = line.replace(/"[^"]*"/g, '');
  for (const d of [',', '\t', ';', '|'] as const) if (unquoted.includes(d)) return d;
  return 'whitespace';
}

function splitRow(line: string, delimiter: Delimiter): string[] {
  if (delimiter === 'whitespace') return line.trim().split(/\s+/);
  if (!line.includes('"')) return line.split(delimiter);
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}
