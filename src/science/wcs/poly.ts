/**
 * Dense bivariate polynomials f(u, v) = Σ c[p][q] uᵖ vᵠ with p + q ≤ order, the shape shared
 * by SIP (Shupe et al. 2005) and the non-radial part of TPV. Coefficients are stored in a
 * Float64Array of (order+1)² entries, c[p·(order+1) + q]; terms with p + q > order are zero.
 */

/** Evaluates a dense polynomial given its coefficient array. */
export type PolyFn = (c: Float64Array, u: number, v: number) => number;

export interface DensePoly {
  readonly order: number;
  readonly c: Float64Array;
}

export function emptyPoly(order: number): DensePoly {
  return { order, c: new Float64Array((order + 1) * (order + 1)) };
}

// Straight-line Horner forms for the common orders: several times faster than the loops of
// evalPoly, because V8 does not unroll loops with data-dependent trip counts.
function horner0(c: Float64Array): number {
  return c[0];
}

function horner1(c: Float64Array, u: number, v: number): number {
  return c[0] + v * c[1] + u * c[2];
}

function horner2(c: Float64Array, u: number, v: number): number {
  return c[0] + v * (c[1] + v * c[2]) + u * (c[3] + v * c[4] + u * c[6]);
}

function horner3(c: Float64Array, u: number, v: number): number {
  return c[0] + v * (c[1] + v * (c[2] + v * c[3])) + u * (c[4] + v * (c[5] + v * c[6]) + u * (c[8] + v * c[9] + u * c[12]));
}

function horner4(c: Float64Array, u: number, v: number): number {
  return c[0] + v * (c[1] + v * (c[2] + v * (c[3] + v * c[4]))) + u * (c[5] + v * (c[6] + v * (c[7] + v * c[8])) + u * (c[10] + v * (c[11] + v * c[12]) + u * (c[15] + v * c[16] + u * c[20])));
}

function horner5(c: Float64Array, u: number, v: number): number {
  return c[0] + v * (c[1] + v * (c[2] + v * (c[3] + v * (c[4] + v * c[5])))) + u * (c[6] + v * (c[7] + v * (c[8] + v * (c[9] + v * c[10]))) + u * (c[12] + v * (c[13] + v * (c[14] + v * c[15])) + u * (c[18] + v * (c[19] + v * c[20]) + u * (c[24] + v * c[25] + u * c[30]))));
}

function horner6(c: Float64Array, u: number, v: number): number {
  return c[0] + v * (c[1] + v * (c[2] + v * (c[3] + v * (c[4] + v * (c[5] + v * c[6]))))) + u * (c[7] + v * (c[8] + v * (c[9] + v * (c[10] + v * (c[11] + v * c[12])))) + u * (c[14] + v * (c[15] + v * (c[16] + v * (c[17] + v * c[18]))) + u * (c[21] + v * (c[22] + v * (c[23] + v * c[24])) + u * (c[28] + v * (c[29] + v * c[30]) + u * (c[35] + v * c[36] + u * c[42])))));
}

function horner7(c: Float64Array, u: number, v: number): number {
  return c[0] + v * (c[1] + v * (c[2] + v * (c[3] + v * (c[4] + v * (c[5] + v * (c[6] + v * c[7])))))) + u * (c[8] + v * (c[9] + v * (c[10] + v * (c[11] + v * (c[12] + v * (c[13] + v * c[14]))))) + u * (c[16] + v * (c[17] + v * (c[18] + v * (c[19] + v * (c[20] + v * c[21])))) + u * (c[24] + v * (c[25] + v * (c[26] + v * (c[27] + v * c[28]))) + u * (c[32] + v * (c[33] + v * (c[34] + v * c[35])) + u * (c[40] + v * (c[41] + v * c[42]) + u * (c[48] + v * c[49] + u * c[56]))))));
}

const HORNER: PolyFn[] = [horner0, horner1, horner2, horner3, horner4, horner5, horner6, horner7];

/** The fastest evaluator for polynomials of this order (same result as evalPoly up to rounding). */
export function polyEvaluator(order: number): PolyFn {
  if (order < HORNER.length) return HORNER[order];
  const n = order;
  return (c, u, v) => evalPoly({ order: n, c }, u, v);
}

/** A dense polynomial with its evaluator, ready for the loops: `p.f(p.c, u, v)`. */
export interface FastPoly {
  readonly order: number;
  readonly c: Float64Array;
  readonly f: PolyFn;
}

export function fastPoly(poly: DensePoly): FastPoly {
  return { order: poly.order, c: poly.c, f: polyEvaluator(poly.order) };
}

/** ∂f/∂u as a dense polynomial of order max(order − 1, 0). */
export function derivativeU(poly: DensePoly): DensePoly {
  const n = poly.order;
  const d = emptyPoly(Math.max(n - 1, 0));
  const ds = d.order + 1;
  for (let p = 1; p <= n; p++) for (let q = 0; q <= n - p; q++) d.c[(p - 1) * ds + q] = p * poly.c[p * (n + 1) + q];
  return d;
}

/** ∂f/∂v as a dense polynomial of order max(order − 1, 0). */
export function derivativeV(poly: DensePoly): DensePoly {
  const n = poly.order;
  const d = emptyPoly(Math.max(n - 1, 0));
  const ds = d.order + 1;
  for (let p = 0; p <= n; p++) for (let q = 1; q <= n - p; q++) d.c[p * ds + q - 1] = q * poly.c[p * (n + 1) + q];
  return d;
}

/** f(u, v) by nested Horner: Σₚ uᵖ (Σ_q c[p][q] vᵠ). */
export function evalPoly(poly: DensePoly, u: number, v: number): number {
  const n = poly.order;
  const c = poly.c;
  const stride = n + 1;
  let r = 0;
  for (let p = n; p >= 0; p--) {
    const row = p * stride;
    let s = 0;
    for (let q = n - p; q >= 0; q--) s = s * v + c[row + q];
    r = r * u + s;
  }
  return r;
}
