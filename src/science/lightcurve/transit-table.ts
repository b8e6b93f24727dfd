/**
 * Transit light curves as amateur transit archives take and give them.
 *
 * ETD (Exoplanet Transit Database, Poddaný et al. 2010, New Astron. 15, 297): a plain text
 * table of time, magnitude (usually a differential magnitude) and optionally its error,
 * separated by spaces, tabs or semicolons, times as JD (or HJD) on UTC.
 *
 * ExoClock: the light curve an observer uploads, a plain table of time, flux (relative) or
 * magnitude and error; the time format (JD_UTC, HJD_UTC, BJD_TDB, …) and whether the stamp
 * marks the start, middle or end of the exposure are declared by the observer on upload,
 * not in the file — so they are options here.
 *
 * Neither archive publishes a formal file specification; decision 0021 records what we
 * accept: '#' comment lines; an optional header row whose names may declare the time
 * reference ('BJD_TDB', 'HJD', 'JD_UTC', …) and the value (…'mag'… or …'flux'…);
 * otherwise the first three columns are time, value, error. Without a header the time
 * reference defaults to JD_UTC for ETD and must be given for ExoClock; the value to
 * magnitudes for ETD and fluxes for ExoClock.
 */
import { LightCurveError } from './errors.js';
import { checkLightCurve, type LightCurve, type ValueKind } from './lightcurve.js';
import { findColumn, normaliseName, numberCell, readTextTable } from './table.js';
import { parseTimeReference, toBjdTdb, type TimeContext, type TimeReference } from './times.js';

export type TransitTableFormat = 'etd' | 'exoclock';

export interface TransitTableOptions extends TimeContext {
  format: TransitTableFormat;
  /** How times are expressed; default from the header, else JD_UTC for ETD. */
  timeReference?: TimeReference;
  /** What instant of the exposure the time stamps; default 'mid'. 'start'/'end' need exposureS. */
  timeStamp?: 'start' | 'mid' | 'end';
  exposureS?: number;
  /** Magnitudes or fluxes; default from the header, else mag for ETD and flux for ExoClock. */
  kind?: ValueKind;
  /** Site label for every point (observer, telescope). */
  siteLabel?: string;
  /** Band for every point (filter). */
  band?: string;
}

const TIME_NAMES = ['bjd_tdb', 'bjd', 'bjd_utc', 'hjd_utc', 'hjd', 'jd_utc', 'jd', 'mjd_utc', 'mjd', 'time', 'date', 'jd_mid', 'time_bjd_tdb'];
const VALUE_NAMES = ['mag', 'dmag', 'rel_mag', 'diff_mag', 'delta_mag', 'magnitude', 'flux', 'rel_flux', 'relative_flux', 'norm_flux', 'normalized_flux', 'normalised_flux', 'y'];
const ERROR_NAMES = ['err', 'error', 'mag_err', 'magerr', 'dmag_err', 'flux_err', 'rel_flux_err', 'sigma', 'unc', 'uncertainty', 'e_mag', 'dy'];

export function parseTransitTable(text: string, options: TransitTableOptions): LightCurve {
  if (options === null || typeof options !== 'object' || (options.format !== 'etd' && options.format !== 'exoclock')) {
    throw new LightCurveError('BAD_ARGUMENT', "format must be 'etd' or 'exoclock'", { parameter: 'format' });
  }
  const source = options.source;
  const table = readTextTable(text, { source });
  const header = table.header;
  let ct = 0;
  let cy = 1;
  let cdy = 2;
  let headerRef: TimeReference | undefined;
  let headerKind: ValueKind | undefined;
  if (header) {
    ct = findColumn(header, TIME_NAMES);
    cy = findColumn(header, VALUE_NAMES);
    cdy = findColumn(header, ERROR_NAMES);
    if (ct < 0 || cy < 0) {
      throw new LightCurveError('BAD_FORMAT', `header has no ${ct < 0 ? 'time' : 'value'} column (found: ${header.join(', ')}); expected e.g. 'JD mag err' or 'BJD_TDB flux flux_err'`, { source, line: 1 });
    }
    const tn = normaliseName(header[ct]);
    if (!['time', 'date', 'jd_mid'].includes(tn)) headerRef = parseTimeReference(tn.replace(/^time_/, ''));
    const yn = normaliseName(header[cy]);
    headerKind = yn.includes('flux') ? 'flux' : yn.includes('mag') ? 'mag' : undefined;
  } else if (table.rows.length > 0 && table.rows[0].cells.length < 3) {
    cdy = -1;
  }
  const reference = options.timeReference ?? headerRef ?? (options.format === 'etd' ? 'jd_utc' : undefined);
  if (reference === undefined) {
    throw new LightCurveError('BAD_ARGUMENT', 'ExoClock files do not say how times are expressed: give the time reference (bjd_tdb, jd_utc, hjd_utc, …) as declared on upload', {
      source,
      parameter: 'timeReference',
    });
  }
  const kind: ValueKind = options.kind ?? headerKind ?? (options.format === 'etd' ? 'mag' : 'flux');
  const stamp = options.timeStamp ?? 'mid';
  let offsetS = options.offsetS ?? 0;
  if (stamp !== 'mid') {
    const exp = options.exposureS;
    if (!(typeof exp === 'number' && exp > 0 && Number.isFinite(exp))) {
      throw new LightCurveError('BAD_ARGUMENT', `time stamps at the ${stamp} of the exposure need the exposure time (> 0 s)`, { source, parameter: 'exposureS' });
    }
    offsetS += stamp === 'start' ? exp / 2 : -exp / 2;
  }
  const n = table.rows.length;
  if (n === 0) throw new LightCurveError('TOO_FEW_POINTS', 'no data rows', { source });
  const t = new Float64Array(n);
  const y = new Float64Array(n);
  const dy = new Float64Array(n);
  table.rows.forEach((row, k) => {
    const col = (c: number): string | undefined => (header ? header[c] : undefined);
    t[k] = numberCell(row.cells, ct, 'time', row.line, source, col(ct));
    y[k] = numberCell(row.cells, cy, 'value', row.line, source, col(cy));
    if (cdy >= 0 && cdy < row.cells.length && row.cells[cdy] !== '') {
      const e = numberCell(row.cells, cdy, 'error', row.line, source, col(cdy));
      if (!(e > 0)) throw new LightCurveError('BAD_FORMAT', `error ${e} must be > 0`, { source, line: row.line, column: col(cdy) ?? cdy + 1 });
      dy[k] = e;
    } else dy[k] = NaN;
  });
  const conv = toBjdTdb(t, reference, { ...options, offsetS });
  const lc: LightCurve = { t: conv.bjdTdb, y, dy, kind, warnings: conv.warnings };
  if (options.band !== undefined) lc.band = new Array<string>(n).fill(options.band);
  if (options.siteLabel !== undefined) lc.site = new Array<string>(n).fill(options.siteLabel);
  return checkLightCurve(lc, source);
}
