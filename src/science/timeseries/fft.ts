/**
 * In-place complex FFT of power-of-two length over split real/imaginary Float64Arrays.
 *
 * Iterative decimation in frequency, stages fused in pairs ("radix-2²": two radix-2 stages
 * per pass over memory, three twiddle products per four points instead of four), with one
 * plain radix-2 stage last when log2(n) is odd. Each fused stage has its own contiguous
 * twiddle table, so the inner loop reads memory in order, and the narrow stages run chunk
 * by chunk so their data stays in cache. The natural output order needs a bit-reversal
 * permutation; callers that read only some outputs (the periodogram sums) skip it with
 * `transformToBitReversed` and look outputs up through `reversal()`.
 *
 * Sign convention: `transform(re, im, +1)` computes X[k] = Σ_n x[n]·exp(+2πi·n·k/size)
 * (what periodogram sums need); `−1` the forward DFT with exp(−2πi·n·k/size). Neither is
 * normalised. A plan is immutable once built and can be shared by any number of transforms.
 */
import { TimeseriesError } from './errors.js';

/** Largest transform a plan is built for (2^26 points = 1 GiB of split complex data). */
export const MAX_FFT_LOG2 = 26;

/** Points per chunk for the narrow stages: 2^13 complex values = 128 KiB, well inside L2. */
const CACHE_CHUNK = 1 << 13;

export class FftPlan {
  readonly size: number;
  readonly log2Size: number;
  /** reversed[i] = bit reversal of i over log2(size) bits. */
  private readonly reversed: Uint32Array;
  /** Pairs (i, j), i < j, to swap for the bit-reversal permutation. */
  private readonly swaps: Uint32Array;
  /** Fused stages, widest first: quarter lengths and [cos, sin] of jθ, 2jθ, 3jθ for θ = 2π/(4m), j < m. */
  private readonly quarters: number[];
  private readonly twiddles: Float64Array[];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || (size & (size - 1)) !== 0 || size > 2 ** MAX_FFT_LOG2) {
      throw new TimeseriesError('BAD_ARGUMENT', `FFT length must be a power of two in [1, 2^${MAX_FFT_LOG2}], got ${size}`, { parameter: 'size' });
    }
    this.size = size;
    this.log2Size = Math.round(Math.log2(size));
    this.reversed = new Uint32Array(size);
    for (let i = 1; i < size; i++) this.reversed[i] = (this.reversed[i >> 1] >>> 1) | ((i & 1) << (this.log2Size - 1));
    let pairs = 0;
    for (let i = 0; i < size; i++) if (i < this.reversed[i]) pairs++;
    this.swaps = new Uint32Array(2 * pairs);
    for (let i = 0, p = 0; i < size; i++) {
      if (i < this.reversed[i]) {
        this.swaps[p++] = i;
        this.swaps[p++] = this.reversed[i];
      }
    }
    this.quarters = [];
    this.twiddles = [];
    for (let m = size / 4; m >= 1; m /= 4) {
      const tw = new Float64Array(6 * m);
      for (let j = 0; j < m; j++) {
        const theta = (2 * Math.PI * j) / (4 * m);
        for (let r = 1; r <= 3; r++) {
          tw[6 * j + 2 * (r - 1)] = Math.cos(r * theta);
          tw[6 * j + 2 * (r - 1) + 1] = Math.sin(r * theta);
        }
      }
      this.quarters.push(m);
      this.twiddles.push(tw);
    }
  }

  /** Transforms (re, im) in place, natural order in and out; `sign` is the exponent's sign. */
  transform(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    this.transformToBitReversed(re, im, sign);
    const swaps = this.swaps;
    for (let p = 0; p < swaps.length; p += 2) {
      const i = swaps[p];
      const j = swaps[p + 1];
      const tr = re[i];
      re[i] = re[j];
      re[j] = tr;
      const ti = im[i];
      im[i] = im[j];
      im[j] = ti;
    }
  }

  /** Like `transform`, but leaves X[k] at index `reversal()[k]` (no permutation pass). */
  transformToBitReversed(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    const n = this.size;
    if (re.length < n || im.length < n) {
      throw new TimeseriesError('SIZE_MISMATCH', `FFT of length ${n} needs arrays of at least that length, got ${re.length} and ${im.length}`);
    }
    const chunk = Math.min(n, CACHE_CHUNK);
    const stages = this.quarters.length;
    let s = 0;
    // Wide stages sweep the whole array; once blocks fit a chunk, finish chunk by chunk.
    for (; s < stages && 4 * this.quarters[s] > chunk; s++) radix4Stage(re, im, 0, n, this.quarters[s], this.twiddles[s], sign);
    const odd = this.log2Size % 2 === 1;
    for (let start = 0; start < n; start += chunk) {
      const end = start + chunk;
      for (let r = s; r < stages; r++) {
        if (this.quarters[r] === 1) radix4Last(re, im, start, end, sign);
        else radix4Stage(re, im, start, end, this.quarters[r], this.twiddles[r], sign);
      }
      if (odd) radix2Last(re, im, start, end);
    }
  }

  /** The bit-reversal table: `transformToBitReversed` leaves X[k] at index reversal()[k]. */
  reversal(): Readonly<Uint32Array> {
    return this.reversed;
  }
}

/**
 * Two fused decimation-in-frequency stages on blocks of 4m: with x0…x3 at offsets j,
 * j+m, j+2m, j+3m and W = exp(sign·2πi/(4m)),
 *   y0 = (x0+x2) + (x1+x3)            y1 = [(x0+x2) − (x1+x3)]·W^{2j}
 *   y2 = [(x0−x2) + i'(x1−x3)]·W^j    y3 = [(x0−x2) − i'(x1−x3)]·W^{3j},   i' = sign·i,
 * stored at offsets j, j+m, j+2m, j+3m (the bit-reversed positions of the outputs).
 */
function radix4Stage(re: Float64Array, im: Float64Array, start: number, end: number, m: number, tw: Float64Array, sign: number): void {
  const block = 4 * m;
  for (let base = start; base < end; base += block) {
    for (let j = 0; j < m; j++) {
      const i0 = base + j;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const i3 = i2 + m;
      const x0r = re[i0];
      const x0i = im[i0];
      const x1r = re[i1];
      const x1i = im[i1];
      const x2r = re[i2];
      const x2i = im[i2];
      const x3r = re[i3];
      const x3i = im[i3];
      const ar = x0r + x2r;
      const ai = x0i + x2i;
      const br = x0r - x2r;
      const bi = x0i - x2i;
      const cr = x1r + x3r;
      const ci = x1i + x3i;
      // i'·(x1 − x3)
      const dr = -sign * (x1i - x3i);
      const di = sign * (x1r - x3r);
      const t = 6 * j;
      const c1 = tw[t];
      const s1 = sign * tw[t + 1];
      const c2 = tw[t + 2];
      const s2 = sign * tw[t + 3];
      const c3 = tw[t + 4];
      const s3 = sign * tw[t + 5];
      re[i0] = ar + cr;
      im[i0] = ai + ci;
      const y1r = ar - cr;
      const y1i = ai - ci;
      re[i1] = y1r * c2 - y1i * s2;
      im[i1] = y1r * s2 + y1i * c2;
      const y2r = br + dr;
      const y2i = bi + di;
      re[i2] = y2r * c1 - y2i * s1;
      im[i2] = y2r * s1 + y2i * c1;
      const y3r = br - dr;
      const y3i = bi - di;
      re[i3] = y3r * c3 - y3i * s3;
      im[i3] = y3r * s3 + y3i * c3;
    }
  }
}

/** The fused stage with m = 1: every twiddle is 1. */
function radix4Last(re: Float64Array, im: Float64Array, start: number, end: number, sign: number): void {
  for (let i = start; i < end; i += 4) {
    const ar = re[i] + re[i + 2];
    const ai = im[i] + im[i + 2];
    const br = re[i] - re[i + 2];
    const bi = im[i] - im[i + 2];
    const cr = re[i + 1] + re[i + 3];
    const ci = im[i + 1] + im[i + 3];
    const dr = -sign * (im[i + 1] - im[i + 3]);
    const di = sign * (re[i + 1] - re[i + 3]);
    re[i] = ar + cr;
    im[i] = ai + ci;
    re[i + 1] = ar - cr;
    im[i + 1] = ai - ci;
    re[i + 2] = br + dr;
    im[i + 2] = bi + di;
    re[i + 3] = br - dr;
    im[i + 3] = bi - di;
  }
}

/** The last radix-2 stage when log2(n) is odd (pairs of neighbours, twiddle 1). */
function radix2Last(re: Float64Array, im: Float64Array, start: number, end: number): void {
  for (let i = start; i < end; i += 2) {
    const ar = re[i];
    const ai = im[i];
    const br = re[i + 1];
    const bi = im[i + 1];
    re[i] = ar + br;
    im[i] = ai + bi;
    re[i + 1] = ar - br;
    im[i + 1] = ai - bi;
  }
}
