/**
 * Plain CSV light curves, read and written.
 *
 * Reading: a header names the columns (case-insensitive): time, value, optional error,
 * band and site. The time column's name says how times are expressed unless the caller
 * does: `t_bjd_tdb`/`bjd_tdb`/`bjd`/`t`/`time` (BJD_TDB), `btjd` (BJD − 2457000, TESS),
 * `bkjd` (BJD − 2454833, Kepler), `hjd` (HJD UTC), `jd` (JD UTC), `mjd` (MJD UTC),
 * `bjd_utc`. The value column's name says magnitude or flux (`mag`…, `flux`…); `y` and
 * `value` are magnitudes unless `# kind: flux` or the caller says otherwise. Comment lines
 * `# target: NAME` and `# kind: mag|flux` are honoured. An empty error cell means "no
 * error given" (NaN).
 *
 * Writing: the same columns with BJD_TDB times (`t_bjd_tdb,y,dy[,band][,site]`) after a
 * few comment lines (target, kind, time scale, warnings) — this is what every
 * `openastro lightcurve` subcommand reads and writes, and what `openastro period` reads.
 */
import { LightCurveError } from './errors.js';
import { checkLightCurve, type LightCurve, type ValueKind } from './lightcurve.js';
import { findColumn, normaliseName, numberCell, readTextTable } from './table.js';
import { toBjdTdb, type TimeContext, type TimeReference } from './times.js';

export interface CsvImportOptions extends TimeContext {
  /** How the times are expressed; default from the time column's name. */
  timeReference?: TimeReference;
  /** Magnitude or flux; default from the value column's name or a '# kind:' comment. */
  kind?: ValueKind;
}

const TIME_COLUMNS: Array<{ names: string[]; ref: TimeReference; add?: number }> = [
  { names: ['t_bjd_tdb', 'bjd_tdb', 'bjd', 'bjdtdb'], ref: 'bjd_tdb' },
  { names: ['btjd'], ref: 'bjd_tdb', add: 2457000 },
  { names: ['bkjd'], ref: 'bjd_tdb', add: 2454833 },
  { names: ['bjd_utc'], ref: 'bjd_utc' },
  { names: ['hjd', 'hjd_utc'], ref: 'hjd_utc' },
  { names: ['jd', 'jd_utc'], ref: 'jd_utc' },
  { names: ['mjd', 'mjd_utc'], ref: 'mjd_utc' },
  { names: ['t', 'time'], ref: 'bjd_tdb' },
];
const VALUE_COLUMNS = ['y', 'mag', 'magnitude', 'flux', 'rel_flux', 'norm_flux', 'dmag', 'diff_mag', 'delta_mag', 'value', 'vmag'];
const ERROR_COLUMNS = ['dy', 'err', 'error', 'yerr', 'y_err', 'magerr', 'mag_err', 'e_mag', 'emag', 'merr', 'flux_err', 'rel_flux_err', 'sigma', 'uncertainty', 'dmag_err'];
const BAND_COLUMNS = ['band', 'filter', 'passband'];
const SITE_COLUMNS = ['site', 'instrument', 'telescope', 'observer', 'obscode', 'observer_code'];

export function parseLightCurveCsvText(text: string, options: CsvImportOptions = {}): LightCurve {
  const source = options.source;
  const table = readTextTable(text, { source, header: 'yes' });
  const header = table.header!;
  const meta = commentMeta(table.comments);
  let ct = -1;
  let timeSpec: (typeof TIME_COLUMNS)[number] | undefined;
  for (const spec of TIME_COLUMNS) {
    const c = findColumn(header, spec.names);
    if (c >= 0) {
      ct = c;
      timeSpec = spec;
      break;
    }
  }
  const cy = findColumn(header, VALUE_COLUMNS);
  if (ct < 0 || cy < 0) {
    const missing = ct < 0 ? `a time column (${TIME_COLUMNS.flatMap((s) => s.names).join(', ')})` : `a value column (${VALUE_COLUMNS.join(', ')})`;
    throw new LightCurveError('BAD_FORMAT', `header has no ${missing}; found: ${header.join(', ')}`, { source, line: table.rows.length > 0 ? table.rows[0].line - 1 : 1 });
  }
  const cdy = findColumn(header, ERROR_COLUMNS);
  const cb = findColumn(header, BAND_COLUMNS);
  const cs = findColumn(header, SITE_COLUMNS);
  const yName = normaliseName(header[cy]);
  const kind: ValueKind = options.kind ?? (yName.includes('flux') ? 'flux' : yName.includes('mag') ? 'mag' : (meta.kind ?? 'mag'));
  const reference = options.timeReference ?? timeSpec!.ref;
  const add = options.timeReference === undefined ? (timeSpec!.add ?? 0) : 0;
  const n = table.rows.length;
  if (n === 0) throw new LightCurveError('TOO_FEW_POINTS', 'no data rows after the header', { source });
  const t = new Float64Array(n);
  const y = new Float64Array(n);
  const dy = new Float64Array(n);
  const band = cb >= 0 ? new Array<string>(n) : undefined;
  const site = cs >= 0 ? new Array<string>(n) : undefined;
  table.rows.forEach((row, k) => {
    t[k] = numberCell(row.cells, ct, 'time', row.line, source, header[ct]) + add;
    y[k] = numberCell(row.cells, cy, 'value', row.line, source, header[cy]);
    if (cdy >= 0 && (row.cells[cdy] ?? '').trim() !== '') {
      const e = numberCell(row.cells, cdy, 'error', row.line, source, header[cdy]);
      if (!(e > 0)) throw new LightCurveError('BAD_FORMAT', `error ${e} must be > 0`, { source, line: row.line, column: header[cdy] });
      dy[k] = e;
    } else dy[k] = NaN;
    if (band) band[k] = (row.cells[cb] ?? '').trim();
    if (site) site[k] = (row.cells[cs] ?? '').trim();
  });
  const conv = toBjdTdb(t, reference, options);
  const lc: LightCurve = { t: conv.bjdTdb, y, dy, kind, warnings: conv.warnings };
  if (band) lc.band = band;
  if (site) lc.site = site;
  if (meta.target) lc.target = meta.target;
  return checkLightCurve(lc, source);
}

export interface CsvExportOptions {
  /** Extra comment lines (without '#'). */
  comments?: string[];
}

/** Our CSV: comment lines, then `t_bjd_tdb,y,dy[,band][,site]`, times to 1e-8 d (0.9 ms). */
export function formatLightCurveCsv(lc: LightCurve, options: CsvExportOptions = {}): string {
  checkLightCurve(lc);
  const lines: string[] = ['# OpenAstro light curve', '# time: BJD_TDB (days)', `# kind: ${lc.kind}`];
  if (lc.target) lines.push(`# target: ${oneLine(lc.target)}`);
  for (const w of lc.warnings) lines.push(`# warning ${w.code}: ${oneLine(w.message)}`);
  for (const c of options.comments ?? []) lines.push(`# ${oneLine(c)}`);
  const cols = ['t_bjd_tdb', 'y', 'dy'];
  if (lc.band) cols.push('band');
  if (lc.site) cols.push('site');
  lines.push(cols.join(','));
  for (let i = 0; i < lc.t.length; i++) {
    const cells = [lc.t[i].toFixed(8), formatNumber(lc.y[i]), Number.isNaN(lc.dy[i]) ? '' : formatNumber(lc.dy[i])];
    if (lc.band) cells.push(csvCell(lc.band[i]));
    if (lc.site) cells.push(csvCell(lc.site[i]));
    lines.push(cells.join(','));
  }
  return lines.join('\n') + '\n';
}

/** Shortest decimal that keeps 10 significant digits. */
export function formatNumber(v: number): string {
  return String(Number(v.toPrecision(10)));
}

function csvCell(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

function commentMeta(comments: string[]): { target?: string; kind?: ValueKind } {
  const out: { target?: string; kind?: ValueKind } = {};
  for (const c of comments) {
    const m = /^(target|kind)\s*[:=]\s*(.+)$/i.exec(c);
    if (!m) continue;
    const key = m[1].toLowerCase();
    const value = m[2].trim();
    if (key === 'target') out.target = value;
    else if (value === 'mag' || value === 'flux') out.kind = value;
  }
  return out;
}
