/**
 * The spherical rotation between native (φ, θ) and celestial (α, δ) coordinates
 * (Calabretta & Greisen 2002, "Paper II", §2.3 eq. 2 and §2.4).
 *
 * We work with unit vectors: native n = (cos θ cos φ, cos θ sin φ, sin θ), celestial
 * c = (cos δ cos α, cos δ sin α, sin δ). Paper II's eq. 2 is then the orthogonal matrix
 *
 *   c = Rz(αp) · A(δp) · Rz(−φp) · n,   A = [[−sin δp, 0, cos δp], [0, −1, 0], [cos δp, 0, sin δp]]
 *
 * where (αp, δp) is the celestial position of the native pole and φp = LONPOLE the native
 * longitude of the celestial pole. The inverse is the transpose.
 */
import { cosDeg, sinDeg } from './trig.js';

/** θ0 of the zenithal projections (TAN): the reference point is the native pole. */
export const ZENITHAL_THETA0_DEG = 90;

/**
 * Default LONPOLE (Paper II §2.4): φ0 when δ0 ≥ θ0, else φ0 + 180°. For TAN (φ0 = 0,
 * θ0 = 90°) that is 180° except at δ0 = +90° exactly, where it is 0.
 */
export function defaultLonpoleDeg(delta0Deg: number, phi0Deg = 0, theta0Deg = ZENITHAL_THETA0_DEG): number {
  return delta0Deg >= theta0Deg ? phi0Deg : phi0Deg + 180;
}

/**
 * Celestial coordinates (αp, δp) of the native pole. For zenithal projections the
 * reference point is the native pole (θ0 = 90°), so (αp, δp) = (α0, δ0) and LATPOLE has no
 * effect (Paper II §2.4, first case); other projections are not supported here.
 */
export function zenithalNativePole(crvalDeg: readonly [number, number]): [alphaPDeg: number, deltaPDeg: number] {
  return [crvalDeg[0], crvalDeg[1]];
}

/** Row-major 3×3 matrix taking native unit vectors to celestial ones. */
export function nativeToCelestialMatrix(alphaPDeg: number, deltaPDeg: number, phiPDeg: number): Float64Array {
  const sa = sinDeg(alphaPDeg);
  const ca = cosDeg(alphaPDeg);
  const sd = sinDeg(deltaPDeg);
  const cd = cosDeg(deltaPDeg);
  const sp = sinDeg(phiPDeg);
  const cp = cosDeg(phiPDeg);
  // A(δp)·Rz(−φp) = [[−sd·cp, −sd·sp, cd], [sp, −cp, 0], [cd·cp, cd·sp, sd]], then Rz(αp)·that.
  const a00 = -sd * cp;
  const a01 = -sd * sp;
  const a02 = cd;
  const a10 = sp;
  const a11 = -cp;
  const a20 = cd * cp;
  const a21 = cd * sp;
  const a22 = sd;
  return Float64Array.of(
    ca * a00 - sa * a10,
    ca * a01 - sa * a11,
    ca * a02,
    sa * a00 + ca * a10,
    sa * a01 + ca * a11,
    sa * a02,
    a20,
    a21,
    a22,
  );
}

/** m · v for a row-major 3×3 m (native → celestial). */
export function rotate(m: Float64Array, v: ArrayLike<number>, out: Float64Array | number[]): void {
  const x = v[0];
  const y = v[1];
  const z = v[2];
  out[0] = m[0] * x + m[1] * y + m[2] * z;
  out[1] = m[3] * x + m[4] * y + m[5] * z;
  out[2] = m[6] * x + m[7] * y + m[8] * z;
}

/** mᵀ · v (celestial → native). */
export function rotateInverse(m: Float64Array, v: ArrayLike<number>, out: Float64Array | number[]): void {
  const x = v[0];
  const y = v[1];
  const z = v[2];
  out[0] = m[0] * x + m[3] * y + m[6] * z;
  out[1] = m[1] * x + m[4] * y + m[7] * z;
  out[2] = m[2] * x + m[5] * y + m[8] * z;
}
