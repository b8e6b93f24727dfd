/**
 * Dense bivariate polynomials f(u, v) = Σ c[p][q] uᵖ vᵠ with p + q ≤ order, the shape shared
 * by SIP (Shupe et al. 2005) and the non-radial part of TPV. Coefficients are stored in a
 * Float64Array of (order+1)² entries, c[p·(order+1) + q]; terms with p + q > order are zero.
 */

export interface DensePoly {
  readonly order: number;
  readonly c: Float64Array;
}

export function emptyPoly(order: number): DensePoly {
  return { order, c: new Float64Array((order + 1) * (order + 1)) };
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

/**
 * f and its partial derivatives at (u, v), written to out[0] = f, out[1] = ∂f/∂u,
 * out[2] = ∂f/∂v (for Newton inversions).
 */
export function evalPolyGrad(poly: DensePoly, u: number, v: number, out: Float64Array): void {
  const n = poly.order;
  const c = poly.c;
  const stride = n + 1;
  let f = 0;
  let fu = 0;
  let fv = 0;
  for (let p = n; p >= 0; p--) {
    const row = p * stride;
    // Row polynomial s(v) = Σ_q c[p][q] vᵠ and its derivative, by Horner.
    let s = 0;
    let sv = 0;
    for (let q = n - p; q >= 0; q--) {
      sv = sv * v + s;
      s = s * v + c[row + q];
    }
    // f = Σₚ uᵖ s_p(v): Horner in u, carrying ∂/∂u and ∂/∂v.
    fu = fu * u + f;
    f = f * u + s;
    fv = fv * u + sv;
  }
  out[0] = f;
  out[1] = fu;
  out[2] = fv;
}

/** True when every coefficient is zero. */
export function isZeroPoly(poly: DensePoly): boolean {
  for (let i = 0; i < poly.c.length; i++) if (poly.c[i] !== 0) return false;
  return true;
}
