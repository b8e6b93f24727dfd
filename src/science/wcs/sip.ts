/**
 * Simple Imaging Polynomial distortion (Shupe et al. 2005, "The SIP Convention for
 * Representing Distortion in FITS Image Headers").
 *
 * With u, v the pixel offsets from CRPIX, the forward model is
 *   x = CD · (u + f(u, v), v + g(u, v)),   f = Σ A_p_q uᵖ vᵠ,  g = Σ B_p_q uᵖ vᵠ  (p + q ≤ A_ORDER)
 * and the optional inverse polynomials map intermediate pixel offsets U, V = CD⁻¹ · x back:
 *   u = U + Σ AP_p_q Uᵖ Vᵠ,   v = V + Σ BP_p_q Uᵖ Vᵠ.
 */
import { derivativeU, derivativeV, emptyPoly, fastPoly, type DensePoly, type FastPoly } from './poly.js';
import type { KeywordReader } from './keywords.js';

export interface SipTerm {
  readonly p: number;
  readonly q: number;
  readonly value: number;
}

export interface SipPolynomial {
  /** A_ORDER (or B_ORDER, AP_ORDER, BP_ORDER). */
  readonly order: number;
  /** The coefficients present in the header (absent ones are zero), in (p, q) order. */
  readonly terms: readonly SipTerm[];
}

export interface Sip {
  readonly a: SipPolynomial;
  readonly b: SipPolynomial;
  /** Inverse polynomials; when absent, sky → pixel inverts A/B by Newton's method. */
  readonly ap?: SipPolynomial;
  readonly bp?: SipPolynomial;
}

/** Orders above this are treated as corrupt (real SIP solutions stop around 7). */
export const MAX_SIP_ORDER = 20;

/** Reads the SIP keywords; undefined when A_ORDER and B_ORDER are both absent. */
export function readSip(kw: KeywordReader): Sip | undefined {
  const hasA = kw.has('A_ORDER');
  const hasB = kw.has('B_ORDER');
  if (!hasA && !hasB) return undefined;
  if (!hasA) throw kw.error('MISSING_CARD', 'A_ORDER', 'B_ORDER is present but A_ORDER is missing (SIP needs both)');
  if (!hasB) throw kw.error('MISSING_CARD', 'B_ORDER', 'A_ORDER is present but B_ORDER is missing (SIP needs both)');
  const a = readPolynomial(kw, 'A');
  const b = readPolynomial(kw, 'B');
  const hasAp = kw.has('AP_ORDER');
  const hasBp = kw.has('BP_ORDER');
  if (hasAp !== hasBp) {
    const missing = hasAp ? 'BP_ORDER' : 'AP_ORDER';
    throw kw.error('MISSING_CARD', missing, `${hasAp ? 'AP_ORDER' : 'BP_ORDER'} is present but ${missing} is missing`);
  }
  if (!hasAp) return { a: a!, b: b! };
  return { a: a!, b: b!, ap: readPolynomial(kw, 'AP'), bp: readPolynomial(kw, 'BP') };
}

function readPolynomial(kw: KeywordReader, prefix: 'A' | 'B' | 'AP' | 'BP'): SipPolynomial | undefined {
  const orderKey = `${prefix}_ORDER`;
  const order = kw.int(orderKey);
  if (order === undefined) return undefined;
  if (order < 0 || order > MAX_SIP_ORDER) {
    throw kw.error('BAD_VALUE', orderKey, `SIP order ${order} is outside 0..${MAX_SIP_ORDER}`);
  }
  const terms: SipTerm[] = [];
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order - p; q++) {
      const value = kw.number(`${prefix}_${p}_${q}`);
      if (value !== undefined) terms.push({ p, q, value });
    }
  }
  return { order, terms };
}

/** Dense form of a SIP polynomial for evaluation. */
export function densePoly(poly: SipPolynomial): DensePoly {
  const d = emptyPoly(poly.order);
  const stride = poly.order + 1;
  for (const t of poly.terms) if (t.p + t.q <= poly.order) d.c[t.p * stride + t.q] = t.value;
  return d;
}

/** Kernel form of a SIP solution: dense polynomials with evaluators, and A/B derivatives for Newton. */
export interface SipKernel {
  readonly a: FastPoly;
  readonly b: FastPoly;
  readonly ap: FastPoly | null;
  readonly bp: FastPoly | null;
  readonly aU: FastPoly;
  readonly aV: FastPoly;
  readonly bU: FastPoly;
  readonly bV: FastPoly;
}

export function sipKernel(sip: Sip): SipKernel {
  const a = densePoly(sip.a);
  const b = densePoly(sip.b);
  return {
    a: fastPoly(a),
    b: fastPoly(b),
    ap: sip.ap ? fastPoly(densePoly(sip.ap)) : null,
    bp: sip.bp ? fastPoly(densePoly(sip.bp)) : null,
    aU: fastPoly(derivativeU(a)),
    aV: fastPoly(derivativeV(a)),
    bU: fastPoly(derivativeU(b)),
    bV: fastPoly(derivativeV(b)),
  };
}

/**
 * Newton stops after a step smaller than this (px). Convergence is quadratic, so the error
 * left is ~K·step² with K = |f''|/(2|1 + f'|) (≲ 1e-3 /px for real optics): far below 1e-8 px.
 */
export const SIP_NEWTON_STOP_PX = 1e-6;
const NEWTON_MAX_ITER = 50;

/**
 * Solves u + f(u, v) = U, v + g(u, v) = V for (u, v) by Newton's method. In: io = [U, V, u0,
 * v0] (u0, v0 the first guess); out: io[0..1] = (u, v), NaN when it does not converge.
 * (Numbers travel in an array so that calls from the loops box nothing.)
 */
export function sipInvertNewton(k: SipKernel, io: Float64Array): void {
  const { a, b, aU, aV, bU, bV } = k;
  const U = io[0];
  const V = io[1];
  let u = io[2];
  let v = io[3];
  for (let it = 0; it < NEWTON_MAX_ITER; it++) {
    const ru = u + a.f(a.c, u, v) - U;
    const rv = v + b.f(b.c, u, v) - V;
    const j00 = 1 + aU.f(aU.c, u, v);
    const j01 = aV.f(aV.c, u, v);
    const j10 = bU.f(bU.c, u, v);
    const j11 = 1 + bV.f(bV.c, u, v);
    const det = j00 * j11 - j01 * j10;
    const du = (j11 * ru - j01 * rv) / det;
    const dv = (j00 * rv - j10 * ru) / det;
    u -= du;
    v -= dv;
    if (!(Math.abs(du) + Math.abs(dv) < SIP_NEWTON_STOP_PX)) {
      if (Number.isFinite(u) && Number.isFinite(v)) continue;
      break;
    }
    io[0] = u;
    io[1] = v;
    return;
  }
  io[0] = NaN;
  io[1] = NaN;
}
