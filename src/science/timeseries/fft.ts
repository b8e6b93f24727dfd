/**
 * In-place complex FFT of power-of-two length over split real/imaginary Float64Arrays.
 *
 * Iterative decimation in time: a bit-reversal permutation, then stages fused in pairs
 * ("radix-2²": two radix-2 stages per pass over memory, three twiddle products per four
 * points instead of four), with one plain radix-2 stage first when log2(n) is odd. Each
 * fused stage has its own contiguous twiddle table, so the inner loop reads memory in
 * order. A plan is immutable once built and can be shared by any number of transforms.
 *
 * Sign convention: `transform(re, im, +1)` computes X[k] = Σ_n x[n]·exp(+2πi·n·k/n_len)
 * (what periodogram sums need); `-1` the forward DFT with exp(−2πi·n·k/n_len). Neither is
 * normalised.
 */
import { TimeseriesError } from './errors.js';

/** Largest transform a plan is built for (2^26 points = 1 GiB of split complex data). */
export const MAX_FFT_LOG2 = 26;

export class FftPlan {
  readonly size: number;
  readonly log2Size: number;
  /** Pairs (i, j), i < j, to swap for the bit-reversal permutation. */
  private readonly swaps: Uint32Array;
  /** reversed[i] = bit reversal of i over log2(size) bits. */
  private readonly reversed: Uint32Array;
  /** Per fused stage with quarter length m: [cos θ, sin θ, cos 2θ, sin 2θ] for θ = 2πj/(4m), j < m. */
  private readonly stageTwiddles: Float64Array[];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1 || (size & (size - 1)) !== 0 || size > 2 ** MAX_FFT_LOG2) {
      throw new TimeseriesError('BAD_ARGUMENT', `FFT length must be a power of two in [1, 2^${MAX_FFT_LOG2}], got ${size}`, { parameter: 'size' });
    }
    this.size = size;
    this.log2Size = Math.round(Math.log2(size));
    this.reversed = bitReversalTable(size, this.log2Size);
    let pairs = 0;
    for (let i = 0; i < size; i++) if (i < this.reversed[i]) pairs++;
    this.swaps = new Uint32Array(2 * pairs);
    for (let i = 0, p = 0; i < size; i++) {
      if (i < this.reversed[i]) {
        this.swaps[p++] = i;
        this.swaps[p++] = this.reversed[i];
      }
    }
    this.stageTwiddles = [];
    // After the optional radix-2 stage, fused stages have quarter lengths m = first, 4·first, …
    let m = this.log2Size % 2 === 1 ? 2 : 1;
    while (4 * m <= size) {
      const tw = new Float64Array(4 * m);
      for (let j = 0; j < m; j++) {
        const theta = (2 * Math.PI * j) / (4 * m);
        tw[4 * j] = Math.cos(theta);
        tw[4 * j + 1] = Math.sin(theta);
        tw[4 * j + 2] = Math.cos(2 * theta);
        tw[4 * j + 3] = Math.sin(2 * theta);
      }
      this.stageTwiddles.push(tw);
      m *= 4;
    }
  }

  /** Transforms (re, im) in place; `sign` is the sign of the exponent (+1 or −1). */
  transform(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    this.checkLength(re, im);
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
    this.transformBitReversed(re, im, sign);
  }

  /**
   * Like `transform`, for input already stored in bit-reversed order (x[n] at index
   * `reversal()[n]`); the output is in natural order. Writers that scatter their input
   * anyway (extirpolation) save the permutation pass this way.
   */
  transformBitReversed(re: Float64Array, im: Float64Array, sign: 1 | -1): void {
    const n = this.checkLength(re, im);
    // Stages whose blocks fit in a cache-sized chunk run chunk by chunk (one trip through
    // memory for all of them); the wider stages then sweep the whole array.
    const chunk = Math.min(n, CACHE_CHUNK);
    const odd = this.log2Size % 2 === 1;
    let firstWide = 0;
    for (let s = 0, m = odd ? 2 : 1; s < this.stageTwiddles.length && 4 * m <= chunk; s++, m *= 4) firstWide = s + 1;
    for (let start = 0; start < n; start += chunk) {
      const end = start + chunk;
      if (odd) radix2First(re, im, start, end);
      let m = odd ? 2 : 1;
      for (let s = 0; s < firstWide; s++, m *= 4) {
        if (m === 1) radix4First(re, im, start, end, sign);
        else radix4Stage(re, im, start, end, m, this.stageTwiddles[s], sign);
      }
    }
    let m = (odd ? 2 : 1) * 4 ** firstWide;
    for (let s = firstWide; s < this.stageTwiddles.length; s++, m *= 4) radix4Stage(re, im, 0, n, m, this.stageTwiddles[s], sign);
  }

  /** The bit-reversal table: where `transformBitReversed` expects x[i] (read-only). */
  reversal(): Readonly<Uint32Array> {
    return this.reversed;
  }

  private checkLength(re: Float64Array, im: Float64Array): number {
    const n = this.size;
    if (re.length < n || im.length < n) {
      throw new TimeseriesError('SIZE_MISMATCH', `FFT of length ${n} needs arrays of at least that length, got ${re.length} and ${im.length}`);
    }
    return n;
  }
}

/** Points per chunk for the narrow stages: 2^13 complex values = 128 KiB, well inside L2. */
const CACHE_CHUNK = 1 << 13;

function radix2First(re: Float64Array, im: Float64Array, start: number, end: number): void {
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

/** Bit reversal of every index 0…n−1: rev(i) = rev(i >> 1) >> 1, plus the top bit from i's lowest. */
function bitReversalTable(n: number, bits: number): Uint32Array {
  const rev = new Uint32Array(n);
  for (let i = 1; i < n; i++) rev[i] = (rev[i >> 1] >>> 1) | ((i & 1) << (bits - 1));
  return rev;
}

/** The first fused stage (m = 1): every twiddle is 1, only the ±i rotation remains. */
function radix4First(re: Float64Array, im: Float64Array, start: number, end: number, sign: number): void {
  for (let i = start; i < end; i += 4) {
    // Stage A: (0,1), (2,3); stage B: (0,2), (1,3) with the second twiddle ±i.
    const a0r = re[i] + re[i + 1];
    const a0i = im[i] + im[i + 1];
    const a1r = re[i] - re[i + 1];
    const a1i = im[i] - im[i + 1];
    const a2r = re[i + 2] + re[i + 3];
    const a2i = im[i + 2] + im[i + 3];
    const a3r = re[i + 2] - re[i + 3];
    const a3i = im[i + 2] - im[i + 3];
    // a3 · (sign·i)
    const b3r = -sign * a3i;
    const b3i = sign * a3r;
    re[i] = a0r + a2r;
    im[i] = a0i + a2i;
    re[i + 2] = a0r - a2r;
    im[i + 2] = a0i - a2i;
    re[i + 1] = a1r + b3r;
    im[i + 1] = a1i + b3i;
    re[i + 3] = a1r - b3r;
    im[i + 3] = a1i - b3i;
  }
}

/**
 * One fused pair of radix-2 stages on blocks of 4m: stage A joins half-blocks of 2m with
 * twiddles W_{2m}^j = W_{4m}^{2j}; stage B joins the halves of 4m with W_{4m}^j and
 * W_{4m}^{j+m} = W_{4m}^j·(sign·i).
 */
function radix4Stage(re: Float64Array, im: Float64Array, start: number, end: number, m: number, tw: Float64Array, sign: number): void {
  const block = 4 * m;
  for (let base = start; base < end; base += block) {
    for (let j = 0; j < m; j++) {
      const c1 = tw[4 * j];
      const s1 = sign * tw[4 * j + 1];
      const c2 = tw[4 * j + 2];
      const s2 = sign * tw[4 * j + 3];
      const i0 = base + j;
      const i1 = i0 + m;
      const i2 = i1 + m;
      const i3 = i2 + m;
      // Stage A: pairs (i0, i1) and (i2, i3), twiddle W^{2j} on the second of each.
      const x1r = re[i1] * c2 - im[i1] * s2;
      const x1i = re[i1] * s2 + im[i1] * c2;
      const x3r = re[i3] * c2 - im[i3] * s2;
      const x3i = re[i3] * s2 + im[i3] * c2;
      const a0r = re[i0] + x1r;
      const a0i = im[i0] + x1i;
      const a1r = re[i0] - x1r;
      const a1i = im[i0] - x1i;
      const a2r = re[i2] + x3r;
      const a2i = im[i2] + x3i;
      const a3r = re[i2] - x3r;
      const a3i = im[i2] - x3i;
      // Stage B: (i0, i2) with W^j; (i1, i3) with W^j·(sign·i).
      const b2r = a2r * c1 - a2i * s1;
      const b2i = a2r * s1 + a2i * c1;
      const t3r = a3r * c1 - a3i * s1;
      const t3i = a3r * s1 + a3i * c1;
      const b3r = -sign * t3i;
      const b3i = sign * t3r;
      re[i0] = a0r + b2r;
      im[i0] = a0i + b2i;
      re[i2] = a0r - b2r;
      im[i2] = a0i - b2i;
      re[i1] = a1r + b3r;
      im[i1] = a1i + b3i;
      re[i3] = a1r - b3r;
      im[i3] = a1i - b3i;
    }
  }
}
