/**
 * Fast, accurate trigonometry for the pixel↔sky kernels.
 *
 * V8's Math.atan2 / Math.sin / Math.cos are out-of-line library calls costing 15–50 ns
 * each, which alone would use up the budget of a 20 Mpt/s transform. These versions are
 * small enough to be inlined into the loops and stay within a few units in the last place
 * of the library functions (checked in test/science/wcs/trig.test.ts):
 *
 * - atan2: octant folding, then a homogeneous rotation of (w, s) by 0, π/8 or π/4 — the
 *   rotation needs only multiply-adds, so the whole reduction costs a single division —
 *   leaving |t| ≤ tan(π/16) ≈ 0.199 where the Taylor series to t²¹ is exact to ~1e-18.
 * - sin/cos of an angle in degrees: reduction to the nearest multiple of 5.625° (a
 *   64-entry table, exact at multiples of 90°) and short Taylor series for |s| ≤ 2.8125°.
 */

const HALF_PI = Math.PI / 2;
const QUARTER_PI = Math.PI / 4;
const EIGHTH_PI = Math.PI / 8;
const TAN_PI_16 = Math.tan(Math.PI / 16);
const TAN_3PI_16 = Math.tan((3 * Math.PI) / 16);
const TAN_PI_8 = Math.SQRT2 - 1;

/** atan2(y, x) in radians, in (−π, π]; same conventions as Math.atan2 for finite input. */
export function atan2Fast(y: number, x: number): number {
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const swap = ay > ax;
  let s = swap ? ax : ay;
  let w = swap ? ay : ax;
  let base = 0;
  if (s > w * TAN_PI_16) {
    if (s > w * TAN_3PI_16) {
      const s2 = s - w;
      w = w + s;
      s = s2;
      base = QUARTER_PI;
    } else {
      const s2 = s - w * TAN_PI_8;
      w = w + s * TAN_PI_8;
      s = s2;
      base = EIGHTH_PI;
    }
  }
  // w === 0 only when x = y = 0 (or NaN input, which propagates through s / w).
  const z = w === 0 ? 0 : s / w;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z8 = z4 * z4;
  // Estrin's scheme for the odd series z − z³/3 + z⁵/5 − … + z²¹/21: shorter dependency chains.
  const p0 = 1 - z2 * (1 / 3);
  const p1 = 1 / 5 - z2 * (1 / 7);
  const p2 = 1 / 9 - z2 * (1 / 11);
  const p3 = 1 / 13 - z2 * (1 / 15);
  const p4 = 1 / 17 - z2 * (1 / 19);
  const q0 = p0 + z4 * p1;
  const q1 = p2 + z4 * p3;
  const q2 = p4 + z4 * (1 / 21);
  let r = base + z * (q0 + z8 * (q1 + z8 * q2));
  if (swap) r = HALF_PI - r;
  if (x < 0) r = Math.PI - r;
  return y < 0 ? -r : r;
}

/** Table of sin and cos at multiples of 5.625° (π/32), exact zeros and ones at multiples of 90°. */
const STEP_DEG = 5.625;
const INV_STEP = 1 / STEP_DEG;
const DEG = Math.PI / 180;
export const SIN_TABLE = new Float64Array(64);
export const COS_TABLE = new Float64Array(64);
{
  // Build the first octant with the library, then use symmetry so the table is exact where it can be.
  for (let k = 0; k < 64; k++) {
    const q = k >> 4; // quadrant
    const r = k & 15; // step within quadrant
    const s = Math.sin((r * Math.PI) / 32);
    const c = r === 0 ? 1 : Math.cos((r * Math.PI) / 32);
    const sr = r === 0 ? 0 : s;
    // Rotate (c, s) by q·90°.
    const rot = [
      [c, sr],
      [-sr, c],
      [-c, -sr],
      [sr, -c],
    ][q];
    COS_TABLE[k] = rot[0];
    SIN_TABLE[k] = rot[1];
  }
}

/** Largest |angle| in degrees the table reduction handles; beyond it the library is used. */
export const SINCOS_FAST_LIMIT_DEG = 1e9;

/** sin of an angle in degrees (Taylor series after table reduction). */
export function sinDeg(deg: number): number {
  if (!(Math.abs(deg) < SINCOS_FAST_LIMIT_DEG)) return Math.sin(deg * DEG);
  const k = Math.floor(deg * INV_STEP + 0.5);
  const s = (deg - k * STEP_DEG) * DEG;
  const i = k & 63;
  const s2 = s * s;
  const ss = s * (1 + s2 * (-1 / 6 + s2 * (1 / 120 + s2 * (-1 / 5040 + s2 * (1 / 362880)))));
  const cs = 1 + s2 * (-1 / 2 + s2 * (1 / 24 + s2 * (-1 / 720 + s2 * (1 / 40320))));
  return SIN_TABLE[i] * cs + COS_TABLE[i] * ss;
}

/** cos of an angle in degrees. */
export function cosDeg(deg: number): number {
  if (!(Math.abs(deg) < SINCOS_FAST_LIMIT_DEG)) return Math.cos(deg * DEG);
  const k = Math.floor(deg * INV_STEP + 0.5);
  const s = (deg - k * STEP_DEG) * DEG;
  const i = k & 63;
  const s2 = s * s;
  const ss = s * (1 + s2 * (-1 / 6 + s2 * (1 / 120 + s2 * (-1 / 5040 + s2 * (1 / 362880)))));
  const cs = 1 + s2 * (-1 / 2 + s2 * (1 / 24 + s2 * (-1 / 720 + s2 * (1 / 40320))));
  return COS_TABLE[i] * cs - SIN_TABLE[i] * ss;
}

/**
 * Unit vector of a direction (lon, lat) in degrees, written to out[0..2]. The kernels
 * repeat this code inline; this version is for scalar paths and tests.
 */
export function unitVectorDeg(lonDeg: number, latDeg: number, out: Float64Array | number[]): void {
  const cl = cosDeg(latDeg);
  out[0] = cl * cosDeg(lonDeg);
  out[1] = cl * sinDeg(lonDeg);
  out[2] = sinDeg(latDeg);
}
