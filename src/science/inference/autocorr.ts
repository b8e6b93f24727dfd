/**
 * Integrated autocorrelation time and acceptance fraction.
 *
 * τ = 1 + 2 Σ_{t≥1} ρ(t), with ρ the normalised autocorrelation function estimated by FFT
 * (zero-padded to a power of two ≥ 2n so the circular correlation equals the linear one).
 * The sum is truncated with Sokal's automatic window (Sokal 1997, "Monte Carlo methods in
 * statistical mechanics", §3): the smallest M with M ≥ c·τ̂(M), c ≈ 5. For an ensemble the
 * walkers' autocorrelation functions are averaged before summing (Goodman & Weare 2010;
 * Foreman-Mackey et al. 2013), which is much less noisy than averaging per-walker τ.
 *
 * The estimate is trustworthy only when the chain is many times longer than τ
 * (Sokal: n ≳ 1000 τ for a precise value; in practice n > 50 τ); `autocorrReliable` says so.
 */
import { InferenceError } from './errors.js';

export interface ChainShape {
  nSteps: number;
  nWalkers: number;
  nDim: number;
}

export interface AutocorrOptions {
  /** Sokal window constant c (default 5). */
  c?: number;
}

/** In-place iterative radix-2 complex FFT (forward, unnormalised); n must be a power of two. */
function fft(re: Float64Array, im: Float64Array, n: number): void {
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i];
      re[i] = re[j];
      re[j] = t;
      t = im[i];
      im[i] = im[j];
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    const half = len >> 1;
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < half; k++) {
        const a = i + k;
        const b = a + half;
        const xr = re[b] * cr - im[b] * ci;
        const xi = re[b] * ci + im[b] * cr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
        // Recompute the twiddle from the angle every 16 steps so rounding does not accumulate.
        if ((k & 15) === 15) {
          cr = Math.cos(ang * (k + 1));
          ci = Math.sin(ang * (k + 1));
        } else {
          const t = cr * wr - ci * wi;
          ci = cr * wi + ci * wr;
          cr = t;
        }
      }
    }
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/** Scratch buffers for repeated autocorrelation functions of one length. */
class AcfWorkspace {
  readonly m: number;
  readonly re: Float64Array;
  readonly im: Float64Array;
  constructor(n: number) {
    this.m = nextPow2(2 * n);
    this.re = new Float64Array(this.m);
    this.im = new Float64Array(this.m);
  }

  /** Adds ρ(0..n−1) of x[start + k·stride], k < n, times `scale`, into `acc`. Returns false if x is constant. */
  accumulate(x: ArrayLike<number>, start: number, stride: number, n: number, acc: Float64Array, scale: number): boolean {
    const { m, re, im } = this;
    let mean = 0;
    for (let k = 0; k < n; k++) mean += x[start + k * stride];
    mean /= n;
    re.fill(0);
    im.fill(0);
    for (let k = 0; k < n; k++) re[k] = x[start + k * stride] - mean;
    fft(re, im, m);
    // Power spectrum, then the inverse transform via the forward one (the spectrum is real and even).
    for (let k = 0; k < m; k++) {
      re[k] = re[k] * re[k] + im[k] * im[k];
      im[k] = 0;
    }
    fft(re, im, m);
    const c0 = re[0];
    if (!(c0 > 0)) return false;
    const s = scale / c0;
    for (let t = 0; t < n; t++) acc[t] += re[t] * s;
    return true;
  }
}

/** Normalised autocorrelation function ρ(t), t = 0..n−1, of a series (ρ(0) = 1). */
export function autocorrFunction(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  if (n < 2) throw new InferenceError('BAD_ARGUMENT', `need at least 2 samples for an autocorrelation, got ${n}`);
  const acc = new Float64Array(n);
  if (!new AcfWorkspace(n).accumulate(x, 0, 1, n, acc, 1)) acc[0] = 1;
  return acc;
}

/** τ from an autocorrelation function with Sokal's window: smallest M ≥ c·τ(M). */
export function tauFromAutocorr(rho: Float64Array, c = 5): { tau: number; window: number } {
  let tau = 1;
  for (let m = 1; m < rho.length; m++) {
    tau += 2 * rho[m];
    if (m >= c * tau) return { tau, window: m };
  }
  return { tau, window: rho.length - 1 };
}

/** Integrated autocorrelation time of one series. A constant series has τ = 1 by convention. */
export function integratedAutocorrTime(x: ArrayLike<number>, options: AutocorrOptions = {}): number {
  return tauFromAutocorr(autocorrFunction(x), options.c ?? 5).tau;
}

/**
 * τ per dimension of an ensemble chain laid out step-major (nSteps × nWalkers × nDim, as
 * `runEnsemble` returns it), from the walker-averaged autocorrelation function.
 * `discard` leading steps (burn-in) are skipped.
 */
export function ensembleAutocorrTime(
  chain: Float64Array,
  shape: ChainShape,
  options: AutocorrOptions & { discard?: number } = {},
): Float64Array {
  const { nSteps, nWalkers, nDim } = shape;
  checkShape(chain, shape);
  const discard = options.discard ?? 0;
  const n = nSteps - discard;
  if (!Number.isInteger(discard) || discard < 0 || n < 2) {
    throw new InferenceError('BAD_ARGUMENT', `discard must leave at least 2 steps (nSteps ${nSteps}, discard ${discard})`, { field: 'discard' });
  }
  const ws = new AcfWorkspace(n);
  const acc = new Float64Array(n);
  const out = new Float64Array(nDim);
  const stride = nWalkers * nDim;
  for (let d = 0; d < nDim; d++) {
    acc.fill(0);
    let used = 0;
    for (let w = 0; w < nWalkers; w++) {
      if (ws.accumulate(chain, discard * stride + w * nDim + d, stride, n, acc, 1)) used++;
    }
    if (used === 0) {
      out[d] = 1;
      continue;
    }
    for (let t = 0; t < n; t++) acc[t] /= used;
    out[d] = tauFromAutocorr(acc, options.c ?? 5).tau;
  }
  return out;
}

/** True when every τ is below (number of steps used) / `factor` (default 50), the usual trust threshold. */
export function autocorrReliable(tau: Float64Array, nStepsUsed: number, factor = 50): boolean {
  for (let i = 0; i < tau.length; i++) if (!(tau[i] * factor < nStepsUsed)) return false;
  return true;
}

/** Fraction of accepted proposals per walker from accepted counts over `nSteps` steps. */
export function acceptanceFraction(accepted: Float64Array, nSteps: number): Float64Array {
  const out = new Float64Array(accepted.length);
  if (nSteps > 0) for (let i = 0; i < accepted.length; i++) out[i] = accepted[i] / nSteps;
  return out;
}

function checkShape(chain: Float64Array, shape: ChainShape): void {
  const { nSteps, nWalkers, nDim } = shape;
  if (![nSteps, nWalkers, nDim].every((v) => Number.isInteger(v) && v > 0) || chain.length !== nSteps * nWalkers * nDim) {
    throw new InferenceError('BAD_ARGUMENT', `chain of length ${chain.length} does not match ${nSteps} steps × ${nWalkers} walkers × ${nDim} dimensions`);
  }
}
