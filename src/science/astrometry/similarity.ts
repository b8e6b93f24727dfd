/**
 * Tangent-plane geometry for matching: gnomonic projection of catalog stars about a point
 * (ξ east, η north, arcsec) and the similarity transform (rotation, scale, translation, with
 * a parity) from pixels to that plane that a matched quad implies.
 */
import { createWcs, type Wcs } from '../wcs/wcs.js';
import type { CatalogStars } from './catalog.js';

const D2R = Math.PI / 180;
export const ARCSEC_RAD = Math.PI / (180 * 3600);

/** Catalog stars projected about a tangent point, brightest first. */
export interface Plane {
  raTanDeg: number;
  decTanDeg: number;
  /** ξ (east) and η (north), arcsec. */
  xi: Float64Array;
  eta: Float64Array;
  ra: Float64Array;
  dec: Float64Array;
  mag: Float32Array;
}

/**
 * Gnomonic projection about (ra0, dec0) of the stars within radiusDeg (at most `limit`,
 * the brightest), brightest first. Stars without a finite magnitude are left out.
 */
export function projectStars(stars: CatalogStars, ra0: number, dec0: number, radiusDeg: number, limit = Infinity): Plane {
  const sd0 = Math.sin(dec0 * D2R);
  const cd0 = Math.cos(dec0 * D2R);
  const cosR = Math.cos(Math.min(radiusDeg, 89) * D2R);
  const idx: number[] = [];
  const n = stars.raDeg.length;
  const xi = new Float64Array(n);
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const da = (stars.raDeg[i] - ra0) * D2R;
    const d = stars.decDeg[i] * D2R;
    const cd = Math.cos(d);
    const sd = Math.sin(d);
    const cda = Math.cos(da);
    const cosc = sd0 * sd + cd0 * cd * cda;
    if (!(cosc >= cosR) || !Number.isFinite(stars.mag[i])) continue;
    xi[i] = (cd * Math.sin(da)) / cosc / ARCSEC_RAD;
    eta[i] = (cd0 * sd - sd0 * cd * cda) / cosc / ARCSEC_RAD;
    idx.push(i);
  }
  idx.sort((a, b) => stars.mag[a] - stars.mag[b] || a - b);
  if (idx.length > limit) idx.length = limit;
  return {
    raTanDeg: ra0,
    decTanDeg: dec0,
    xi: Float64Array.from(idx, (i) => xi[i]),
    eta: Float64Array.from(idx, (i) => eta[i]),
    ra: Float64Array.from(idx, (i) => stars.raDeg[i]),
    dec: Float64Array.from(idx, (i) => stars.decDeg[i]),
    mag: Float32Array.from(idx, (i) => stars.mag[i]),
  };
}

/** Sky position of plane point (ξ, η) arcsec about (ra0, dec0), degrees. */
export function deproject(ra0: number, dec0: number, xiArcsec: number, etaArcsec: number): [number, number] {
  const x = xiArcsec * ARCSEC_RAD;
  const y = etaArcsec * ARCSEC_RAD;
  const sd0 = Math.sin(dec0 * D2R);
  const cd0 = Math.cos(dec0 * D2R);
  const den = cd0 - y * sd0;
  const ra = ra0 + Math.atan2(x, den) / D2R;
  const dec = Math.atan2(sd0 + y * cd0, Math.hypot(x, den)) / D2R;
  return [((ra % 360) + 360) % 360, dec];
}

/** w = a·z + b in complex numbers, z = x + i·s·y (pixels), w = ξ + iη (arcsec). */
export interface Similarity {
  ar: number;
  ai: number;
  br: number;
  bi: number;
  s: 1 | -1;
}

/** Least-squares similarity from pixel points z to plane points w with parity s. */
export function fitSimilarity(zx: ArrayLike<number>, zy: ArrayLike<number>, wx: ArrayLike<number>, wy: ArrayLike<number>, s: 1 | -1): Similarity {
  const n = zx.length;
  let mzx = 0;
  let mzy = 0;
  let mwx = 0;
  let mwy = 0;
  for (let i = 0; i < n; i++) {
    mzx += zx[i] / n;
    mzy += (s * zy[i]) / n;
    mwx += wx[i] / n;
    mwy += wy[i] / n;
  }
  let nr = 0;
  let ni = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const ux = zx[i] - mzx;
    const uy = s * zy[i] - mzy;
    const vx = wx[i] - mwx;
    const vy = wy[i] - mwy;
    nr += vx * ux + vy * uy;
    ni += vy * ux - vx * uy;
    den += ux * ux + uy * uy;
  }
  const ar = nr / den;
  const ai = ni / den;
  return { ar, ai, br: mwx - (ar * mzx - ai * mzy), bi: mwy - (ar * mzy + ai * mzx), s };
}

/** Scale of a similarity, arcsec per pixel. */
export function similarityScale(t: Similarity): number {
  return Math.hypot(t.ar, t.ai);
}

/** Plane position (arcsec) of pixel (x, y). */
export function pixToPlane(t: Similarity, x: number, y: number, out: Float64Array | number[]): void {
  out[0] = t.ar * x - t.ai * t.s * y + t.br;
  out[1] = t.ai * x + t.ar * t.s * y + t.bi;
}

/** Pixel position of plane point (ξ, η). */
export function planeToPix(t: Similarity, xi: number, eta: number, out: Float64Array | number[]): void {
  const wr = xi - t.br;
  const wi = eta - t.bi;
  const m = t.ar * t.ar + t.ai * t.ai;
  out[0] = (wr * t.ar + wi * t.ai) / m;
  out[1] = (t.s * (wi * t.ar - wr * t.ai)) / m;
}

/** The TAN WCS equal to a similarity on the plane tangent at (ra0, dec0). */
export function similarityToWcs(t: Similarity, ra0: number, dec0: number): Wcs {
  // ξ = ar·x − ai·s·y + br, η = ai·x + ar·s·y + bi (arcsec) → CD (deg/px), CRPIX = −CD⁻¹·b.
  const cd: [number, number, number, number] = [t.ar / 3600, (-t.ai * t.s) / 3600, t.ai / 3600, (t.ar * t.s) / 3600];
  const det = cd[0] * cd[3] - cd[1] * cd[2];
  const bx = t.br / 3600;
  const by = t.bi / 3600;
  const crpix: [number, number] = [-(cd[3] * bx - cd[1] * by) / det, -(-cd[2] * bx + cd[0] * by) / det];
  return createWcs({ crpix, crval: [((ra0 % 360) + 360) % 360, dec0], cd });
}
