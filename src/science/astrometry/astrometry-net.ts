/**
 * Stars from astrometry.net index files (e.g. Debian's astrometry-data-tycho2 packages).
 *
 * An index file is a FITS file whose binary-table extensions hold, among the quads and the
 * code kd-tree, a kd-tree of the index stars (Lang et al. 2010 §2.3; the layout is described
 * by the files' own header comments):
 *   - an empty table whose header names the tree (KDT_NAME = 'stars', TTYPE1 =
 *     'kdtree_header_stars') and gives the number of points KDT_NDAT, dimensions KDT_NDIM = 3,
 *     the stored type KDT_DATA (u32, u16, double or float) and the byte order (ENDIAN card:
 *     '04:03:02:01' means a u32 0x01020304 was written as bytes 04 03 02 01, little-endian);
 *   - 'kdtree_data_stars': NDAT × NDIM values, native-endian (NOT FITS big-endian), one star
 *     per row: the unit vector (x, y, z) of its direction;
 *   - 'kdtree_range_stars' (integer types only): NDIM lower bounds, NDIM upper bounds and a
 *     scale, as native-endian doubles: value = lower + stored / scale;
 *   - a tag-along table (AN_FILE = 'TAGALONG'), an ordinary FITS table in the same star
 *     order, with the catalog's extra columns (MAG_VT, MAG_BT, ... for Tycho-2).
 * The tree nodes (LR, split arrays) are not needed to list the stars, so they are not read.
 */
import { FitsError } from '../fits/errors.js';
import { readBinTable } from '../fits/bintable.js';
import type { HduInfo } from '../fits/hdu.js';
import { FitsReader } from '../fits/reader.js';
import type { CatalogInput } from './catalog.js';
import { AstrometryError } from './errors.js';

export interface AstrometryNetStars extends CatalogInput {
  /** INDEXID of the file (e.g. 4107 for index-tycho2-07). */
  indexId?: number;
  /** Quad scale range of the index (SCALE_L, SCALE_U), arcmin. */
  quadScaleArcmin?: [number, number];
  /** Tag-along column used for the magnitude. */
  magColumn: string;
  /** Tag-along column names present. */
  tagAlongColumns: string[];
}

export interface AstrometryNetImportOptions {
  /** Tag-along column to use as magnitude; default the first of MAG_VT, MAG, MAG_V, MAG_BT, MAG_G, any 'MAG*'. */
  magColumn?: string;
  /** Epoch of the positions (Julian year); default 2000.0 (Tycho-2 positions are J2000 at epoch ≈ 2000). */
  epochYr?: number;
}

const TYPES: Record<string, { bytes: number; get: (dv: DataView, o: number, le: boolean) => number; integer: boolean }> = {
  u32: { bytes: 4, get: (dv, o, le) => dv.getUint32(o, le), integer: true },
  u16: { bytes: 2, get: (dv, o, le) => dv.getUint16(o, le), integer: true },
  double: { bytes: 8, get: (dv, o, le) => dv.getFloat64(o, le), integer: false },
  float: { bytes: 4, get: (dv, o, le) => dv.getFloat32(o, le), integer: false },
};

function ttype1(h: HduInfo): string {
  const v = h.header.get('TTYPE1');
  return typeof v === 'string' ? v.trim() : '';
}

/** Byte order from an ENDIAN card; files without one are taken to be little-endian. */
function littleEndian(h: HduInfo, primary: HduInfo, file: string | undefined): boolean {
  const card = h.header.get('ENDIAN') ?? primary.header.get('ENDIAN');
  if (card === undefined) return true;
  const s = String(card).trim();
  if (s === '04:03:02:01') return true;
  if (s === '01:02:03:04') return false;
  throw new AstrometryError('BAD_TABLE', `ENDIAN card '${s}' is neither 04:03:02:01 nor 01:02:03:04`, { file, hdu: h.index });
}

/** Reads the star kd-tree and the tag-along magnitudes of an astrometry.net index file. */
export async function readAstrometryNetIndex(input: string | Uint8Array, opts: AstrometryNetImportOptions = {}): Promise<AstrometryNetStars> {
  const file = typeof input === 'string' ? input : undefined;
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(input);
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BAD_TABLE', e.message, { file });
    throw e;
  }
  try {
    const hdus = reader.hdus;
    const headerHdu = hdus.find((h) => ttype1(h) === 'kdtree_header_stars' || (h.header.get('KDT_NAME') === 'stars' && h.header.get('KDT_NDAT') !== undefined));
    if (!headerHdu) throw new AstrometryError('BAD_TABLE', 'no star kd-tree (no table named kdtree_header_stars): not an astrometry.net index file', { file });
    const hh = headerHdu.header;
    const where = { file, hdu: headerHdu.index };
    const nData = hh.getInt('KDT_NDAT');
    const nDim = hh.getInt('KDT_NDIM');
    const typeName = String(hh.get('KDT_DATA') ?? '').trim();
    if (nData === undefined || !(nData >= 0) || nData > 2 ** 31) throw new AstrometryError('BAD_TABLE', `KDT_NDAT ${String(nData)} is missing or impossible`, where);
    if (nDim !== 3) throw new AstrometryError('BAD_TABLE', `KDT_NDIM ${String(nDim)}: star trees hold 3-D unit vectors`, where);
    const type = TYPES[typeName];
    if (!type) throw new AstrometryError('BAD_TABLE', `KDT_DATA '${typeName}' (supported: ${Object.keys(TYPES).join(', ')})`, where);
    const le = littleEndian(headerHdu, hdus[0], file);

    const dataHdu = hdus.find((h) => ttype1(h) === 'kdtree_data_stars');
    if (!dataHdu) throw new AstrometryError('BAD_TABLE', 'no kdtree_data_stars table', { file });
    const rowBytes = dataHdu.header.getInt('NAXIS1') ?? 0;
    const rows = dataHdu.header.getInt('NAXIS2') ?? 0;
    if (rows !== nData || rowBytes !== nDim * type.bytes) {
      throw new AstrometryError('BAD_TABLE', `kdtree_data_stars is ${rows} rows × ${rowBytes} bytes, expected ${nData} × ${nDim * type.bytes} (${nDim} × ${typeName})`, { file, hdu: dataHdu.index });
    }
    let lo = [0, 0, 0];
    let scale = 1;
    if (type.integer) {
      const rangeHdu = hdus.find((h) => ttype1(h) === 'kdtree_range_stars');
      if (!rangeHdu) throw new AstrometryError('BAD_TABLE', `integer (${typeName}) star tree without a kdtree_range_stars table`, { file });
      const rb = await reader.readDataBytes(rangeHdu.index);
      if (rb.length < 8 * (2 * nDim + 1)) throw new AstrometryError('BAD_TABLE', `kdtree_range_stars has ${rb.length} bytes, ${8 * (2 * nDim + 1)} needed`, { file, hdu: rangeHdu.index });
      const dv = new DataView(rb.buffer, rb.byteOffset, rb.byteLength);
      lo = [0, 1, 2].map((d) => dv.getFloat64(8 * d, le));
      scale = dv.getFloat64(8 * 2 * nDim, le);
      if (!(scale > 0) || !lo.every(Number.isFinite)) throw new AstrometryError('BAD_TABLE', `kdtree_range_stars lower bounds ${lo.join(', ')} / scale ${scale} are not usable`, { file, hdu: rangeHdu.index });
    }
    const bytes = await reader.readDataBytes(dataHdu.index);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const raDeg = new Float64Array(nData);
    const decDeg = new Float64Array(nData);
    const r2d = 180 / Math.PI;
    for (let i = 0, o = 0; i < nData; i++) {
      const x = lo[0] + type.get(dv, o, le) / scale;
      const y = lo[1] + type.get(dv, o + type.bytes, le) / scale;
      const z = lo[2] + type.get(dv, o + 2 * type.bytes, le) / scale;
      o += 3 * type.bytes;
      const n = Math.hypot(x, y, z);
      if (!(n > 0.99 && n < 1.01)) throw new AstrometryError('BAD_TABLE', `star ${i}: (${x}, ${y}, ${z}) is not a unit vector`, { file, hdu: dataHdu.index });
      const ra = Math.atan2(y, x) * r2d;
      raDeg[i] = ra < 0 ? ra + 360 : ra;
      decDeg[i] = Math.asin(Math.max(-1, Math.min(1, z / n))) * r2d;
    }

    const tagHdu = hdus.find((h) => String(h.header.get('AN_FILE') ?? '').trim() === 'TAGALONG');
    if (!tagHdu) throw new AstrometryError('BAD_TABLE', 'no tag-along table (AN_FILE = TAGALONG): the index has no magnitudes', { file });
    const tag = readBinTable(tagHdu.header, await reader.readDataBytes(tagHdu.index), { hdu: tagHdu.index });
    if (tag.rows !== nData) throw new AstrometryError('BAD_TABLE', `tag-along table has ${tag.rows} rows for ${nData} stars`, { file, hdu: tagHdu.index });
    const names = tag.columns.map((c) => c.name.trim());
    const upper = names.map((n) => n.toUpperCase());
    let mi: number;
    if (opts.magColumn !== undefined) {
      mi = upper.indexOf(opts.magColumn.trim().toUpperCase());
      if (mi < 0) throw new AstrometryError('BAD_TABLE', `no tag-along column '${opts.magColumn}' (have: ${names.join(', ')})`, { file, hdu: tagHdu.index });
    } else {
      mi = ['MAG_VT', 'MAG', 'MAG_V', 'MAG_BT', 'MAG_G'].map((n) => upper.indexOf(n)).find((i) => i >= 0) ?? upper.findIndex((n) => n.startsWith('MAG'));
      if (mi < 0) throw new AstrometryError('BAD_TABLE', `no magnitude column among the tag-along columns (${names.join(', ')}); name one with magColumn`, { file, hdu: tagHdu.index });
    }
    const mv = tag.column(mi);
    if (mv.kind !== 'numeric' || mv.repeat !== 1) throw new AstrometryError('BAD_TABLE', `tag-along column '${names[mi]}' is not one number per star`, { file, hdu: tagHdu.index, column: names[mi] });
    const mag = Float64Array.from(mv.values as ArrayLike<number | bigint>, Number);
    const primary = hdus[0].header;
    const sl = primary.getNumber('SCALE_L');
    const su = primary.getNumber('SCALE_U');
    const rad2arcmin = (180 / Math.PI) * 60;
    return {
      raDeg,
      decDeg,
      mag,
      epochYr: opts.epochYr ?? 2000.0,
      indexId: primary.getInt('INDEXID'),
      quadScaleArcmin: typeof sl === 'number' && typeof su === 'number' ? [sl * rad2arcmin, su * rad2arcmin] : undefined,
      magColumn: names[mi],
      tagAlongColumns: names,
    };
  } finally {
    await reader.close();
  }
}
