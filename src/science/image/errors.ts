/**
 * Typed errors for the image core (statistics, calibration, background, detection,
 * photometry, reprojection, co-addition). An ImageError names what is wrong and where:
 * the file or frame, the parameter, the pixel. Other image modules import this class and
 * may add codes to ImageErrorCode.
 */

export type ImageErrorCode =
  | 'BAD_ARGUMENT' // impossible parameter (box size 0, kappa < 0, exposure ≤ 0, ...)
  | 'SIZE_MISMATCH' // frames / masks / calibration frames of different shapes
  | 'NO_WCS' // a frame without a celestial WCS where one is needed
  | 'NO_OVERLAP' // a frame that does not overlap the reference grid
  | 'ALL_NAN' // no valid pixel where at least one is needed
  | 'TOO_LARGE'; // a request that would need an unreasonable amount of memory

export interface ImageLocation {
  /** File path or frame name concerned. */
  file?: string;
  /** 0-based index of a frame within a list of frames. */
  frame?: number;
  /** Option or argument concerned ('boxSize', 'exposureS', ...). */
  parameter?: string;
  /** 0-based pixel column / row. */
  x?: number;
  y?: number;
}

export class ImageError extends Error {
  override readonly name = 'ImageError';
  readonly code: ImageErrorCode;
  readonly location: ImageLocation;

  constructor(code: ImageErrorCode, message: string, location: ImageLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: ImageLocation): string {
  const where: string[] = [];
  if (loc.file !== undefined) where.push(loc.file);
  if (loc.frame !== undefined) where.push(`frame ${loc.frame}`);
  if (loc.parameter !== undefined) where.push(`'${loc.parameter}'`);
  if (loc.x !== undefined && loc.y !== undefined) where.push(`pixel (${loc.x}, ${loc.y})`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}

/** Largest number of pixels one image may have before we refuse to allocate (2^31 bytes of float32). */
export const MAX_IMAGE_PIXELS = 2 ** 29;

/** Throws TOO_LARGE / BAD_ARGUMENT unless width × height is a sane, allocatable image shape. */
export function checkShape(width: number, height: number, what = 'image'): number {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width <= 0 || height <= 0) {
    throw new ImageError('BAD_ARGUMENT', `${what} shape ${width}×${height} must be positive integers`, { parameter: 'shape' });
  }
  const n = width * height;
  if (n > MAX_IMAGE_PIXELS) {
    throw new ImageError('TOO_LARGE', `${what} of ${width}×${height} pixels exceeds the ${MAX_IMAGE_PIXELS}-pixel limit`, { parameter: 'shape' });
  }
  return n;
}
