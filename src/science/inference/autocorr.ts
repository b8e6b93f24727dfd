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

/**
 * In-place iterative radix-2 complex FFT (forward, unnormalised) with a precomputed
 * twiddle table cosT[k] = cos(2πk/n), sinT[k] = sin(2πk/n), k < n/2; n a power of two.
 */
function fft(re: Float64Array, im: Float64Array, n: number, cosT: Float64Array, sinT: Float64Array): void {
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
    const half = len >> 1;
    const step = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0, tw = 0; k < half; k++, tw += step) {
        const cr = cosT[tw];
        const ci = -sinT[tw];
        const a = i + k;
        const b = a + half;
        const xr = re[b] * cr - im[b] * ci;
        const xi = re[b] * ci + im[b] * cr;
        re[b] = re[a] - xr;
        im[b] = im[a] - xi;
        re[a] += xr;
        im[a] += xi;
      }
    }
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p <<= 1;
  return p;
}

/**
 * Walker-averaged autocorrelation function of series of length n. Each series' power
 * spectrum |X|², divided by its own c(0) = Σ(x − x̄)², is added to one spectrum, and a single
 * transform at the end gives the average of the normalised autocorrelation functions
 * (the transform is linear). Two real series share one complex FFT (x in the real part,
 * y in the imaginary part; X(k) = (Z(k) + Z*(m−k))/2, Y(k) = (Z(k) − Z*(m−k))/2i).
 */
class AcfAccumulator {
  readonly n: number;
  readonly m: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly spec: Float64Array;
  private readonly cosT: Float64Array;
  private readonly sinT: Float64Array;
  private used = 0;
  private pending = -1; // start of a series waiting for a partner
  private pendingStride = 0;
  private pendingX: ArrayLike<number> | null = null;

  constructor(n: number) {
    this.n = n;
    this.m = nextPow2(2 * n);
    this.re = new Float64Array(this.m);
    this.im = new Float64Array(this.m);
    this.spec = new Float64Array(this.m);
    this.cosT = new Float64Array(this.m / 2);
    this.sinT = new Float64Array(this.m / 2);
    for (let k = 0; k < this.m / 2; k++) {
      this.cosT[k] = Math.cos((2 * Math.PI * k) / this.m);
      this.sinT[k] = Math.sin((2 * Math.PI * k) / this.m);
    }
  }

  /** Queues x[start + k·stride], k < n. */
  add(x: ArrayLike<number>, start: number, stride: number): void {
    if (this.pendingX === null) {
      this.pendingX = x;
      this.pending = start;
      this.pendingStride = stride;
      return;
    }
    this.transform(this.pendingX, this.pending, this.pendingStride, x, start, stride);
    this.pendingX = null;
  }

  /** Average normalised autocorrelation ρ(0..n−1), and how many non-constant series went in. */
  finish(): { rho: Float64Array; used: number } {
    if (this.pendingX !== null) {
      this.transform(this.pendingX, this.pending, this.pendingStride, null, 0, 0);
      this.pendingX = null;
    }
    const { m, n, re, im } = this;
    const rho = new Float64Array(n);
    if (this.used === 0) {
      rho[0] = 1;
      return { rho, used: 0 };
    }
    re.set(this.spec);
    im.fill(0);
    // The summed spectrum is real and even, so the forward transform is m × the inverse.
    fft(re, im, m, this.cosT, this.sinT);
    const scale = 1 / (m * this.used);
    for (let t = 0; t < n; t++) rho[t] = re[t] * scale;
    return { rho, used: this.used };
  }

  private transform(x: ArrayLike<number>, xs: number, xStride: number, y: ArrayLike<number> | null, ys: number, yStride: number): void {
    const { n, m, re, im, spec } = this;
    re.fill(0);
    im.fill(0);
    const cx = center(x, xs, xStride, n, re);
    const cy = y === null ? 0 : center(y, ys, yStride, n, im);
    fft(re, im, m, this.cosT, this.sinT);
    const wx = cx > 0 ? 1 / cx : 0;
    const wy = cy > 0 ? 1 / cy : 0;
    const mask = m - 1;
    for (let k = 0; k < m; k++) {
      const k2 = (m - k) & mask;
      const zr = re[k];
      const zi = im[k];
      const wr = re[k2];
      const wi = -im[k2];
      const ar = zr + wr;
      const ai = zi + wi;
      const br = zi - wi;
      const bi = wr - zr;
      spec[k] += 0.25 * ((ar * ar + ai * ai) * wx + (br * br + bi * bi) * wy);
    }
    if (cx > 0) this.used++;
    if (cy > 0) this.used++;
  }
}

/** Writes x − x̄ into out[0..n) and returns Σ(x − x̄)². */
function center(x: ArrayLike<number>, start: number, stride: number, n: number, out: Float64Array): number {
  let mean = 0;
  for (let k = 0; k < n; k++) mean += x[start + k * stride];
  mean /= n;
  let c0 = 0;
  for (let k = 0; k < n; k++) {
    const d = x[start + k * stride] - mean;
    out[k] = d;
    c0 += d * d;
  }
  return c0;
}

/** Normalised autocorrelation function ρ(t), t = 0..n−1, of a series (ρ(0) = 1). */
export function autocorrFunction(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  if (n < 2) throw new InferenceError('BAD_ARGUMENT', `need at least 2 samples for an autocorrelation, got ${n}`);
  const acc = new AcfAccumulator(n);
  acc.add(x, 0, 1);
  return acc.finish().rho;
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
  const out = new Float64Array(nDim);
  const stride = nWalkers * nDim;
  for (let d = 0; d < nDim; d++) {
    const acc = new AcfAccumulator(n);
    for (let w = 0; w < nWalkers; w++) acc.add(chain, discard * stride + w * nDim + d, stride);
    const { rho, used } = acc.finish();
    out[d] = used === 0 ? 1 : tauFromAutocorr(rho, options.c ?? 5).tau;
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
