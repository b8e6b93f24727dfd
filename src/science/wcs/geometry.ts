/**
 * Image geometry on the sky: local pixel scale, orientation, corners and field of view.
 * All computed from the full transform (distortion included) on unit vectors, so they hold
 * anywhere, including near the poles and across RA = 0.
 */
import { WcsError } from './errors.js';
import { pixToSky, pixToSkyDerivatives, pixToUnitVector } from './transform.js';
import type { Wcs } from './wcs.js';

const RAD_TO_ARCSEC = (180 / Math.PI) * 3600;

type Vec3 = [number, number, number];

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
function dot(a: Vec3, b: Vec3): number {
  return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}
function norm(a: Vec3): number {
  return Math.sqrt(dot(a, a));
}

/** Angle between two unit vectors in radians, accurate at all separations. */
function angleBetween(a: Vec3, b: Vec3): number {
  return Math.atan2(norm(cross(a, b)), dot(a, b));
}

/** Great-circle distance between two sky positions, degrees. */
export function angularSeparationDeg(ra1Deg: number, dec1Deg: number, ra2Deg: number, dec2Deg: number): number {
  const d2r = Math.PI / 180;
  const v = (ra: number, dec: number): Vec3 => [Math.cos(dec * d2r) * Math.cos(ra * d2r), Math.cos(dec * d2r) * Math.sin(ra * d2r), Math.sin(dec * d2r)];
  return (angleBetween(v(ra1Deg, dec1Deg), v(ra2Deg, dec2Deg)) * 180) / Math.PI;
}

function checkPoint(atPx: [number, number]): void {
  if (!Number.isFinite(atPx[0]) || !Number.isFinite(atPx[1])) {
    throw new WcsError('BAD_ARGUMENT', `pixel position (${atPx[0]}, ${atPx[1]}) is not finite`);
  }
}

/**
 * Local pixel scale in arcsec/px: the geometric mean √(area of one pixel on the sky), at
 * `atPx` (0-based; default the reference pixel CRPIX). Distortion and the projection's
 * own scale change are included. At CRPIX of a plain TAN WCS this is √|det CD| · 3600.
 */
export function pixelScaleArcsec(wcs: Wcs, atPx?: [number, number]): number {
  const [x, y] = atPx ?? [wcs.crpix[0], wcs.crpix[1]];
  checkPoint([x, y]);
  const { dx, dy } = pixToSkyDerivatives(wcs, x, y);
  // |∂v/∂x × ∂v/∂y| is the solid angle per pixel (sr/px²).
  return Math.sqrt(norm(cross(dx, dy))) * RAD_TO_ARCSEC;
}

/**
 * Orientation of the image, degrees in (−180, 180]: the position angle of the +y pixel axis
 * at the reference pixel, measured from celestial north through east — astrometry.net's
 * "up is N degrees E of N" (0 for north up; 90 when +y points east). Independent of parity:
 * see `isFlipped`. Undefined (NaN) when CRVAL is exactly at a celestial pole.
 */
export function rotationDeg(wcs: Wcs, atPx?: [number, number]): number {
  const [x, y] = atPx ?? [wcs.crpix[0], wcs.crpix[1]];
  checkPoint([x, y]);
  const { v: v0, dy: t } = pixToSkyDerivatives(wcs, x, y);
  const eastRaw: Vec3 = [-v0[1], v0[0], 0]; // ẑ × v0
  const en = norm(eastRaw);
  if (en < 1e-15) return NaN;
  const east: Vec3 = [eastRaw[0] / en, eastRaw[1] / en, 0];
  const north = cross(v0, east);
  const pa = (Math.atan2(dot(t, east), dot(t, north)) * 180) / Math.PI;
  return pa <= -180 ? pa + 360 : pa;
}

/**
 * True when the image is mirrored with respect to the sky as seen on the sky (north up ⇒ east
 * right). The usual astronomical orientation (north up, east left) is not flipped.
 */
export function isFlipped(wcs: Wcs, atPx?: [number, number]): boolean {
  const [x, y] = atPx ?? [wcs.crpix[0], wcs.crpix[1]];
  checkPoint([x, y]);
  const { v: v0, dx, dy } = pixToSkyDerivatives(wcs, x, y);
  // Seen from inside the sphere, north up and east left is a left-handed (x, y) frame:
  // (∂v/∂x × ∂v/∂y) points inward (against v0).
  return dot(cross(dx, dy), v0) > 0;
}

function checkSize(width: number, height: number): void {
  if (!(Number.isFinite(width) && Number.isFinite(height) && width > 0 && height > 0)) {
    throw new WcsError('BAD_ARGUMENT', `image size ${width} × ${height} is not positive`);
  }
}

/**
 * Sky positions [raDeg, decDeg] of the image corners, in astropy's calc_footprint order:
 * pixels (0, 0), (0, h−1), (w−1, h−1), (w−1, 0) — the centres of the corner pixels. With
 * `edges: true`, the outer corners of those pixels (±0.5 px) instead.
 */
export function footprint(wcs: Wcs, width: number, height: number, opts: { edges?: boolean } = {}): Array<[number, number]> {
  checkSize(width, height);
  const e = opts.edges ? 0.5 : 0;
  const lo = -e;
  const hx = width - 1 + e;
  const hy = height - 1 + e;
  return [
    pixToSky(wcs, lo, lo),
    pixToSky(wcs, lo, hy),
    pixToSky(wcs, hx, hy),
    pixToSky(wcs, hx, lo),
  ];
}

/**
 * Field of view of a width × height image: the great-circle lengths across its middle
 * (outer pixel edges: from x = −0.5 to width − 0.5 along the middle row, likewise for the
 * height) and the sky position of the image centre ((width − 1)/2, (height − 1)/2).
 */
export function fieldOfView(
  wcs: Wcs,
  width: number,
  height: number,
): { widthDeg: number; heightDeg: number; centerRaDeg: number; centerDecDeg: number } {
  checkSize(width, height);
  const xc = (width - 1) / 2;
  const yc = (height - 1) / 2;
  const widthRad = angleBetween(pixToUnitVector(wcs, -0.5, yc), pixToUnitVector(wcs, width - 0.5, yc));
  const heightRad = angleBetween(pixToUnitVector(wcs, xc, -0.5), pixToUnitVector(wcs, xc, height - 0.5));
  const [centerRaDeg, centerDecDeg] = pixToSky(wcs, xc, yc);
  return { widthDeg: (widthRad * 180) / Math.PI, heightDeg: (heightRad * 180) / Math.PI, centerRaDeg, centerDecDeg };
}
