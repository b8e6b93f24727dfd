/**
 * Kepler and TESS light-curve files (SPOC "LC" FITS), read with our own FITS reader.
 *
 * Layout (Kepler Archive Manual, KDMC-10008, §2.3; TESS Science Data Products Description,
 * SDPDD §5.3): primary HDU with the target's keywords (TELESCOP, OBJECT, KEPLERID or
 * TICID, RA_OBJ, DEC_OBJ), then the binary table 'LIGHTCURVE' with TIME (days),
 * SAP_FLUX, PDCSAP_FLUX and their _ERR columns (e⁻/s) and a quality bit mask
 * (SAP_QUALITY for Kepler, QUALITY for TESS). TIME is barycentric on TDB, offset:
 * BJD = TIME + BJDREFI + BJDREFF — 2454833 for Kepler (BKJD), 2457000 for TESS (BTJD) —
 * as the LIGHTCURVE header says with TIMEREF = 'SOLARSYSTEM', TIMESYS = 'TDB',
 * TIMEUNIT = 'd'. Gaps have NaN TIME or flux; flagged cadences have non-zero quality.
 */
import { FitsError, FitsReader, readBinTable, type BinTable, type Header } from '../fits/index.js';
import { LightCurveError } from './errors.js';
import { checkLightCurve, type LightCurve, type LightCurveWarning } from './lightcurve.js';

export type Mission = 'kepler' | 'tess';

/** BJD − TIME of each mission when the header does not say (BKJD, BTJD). */
export const MISSION_BJD_REFERENCE: Readonly<Record<Mission, number>> = { kepler: 2454833, tess: 2457000 };

export interface MissionFitsOptions {
  /** Which mission the file must be from; default: whichever TELESCOP says. */
  mission?: Mission;
  /** Flux column; default 'PDCSAP_FLUX'. Its error column is `${fluxColumn}_ERR`. */
  fluxColumn?: string;
  /** Keep cadences with a non-zero quality flag; default false. */
  keepFlagged?: boolean;
  /** Divide flux and error by the median flux of the kept cadences; default false. */
  normalize?: boolean;
  source?: string;
}

export interface MissionLightCurve {
  lightCurve: LightCurve;
  mission: Mission;
  /** BJDREFI + BJDREFF used. */
  bjdReference: number;
  /** Rows of the table. */
  rows: number;
  skippedNaN: number;
  skippedFlagged: number;
  /** Median flux the values were divided by (1 without normalisation). */
  normalisation: number;
  /** Target coordinates from the primary header (RA_OBJ, DEC_OBJ), when present. */
  raDeg?: number;
  decDeg?: number;
}

export async function readMissionLightCurve(bytes: Uint8Array, options: MissionFitsOptions = {}): Promise<MissionLightCurve> {
  const source = options.source;
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(bytes);
  } catch (e) {
    if (e instanceof FitsError) throw new LightCurveError('BAD_FORMAT', `not a readable FITS file: ${e.message}`, { source });
    throw e;
  }
  try {
    return await readFrom(reader, options);
  } catch (e) {
    if (e instanceof FitsError) throw new LightCurveError('BAD_FORMAT', e.message, { source });
    throw e;
  } finally {
    await reader.close();
  }
}

async function readFrom(reader: FitsReader, options: MissionFitsOptions): Promise<MissionLightCurve> {
  const source = options.source;
  const primary = reader.hdus[0].header;
  const tables = reader.hdus.filter((h) => h.type === 'bintable');
  const hdu = tables.find((h) => (h.header.getString('EXTNAME') ?? '').trim().toUpperCase() === 'LIGHTCURVE') ?? tables.find((h) => hasColumn(h.header, 'TIME'));
  if (!hdu) throw new LightCurveError('BAD_FORMAT', "no 'LIGHTCURVE' binary table (nor any table with a TIME column): not a Kepler/TESS light-curve file", { source });
  const h = hdu.header;
  const warnings: LightCurveWarning[] = [];
  const keyword = (k: string): string | number | undefined => {
    const v = h.get(k) ?? primary.get(k);
    return typeof v === 'string' ? v.trim() : typeof v === 'number' ? v : undefined;
  };
  const telescop = String(keyword('TELESCOP') ?? keyword('MISSION') ?? '').toUpperCase();
  const detected: Mission | undefined = telescop.startsWith('KEPLER') || telescop === 'K2' ? 'kepler' : telescop.startsWith('TESS') ? 'tess' : undefined;
  const mission = options.mission ?? detected;
  if (!mission) throw new LightCurveError('BAD_FORMAT', `TELESCOP = '${telescop}' is neither Kepler nor TESS: say which mission (--format kepler|tess)`, { source });
  if (options.mission && detected && options.mission !== detected) {
    throw new LightCurveError('BAD_FORMAT', `the file is from ${detected === 'kepler' ? 'Kepler' : 'TESS'} (TELESCOP = '${telescop}'), not ${options.mission === 'kepler' ? 'Kepler' : 'TESS'}`, { source });
  }
  const timeref = keyword('TIMEREF');
  if (timeref === undefined) warnings.push({ code: 'TIME_KEYWORDS_MISSING', message: 'TIMEREF absent: times assumed barycentric (SOLARSYSTEM), as SPOC files are' });
  else if (String(timeref).toUpperCase() !== 'SOLARSYSTEM') {
    throw new LightCurveError('UNSUPPORTED', `TIMEREF = '${timeref}': only barycentric (SOLARSYSTEM) times are supported`, { source });
  }
  const timesys = keyword('TIMESYS');
  if (timesys !== undefined && String(timesys).toUpperCase() !== 'TDB') throw new LightCurveError('UNSUPPORTED', `TIMESYS = '${timesys}': only TDB is supported`, { source });
  const timeunit = keyword('TIMEUNIT');
  if (timeunit !== undefined && String(timeunit).toLowerCase() !== 'd') throw new LightCurveError('UNSUPPORTED', `TIMEUNIT = '${timeunit}': only days ('d') are supported`, { source });
  const refi = keyword('BJDREFI');
  const reff = keyword('BJDREFF');
  let bjdReference: number;
  if (typeof refi === 'number') bjdReference = refi + (typeof reff === 'number' ? reff : 0);
  else {
    bjdReference = MISSION_BJD_REFERENCE[mission];
    warnings.push({ code: 'TIME_KEYWORDS_MISSING', message: `BJDREFI absent: BJD = TIME + ${bjdReference} (the ${mission === 'kepler' ? 'Kepler BKJD' : 'TESS BTJD'} convention) assumed` });
  }

  const table: BinTable = readBinTable(h, await reader.readDataBytes(hdu.index), { hdu: hdu.index });
  const fluxName = options.fluxColumn ?? 'PDCSAP_FLUX';
  const time = numeric(table, 'TIME', source);
  const flux = numeric(table, fluxName, source);
  const errName = `${fluxName}_ERR`;
  const err = hasColumn(h, errName) ? numeric(table, errName, source) : undefined;
  if (!err) warnings.push({ code: 'NO_ERRORS', message: `no ${errName} column: errors unknown` });
  const qualityName = hasColumn(h, 'QUALITY') ? 'QUALITY' : hasColumn(h, 'SAP_QUALITY') ? 'SAP_QUALITY' : undefined;
  const quality = qualityName ? numeric(table, qualityName, source) : undefined;
  const n = table.rows;
  const keep: number[] = [];
  let skippedNaN = 0;
  let skippedFlagged = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(time[i]) || !Number.isFinite(flux[i]) || (err && !(err[i] > 0))) {
      skippedNaN++;
      continue;
    }
    if (quality && quality[i] !== 0 && !options.keepFlagged) {
      skippedFlagged++;
      continue;
    }
    keep.push(i);
  }
  if (keep.length === 0) throw new LightCurveError('TOO_FEW_POINTS', `no usable cadence among ${n} rows (${skippedNaN} NaN, ${skippedFlagged} flagged)`, { source });
  let norm = 1;
  if (options.normalize) {
    const f = Float64Array.from(keep, (i) => flux[i]).sort();
    const m = f.length;
    norm = m % 2 ? f[(m - 1) / 2] : 0.5 * (f[m / 2 - 1] + f[m / 2]);
    if (!(norm > 0)) throw new LightCurveError('BAD_FORMAT', `median flux ${norm} is not positive: cannot normalise`, { source });
  }
  const m = keep.length;
  const t = new Float64Array(m);
  const y = new Float64Array(m);
  const dy = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const i = keep[k];
    // TIME + reference in one addition: the sum is exact to float64 rounding (~40 µs at 2.46e6 d).
    t[k] = time[i] + bjdReference;
    y[k] = flux[i] / norm;
    dy[k] = err ? err[i] / norm : NaN;
  }
  const name = mission === 'kepler' ? 'Kepler' : 'TESS';
  const object = keyword('OBJECT');
  const id = mission === 'kepler' ? keyword('KEPLERID') : keyword('TICID');
  const lc: LightCurve = {
    t,
    y,
    dy,
    band: new Array<string>(m).fill(name),
    site: new Array<string>(m).fill(name),
    kind: 'flux',
    warnings,
    target: object !== undefined && String(object) !== '' ? String(object) : id !== undefined ? `${mission === 'kepler' ? 'KIC' : 'TIC'} ${id}` : undefined,
  };
  checkLightCurve(lc, source);
  const ra = keyword('RA_OBJ');
  const dec = keyword('DEC_OBJ');
  return {
    lightCurve: lc,
    mission,
    bjdReference,
    rows: n,
    skippedNaN,
    skippedFlagged,
    normalisation: norm,
    raDeg: typeof ra === 'number' ? ra : undefined,
    decDeg: typeof dec === 'number' ? dec : undefined,
  };
}

function hasColumn(h: Header, name: string): boolean {
  const n = h.getInt('TFIELDS') ?? 0;
  for (let i = 1; i <= n; i++) if (String(h.get(`TTYPE${i}`) ?? '').trim().toUpperCase() === name.toUpperCase()) return true;
  return false;
}

function numeric(table: BinTable, name: string, source?: string): Float64Array {
  let col;
  try {
    col = table.column(name);
  } catch {
    throw new LightCurveError('BAD_FORMAT', `no '${name}' column (columns: ${table.columns.map((c) => c.name).join(', ')})`, { source, column: name });
  }
  if (col.kind !== 'numeric' || col.repeat !== 1) throw new LightCurveError('BAD_FORMAT', `column '${name}' is not a scalar numeric column`, { source, column: name });
  const v = col.values;
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return Float64Array.from(v, (x) => Number(x));
  return Float64Array.from(v as ArrayLike<number>);
}
