/**
 * Mask planes: one Uint8Array per image (same width × height, row-major), each pixel a
 * set of bit flags saying why it should not be trusted. A pixel is usable for a purpose
 * when `(mask[i] & bits) === 0` for the bits that purpose cares about; `MaskBit.ANY`
 * rejects every flagged pixel.
 */
import { ImageError } from './errors.js';

export const MaskBit = {
  /** Known bad pixel: from a bad-pixel map, or a calibration frame that is unusable there. */
  BAD: 1,
  /** At or above the saturation level in the raw frame: flux is a lower limit. */
  SATURATED: 2,
  /** No data: NaN in the input, or no valid input frame at this pixel. */
  NO_DATA: 4,
  /** Hot pixel: dark current far above the frame's typical level. */
  HOT: 8,
  /** Flat-field response too low to correct (vignetted corner, dust shadow core). */
  LOW_RESPONSE: 16,
  /** Cosmic-ray hit (set by whoever detects them). */
  COSMIC_RAY: 32,
  /** Outside the footprint of a reprojected frame, or too close to the edge. */
  EDGE: 64,
  /** Every bit. */
  ANY: 0xff,
} as const;

export type MaskBitName = Exclude<keyof typeof MaskBit, 'ANY'>;

/** Check that a mask plane matches an image of `n` pixels (throws SIZE_MISMATCH naming `what`). */
export function checkMask(mask: Uint8Array | undefined, n: number, what = 'mask'): void {
  if (mask !== undefined && mask.length !== n) {
    throw new ImageError('SIZE_MISMATCH', `${what} has ${mask.length} pixels, the image has ${n}`, { parameter: what });
  }
}

/** A mask plane with NO_DATA wherever `data` is NaN or ±Infinity. */
export function maskNonFinite(data: ArrayLike<number>, out: Uint8Array = new Uint8Array(data.length)): Uint8Array {
  checkMask(out, data.length, 'out');
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v - v !== 0) out[i] |= MaskBit.NO_DATA;
  }
  return out;
}

/** Sets `bit` in `out` wherever `data ≥ level` (NaN never). Returns the number of pixels flagged. */
export function flagAbove(data: ArrayLike<number>, level: number, bit: number, out: Uint8Array): number {
  checkMask(out, data.length, 'out');
  let n = 0;
  for (let i = 0; i < data.length; i++) {
    if (data[i] >= level) {
      out[i] |= bit;
      n++;
    }
  }
  return n;
}

/** OR the flags of `src` into `dst` (in place). A non-zero pixel of a 0/1 map becomes `asBit` when given. */
export function orMask(dst: Uint8Array, src: Uint8Array, asBit?: number): Uint8Array {
  checkMask(src, dst.length, 'mask');
  if (asBit === undefined) for (let i = 0; i < dst.length; i++) dst[i] |= src[i];
  else for (let i = 0; i < dst.length; i++) if (src[i] !== 0) dst[i] |= asBit;
  return dst;
}

/** How many pixels have any of `bits` set. */
export function countFlagged(mask: Uint8Array, bits: number = MaskBit.ANY): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if ((mask[i] & bits) !== 0) n++;
  return n;
}

/** Per-bit pixel counts, e.g. `{ BAD: 12, SATURATED: 3, ... }` (bits with no pixel are omitted). */
export function maskSummary(mask: Uint8Array): Partial<Record<MaskBitName, number>> {
  const counts = new Float64Array(8);
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i];
    if (m === 0) continue;
    for (let b = 0; b < 8; b++) if (m & (1 << b)) counts[b]++;
  }
  const out: Partial<Record<MaskBitName, number>> = {};
  for (const [name, bit] of Object.entries(MaskBit) as Array<[keyof typeof MaskBit, number]>) {
    if (name === 'ANY') continue;
    const b = Math.log2(bit);
    if (counts[b] > 0) out[name] = counts[b];
  }
  return out;
}

/**
 * Grow flagged pixels by `radiusPx` (square neighbourhood, Chebyshev distance): every pixel
 * within the radius of a pixel with any of `bits` gets `asBit`. Two separable passes.
 */
export function dilateMask(mask: Uint8Array, width: number, height: number, radiusPx: number, bits: number, asBit: number): Uint8Array {
  checkMask(mask, width * height);
  if (!Number.isInteger(radiusPx) || radiusPx < 0) throw new ImageError('BAD_ARGUMENT', `radius ${radiusPx} must be a non-negative integer`, { parameter: 'radiusPx' });
  const hit = new Uint8Array(width * height);
  for (let i = 0; i < hit.length; i++) hit[i] = (mask[i] & bits) !== 0 ? 1 : 0;
  if (radiusPx === 0) return orMask(mask, hit, asBit);
  const rowPass = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    let last = -Infinity; // column of the latest hit seen scanning left → right
    for (let x = 0; x < width; x++) {
      if (hit[o + x]) last = x;
      if (x - last <= radiusPx) rowPass[o + x] = 1;
    }
    last = Infinity;
    for (let x = width - 1; x >= 0; x--) {
      if (hit[o + x]) last = x;
      if (last - x <= radiusPx) rowPass[o + x] = 1;
    }
  }
  for (let x = 0; x < width; x++) {
    let last = -Infinity;
    for (let y = 0; y < height; y++) {
      if (rowPass[y * width + x]) last = y;
      if (y - last <= radiusPx) mask[y * width + x] |= asBit;
    }
    last = Infinity;
    for (let y = height - 1; y >= 0; y--) {
      if (rowPass[y * width + x]) last = y;
      if (last - y <= radiusPx) mask[y * width + x] |= asBit;
    }
  }
  return mask;
}
