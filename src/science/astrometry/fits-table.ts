/**
 * Star lists from FITS binary tables (BINTABLE): one row per star with RA, Dec, magnitude and
 * optionally proper motion. Column names default to those the CSV importer recognises
 * (ra/dec/mag, RAmdeg/DEmdeg/VTmag, MAG_VT, phot_g_mean_mag, pmra/pmdec, ...), matched
 * case-insensitively; any of them can be named explicitly. RA/Dec are degrees unless
 * TUNIT says radians. A null proper motion (NaN) counts as 0, as in the CSV importer; any
 * other non-finite or out-of-range value rejects the whole table, naming row and column.
 */
import { FitsError } from '../fits/errors.js';
import { readBinTable, type BinTable, type ColumnValues } from '../fits/bintable.js';
import { FitsReader } from '../fits/reader.js';
import type { CatalogInput } from './catalog.js';
import { CATALOG_COLUMN_NAMES } from './csv.js';
import { AstrometryError } from './errors.js';

export interface FitsTableImportOptions {
  /** 0-based HDU of the table; default the first BINTABLE that has RA and Dec columns. */
  hdu?: number;
  raColumn?: string;
  decColumn?: string;
  magColumn?: string;
  pmRaColumn?: string;
  pmDecColumn?: string;
  /** Epoch of the positions, Julian year; default 2016.0 when the magnitude column is Gaia's G, else 2000.0. */
  epochYr?: number;
  /** Name used in error messages. */
  file?: string;
}

function columnNames(t: BinTable): string[] {
  return t.columns.map((c) => c.name.trim().toLowerCase());
}

function pick(t: BinTable, explicit: string | undefined, candidates: readonly string[], what: string, where: { file?: string; hdu: number }, required: boolean): number {
  const names = columnNames(t);
  if (explicit !== undefined) {
    const i = names.indexOf(explicit.trim().toLowerCase());
    if (i < 0) throw new AstrometryError('BAD_TABLE', `no column named '${explicit}' for ${what} (columns: ${names.join(', ')})`, where);
    return i;
  }
  for (const c of candidates) {
    const i = names.indexOf(c);
    if (i >= 0) return i;
  }
  if (required) throw new AstrometryError('BAD_TABLE', `no ${what} column (columns: ${names.join(', ')}; name it with the ${what} column option)`, where);
  return -1;
}

function numericColumn(t: BinTable, index: number, where: { file?: string; hdu: number }): Float64Array {
  const info = t.columns[index];
  let v: ColumnValues;
  try {
    v = t.column(index);
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BAD_TABLE', `column '${info.name}': ${e.message}`, { ...where, column: info.name });
    throw e;
  }
  if (v.kind !== 'numeric' || v.repeat !== 1) {
    throw new AstrometryError('BAD_TABLE', `column '${info.name}' (TFORM '${info.tform}') is not one number per row`, { ...where, column: info.name });
  }
  return Float64Array.from(v.values as ArrayLike<number | bigint>, Number);
}

function angleFactor(t: BinTable, index: number, where: { file?: string; hdu: number }): number {
  const unit = (t.columns[index].unit ?? '').trim().toLowerCase();
  if (unit === '' || unit === 'deg' || unit === 'degree' || unit === 'degrees') return 1;
  if (unit === 'rad' || unit === 'radian' || unit === 'radians') return 180 / Math.PI;
  throw new AstrometryError('BAD_TABLE', `unit '${t.columns[index].unit}' of column '${t.columns[index].name}' (expected deg or rad)`, { ...where, column: t.columns[index].name });
}

/** Reads a star list from a BINTABLE of a FITS file (path or bytes). */
export async function readCatalogFitsTable(input: string | Uint8Array, opts: FitsTableImportOptions = {}): Promise<CatalogInput> {
  const file = opts.file ?? (typeof input === 'string' ? input : undefined);
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(input);
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BAD_TABLE', e.message, { file });
    throw e;
  }
  try {
    const tables = reader.hdus.filter((h) => h.type === 'bintable');
    let hduIndex = opts.hdu;
    if (hduIndex !== undefined) {
      const h = reader.hdus[hduIndex];
      if (!h) throw new AstrometryError('BAD_TABLE', `no HDU ${hduIndex} (the file has ${reader.hdus.length})`, { file, hdu: hduIndex });
      if (h.type !== 'bintable') throw new AstrometryError('BAD_TABLE', `HDU ${hduIndex} is a ${h.type} HDU, not a binary table`, { file, hdu: hduIndex });
    } else {
      const lower = (h: (typeof tables)[number]): string[] => {
        const n = h.header.getInt('TFIELDS') ?? 0;
        const out: string[] = [];
        for (let i = 1; i <= n; i++) out.push(String(h.header.get(`TTYPE${i}`) ?? '').trim().toLowerCase());
        return out;
      };
      const raName = opts.raColumn?.toLowerCase();
      const found = tables.find((h) => {
        const names = lower(h);
        return raName !== undefined ? names.includes(raName) : CATALOG_COLUMN_NAMES.ra.some((c) => names.includes(c));
      });
      if (!found) throw new AstrometryError('BAD_TABLE', `no binary table with an RA column among ${tables.length} table HDU(s)`, { file });
      hduIndex = found.index;
    }
    const info = reader.hdus[hduIndex];
    const where = { file, hdu: hduIndex };
    let table: BinTable;
    try {
      table = readBinTable(info.header, await reader.readDataBytes(hduIndex), { hdu: hduIndex });
    } catch (e) {
      if (e instanceof FitsError) throw new AstrometryError('BAD_TABLE', e.message, where);
      throw e;
    }
    const ci = {
      ra: pick(table, opts.raColumn, CATALOG_COLUMN_NAMES.ra, 'RA', where, true),
      dec: pick(table, opts.decColumn, CATALOG_COLUMN_NAMES.dec, 'Dec', where, true),
      mag: pick(table, opts.magColumn, CATALOG_COLUMN_NAMES.mag, 'magnitude', where, true),
      pmRa: pick(table, opts.pmRaColumn, CATALOG_COLUMN_NAMES.pmRa, 'proper motion in RA', where, opts.pmRaColumn !== undefined),
      pmDec: pick(table, opts.pmDecColumn, CATALOG_COLUMN_NAMES.pmDec, 'proper motion in Dec', where, opts.pmDecColumn !== undefined),
    };
    if ((ci.pmRa < 0) !== (ci.pmDec < 0)) {
      throw new AstrometryError('BAD_TABLE', 'a proper motion needs both RA and Dec proper-motion columns', { ...where, column: table.columns[Math.max(ci.pmRa, ci.pmDec)].name });
    }
    const ra = numericColumn(table, ci.ra, where);
    const dec = numericColumn(table, ci.dec, where);
    const mag = numericColumn(table, ci.mag, where);
    const fRa = angleFactor(table, ci.ra, where);
    const fDec = angleFactor(table, ci.dec, where);
    const check = (v: Float64Array, col: number, lo: number, hi: number, what: string, nullAs?: number): void => {
      for (let r = 0; r < v.length; r++) {
        if (Number.isNaN(v[r]) && nullAs !== undefined) v[r] = nullAs;
        else if (!(v[r] >= lo && v[r] <= hi)) {
          throw new AstrometryError('BAD_TABLE', `row ${r + 1}: ${v[r]} is not a valid ${what} (expected a number in [${lo}, ${hi}])`, { ...where, column: table.columns[col].name });
        }
      }
    };
    for (let r = 0; r < ra.length; r++) {
      ra[r] *= fRa;
      dec[r] *= fDec;
    }
    check(ra, ci.ra, -360, 720, 'RA (deg)');
    check(dec, ci.dec, -90, 90, 'Dec (deg)');
    check(mag, ci.mag, -30, 32, 'magnitude');
    const gaia = table.columns[ci.mag].name.trim().toLowerCase() === 'phot_g_mean_mag';
    const out: CatalogInput = { raDeg: ra, decDeg: dec, mag, epochYr: opts.epochYr ?? (gaia ? 2016.0 : 2000.0) };
    if (ci.pmRa >= 0) {
      const pmRa = numericColumn(table, ci.pmRa, where);
      const pmDec = numericColumn(table, ci.pmDec, where);
      check(pmRa, ci.pmRa, -1e5, 1e5, 'proper motion (mas/yr)', 0);
      check(pmDec, ci.pmDec, -1e5, 1e5, 'proper motion (mas/yr)', 0);
      out.pmRaMasYr = pmRa;
      out.pmDecMasYr = pmDec;
    }
    return out;
  } finally {
    await reader.close();
  }
}
