/**
 * Writing FITS files: headers and data units padded to 2880-byte blocks (header padding
 * blanks, data padding zeros, or blanks for ASCII tables). A header read from a file and
 * written back unchanged gives the same bytes; its cards keep their original images.
 */
import { setChecksum } from './checksum.js';
import { FitsError } from './errors.js';
import { Header, type Card } from './header.js';
import { dataByteLength, extensionName, paddedLength } from './hdu.js';
import { encodeImage, type Bitpix, type PixelArray } from './image.js';

export interface HduToWrite {
  header: Header;
  /** Big-endian data unit, unpadded. */
  data?: Uint8Array;
}

/** Keywords imageHdu writes itself; copies of these in a user header are dropped. */
const IMAGE_OWNED = /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|EXTEND|GROUPS|BSCALE|BZERO|BLANK|END|CHECKSUM|DATASUM)$/;

/**
 * An image HDU: the mandatory keywords in order (SIMPLE or XTENSION = 'IMAGE', BITPIX,
 * NAXIS, NAXISn, then EXTEND or PCOUNT/GCOUNT), BSCALE/BZERO/BLANK when needed, then the
 * other cards of `opts.header` in their order. See `encodeImage` for how data are stored.
 * Primary by default.
 */
export function imageHdu(
  data: PixelArray,
  axes: number[],
  opts: { header?: Header; bitpix?: Bitpix; bscale?: number; bzero?: number; blank?: number; primary?: boolean } = {},
): HduToWrite {
  const encoded = encodeImage(data, axes, opts);
  const primary = opts.primary ?? true;
  const cards: Card[] = [];
  const card = (keyword: string, value: Card['value'], comment?: string): void => {
    cards.push(comment === undefined ? { keyword, value } : { keyword, value, comment });
  };
  if (primary) card('SIMPLE', true, 'conforms to FITS standard');
  else card('XTENSION', 'IMAGE', 'image extension');
  card('BITPIX', encoded.bitpix, 'array data type');
  card('NAXIS', axes.length, 'number of array dimensions');
  axes.forEach((a, i) => card(`NAXIS${i + 1}`, a));
  if (primary) card('EXTEND', true);
  else {
    card('PCOUNT', 0, 'number of parameters');
    card('GCOUNT', 1, 'number of groups');
  }
  const user = opts.header?.cards ?? [];
  const userCard = (k: string): Card | undefined => user.find((c) => c.keyword === k && !c.hierarch && c.value !== undefined);
  if (encoded.bscale !== 1 || encoded.bzero !== 0) {
    // Keep the user's card (and its image) when the value is the same.
    for (const [k, v] of [
      ['BSCALE', encoded.bscale],
      ['BZERO', encoded.bzero],
    ] as const) {
      const u = userCard(k);
      if (u && typeof u.value !== 'object' && Number(u.value) === v) cards.push(copyCard(u));
      else card(k, v);
    }
  }
  if (encoded.blank !== undefined) {
    const u = userCard('BLANK');
    if (u && Number(u.value) === encoded.blank) cards.push(copyCard(u));
    else card('BLANK', encoded.blank);
  }
  for (const c of user) {
    if (!c.hierarch && IMAGE_OWNED.test(c.keyword)) continue;
    cards.push(copyCard(c));
  }
  const header = new Header(cards);
  return encoded.bytes.length > 0 ? { header, data: encoded.bytes } : { header };
}

function copyCard(c: Card): Card {
  const copy: Card = { ...c };
  if (c.images) copy.images = [...c.images];
  if (typeof c.value === 'object' && c.value !== null) copy.value = { ...c.value };
  return copy;
}

/** Serialise HDUs: hdus[0] must be a primary header (SIMPLE), the others extensions (XTENSION). */
export function writeFits(hdus: HduToWrite[], opts: { checksum?: boolean } = {}): Uint8Array {
  if (hdus.length === 0) throw new FitsError('BAD_ARGUMENT', 'nothing to write: no HDUs');
  const parts: { header: Uint8Array; data: Uint8Array | undefined; padded: number; padByte: number }[] = [];
  let total = 0;
  hdus.forEach((h, i) => {
    const first = h.header.cards[0]?.keyword;
    if (i === 0 && first !== 'SIMPLE') {
      throw new FitsError('BAD_ARGUMENT', `the first HDU must be primary (SIMPLE), found '${first ?? ''}'; use toPrimary()`, { hdu: i });
    }
    if (i > 0 && first !== 'XTENSION') {
      throw new FitsError('BAD_ARGUMENT', `HDU ${i} must be an extension (XTENSION), found '${first ?? ''}'; use toExtension()`, { hdu: i });
    }
    const expected = dataByteLength(h.header, i);
    const got = h.data?.length ?? 0;
    if (got !== expected) {
      throw new FitsError('SIZE_MISMATCH', `header describes a ${expected}-byte data unit, ${got} bytes given`, { hdu: i });
    }
    let header = h.header;
    if (opts.checksum) {
      header = h.header.clone();
      setChecksum(header, h.data);
    }
    const headerBytes = header.toBytes();
    const padded = paddedLength(got);
    const padByte = extensionName(header) === 'TABLE' ? 0x20 : 0x00;
    parts.push({ header: headerBytes, data: h.data, padded, padByte });
    total += headerBytes.length + padded;
  });
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p.header, pos);
    pos += p.header.length;
    if (p.data) out.set(p.data, pos);
    if (p.padByte !== 0) out.fill(p.padByte, pos + (p.data?.length ?? 0), pos + p.padded);
    pos += p.padded;
  }
  return out;
}

/**
 * Write a FITS file atomically: everything goes to a temporary file in the same directory,
 * which is renamed over `path` only once complete. On failure nothing is left behind.
 */
export async function writeFitsFile(path: string, hdus: HduToWrite[], opts: { checksum?: boolean } = {}): Promise<void> {
  const bytes = writeFits(hdus, opts); // validates before touching the disk
  const { open, rename, unlink } = await import('node:fs/promises');
  const { randomUUID } = await import('node:crypto');
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * A primary image header as an IMAGE extension header: SIMPLE → XTENSION = 'IMAGE',
 * EXTEND dropped, PCOUNT = 0 and GCOUNT = 1 after the NAXISn cards. Other cards unchanged.
 */
export function toExtension(header: Header): Header {
  const h = header.clone();
  const first = h.cards[0];
  if (first?.keyword === 'XTENSION') return h;
  if (first?.keyword !== 'SIMPLE') throw new FitsError('BAD_ARGUMENT', `not a primary header (first card '${first?.keyword ?? ''}')`);
  if (h.get('GROUPS') === true) throw new FitsError('UNSUPPORTED', 'random-groups headers cannot become extensions', { keyword: 'GROUPS' });
  h.cards[0] = { keyword: 'XTENSION', value: 'IMAGE', comment: 'image extension' };
  for (const k of ['EXTEND', 'PCOUNT', 'GCOUNT']) while (h.delete(k));
  const naxis = h.getInt('NAXIS') ?? 0;
  const after = naxis > 0 ? `NAXIS${naxis}` : 'NAXIS';
  const at = h.indexOf(after);
  h.cards.splice(at + 1, 0, { keyword: 'PCOUNT', value: 0, comment: 'number of parameters' }, { keyword: 'GCOUNT', value: 1, comment: 'number of groups' });
  return h;
}

/**
 * An IMAGE extension header as a primary header: XTENSION → SIMPLE = T, PCOUNT/GCOUNT
 * dropped, EXTEND = T after the NAXISn cards. Other cards unchanged.
 */
export function toPrimary(header: Header): Header {
  const h = header.clone();
  const first = h.cards[0];
  if (first?.keyword === 'SIMPLE') return h;
  if (first?.keyword !== 'XTENSION' || extensionName(h) !== 'IMAGE') {
    throw new FitsError('BAD_ARGUMENT', `only IMAGE extensions can become primary HDUs (found ${String(first?.value ?? first?.keyword)})`);
  }
  h.cards[0] = { keyword: 'SIMPLE', value: true, comment: 'conforms to FITS standard' };
  for (const k of ['PCOUNT', 'GCOUNT', 'EXTEND']) while (h.delete(k));
  const naxis = h.getInt('NAXIS') ?? 0;
  const at = h.indexOf(naxis > 0 ? `NAXIS${naxis}` : 'NAXIS');
  h.cards.splice(at + 1, 0, { keyword: 'EXTEND', value: true });
  return h;
}
