/**
 * Seeded pseudo-random numbers for the samplers. The generator is xoshiro128**
 * (Blackman & Vigna 2018, "Scrambled linear pseudorandom number generators"): 128 bits of
 * state in four 32-bit words, period 2^128 − 1, fast in 32-bit integer arithmetic. The
 * seed is expanded into the state with the MurmurHash3 32-bit finaliser on a Weyl sequence
 * (so nearby seeds give unrelated streams and the state is never all zero).
 *
 * Normal draws use Marsaglia's polar method, which yields two at a time; the spare is part
 * of the state so that a checkpointed generator resumes exactly.
 *
 * There is no global generator: every sampler takes a seed and owns its Rng.
 */
import { InferenceError } from './errors.js';

/** Serialisable generator state: the four state words (as int32) and the cached normal. */
export interface RngState {
  s: [number, number, number, number];
  /** Second normal deviate of the last polar pair, or null when none is cached. */
  spare: number | null;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class Rng {
  private readonly s = new Int32Array(4);
  private hasSpare = false;
  private spare = 0;

  /** `seed`: any safe integer (negative allowed). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new InferenceError('BAD_ARGUMENT', `seed must be a safe integer, got ${seed}`, { field: 'seed' });
    }
    const lo = ((seed % TWO_POW_32) + TWO_POW_32) % TWO_POW_32;
    const hi = Math.floor(seed / TWO_POW_32) | 0;
    let x = lo | 0;
    const h = fmix32(hi ^ 0x6a09e667);
    for (let k = 0; k < 4; k++) {
      x = (x + 0x9e3779b9) | 0;
      this.s[k] = fmix32(x ^ Math.imul(h, k + 1)) ^ h;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** A generator continuing exactly from `state`. */
  static fromState(state: RngState): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  getState(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.hasSpare ? this.spare : null };
  }

  setState(state: RngState): void {
    const s = state?.s;
    if (!Array.isArray(s) || s.length !== 4 || !s.every((v) => Number.isInteger(v) && v >= -2147483648 && v <= 4294967295)) {
      throw new InferenceError('BAD_STATE', 'generator state must be four 32-bit integers', { field: 'rng.s' });
    }
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new InferenceError('BAD_STATE', 'generator state is all zero', { field: 'rng.s' });
    if (state.spare !== null && !Number.isFinite(state.spare)) {
      throw new InferenceError('BAD_STATE', 'cached normal deviate must be finite or null', { field: 'rng.spare' });
    }
    for (let k = 0; k < 4; k++) this.s[k] = s[k] | 0;
    this.hasSpare = state.spare !== null;
    this.spare = state.spare ?? 0;
  }

  /** Next 32 random bits as a signed int32 (use `>>> 0` for unsigned). */
  nextInt32(): number {
    const s = this.s;
    const s0 = s[0];
    const s1 = s[1];
    const s2 = s[2] ^ s0;
    const s3 = s[3] ^ s1;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s[1] = s1 ^ s2;
    s[0] = s0 ^ s3;
    s[2] = s2 ^ t;
    s[3] = (s3 << 11) | (s3 >>> 21);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextInt32() >>> 5; // 27 bits
    const b = this.nextInt32() >>> 6; // 26 bits
    return (a * 67108864 + b) * TWO_POW_M53;
  }

  /** Uniform double in (0, 1]: safe to take the logarithm of. */
  uniformPositive(): number {
    return 1 - this.uniform();
  }

  /** Uniform integer in [0, n) for 1 ≤ n ≤ 2^32, without modulo bias. */
  int(n: number): number {
    if (n <= 1) return 0;
    // Rejection of the top partial block keeps every value equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    while (true) {
      const v = this.nextInt32() >>> 0;
      if (v < limit) return v % n;
    }
  }

  /** Standard normal deviate. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let r2: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      r2 = u * u + v * v;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.spare = v * f;
    this.hasSpare = true;
    return u * f;
  }

  /** Fills `out` with standard normal deviates. */
  fillNormal(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal();
    return out;
  }

  /** Fills `out` with uniform deviates in [0, 1). */
  fillUniform(out: Float64Array): Float64Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniform();
    return out;
  }
}

/** A seed for an independent sub-stream (e.g. one per run) derived from a base seed. */
export function deriveSeed(seed: number, stream: number): number {
  const r = new Rng(seed);
  const a = fmix32((r.nextInt32() ^ Math.imul(stream | 0, 0x9e3779b9)) | 0) >>> 0;
  const b = fmix32((r.nextInt32() + (Math.floor(stream / TWO_POW_32) | 0)) | 0) >>> 11; // 21 bits
  return b * TWO_POW_32 + a;
}
