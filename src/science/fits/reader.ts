/**
 * Reading FITS files. `FitsReader.open` scans every header (block by block, stopping at
 * END) and reads no data unit; data, images and windows of images are read on request,
 * each as one read of just the bytes needed.
 */
import { verifyChecksum, type ChecksumStatus } from './checksum.js';
import { FitsError } from './errors.js';
import { BLOCK_LENGTH, Header, findEndCard } from './header.js';
import { describeHdu, imageAxes, isRandomGroups, type HduInfo } from './hdu.js';
import { decodeImage, imageKeywords, type FitsImage } from './image.js';
import { fileSource, memorySource, type ByteSource } from './source.js';

/** Headers longer than this many blocks are treated as corrupt (≈ 1 million cards). */
const MAX_HEADER_BLOCKS = 27_778;

const XTENSION_BYTES = [0x58, 0x54, 0x45, 0x4e, 0x53, 0x49, 0x4f, 0x4e]; // 'XTENSION'
const SIMPLE_BYTES = [0x53, 0x49, 0x4d, 0x50, 0x4c, 0x45, 0x20, 0x20]; // 'SIMPLE  '

function startsWith(bytes: Uint8Array, prefix: number[]): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** What to do with the bytes after an HDU: another HDU, or the end of the file. */
function anotherHduFollows(next: Uint8Array, hdu: number): boolean {
  if (startsWith(next, XTENSION_BYTES)) return true;
  if (hdu === 0) {
    if (!startsWith(next, SIMPLE_BYTES)) throw new FitsError('NOT_FITS', 'not a FITS file: it does not start with SIMPLE', { offset: 0 });
    return true;
  }
  // Anything else after the last HDU (zeros, blanks, a stray partial block) is not FITS
  // data; like other readers we stop there rather than reject the file.
  return false;
}

function headerLocation(hdu: number, offset: number): { hdu: number; offset: number } {
  return { hdu, offset };
}

/**
 * How far past a suspect HDU we look for the next extension header (in blocks). Only broken
 * files or files with trailing bytes pay for this.
 */
const LOOKAHEAD_BLOCKS = 4096;

/** Block-aligned offsets in [from, to) to probe for an 'XTENSION' header, nearest first. */
function probeOffsets(from: number, to: number): number[] {
  const out: number[] = [];
  const first = Math.ceil(from / BLOCK_LENGTH) * BLOCK_LENGTH;
  for (let o = first; o + BLOCK_LENGTH <= to && out.length < LOOKAHEAD_BLOCKS; o += BLOCK_LENGTH) out.push(o);
  return out;
}

/**
 * The HDU's data unit does not fit what follows it: either the file is cut short
 * (TRUNCATED), or NAXISn/PCOUNT are wrong, which shows as an extension header somewhere the
 * header's sizes do not put one (SIZE_MISMATCH).
 */
function sizeError(info: HduInfo, size: number, misplacedXtension: number | undefined): FitsError {
  if (misplacedXtension !== undefined) {
    return new FitsError(
      'SIZE_MISMATCH',
      `NAXISn/PCOUNT give a ${info.dataByteLength}-byte data unit, but an extension header starts at byte ${misplacedXtension}`,
      { hdu: info.index, offset: misplacedXtension },
    );
  }
  return new FitsError(
    'TRUNCATED',
    `file ends inside the data unit: header says ${info.dataByteLength} bytes, only ${Math.max(0, size - info.dataOffset)} present`,
    { hdu: info.index, offset: size },
  );
}

function findXtensionSync(bytes: Uint8Array, from: number, skip: number): number | undefined {
  for (const o of probeOffsets(from, bytes.length)) {
    if (o !== skip && startsWith(bytes.subarray(o, o + 8), XTENSION_BYTES)) return o;
  }
  return undefined;
}

async function findXtension(source: ByteSource, from: number, skip: number): Promise<number | undefined> {
  for (const o of probeOffsets(from, source.size)) {
    if (o !== skip && startsWith(await source.read(o, 8), XTENSION_BYTES)) return o;
  }
  return undefined;
}

/** Scan every HDU of an in-memory file (synchronous). Reads no data units. */
export function parseFits(bytes: Uint8Array): HduInfo[] {
  const hdus: HduInfo[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = hdus.length;
    if (!anotherHduFollows(bytes.subarray(offset, offset + 8), index)) {
      // Junk after the last HDU is tolerated unless it hides an extension header.
      const prev = hdus[index - 1];
      const found = findXtensionSync(bytes, prev.dataOffset, offset);
      if (found !== undefined) throw sizeError(prev, bytes.length, found);
      break;
    }
    const { header, byteLength } = Header.parse(bytes, offset, headerLocation(index, offset));
    const info = describeHdu(header, index, offset, byteLength);
    if (info.dataOffset + info.dataByteLength > bytes.length) {
      throw sizeError(info, bytes.length, findXtensionSync(bytes, info.dataOffset, -1));
    }
    hdus.push(info);
    offset = info.dataOffset + info.paddedDataByteLength;
  }
  if (hdus.length === 0) throw new FitsError('NOT_FITS', 'not a FITS file: empty', { offset: 0 });
  return hdus;
}

async function scanHeaders(source: ByteSource): Promise<HduInfo[]> {
  const hdus: HduInfo[] = [];
  let offset = 0;
  while (offset < source.size) {
    const index = hdus.length;
    const peek = await source.read(offset, Math.min(8, source.size - offset));
    if (!anotherHduFollows(peek, index)) {
      const prev = hdus[index - 1];
      const found = await findXtension(source, prev.dataOffset, offset);
      if (found !== undefined) throw sizeError(prev, source.size, found);
      break;
    }
    // Pull whole blocks until one holds the END card.
    const blocks: Uint8Array[] = [];
    let have = 0;
    for (;;) {
      if (blocks.length >= MAX_HEADER_BLOCKS) {
        throw new FitsError('TOO_LARGE', `header longer than ${MAX_HEADER_BLOCKS} blocks without END`, { hdu: index, offset });
      }
      const at = offset + have;
      const length = Math.min(BLOCK_LENGTH, source.size - at);
      if (length < BLOCK_LENGTH) {
        // Let the parser report exactly where the header is cut.
        if (length > 0) blocks.push(await source.read(at, length));
        break;
      }
      const block = await source.read(at, length);
      blocks.push(block);
      have += length;
      if (findEndCard(block) >= 0) break;
    }
    const bytes = blocks.length === 1 ? blocks[0] : concat(blocks);
    const { header, byteLength } = Header.parse(bytes, 0, headerLocation(index, offset));
    const info = describeHdu(header, index, offset, byteLength);
    if (info.dataOffset + info.dataByteLength > source.size) {
      throw sizeError(info, source.size, await findXtension(source, info.dataOffset, -1));
    }
    hdus.push(info);
    offset = info.dataOffset + info.paddedDataByteLength;
  }
  if (hdus.length === 0) throw new FitsError('NOT_FITS', 'not a FITS file: empty', { offset: 0 });
  return hdus;
}

function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface ImageWindow {
  /** 0-based column of the window's first pixel. */
  x0: number;
  /** 0-based row of the window's first pixel. */
  y0: number;
  width: number;
  height: number;
}

export class FitsReader {
  readonly hdus: HduInfo[];
  readonly source: ByteSource;
  private readonly ownsSource: boolean;

  private constructor(source: ByteSource, hdus: HduInfo[], ownsSource: boolean) {
    this.source = source;
    this.hdus = hdus;
    this.ownsSource = ownsSource;
  }

  /**
   * Open a file path, in-memory bytes or any ByteSource and scan its headers. A source
   * the reader opened itself (a path) is closed by `close()`; one passed in stays the
   * caller's.
   */
  static async open(input: string | Uint8Array | ByteSource): Promise<FitsReader> {
    const owns = typeof input === 'string';
    const source = typeof input === 'string' ? await fileSource(input) : input instanceof Uint8Array ? memorySource(input) : input;
    try {
      const hdus = await scanHeaders(source);
      return new FitsReader(source, hdus, owns || input instanceof Uint8Array);
    } catch (e) {
      if (owns) await source.close();
      throw e;
    }
  }

  private info(hdu: number): HduInfo {
    const info = Number.isInteger(hdu) ? this.hdus[hdu] : undefined;
    if (!info) throw new FitsError('BAD_ARGUMENT', `no HDU ${hdu} (the file has ${this.hdus.length})`, { hdu });
    return info;
  }

  /** Bytes of a data unit (unpadded), relative to its start. */
  async readDataBytes(hdu: number, offset = 0, length?: number): Promise<Uint8Array> {
    const info = this.info(hdu);
    const len = length ?? info.dataByteLength - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(len) || offset < 0 || len < 0 || offset + len > info.dataByteLength) {
      throw new FitsError('BAD_ARGUMENT', `byte range ${offset}+${len} is outside the ${info.dataByteLength}-byte data unit`, { hdu });
    }
    if (len === 0) return new Uint8Array(0);
    return this.source.read(info.dataOffset + offset, len);
  }

  /**
   * Read an image HDU (primary or IMAGE extension) as physical values (or stored values
   * with `raw`). With `window`, only the rows the window covers are read (of the first
   * plane for N-D images) and the result is the window: axes [width, height].
   */
  async readImage(hdu: number, opts: { window?: ImageWindow; raw?: boolean } = {}): Promise<FitsImage> {
    const info = this.info(hdu);
    if (info.type !== 'image') {
      const hint = info.type === 'compressed-image' ? ' (decompress it with decompressImage)' : info.type === 'bintable' ? ' (read it with readBinTable)' : '';
      throw new FitsError('BAD_ARGUMENT', `HDU ${hdu} is a ${info.type} HDU, not an image${hint}`, { hdu });
    }
    if (isRandomGroups(info.header)) {
      throw new FitsError('UNSUPPORTED', 'random-groups data (GROUPS = T) is not supported', { hdu, keyword: 'GROUPS' });
    }
    if (!opts.window) {
      const bytes = await this.readDataBytes(hdu);
      return decodeImage(info.header, bytes, { raw: opts.raw, hdu });
    }
    const { x0, y0, width, height } = opts.window;
    const axes = imageAxes(info.header);
    const fullWidth = axes[0] ?? 0;
    const fullHeight = axes.length >= 2 ? axes[1] : axes.length === 1 ? 1 : 0;
    const ints = [x0, y0, width, height].every((v) => Number.isSafeInteger(v));
    if (!ints || x0 < 0 || y0 < 0 || width < 0 || height < 0 || x0 + width > fullWidth || y0 + height > fullHeight) {
      throw new FitsError('BAD_ARGUMENT', `window ${x0},${y0} ${width}×${height} is outside the ${fullWidth}×${fullHeight} image`, { hdu });
    }
    const bpp = Math.abs(imageKeywords(info.header, hdu).bitpix) / 8;
    const rowBytes = fullWidth * bpp;
    const rows = await this.readDataBytes(hdu, y0 * rowBytes, height * rowBytes);
    let bytes = rows;
    if (width !== fullWidth) {
      // Keep only the window's columns before decoding.
      const outRow = width * bpp;
      bytes = new Uint8Array(height * outRow);
      for (let r = 0; r < height; r++) {
        const from = r * rowBytes + x0 * bpp;
        bytes.set(rows.subarray(from, from + outRow), r * outRow);
      }
    }
    return decodeImage(info.header, bytes, { raw: opts.raw, hdu, axes: [width, height] });
  }

  /** Header bytes exactly as stored (whole blocks). */
  async readHeaderBytes(hdu: number): Promise<Uint8Array> {
    const info = this.info(hdu);
    return this.source.read(info.headerOffset, info.dataOffset - info.headerOffset);
  }

  /** Verify CHECKSUM and DATASUM of one HDU against its stored bytes. */
  async verifyChecksum(hdu: number): Promise<ChecksumStatus> {
    const info = this.info(hdu);
    const headerBytes = await this.readHeaderBytes(hdu);
    if (info.header.get('CHECKSUM') === undefined && info.header.get('DATASUM') === undefined) {
      return { checksum: 'absent', datasum: 'absent' };
    }
    // The last HDU may lack its padding on disk; what is missing counts as zeros.
    const available = Math.min(info.paddedDataByteLength, this.source.size - info.dataOffset);
    const data = available > 0 ? await this.source.read(info.dataOffset, available) : new Uint8Array(0);
    return verifyChecksum(headerBytes, data);
  }

  async close(): Promise<void> {
    if (this.ownsSource) await this.source.close();
  }
}
