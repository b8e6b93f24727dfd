/**
 * Frames on disk for plate solving: reading the image and header, detecting the stars,
 * taking a position and pixel-scale hint from the header, and writing the solved WCS back.
 *
 * Writing keeps the file bit-exact except for the solved HDU's header: every other HDU, and
 * that HDU's data unit (pixels, BITPIX, scaling), are copied byte for byte; since headers are
 * whole 2880-byte blocks, everything after the header only moves by whole blocks. The output
 * goes to a temporary file renamed over the target, so an interrupted write leaves nothing.
 */
import { randomUUID } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { setChecksum } from '../fits/checksum.js';
import { decompressImage } from '../fits/compression/index.js';
import { FitsError } from '../fits/errors.js';
import type { HduInfo } from '../fits/hdu.js';
import type { Header } from '../fits/header.js';
import { parseFits, FitsReader } from '../fits/reader.js';
import { estimateBackground } from '../image/background.js';
import { windowedCentroid } from '../image/aperture.js';
import { detectSources, type DetectedSource } from '../image/detect.js';
import { pixelScaleArcsec } from '../wcs/geometry.js';
import { pixToSky } from '../wcs/transform.js';
import { wcsFromHeader, wcsToHeader, type Wcs } from '../wcs/wcs.js';
import { AstrometryError } from './errors.js';
import type { SourceXY } from './solve.js';

export interface SolveFrame {
  data: Float32Array;
  width: number;
  height: number;
  /** 0-based HDU holding the image. */
  hdu: number;
  header: Header;
  saturation?: number;
}

function isImage(h: HduInfo): boolean {
  if (h.type === 'compressed-image') return (h.header.getInt('ZNAXIS') ?? 0) >= 2;
  return h.type === 'image' && (h.header.getInt('NAXIS') ?? 0) >= 2 && h.dataByteLength > 0;
}

/** The 2-D image of HDU `hdu` (default: the first holding one) and its header. */
export async function readSolveFrame(path: string, hdu?: number): Promise<SolveFrame> {
  let reader: FitsReader;
  try {
    reader = await FitsReader.open(path);
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BAD_FRAME', e.message, { file: path });
    throw e;
  }
  try {
    const info = hdu === undefined ? reader.hdus.find(isImage) : reader.hdus[hdu];
    if (!info) throw new AstrometryError('BAD_FRAME', hdu === undefined ? 'no 2-D image in any HDU' : `no HDU ${hdu} (the file has ${reader.hdus.length})`, { file: path, hdu });
    if (!isImage(info)) throw new AstrometryError('BAD_FRAME', `HDU ${info.index} is not a 2-D image`, { file: path, hdu: info.index });
    const image = info.type === 'compressed-image' ? decompressImage(info.header, await reader.readDataBytes(info.index), { hdu: info.index }).image : await reader.readImage(info.index);
    if (image.axes.length > 2 && image.axes.slice(2).some((n) => n > 1)) {
      throw new AstrometryError('BAD_FRAME', `${image.axes.length}-D image: a frame must be 2-D`, { file: path, hdu: info.index });
    }
    const src = image.data;
    // Typed-array conversion without a per-pixel callback (64-bit integers need Number()).
    const data = src instanceof Float32Array ? src : src instanceof BigInt64Array || src instanceof BigUint64Array ? Float32Array.from(src, Number) : new Float32Array(src);
    let saturation: number | undefined;
    try {
      const s = info.header.getNumber('SATURATE');
      if (typeof s === 'number' && Number.isFinite(s)) saturation = s;
    } catch {
      // A malformed optional card is not fatal.
    }
    return { data, width: image.width, height: image.height, hdu: info.index, header: info.header, saturation };
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BAD_FRAME', e.message, { file: path });
    throw e;
  } finally {
    await reader.close();
  }
}

export interface DetectStarsOptions {
  /** Detection threshold, σ of the background (default 3, on the filtered image). */
  thresholdSigma?: number;
  /**
   * Detect on the image binned f×f (as solve-field's --downsample), then re-measure the
   * brightest sources with windowed centroids on the full-resolution image. 'auto' (default)
   * bins by 2 above 4 megapixels.
   */
  downsample?: number | 'auto';
  /** Sources re-measured at full resolution when binning (default 500). */
  refineCount?: number;
}

/**
 * Stars of a frame for solving: mesh background, detection (default 3σ on the filtered image,
 * 5 px), saturated stars flagged. Large frames are detected binned and the brightest sources
 * re-centroided at full resolution (background detection is the slowest step of a solve).
 */
export function detectStars(frame: Pick<SolveFrame, 'data' | 'width' | 'height' | 'saturation'>, opts: DetectStarsOptions = {}): SourceXY[] {
  const W = frame.width;
  const H = frame.height;
  const f = opts.downsample === undefined || opts.downsample === 'auto' ? (W * H > 4e6 ? 2 : 1) : Math.max(1, Math.floor(opts.downsample));
  const thresholdSigma = opts.thresholdSigma ?? 3;
  if (f === 1 || W < 8 * f || H < 8 * f) return detectAt(frame.data, W, H, thresholdSigma, frame.saturation).sources;
  // Mean of f×f blocks: the background level per pixel and the saturation level carry over.
  const wb = Math.floor(W / f);
  const hb = Math.floor(H / f);
  const binned = new Float32Array(wb * hb);
  for (let y = 0; y < hb * f; y++) {
    const row = y * W;
    const out = Math.floor(y / f) * wb;
    for (let x = 0; x < wb * f; x++) binned[out + Math.floor(x / f)] += frame.data[row + x];
  }
  const inv = 1 / (f * f);
  for (let i = 0; i < binned.length; i++) binned[i] *= inv;
  const { sources, level } = detectAt(binned, wb, hb, thresholdSigma, frame.saturation);
  const n = Math.min(sources.length, opts.refineCount ?? 500);
  const order = Array.from(sources.keys()).sort((a, b) => sources[b].flux - sources[a].flux);
  const out: SourceXY[] = sources.map((s) => ({ x: f * s.x + (f - 1) / 2, y: f * s.y + (f - 1) / 2, flux: s.flux * f * f, flags: s.flags }));
  for (let k = 0; k < n; k++) {
    const i = order[k];
    const s = sources[i];
    const sigma = Math.max(1, ((Number.isFinite(s.fwhmPx) ? s.fwhmPx : 2) * f) / 2.3548);
    const x0 = out[i].x;
    const y0 = out[i].y;
    const r = Math.ceil(4 * sigma) + 2;
    const sx = Math.max(0, Math.floor(x0) - r);
    const sy = Math.max(0, Math.floor(y0) - r);
    const sw = Math.min(W, Math.floor(x0) + r + 1) - sx;
    const sh = Math.min(H, Math.floor(y0) + r + 1) - sy;
    if (sw < 3 || sh < 3) continue;
    // Background-subtracted stamp (the binned background map is a per-pixel level).
    const bgLevel = level[Math.min(hb - 1, Math.floor(y0 / f)) * wb + Math.min(wb - 1, Math.floor(x0 / f))];
    const stamp = new Float32Array(sw * sh);
    for (let yy = 0; yy < sh; yy++) for (let xx = 0; xx < sw; xx++) stamp[yy * sw + xx] = frame.data[(sy + yy) * W + sx + xx] - bgLevel;
    const wc = windowedCentroid({ data: stamp, width: sw, height: sh }, x0 - sx, y0 - sy, sigma);
    const x = sx + wc.x;
    const y = sy + wc.y;
    if (wc.flags === 0 && Number.isFinite(x) && Number.isFinite(y) && Math.hypot(x - x0, y - y0) < 2 * f) {
      out[i].x = x;
      out[i].y = y;
    }
  }
  return out;
}

function detectAt(data: Float32Array, width: number, height: number, thresholdSigma: number, saturation: number | undefined): { sources: DetectedSource[]; level: Float32Array } {
  const bg = estimateBackground(data, width, height);
  const floor = bg.mesh.globalRms > 0 ? bg.mesh.globalRms : 1e-30;
  for (let i = 0; i < bg.rms.length; i++) if (!(bg.rms[i] > 0)) bg.rms[i] = floor;
  const sources = detectSources({ data, width, height }, bg.level, bg.rms, { thresholdSigma, minAreaPx: 5, saturationLevel: saturation }).sources;
  return { sources, level: bg.level };
}

export interface HeaderHint {
  /** Image centre, degrees, and the card(s) it came from. */
  position?: { raDeg: number; decDeg: number; from: string };
  /** Pixel scale, ″/px, and the card(s) it came from. */
  scaleArcsecPerPx?: { value: number; from: string };
}

/** Sexagesimal 'hh mm ss.s' / 'hh:mm:ss' (or a plain number) → number; undefined if unreadable. */
export function parseSexagesimal(text: string): number | undefined {
  const s = text.trim();
  if (s === '') return undefined;
  if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const m = /^([+-])?\s*(\d+)[\s:hd°]+(\d+)(?:[\s:m′']+(\d+(?:\.\d*)?))?\s*[s″"]?$/i.exec(s);
  if (!m) return undefined;
  const v = Number(m[2]) + Number(m[3]) / 60 + Number(m[4] ?? 0) / 3600;
  if (Number(m[3]) >= 60 || Number(m[4] ?? 0) >= 60) return undefined;
  return m[1] === '-' ? -v : v;
}

/**
 * Position and scale hints in a header: an existing celestial WCS (centre and scale at the
 * image centre), else RA/DEC (numbers in degrees, or sexagesimal strings: RA in hours),
 * else OBJCTRA/OBJCTDEC (sexagesimal, RA in hours); scale from the WCS, else
 * XPIXSZ (µm, after binning) and FOCALLEN (mm), else PIXSCALE/SCALE (″/px).
 */
export function hintFromHeader(header: Header, width: number, height: number): HeaderHint {
  const out: HeaderHint = {};
  let wcs: Wcs | undefined;
  try {
    wcs = wcsFromHeader(header);
  } catch {
    wcs = undefined; // a broken WCS is no hint
  }
  const c: [number, number] = [(width - 1) / 2, (height - 1) / 2];
  if (wcs) {
    const [ra, dec] = pixToSky(wcs, c[0], c[1]);
    if (Number.isFinite(ra) && Number.isFinite(dec)) out.position = { raDeg: ra, decDeg: dec, from: 'WCS (CRVAL/CD)' };
    const s = pixelScaleArcsec(wcs, c);
    if (s > 0 && Number.isFinite(s)) out.scaleArcsecPerPx = { value: s, from: 'WCS (CD)' };
  }
  const read = (k: string, hours: boolean): number | undefined => {
    const v = header.get(k);
    if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
    if (typeof v === 'string') {
      const x = parseSexagesimal(v);
      // A sexagesimal RA is in hours; a bare number is degrees.
      return x === undefined ? undefined : hours && /[\s:h]/i.test(v.trim()) ? x * 15 : x;
    }
    return undefined;
  };
  if (!out.position) {
    for (const [rk, dk] of [
      ['RA', 'DEC'],
      ['OBJCTRA', 'OBJCTDEC'],
    ] as const) {
      const ra = read(rk, true);
      const dec = read(dk, false);
      if (ra !== undefined && dec !== undefined && dec >= -90 && dec <= 90) {
        out.position = { raDeg: ((ra % 360) + 360) % 360, decDeg: dec, from: `${rk}/${dk}` };
        break;
      }
    }
  }
  if (!out.scaleArcsecPerPx) {
    const num = (k: string): number | undefined => {
      const v = header.get(k);
      return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
    };
    const px = num('XPIXSZ');
    const fl = num('FOCALLEN');
    if (px !== undefined && fl !== undefined) out.scaleArcsecPerPx = { value: (206.264806 * px) / fl, from: 'XPIXSZ/FOCALLEN' };
    else {
      const s = num('PIXSCALE') ?? num('SCALE');
      if (s !== undefined) out.scaleArcsecPerPx = { value: s, from: num('PIXSCALE') !== undefined ? 'PIXSCALE' : 'SCALE' };
    }
  }
  return out;
}

export interface SolvedCards {
  /** Extra cards to record with the solution (keyword, value, comment). */
  cards?: Array<[string, string | number | boolean, string]>;
  history?: string;
}

/**
 * Writes `inPath` to `outPath` (they may be the same file) with `wcs` in the header of HDU
 * `hdu`; every other byte of the file is kept. CHECKSUM/DATASUM of that HDU are recomputed
 * when present.
 */
export async function writeSolvedFits(inPath: string, outPath: string, hdu: number, wcs: Wcs, extra: SolvedCards = {}): Promise<void> {
  const bytes = new Uint8Array(await readFile(inPath));
  let hdus: HduInfo[];
  try {
    hdus = parseFits(bytes);
  } catch (e) {
    if (e instanceof FitsError) throw new AstrometryError('BAD_FRAME', e.message, { file: inPath });
    throw e;
  }
  const info = hdus[hdu];
  if (!info) throw new AstrometryError('BAD_FRAME', `no HDU ${hdu} (the file has ${hdus.length})`, { file: inPath, hdu });
  const header = info.header.clone();
  wcsToHeader(wcs, header);
  for (const [k, v, comment] of extra.cards ?? []) header.set(k, v, comment);
  if (extra.history) header.addCommentary('HISTORY', extra.history);
  if (header.find('CHECKSUM') !== undefined || header.find('DATASUM') !== undefined) {
    setChecksum(header, bytes.subarray(info.dataOffset, info.dataOffset + info.dataByteLength));
  }
  const headerBytes = header.toBytes();
  const tail = bytes.subarray(info.dataOffset);
  const out = new Uint8Array(info.headerOffset + headerBytes.length + tail.length);
  out.set(bytes.subarray(0, info.headerOffset), 0);
  out.set(headerBytes, info.headerOffset);
  out.set(tail, info.headerOffset + headerBytes.length);
  const tmp = `${outPath}.${randomUUID()}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(out);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, outPath);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}
