/**
 * AAVSO formats.
 *
 * Import — the AAVSO International Database download ("Format of Downloaded Data"):
 * comma- or tab-delimited with a header row whose fields are, in order, JD, Magnitude,
 * Uncertainty, HQuncertainty, Band, Observer Code, Comment Code(s), Comp Star 1, Comp
 * Star 2, Charts, Comments, Transformed, Airmass, Validation Flag, Cmag, Kmag, HJD, Star
 * Name, … We find columns by name, not position. JD is the geocentric Julian date on UTC
 * (converted here to BJD_TDB with the target's coordinates). A magnitude with '<' is a
 * fainter-than limit and is skipped; a trailing ':' marks an uncertain estimate (kept,
 * counted). Validation flag D (or the older T) marks discrepant data, skipped unless
 * asked. Rows without an uncertainty (visual estimates) are skipped unless a default
 * error is given. The observer code becomes the point's site.
 *
 * Import and export — the AAVSO Extended File Format (v1.2): `#TYPE=EXTENDED`,
 * `#OBSCODE=`, `#SOFTWARE=`, `#DELIM=`, `#DATE=JD|HJD|EXCEL`, `#OBSTYPE=`, then one
 * observation per line: STARID, DATE, MAGNITUDE, MAGERR, FILTER, TRANS, MTYPE, CNAME,
 * CMAG, KNAME, KMAG, AIRMASS, GROUP, CHART, NOTES, 'na' for a missing optional field.
 * The format has no BJD: we write DATE as JD (UTC, the AAVSO's first preference), the
 * moment the light reached the observer, computed back from BJD_TDB — geocentric unless
 * the site is given — and keep the BJD_TDB in NOTES.
 */
import type { ObservatorySite, SkyTarget } from '../time/index.js';
import { LightCurveError } from './errors.js';
import { checkLightCurve, type LightCurve, type LightCurveWarning } from './lightcurve.js';
import { findColumn, normaliseName, readTextTable } from './table.js';
import { bjdTdbToJdUtc, toBjdTdb, type TimeContext } from './times.js';

export interface AavsoImportOptions extends TimeContext {
  /** Keep only this band (as the file writes it, e.g. 'V', 'TG'). */
  band?: string;
  /** Keep data flagged discrepant (D, T); default false. */
  includeDiscrepant?: boolean;
  /** Error given to rows without an uncertainty; default: skip such rows. */
  missingErrorMag?: number;
}

export interface AavsoImportReport {
  lightCurve: LightCurve;
  /** Rows read from the file. */
  rows: number;
  skippedFainterThan: number;
  skippedDiscrepant: number;
  skippedNoError: number;
  skippedOtherBand: number;
  /** Kept rows whose magnitude carried ':' (uncertain). */
  uncertain: number;
}

/** Reads an AAVSO download (or an Extended File Format file, detected by its #TYPE line). */
export function parseAavso(text: string, options: AavsoImportOptions = {}): AavsoImportReport {
  if (/^\s*#\s*TYPE\s*=\s*EXTENDED\b/im.test(text)) return parseAavsoExtended(text, options);
  const source = options.source;
  const table = readTextTable(text, { source, header: 'yes' });
  const header = table.header!;
  const col = (names: string[], required = false): number => {
    const c = findColumn(header, names);
    if (c < 0 && required) throw new LightCurveError('BAD_FORMAT', `not an AAVSO download: no '${names[0]}' column (found: ${header.join(', ')})`, { source, line: 1 });
    return c;
  };
  const cJd = col(['JD'], true);
  const cMag = col(['Magnitude', 'Mag'], true);
  const cErr = col(['Uncertainty', 'Uncert']);
  const cBand = col(['Band'], true);
  const cObs = col(['Observer Code', 'Observer_Code', 'Obscode']);
  const cFlag = col(['Validation Flag', 'Val Flag', 'Validation']);
  const cName = col(['Star Name', 'Name', 'Star']);
  return collect(
    table.rows.map((r) => ({
      line: r.line,
      date: r.cells[cJd] ?? '',
      mag: r.cells[cMag] ?? '',
      err: cErr >= 0 ? (r.cells[cErr] ?? '') : '',
      band: r.cells[cBand] ?? '',
      site: cObs >= 0 ? (r.cells[cObs] ?? '') : '',
      flag: cFlag >= 0 ? (r.cells[cFlag] ?? '') : '',
      name: cName >= 0 ? (r.cells[cName] ?? '') : '',
    })),
    'jd_utc',
    header[cJd],
    options,
  );
}

/** Reads an AAVSO Extended File Format report (DATE=JD or HJD). */
export function parseAavsoExtended(text: string, options: AavsoImportOptions = {}): AavsoImportReport {
  const source = options.source;
  const params = new Map<string, string>();
  const rows: RawRow[] = [];
  let delim = ',';
  let dateType = '';
  let obscode = '';
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s*([A-Za-z]+)\s*=\s*(.*)$/.exec(line);
      if (m) {
        const key = m[1].toUpperCase();
        const value = m[2].trim();
        params.set(key, value);
        // OBSCODE and DATE may change mid-file and apply to what follows.
        if (key === 'DELIM') delim = parseDelim(value, source, i + 1);
        if (key === 'DATE') dateType = value.toUpperCase();
        if (key === 'OBSCODE') obscode = value;
      }
      return;
    }
    if (dateType === '') throw new LightCurveError('BAD_FORMAT', 'observation before the #DATE parameter', { source, line: i + 1 });
    const cells = line.split(delim).map((c) => c.trim());
    if (cells.length < 7) throw new LightCurveError('BAD_FORMAT', `${cells.length} fields, an Extended Format line has 15 (STARID … NOTES)`, { source, line: i + 1 });
    if (dateType !== 'JD' && dateType !== 'HJD') {
      throw new LightCurveError('UNSUPPORTED', `#DATE=${dateType}: only JD and HJD dates are read (EXCEL dates carry no time zone certainty)`, { source, line: i + 1 });
    }
    rows.push({ line: i + 1, date: cells[1], mag: cells[2], err: cells[3], band: cells[4], site: obscode, flag: '', name: cells[0], dateType: dateType === 'HJD' ? 'hjd_utc' : 'jd_utc' });
  });
  if ((params.get('TYPE') ?? '').toUpperCase() !== 'EXTENDED') throw new LightCurveError('BAD_FORMAT', 'no #TYPE=EXTENDED parameter', { source, line: 1 });
  // One conversion per date type (a file may switch between JD and HJD).
  const jdRows = rows.filter((r) => r.dateType !== 'hjd_utc');
  const hjdRows = rows.filter((r) => r.dateType === 'hjd_utc');
  if (jdRows.length > 0 && hjdRows.length > 0) {
    const a = collect(jdRows, 'jd_utc', 'DATE', options);
    const b = collect(hjdRows, 'hjd_utc', 'DATE', options);
    return mergeReports(a, b);
  }
  return collect(rows, hjdRows.length > 0 ? 'hjd_utc' : 'jd_utc', 'DATE', options);
}

interface RawRow {
  line: number;
  date: string;
  mag: string;
  err: string;
  band: string;
  site: string;
  flag: string;
  name: string;
  dateType?: 'jd_utc' | 'hjd_utc';
}

function collect(rows: RawRow[], reference: 'jd_utc' | 'hjd_utc', dateColumn: string, options: AavsoImportOptions): AavsoImportReport {
  const source = options.source;
  const missing = options.missingErrorMag;
  if (missing !== undefined && !(missing > 0 && Number.isFinite(missing))) throw new LightCurveError('BAD_ARGUMENT', `must be > 0, got ${missing}`, { parameter: 'missingErrorMag' });
  const t: number[] = [];
  const y: number[] = [];
  const dy: number[] = [];
  const band: string[] = [];
  const site: string[] = [];
  const names = new Map<string, number>();
  let fainter = 0;
  let discrepant = 0;
  let noError = 0;
  let otherBand = 0;
  let uncertain = 0;
  for (const r of rows) {
    const magText = r.mag.trim();
    if (magText.startsWith('<')) {
      fainter++;
      continue;
    }
    const flag = r.flag.trim().toUpperCase();
    if ((flag === 'D' || flag === 'T') && !options.includeDiscrepant) {
      discrepant++;
      continue;
    }
    const b = r.band.trim();
    if (options.band !== undefined && b !== options.band) {
      otherBand++;
      continue;
    }
    const colon = magText.endsWith(':');
    const mag = Number(colon ? magText.slice(0, -1) : magText);
    if (magText === '' || !Number.isFinite(mag)) throw new LightCurveError('BAD_FORMAT', `magnitude '${r.mag}' is not a number`, { source, line: r.line, column: 'Magnitude' });
    const date = Number(r.date);
    if (r.date.trim() === '' || !Number.isFinite(date)) throw new LightCurveError('BAD_FORMAT', `date '${r.date}' is not a number`, { source, line: r.line, column: dateColumn });
    const errText = r.err.trim().toLowerCase();
    let err = errText === '' || errText === 'na' ? NaN : Number(errText);
    if (errText !== '' && errText !== 'na' && !Number.isFinite(err)) throw new LightCurveError('BAD_FORMAT', `uncertainty '${r.err}' is not a number`, { source, line: r.line, column: 'Uncertainty' });
    if (!(err > 0)) {
      if (missing === undefined) {
        noError++;
        continue;
      }
      err = missing;
    }
    if (colon) uncertain++;
    t.push(date);
    y.push(mag);
    dy.push(err);
    band.push(b);
    site.push(r.site.trim() || 'unknown');
    const nm = r.name.trim();
    if (nm) names.set(nm, (names.get(nm) ?? 0) + 1);
  }
  if (t.length === 0) {
    throw new LightCurveError('TOO_FEW_POINTS', `no usable observations (${rows.length} rows: ${fainter} fainter-than, ${discrepant} discrepant, ${noError} without uncertainty, ${otherBand} in other bands)`, { source });
  }
  const conv = toBjdTdb(Float64Array.from(t), reference, options);
  const lc: LightCurve = { t: conv.bjdTdb, y: Float64Array.from(y), dy: Float64Array.from(dy), band, site, kind: 'mag', warnings: conv.warnings };
  const name = [...names.entries()].sort((a, b) => b[1] - a[1])[0]?.[0];
  if (name) lc.target = name;
  checkLightCurve(lc, source);
  return { lightCurve: lc, rows: rows.length, skippedFainterThan: fainter, skippedDiscrepant: discrepant, skippedNoError: noError, skippedOtherBand: otherBand, uncertain };
}

function mergeReports(a: AavsoImportReport, b: AavsoImportReport): AavsoImportReport {
  const la = a.lightCurve;
  const lb = b.lightCurve;
  const cat = (x: Float64Array, y: Float64Array): Float64Array => {
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return out;
  };
  const warnings: LightCurveWarning[] = [...la.warnings, ...lb.warnings.filter((w) => !la.warnings.some((v) => v.code === w.code))];
  return {
    lightCurve: { t: cat(la.t, lb.t), y: cat(la.y, lb.y), dy: cat(la.dy, lb.dy), band: [...la.band!, ...lb.band!], site: [...la.site!, ...lb.site!], kind: 'mag', target: la.target ?? lb.target, warnings },
    rows: a.rows + b.rows,
    skippedFainterThan: a.skippedFainterThan + b.skippedFainterThan,
    skippedDiscrepant: a.skippedDiscrepant + b.skippedDiscrepant,
    skippedNoError: a.skippedNoError + b.skippedNoError,
    skippedOtherBand: a.skippedOtherBand + b.skippedOtherBand,
    uncertain: a.uncertain + b.uncertain,
  };
}

function parseDelim(value: string, source: string | undefined, line: number): string {
  const v = value.trim();
  const named: Record<string, string> = { comma: ',', tab: '\t', semicolon: ';', pipe: '|', exclamation: '!' };
  if (named[v.toLowerCase()]) return named[v.toLowerCase()];
  if (/^\d+$/.test(v)) {
    const code = Number(v);
    if (code >= 32 && code <= 126 && code !== 35) return String.fromCharCode(code);
  }
  if (v.length === 1 && v !== '#') return v;
  if (value === ' ' || value === '') throw new LightCurveError('BAD_FORMAT', 'a space is not an allowed delimiter', { source, line });
  throw new LightCurveError('BAD_FORMAT', `#DELIM='${value}' is not one character (or an ASCII code 32–126)`, { source, line });
}

// ---------------------------------------------------------------------------------------
// Export

/** AAVSO filter codes accepted in FILTER (Extended File Format, v1.2). */
export const AAVSO_FILTERS: readonly string[] = [
  'U', 'B', 'V', 'R', 'I', 'J', 'H', 'K', 'TG', 'TB', 'TR', 'CV', 'CR', 'SZ', 'SU', 'SG', 'SR', 'SI',
  'STU', 'STV', 'STB', 'STY', 'STHBW', 'STHBN', 'MA', 'MB', 'MI', 'ZS', 'Y', 'HA', 'HAC', 'O', 'N',
];

/** Our band names (and common spellings) to AAVSO filter codes. */
export function aavsoFilterCode(band: string): string | undefined {
  const b = band.trim();
  const aliases: Record<string, string> = {
    rc: 'R', cousinsr: 'R', r_c: 'R', ic: 'I', cousinsi: 'I', i_c: 'I', johnsonv: 'V', johnsonb: 'B', johnsonu: 'U',
    g: 'SG', "g'": 'SG', sdssg: 'SG', r: 'SR', "r'": 'SR', sdssr: 'SR', i: 'SI', "i'": 'SI', sdssi: 'SI', z: 'SZ', "z'": 'SZ', sdssz: 'SZ', u: 'SU', "u'": 'SU', sdssu: 'SU',
    clear: 'CV', cv: 'CV', cr: 'CR',
  };
  // Upper-case single letters are Johnson–Cousins; lower-case ones are Sloan.
  if (AAVSO_FILTERS.includes(b)) return b;
  const k = b.toLowerCase().replace(/[\s_-]+/g, '');
  if (aliases[k]) return aliases[k];
  if (AAVSO_FILTERS.includes(b.toUpperCase()) && b.length > 1) return b.toUpperCase();
  return undefined;
}

export interface AavsoExtendedOptions {
  /** AAVSO observer code (#OBSCODE). */
  observerCode: string;
  /** Target coordinates: BJD_TDB is converted back to JD (UTC) with them. */
  target: SkyTarget;
  /** Observatory for a topocentric JD; default geocentric (≤ 21 ms difference). */
  site?: ObservatorySite;
  /** STARID; default the light curve's target name. */
  starId?: string;
  /** FILTER for every point; default each point's band mapped to an AAVSO code. */
  filter?: string;
  /** #OBSTYPE; default 'CCD'. */
  obsType?: 'CCD' | 'DSLR' | 'PEP' | 'CMOS';
  /** MTYPE: STD (standardised, default), DIF (differential) or ABS. */
  mtype?: 'STD' | 'DIF' | 'ABS';
  /** TRANS: whether transformation coefficients were applied; default false. */
  transformed?: boolean;
  /** CNAME / CMAG, KNAME / KMAG; default 'ENSEMBLE' / 'na' and 'na' / 'na'. */
  compName?: string;
  compMag?: number;
  checkName?: string;
  checkMag?: number;
  chart?: string;
  /** #SOFTWARE; default 'OpenAstro'. */
  software?: string;
  /** Extra note for every line (no delimiter characters). */
  notes?: string;
}

export interface AavsoExtendedReport {
  text: string;
  warnings: LightCurveWarning[];
}

/** Writes an AAVSO Extended File Format report (#DATE=JD) of a magnitude light curve. */
export function formatAavsoExtended(lc: LightCurve, options: AavsoExtendedOptions): AavsoExtendedReport {
  checkLightCurve(lc);
  if (lc.kind !== 'mag') throw new LightCurveError('BAD_ARGUMENT', 'the AAVSO Extended Format holds magnitudes; this light curve holds fluxes', { parameter: 'kind' });
  if (options === null || typeof options !== 'object') throw new LightCurveError('BAD_ARGUMENT', 'options are required (observerCode, target)', { parameter: 'options' });
  const delim = ',';
  const field = (v: string, what: string, max: number): string => {
    const s = v.trim();
    if (s === '') throw new LightCurveError('BAD_ARGUMENT', 'must not be empty', { parameter: what });
    if (s.includes(delim) || s.includes('#') || /[\r\n]/.test(s)) throw new LightCurveError('BAD_ARGUMENT', `'${s}' must not contain ',', '#' or a line break`, { parameter: what });
    if (s.length > max) throw new LightCurveError('BAD_ARGUMENT', `'${s}' is longer than the ${max} characters the format allows`, { parameter: what });
    return s;
  };
  const obscode = field(options.observerCode ?? '', 'observerCode', 20);
  const starId = field(options.starId ?? lc.target ?? '', 'starId', 30);
  const software = field(options.software ?? 'OpenAstro', 'software', 255);
  const obsType = options.obsType ?? 'CCD';
  if (!['CCD', 'DSLR', 'PEP', 'CMOS'].includes(obsType)) throw new LightCurveError('BAD_ARGUMENT', `'${obsType}' is not CCD, DSLR, PEP or CMOS`, { parameter: 'obsType' });
  const mtype = options.mtype ?? 'STD';
  if (!['STD', 'DIF', 'ABS'].includes(mtype)) throw new LightCurveError('BAD_ARGUMENT', `'${mtype}' is not STD, DIF or ABS`, { parameter: 'mtype' });
  const cname = field(options.compName ?? 'ENSEMBLE', 'compName', 20);
  const kname = options.checkName === undefined ? 'na' : field(options.checkName, 'checkName', 20);
  const cmag = options.compMag === undefined ? 'na' : magField(options.compMag, 'compMag');
  const kmag = options.checkMag === undefined ? 'na' : magField(options.checkMag, 'checkMag');
  const chart = options.chart === undefined ? 'na' : field(options.chart, 'chart', 20);
  const note = options.notes === undefined ? '' : field(options.notes, 'notes', 200).replace(/\|/g, '/');
  const fixedFilter = options.filter === undefined ? undefined : aavsoFilterCode(options.filter);
  if (options.filter !== undefined && !fixedFilter) throw new LightCurveError('BAD_ARGUMENT', `'${options.filter}' is not an AAVSO filter (${AAVSO_FILTERS.join(', ')})`, { parameter: 'filter' });
  const filters = Array.from(lc.t, (_, i) => {
    if (fixedFilter) return fixedFilter;
    const b = lc.band?.[i] ?? '';
    const code = aavsoFilterCode(b);
    if (!code) {
      throw new LightCurveError('BAD_ARGUMENT', b === '' ? 'points without a band: give the filter (--filter)' : `band '${b}' has no AAVSO filter code: give the filter (--filter)`, { parameter: 'filter', index: i });
    }
    return code;
  });
  const jd = bjdTdbToJdUtc(lc.t, options.target, options.site);
  const lines = [
    '#TYPE=EXTENDED',
    `#OBSCODE=${obscode}`,
    `#SOFTWARE=${software}`,
    '#DELIM=,',
    '#DATE=JD',
    `#OBSTYPE=${obsType}`,
    `# DATE is the JD (UTC) at ${options.site ? `the site (lat ${options.site.latDeg}°, lon ${options.site.lonDeg}°)` : 'the geocentre'} from BJD_TDB for RA ${options.target.raDeg}°, Dec ${options.target.decDeg}°`,
    '#STARID,DATE,MAGNITUDE,MAGERR,FILTER,TRANS,MTYPE,CNAME,CMAG,KNAME,KMAG,AIRMASS,GROUP,CHART,NOTES',
  ];
  for (let i = 0; i < lc.t.length; i++) {
    const notes = `BJD_TDB=${lc.t[i].toFixed(7)}${note ? `|${note}` : ''}`;
    lines.push(
      [starId, jd.bjdTdb[i].toFixed(6), magField(lc.y[i], 'y', i), Number.isNaN(lc.dy[i]) ? 'na' : errField(lc.dy[i], i), filters[i], options.transformed ? 'YES' : 'NO', mtype, cname, cmag, kname, kmag, 'na', 'na', chart, notes].join(delim),
    );
  }
  return { text: lines.join('\n') + '\n', warnings: jd.warnings };
}

function magField(v: number, what: string, index?: number): string {
  const s = v.toFixed(3);
  if (!Number.isFinite(v) || s.length > 8) throw new LightCurveError('BAD_ARGUMENT', `magnitude ${v} does not fit the format's 8 characters`, { parameter: what, index });
  return s;
}

function errField(v: number, index: number): string {
  const s = v.toFixed(3);
  if (s.length > 6) throw new LightCurveError('BAD_ARGUMENT', `error ${v} does not fit the format's 6 characters`, { parameter: 'dy', index });
  return s === '0.000' ? '0.001' : s;
}

/** The normalised names of the AAVSO download's columns (for format sniffing). */
export function looksLikeAavsoDownload(header: readonly string[]): boolean {
  const names = header.map(normaliseName);
  return names.includes('jd') && names.includes('magnitude') && names.includes('band');
}
