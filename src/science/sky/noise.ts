/**
 * Per-pixel noise and digitisation kernels: pure, synchronous, over row ranges, so a worker
 * pool can run them on horizontal strips. Row y draws from its own stream
 * Rng(deriveSeed(seed, y)), so the result does not depend on how rows are split up.
 */
import { deriveSeed, Rng } from '../inference/random.js';
import { poissonDeviate, uniform32 } from './poisson.js';

export interface NoiseParams {
  /** Replace each expected count by a Poisson deviate with that mean. */
  poisson: boolean;
  /** Gaussian read noise σ in electrons (0 for none). */
  readNoiseE: number;
  /** Base seed; row y uses deriveSeed(seed, y). */
  seed: number;
}

/**
 * Turns expected electrons into a realisation in place, rows [row0, row1): Poisson
 * photon/dark noise, then Gaussian read noise. Expected values must be ≥ 0.
 */
export function applyNoiseRows(buf: Float32Array, width: number, row0: number, row1: number, params: NoiseParams): void {
  const rn = params.readNoiseE;
  const poisson = params.poisson;
  for (let y = row0; y < row1; y++) {
    const rng = new Rng(deriveSeed(params.seed, y));
    let spare = 0;
    let hasSpare = false;
    const base = y * width;
    for (let x = 0; x < width; x++) {
      let e = buf[base + x];
      if (poisson) e = poissonDeviate(rng, e);
      if (rn > 0) {
        // Marsaglia's polar method, two deviates per accepted pair; 32-bit uniforms.
        let z: number;
        if (hasSpare) {
          z = spare;
          hasSpare = false;
        } else {
          let u: number;
          let v: number;
          let r2: number;
          do {
            u = 2 * uniform32(rng) - 1;
            v = 2 * uniform32(rng) - 1;
            r2 = u * u + v * v;
          } while (r2 >= 1 || r2 === 0);
          const f = Math.sqrt((-2 * Math.log(r2)) / r2);
          z = u * f;
          spare = v * f;
          hasSpare = true;
        }
        e += rn * z;
      }
      buf[base + x] = e;
    }
  }
}

export type FrameArray = Uint8Array | Uint16Array | Uint32Array;

export interface DigitiseParams {
  gainEPerAdu: number;
  biasAdu: number;
  /** Full-well capacity: electrons above it are clipped (the well saturates). */
  fullWellE: number;
  /** Largest ADC output, 2^bitDepth − 1. */
  maxAdu: number;
}

/**
 * Pixels [i0, i1): clips electrons at the full well (in place, so the float output shows
 * the saturated well too) and converts to ADU = e/gain + bias, rounded to the nearest
 * integer and clipped to [0, maxAdu].
 */
export function digitiseRange(electrons: Float32Array, frame: FrameArray, i0: number, i1: number, p: DigitiseParams): void {
  const invGain = 1 / p.gainEPerAdu;
  const bias = p.biasAdu + 0.5; // floor(x + 0.5) rounds to nearest
  const full = p.fullWellE;
  const max = p.maxAdu;
  for (let i = i0; i < i1; i++) {
    let e = electrons[i];
    if (e > full) {
      e = full;
      electrons[i] = e;
    }
    const adu = Math.floor(e * invGain + bias);
    frame[i] = adu < 0 ? 0 : adu > max ? max : adu;
  }
}
