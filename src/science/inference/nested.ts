/**
 * Nested sampling (Skilling 2004, 2006) for the evidence Z = ∫ L(θ) π(θ) dθ and posterior
 * samples.
 *
 * N live points are drawn from the prior (uniform u in the unit cube, mapped to θ by
 * `priorTransform`). At iteration i the worst point (likelihood L_i) dies with weight
 * w_i = X_{i−1} − X_i, X_i = e^{−i/N} (the expected prior volume left), and is replaced by a
 * prior draw with L > L_i. Z accumulates Σ w_i L_i and the information
 * H = ∫ P log(P/π) by Skilling's recursion
 *   H_new = (w L / Z_new) log L + (Z / Z_new)(H + log Z) − log Z_new,
 * which gives the evidence error σ(log Z) ≈ √(H/N). The run stops when the live points can
 * add at most Δ log Z = log(Z + L_max X_i) − log Z < dlogz; the remaining live points are
 * then added, each with volume X_i/N.
 *
 * Constrained draws:
 * - 'uniform': rejection sampling inside a bound: the unit cube ('none'), one ellipsoid
 *   ('single', Mukherjee et al. 2006) or the recursive multi-ellipsoid decomposition
 *   ('multi', Feroz et al. 2009; Speagle 2020). A point in the union of overlapping
 *   ellipsoids is drawn by picking an ellipsoid ∝ volume, drawing uniformly inside it and
 *   keeping it with probability 1/q, q = number of ellipsoids containing it (Feroz et al.
 *   2009 §5.1.1).
 * - 'slice': a random live point is moved by `slices` rounds of slice sampling (Neal 2003:
 *   stepping out with a random split of m steps, then shrinkage) along random directions
 *   whitened by the bounding ellipsoid that contains it (Handley et al. 2015; Speagle
 *   2020 §4.2); the bound then only sets the directions and scale.
 *
 * As in Speagle (2020), sampling starts from the whole cube and bounds are first built
 * once the cube's acceptance has fallen below 10 % (after ≥ 2N calls), then rebuilt every
 * `updateInterval`·N likelihood calls.
 */
import { InferenceError } from './errors.js';
import { ellipsoidRadius2, logAddExp, multiBound, sampleEllipsoid, singleBound, type Ellipsoid } from './ellipsoid.js';
import { Rng } from './random.js';

export interface NestedOptions {
  /** log L(θ); −Infinity where the likelihood vanishes. */
  logLikelihood: (theta: Float64Array) => number;
  /** Maps u ∈ [0, 1)^nDim (uniform) to θ distributed as the prior; writes `out`. */
  priorTransform: (u: Float64Array, out: Float64Array) => void;
  nDim: number;
  /** Number of live points (≥ nDim + 1; a few hundred for evidences good to ~0.1). */
  nLive: number;
  seed: number;
  /** Bound for constrained draws (default 'multi'). */
  bound?: 'multi' | 'single' | 'none';
  /** How new points are drawn (default 'uniform'). */
  sample?: 'uniform' | 'slice';
  /** Stop when the live points can add less than this to log Z (default 0.01). */
  dlogz?: number;
  /** Volume enlargement factor of each ellipsoid (default 1.25). */
  enlarge?: number;
  /** Rebuild the bound every updateInterval·nLive likelihood calls (default 1.5 uniform, 0.6·slices slice). */
  updateInterval?: number;
  /** Slice-sampling rounds per new point (default 3 + nDim). */
  slices?: number;
  /** Stop with an error after this many likelihood calls (default 5e7). */
  maxCalls?: number;
  /** Stop with an error after this many iterations (default 1e6). */
  maxIterations?: number;
  onProgress?: (p: NestedProgress) => void;
}

export interface NestedProgress {
  iteration: number;
  nCalls: number;
  logZ: number;
  /** Current bound on what the live points can still add to log Z. */
  dlogz: number;
}

export interface NestedResult {
  logZ: number;
  /** Statistical error of log Z, √(H/N). */
  logZErr: number;
  /** Information H (nats): the prior-to-posterior compression. */
  information: number;
  /** Dead points then final live points, θ (nSamples × nDim). */
  samples: Float64Array;
  /** Posterior weight of each sample (sums to 1). */
  weights: Float64Array;
  /** log of the unnormalised weights w_i L_i. */
  logWeights: Float64Array;
  /** log L of each sample. */
  logL: Float64Array;
  nSamples: number;
  nDim: number;
  nCalls: number;
  nIterations: number;
}

const MAX_LIVE_VALUES = 1 << 24;
/** Neal's limit m on stepping-out steps per slice. */
const STEP_OUT_LIMIT = 50;
/** Consecutive bound proposals outside the cube (or lost to overlap) before sampling the cube instead. */
const MAX_BOUND_MISSES = 100_000;
/** Shrinkage steps after which a slice is declared stuck (never reached in practice). */
const SHRINK_LIMIT = 200;

class Growable {
  data: Float64Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Float64Array(Math.max(16, capacity));
  }
  reserve(extra: number): void {
    if (this.length + extra <= this.data.length) return;
    let cap = this.data.length * 2;
    while (cap < this.length + extra) cap *= 2;
    const next = new Float64Array(cap);
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }
  push(x: number): void {
    this.reserve(1);
    this.data[this.length++] = x;
  }
  pushRow(src: Float64Array, offset: number, n: number): void {
    this.reserve(n);
    for (let i = 0; i < n; i++) this.data[this.length + i] = src[offset + i];
    this.length += n;
  }
  view(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

export function nestedSample(options: NestedOptions): NestedResult {
  const { logLikelihood, priorTransform, nDim, nLive, seed } = options;
  const bound = options.bound ?? 'multi';
  const sample = options.sample ?? 'uniform';
  const dlogz = options.dlogz ?? 0.01;
  const enlarge = options.enlarge ?? 1.25;
  const slices = options.slices ?? 3 + nDim;
  const updateInterval = options.updateInterval ?? (sample === 'slice' ? 0.6 * slices : 1.5);
  const maxCalls = options.maxCalls ?? 5e7;
  const maxIterations = options.maxIterations ?? 1e6;
  const arg = (ok: boolean, field: string, msg: string) => {
    if (!ok) throw new InferenceError('BAD_ARGUMENT', msg, { field });
  };
  arg(typeof logLikelihood === 'function', 'logLikelihood', 'logLikelihood must be a function');
  arg(typeof priorTransform === 'function', 'priorTransform', 'priorTransform must be a function');
  arg(Number.isInteger(nDim) && nDim >= 1, 'nDim', `nDim must be an integer ≥ 1, got ${nDim}`);
  arg(Number.isInteger(nLive) && nLive >= nDim + 1 && nLive >= 2, 'nLive', `nLive must be an integer ≥ nDim + 1, got ${nLive}`);
  arg(Number.isSafeInteger(seed), 'seed', `seed must be a safe integer, got ${seed}`);
  arg(bound === 'multi' || bound === 'single' || bound === 'none', 'bound', `bound must be 'multi', 'single' or 'none', got '${bound}'`);
  arg(sample === 'uniform' || sample === 'slice', 'sample', `sample must be 'uniform' or 'slice', got '${sample}'`);
  arg(dlogz > 0 && Number.isFinite(dlogz), 'dlogz', `dlogz must be positive, got ${dlogz}`);
  arg(enlarge >= 1 && Number.isFinite(enlarge), 'enlarge', `enlarge must be ≥ 1, got ${enlarge}`);
  arg(Number.isInteger(slices) && slices >= 1, 'slices', `slices must be an integer ≥ 1, got ${slices}`);
  arg(updateInterval > 0 && Number.isFinite(updateInterval), 'updateInterval', `updateInterval must be positive, got ${updateInterval}`);
  arg(maxCalls > 0 && maxIterations > 0, 'maxCalls', 'maxCalls and maxIterations must be positive');
  if (nLive * nDim > MAX_LIVE_VALUES) throw new InferenceError('TOO_LARGE', `nLive × nDim = ${nLive * nDim} exceeds ${MAX_LIVE_VALUES}`, { field: 'nLive' });

  const rng = new Rng(seed);
  const liveU = new Float64Array(nLive * nDim);
  const liveV = new Float64Array(nLive * nDim);
  const liveL = new Float64Array(nLive);
  const candU = new Float64Array(nDim);
  const candV = new Float64Array(nDim);
  const curU = new Float64Array(nDim);
  const curV = new Float64Array(nDim);
  const dir = new Float64Array(nDim);
  const tmp = new Float64Array(nDim);
  let nCalls = 0;
  let iteration = 0;

  /** log L at candU (θ written to candV); NaN and +∞ are errors. */
  const evaluate = (): number => {
    if (nCalls >= maxCalls) {
      throw new InferenceError('NOT_CONVERGED', `reached maxCalls = ${maxCalls} likelihood calls before log Z converged (try bound 'multi' or sample 'slice', or raise maxCalls)`, { iteration });
    }
    nCalls++;
    priorTransform(candU, candV);
    const l = logLikelihood(candV);
    if (l !== l || l === Infinity) throw new InferenceError('BAD_LOG_PROB', `log-likelihood returned ${l}; return -Infinity where L = 0`, { iteration });
    return l;
  };

  for (let i = 0; i < nLive; i++) {
    rng.fillUniform(candU);
    liveL[i] = evaluate();
    liveU.set(candU, i * nDim);
    liveV.set(candV, i * nDim);
  }

  // Bounds: null until the first update (sampling from the whole cube until then).
  let ells: Ellipsoid[] | null = null;
  let cumVolume = new Float64Array(0);
  let callsAtUpdate = 0;
  let logX = 0;
  const useBound = bound !== 'none' || sample === 'slice';

  const updateBound = () => {
    const opts = { enlarge, logPointVolume: logX - Math.log(nLive) };
    ells = bound === 'multi' ? multiBound(liveU, nLive, nDim, opts) : singleBound(liveU, nLive, nDim, opts);
    cumVolume = new Float64Array(ells.length);
    const maxLog = Math.max(...ells.map((e) => e.logVolume));
    let acc = 0;
    for (let k = 0; k < ells.length; k++) {
      acc += Math.exp(ells[k].logVolume - maxLog);
      cumVolume[k] = acc;
    }
    for (let k = 0; k < ells.length; k++) cumVolume[k] /= acc;
    callsAtUpdate = nCalls;
  };

  const inCube = (x: Float64Array): boolean => {
    for (let d = 0; d < nDim; d++) if (!(x[d] >= 0 && x[d] < 1)) return false;
    return true;
  };

  /** Rejection sampling inside the bound (or the cube); leaves the point in candU/candV. */
  const drawUniform = (logLStar: number): number => {
    let misses = 0; // proposals rejected before any likelihood call
    while (true) {
      const es = ells;
      // A bound that barely overlaps the cube (or is all overlap) would spin here without
      // ever calling the likelihood, out of reach of maxCalls: fall back to the cube.
      if (es === null || bound === 'none' || misses > MAX_BOUND_MISSES) {
        rng.fillUniform(candU);
      } else {
        let k = 0;
        if (es.length > 1) {
          const r = rng.uniform();
          while (k < es.length - 1 && cumVolume[k] <= r) k++;
        }
        sampleEllipsoid(es[k], rng, candU, tmp);
        if (!inCube(candU)) {
          misses++;
          continue;
        }
        if (es.length > 1) {
          let q = 0;
          for (let j = 0; j < es.length; j++) if (ellipsoidRadius2(es[j], candU, 0, tmp) <= 1) q++;
          if (q > 1 && rng.uniform() * q >= 1) {
            misses++;
            continue;
          }
        }
      }
      misses = 0;
      const l = evaluate();
      if (l > logLStar) return l;
    }
  };

  /** Slice sampling from a random live point other than `worst`; leaves the point in candU/candV. */
  const drawSlice = (logLStar: number, worst: number): number => {
    let j = rng.int(nLive - 1);
    if (j >= worst) j++;
    for (let d = 0; d < nDim; d++) {
      curU[d] = liveU[j * nDim + d];
      curV[d] = liveV[j * nDim + d];
    }
    let curL = liveL[j];
    const es = ells!;
    let e = es[0];
    if (es.length > 1) {
      let q = 0;
      for (let k = 0; k < es.length; k++) if (ellipsoidRadius2(es[k], curU, 0, tmp) <= 1) q++;
      if (q > 0) {
        let pick = rng.int(q);
        for (let k = 0; k < es.length; k++) {
          if (ellipsoidRadius2(es[k], curU, 0, tmp) <= 1 && pick-- === 0) {
            e = es[k];
            break;
          }
        }
      } else {
        // A live point outside every ellipsoid cannot happen right after an update, only
        // through rounding; fall back to the largest one for the scale.
        for (const x of es) if (x.logVolume > e.logVolume) e = x;
      }
    }
    const inside = (t: number): number => {
      for (let d = 0; d < nDim; d++) candU[d] = curU[d] + t * dir[d];
      if (!inCube(candU)) return -Infinity;
      return evaluate();
    };
    for (let s = 0; s < slices; s++) {
      // Random direction: isotropic in the ellipsoid's whitened frame, mapped back by L.
      let norm2 = 0;
      for (let d = 0; d < nDim; d++) {
        tmp[d] = rng.normal();
        norm2 += tmp[d] * tmp[d];
      }
      const inv = 1 / Math.sqrt(norm2);
      const l = e.chol;
      for (let a = 0; a < nDim; a++) {
        let sum = 0;
        for (let b = 0; b <= a; b++) sum += l[a * nDim + b] * tmp[b];
        dir[a] = sum * inv;
      }
      // Stepping out (Neal 2003, Fig. 3), width 1 in units of the direction vector.
      let left = -rng.uniform();
      let right = left + 1;
      let jLeft = Math.floor(STEP_OUT_LIMIT * rng.uniform());
      let kRight = STEP_OUT_LIMIT - 1 - jLeft;
      while (jLeft > 0 && inside(left) > logLStar) {
        left -= 1;
        jLeft--;
      }
      while (kRight > 0 && inside(right) > logLStar) {
        right += 1;
        kRight--;
      }
      // Shrinkage (Neal 2003, Fig. 5).
      let accepted = false;
      for (let n = 0; n < SHRINK_LIMIT; n++) {
        const t = left + rng.uniform() * (right - left);
        const lt = inside(t);
        if (lt > logLStar) {
          curU.set(candU);
          curV.set(candV);
          curL = lt;
          accepted = true;
          break;
        }
        if (t < 0) left = t;
        else right = t;
      }
      if (!accepted) {
        throw new InferenceError('NOT_CONVERGED', `slice sampling could not find a point with L > L* in ${SHRINK_LIMIT} shrinkage steps (plateau in the likelihood?)`, { iteration });
      }
    }
    candU.set(curU);
    candV.set(curV);
    return curL;
  };

  const deadV = new Growable(nLive * nDim * 8);
  const deadL = new Growable(nLive * 8);
  const deadLogW = new Growable(nLive * 8);
  let logZ = -Infinity;
  let h = 0;
  const addPoint = (logL: number, logW: number) => {
    const logWL = logW + logL;
    if (logWL === -Infinity) return;
    const logZNew = logAddExp(logZ, logWL);
    h = Math.exp(logWL - logZNew) * logL + (logZ === -Infinity ? 0 : Math.exp(logZ - logZNew) * (h + logZ)) - logZNew;
    logZ = logZNew;
  };
  const logShrink = Math.log(-Math.expm1(-1 / nLive)); // log(1 − e^{−1/N})

  while (true) {
    let worst = 0;
    let lMax = -Infinity;
    for (let i = 0; i < nLive; i++) {
      if (liveL[i] < liveL[worst]) worst = i;
      if (liveL[i] > lMax) lMax = liveL[i];
    }
    const remaining = logZ === -Infinity ? Infinity : logAddExp(logZ, lMax + logX) - logZ;
    if (options.onProgress) options.onProgress({ iteration, nCalls, logZ, dlogz: remaining });
    if (remaining < dlogz) break;
    if (iteration >= maxIterations) {
      throw new InferenceError('NOT_CONVERGED', `reached maxIterations = ${maxIterations} with Δlog Z = ${remaining.toPrecision(3)} still to gain`, { iteration });
    }
    const logLStar = liveL[worst];
    const logW = logX + logShrink;
    addPoint(logLStar, logW);
    deadV.pushRow(liveV, worst * nDim, nDim);
    deadL.push(logLStar);
    deadLogW.push(logW + logLStar);
    logX -= 1 / nLive;
    iteration++;

    if (useBound) {
      if (ells === null) {
        if (nCalls >= 2 * nLive && iteration / nCalls < 0.1) updateBound();
      } else if (nCalls - callsAtUpdate >= updateInterval * nLive) {
        updateBound();
      }
    }
    const l = sample === 'slice' && ells !== null ? drawSlice(logLStar, worst) : drawUniform(logLStar);
    liveU.set(candU, worst * nDim);
    liveV.set(candV, worst * nDim);
    liveL[worst] = l;
  }

  // The remaining live points share the last volume X equally, in order of likelihood.
  const order = Array.from({ length: nLive }, (_, i) => i).sort((a, b) => liveL[a] - liveL[b]);
  const logWLive = logX - Math.log(nLive);
  for (const i of order) {
    addPoint(liveL[i], logWLive);
    deadV.pushRow(liveV, i * nDim, nDim);
    deadL.push(liveL[i]);
    deadLogW.push(logWLive + liveL[i]);
  }

  const samples = deadV.view();
  const logL = deadL.view();
  const logWeights = deadLogW.view();
  const nSamples = logL.length;
  const weights = new Float64Array(nSamples);
  for (let i = 0; i < nSamples; i++) weights[i] = Math.exp(logWeights[i] - logZ);
  const information = Math.max(0, h);
  return {
    logZ,
    logZErr: Math.sqrt(information / nLive),
    information,
    samples,
    weights,
    logWeights,
    logL,
    nSamples,
    nDim,
    nCalls,
    nIterations: iteration,
  };
}

/**
 * Equally weighted posterior draws from weighted samples by systematic resampling
 * (one uniform offset, n evenly spaced points on the cumulative weights).
 */
export function resampleEqual(samples: Float64Array, weights: Float64Array, nDim: number, n: number, seed: number): Float64Array {
  const m = weights.length;
  if (samples.length !== m * nDim) throw new InferenceError('BAD_ARGUMENT', `samples (${samples.length}) do not match weights (${m}) × nDim (${nDim})`);
  if (!Number.isInteger(n) || n < 1 || n * nDim > MAX_LIVE_VALUES) throw new InferenceError('BAD_ARGUMENT', `bad number of draws ${n}`);
  let total = 0;
  for (let i = 0; i < m; i++) total += weights[i];
  if (!(total > 0)) throw new InferenceError('BAD_ARGUMENT', 'weights sum to zero');
  const rng = new Rng(seed);
  const out = new Float64Array(n * nDim);
  const u0 = rng.uniform() / n;
  let cum = weights[0] / total;
  let i = 0;
  for (let k = 0; k < n; k++) {
    const target = u0 + k / n;
    while (cum < target && i < m - 1) {
      i++;
      cum += weights[i] / total;
    }
    out.set(samples.subarray(i * nDim, (i + 1) * nDim), k * nDim);
  }
  return out;
}
