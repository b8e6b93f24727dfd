/**
 * Trigonometric sums over a regular frequency grid, the raw material of every
 * least-squares periodogram here:
 *
 *     S_h^{(m)}[k] = Σ_i h_i · exp(2πi · m · f_k · t_i),   f_k = f0 + k·df,
 *
 * for weights h (w_i or w_i·y_i) and harmonics m = 1, 2, … Two ways to get them:
 *
 * - exact, O(N·M): cos/sin of m·2πf_k·t_i by rotation recurrences along k (one complex
 *   multiplication per point and frequency, harmonics by complex powers), re-seeded with
 *   exact cos/sin at the start of every block of frequencies so rounding cannot drift;
 * - fast, O(N·order + M log M): Press & Rybicki (1989, ApJ 338, 277) "extirpolation":
 *   each point's weight is spread onto `order` neighbouring nodes of a regular grid with
 *   the Lagrange interpolation weights of its position (the transpose of interpolation,
 *   so that Σ_j g_j exp(2πi k j/N) reproduces Σ_i h_i exp(2πi k x_i/N) up to the
 *   interpolation error), then one FFT gives all the sums at once. The grid has
 *   N ≥ oversampling·M nodes so the frequencies wanted are well below its Nyquist limit.
 *
 * Our FFT grid has N = R·L nodes with L a power of two and N ≥ oversampling·M; the points
 * are extirpolated once, then the output indices are split by residue mod R, and each
 * residue is a phase ramp over the occupied nodes, a fold onto L nodes and one FFT of
 * length L (see fastSumsResidues). The R transforms are independent — the unit of
 * parallel work — and N need not be a power of two, so N stays close to oversampling·M
 * instead of astropy's next power of two above it.
 *
 * Times should be shifted to start near zero (the periodogram is invariant to a time
 * shift), which keeps f·t and hence the phases accurate.
 */
import { FftPlan } from './fft.js';

/** Frequencies per block of the exact recurrences (re-seeded with exact cos/sin at each block start). */
export const EXACT_FREQ_BLOCK = 512;
/** Points per block of the exact recurrences (their state stays in L1). */
const EXACT_POINT_BLOCK = 512;

/** 2π·frac(x): the angle of x cycles, reduced first so large phases keep their accuracy. */
function cycles(x: number): number {
  return 2 * Math.PI * (x - Math.round(x));
}

/**
 * Exact sums of one band for the grid frequencies k0 ≤ k < k1: weights `w` at harmonics
 * 1…2H and weights `wy` at harmonics 1…H, added into `out`. Layout of `out` (as used by
 * the periodograms): request q = q0 + j with j < 2H for w@(j+1) and 2H ≤ j < 3H for
 * wy@(j−2H+1); real part of request q at out[(2q)·len + k − outK0], imaginary at
 * out[(2q+1)·len + k − outK0]. By default the block [k0, k1) fills `out` from index 0.
 */
export function exactSums(
  t: Float64Array,
  w: Float64Array,
  wy: Float64Array,
  nterms: number,
  f0: number,
  df: number,
  k0: number,
  k1: number,
  out: Float64Array,
  q0 = 0,
  len = k1 - k0,
  outK0 = k0,
): void {
  const n = t.length;
  const pb = Math.min(EXACT_POINT_BLOCK, n);
  const cs = new Float64Array(pb);
  const sn = new Float64Array(pb);
  const dc = new Float64Array(n);
  const ds = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = cycles(df * t[i]);
    dc[i] = Math.cos(a);
    ds[i] = Math.sin(a);
  }
  const acc = nterms === 1 ? null : new Float64Array(6 * nterms);
  // Blocks end on multiples of EXACT_FREQ_BLOCK, so a split job re-seeds where a whole one does.
  for (let ka = k0; ka < k1; ka = (Math.floor(ka / EXACT_FREQ_BLOCK) + 1) * EXACT_FREQ_BLOCK) {
    const kb = Math.min(k1, (Math.floor(ka / EXACT_FREQ_BLOCK) + 1) * EXACT_FREQ_BLOCK);
    const fa = f0 + ka * df;
    for (let ia = 0; ia < n; ia += pb) {
      const ib = Math.min(n, ia + pb);
      for (let i = ia; i < ib; i++) {
        const a = cycles(fa * t[i]);
        cs[i - ia] = Math.cos(a);
        sn[i - ia] = Math.sin(a);
      }
      if (acc === null) blockNterms1(w, wy, dc, ds, cs, sn, ia, ib, ka - outK0, kb - outK0, out, q0, len);
      else if (nterms === 2) blockNterms2(w, wy, dc, ds, cs, sn, ia, ib, ka - outK0, kb - outK0, out, q0, len);
      else blockGeneral(w, wy, dc, ds, cs, sn, ia, ib, ka - outK0, kb - outK0, out, q0, len, nterms, acc);
    }
  }
}

/** The hot loop for the one-term periodogram: w@1, w@2, wy@1 (requests q0, q0+1, q0+2). */
function blockNterms1(
  w: Float64Array,
  wy: Float64Array,
  dc: Float64Array,
  ds: Float64Array,
  cs: Float64Array,
  sn: Float64Array,
  ia: number,
  ib: number,
  ja: number,
  jb: number,
  out: Float64Array,
  q0: number,
  len: number,
): void {
  const o1r = 2 * q0 * len;
  const o1i = o1r + len;
  const o2r = o1i + len;
  const o2i = o2r + len;
  const o3r = o2i + len;
  const o3i = o3r + len;
  let j = ja;
  // Two frequencies per pass over the points: half the loads and stores of the state.
  for (; j + 1 < jb; j += 2) {
    let sC = 0;
    let sS = 0;
    let sC2 = 0;
    let sS2 = 0;
    let sYC = 0;
    let sYS = 0;
    let tC = 0;
    let tS = 0;
    let tC2 = 0;
    let tS2 = 0;
    let tYC = 0;
    let tYS = 0;
    for (let i = ia; i < ib; i++) {
      const p = i - ia;
      const c = cs[p];
      const s = sn[p];
      const wi = w[i];
      const yi = wy[i];
      const ci = dc[i];
      const si = ds[i];
      sC += wi * c;
      sS += wi * s;
      sC2 += wi * (c * c - s * s);
      sS2 += wi * (2 * c * s);
      sYC += yi * c;
      sYS += yi * s;
      const c1 = c * ci - s * si;
      const s1 = c * si + s * ci;
      tC += wi * c1;
      tS += wi * s1;
      tC2 += wi * (c1 * c1 - s1 * s1);
      tS2 += wi * (2 * c1 * s1);
      tYC += yi * c1;
      tYS += yi * s1;
      cs[p] = c1 * ci - s1 * si;
      sn[p] = c1 * si + s1 * ci;
    }
    out[o1r + j] += sC;
    out[o1i + j] += sS;
    out[o2r + j] += sC2;
    out[o2i + j] += sS2;
    out[o3r + j] += sYC;
    out[o3i + j] += sYS;
    out[o1r + j + 1] += tC;
    out[o1i + j + 1] += tS;
    out[o2r + j + 1] += tC2;
    out[o2i + j + 1] += tS2;
    out[o3r + j + 1] += tYC;
    out[o3i + j + 1] += tYS;
  }
  for (; j < jb; j++) {
    let sC = 0;
    let sS = 0;
    let sC2 = 0;
    let sS2 = 0;
    let sYC = 0;
    let sYS = 0;
    for (let i = ia; i < ib; i++) {
      const p = i - ia;
      const c = cs[p];
      const s = sn[p];
      const wi = w[i];
      const yi = wy[i];
      sC += wi * c;
      sS += wi * s;
      sC2 += wi * (c * c - s * s);
      sS2 += wi * (2 * c * s);
      sYC += yi * c;
      sYS += yi * s;
      const ci = dc[i];
      const si = ds[i];
      cs[p] = c * ci - s * si;
      sn[p] = c * si + s * ci;
    }
    out[o1r + j] += sC;
    out[o1i + j] += sS;
    out[o2r + j] += sC2;
    out[o2i + j] += sS2;
    out[o3r + j] += sYC;
    out[o3i + j] += sYS;
  }
}

/** Two terms: w@1…4 and wy@1…2 (requests q0 … q0+5), harmonics by double-angle products. */
function blockNterms2(
  w: Float64Array,
  wy: Float64Array,
  dc: Float64Array,
  ds: Float64Array,
  cs: Float64Array,
  sn: Float64Array,
  ia: number,
  ib: number,
  ja: number,
  jb: number,
  out: Float64Array,
  q0: number,
  len: number,
): void {
  const o = 2 * q0 * len;
  for (let j = ja; j < jb; j++) {
    let a1 = 0;
    let b1 = 0;
    let a2 = 0;
    let b2 = 0;
    let a3 = 0;
    let b3 = 0;
    let a4 = 0;
    let b4 = 0;
    let y1 = 0;
    let z1 = 0;
    let y2 = 0;
    let z2 = 0;
    for (let i = ia; i < ib; i++) {
      const p = i - ia;
      const c = cs[p];
      const s = sn[p];
      const c2 = c * c - s * s;
      const s2 = 2 * c * s;
      const c3 = c2 * c - s2 * s;
      const s3 = s2 * c + c2 * s;
      const c4 = c2 * c2 - s2 * s2;
      const s4 = 2 * c2 * s2;
      const wi = w[i];
      const yi = wy[i];
      a1 += wi * c;
      b1 += wi * s;
      a2 += wi * c2;
      b2 += wi * s2;
      a3 += wi * c3;
      b3 += wi * s3;
      a4 += wi * c4;
      b4 += wi * s4;
      y1 += yi * c;
      z1 += yi * s;
      y2 += yi * c2;
      z2 += yi * s2;
      const ci = dc[i];
      const si = ds[i];
      cs[p] = c * ci - s * si;
      sn[p] = c * si + s * ci;
    }
    out[o + j] += a1;
    out[o + len + j] += b1;
    out[o + 2 * len + j] += a2;
    out[o + 3 * len + j] += b2;
    out[o + 4 * len + j] += a3;
    out[o + 5 * len + j] += b3;
    out[o + 6 * len + j] += a4;
    out[o + 7 * len + j] += b4;
    out[o + 8 * len + j] += y1;
    out[o + 9 * len + j] += z1;
    out[o + 10 * len + j] += y2;
    out[o + 11 * len + j] += z2;
  }
}

/** Any number of terms: harmonics of each point by complex powers of its base phasor. */
function blockGeneral(
  w: Float64Array,
  wy: Float64Array,
  dc: Float64Array,
  ds: Float64Array,
  cs: Float64Array,
  sn: Float64Array,
  ia: number,
  ib: number,
  ja: number,
  jb: number,
  out: Float64Array,
  q0: number,
  len: number,
  nterms: number,
  acc: Float64Array,
): void {
  const h2 = 2 * nterms;
  for (let j = ja; j < jb; j++) {
    acc.fill(0);
    for (let i = ia; i < ib; i++) {
      const p = i - ia;
      const c = cs[p];
      const s = sn[p];
      const wi = w[i];
      const yi = wy[i];
      let cm = c;
      let sm = s;
      for (let m = 0; m < h2; m++) {
        acc[2 * m] += wi * cm;
        acc[2 * m + 1] += wi * sm;
        if (m < nterms) {
          acc[2 * (h2 + m)] += yi * cm;
          acc[2 * (h2 + m) + 1] += yi * sm;
        }
        const cn = cm * c - sm * s;
        sm = cm * s + sm * c;
        cm = cn;
      }
      const ci = dc[i];
      const si = ds[i];
      cs[p] = c * ci - s * si;
      sn[p] = c * si + s * ci;
    }
    for (let q = 0; q < 3 * nterms; q++) {
      out[2 * (q0 + q) * len + j] += acc[2 * q];
      out[(2 * (q0 + q) + 1) * len + j] += acc[2 * q + 1];
    }
  }
}

/** Sums at arbitrary frequencies freqs[k], k0 ≤ k < k1 (no recurrence): the same layout. */
export function directSums(
  t: Float64Array,
  w: Float64Array,
  wy: Float64Array,
  nterms: number,
  freqs: Float64Array,
  k0: number,
  k1: number,
  out: Float64Array,
  q0: number,
  len: number,
): void {
  const h2 = 2 * nterms;
  for (let k = k0; k < k1; k++) {
    const f = freqs[k];
    for (let i = 0; i < t.length; i++) {
      const a = cycles(f * t[i]);
      const c = Math.cos(a);
      const s = Math.sin(a);
      let cm = c;
      let sm = s;
      for (let m = 0; m < h2; m++) {
        out[2 * (q0 + m) * len + k] += w[i] * cm;
        out[(2 * (q0 + m) + 1) * len + k] += w[i] * sm;
        if (m < nterms) {
          out[2 * (q0 + h2 + m) * len + k] += wy[i] * cm;
          out[(2 * (q0 + h2 + m) + 1) * len + k] += wy[i] * sm;
        }
        const cn = cm * c - sm * s;
        sm = cm * s + sm * c;
        cm = cn;
      }
    }
  }
}

/** Settings of the fast (extirpolation + FFT) sums. */
export interface FastSumSettings {
  /** Minimum ratio of FFT grid nodes to output frequencies (default 3.5). */
  oversampling: number;
  /** Lagrange extirpolation order: nodes per point (default 14). */
  order: number;
}

/**
 * Defaults chosen so the fast powers are at least as accurate as astropy's 'fast' method
 * (oversampling 5 rounded up to a power of two, order 4): with a coarser grid but a
 * higher order the worst error on our golden sets is 2–10 × smaller for 25–60 % fewer
 * FFT points. The extra extirpolation work is O(N·order), small beside the FFTs.
 */
export const DEFAULT_FAST_SETTINGS: FastSumSettings = { oversampling: 3.5, order: 14 };

/**
 * FFT geometry for M output frequencies: N = R·L grid nodes (N ≥ oversampling·M), handled as
 * R transforms of length L (a power of two), one per residue c of the output index mod R.
 */
export interface FastGeometry {
  subLength: number;
  residues: number;
  nodes: number;
}

/**
 * The (L, R) of least estimated cost, in FFT butterfly steps, for `nPoints` points
 * spanning `span` = fStep·(tMax − tMin) cycles of the grid step: the extirpolation once
 * (≈ 2 steps per point and node), then per residue a phase ramp over the occupied nodes
 * (≈ N·span of them, 3 steps each), clearing and reading L nodes, and one FFT of length L —
 * dearer once its 16·L bytes outgrow a core's L2 cache (2^16 points = 1 MiB).
 */
export function fastGeometry(count: number, settings: FastSumSettings, nPoints: number, span = 1): FastGeometry {
  const target = settings.oversampling * count;
  let best: FastGeometry = { subLength: 16, residues: Math.ceil(target / 16), nodes: 16 * Math.ceil(target / 16) };
  let bestCost = Infinity;
  for (let lg = 4; lg <= 24; lg++) {
    const L = 2 ** lg;
    const R = Math.max(1, Math.ceil(target / L));
    const N = R * L;
    const occupied = Math.min(N, N * Math.min(1, span) + settings.order + 3);
    const fft = L * lg * (lg > 16 ? 1 + 0.25 * (lg - 16) : 1);
    const cost = 2 * nPoints * settings.order + R * (fft + 3 * occupied + 2 * L) + count;
    if (cost < bestCost) {
      bestCost = cost;
      best = { subLength: L, residues: R, nodes: N };
    }
    if (R === 1) break;
  }
  return best;
}

/** Per-thread scratch for fast sums (reused across calls of the same sub-grid length). */
export interface FastScratch {
  re: Float64Array;
  im: Float64Array;
}

export function fastScratch(subLength: number): FastScratch {
  return { re: new Float64Array(subLength), im: new Float64Array(subLength) };
}

/** Immutable FFT plans by length: building one costs O(L) trig calls, so it is done once. */
const planMemo = new Map<number, FftPlan>();
const PLAN_MEMO_MAX = 8;

export function fftPlanFor(size: number): FftPlan {
  let plan = planMemo.get(size);
  if (plan === undefined) {
    plan = new FftPlan(size);
    if (planMemo.size >= PLAN_MEMO_MAX) planMemo.delete(planMemo.keys().next().value as number);
    planMemo.set(size, plan);
  }
  return plan;
}

/** Points extirpolated onto the occupied FFT grid nodes p ∈ [pLo, pLo + P) (mod N when `wraps`). */
export interface Extirpolated {
  vRe: Float64Array;
  vIm: Float64Array;
  pLo: number;
  wraps: boolean;
}

/**
 * Extirpolation of weights `h` with the phase factors exp(2πi fStart t) onto grid nodes
 * at positions x_i = N·fStep·t_i: each point is spread over `order` neighbouring nodes
 * with the Lagrange weights of its position. Without wrap-around (all fStep·t in [0, 1))
 * only the nodes the data reach are stored; otherwise positions are reduced mod N.
 */
export function extirpolate(t: Float64Array, h: Float64Array, fStart: number, fStep: number, order: number, geometry: FastGeometry): Extirpolated {
  const N = geometry.nodes;
  const n = t.length;
  const half = Math.floor((order - 1) / 2);
  let tMin = Infinity;
  let tMax = -Infinity;
  for (let i = 0; i < n; i++) {
    if (t[i] < tMin) tMin = t[i];
    if (t[i] > tMax) tMax = t[i];
  }
  const wraps = !(tMin >= 0 && fStep * tMax < 1 - 1e-12);
  const pLo = wraps ? 0 : Math.floor(N * fStep * tMin) - half - 1;
  const P = wraps ? N : Math.min(N + order + 2, Math.floor(N * fStep * tMax) + order + 3 - pLo);
  const vRe = new Float64Array(P);
  const vIm = new Float64Array(P);
  const denom = lagrangeDenominators(order);
  const lag = new Float64Array(order);
  for (let i = 0; i < n; i++) {
    const ti = t[i];
    const a = cycles(fStart * ti);
    const wr = h[i] * Math.cos(a);
    const wi = h[i] * Math.sin(a);
    let x: number;
    if (wraps) {
      let u = fStep * ti;
      u -= Math.floor(u);
      x = u * N;
    } else x = N * fStep * ti;
    const ix = Math.floor(x);
    const first = ix - half;
    if (x === ix) {
      lag.fill(0);
      lag[half] = 1;
    } else lagrangeWeights(x - first, order, denom, lag, 0);
    for (let q = 0; q < order; q++) {
      let p = first + q - pLo;
      if (wraps) p = ((p % N) + N) % N;
      vRe[p] += lag[q] * wr;
      vIm[p] += lag[q] * wi;
    }
  }
  return { vRe, vIm, pLo, wraps };
}

/**
 * Fast sums of one weight vector `h` on the grid fStart + k·fStep (k < count), for the
 * output indices k ≡ c (mod R) with c ∈ [cFrom, cTo); added into outRe/outIm (length ≥
 * count). Different residues write different k, so they can be split between threads.
 *
 * The points are extirpolated once onto grid nodes p (see extirpolate; pass `ext` to reuse
 * it). With k = R·a + c,
 *   exp(2πi p k/N) = exp(2πi p c/N) · exp(2πi p a/L),
 * so S[R·a + c] = FFT_L(G_c)[a] where G_c[p mod L] = Σ g_p·exp(2πi p c/N): per residue a
 * phase ramp over the occupied nodes (about N·fStep·T of them: usually far fewer than
 * N), one fold onto L nodes and one FFT of length L.
 */
export function fastSumsResidues(
  t: Float64Array,
  h: Float64Array,
  fStart: number,
  fStep: number,
  count: number,
  settings: FastSumSettings,
  cFrom: number,
  cTo: number,
  outRe: Float64Array,
  outIm: Float64Array,
  scratch?: FastScratch,
  geometry: FastGeometry = fastGeometry(count, settings, t.length),
  ext: Extirpolated = extirpolate(t, h, fStart, fStep, settings.order, geometry),
): void {
  const { subLength: L, residues: R, nodes: N } = geometry;
  const plan = fftPlanFor(L);
  const rev = plan.reversal();
  const sc = scratch && scratch.re.length === L ? scratch : fastScratch(L);
  const gRe = sc.re;
  const gIm = sc.im;
  const maskL = L - 1;
  const { vRe, vIm, pLo } = ext;
  const P = vRe.length;
  for (let c = cFrom; c < cTo; c++) {
    gRe.fill(0);
    gIm.fill(0);
    // Ramp exp(2πi p c/N) along p by rotation, re-seeded every 1024 nodes.
    const step = cycles(c / N);
    const stepC = Math.cos(step);
    const stepS = Math.sin(step);
    let er = 1;
    let ei = 0;
    for (let j = 0; j < P; j++) {
      const p = j + pLo;
      if ((j & 1023) === 0) {
        const b = cycles(((((p % N) + N) % N) * c) % N / N);
        er = Math.cos(b);
        ei = Math.sin(b);
      }
      const xr = vRe[j];
      const xi = vIm[j];
      const slot = p & maskL;
      gRe[slot] += xr * er - xi * ei;
      gIm[slot] += xr * ei + xi * er;
      const en = er * stepC - ei * stepS;
      ei = er * stepS + ei * stepC;
      er = en;
    }
    plan.transformToBitReversed(gRe, gIm, 1);
    for (let a = 0, k = c; k < count; a++, k += R) {
      const slot = rev[a];
      outRe[k] += gRe[slot];
      outIm[k] += gIm[slot];
    }
  }
}

/** 1 / Π_{l≠j}(j − l) for nodes 0…order−1. */
function lagrangeDenominators(order: number): Float64Array {
  const d = new Float64Array(order);
  for (let j = 0; j < order; j++) {
    let p = 1;
    for (let l = 0; l < order; l++) if (l !== j) p *= j - l;
    d[j] = 1 / p;
  }
  return d;
}

/** Lagrange weights of nodes 0…order−1 at u (not a node): Π_l(u − l) / ((u − j)·Π_{l≠j}(j − l)). */
function lagrangeWeights(u: number, order: number, denom: Float64Array, out: Float64Array, offset: number): void {
  let all = 1;
  for (let l = 0; l < order; l++) all *= u - l;
  for (let j = 0; j < order; j++) out[offset + j] = (all / (u - j)) * denom[j];
}
