/**
 * TPV: the TAN projection with a polynomial distortion of the intermediate world
 * coordinates, coefficients in PV1_j (longitude axis) and PV2_j (latitude axis), j = 0..39
 * (the registered "TPV World Coordinate System" convention, used by SCAMP and the NOAO/DES
 * pipelines).
 *
 * With x, y the intermediate world coordinates (degrees, after CD) and r = √(x² + y²):
 *   ξ = Σ_j PV1_j · T_j(x, y),   η = Σ_j PV2_j · T_j(y, x)
 * where the terms T_j run 1, x, y, r, then degree by degree xᵈ, xᵈ⁻¹y, …, yᵈ, each odd
 * degree followed by rᵈ (so r³ is j = 11, r⁵ j = 23, r⁷ j = 39). Note the swapped
 * arguments for η. Absent coefficients are zero, as in wcslib (so a TPV header must give
 * PV1_1 and PV2_1 explicitly); (ξ, η) are then deprojected with TAN.
 */
import { derivativeU, derivativeV, emptyPoly, fastPoly, type FastPoly } from './poly.js';
import type { KeywordReader } from './keywords.js';

export const TPV_TERMS = 40;
export const TPV_MAX_DEGREE = 7;

export interface Tpv {
  /** PV1_0 … PV1_39 (zero where absent). */
  readonly pv1: readonly number[];
  /** PV2_0 … PV2_39. */
  readonly pv2: readonly number[];
}

/** The term T_j: xᵖ yᵠ, or rᵏ when `radial` > 0. */
interface TpvTerm {
  p: number;
  q: number;
  radial: number;
}

function buildTerms(): TpvTerm[] {
  const terms: TpvTerm[] = [{ p: 0, q: 0, radial: 0 }];
  for (let d = 1; d <= TPV_MAX_DEGREE; d++) {
    for (let i = 0; i <= d; i++) terms.push({ p: d - i, q: i, radial: 0 });
    if (d % 2 === 1) terms.push({ p: 0, q: 0, radial: d });
  }
  return terms;
}
/** The 40 TPV terms in PV index order. */
export const TPV_BASIS: readonly Readonly<TpvTerm>[] = Object.freeze(buildTerms());

/** Reads PV1_j / PV2_j (with the alternate-WCS suffix `key`). */
export function readTpv(kw: KeywordReader, key: string, lonAxis: number, latAxis: number): Tpv {
  const read = (axis: number): number[] => {
    const out = new Array<number>(TPV_TERMS).fill(0);
    for (let j = 0; j < TPV_TERMS; j++) out[j] = kw.number(`PV${axis}_${j}${key}`) ?? 0;
    for (let j = TPV_TERMS; j < 100; j++) {
      const k = `PV${axis}_${j}${key}`;
      if ((kw.number(k) ?? 0) !== 0) throw kw.error('UNSUPPORTED', k, `TPV defines PV${axis}_0..PV${axis}_39 only`);
    }
    return out;
  };
  return { pv1: read(lonAxis), pv2: read(latAxis) };
}

/** Kernel form: dense polynomials in (x, y) for ξ and η plus odd radial coefficients r¹, r³, r⁵, r⁷. */
export interface TpvKernel {
  readonly xi: FastPoly;
  readonly eta: FastPoly;
  /** ∂ξ/∂x, ∂ξ/∂y, ∂η/∂x, ∂η/∂y of the non-radial part, for Newton. */
  readonly xiX: FastPoly;
  readonly xiY: FastPoly;
  readonly etaX: FastPoly;
  readonly etaY: FastPoly;
  /** Radial coefficients for ξ and η, index k = 0..3 for r^(2k+1). */
  readonly xiRadial: Float64Array;
  readonly etaRadial: Float64Array;
  readonly hasRadial: boolean;
  /** Inverse of the linear part [[∂ξ/∂x, ∂ξ/∂y], [∂η/∂x, ∂η/∂y]] at the origin, for Newton's first guess. */
  readonly linearInverse: Float64Array | null;
  /** Newton stops after a step smaller than this (degrees). */
  readonly stopDeg: number;
}

/** `stopDeg`: Newton's stopping step in degrees (the caller scales ~1e-9 px by the pixel size). */
export function tpvKernel(tpv: Tpv, stopDeg: number): TpvKernel {
  let order = 1;
  for (let j = 0; j < TPV_TERMS; j++) {
    const t = TPV_BASIS[j];
    if (t.radial === 0 && (tpv.pv1[j] !== 0 || tpv.pv2[j] !== 0)) order = Math.max(order, t.p + t.q);
  }
  const xi = emptyPoly(order);
  const eta = emptyPoly(order);
  const stride = order + 1;
  const xiRadial = new Float64Array(4);
  const etaRadial = new Float64Array(4);
  for (let j = 0; j < TPV_TERMS; j++) {
    const t = TPV_BASIS[j];
    if (t.radial > 0) {
      xiRadial[(t.radial - 1) / 2] = tpv.pv1[j];
      etaRadial[(t.radial - 1) / 2] = tpv.pv2[j];
      continue;
    }
    if (t.p + t.q > order) continue;
    xi.c[t.p * stride + t.q] += tpv.pv1[j];
    // η uses T_j(y, x) = yᵖ xᵠ: the coefficient of xᵠ yᵖ.
    eta.c[t.q * stride + t.p] += tpv.pv2[j];
  }
  const hasRadial = xiRadial.some((c) => c !== 0) || etaRadial.some((c) => c !== 0);
  // Linear part at the origin (radial r¹ has no derivative there; it is left to Newton).
  const a = xi.c[1 * stride + 0];
  const b = xi.c[0 * stride + 1];
  const c = eta.c[1 * stride + 0];
  const d = eta.c[0 * stride + 1];
  const det = a * d - b * c;
  const linearInverse = det !== 0 && Number.isFinite(det) ? Float64Array.of(d / det, -b / det, -c / det, a / det) : null;
  return {
    xi: fastPoly(xi),
    eta: fastPoly(eta),
    xiX: fastPoly(derivativeU(xi)),
    xiY: fastPoly(derivativeV(xi)),
    etaX: fastPoly(derivativeU(eta)),
    etaY: fastPoly(derivativeV(eta)),
    xiRadial,
    etaRadial,
    hasRadial,
    linearInverse,
    stopDeg,
  };
}

function radial(k: Float64Array, r: number): number {
  const r2 = r * r;
  return r * (k[0] + r2 * (k[1] + r2 * (k[2] + r2 * k[3])));
}

/** d/dr of the radial series. */
function radialDerivative(k: Float64Array, r: number): number {
  const r2 = r * r;
  return k[0] + r2 * (3 * k[1] + r2 * (5 * k[2] + r2 * 7 * k[3]));
}

/** (ξ, η) from (x, y), degrees: in io = [x, y], out io[0..1] = (ξ, η). */
export function tpvForward(k: TpvKernel, io: Float64Array): void {
  const x = io[0];
  const y = io[1];
  let xi = k.xi.f(k.xi.c, x, y);
  let eta = k.eta.f(k.eta.c, x, y);
  if (k.hasRadial) {
    const r = Math.sqrt(x * x + y * y);
    xi += radial(k.xiRadial, r);
    eta += radial(k.etaRadial, r);
  }
  io[0] = xi;
  io[1] = eta;
}

const NEWTON_MAX_ITER = 50;

/**
 * Solves tpvForward(x, y) = (ξ, η) by Newton's method: in io = [ξ, η], out io[0..1] = (x, y),
 * NaN when it does not converge.
 */
export function tpvInverse(k: TpvKernel, io: Float64Array): void {
  const { xiX, xiY, etaX, etaY, stopDeg } = k;
  const xi = io[0];
  const eta = io[1];
  let x = xi - k.xi.c[0];
  let y = eta - k.eta.c[0];
  if (k.linearInverse) {
    const m = k.linearInverse;
    const x0 = m[0] * x + m[1] * y;
    y = m[2] * x + m[3] * y;
    x = x0;
  }
  for (let it = 0; it < NEWTON_MAX_ITER; it++) {
    let f = k.xi.f(k.xi.c, x, y);
    let fx = xiX.f(xiX.c, x, y);
    let fy = xiY.f(xiY.c, x, y);
    let g = k.eta.f(k.eta.c, x, y);
    let gx = etaX.f(etaX.c, x, y);
    let gy = etaY.f(etaY.c, x, y);
    if (k.hasRadial) {
      const r = Math.sqrt(x * x + y * y);
      f += radial(k.xiRadial, r);
      g += radial(k.etaRadial, r);
      if (r > 0) {
        const df = radialDerivative(k.xiRadial, r) / r;
        const dg = radialDerivative(k.etaRadial, r) / r;
        fx += df * x;
        fy += df * y;
        gx += dg * x;
        gy += dg * y;
      }
    }
    const rf = f - xi;
    const rg = g - eta;
    const det = fx * gy - fy * gx;
    const dx = (gy * rf - fy * rg) / det;
    const dy = (fx * rg - gx * rf) / det;
    x -= dx;
    y -= dy;
    if (!Number.isFinite(x) || !Number.isFinite(y)) break;
    if (Math.abs(dx) + Math.abs(dy) < stopDeg) {
      io[0] = x;
      io[1] = y;
      return;
    }
  }
  io[0] = NaN;
  io[1] = NaN;
}
