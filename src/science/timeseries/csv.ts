/**
 * Light curves as CSV text: a header row naming the columns (case-insensitive), then one
 * row per observation. Columns: time (`t`, `time`, `jd`, `mjd`, `hjd`, `bjd`, `bjd_tdb`,
 * `btjd`), value (`y`, `mag`, `flux`, …), optional uncertainty (`dy`, `err`, `magerr`,
 * `mag_err`, `flux_err`, `sigma`, …) and optional band (`band`, `filter`, `passband`).
 * Other columns are ignored. Lines starting with '#' and blank lines are skipped; cells
 * may be double-quoted; the delimiter is a comma (or a tab/semicolon if the header has no
 * comma). Any bad cell rejects the whole file with its line and column.
 */
import { TimeseriesError } from './errors.js';
import { MAX_POINTS } from './series.js';

export interface LightCurveTable {
  t: Float64Array;
  y: Float64Array;
  dy?: Float64Array;
  band?: string[];
  /** The header names used for each role. */
  columns: { t: string; y: string; dy?: string; band?: string };
}

const ROLES: Record<'t' | 'y' | 'dy' | 'band', readonly string[]> = {
  t: ['t', 'time', 'jd', 'mjd', 'hjd', 'bjd', 'bjd_tdb', 'btjd', 'date'],
  y: ['y', 'mag', 'magnitude', 'flux', 'value', 'rel_flux', 'vmag'],
  dy: ['dy', 'err', 'error', 'yerr', 'y_err', 'magerr', 'mag_err', 'e_mag', 'emag', 'dmag', 'flux_err', 'sigma', 'uncertainty'],
  band: ['band', 'filter', 'passband'],
};

/** Parses a light-curve CSV; `source` (e.g. the file name) prefixes error messages. */
export function parseLightCurveCsv(text: string, options: { source?: string } = {}): LightCurveTable {
  const source = options.source;
  const lines = text.split(/\r?\n/);
  let headerLine = -1;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l !== '' && !l.startsWith('#')) {
      headerLine = i;
      break;
    }
  }
  if (headerLine < 0) throw new TimeseriesError('BAD_CSV', 'no header row (expected column names such as t,y,dy)', { source, line: 1 });
  const headerText = lines[headerLine].replace(/^\uFEFF/, '');
  const delimiter = headerText.includes(',') ? ',' : headerText.includes('\t') ? '\t' : headerText.includes(';') ? ';' : ',';
  const header = splitRow(headerText, delimiter).map((h) => h.trim().toLowerCase());
  const find = (role: keyof typeof ROLES): number => {
    for (const name of ROLES[role]) {
      const i = header.indexOf(name);
      if (i >= 0) return i;
    }
    return -1;
  };
  const ct = find('t');
  const cy = find('y');
  const cdy = find('dy');
  const cband = find('band');
  if (ct < 0 || cy < 0) {
    const missing = ct < 0 ? `a time column (${ROLES.t.join(', ')})` : `a value column (${ROLES.y.join(', ')})`;
    throw new TimeseriesError('BAD_CSV', `header has no ${missing}; found: ${header.join(', ')}`, { source, line: headerLine + 1 });
  }
  const t: number[] = [];
  const y: number[] = [];
  const dy: number[] = [];
  const band: string[] = [];
  const needed = Math.max(ct, cy, cdy, cband) + 1;
  for (let i = headerLine + 1; i < lines.length; i++) {
    const raw = lines[i];
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const lineNo = i + 1;
    const cells = splitRow(raw, delimiter);
    if (cells.length < needed) {
      throw new TimeseriesError('BAD_CSV', `has ${cells.length} cells, expected at least ${needed} (header: ${header.join(',')})`, { source, line: lineNo });
    }
    if (t.length >= MAX_POINTS) throw new TimeseriesError('TOO_LARGE', `more than ${MAX_POINTS} rows`, { source, line: lineNo });
    const num = (c: number): number => {
      const cell = cells[c].trim();
      const v = cell === '' ? NaN : Number(cell);
      if (!Number.isFinite(v)) {
        throw new TimeseriesError('BAD_CSV', `'${cell}' in column '${header[c]}' is not a finite number`, { source, line: lineNo, column: c + 1 });
      }
      return v;
    };
    t.push(num(ct));
    y.push(num(cy));
    if (cdy >= 0) {
      const e = num(cdy);
      if (!(e > 0)) throw new TimeseriesError('BAD_CSV', `uncertainty ${e} in column '${header[cdy]}' must be > 0`, { source, line: lineNo, column: cdy + 1 });
      dy.push(e);
    }
    if (cband >= 0) {
      const b = cells[cband].trim();
      if (b === '') throw new TimeseriesError('BAD_CSV', `empty band in column '${header[cband]}'`, { source, line: lineNo, column: cband + 1 });
      band.push(b);
    }
  }
  if (t.length === 0) throw new TimeseriesError('BAD_CSV', 'no data rows after the header', { source, line: headerLine + 2 });
  return {
    t: Float64Array.from(t),
    y: Float64Array.from(y),
    dy: cdy >= 0 ? Float64Array.from(dy) : undefined,
    band: cband >= 0 ? band : undefined,
    columns: { t: header[ct], y: header[cy], dy: cdy >= 0 ? header[cdy] : undefined, band: cband >= 0 ? header[cband] : undefined },
  };
}

/** Splits one row on the delimiter, honouring double quotes ("" inside quotes is a quote). */
function splitRow(line: string, delimiter: string): string[] {
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
