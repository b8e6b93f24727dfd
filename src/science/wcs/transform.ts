/**
 * Pixel ↔ sky transforms, scalar and batched over Float64Array.
 *
 * pixel → sky: (u, v) = p − CRPIX → SIP (u + f, v + g) → CD → TPV polynomial → TAN
 * deprojection → spherical rotation. TAN is done on unit vectors: the point (x, y) of the
 * projection plane (degrees) is the native direction ∝ (−y, x, 180/π) (Paper II §5.1.3,
 * x = R sin φ, y = −R cos φ, R = (180/π) cot θ), which the rotation matrix of rotation.ts
 * turns into a celestial direction. Longitudes are returned in [0, 360).
 *
 * sky → pixel is the exact reverse. Points on or behind the TAN horizon (native θ ≤ 0)
 * have no image: NaN. Distortion inverses: TPV by Newton; SIP by Newton seeded with the
 * AP/BP polynomials when present (`sipInverse: 'exact'`, the default, agrees with astropy's
 * all_world2pix) or the AP/BP polynomials alone (`sipInverse: 'polynomial'`, what
 * astrometry.net-style consumers evaluate; accurate only to the fit of AP/BP).
 */
import { WcsError } from './errors.js';
import { nativeToCelestialMatrix, zenithalNativePole } from './rotation.js';
import { sipInvertNewton, sipKernel, type SipKernel } from './sip.js';
import { atan2Fast, COS_TABLE, cosDeg, SIN_TABLE, SINCOS_FAST_LIMIT_DEG, sinDeg } from './trig.js';
import { tpvForward, tpvInverse, tpvKernel, type TpvKernel } from './tpv.js';
import type { Wcs } from './wcs.js';

const R2D = 180 / Math.PI;
const D2R = Math.PI / 180;

export interface SkyToPixOptions {
  /**
   * How to invert SIP: 'exact' (default) solves the forward polynomial by Newton's method to
   * well below 1e-8 px, starting from AP/BP when present; 'polynomial' evaluates AP/BP only
   * (falls back to 'exact' when the header has no AP/BP).
   */
  sipInverse?: 'exact' | 'polynomial';
}

/** Everything the loops need, derived once per Wcs. */
export interface WcsKernel {
  readonly x0: number;
  readonly y0: number;
  readonly c00: number;
  readonly c01: number;
  readonly c10: number;
  readonly c11: number;
  /** CD⁻¹ (pixels per degree). */
  readonly i00: number;
  readonly i01: number;
  readonly i10: number;
  readonly i11: number;
  /** Native → celestial rotation, row-major. */
  readonly m: Float64Array;
  readonly sip: SipKernel | null;
  readonly tpv: TpvKernel | null;
}

// Derived kernels are pure functions of an immutable Wcs, so they are memoised per object.
const kernels = new WeakMap<Wcs, WcsKernel>();

export function wcsKernel(wcs: Wcs): WcsKernel {
  let k = kernels.get(wcs);
  if (!k) {
    k = buildKernel(wcs);
    kernels.set(wcs, k);
  }
  return k;
}

function buildKernel(wcs: Wcs): WcsKernel {
  const [c00, c01, c10, c11] = wcs.cd;
  const det = c00 * c11 - c01 * c10;
  const [alphaP, deltaP] = zenithalNativePole(wcs.crval);
  return {
    x0: wcs.crpix[0],
    y0: wcs.crpix[1],
    c00,
    c01,
    c10,
    c11,
    i00: c11 / det,
    i01: -c01 / det,
    i10: -c10 / det,
    i11: c00 / det,
    m: nativeToCelestialMatrix(alphaP, deltaP, wcs.lonpole),
    sip: wcs.sip ? sipKernel(wcs.sip) : null,
    // TPV Newton stops at a step of ~1e-9 px.
    tpv: wcs.tpv ? tpvKernel(wcs.tpv, 1e-9 * Math.sqrt(Math.abs(det))) : null,
  };
}

// ---------------------------------------------------------------------------------------
// Per-point cores (the scalar API; the batch loops repeat the same operations inline)

/** Projection-plane coordinates (x, y) in degrees of a pixel, written to out[0..1]. */
function pixToPlane(k: WcsKernel, xPx: number, yPx: number, out: Float64Array): void {
  let u = xPx - k.x0;
  let v = yPx - k.y0;
  const sip = k.sip;
  if (sip) {
    const du = sip.a.f(sip.a.c, u, v);
    const dv = sip.b.f(sip.b.c, u, v);
    u += du;
    v += dv;
  }
  const x = k.c00 * u + k.c01 * v;
  const y = k.c10 * u + k.c11 * v;
  out[0] = x;
  out[1] = y;
  if (k.tpv) tpvForward(k.tpv, out);
}

/** Celestial (lon, lat) in degrees of projection-plane (x, y) degrees, written to out[0..1]. */
function planeToSky(k: WcsKernel, x: number, y: number, out: Float64Array): void {
  const m = k.m;
  const cx = -m[0] * y + m[1] * x + m[2] * R2D;
  const cy = -m[3] * y + m[4] * x + m[5] * R2D;
  const cz = -m[6] * y + m[7] * x + m[8] * R2D;
  let ra = atan2Fast(cy, cx) * R2D;
  if (ra < 0) ra += 360;
  if (ra >= 360) ra -= 360;
  out[0] = ra;
  out[1] = atan2Fast(cz, Math.sqrt(cx * cx + cy * cy)) * R2D;
}

/** Projection-plane (x, y) in degrees of a sky position (library trigonometry, any angle). */
function skyToPlaneSlow(k: WcsKernel, raDeg: number, decDeg: number, out: Float64Array): void {
  const cd = Math.cos(decDeg * D2R);
  planeFromVector(k, cd * Math.cos(raDeg * D2R), cd * Math.sin(raDeg * D2R), Math.sin(decDeg * D2R), out);
}

/** Projection-plane (x, y) in degrees of a unit vector; NaN on or behind the TAN horizon. */
function planeFromVector(k: WcsKernel, vx: number, vy: number, vz: number, out: Float64Array): void {
  const m = k.m;
  const nx = m[0] * vx + m[3] * vy + m[6] * vz;
  const ny = m[1] * vx + m[4] * vy + m[7] * vz;
  const nz = m[2] * vx + m[5] * vy + m[8] * vz;
  if (!(nz > 0)) {
    out[0] = NaN;
    out[1] = NaN;
    return;
  }
  const s = R2D / nz;
  out[0] = ny * s;
  out[1] = -nx * s;
}

/** Projection-plane (x, y) of a sky position with the table sine/cosine of trig.ts. */
function skyToPlane(k: WcsKernel, raDeg: number, decDeg: number, out: Float64Array): void {
  if (!(Math.abs(raDeg) < SINCOS_FAST_LIMIT_DEG && Math.abs(decDeg) < SINCOS_FAST_LIMIT_DEG)) {
    skyToPlaneSlow(k, raDeg, decDeg, out);
    return;
  }
  const cosD = cosDeg(decDeg);
  planeFromVector(k, cosD * cosDeg(raDeg), cosD * sinDeg(raDeg), sinDeg(decDeg), out);
}

/** Pixel of projection-plane (x, y) degrees, written to out[0..1]. */
function planeToPix(k: WcsKernel, x: number, y: number, exact: boolean, out: Float64Array): void {
  if (k.tpv) {
    out[0] = x;
    out[1] = y;
    tpvInverse(k.tpv, out);
    x = out[0];
    y = out[1];
  }
  const U = k.i00 * x + k.i01 * y;
  const V = k.i10 * x + k.i11 * y;
  let u = U;
  let v = V;
  const sip = k.sip;
  if (sip) {
    if (sip.ap && sip.bp) {
      u = U + sip.ap.f(sip.ap.c, U, V);
      v = V + sip.bp.f(sip.bp.c, U, V);
    }
    if (exact || !sip.ap) {
      const io = Float64Array.of(U, V, u, v);
      sipInvertNewton(sip, io);
      u = io[0];
      v = io[1];
    }
  }
  out[0] = u + k.x0;
  out[1] = v + k.y0;
}

// ---------------------------------------------------------------------------------------
// Scalar API

/** Sky position (RA, Dec in degrees; RA in [0, 360)) of a 0-based pixel position. */
export function pixToSky(wcs: Wcs, xPx: number, yPx: number): [raDeg: number, decDeg: number] {
  const k = wcsKernel(wcs);
  const out = new Float64Array(2);
  pixToPlane(k, xPx, yPx, out);
  planeToSky(k, out[0], out[1], out);
  return [out[0], out[1]];
}

/** 0-based pixel position of a sky position (degrees); NaN when it has no TAN image. */
export function skyToPix(wcs: Wcs, raDeg: number, decDeg: number, opts: SkyToPixOptions = {}): [xPx: number, yPx: number] {
  const k = wcsKernel(wcs);
  const out = new Float64Array(2);
  skyToPlane(k, raDeg, decDeg, out);
  planeToPix(k, out[0], out[1], opts.sipInverse !== 'polynomial', out);
  return [out[0], out[1]];
}

/** Projection-plane ("intermediate world") coordinates in degrees of a pixel, after distortion. */
export function pixToIntermediate(wcs: Wcs, xPx: number, yPx: number): [xDeg: number, yDeg: number] {
  const out = new Float64Array(2);
  pixToPlane(wcsKernel(wcs), xPx, yPx, out);
  return [out[0], out[1]];
}

/** Projection-plane coordinates in degrees (TAN about CRVAL) of a sky position. */
export function skyToIntermediate(wcs: Wcs, raDeg: number, decDeg: number): [xDeg: number, yDeg: number] {
  const out = new Float64Array(2);
  skyToPlane(wcsKernel(wcs), raDeg, decDeg, out);
  return [out[0], out[1]];
}

/** Sky position of projection-plane coordinates (degrees). */
export function intermediateToSky(wcs: Wcs, xDeg: number, yDeg: number): [raDeg: number, decDeg: number] {
  const out = new Float64Array(2);
  planeToSky(wcsKernel(wcs), xDeg, yDeg, out);
  return [out[0], out[1]];
}

/**
 * Unit vector (x, y, z) of the sky direction of a pixel: x towards (RA 0, Dec 0), z towards
 * the north celestial pole. Free of the angle wrap-arounds, for geometry near poles.
 */
export function pixToUnitVector(wcs: Wcs, xPx: number, yPx: number): [number, number, number] {
  const k = wcsKernel(wcs);
  const out = new Float64Array(2);
  pixToPlane(k, xPx, yPx, out);
  const m = k.m;
  const x = out[0];
  const y = out[1];
  const cx = -m[0] * y + m[1] * x + m[2] * R2D;
  const cy = -m[3] * y + m[4] * x + m[5] * R2D;
  const cz = -m[6] * y + m[7] * x + m[8] * R2D;
  const r = Math.sqrt(cx * cx + cy * cy + cz * cz);
  return [cx / r, cy / r, cz / r];
}

/** Half-step (px) of the central differences in the projection plane. */
const PLANE_DIFF_H = 0.05;

/**
 * Sky direction of a pixel and its derivatives along the pixel axes: v (unit vector) and
 * ∂v/∂x, ∂v/∂y in radians per pixel. The distortion part is differenced in the projection
 * plane, where coordinates are small and keep full precision (differencing positions on
 * the sphere would lose six digits); the TAN and rotation parts are exact.
 */
export function pixToSkyDerivatives(wcs: Wcs, xPx: number, yPx: number): { v: [number, number, number]; dx: [number, number, number]; dy: [number, number, number] } {
  const k = wcsKernel(wcs);
  const p = new Float64Array(2);
  const h = PLANE_DIFF_H;
  pixToPlane(k, xPx, yPx, p);
  const X = p[0];
  const Y = p[1];
  pixToPlane(k, xPx + h, yPx, p);
  let dXdx = p[0];
  let dYdx = p[1];
  pixToPlane(k, xPx - h, yPx, p);
  dXdx = (dXdx - p[0]) / (2 * h);
  dYdx = (dYdx - p[1]) / (2 * h);
  pixToPlane(k, xPx, yPx + h, p);
  let dXdy = p[0];
  let dYdy = p[1];
  pixToPlane(k, xPx, yPx - h, p);
  dXdy = (dXdy - p[0]) / (2 * h);
  dYdy = (dYdy - p[1]) / (2 * h);
  const m = k.m;
  // N = M·(−Y, X, 180/π) (degrees); v = N/|N|; ∂v = (I − vvᵀ)·M·∂n / |N|.
  const n = [-Y, X, R2D];
  const N = [0, 0, 0];
  for (let r = 0; r < 3; r++) N[r] = m[3 * r] * n[0] + m[3 * r + 1] * n[1] + m[3 * r + 2] * n[2];
  const len = Math.hypot(N[0], N[1], N[2]);
  const v: [number, number, number] = [N[0] / len, N[1] / len, N[2] / len];
  const tangent = (dX: number, dY: number): [number, number, number] => {
    const a = [0, 0, 0];
    for (let r = 0; r < 3; r++) a[r] = (m[3 * r] * -dY + m[3 * r + 1] * dX) / len;
    const along = a[0] * v[0] + a[1] * v[1] + a[2] * v[2];
    return [a[0] - along * v[0], a[1] - along * v[1], a[2] - along * v[2]];
  };
  return { v, dx: tangent(dXdx, dYdx), dy: tangent(dXdy, dYdy) };
}

// ---------------------------------------------------------------------------------------
// Batched API

function checkBatch(a: Float64Array, b: Float64Array, names: [string, string]): number {
  if (!(a instanceof Float64Array) || !(b instanceof Float64Array)) {
    throw new WcsError('BAD_ARGUMENT', `${names[0]} and ${names[1]} must be Float64Arrays`);
  }
  if (a.length !== b.length) {
    throw new WcsError('BAD_ARGUMENT', `${names[0]} has ${a.length} values but ${names[1]} has ${b.length}`);
  }
  return a.length;
}

function outArrays(n: number, a: Float64Array | undefined, b: Float64Array | undefined, names: [string, string]): [Float64Array, Float64Array] {
  if (a === undefined && b === undefined) return [new Float64Array(n), new Float64Array(n)];
  if (!(a instanceof Float64Array) || !(b instanceof Float64Array) || a.length < n || b.length < n) {
    throw new WcsError('BAD_ARGUMENT', `out.${names[0]} and out.${names[1]} must be Float64Arrays of length ≥ ${n}`);
  }
  return [a, b];
}

/** pixToSky over arrays; results go to `out` when given (length ≥ n), else to new arrays. */
export function pixToSkyBatch(
  wcs: Wcs,
  xPx: Float64Array,
  yPx: Float64Array,
  out?: { raDeg: Float64Array; decDeg: Float64Array },
): { raDeg: Float64Array; decDeg: Float64Array } {
  const n = checkBatch(xPx, yPx, ['xPx', 'yPx']);
  const [raDeg, decDeg] = outArrays(n, out?.raDeg, out?.decDeg, ['raDeg', 'decDeg']);
  pixToSkyLoop(wcsKernel(wcs), xPx, yPx, raDeg, decDeg, n);
  return { raDeg, decDeg };
}

/** skyToPix over arrays; results go to `out` when given (length ≥ n), else to new arrays. */
export function skyToPixBatch(
  wcs: Wcs,
  raDeg: Float64Array,
  decDeg: Float64Array,
  out?: { xPx: Float64Array; yPx: Float64Array },
  opts: SkyToPixOptions = {},
): { xPx: Float64Array; yPx: Float64Array } {
  const n = checkBatch(raDeg, decDeg, ['raDeg', 'decDeg']);
  const [xPx, yPx] = outArrays(n, out?.xPx, out?.yPx, ['xPx', 'yPx']);
  skyToPixLoop(wcsKernel(wcs), raDeg, decDeg, xPx, yPx, n, opts.sipInverse !== 'polynomial');
  return { xPx, yPx };
}

// The hot loops below copy imported bindings (functions, tables, constants) into locals:
// V8 re-reads an imported binding through its module cell at every use, which in these
// loops costs up to a factor of three.

// atan2 reduction constants, as in trig.ts (same expressions, so the same doubles).
const HALF_PI = Math.PI / 2;
const QUARTER_PI = Math.PI / 4;
const EIGHTH_PI = Math.PI / 8;
const TAN_PI_16 = Math.tan(Math.PI / 16);
const TAN_3PI_16 = Math.tan((3 * Math.PI) / 16);
const TAN_PI_8 = Math.SQRT2 - 1;

/**
 * Pixel → sky: the hot loop. TAN and both atan2s are written out inline (trig.ts atan2Fast,
 * same operations, so batch and scalar results are identical): as calls, V8's inlining
 * budget runs out once SIP is added and an un-inlined call boxes every double it passes.
 */
function pixToSkyLoop(k: WcsKernel, xs: Float64Array, ys: Float64Array, ra: Float64Array, dec: Float64Array, n: number): void {
  const { x0, y0, c00, c01, c10, c11 } = k;
  const m = k.m;
  // Column 3 multiplies the constant 180/π of the native direction (−y, x, 180/π).
  const m0 = m[0], m1 = m[1], m2 = m[2] * R2D;
  const m3 = m[3], m4 = m[4], m5 = m[5] * R2D;
  const m6 = m[6], m7 = m[7], m8 = m[8] * R2D;
  const sip = k.sip;
  const fa = sip ? sip.a.f : null;
  const fb = sip ? sip.b.f : null;
  const ca = sip ? sip.a.c : EMPTY;
  const cb = sip ? sip.b.c : EMPTY;
  const tpv = k.tpv;
  const tpvFwd = tpvForward;
  const t = new Float64Array(2);
  const T16 = TAN_PI_16, T316 = TAN_3PI_16, T8 = TAN_PI_8, Q = QUARTER_PI, E = EIGHTH_PI, H = HALF_PI, PI = Math.PI;
  for (let i = 0; i < n; i++) {
    let u = xs[i] - x0;
    let v = ys[i] - y0;
    if (fa !== null && fb !== null) {
      const du = fa(ca, u, v);
      const dv = fb(cb, u, v);
      u += du;
      v += dv;
    }
    let x = c00 * u + c01 * v;
    let y = c10 * u + c11 * v;
    if (tpv !== null) {
      t[0] = x;
      t[1] = y;
      tpvFwd(tpv, t);
      x = t[0];
      y = t[1];
    }
    const cx = m1 * x - m0 * y + m2;
    const cy = m4 * x - m3 * y + m5;
    const cz = m7 * x - m6 * y + m8;
    // RA = atan2(cy, cx)
    {
      const ax = Math.abs(cx);
      const ay = Math.abs(cy);
      const swap = ay > ax;
      let s = swap ? ax : ay;
      let w = swap ? ay : ax;
      let base = 0;
      if (s > w * T16) {
        if (s > w * T316) {
          const s2 = s - w;
          w = w + s;
          s = s2;
          base = Q;
        } else {
          const s2 = s - w * T8;
          w = w + s * T8;
          s = s2;
          base = E;
        }
      }
      const z = w === 0 ? 0 : s / w;
      const z2 = z * z;
      const z4 = z2 * z2;
      const z8 = z4 * z4;
      const q0 = 1 - z2 * (1 / 3) + z4 * (1 / 5 - z2 * (1 / 7));
      const q1 = 1 / 9 - z2 * (1 / 11) + z4 * (1 / 13 - z2 * (1 / 15));
      const q2 = 1 / 17 - z2 * (1 / 19) + z4 * (1 / 21);
      let r = base + z * (q0 + z8 * (q1 + z8 * q2));
      if (swap) r = H - r;
      if (cx < 0) r = PI - r;
      let a = (cy < 0 ? -r : r) * R2D;
      if (a < 0) a += 360;
      if (a >= 360) a -= 360;
      ra[i] = a;
    }
    // Dec = atan2(cz, ρ), ρ ≥ 0
    {
      const ax = Math.sqrt(cx * cx + cy * cy);
      const ay = Math.abs(cz);
      const swap = ay > ax;
      let s = swap ? ax : ay;
      let w = swap ? ay : ax;
      let base = 0;
      if (s > w * T16) {
        if (s > w * T316) {
          const s2 = s - w;
          w = w + s;
          s = s2;
          base = Q;
        } else {
          const s2 = s - w * T8;
          w = w + s * T8;
          s = s2;
          base = E;
        }
      }
      const z = w === 0 ? 0 : s / w;
      const z2 = z * z;
      const z4 = z2 * z2;
      const z8 = z4 * z4;
      const q0 = 1 - z2 * (1 / 3) + z4 * (1 / 5 - z2 * (1 / 7));
      const q1 = 1 / 9 - z2 * (1 / 11) + z4 * (1 / 13 - z2 * (1 / 15));
      const q2 = 1 / 17 - z2 * (1 / 19) + z4 * (1 / 21);
      let r = base + z * (q0 + z8 * (q1 + z8 * q2));
      if (swap) r = H - r;
      dec[i] = (cz < 0 ? -r : r) * R2D;
    }
  }
}

const EMPTY = new Float64Array(1);

const STEP_DEG = 5.625;
const INV_STEP = 1 / STEP_DEG;

/** Sky → pixel: the hot loop (table sine/cosine inline; SIP and TPV through local references). */
function skyToPixLoop(k: WcsKernel, ra: Float64Array, dec: Float64Array, xs: Float64Array, ys: Float64Array, n: number, exact: boolean): void {
  const { x0, y0, i00, i01, i10, i11 } = k;
  const m = k.m;
  const m0 = m[0], m1 = m[1], m2 = m[2];
  const m3 = m[3], m4 = m[4], m5 = m[5];
  const m6 = m[6], m7 = m[7], m8 = m[8];
  const SIN = SIN_TABLE;
  const COS = COS_TABLE;
  const LIMIT = SINCOS_FAST_LIMIT_DEG;
  const sip = k.sip;
  const fap = sip && sip.ap ? sip.ap.f : null;
  const fbp = sip && sip.bp ? sip.bp.f : null;
  const cap = sip && sip.ap ? sip.ap.c : EMPTY;
  const cbp = sip && sip.bp ? sip.bp.c : EMPTY;
  const newton = sip !== null && (exact || fap === null);
  const sipNewton = sipInvertNewton;
  const tpv = k.tpv;
  const tpvInv = tpvInverse;
  const t = new Float64Array(4);
  let outOfRange = false;
  for (let i = 0; i < n; i++) {
    const a = ra[i];
    const d = dec[i];
    if (!(Math.abs(a) < LIMIT && Math.abs(d) < LIMIT)) {
      // NaN or huge angles: done by the general path after the loop (keeps this loop small).
      outOfRange = true;
      continue;
    }
    const ka = Math.floor(a * INV_STEP + 0.5);
    const sa = (a - ka * STEP_DEG) * D2R;
    const ia = ka & 63;
    const sa2 = sa * sa;
    const sinA0 = sa * (1 + sa2 * (-1 / 6 + sa2 * (1 / 120 + sa2 * (-1 / 5040 + sa2 * (1 / 362880)))));
    const cosA0 = 1 + sa2 * (-1 / 2 + sa2 * (1 / 24 + sa2 * (-1 / 720 + sa2 * (1 / 40320))));
    const sinA = SIN[ia] * cosA0 + COS[ia] * sinA0;
    const cosA = COS[ia] * cosA0 - SIN[ia] * sinA0;
    const kd = Math.floor(d * INV_STEP + 0.5);
    const sd = (d - kd * STEP_DEG) * D2R;
    const id = kd & 63;
    const sd2 = sd * sd;
    const sinD0 = sd * (1 + sd2 * (-1 / 6 + sd2 * (1 / 120 + sd2 * (-1 / 5040 + sd2 * (1 / 362880)))));
    const cosD0 = 1 + sd2 * (-1 / 2 + sd2 * (1 / 24 + sd2 * (-1 / 720 + sd2 * (1 / 40320))));
    const sinD = SIN[id] * cosD0 + COS[id] * sinD0;
    const cosD = COS[id] * cosD0 - SIN[id] * sinD0;
    const vx = cosD * cosA;
    const vy = cosD * sinA;
    const nx = m0 * vx + m3 * vy + m6 * sinD;
    const ny = m1 * vx + m4 * vy + m7 * sinD;
    const nz = m2 * vx + m5 * vy + m8 * sinD;
    if (!(nz > 0)) {
      xs[i] = NaN;
      ys[i] = NaN;
      continue;
    }
    const s = R2D / nz;
    let x = ny * s;
    let y = -nx * s;
    if (tpv !== null) {
      t[0] = x;
      t[1] = y;
      tpvInv(tpv, t);
      x = t[0];
      y = t[1];
    }
    const U = i00 * x + i01 * y;
    const V = i10 * x + i11 * y;
    let u = U;
    let v = V;
    if (fap !== null && fbp !== null) {
      u = U + fap(cap, U, V);
      v = V + fbp(cbp, U, V);
    }
    if (newton) {
      t[0] = U;
      t[1] = V;
      t[2] = u;
      t[3] = v;
      sipNewton(sip, t);
      u = t[0];
      v = t[1];
    }
    xs[i] = u + x0;
    ys[i] = v + y0;
  }
  if (outOfRange) skyToPixOutOfRange(k, ra, dec, xs, ys, n, exact);
}

function skyToPixOutOfRange(k: WcsKernel, ra: Float64Array, dec: Float64Array, xs: Float64Array, ys: Float64Array, n: number, exact: boolean): void {
  const t = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    if (Math.abs(ra[i]) < SINCOS_FAST_LIMIT_DEG && Math.abs(dec[i]) < SINCOS_FAST_LIMIT_DEG) continue;
    skyToPlaneSlow(k, ra[i], dec[i], t);
    planeToPix(k, t[0], t[1], exact, t);
    xs[i] = t[0];
    ys[i] = t[1];
  }
}
