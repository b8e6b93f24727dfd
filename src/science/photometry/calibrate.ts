/**
 * Calibrating one frame: decide whether it can fit its own colour term, borrow one from the
 * instrument registry, or do without, then fit; and record good colour terms back into the
 * registry so the next sparse frame of the same instrument can use them.
 */
import { requireFinite } from './errors.js';
import type { InstrumentKey, InstrumentRegistry } from './registry.js';
import { fitZeroPoint, type ZeroPointFit, type ZeroPointInput, type ZeroPointOptions } from './zeropoint.js';

export interface FrameCalibrationOptions extends Omit<ZeroPointOptions, 'colourTerm'> {
  registry?: InstrumentRegistry;
  instrument?: InstrumentKey;
  /** Fewest usable stars for a frame to fit its own colour term; default 10. */
  minStarsForColourTerm?: number;
  /** Smallest standard deviation of the stars' colours for the same, mag; default 0.15. */
  minColourStdMag?: number;
}

export interface FrameCalibration extends ZeroPointFit {
  /** Why the colour term was fitted, borrowed or left out. */
  reason: string;
}

export function calibrateFrame(input: ZeroPointInput, options: FrameCalibrationOptions = {}): FrameCalibration {
  const minStars = requireFinite(options.minStarsForColourTerm ?? 10, 'minStarsForColourTerm', 3, 1e9);
  const minStd = requireFinite(options.minColourStdMag ?? 0.15, 'minColourStdMag', 0, 10);
  const base: ZeroPointOptions = { sigma: options.sigma, maxIters: options.maxIters, errorFloorMag: options.errorFloorMag };
  if (input?.colour === undefined) return { ...fitZeroPoint(input, { ...base, colourTerm: 'none' }), reason: 'no catalog colours: zero point only' };
  const { count, std } = colourSpread(input);
  if (count >= minStars && std >= minStd) {
    return { ...fitZeroPoint(input, { ...base, colourTerm: 'fit' }), reason: `${count} stars with colour spread ${std.toFixed(2)} mag: colour term fitted` };
  }
  const why = count < minStars ? `${count} stars (< ${minStars})` : `colour spread ${std.toFixed(2)} mag (< ${minStd})`;
  const borrowed = options.registry && options.instrument ? options.registry.colourTerm(options.instrument) : undefined;
  if (borrowed) {
    return {
      ...fitZeroPoint(input, { ...base, colourTerm: { value: borrowed.value, err: borrowed.err } }),
      reason: `${why}: colour term ${borrowed.value.toFixed(3)} ± ${borrowed.err.toFixed(3)} from the registry (${borrowed.count} measurement(s))`,
    };
  }
  return { ...fitZeroPoint(input, { ...base, colourTerm: 'none' }), reason: `${why} and no registry colour term: zero point only` };
}

/**
 * Adds a frame's fitted colour term to the registry (replacing an earlier one with the same
 * id). Only fitted terms from at least `minStars` kept stars are recorded; returns whether
 * it was.
 */
export function recordColourTerm(
  registry: InstrumentRegistry,
  instrument: InstrumentKey,
  fit: ZeroPointFit,
  id: string,
  options: { observedAt?: string; minStars?: number } = {},
): boolean {
  const minStars = options.minStars ?? 10;
  if (fit.colourTermSource !== 'fit' || fit.used < minStars || !(fit.colourTermErr > 0)) return false;
  registry.add(instrument, { id, value: fit.colourTerm, err: fit.colourTermErr, observedAt: options.observedAt, stars: fit.used });
  return true;
}

function colourSpread(input: ZeroPointInput): { count: number; std: number } {
  const vals: number[] = [];
  for (let i = 0; i < input.instMag.length; i++) {
    const c = input.colour![i];
    if (Number.isFinite(c) && Number.isFinite(input.instMag[i]) && Number.isFinite(input.catMag[i])) vals.push(c);
  }
  if (vals.length < 2) return { count: vals.length, std: 0 };
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  const v = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / (vals.length - 1);
  return { count: vals.length, std: Math.sqrt(v) };
}
