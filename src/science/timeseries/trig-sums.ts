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
 * Our FFT grid is N = R·L with L = 2^⌈log2 M⌉ and R = ⌈oversampling·M/L⌉, handled as R
 * interleaved sub-grids g_r[j] = g[R·j + r] ("polyphase"): S[k] = Σ_r exp(2πi r k/N) ·
 * FFT_L(g_r)[k] for k < M ≤ L. The R transforms of length L are independent — they are the
 * unit of parallel work — and N need not be a power of two, so N is closer to
 * oversampling·M than astropy's next power of two.
 *
 * Times should be shifted to start near zero (the periodogram is invariant to a time
 * shift), which keeps f·t and hence the phases accurate.
 */
import { FftPlan } from './fft.js';

/** Frequencies per block of the exact recurrences (re-seeded with exact cos/sin at each block start). */
const EXACT_FREQ_BLOCK = 512;
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
  for (let ka = k0; ka < k1; ka += EXACT_FREQ_BLOCK) {
    const kb = Math.min(k1, ka + EXACT_FREQ_BLOCK);
    const fa = f0 + ka * df;
    for (let ia = 0; ia < n; ia += pb) {
      const ib = Math.min(n, ia + pb);
      for (let i = ia; i < ib; i++) {
        const a = cycles(fa * t[i]);
        cs[i - ia] = Math.cos(a);
        sn[i - ia] = Math.sin(a);
      }
      if (acc === null) blockNterms1(w, wy, dc, ds, cs, sn, ia, ib, ka - outK0, kb - outK0, out, q0, len);
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
  for (let j = ja; j < jb; j++) {
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
  /** Minimum ratio of FFT grid nodes to output frequencies (default 5, as astropy). */
  oversampling: number;
  /** Lagrange extirpolation order: nodes per point (default 6; astropy uses 4 on a finer grid). */
  order: number;
}

export const DEFAULT_FAST_SETTINGS: FastSumSettings = { oversampling: 5, order: 6 };

/** FFT geometry for M output frequencies: sub-grid length L (power of two), R sub-grids, N = R·L nodes. */
export interface FastGeometry {
  subLength: number;
  subGrids: number;
  nodes: number;
}

export function fastGeometry(count: number, oversampling: number): FastGeometry {
  let subLength = 16;
  while (subLength < count) subLength *= 2;
  const subGrids = Math.max(1, Math.ceil((oversampling * count) / subLength));
  return { subLength, subGrids, nodes: subLength * subGrids };
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

/**
 * Fast sums of one weight vector `h` on the grid fStart + k·fStep (k < count), restricted
 * to the polyphase sub-grids r ∈ [rFrom, rTo): their contributions are added into
 * outRe/outIm (length ≥ count). Summing over all r in [0, R) gives the full sums, so the
 * sub-grids can be split between threads.
 */
export function fastSumsPartial(
  t: Float64Array,
  h: Float64Array,
  fStart: number,
  fStep: number,
  count: number,
  settings: FastSumSettings,
  rFrom: number,
  rTo: number,
  outRe: Float64Array,
  outIm: Float64Array,
  scratch?: FastScratch,
): void {
  const { subLength: L, subGrids: R, nodes: N } = fastGeometry(count, settings.oversampling);
  const order = settings.order;
  const plan = fftPlanFor(L);
  const rev = plan.reversal();
  const sc = scratch && scratch.re.length === L ? scratch : fastScratch(L);
  const gRe = sc.re;
  const gIm = sc.im;
  const n = t.length;
  // Per point: complex weight h·exp(2πi fStart t), first node, and its Lagrange weights
  // for the grid position x = N·frac(fStep t) (a point on a node gets weight 1 there).
  const denom = lagrangeDenominators(order);
  const half = Math.floor((order - 1) / 2);
  const wRe = new Float64Array(n);
  const wIm = new Float64Array(n);
  const firstNode = new Int32Array(n);
  const lag = new Float64Array(n * order);
  const one = new Float64Array(order);
  for (let i = 0; i < n; i++) {
    const hi = h[i];
    const ti = t[i];
    const a = cycles(fStart * ti);
    wRe[i] = hi * Math.cos(a);
    wIm[i] = hi * Math.sin(a);
    let u = fStep * ti;
    u -= Math.floor(u);
    const x = u * N;
    const ix = Math.min(Math.floor(x), N - 1);
    firstNode[i] = ix - half;
    if (x === ix) {
      one.fill(0);
      one[half] = 1;
      lag.set(one, i * order);
    } else {
      lagrangeWeights(x - (ix - half), order, denom, lag, i * order);
    }
  }
  for (let r = rFrom; r < rTo; r++) {
    gRe.fill(0);
    gIm.fill(0);
    for (let i = 0; i < n; i++) {
      const wr = wRe[i];
      const wi = wIm[i];
      if (wr === 0 && wi === 0) continue;
      const first = firstNode[i];
      // The first of this point's nodes that lies on sub-grid r.
      let q = (((r - first) % R) + R) % R;
      for (; q < order; q += R) {
        let p = first + q;
        if (p < 0) p += N;
        else if (p >= N) p -= N;
        const lw = lag[i * order + q];
        const slot = rev[(p - r) / R];
        gRe[slot] += lw * wr;
        gIm[slot] += lw * wi;
      }
    }
    plan.transformBitReversed(gRe, gIm, 1);
    // Twiddle exp(2πi r k / N) by rotation, re-seeded every 256 steps.
    const step = cycles(r / N);
    const stepC = Math.cos(step);
    const stepS = Math.sin(step);
    let c = 1;
    let s = 0;
    for (let k = 0; k < count; k++) {
      if ((k & 255) === 0) {
        const a = cycles(((r * k) % N) / N);
        c = Math.cos(a);
        s = Math.sin(a);
      }
      const gr = gRe[k];
      const gi = gIm[k];
      outRe[k] += gr * c - gi * s;
      outIm[k] += gr * s + gi * c;
      const cn = c * stepC - s * stepS;
      s = c * stepS + s * stepC;
      c = cn;
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
