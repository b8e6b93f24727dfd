/**
 * Star lists from CSV. Column names are matched case-insensitively:
 *   Gaia DR3 style:  ra, dec, phot_g_mean_mag, pmra, pmdec   (epoch 2016.0)
 *   Tycho-2 style:   RAmdeg, DEmdeg, VTmag (or BTmag), pmRA, pmDE   (epoch 2000.0)
 *   plain:           ra_deg, dec_deg, mag_vt / mag / vmag
 * Proper motions are mas/yr with μα* = μα cos δ (both catalogues' convention); an empty
 * proper-motion field means 0 (Gaia's two-parameter solutions). Any other unparsable
 * value rejects the whole file, naming the line and column.
 */
import { AstrometryError } from './errors.js';
import type { CatalogInput } from './catalog.js';

/** Column names recognised (lower case, in order of preference) by the CSV and FITS-table importers. */
export const CATALOG_COLUMN_NAMES = {
  ra: ['ra', 'ra_deg', 'radeg', 'ramdeg', 'ra_icrs', '_raj2000', 'raj2000'],
  dec: ['dec', 'dec_deg', 'decdeg', 'de', 'demdeg', 'dedeg', 'de_icrs', '_dej2000', 'dej2000'],
  mag: ['phot_g_mean_mag', 'mag', 'vtmag', 'mag_vt', 'vmag', 'gmag', 'btmag', 'mag_bt'],
  pmRa: ['pmra', 'pmra_masyr', 'pm_ra'],
  pmDec: ['pmdec', 'pmde', 'pmdec_masyr', 'pm_dec'],
} as const;
const RA_NAMES: readonly string[] = CATALOG_COLUMN_NAMES.ra;
const DEC_NAMES: readonly string[] = CATALOG_COLUMN_NAMES.dec;
const MAG_NAMES: readonly string[] = CATALOG_COLUMN_NAMES.mag;
const PMRA_NAMES: readonly string[] = CATALOG_COLUMN_NAMES.pmRa;
const PMDEC_NAMES: readonly string[] = CATALOG_COLUMN_NAMES.pmDec;

export interface CsvImportOptions {
  /** Epoch of the positions (Julian year); default 2016.0 for Gaia-style columns, else 2000.0. */
  epochYr?: number;
  /** Name used in error messages. */
  file?: string;
  /** Refuse more rows than this (default 1e8). */
  maxRows?: number;
}

function splitLine(line: string): string[] {
  if (!line.includes('"')) return line.split(',');
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

function findColumn(names: string[], wanted: readonly string[]): number {
  for (const w of wanted) {
    const i = names.indexOf(w);
    if (i >= 0) return i;
  }
  return -1;
}

/** Parses a catalog CSV into columns (lines starting with '#' and blank lines are skipped). */
export function parseCatalogCsv(text: string, opts: CsvImportOptions = {}): CatalogInput {
  const file = opts.file;
  const maxRows = opts.maxRows ?? 1e8;
  const lines = text.split(/\r?\n/);
  let h = 0;
  while (h < lines.length && (lines[h].trim() === '' || lines[h].startsWith('#'))) h++;
  if (h >= lines.length) throw new AstrometryError('BAD_CSV', 'no header line', { file, line: 1 });
  const header = splitLine(lines[h]).map((s) => s.trim().toLowerCase());
  const col = {
    ra: findColumn(header, RA_NAMES),
    dec: findColumn(header, DEC_NAMES),
    mag: findColumn(header, MAG_NAMES),
    pmra: findColumn(header, PMRA_NAMES),
    pmdec: findColumn(header, PMDEC_NAMES),
  };
  const missing = (['ra', 'dec', 'mag'] as const).filter((k) => col[k] < 0);
  if (missing.length > 0) {
    throw new AstrometryError('BAD_CSV', `header has no ${missing.join(', ')} column (columns: ${header.join(', ')}; expected e.g. ra,dec,phot_g_mean_mag or RAmdeg,DEmdeg,VTmag)`, { file, line: h + 1 });
  }
  if ((col.pmra < 0) !== (col.pmdec < 0)) {
    throw new AstrometryError('BAD_CSV', 'a proper motion needs both pmra and pmdec columns', { file, line: h + 1, column: col.pmra < 0 ? 'pmdec' : 'pmra' });
  }
  const hasPm = col.pmra >= 0;
  const gaia = header.includes('phot_g_mean_mag') || (header.includes('ra') && header.includes('pmra'));
  const epochYr = opts.epochYr ?? (gaia ? 2016.0 : 2000.0);
  const ra: number[] = [];
  const dec: number[] = [];
  const mag: number[] = [];
  const pmra: number[] = [];
  const pmdec: number[] = [];
  for (let li = h + 1; li < lines.length; li++) {
    const line = lines[li];
    if (line.trim() === '' || line.startsWith('#')) continue;
    if (ra.length >= maxRows) throw new AstrometryError('TOO_LARGE', `more than ${maxRows} rows`, { file, line: li + 1 });
    const f = splitLine(line);
    if (f.length !== header.length) {
      throw new AstrometryError('BAD_CSV', `${f.length} fields, the header has ${header.length}`, { file, line: li + 1 });
    }
    const num = (c: number, name: string, lo: number, hi: number, emptyAs?: number): number => {
      const s = f[c].trim();
      if (s === '' && emptyAs !== undefined) return emptyAs;
      const v = Number(s);
      if (s === '' || !Number.isFinite(v) || v < lo || v > hi) {
        throw new AstrometryError('BAD_CSV', `'${s}' is not a valid ${name} (expected a number in [${lo}, ${hi}])`, { file, line: li + 1, column: header[c] });
      }
      return v;
    };
    ra.push(num(col.ra, 'RA (deg)', -360, 720));
    dec.push(num(col.dec, 'Dec (deg)', -90, 90));
    mag.push(num(col.mag, 'magnitude', -30, 32));
    if (hasPm) {
      pmra.push(num(col.pmra, 'proper motion (mas/yr)', -1e5, 1e5, 0));
      pmdec.push(num(col.pmdec, 'proper motion (mas/yr)', -1e5, 1e5, 0));
    }
  }
  const out: CatalogInput = { raDeg: ra, decDeg: dec, mag, epochYr };
  if (hasPm) {
    out.pmRaMasYr = pmra;
    out.pmDecMasYr = pmdec;
  }
  return out;
}
