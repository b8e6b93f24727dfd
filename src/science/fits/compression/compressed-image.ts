/**
 * Tile-compressed images (FITS Standard 4.0 §10; Pence, Seaman & White, "Tiled Image
 * Convention for Storing Compressed Images in FITS Binary Tables"): an image HDU stored as
 * a BINTABLE with ZIMAGE = T, one row per tile, each tile's compressed bytes in the
 * variable-length cell COMPRESSED_DATA.
 *
 * Keywords: ZBITPIX, ZNAXIS, ZNAXISn describe the image; ZTILEn the tiles; ZCMPTYPE the
 * algorithm with its parameters in ZNAMEi/ZVALi; ZQUANTIZ, ZDITHER0 and ZSCALE/ZZERO/ZBLANK
 * (keywords, or columns with one value per tile) how floats were quantized. ZSIMPLE,
 * ZTENSION, ZEXTEND, ZPCOUNT, ZGCOUNT, ZHECKSUM and ZDATASUM keep the original header's
 * structural keywords. Tiles that could not be quantized are stored losslessly in
 * GZIP_COMPRESSED_DATA, and NOCOMPRESS tiles in UNCOMPRESSED_DATA.
 */
import { buildBinTable, readBinTable, type BinTable, type ColumnInput } from '../bintable.js';
import { FitsError, MAX_DATA_BYTES, type FitsLocation } from '../errors.js';
import { checkedProduct } from '../hdu.js';
import { Header, type Card, type CardValue } from '../header.js';
import { decodeImage, encodeImage, imageKeywords, type Bitpix, type FitsImage } from '../image.js';
import { parseTform } from '../tform.js';
import { imageHdu, writeFits } from '../writer.js';
import { gzipDecode, gzipEncode, shuffleBytes, unshuffleBytes } from './gzip.js';
import { hcompressDecode } from './hcompress.js';
import { plioDecode, plioWords } from './plio.js';
import { dequantizeTile, NULL_VALUE, quantizeTile, type QuantizeMethod } from './quantize.js';
import { riceDecodeInto, riceEncodeInto, riceMaxBytes } from './rice.js';
import { forEachTileRow, rowTiles, tileBox, tileGrid, tilesBoundingBox, type TileBox, type TileGrid } from './tiles.js';

export type { QuantizeMethod } from './quantize.js';

export type CompressionType = 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'HCOMPRESS_1' | 'PLIO_1' | 'NOCOMPRESS';

export interface CompressOptions {
  type: CompressionType;
  /** ZTILEn, NAXIS1 first. Default: row by row ([NAXIS1, 1, …]). */
  tileShape?: number[];
  /**
   * Floats: q > 0 sets the quantization step to σ/q, σ the noise measured in each tile
   * (default 4, as fpack); q < 0 sets the step to −q; 0 or 'lossless' stores the floats
   * exactly, gzip-compressed (RICE_1 then becomes GZIP_2: Rice codes integers only).
   */
  quantizeLevel?: number | 'lossless';
  /** Default SUBTRACTIVE_DITHER_1. */
  quantizeMethod?: QuantizeMethod;
  /** ZDITHER0, 1..10000. Default: from the clock, as fpack. Pass one for reproducible files. */
  ditherSeed?: number;
  /** RICE_1 BLOCKSIZE (default 32). */
  riceBlockSize?: number;
  /** zlib level for GZIP_1/GZIP_2, 1–9 (default 6; fpack uses 1). */
  gzipLevel?: number;
  /** Use 64-bit (1QB) descriptors even for a small heap. */
  largeHeap?: boolean;
}

/** Stored-value arrays we compress from and decompress into. */
type StoredArray = Uint8Array | Int16Array | Int32Array | Float32Array | Float64Array;

const ZERO_BYTES = new Uint8Array(0);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** True for a BINTABLE header with ZIMAGE = T. */
export function isCompressedImage(header: Header): boolean {
  const xt = header.cards[0]?.keyword === 'XTENSION' ? header.cards[0].value : undefined;
  return typeof xt === 'string' && xt.trim().toUpperCase() === 'BINTABLE' && header.get('ZIMAGE') === true;
}

// ---------------------------------------------------------------------------------------
// Big-endian conversion of tiles (in bulk, no DataView per pixel)

function intsToBytes(src: Int32Array, n: number, size: number): Uint8Array {
  const out = new Uint8Array(n * size);
  if (size === 1) {
    for (let i = 0; i < n; i++) out[i] = src[i];
  } else if (size === 2) {
    for (let i = 0, p = 0; i < n; i++, p += 2) {
      const v = src[i];
      out[p] = v >> 8;
      out[p + 1] = v;
    }
  } else {
    for (let i = 0, p = 0; i < n; i++, p += 4) {
      const v = src[i];
      out[p] = v >>> 24;
      out[p + 1] = v >>> 16;
      out[p + 2] = v >>> 8;
      out[p + 3] = v;
    }
  }
  return out;
}

/** Big-endian integers of `size` bytes → `out` (bytes are unsigned, as BITPIX 8). */
function bytesToInts(bytes: Uint8Array, n: number, size: number, out: Int32Array): void {
  if (size === 1) {
    for (let i = 0; i < n; i++) out[i] = bytes[i];
  } else if (size === 2) {
    for (let i = 0, p = 0; i < n; i++, p += 2) out[i] = ((bytes[p] << 24) | (bytes[p + 1] << 16)) >> 16;
  } else if (size === 4) {
    for (let i = 0, p = 0; i < n; i++, p += 4) out[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
  } else {
    throw new FitsError('CORRUPT_TILE', `tile holds ${size}-byte integers`);
  }
}

/** Big-endian bytes of n floats. */
function floatsToBytes(src: Float32Array | Float64Array, n: number): Uint8Array {
  const size = src.BYTES_PER_ELEMENT;
  const out = new Uint8Array(n * size);
  out.set(new Uint8Array(src.buffer, src.byteOffset, n * size));
  if (LITTLE_ENDIAN) reverseEach(out, size);
  return out;
}

/** Big-endian float bytes → `out` (whose element size must match). */
function bytesToFloats(bytes: Uint8Array, n: number, out: Float32Array | Float64Array): void {
  const size = out.BYTES_PER_ELEMENT;
  const view = new Uint8Array(out.buffer, out.byteOffset, n * size);
  view.set(bytes.subarray(0, n * size));
  if (LITTLE_ENDIAN) reverseEach(view, size);
}

function reverseEach(b: Uint8Array, size: number): void {
  if (size === 4) {
    for (let p = 0; p < b.length; p += 4) {
      const a0 = b[p];
      const a1 = b[p + 1];
      b[p] = b[p + 3];
      b[p + 1] = b[p + 2];
      b[p + 2] = a1;
      b[p + 3] = a0;
    }
  } else if (size === 8) {
    for (let p = 0; p < b.length; p += 8) {
      for (let k = 0; k < 4; k++) {
        const t = b[p + k];
        b[p + k] = b[p + 7 - k];
        b[p + 7 - k] = t;
      }
    }
  } else if (size === 2) {
    for (let p = 0; p < b.length; p += 2) {
      const t = b[p];
      b[p] = b[p + 1];
      b[p + 1] = t;
    }
  }
}

function newStored(bitpix: Bitpix, n: number): StoredArray {
  switch (bitpix) {
    case 8:
      return new Uint8Array(n);
    case 16:
      return new Int16Array(n);
    case 32:
      return new Int32Array(n);
    case -32:
      return new Float32Array(n);
    case -64:
      return new Float64Array(n);
    default:
      throw new FitsError('UNSUPPORTED', `tile compression of BITPIX ${bitpix} images`);
  }
}

/** Native stored values from a big-endian data unit. */
function storedFromBigEndian(bytes: Uint8Array, bitpix: Bitpix, n: number): StoredArray {
  const out = newStored(bitpix, n);
  const size = out.BYTES_PER_ELEMENT;
  const view = new Uint8Array(out.buffer, 0, n * size);
  view.set(bytes.subarray(0, n * size));
  if (LITTLE_ENDIAN) reverseEach(view, size);
  return out;
}

function bigEndianOf(data: StoredArray): Uint8Array {
  const size = data.BYTES_PER_ELEMENT;
  const out = new Uint8Array(data.length * size);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.length * size));
  if (LITTLE_ENDIAN) reverseEach(out, size);
  return out;
}

// ---------------------------------------------------------------------------------------
// Writing

interface StoredImage {
  data: StoredArray;
  bscale: number;
  bzero: number;
  blank?: number;
}

/** The image's stored values (what the data unit would hold), as a native typed array. */
function storedPixels(image: FitsImage): StoredImage {
  const { bitpix, data, bscale, bzero } = image;
  const blank = typeof image.blank === 'bigint' ? Number(image.blank) : image.blank;
  const keep = (d: StoredArray): StoredImage => ({ data: d, bscale, bzero, ...(blank !== undefined ? { blank } : {}) });
  switch (bitpix) {
    case 8:
      if (data instanceof Uint8Array) return keep(data);
      if (data instanceof Int8Array && bscale === 1 && bzero === -128) {
        const out = new Uint8Array(data.length);
        for (let i = 0; i < data.length; i++) out[i] = data[i] ^ 0x80;
        return keep(out);
      }
      break;
    case 16:
      if (data instanceof Int16Array) return keep(data);
      if (data instanceof Uint16Array && bscale === 1 && bzero === 32768) {
        const out = new Int16Array(data.length);
        for (let i = 0; i < data.length; i++) out[i] = data[i] ^ 0x8000;
        return keep(out);
      }
      break;
    case 32:
      if (data instanceof Int32Array) return keep(data);
      if (data instanceof Uint32Array && bscale === 1 && bzero === 2147483648) {
        const out = new Int32Array(data.length);
        for (let i = 0; i < data.length; i++) out[i] = data[i] ^ 0x80000000;
        return keep(out);
      }
      break;
    case -32:
      if (data instanceof Float32Array) return keep(data);
      if (data instanceof Float64Array) return keep(Float32Array.from(data));
      break;
    case -64:
      if (data instanceof Float64Array) return keep(data);
      if (data instanceof Float32Array) return keep(Float64Array.from(data));
      break;
    default:
      throw new FitsError('UNSUPPORTED', `tile compression of BITPIX ${bitpix} images`);
  }
  // Physical values (e.g. floats of a scaled integer image): let the image encoder undo
  // the scaling, then read its stored values back.
  const enc = encodeImage(data, image.axes, { bitpix, bscale, bzero, ...(blank !== undefined ? { blank } : {}) });
  return { ...keep(storedFromBigEndian(enc.bytes, bitpix, data.length)) };
}

/** Keywords of the source header that describe the uncompressed layout or the table: not copied. */
const NOT_COPIED =
  /^(SIMPLE|XTENSION|BITPIX|NAXIS\d*|EXTEND|PCOUNT|GCOUNT|GROUPS|BSCALE|BZERO|BLANK|CHECKSUM|DATASUM|END|TFIELDS|THEAP|(TTYPE|TFORM|TUNIT|TSCAL|TZERO|TNULL|TDIM|TDISP|TBCOL)\d+|ZIMAGE|ZCMPTYPE|ZBITPIX|ZNAXIS\d*|ZTILE\d+|ZNAME\d+|ZVAL\d+|ZQUANTIZ|ZDITHER0|ZBLANK|ZSCALE|ZZERO|ZMASKCMP|ZSIMPLE|ZTENSION|ZEXTEND|ZBLOCKED|ZPCOUNT|ZGCOUNT|ZHECKSUM|ZDATASUM|EXTNAME)$/;

/** EXTNAME given to compressed images that had none (fpack's choice); dropped on reading. */
const DEFAULT_EXTNAME = 'COMPRESSED_IMAGE';

function clockSeed(): number {
  // fpack seeds from the clock; mix in sub-millisecond time so two files a second apart differ.
  const t = Date.now() + Math.floor(performance.now() * 1000);
  return 1 + (t % 10000);
}

/**
 * Compress an image into a tile-compressed BINTABLE HDU (header + data unit, unpadded),
 * ready for writeFits. `header` is the image HDU's header: its non-structural cards are
 * carried over, and whether it is primary or an extension is remembered (ZSIMPLE or
 * ZTENSION) so decompression restores it.
 */
export function compressImage(image: FitsImage, opts: CompressOptions, header?: Header): { header: Header; data: Uint8Array } {
  const type = opts.type;
  if (type === 'HCOMPRESS_1' || type === 'PLIO_1') {
    throw new FitsError('UNSUPPORTED', `${type} is supported for reading only; write RICE_1, GZIP_1, GZIP_2 or NOCOMPRESS`);
  }
  if (type !== 'RICE_1' && type !== 'GZIP_1' && type !== 'GZIP_2' && type !== 'NOCOMPRESS') {
    throw new FitsError('BAD_ARGUMENT', `unknown compression type '${String(type)}'`);
  }
  const bitpix = image.bitpix;
  const axes = image.axes;
  for (const a of axes) {
    if (!Number.isSafeInteger(a) || a < 0) throw new FitsError('BAD_ARGUMENT', `invalid axis length ${a}`);
  }
  const nPix = axes.length === 0 ? 0 : checkedProduct(axes, {}, 'image');
  if (nPix !== image.data.length) {
    throw new FitsError('BAD_ARGUMENT', `axes ${axes.join(' × ')} = ${nPix} pixels but data has ${image.data.length}`);
  }
  const stored = storedPixels(image);
  const isFloat = bitpix < 0;

  const level = opts.quantizeLevel ?? 4;
  if (level !== 'lossless' && !Number.isFinite(level)) throw new FitsError('BAD_ARGUMENT', `quantizeLevel ${level} is not a number`);
  const lossless = isFloat && (level === 'lossless' || level === 0);
  const quantize = isFloat && !lossless && type !== 'NOCOMPRESS';
  const zcmptype: CompressionType = lossless && type === 'RICE_1' ? 'GZIP_2' : type;
  const method: QuantizeMethod = opts.quantizeMethod ?? 'SUBTRACTIVE_DITHER_1';
  if (method !== 'NO_DITHER' && method !== 'SUBTRACTIVE_DITHER_1' && method !== 'SUBTRACTIVE_DITHER_2') {
    throw new FitsError('BAD_ARGUMENT', `unknown quantization method '${String(method)}'`);
  }
  const dithered = quantize && method !== 'NO_DITHER';
  const dither0 = dithered ? (opts.ditherSeed ?? clockSeed()) : 0;
  if (dithered && (!Number.isInteger(dither0) || dither0 < 1 || dither0 > 10000)) {
    throw new FitsError('BAD_ARGUMENT', `ditherSeed ${dither0} outside 1..10000`);
  }
  const blockSize = opts.riceBlockSize ?? 32;
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 65536) {
    throw new FitsError('BAD_ARGUMENT', `riceBlockSize ${blockSize} is not a usable block size`);
  }
  const gzipLevel = opts.gzipLevel ?? 6;
  if (!Number.isInteger(gzipLevel) || gzipLevel < 1 || gzipLevel > 9) throw new FitsError('BAD_ARGUMENT', `gzipLevel ${gzipLevel} outside 1..9`);

  const tileShape = opts.tileShape ?? rowTiles(axes);
  if (!Array.isArray(tileShape) || tileShape.length !== axes.length) {
    throw new FitsError('BAD_ARGUMENT', `tileShape must have ${axes.length} entries (one per axis)`);
  }
  const grid = tileGrid(axes, tileShape);
  const maxTile = grid.tileShape.reduce((p, n) => p * n, 1);
  // Integers per pixel as coded: quantized floats are 32-bit; integers keep their width.
  const bytePix = quantize ? 4 : Math.abs(bitpix) / 8;

  const cells: Uint8Array[] = new Array(grid.total);
  let gzipCells: Uint8Array[] | undefined;
  let rawCells: StoredArray[] | undefined;
  const zscale = quantize ? new Float64Array(grid.total) : undefined;
  const zzero = quantize ? new Float64Array(grid.total) : undefined;
  let anyNulls = false;

  const intTile = new Int32Array(isFloat && !quantize ? 0 : maxTile);
  const floatTile = isFloat ? newStored(bitpix, maxTile) as Float32Array | Float64Array : undefined;
  const riceScratch = new Uint32Array(blockSize);
  const NoiseArray = bitpix === -64 ? Float64Array : Float32Array;
  const noiseScratch = quantize ? [new NoiseArray(maxTile), new NoiseArray(maxTile), new NoiseArray(maxTile)] : undefined;
  // Rice output goes into one growing buffer; cells become views of it at the end. Sky
  // images rarely compress worse than 2:1, so half the worst case usually never grows.
  let heap = new Uint8Array(
    zcmptype === 'RICE_1'
      ? Math.max(1024, riceMaxBytes(maxTile, blockSize, bytePix), Math.min(MAX_DATA_BYTES, Math.ceil(riceMaxBytes(nPix, blockSize, bytePix) / 2)))
      : 0,
  );
  let heapPos = 0;
  const riceStart: number[] = [];
  const riceEnd: number[] = [];

  const encodeInts = (t: number, ints: Int32Array, n: number): void => {
    if (zcmptype === 'RICE_1') {
      const need = heapPos + riceMaxBytes(n, blockSize, bytePix);
      if (need > heap.length) {
        if (need > MAX_DATA_BYTES) throw new FitsError('TOO_LARGE', 'compressed image exceeds the data-unit size limit');
        const grown = new Uint8Array(Math.min(MAX_DATA_BYTES, Math.max(need, heap.length * 2)));
        grown.set(heap.subarray(0, heapPos));
        heap = grown;
      }
      riceStart[t] = heapPos;
      heapPos += riceEncodeInto(ints, 0, n, blockSize, bytePix, heap, heapPos, riceScratch);
      riceEnd[t] = heapPos;
    } else {
      let bytes = intsToBytes(ints, n, bytePix);
      if (zcmptype === 'GZIP_2') bytes = shuffleBytes(bytes, bytePix);
      cells[t] = gzipEncode(bytes, gzipLevel);
    }
  };

  for (let t = 0; t < grid.total; t++) {
    const box = tileBox(grid, t);
    const n = box.pixels;
    const target: StoredArray = floatTile ?? intTile;
    gatherTile(stored.data, axes, box, target);
    cells[t] = ZERO_BYTES;
    if (type === 'NOCOMPRESS') {
      rawCells ??= [];
      rawCells[t] = floatTile ? floatTile.slice(0, n) : narrowInts(intTile, n, bitpix);
      continue;
    }
    if (!isFloat) {
      encodeInts(t, intTile, n);
      continue;
    }
    const floats = floatTile!;
    if (quantize) {
      const width = box.shape[0];
      const q = quantizeTile(floats, 0, width, n / width, t, { level: level as number, method, dither0 }, intTile, noiseScratch);
      if (q) {
        zscale![t] = q.scale;
        zzero![t] = q.zero;
        if (q.hasNulls) anyNulls = true;
        encodeInts(t, intTile, n);
        continue;
      }
      // No measurable noise or too wide a range: keep this tile exactly (GZIP_1, as fpack).
      gzipCells ??= new Array<Uint8Array>(grid.total).fill(ZERO_BYTES);
      gzipCells[t] = gzipEncode(floatsToBytes(floats, n), gzipLevel);
      continue;
    }
    // Lossless floats.
    let bytes = floatsToBytes(floats, n);
    if (zcmptype === 'GZIP_2') bytes = shuffleBytes(bytes, floats.BYTES_PER_ELEMENT);
    cells[t] = gzipEncode(bytes, gzipLevel);
  }
  for (let t = 0; t < grid.total; t++) if (riceStart[t] !== undefined) cells[t] = heap.subarray(riceStart[t], riceEnd[t]);

  const columns: ColumnInput[] = [{ name: 'COMPRESSED_DATA', values: cells }];
  if (zscale && zzero) {
    columns.push({ name: 'ZSCALE', format: '1D', values: zscale }, { name: 'ZZERO', format: '1D', values: zzero });
  }
  if (gzipCells) columns.push({ name: 'GZIP_COMPRESSED_DATA', values: gzipCells });
  if (rawCells) columns.push({ name: 'UNCOMPRESSED_DATA', values: rawCells });
  const extname = header?.getString('EXTNAME') ?? DEFAULT_EXTNAME;
  const table = buildBinTable(columns, { rows: grid.total, largeHeap: opts.largeHeap });
  const h = table.header;

  const primary = header?.cards[0]?.keyword === 'SIMPLE';
  h.set('ZIMAGE', true, 'extension contains compressed image');
  if (primary) h.set('ZSIMPLE', true, 'conforms to FITS standard');
  else h.set('ZTENSION', 'IMAGE', 'image extension');
  h.set('ZBITPIX', bitpix, 'data type of original image');
  h.set('ZNAXIS', axes.length, 'dimension of original image');
  axes.forEach((a, i) => h.set(`ZNAXIS${i + 1}`, a, `length of original image axis`));
  if (primary) {
    const ext = header?.get('EXTEND');
    if (ext !== undefined) h.set('ZEXTEND', ext);
  } else {
    h.set('ZPCOUNT', 0, 'number of original parameters');
    h.set('ZGCOUNT', 1, 'number of original groups');
  }
  grid.tileShape.forEach((s, i) => h.set(`ZTILE${i + 1}`, s, 'size of tiles to be compressed'));
  h.set('ZCMPTYPE', zcmptype, 'compression algorithm');
  if (zcmptype === 'RICE_1') {
    h.set('ZNAME1', 'BLOCKSIZE', 'compression block size');
    h.set('ZVAL1', blockSize, 'pixels per block');
    h.set('ZNAME2', 'BYTEPIX', 'bytes per pixel (1, 2, 4, or 8)');
    h.set('ZVAL2', bytePix, 'bytes per pixel (1, 2, 4, or 8)');
  }
  if (isFloat) {
    if (quantize) {
      h.set('ZQUANTIZ', method, 'pixel quantization algorithm');
      if (dithered) h.set('ZDITHER0', dither0, 'dithering offset when quantizing floats');
    } else {
      h.set('ZQUANTIZ', 'NONE', 'lossless compression without quantization');
    }
  }
  if (anyNulls) h.set('ZBLANK', NULL_VALUE, 'null value in the compressed integer array');
  if (!isFloat) {
    if (stored.bscale !== 1) h.set('BSCALE', stored.bscale);
    if (stored.bzero !== 0) h.set('BZERO', stored.bzero);
    if (stored.blank !== undefined) h.set('BLANK', stored.blank);
  }
  h.set('EXTNAME', extname);
  for (const c of header?.cards ?? []) {
    if (!c.hierarch && NOT_COPIED.test(c.keyword)) continue;
    h.cards.push(copyCard(c));
  }
  return { header: h, data: table.data };
}

/**
 * A whole FITS file holding one compressed image, the way fpack lays it out: an empty
 * primary HDU, then the compressed image as extension 1.
 */
export function writeCompressedFits(image: FitsImage, opts: CompressOptions, header?: Header, write: { checksum?: boolean } = {}): Uint8Array {
  const primary = imageHdu(new Uint8Array(0), []);
  return writeFits([primary, compressImage(image, opts, header)], write);
}

function copyCard(c: Card): Card {
  const copy: Card = { ...c };
  if (c.images) copy.images = [...c.images];
  else delete copy.images;
  if (typeof c.value === 'object' && c.value !== null) copy.value = { ...c.value };
  return copy;
}

/** First n tile values in the stored type of `bitpix` (NOCOMPRESS cells). */
function narrowInts(src: Int32Array, n: number, bitpix: Bitpix): StoredArray {
  const out = newStored(bitpix, n);
  (out as Int32Array).set(src.subarray(0, n));
  return out;
}

/**
 * Offset of a tile in a region (both first axis fastest) when the tile is one contiguous
 * run there — it spans the region along the leading axes and has length 1 after the
 * first axis where it does not — else −1.
 */
function contiguousOffset(box: TileBox, regionStart: number[], regionAxes: number[]): number {
  let partial = false;
  for (let i = 0; i < regionAxes.length; i++) {
    if (partial && box.shape[i] !== 1) return -1;
    if (box.shape[i] !== regionAxes[i]) partial = true;
  }
  let off = 0;
  let stride = 1;
  for (let i = 0; i < regionAxes.length; i++) {
    off += (box.start[i] - regionStart[i]) * stride;
    stride *= regionAxes[i];
  }
  return off;
}

/** Copy a tile's pixels out of the image into `dst` (row-major, tile width first). */
function gatherTile(src: StoredArray, axes: number[], box: TileBox, dst: StoredArray): void {
  const d = dst as Int32Array;
  const origin = axes.map(() => 0);
  const off = contiguousOffset(box, origin, axes);
  if (off >= 0) {
    d.set(src.subarray(off, off + box.pixels) as unknown as Int32Array);
    return;
  }
  forEachTileRow(box, origin, axes, (imgOff, tileOff, len) => {
    d.set(src.subarray(imgOff, imgOff + len) as unknown as Int32Array, tileOff);
  });
}

// ---------------------------------------------------------------------------------------
// Reading

type Codec = 'RICE_1' | 'GZIP_1' | 'GZIP_2' | 'HCOMPRESS_1' | 'PLIO_1' | 'NOCOMPRESS';

export interface CompressedLayout {
  codec: Codec;
  zbitpix: Bitpix;
  axes: number[];
  grid: TileGrid;
  blockSize: number;
  bytePix: number;
  smooth: boolean;
  /** Quantization of float tiles; undefined for integer images and lossless floats. */
  quantize?: QuantizeMethod;
  dither0: number;
  zscaleKw?: number;
  zzeroKw?: number;
  zblankKw?: number;
}

const CODECS: Record<string, Codec> = {
  RICE_1: 'RICE_1',
  RICE_ONE: 'RICE_1', // fpack's name for RICE_1 with SUBTRACTIVE_DITHER_2, so old readers refuse it
  GZIP_1: 'GZIP_1',
  GZIP_2: 'GZIP_2',
  HCOMPRESS_1: 'HCOMPRESS_1',
  PLIO_1: 'PLIO_1',
  NOCOMPRESS: 'NOCOMPRESS',
};

function keywordNumber(header: Header, keyword: string, hdu?: number): number | undefined {
  const v = header.get(keyword);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  throw new FitsError('BAD_VALUE', `${keyword} must be a number`, { hdu, keyword, card: header.indexOf(keyword) + 1 });
}

/** The compression keywords of a ZIMAGE header, validated. */
export function parseLayout(header: Header, hdu?: number): CompressedLayout {
  const loc: FitsLocation = { hdu };
  if (header.get('ZIMAGE') !== true) throw new FitsError('BAD_VALUE', 'not a compressed image (ZIMAGE is not T)', { ...loc, keyword: 'ZIMAGE' });
  const name = header.requireString('ZCMPTYPE', loc).trim().toUpperCase();
  const codec = CODECS[name];
  if (codec === undefined) {
    throw new FitsError('UNSUPPORTED', `compression type ZCMPTYPE = '${name}' is not supported`, {
      ...loc,
      keyword: 'ZCMPTYPE',
      card: header.indexOf('ZCMPTYPE') + 1,
    });
  }
  const zbitpix = header.requireInt('ZBITPIX', loc);
  if (![8, 16, 32, -32, -64].includes(zbitpix)) {
    const code = zbitpix === 64 ? 'UNSUPPORTED' : 'BAD_VALUE';
    throw new FitsError(code, `ZBITPIX = ${zbitpix} is not supported (8, 16, 32, -32, -64)`, { ...loc, keyword: 'ZBITPIX' });
  }
  const naxis = header.requireInt('ZNAXIS', loc);
  if (naxis < 0 || naxis > 999) throw new FitsError('BAD_VALUE', `ZNAXIS = ${naxis} outside 0..999`, { ...loc, keyword: 'ZNAXIS' });
  const axes: number[] = [];
  const tiles: number[] = [];
  for (let i = 1; i <= naxis; i++) {
    const a = header.requireInt(`ZNAXIS${i}`, loc);
    if (a < 0) throw new FitsError('BAD_VALUE', `ZNAXIS${i} = ${a} is negative`, { ...loc, keyword: `ZNAXIS${i}` });
    axes.push(a);
    // Default tiling: whole rows.
    const t = header.getInt(`ZTILE${i}`, loc) ?? (i === 1 ? Math.max(a, 1) : 1);
    if (t < 1) throw new FitsError('BAD_VALUE', `ZTILE${i} = ${t} must be positive`, { ...loc, keyword: `ZTILE${i}` });
    tiles.push(t);
  }
  checkedProduct([...axes, Math.abs(zbitpix) / 8], loc, 'image');
  const grid = tileGrid(axes, tiles);

  let blockSize = 32;
  let bytePix = 4;
  let smooth = false;
  for (let i = 1; i < 1000; i++) {
    const zname = header.get(`ZNAME${i}`);
    if (zname === undefined) break;
    const key = typeof zname === 'string' ? zname.trim().toUpperCase() : '';
    const val = keywordNumber(header, `ZVAL${i}`, hdu);
    if (key === 'BLOCKSIZE' && val !== undefined) blockSize = val;
    else if (key === 'BYTEPIX' && val !== undefined) bytePix = val;
    else if (key === 'SMOOTH' && val !== undefined) smooth = val !== 0;
  }
  if (codec === 'RICE_1') {
    if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 65536) {
      throw new FitsError('BAD_VALUE', `RICE_1 BLOCKSIZE = ${blockSize} is not usable`, { ...loc, keyword: 'ZVAL1' });
    }
    if (bytePix !== 1 && bytePix !== 2 && bytePix !== 4) {
      throw new FitsError(bytePix === 8 ? 'UNSUPPORTED' : 'BAD_VALUE', `RICE_1 BYTEPIX = ${bytePix} (supported: 1, 2, 4)`, { ...loc, keyword: 'ZVAL2' });
    }
  }

  const zscaleKw = keywordNumber(header, 'ZSCALE', hdu);
  const zzeroKw = keywordNumber(header, 'ZZERO', hdu);
  const zblankKw = keywordNumber(header, 'ZBLANK', hdu);
  let quantize: QuantizeMethod | undefined;
  if (zbitpix < 0) {
    const zq = header.getString('ZQUANTIZ', loc)?.trim().toUpperCase();
    if (zq === undefined) {
      // Files from before ZQUANTIZ: quantized (without dither) when scaling is present.
      const scaled = zscaleKw !== undefined || header.cards.some((c) => /^TTYPE\d+$/.test(c.keyword) && String(c.value).trim().toUpperCase() === 'ZSCALE');
      quantize = scaled ? 'NO_DITHER' : undefined;
    } else if (zq === 'NONE') {
      quantize = undefined;
    } else if (zq === 'NO_DITHER' || zq === 'SUBTRACTIVE_DITHER_1' || zq === 'SUBTRACTIVE_DITHER_2') {
      quantize = zq;
    } else {
      throw new FitsError('UNSUPPORTED', `quantization ZQUANTIZ = '${zq}' is not supported`, { ...loc, keyword: 'ZQUANTIZ' });
    }
  }
  const dither0 = header.getInt('ZDITHER0', loc) ?? 1;
  return { codec, zbitpix: zbitpix as Bitpix, axes, grid, blockSize, bytePix, smooth, quantize, dither0, zscaleKw, zzeroKw, zblankKw };
}

export interface DecompressOptions {
  /** HDU index, for error locations. */
  hdu?: number;
  /**
   * Decompress only tiles first..last (0-based, inclusive, in table order). The result is
   * the bounding box of those tiles; pixels of the box in other tiles are 0 (NaN for floats).
   */
  tiles?: [number, number];
  /** Stored values instead of physical ones (e.g. Int16Array with BZERO = 32768 rather than Uint16Array). */
  raw?: boolean;
}

export interface DecompressedImage {
  image: FitsImage;
  /** The equivalent uncompressed image header (NAXISn of the returned region). */
  header: Header;
  /** 0-based pixel position of the returned region in the full image (all zeros for a full read). */
  origin: number[];
}

/**
 * Decompress a tile-compressed image HDU: `header` is the BINTABLE header, `data` its data
 * unit (main table and heap). Pixels are identical to funpack's (floats bit for bit).
 */
export function decompressImage(header: Header, data: Uint8Array, opts: DecompressOptions = {}): DecompressedImage {
  const layout = parseLayout(header, opts.hdu);
  const table = readBinTable(header, data, { hdu: opts.hdu });
  return decompressTable(header, layout, table, 0, opts);
}

/** Column indices of the compressed-image table. */
interface Columns {
  data: number;
  gzip: number;
  raw: number;
  zscale?: ArrayLike<number>;
  zzero?: ArrayLike<number>;
  zblank?: ArrayLike<number>;
}

function findColumn(table: BinTable, name: string): number {
  return table.columns.findIndex((c) => c.name.trim().toUpperCase() === name);
}

function numericColumn(table: BinTable, name: string, hdu?: number): ArrayLike<number> | undefined {
  const i = findColumn(table, name);
  if (i < 0) return undefined;
  const col = table.column(i);
  if (col.kind !== 'numeric' || col.repeat !== 1 || col.values instanceof BigInt64Array || col.values instanceof BigUint64Array) {
    throw new FitsError('BAD_VALUE', `column ${name} must hold one number per tile`, { hdu, column: i + 1 });
  }
  return col.values as ArrayLike<number>;
}

function varColumn(table: BinTable, name: string, hdu?: number, required = false): number {
  const i = findColumn(table, name);
  if (i < 0) {
    if (required) throw new FitsError('MISSING_CARD', `compressed image has no ${name} column`, { hdu });
    return -1;
  }
  const t = table.columns[i].format.type;
  if (t !== 'P' && t !== 'Q') throw new FitsError('BAD_VALUE', `column ${name} must be a variable-length array (P or Q)`, { hdu, column: i + 1 });
  return i;
}

/**
 * Decompress from a table whose row 0 is tile `rowOffset` (a whole table, or just the rows
 * of a partial read).
 */
export function decompressTable(header: Header, layout: CompressedLayout, table: BinTable, rowOffset: number, opts: DecompressOptions): DecompressedImage {
  const hdu = opts.hdu;
  const { grid, zbitpix } = layout;
  const first = opts.tiles ? opts.tiles[0] : 0;
  const last = opts.tiles ? opts.tiles[1] : grid.total - 1;
  if (opts.tiles) {
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last < first || last >= grid.total) {
      throw new FitsError('BAD_ARGUMENT', `tile range ${first}..${last} outside 0..${grid.total - 1}`, { hdu });
    }
  }
  if (grid.total > 0 && (rowOffset > first || table.rows + rowOffset <= last)) {
    throw new FitsError('SIZE_MISMATCH', `table has ${table.rows} rows for ${grid.total} tiles`, { hdu, keyword: 'NAXIS2' });
  }
  const region: TileBox =
    opts.tiles && grid.total > 0
      ? tilesBoundingBox(grid, first, last)
      : { start: layout.axes.map(() => 0), shape: [...layout.axes], pixels: grid.axes.reduce((p, n) => p * n, layout.axes.length ? 1 : 0) };

  const cols: Columns = {
    data: varColumn(table, 'COMPRESSED_DATA', hdu, true),
    gzip: varColumn(table, 'GZIP_COMPRESSED_DATA', hdu),
    raw: varColumn(table, 'UNCOMPRESSED_DATA', hdu),
    zscale: numericColumn(table, 'ZSCALE', hdu),
    zzero: numericColumn(table, 'ZZERO', hdu),
    zblank: numericColumn(table, 'ZBLANK', hdu),
  };

  const out = newStored(zbitpix, region.pixels);
  const isFloat = zbitpix < 0;
  const maxTile = grid.tileShape.reduce((p, n) => p * n, 1);
  const scratch: TileScratch = {
    ints: new Int32Array(maxTile),
    floats: isFloat ? (newStored(zbitpix, maxTile) as Float32Array | Float64Array) : undefined,
    pad: new Uint8Array(1024),
  };
  if (opts.tiles && isFloat) out.fill(NaN);
  const blank = integerBlank(header, hdu);
  for (let t = first; t <= last; t++) {
    try {
      decodeTile(layout, table, cols, t, t - rowOffset, region, out, scratch, blank);
    } catch (e) {
      throw tileError(e, hdu, t);
    }
  }

  const imageHeader = uncompressedHeader(header, region.shape, hdu);
  const image = toFitsImage(imageHeader, out, zbitpix, region.shape, opts.raw ?? false, hdu);
  return { image, header: imageHeader, origin: region.start };
}

function integerBlank(header: Header, hdu?: number): number | undefined {
  const b = keywordNumber(header, 'BLANK', hdu);
  return b !== undefined && Number.isInteger(b) ? b : undefined;
}

function tileError(e: unknown, hdu: number | undefined, tile: number): FitsError {
  if (e instanceof FitsError) {
    if (e.location.tile !== undefined) return e;
    const code = e.code === 'UNSUPPORTED' || e.code === 'TOO_LARGE' ? e.code : 'CORRUPT_TILE';
    return new FitsError(code, e.message, { ...e.location, hdu: e.location.hdu ?? hdu, tile });
  }
  const why = e instanceof Error ? e.message : String(e);
  return new FitsError('CORRUPT_TILE', `tile does not decode: ${why}`, { hdu, tile });
}

interface TileScratch {
  ints: Int32Array;
  floats?: Float32Array | Float64Array;
  /** Copy of the compressed bytes with zero padding, so decoders can read ahead. */
  pad: Uint8Array;
}

/** Raw heap bytes of a cell (a view), or an empty array; bad descriptors are corrupt tiles. */
function cellBytes(table: BinTable, row: number, column: number): Uint8Array {
  if (column < 0) return ZERO_BYTES;
  return table.varBytes(row, column);
}

function decodeTile(
  layout: CompressedLayout,
  table: BinTable,
  cols: Columns,
  tile: number,
  row: number,
  region: TileBox,
  out: StoredArray,
  s: TileScratch,
  blank: number | undefined,
): void {
  const box = tileBox(layout.grid, tile);
  const n = box.pixels;
  if (n === 0) return;
  const isFloat = layout.zbitpix < 0;
  const bytes = cellBytes(table, row, cols.data);
  let values: StoredArray;

  if (bytes.length > 0) {
    const scale = cols.zscale ? cols.zscale[row] : layout.zscaleKw;
    const quantized = isFloat && layout.quantize !== undefined;
    if (isFloat && !quantized) {
      // Lossless floats: gzip (or raw for NOCOMPRESS) of the big-endian values.
      values = s.floats!;
      decodeRawFloats(layout.codec, bytes, n, s.floats!);
    } else {
      decodeInts(layout, bytes, n, box, s);
      if (quantized) {
        if (scale === undefined) throw new FitsError('MISSING_CARD', 'quantized tile without ZSCALE', { keyword: 'ZSCALE' });
        const zero = (cols.zzero ? cols.zzero[row] : layout.zzeroKw) ?? 0;
        const zblank = cols.zblank ? cols.zblank[row] : layout.zblankKw;
        if (layout.quantize !== 'NO_DITHER' && (!Number.isInteger(layout.dither0) || layout.dither0 < 1 || layout.dither0 > 10000)) {
          throw new FitsError('BAD_VALUE', `ZDITHER0 = ${layout.dither0} outside 1..10000`, { keyword: 'ZDITHER0' });
        }
        dequantizeTile(s.ints, n, tile, { scale, zero, method: layout.quantize!, dither0: layout.dither0, blank: zblank }, s.floats!, 0);
        values = s.floats!;
      } else {
        values = s.ints;
      }
    }
  } else {
    const gz = cellBytes(table, row, cols.gzip);
    const raw = cellBytes(table, row, cols.raw);
    if (gz.length > 0) {
      // A tile stored losslessly: gzip of the big-endian pixels of ZBITPIX.
      const size = Math.abs(layout.zbitpix) / 8;
      const plain = gzipDecode(gz, n * size);
      if (plain.length !== n * size) throw new FitsError('CORRUPT_TILE', `GZIP_COMPRESSED_DATA holds ${plain.length} bytes, expected ${n * size}`);
      if (isFloat) {
        bytesToFloats(plain, n, s.floats!);
        values = s.floats!;
      } else {
        bytesToInts(plain, n, size, s.ints);
        values = s.ints;
      }
    } else if (raw.length > 0) {
      values = rawCellValues(table, cols.raw, raw, n, layout.zbitpix, s);
    } else {
      // No data at all: the whole tile is undefined.
      if (isFloat) s.floats!.fill(NaN, 0, n);
      else s.ints.fill(blank ?? 0, 0, n);
      values = isFloat ? s.floats! : s.ints;
    }
  }
  scatterTile(values, box, region, out);
}

/** Range of the integer output types; quantized floats use the int32 range. */
const INT_LIMITS: Record<number, [number, number]> = {
  8: [0, 255],
  16: [-32768, 32767],
  32: [-2147483648, 2147483647],
};

/** Decode an integer-coded tile into s.ints. */
function decodeInts(layout: CompressedLayout, bytes: Uint8Array, n: number, box: TileBox, s: TileScratch): void {
  const ints = s.ints;
  switch (layout.codec) {
    case 'RICE_1': {
      if (s.pad.length < bytes.length + 8) s.pad = new Uint8Array(Math.max(bytes.length + 8, s.pad.length * 2));
      s.pad.set(bytes);
      s.pad.fill(0, bytes.length, bytes.length + 8);
      riceDecodeInto(s.pad, n, layout.blockSize, layout.bytePix, ints, 0, bytes.length);
      return;
    }
    case 'GZIP_1':
    case 'GZIP_2': {
      // Integers were written with their own width; infer it from the inflated size.
      let plain = gzipDecode(bytes, n * 4);
      const size = plain.length / n;
      if (size !== 1 && size !== 2 && size !== 4) {
        throw new FitsError('CORRUPT_TILE', `gzip tile inflates to ${plain.length} bytes for ${n} pixels`);
      }
      if (layout.codec === 'GZIP_2') plain = unshuffleBytes(plain, size);
      bytesToInts(plain, n, size, ints);
      return;
    }
    case 'HCOMPRESS_1': {
      const d = hcompressDecode(bytes, n, layout.smooth);
      if (d.ny !== box.shape[0]) throw new FitsError('CORRUPT_TILE', `HCOMPRESS_1 tile is ${d.ny} pixels wide, expected ${box.shape[0]}`);
      // Lossy tiles can overshoot the type's range (e.g. near saturation): clip, as CFITSIO does.
      const [lo, hi] = INT_LIMITS[layout.zbitpix] ?? INT_LIMITS[32];
      const src = d.data;
      for (let i = 0; i < n; i++) {
        const v = src[i];
        ints[i] = v < lo ? lo : v > hi ? hi : v;
      }
      return;
    }
    case 'PLIO_1':
      plioDecode(plioWords(bytes), n, ints, 0);
      return;
    case 'NOCOMPRESS': {
      const size = bytes.length / n;
      if (size !== 1 && size !== 2 && size !== 4) throw new FitsError('CORRUPT_TILE', `NOCOMPRESS tile of ${bytes.length} bytes for ${n} pixels`);
      bytesToInts(bytes, n, size, ints);
      return;
    }
  }
}

function decodeRawFloats(codec: Codec, bytes: Uint8Array, n: number, out: Float32Array | Float64Array): void {
  const size = out.BYTES_PER_ELEMENT;
  let plain: Uint8Array;
  if (codec === 'GZIP_1' || codec === 'GZIP_2') {
    plain = gzipDecode(bytes, n * size);
    if (codec === 'GZIP_2') plain = unshuffleBytes(plain, size);
  } else if (codec === 'NOCOMPRESS') {
    plain = bytes;
  } else {
    throw new FitsError('UNSUPPORTED', `${codec} tile of unquantized floats (ZQUANTIZ = 'NONE')`);
  }
  if (plain.length !== n * size) throw new FitsError('CORRUPT_TILE', `tile holds ${plain.length} bytes, expected ${n * size}`);
  bytesToFloats(plain, n, out);
}

/** Values of an UNCOMPRESSED_DATA cell, whatever its element type. */
function rawCellValues(table: BinTable, column: number, bytes: Uint8Array, n: number, zbitpix: Bitpix, s: TileScratch): StoredArray {
  const elem = parseTform(table.columns[column].tform).varType;
  const sizes: Record<string, number> = { B: 1, I: 2, J: 4, E: 4, D: 8 };
  const size = elem ? sizes[elem] : undefined;
  if (size === undefined) throw new FitsError('UNSUPPORTED', `UNCOMPRESSED_DATA of type '${elem ?? '?'}'`);
  if (bytes.length !== n * size) throw new FitsError('CORRUPT_TILE', `UNCOMPRESSED_DATA holds ${bytes.length / size} values, expected ${n}`);
  if (elem === 'E' || elem === 'D') {
    const f = elem === 'E' ? new Float32Array(n) : new Float64Array(n);
    bytesToFloats(bytes, n, f);
    if (zbitpix < 0) {
      s.floats!.set(f);
      return s.floats!;
    }
    for (let i = 0; i < n; i++) s.ints[i] = Math.round(f[i]);
    return s.ints;
  }
  bytesToInts(bytes, n, size, s.ints);
  if (zbitpix < 0) {
    for (let i = 0; i < n; i++) s.floats![i] = s.ints[i];
    return s.floats!;
  }
  return s.ints;
}

/** Copy a decoded tile into the output region. */
function scatterTile(values: StoredArray, box: TileBox, region: TileBox, out: StoredArray): void {
  const o = out as Int32Array;
  const v = values as unknown as Int32Array;
  const off = contiguousOffset(box, region.start, region.shape);
  if (off >= 0) {
    o.set(v.subarray(0, box.pixels), off);
    return;
  }
  forEachTileRow(box, region.start, region.shape, (imgOff, tileOff, len) => {
    o.set(v.subarray(tileOff, tileOff + len), imgOff);
  });
}

/** Table and compression keywords that do not belong in the uncompressed header. */
const TABLE_ONLY =
  /^(XTENSION|BITPIX|NAXIS\d*|PCOUNT|GCOUNT|TFIELDS|THEAP|EXTEND|(TTYPE|TFORM|TUNIT|TSCAL|TZERO|TNULL|TDIM|TDISP)\d+|ZIMAGE|ZCMPTYPE|ZBITPIX|ZNAXIS\d*|ZTILE\d+|ZNAME\d+|ZVAL\d+|ZQUANTIZ|ZDITHER0|ZBLANK|ZSCALE|ZZERO|ZMASKCMP|ZSIMPLE|ZTENSION|ZEXTEND|ZBLOCKED|ZPCOUNT|ZGCOUNT|ZHECKSUM|ZDATASUM|CHECKSUM|DATASUM)$/;

/**
 * The image header the compressed HDU stands for: SIMPLE (if ZSIMPLE) or XTENSION =
 * ZTENSION, BITPIX = ZBITPIX, NAXISn = `axes`, EXTEND or PCOUNT/GCOUNT restored from their
 * Z-twins, then the other cards in order; ZHECKSUM/ZDATASUM become CHECKSUM/DATASUM.
 */
export function uncompressedHeader(header: Header, axes?: number[], hdu?: number): Header {
  const layoutAxes = axes ?? parseLayout(header, hdu).axes;
  const h = new Header();
  const cardOf = (k: string): Card | undefined => header.find(k);
  const put = (k: string, v: CardValue, fallbackComment: string, from?: string): void => {
    const c = from ? cardOf(from) : undefined;
    h.cards.push({ keyword: k, value: v, comment: c?.comment ?? fallbackComment });
  };
  const primary = header.get('ZSIMPLE') === true;
  if (primary) put('SIMPLE', true, 'conforms to FITS standard', 'ZSIMPLE');
  else put('XTENSION', (header.getString('ZTENSION', { hdu }) ?? 'IMAGE').trim() || 'IMAGE', 'image extension', 'ZTENSION');
  put('BITPIX', header.requireInt('ZBITPIX', { hdu }), 'array data type', 'ZBITPIX');
  put('NAXIS', layoutAxes.length, 'number of array dimensions', 'ZNAXIS');
  layoutAxes.forEach((a, i) => put(`NAXIS${i + 1}`, a, '', `ZNAXIS${i + 1}`));
  if (primary) {
    const ext = header.get('ZEXTEND');
    if (ext !== undefined) put('EXTEND', ext, 'FITS dataset may contain extensions', 'ZEXTEND');
    const blocked = header.get('ZBLOCKED');
    if (blocked !== undefined) put('BLOCKED', blocked, '', 'ZBLOCKED');
  } else {
    put('PCOUNT', header.getInt('ZPCOUNT', { hdu }) ?? 0, 'number of parameters', 'ZPCOUNT');
    put('GCOUNT', header.getInt('ZGCOUNT', { hdu }) ?? 1, 'number of groups', 'ZGCOUNT');
  }
  for (const c of header.cards) {
    if (!c.hierarch && TABLE_ONLY.test(c.keyword)) continue;
    if (c.keyword === 'EXTNAME' && typeof c.value === 'string' && c.value.trim() === DEFAULT_EXTNAME) continue;
    h.cards.push(copyCard(c));
  }
  const zsum = header.get('ZHECKSUM');
  if (zsum !== undefined) put('CHECKSUM', zsum, 'HDU checksum', 'ZHECKSUM');
  const zdsum = header.get('ZDATASUM');
  if (zdsum !== undefined) put('DATASUM', zdsum, 'data unit checksum', 'ZDATASUM');
  for (const c of h.cards) if (c.comment === '') delete c.comment;
  return h;
}

function toFitsImage(imageHeader: Header, stored: StoredArray, bitpix: Bitpix, axes: number[], raw: boolean, hdu?: number): FitsImage {
  const kw = imageKeywords(imageHeader, hdu);
  const width = axes[0] ?? 0;
  const height = axes.length >= 2 ? axes[1] : axes.length === 1 ? 1 : 0;
  const base = { bitpix, axes: [...axes], width, height, bscale: kw.bscale, bzero: kw.bzero, ...(kw.blank !== undefined ? { blank: kw.blank } : {}) };
  if (raw || (kw.bscale === 1 && kw.bzero === 0)) return { ...base, data: stored };
  if (kw.bscale === 1) {
    // Unsigned conventions: flip the sign bit in place and view the same buffer unsigned.
    if (stored instanceof Int16Array && kw.bzero === 32768) {
      const u = new Uint16Array(stored.buffer, stored.byteOffset, stored.length);
      for (let i = 0; i < u.length; i++) u[i] ^= 0x8000;
      return { ...base, data: u };
    }
    if (stored instanceof Int32Array && kw.bzero === 2147483648) {
      const u = new Uint32Array(stored.buffer, stored.byteOffset, stored.length);
      for (let i = 0; i < u.length; i++) u[i] = (u[i] ^ 0x80000000) >>> 0;
      return { ...base, data: u };
    }
    if (stored instanceof Uint8Array && kw.bzero === -128) {
      for (let i = 0; i < stored.length; i++) stored[i] ^= 0x80;
      return { ...base, data: new Int8Array(stored.buffer, stored.byteOffset, stored.length) };
    }
  }
  // Any other scaling: the image decoder applies it (BLANK → NaN) from the stored bytes.
  return decodeImage(imageHeader, bigEndianOf(stored), { hdu, axes });
}
