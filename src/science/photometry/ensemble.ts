/**
 * Differential ensemble photometry, as amateurs measure variables and transits: the
 * target's brightness relative to a weighted set of comparison stars measured in the same
 * frames, so transparency, extinction and exposure changes cancel.
 *
 * Comparison stars are chosen among the frame's stars by closeness to the target in
 * magnitude, colour and position (the usual advice: similar brightness and colour, near the
 * target, never saturated or variable), and then by their own stability: each star's light
 * curve against the ensemble of the *others* (leave-one-out, so a star does not hide in its
 * own average) gives its excess variance v beyond its photometric errors; every star is
 * weighted by 1/(σ² + v) frame by frame, single discrepant points are clipped, and a star
 * whose excess scatter stands out from the others' and from its own noise (a variable) is
 * dropped, one at a time, until the set is stable.
 *
 * Per frame f the ensemble zero point is Z_f = Σ w d / Σ w with d = instMag − reference
 * magnitude, and the target's magnitude is instMag_target − Z_f, with
 * σ² = σ_target² + 1/Σ w. The reference magnitudes are the catalog's when every comparison
 * star has one (the result is then on the catalog system, with an optional colour term for
 * the target-versus-ensemble colour difference), else each star's median instrumental
 * magnitude (the result is a differential magnitude on an arbitrary zero point).
 */
import { angularSeparationDeg } from '../wcs/geometry.js';
import { MAD_TO_SIGMA, medianInPlace } from '../image/stats.js';
import { PhotometryError, requireFinite, requireLength } from './errors.js';

export interface EnsembleInput {
  nFrames: number;
  nStars: number;
  /** Instrumental magnitudes, frame-major: instMag[f · nStars + s]; NaN where unmeasured. */
  instMag: ArrayLike<number>;
  instMagErr: ArrayLike<number>;
  /** Index of the target star. */
  target: number;
  /** Catalog magnitude of each star (NaN where unknown). */
  catMag?: ArrayLike<number>;
  /** Catalog colour index of each star (NaN where unknown). */
  colour?: ArrayLike<number>;
  /** Sky positions (degrees), for the distance criterion… */
  raDeg?: ArrayLike<number>;
  decDeg?: ArrayLike<number>;
  /** …or pixel positions. */
  xPx?: ArrayLike<number>;
  yPx?: ArrayLike<number>;
}

export interface EnsembleOptions {
  /** Most comparison stars; default 12. */
  maxComparisons?: number;
  /** Largest |Δmag| from the target; default 2. */
  magRangeMag?: number;
  /** Largest |Δcolour| from the target (when both are known); default 1. */
  colourRangeMag?: number;
  /** Largest distance from the target: degrees with sky positions, pixels otherwise; default unlimited. */
  maxDistance?: number;
  /** Stars never used (known variables, saturated stars). */
  exclude?: ArrayLike<number>;
  /** Fraction of frames a comparison star must be measured in; default 0.8. */
  minCoverage?: number;
  /** Per-point clipping of a comparison star's residuals, in σ; default 4. */
  sigma?: number;
  /**
   * A comparison star is dropped as variable when its excess scatter exceeds this many
   * times the median excess scatter of the set, `minExcessMag`, and its own quoted noise
   * (χ²ν > 2); default 3.
   */
  variabilityRatio?: number;
  /** Excess scatter below this never marks a star variable, mag; default 0.005. */
  minExcessMag?: number;
  /** Colour term (catalog − instrumental per unit colour) for the target/ensemble colour difference; default 0. */
  colourTerm?: number;
  /** Stability iterations at most; default 30. */
  maxIters?: number;
  /** Fewest comparison stars kept; default 2. */
  minComparisons?: number;
}

export interface EnsembleResult {
  /** Target magnitude per frame (NaN where the target or every comparison star is missing). */
  mag: Float64Array;
  magErr: Float64Array;
  /** Ensemble zero point per frame Z_f (instMag − reference mag of the ensemble). */
  zeroPoint: Float64Array;
  zeroPointErr: Float64Array;
  /** 'catalog': mags on the catalog system; 'instrumental': differential, arbitrary zero. */
  scale: 'catalog' | 'instrumental';
  /** Stars chosen as comparisons (before the stability cuts), best candidates first. */
  candidates: Int32Array;
  /** Comparison stars in the final ensemble. */
  comparisons: Int32Array;
  /** Candidates dropped as variable, in the order they were dropped. */
  rejected: Int32Array;
  /** Per candidate (same order as `candidates`): rms about the leave-one-out ensemble, mag. */
  compRms: Float64Array;
  /** Per candidate: excess scatter √v beyond the photometric errors, mag. */
  compExcess: Float64Array;
  /** Per candidate: mean share of the ensemble weight (0 for rejected stars). */
  compWeight: Float64Array;
  /** Comparison-star points clipped as outliers. */
  clippedPoints: number;
  iterations: number;
}

/** Most frames × stars accepted (guards the working arrays). */
export const MAX_ENSEMBLE_CELLS = 200_000_000;

export function ensemblePhotometry(input: EnsembleInput, options: EnsembleOptions = {}): EnsembleResult {
  if (input === null || typeof input !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { nFrames, nStars, instMag, instMagErr, target }', { parameter: 'input' });
  const nF = input.nFrames;
  const nS = input.nStars;
  if (!Number.isInteger(nF) || nF < 1) throw new PhotometryError('BAD_ARGUMENT', `must be an integer ≥ 1, got ${String(nF)}`, { parameter: 'nFrames' });
  if (!Number.isInteger(nS) || nS < 2) throw new PhotometryError('BAD_ARGUMENT', `must be an integer ≥ 2, got ${String(nS)}`, { parameter: 'nStars' });
  if (nF * nS > MAX_ENSEMBLE_CELLS) throw new PhotometryError('BAD_ARGUMENT', `${nF} frames × ${nS} stars exceed ${MAX_ENSEMBLE_CELLS}`, { parameter: 'nStars' });
  requireLength(input.instMag, nF * nS, 'instMag');
  requireLength(input.instMagErr, nF * nS, 'instMagErr');
  const t = input.target;
  if (!Number.isInteger(t) || t < 0 || t >= nS) throw new PhotometryError('BAD_ARGUMENT', `must be a star index in [0, ${nS}), got ${String(t)}`, { parameter: 'target' });
  for (const k of ['catMag', 'colour', 'raDeg', 'decDeg', 'xPx', 'yPx'] as const) if (input[k] !== undefined) requireLength(input[k], nS, k);
  const o = resolveOptions(options, nS);

  const cand = chooseCandidates(input, o);
  const nc = cand.length;
  if (nc < o.minComparisons) {
    throw new PhotometryError('TOO_FEW_STARS', `${nc} star(s) pass the comparison criteria (magnitude ±${o.magRange}, colour ±${o.colourRange}, distance ≤ ${o.maxDistance}, coverage ≥ ${o.minCoverage}); need ${o.minComparisons}`, {
      parameter: 'target',
    });
  }
  const useCatalog = input.catMag !== undefined && cand.every((s) => Number.isFinite(input.catMag![s]));
  // Reference magnitude of each candidate and d = instMag − reference, frame-major [f·nc + k].
  const ref = new Float64Array(nc);
  const scratch = new Float64Array(nF);
  for (let k = 0; k < nc; k++) {
    const s = cand[k];
    if (useCatalog) {
      const col = input.colour ? input.colour[s] : NaN;
      ref[k] = input.catMag![s] - (o.colourTerm !== 0 && Number.isFinite(col) ? o.colourTerm * col : 0);
    } else {
      let m = 0;
      for (let f = 0; f < nF; f++) {
        const v = input.instMag[f * nS + s];
        if (Number.isFinite(v)) scratch[m++] = v;
      }
      ref[k] = medianInPlace(scratch, m);
    }
  }
  const d = new Float64Array(nF * nc);
  const s2 = new Float64Array(nF * nc);
  for (let f = 0; f < nF; f++) {
    for (let k = 0; k < nc; k++) {
      const s = cand[k];
      const m = input.instMag[f * nS + s];
      const e = input.instMagErr[f * nS + s];
      const ok = Number.isFinite(m) && Number.isFinite(e) && e > 0;
      d[f * nc + k] = ok ? m - ref[k] : NaN;
      s2[f * nc + k] = ok ? e * e : NaN;
    }
  }

  // Median quoted variance of each candidate: the yardstick of its excess.
  const quotedVar = new Float64Array(nc);
  for (let k = 0; k < nc; k++) {
    let m = 0;
    for (let f = 0; f < nF; f++) if (Number.isFinite(s2[f * nc + k])) scratch[m++] = s2[f * nc + k];
    quotedVar[k] = m > 0 ? medianInPlace(scratch, m) : Infinity;
  }
  const active = new Uint8Array(nc).fill(1);
  const v = new Float64Array(nc);
  const rms = new Float64Array(nc);
  const rejected: number[] = [];
  const Z = new Float64Array(nF);
  const W = new Float64Array(nF);
  let clipped = 0;
  let iterations = 0;
  for (; iterations < o.maxIters; iterations++) {
    ensembleZero(d, s2, v, active, nF, nc, Z, W);
    let changed = false;
    // Leave-one-out residuals, per-point clipping and excess variance of every candidate.
    for (let k = 0; k < nc; k++) {
      const res = new Float64Array(nF).fill(NaN);
      const q = new Float64Array(nF);
      let m = 0;
      for (let f = 0; f < nF; f++) {
        const i = f * nc + k;
        if (!Number.isFinite(d[i])) continue;
        const loo = leaveOneOut(d[i], s2[i], v[k], active[k] === 1, Z[f], W[f]);
        if (!loo) continue;
        res[f] = d[i] - loo.zero;
        q[f] = s2[i] + loo.variance;
        m++;
      }
      if (m === 0) {
        rms[k] = NaN;
        continue;
      }
      // Robust centre and excess first, so a variable star's own swings are not clipped
      // as outliers and a single cosmic ray does not make a stable star look variable.
      const rs = new Float64Array(m);
      const qs = new Float64Array(m);
      for (let f = 0, j = 0; f < nF; f++) {
        if (Number.isNaN(res[f])) continue;
        rs[j] = res[f];
        qs[j++] = q[f];
      }
      const centre = medianInPlace(rs.slice(), m);
      for (let j = 0; j < m; j++) rs[j] = Math.abs(rs[j] - centre);
      const robustVar = (MAD_TO_SIGMA * medianInPlace(rs, m)) ** 2;
      const vRobust = Math.max(0, robustVar - medianInPlace(qs, m));
      let sumE2 = 0;
      let sumQ = 0;
      let kept = 0;
      for (let f = 0; f < nF; f++) {
        if (Number.isNaN(res[f])) continue;
        const e = res[f] - centre;
        if (Math.abs(e) > o.sigma * Math.sqrt(q[f] + vRobust)) {
          // A single bad measurement (a cosmic ray, a satellite) is dropped, not the star.
          d[f * nc + k] = NaN;
          clipped++;
          changed = true;
          continue;
        }
        sumE2 += e * e;
        sumQ += q[f];
        kept++;
      }
      rms[k] = kept > 0 ? Math.sqrt(sumE2 / kept) : NaN;
      const vNew = kept > 1 ? Math.max(0, (sumE2 - sumQ) / kept) : 0;
      if (Math.abs(vNew - v[k]) > 1e-3 * Math.max(vNew, 1e-8)) changed = true;
      v[k] = vNew;
    }
    // Drop the most discrepant variable star, if any.
    const excess: number[] = [];
    for (let k = 0; k < nc; k++) if (active[k]) excess.push(Math.sqrt(v[k]));
    const nActive = excess.length;
    if (nActive > o.minComparisons) {
      const med = medianInPlace(Float64Array.from(excess), nActive);
      const limit = Math.max(o.variabilityRatio * med, o.minExcess);
      let worst = -1;
      // Variable: excess scatter well above the set's and above the star's own noise
      // (χ²ν > 2); a faint star whose excess is within its noise is merely down-weighted.
      for (let k = 0; k < nc; k++) if (active[k] && Math.sqrt(v[k]) > limit && v[k] > quotedVar[k] && (worst < 0 || v[k] > v[worst])) worst = k;
      if (worst >= 0) {
        active[worst] = 0;
        rejected.push(cand[worst]);
        changed = true;
      }
    }
    if (!changed) break;
  }
  ensembleZero(d, s2, v, active, nF, nc, Z, W);

  const mag = new Float64Array(nF);
  const magErr = new Float64Array(nF);
  const zeroErr = new Float64Array(nF);
  const share = new Float64Array(nc);
  const colT = input.colour ? input.colour[t] : NaN;
  const colourCorr = useCatalog && o.colourTerm !== 0 && Number.isFinite(colT) ? o.colourTerm * colT : 0;
  let framesWithEnsemble = 0;
  for (let f = 0; f < nF; f++) {
    const m = input.instMag[f * nS + t];
    const e = input.instMagErr[f * nS + t];
    zeroErr[f] = W[f] > 0 ? 1 / Math.sqrt(W[f]) : NaN;
    if (!(W[f] > 0)) {
      Z[f] = NaN;
      mag[f] = NaN;
      magErr[f] = NaN;
      continue;
    }
    framesWithEnsemble++;
    for (let k = 0; k < nc; k++) {
      const i = f * nc + k;
      if (active[k] && Number.isFinite(d[i])) share[k] += 1 / (s2[i] + v[k]) / W[f];
    }
    mag[f] = m - Z[f] + colourCorr;
    magErr[f] = Math.sqrt((Number.isFinite(e) ? e * e : NaN) + 1 / W[f]);
  }
  for (let k = 0; k < nc; k++) share[k] = framesWithEnsemble > 0 ? share[k] / framesWithEnsemble : 0;
  const comps: number[] = [];
  for (let k = 0; k < nc; k++) if (active[k]) comps.push(cand[k]);
  return {
    mag,
    magErr,
    zeroPoint: Z,
    zeroPointErr: zeroErr,
    scale: useCatalog ? 'catalog' : 'instrumental',
    candidates: Int32Array.from(cand),
    comparisons: Int32Array.from(comps),
    rejected: Int32Array.from(rejected),
    compRms: rms,
    compExcess: Float64Array.from(v, (x) => Math.sqrt(x)),
    compWeight: share,
    clippedPoints: clipped,
    iterations,
  };
}

interface ResolvedOptions {
  maxComparisons: number;
  magRange: number;
  colourRange: number;
  maxDistance: number;
  exclude: Set<number>;
  minCoverage: number;
  sigma: number;
  variabilityRatio: number;
  minExcess: number;
  colourTerm: number;
  maxIters: number;
  minComparisons: number;
}

function resolveOptions(o: EnsembleOptions, nS: number): ResolvedOptions {
  const exclude = new Set<number>();
  if (o.exclude !== undefined) {
    for (let i = 0; i < o.exclude.length; i++) {
      const s = o.exclude[i];
      if (!Number.isInteger(s) || s < 0 || s >= nS) throw new PhotometryError('BAD_ARGUMENT', `must be star indices in [0, ${nS}), got ${String(s)}`, { parameter: 'exclude', index: i });
      exclude.add(s);
    }
  }
  const maxComparisons = requireFinite(o.maxComparisons ?? 12, 'maxComparisons', 1, 1e6);
  const minComparisons = requireFinite(o.minComparisons ?? 2, 'minComparisons', 1, maxComparisons);
  return {
    maxComparisons: Math.floor(maxComparisons),
    magRange: requireFinite(o.magRangeMag ?? 2, 'magRangeMag', 0, 100),
    colourRange: requireFinite(o.colourRangeMag ?? 1, 'colourRangeMag', 0, 100),
    maxDistance: o.maxDistance === undefined ? Infinity : requireFinite(o.maxDistance, 'maxDistance', 0),
    exclude,
    minCoverage: requireFinite(o.minCoverage ?? 0.8, 'minCoverage', 0, 1),
    sigma: requireFinite(o.sigma ?? 4, 'sigma', 1, 100),
    variabilityRatio: requireFinite(o.variabilityRatio ?? 3, 'variabilityRatio', 1, 1e6),
    minExcess: requireFinite(o.minExcessMag ?? 0.005, 'minExcessMag', 0, 10),
    colourTerm: requireFinite(o.colourTerm ?? 0, 'colourTerm', -10, 10),
    maxIters: Math.floor(requireFinite(o.maxIters ?? 30, 'maxIters', 1, 1000)),
    minComparisons: Math.floor(minComparisons),
  };
}

/** Candidate comparison stars, best (closest in magnitude, colour, position) first. */
function chooseCandidates(input: EnsembleInput, o: ResolvedOptions): number[] {
  const nF = input.nFrames;
  const nS = input.nStars;
  const t = input.target;
  // Brightness: catalog magnitudes where both are known, else median instrumental ones.
  const medInst = new Float64Array(nS);
  const coverage = new Float64Array(nS);
  const buf = new Float64Array(nF);
  for (let s = 0; s < nS; s++) {
    let m = 0;
    for (let f = 0; f < nF; f++) {
      const v = input.instMag[f * nS + s];
      const e = input.instMagErr[f * nS + s];
      if (Number.isFinite(v) && e > 0) buf[m++] = v;
    }
    coverage[s] = m / nF;
    medInst[s] = medianInPlace(buf, m);
  }
  const bright = (s: number): number => {
    const cm = input.catMag;
    return cm && Number.isFinite(cm[s]) && Number.isFinite(cm[t]) ? cm[s] - cm[t] : medInst[s] - medInst[t];
  };
  const sky = input.raDeg !== undefined && input.decDeg !== undefined;
  const pix = !sky && input.xPx !== undefined && input.yPx !== undefined;
  const dist = (s: number): number =>
    sky
      ? angularSeparationDeg(input.raDeg![t], input.decDeg![t], input.raDeg![s], input.decDeg![s])
      : pix
        ? Math.hypot(input.xPx![s] - input.xPx![t], input.yPx![s] - input.yPx![t])
        : 0;
  const scored: Array<{ s: number; score: number }> = [];
  for (let s = 0; s < nS; s++) {
    if (s === t || o.exclude.has(s) || coverage[s] < o.minCoverage || coverage[s] === 0) continue;
    const dm = bright(s);
    if (!Number.isFinite(dm) || Math.abs(dm) > o.magRange) continue;
    let score = (dm / Math.max(o.magRange, 1e-6)) ** 2;
    const ct = input.colour ? input.colour[t] : NaN;
    const cs = input.colour ? input.colour[s] : NaN;
    if (Number.isFinite(ct) && Number.isFinite(cs)) {
      const dc = cs - ct;
      if (Math.abs(dc) > o.colourRange) continue;
      score += (dc / Math.max(o.colourRange, 1e-6)) ** 2;
    }
    const ds = dist(s);
    if (!(ds <= o.maxDistance)) continue;
    if (Number.isFinite(o.maxDistance) && o.maxDistance > 0) score += (ds / o.maxDistance) ** 2;
    scored.push({ s, score });
  }
  scored.sort((a, b) => a.score - b.score || a.s - b.s);
  return scored.slice(0, o.maxComparisons).map((x) => x.s);
}

/** Z_f and W_f = Σ w over the active candidates measured in frame f. */
function ensembleZero(d: Float64Array, s2: Float64Array, v: Float64Array, active: Uint8Array, nF: number, nc: number, Z: Float64Array, W: Float64Array): void {
  for (let f = 0; f < nF; f++) {
    let sw = 0;
    let swd = 0;
    for (let k = 0; k < nc; k++) {
      const i = f * nc + k;
      if (!active[k] || !Number.isFinite(d[i])) continue;
      const w = 1 / (s2[i] + v[k]);
      sw += w;
      swd += w * d[i];
    }
    W[f] = sw;
    Z[f] = sw > 0 ? swd / sw : NaN;
  }
}

/** The ensemble of frame f without star k (when k is in it): zero point and its variance. */
function leaveOneOut(di: number, s2i: number, vk: number, isActive: boolean, Zf: number, Wf: number): { zero: number; variance: number } | undefined {
  if (!isActive) return Wf > 0 ? { zero: Zf, variance: 1 / Wf } : undefined;
  const w = 1 / (s2i + vk);
  const rest = Wf - w;
  // Floating-point residue of a frame where k is the only star.
  if (!(rest > 1e-9 * Wf)) return undefined;
  return { zero: (Wf * Zf - w * di) / rest, variance: 1 / rest };
}
