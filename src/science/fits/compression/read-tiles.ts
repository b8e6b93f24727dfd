/**
 * Reading compressed images from an open file, all of it or a range of tiles. A range
 * reads only its rows of the table and the heap bytes their cells point to (one read per
 * variable-length column), then decompresses them as a small table of its own.
 */
import { readBinTable } from '../bintable.js';
import { FitsError } from '../errors.js';
import type { FitsReader } from '../reader.js';
import { decompressImage, decompressTable, parseLayout, type DecompressedImage } from './compressed-image.js';
import type { FitsImage } from '../image.js';

/**
 * Decompress tiles first..last of a compressed image HDU, reading only those rows of the
 * table and the heap bytes their cells point to.
 */
export async function readCompressedTiles(reader: FitsReader, hdu: number, first: number, last: number, opts: { raw?: boolean } = {}): Promise<FitsImage> {
  return (await readCompressedRegion(reader, hdu, first, last, opts)).image;
}

/** Like {@link readCompressedTiles}, with the header and the region's origin. */
export async function readCompressedRegion(
  reader: FitsReader,
  hdu: number,
  first: number,
  last: number,
  opts: { raw?: boolean } = {},
): Promise<DecompressedImage> {
  const info = reader.hdus[hdu];
  if (!info) throw new FitsError('BAD_ARGUMENT', `no HDU ${hdu} (the file has ${reader.hdus.length})`, { hdu });
  if (info.type !== 'compressed-image') throw new FitsError('BAD_ARGUMENT', `HDU ${hdu} is a ${info.type} HDU, not a compressed image`, { hdu });
  const header = info.header;
  const layout = parseLayout(header, hdu);
  const total = layout.grid.total;
  if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last < first || last >= total) {
    throw new FitsError('BAD_ARGUMENT', `tile range ${first}..${last} outside 0..${total - 1}`, { hdu });
  }
  const rowBytes = header.requireInt('NAXIS1', { hdu });
  const nRows = header.requireInt('NAXIS2', { hdu });
  const pcount = header.getInt('PCOUNT', { hdu }) ?? 0;
  if (nRows < total) throw new FitsError('SIZE_MISMATCH', `table has ${nRows} rows for ${total} tiles`, { hdu, keyword: 'NAXIS2' });
  const theap = header.getInt('THEAP', { hdu }) ?? rowBytes * nRows;
  const heapSize = rowBytes * nRows + pcount - theap;
  const k = last - first + 1;
  const rows = await reader.readDataBytes(hdu, first * rowBytes, k * rowBytes);

  // Column layout from the header alone (a table of just these rows, no heap yet).
  const probe = header.clone();
  probe.set('NAXIS2', k);
  probe.set('PCOUNT', 0);
  probe.delete('THEAP');
  const layoutTable = readBinTable(probe, rows, { hdu });

  // For each variable-length column: the span of heap bytes its cells in these rows use.
  const main = new Uint8Array(rows);
  const dv = new DataView(main.buffer);
  const spans: { column: number; q: boolean; size: number; lo: number; hi: number }[] = [];
  for (const c of layoutTable.columns) {
    const f = c.format;
    if ((f.type !== 'P' && f.type !== 'Q') || f.repeat === 0) continue;
    const size = ({ B: 1, L: 1, X: 1, A: 1, I: 2, J: 4, E: 4, K: 8, D: 8, C: 8, M: 16 } as Record<string, number>)[f.varType!];
    const span = { column: c.index, q: f.type === 'Q', size, lo: Infinity, hi: 0 };
    for (let r = 0; r < k; r++) {
      const { count, offset } = readDescriptor(dv, r * rowBytes + c.byteOffset, span.q);
      if (count === 0) continue;
      const end = offset + (f.varType === 'X' ? Math.ceil(count / 8) : count * size);
      if (!Number.isSafeInteger(end) || end > heapSize) {
        throw new FitsError('CORRUPT_TILE', `heap descriptor (${count} elements at ${offset}) runs past the ${heapSize}-byte heap`, {
          hdu,
          tile: first + r,
          column: c.index + 1,
        });
      }
      if (offset < span.lo) span.lo = offset;
      if (end > span.hi) span.hi = end;
    }
    if (span.hi > 0) spans.push(span);
  }
  // Read the spans and lay them end to end as the heap of a small table.
  let heapLength = 0;
  const pieces: { at: number; bytes: Uint8Array }[] = [];
  for (const s of spans) {
    const bytes = await reader.readDataBytes(hdu, theap + s.lo, s.hi - s.lo);
    pieces.push({ at: heapLength, bytes });
    const shift = heapLength - s.lo;
    const c = layoutTable.columns[s.column];
    for (let r = 0; r < k; r++) {
      const p = r * rowBytes + c.byteOffset;
      const { count, offset } = readDescriptor(dv, p, s.q);
      if (count > 0) writeDescriptorOffset(dv, p, s.q, offset + shift);
    }
    heapLength += s.hi - s.lo;
  }
  const data = new Uint8Array(main.length + heapLength);
  data.set(main);
  for (const p of pieces) data.set(p.bytes, main.length + p.at);
  const mini = header.clone();
  mini.set('NAXIS2', k);
  mini.set('PCOUNT', heapLength);
  mini.delete('THEAP');
  const table = readBinTable(mini, data, { hdu });
  return decompressTable(header, layout, table, first, { hdu, tiles: [first, last], raw: opts.raw });
}

function readDescriptor(dv: DataView, p: number, q: boolean): { count: number; offset: number } {
  if (q) {
    return {
      count: dv.getUint32(p) * 2 ** 32 + dv.getUint32(p + 4),
      offset: dv.getUint32(p + 8) * 2 ** 32 + dv.getUint32(p + 12),
    };
  }
  return { count: dv.getUint32(p), offset: dv.getUint32(p + 4) };
}

function writeDescriptorOffset(dv: DataView, p: number, q: boolean, offset: number): void {
  if (q) {
    dv.setUint32(p + 8, Math.floor(offset / 2 ** 32));
    dv.setUint32(p + 12, offset >>> 0);
  } else {
    dv.setUint32(p + 4, offset);
  }
}

/** Decompress a whole compressed HDU of an open file. */
export async function readCompressedImage(reader: FitsReader, hdu: number, opts: { raw?: boolean } = {}): Promise<DecompressedImage> {
  const info = reader.hdus[hdu];
  if (!info) throw new FitsError('BAD_ARGUMENT', `no HDU ${hdu} (the file has ${reader.hdus.length})`, { hdu });
  if (info.type !== 'compressed-image') throw new FitsError('BAD_ARGUMENT', `HDU ${hdu} is a ${info.type} HDU, not a compressed image`, { hdu });
  const data = await reader.readDataBytes(hdu);
  return decompressImage(info.header, data, { hdu, raw: opts.raw });
}
