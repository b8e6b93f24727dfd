/**
 * Bounding ellipsoids for nested sampling (Mukherjee, Parkinson & Liddle 2006; Shaw,
 * Bridges & Hobson 2007; Feroz, Hobson & Bridges 2009).
 *
 * An ellipsoid is {x : (x − c)ᵀ A⁻¹ (x − c) ≤ 1}, held as its centre c and the Cholesky
 * factor L of A (A = L Lᵀ): containment is |L⁻¹(x − c)|² ≤ 1, a uniform draw is c + L y with
 * y uniform in the unit ball, and the volume is V_n · det L.
 *
 * The bound of a point set is the sample covariance scaled until every point is inside,
 * then enlarged by a constant volume factor (the true iso-likelihood contour sticks out
 * of the points' hull) and never smaller than the prior volume the points are expected to
 * occupy (Feroz et al. 2009: X_i·n_k/N). The multi-ellipsoid bound splits a set with
 * 2-means and recurses while the split pays, i.e. the pieces together take less than half
 * the parent's volume (the recursive scheme of Feroz et al. 2009 §5.2 and Speagle 2020
 * §4.1.3); see `split` for the test.
 */
import { cholesky, logDetFromCholesky, logUnitBallVolume, rowCovariance } from './linalg.js';
import type { Rng } from './random.js';

export interface Ellipsoid {
  nDim: number;
  center: Float64Array;
  /** Lower Cholesky factor of the shape matrix A. */
  chol: Float64Array;
  logVolume: number;
}

export interface BoundOptions {
  /** Volume enlargement factor applied to every final ellipsoid (≥ 1). */
  enlarge: number;
  /** log of the expected prior volume per live point (log X − log N). */
  logPointVolume: number;
}

/** Squared Mahalanobis radius |L⁻¹(x − c)|² of x (row `o` of `x`) using scratch `tmp`. */
export function ellipsoidRadius2(e: Ellipsoid, x: Float64Array, o: number, tmp: Float64Array): number {
  const n = e.nDim;
  const l = e.chol;
  let r2 = 0;
  for (let i = 0; i < n; i++) {
    let s = x[o + i] - e.center[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * tmp[k];
    const y = s / l[i * n + i];
    tmp[i] = y;
    r2 += y * y;
  }
  return r2;
}

/** Uniform draw inside the ellipsoid into `out` (scratch `y` of length nDim). */
export function sampleEllipsoid(e: Ellipsoid, rng: Rng, out: Float64Array, y: Float64Array): void {
  const n = e.nDim;
  let norm2 = 0;
  for (let i = 0; i < n; i++) {
    const g = rng.normal();
    y[i] = g;
    norm2 += g * g;
  }
  // Direction uniform on the sphere, radius with density ∝ r^(n−1): r = u^(1/n).
  const r = Math.pow(rng.uniform(), 1 / n) / Math.sqrt(norm2);
  for (let i = 0; i < n; i++) y[i] *= r;
  const l = e.chol;
  for (let i = 0; i < n; i++) {
    let s = e.center[i];
    for (let k = 0; k <= i; k++) s += l[i * n + k] * y[k];
    out[i] = s;
  }
}

/** Multiplies the ellipsoid's volume by exp(logFactor) (scales L by exp(logFactor/n)). */
function scaleVolume(e: Ellipsoid, logFactor: number): void {
  const f = Math.exp(logFactor / e.nDim);
  for (let i = 0; i < e.chol.length; i++) e.chol[i] *= f;
  e.logVolume += logFactor;
}

/**
 * Smallest ellipsoid of the covariance's shape containing the points `index[0..count)`
 * of `points` (nDim per row), with the expected-volume floor; not yet enlarged.
 */
export function boundingEllipsoid(points: Float64Array, index: Int32Array, count: number, nDim: number, logMinVolume: number): Ellipsoid {
  const center = new Float64Array(nDim);
  for (let k = 0; k < count; k++) {
    const o = index[k] * nDim;
    for (let d = 0; d < nDim; d++) center[d] += points[o + d];
  }
  for (let d = 0; d < nDim; d++) center[d] /= count;
  const chol = new Float64Array(nDim * nDim);
  if (count <= nDim) {
    // Too few points to define a shape (a small mode at the edge of a split): a sphere.
    let r2 = 0;
    for (let k = 0; k < count; k++) {
      let s = 0;
      for (let d = 0; d < nDim; d++) s += (points[index[k] * nDim + d] - center[d]) ** 2;
      r2 = Math.max(r2, s);
    }
    const r = Math.max(Math.sqrt(r2), 1e-12);
    for (let d = 0; d < nDim; d++) chol[d * nDim + d] = r;
    const e: Ellipsoid = { nDim, center, chol, logVolume: logUnitBallVolume(nDim) + nDim * Math.log(r) };
    if (e.logVolume < logMinVolume) scaleVolume(e, logMinVolume - e.logVolume);
    return e;
  }
  const cov = rowCovariance(points, count, nDim, center, new Float64Array(nDim * nDim), index);
  // Coplanar points: regularise the covariance with a small multiple of its trace.
  let trace = 0;
  for (let d = 0; d < nDim; d++) trace += cov[d * nDim + d];
  let jitter = Math.max(trace / nDim, 1e-300) * 1e-10;
  while (!cholesky(cov, nDim, chol)) {
    for (let d = 0; d < nDim; d++) cov[d * nDim + d] += jitter;
    jitter *= 10;
  }
  const e: Ellipsoid = { nDim, center, chol, logVolume: logUnitBallVolume(nDim) + 0.5 * logDetFromCholesky(chol, nDim) };
  const tmp = new Float64Array(nDim);
  let r2max = 0;
  for (let k = 0; k < count; k++) r2max = Math.max(r2max, ellipsoidRadius2(e, points, index[k] * nDim, tmp));
  if (r2max > 0) scaleVolume(e, (nDim / 2) * Math.log(r2max));
  if (e.logVolume < logMinVolume) scaleVolume(e, logMinVolume - e.logVolume);
  return e;
}

/** A single bounding ellipsoid of all points, enlarged. */
export function singleBound(points: Float64Array, count: number, nDim: number, options: BoundOptions): Ellipsoid[] {
  const index = new Int32Array(count);
  for (let i = 0; i < count; i++) index[i] = i;
  const e = boundingEllipsoid(points, index, count, nDim, options.logPointVolume + Math.log(count));
  scaleVolume(e, Math.log(options.enlarge));
  return [e];
}

/** Recursive multi-ellipsoid decomposition of all points, each ellipsoid enlarged. */
export function multiBound(points: Float64Array, count: number, nDim: number, options: BoundOptions): Ellipsoid[] {
  const index = new Int32Array(count);
  for (let i = 0; i < count; i++) index[i] = i;
  const out: Ellipsoid[] = [];
  const root = boundingEllipsoid(points, index, count, nDim, options.logPointVolume + Math.log(count));
  split(points, index, root, nDim, options, out, 0);
  for (const e of out) scaleVolume(e, Math.log(options.enlarge));
  return out;
}

const MAX_DEPTH = 32;

function split(points: Float64Array, index: Int32Array, parent: Ellipsoid, nDim: number, options: BoundOptions, out: Ellipsoid[], depth: number): void {
  const count = index.length;
  const minPoints = nDim + 1;
  if (count < 2 * minPoints || depth >= MAX_DEPTH) {
    out.push(parent);
    return;
  }
  const labels = twoMeans(points, index, parent, nDim);
  let nA = 0;
  for (let k = 0; k < count; k++) nA += labels[k] === 0 ? 1 : 0;
  const nB = count - nA;
  if (nA === 0 || nB === 0) {
    out.push(parent);
    return;
  }
  const ia = new Int32Array(nA);
  const ib = new Int32Array(nB);
  for (let k = 0, a = 0, b = 0; k < count; k++) {
    if (labels[k] === 0) ia[a++] = index[k];
    else ib[b++] = index[k];
  }
  const ea = boundingEllipsoid(points, ia, nA, nDim, options.logPointVolume + Math.log(nA));
  const eb = boundingEllipsoid(points, ib, nB, nDim, options.logPointVolume + Math.log(nB));
  // Accept the split when the children take < ½ the parent's volume. If they do not, but
  // the parent is much larger than its points are expected to fill, there may be more than
  // two clusters (a lattice of modes splits badly in two): split the children recursively
  // and keep the result if the whole decomposition takes < ½ the parent's volume.
  if (logAddExp(ea.logVolume, eb.logVolume) < parent.logVolume - Math.LN2) {
    split(points, ia, ea, nDim, options, out, depth + 1);
    split(points, ib, eb, nDim, options, out, depth + 1);
    return;
  }
  const logExpected = options.logPointVolume + Math.log(count);
  if (parent.logVolume < logExpected + Math.LN2) {
    out.push(parent);
    return;
  }
  const deeper: Ellipsoid[] = [];
  split(points, ia, ea, nDim, options, deeper, depth + 1);
  split(points, ib, eb, nDim, options, deeper, depth + 1);
  let logTotal = -Infinity;
  for (const e of deeper) logTotal = logAddExp(logTotal, e.logVolume);
  if (logTotal < parent.logVolume - Math.LN2) out.push(...deeper);
  else out.push(parent);
}

/**
 * 2-means clustering in the unit-cube coordinates (where the prior is uniform, as Feroz et
 * al. 2009 do), started from the extreme points along the principal axis of the set.
 * (Whitening by the parent ellipsoid would make that axis undefined.)
 */
function twoMeans(points: Float64Array, index: Int32Array, _parent: Ellipsoid, nDim: number): Uint8Array {
  const count = index.length;
  const w = new Float64Array(count * nDim);
  for (let k = 0; k < count; k++) w.set(points.subarray(index[k] * nDim, index[k] * nDim + nDim), k * nDim);
  // Principal axis of the whitened points by power iteration on their scatter matrix.
  const scatter = new Float64Array(nDim * nDim);
  const mean = new Float64Array(nDim);
  for (let k = 0; k < count; k++) for (let d = 0; d < nDim; d++) mean[d] += w[k * nDim + d] / count;
  for (let k = 0; k < count; k++) {
    for (let a = 0; a < nDim; a++) {
      const da = w[k * nDim + a] - mean[a];
      for (let b = 0; b < nDim; b++) scatter[a * nDim + b] += da * (w[k * nDim + b] - mean[b]);
    }
  }
  const v = new Float64Array(nDim);
  for (let d = 0; d < nDim; d++) v[d] = 1 / Math.sqrt(nDim) + d * 1e-3;
  const v2 = new Float64Array(nDim);
  for (let it = 0; it < 50; it++) {
    let norm = 0;
    for (let a = 0; a < nDim; a++) {
      let s = 0;
      for (let b = 0; b < nDim; b++) s += scatter[a * nDim + b] * v[b];
      v2[a] = s;
      norm += s * s;
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0)) break;
    for (let a = 0; a < nDim; a++) v2[a] /= norm;
    v.set(v2);
  }
  let kMin = 0;
  let kMax = 0;
  let pMin = Infinity;
  let pMax = -Infinity;
  for (let k = 0; k < count; k++) {
    let p = 0;
    for (let d = 0; d < nDim; d++) p += w[k * nDim + d] * v[d];
    if (p < pMin) {
      pMin = p;
      kMin = k;
    }
    if (p > pMax) {
      pMax = p;
      kMax = k;
    }
  }
  const c0 = w.slice(kMin * nDim, kMin * nDim + nDim);
  const c1 = w.slice(kMax * nDim, kMax * nDim + nDim);
  const labels = new Uint8Array(count);
  for (let it = 0; it < 100; it++) {
    let changed = it === 0;
    for (let k = 0; k < count; k++) {
      let d0 = 0;
      let d1 = 0;
      for (let d = 0; d < nDim; d++) {
        const x = w[k * nDim + d];
        d0 += (x - c0[d]) ** 2;
        d1 += (x - c1[d]) ** 2;
      }
      const lab = d1 < d0 ? 1 : 0;
      if (lab !== labels[k]) {
        labels[k] = lab;
        changed = true;
      }
    }
    if (!changed) break;
    c0.fill(0);
    c1.fill(0);
    let n0 = 0;
    let n1 = 0;
    for (let k = 0; k < count; k++) {
      const c = labels[k] === 0 ? c0 : c1;
      for (let d = 0; d < nDim; d++) c[d] += w[k * nDim + d];
      if (labels[k] === 0) n0++;
      else n1++;
    }
    if (n0 === 0 || n1 === 0) break;
    for (let d = 0; d < nDim; d++) {
      c0[d] /= n0;
      c1[d] /= n1;
    }
  }
  return labels;
}

export function logAddExp(a: number, b: number): number {
  if (a === -Infinity) return b;
  if (b === -Infinity) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}
