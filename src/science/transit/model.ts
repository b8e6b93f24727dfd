/**
 * Transit light curve: Keplerian orbit (orbit.ts) → sky separation → quadratic
 * limb-darkened occultation (occultation.ts), optionally averaged over each exposure.
 *
 * Exposure averaging follows batman's convention so that fits agree with it: the model at
 * time t with exposure T and supersampling factor n is the plain mean of the model at the
 * n times spaced evenly from t − T/2 to t + T/2 inclusive (n = 1 or T = 0: no averaging).
 * `supersampleRule: 'midpoint'` uses the n midpoints of n equal sub-intervals instead
 * (the midpoint rule, a better quadrature of the exposure for the same n).
 */
import { TransitError, requireFinite } from './errors.js';
import { quadraticCoefficients, quadraticFluxAt } from './occultation.js';
import { prepareOrbit, separationAt, transitPhaseWindow, type OrbitParams } from './orbit.js';

export interface TransitParams extends OrbitParams {
  /** Planet-to-star radius ratio Rp/R*. */
  rp: number;
  /** Quadratic limb-darkening coefficients [u1, u2]. */
  u: readonly [number, number];
  /** Exposure (integration) time in days; 0 or absent for instantaneous samples. */
  exposureDays?: number;
  /** Number of samples across each exposure (integer ≥ 1; default 1). */
  supersample?: number;
  /** Placement of the samples: batman's (default) or the midpoint rule. */
  supersampleRule?: 'batman' | 'midpoint';
}

/** Guard against absurd supersampling requests (work grows as n × points). */
export const MAX_SUPERSAMPLE = 1000;

/**
 * Relative flux at each time in `tDays` (days, same scale as `t0`). `out` may be passed
 * to avoid allocation; it must have the length of `tDays`.
 */
export function transitLightCurve(tDays: Float64Array, params: TransitParams, out?: Float64Array): Float64Array {
  const orbit = prepareOrbit(params);
  if (!Array.isArray(params.u) || params.u.length !== 2) {
    throw new TransitError('BAD_ARGUMENT', 'quadratic limb darkening needs u = [u1, u2]', { parameter: 'u' });
  }
  const ld = quadraticCoefficients(params.rp, params.u[0], params.u[1]);
  const p = params.rp;
  const n = params.supersample ?? 1;
  const exposure = params.exposureDays ?? 0;
  requireFinite(exposure, 'exposureDays', 0);
  if (!Number.isInteger(n) || n < 1 || n > MAX_SUPERSAMPLE) {
    throw new TransitError('BAD_ARGUMENT', `supersample must be an integer in [1, ${MAX_SUPERSAMPLE}], got ${n}`, { parameter: 'supersample' });
  }
  const res = out ?? new Float64Array(tDays.length);
  if (res.length !== tDays.length) {
    throw new TransitError('SIZE_MISMATCH', `output has length ${res.length}, times have ${tDays.length}`, { parameter: 'out' });
  }
  // Phase window outside which the flux is exactly 1: lets the loop skip Kepler and MA02.
  const win = transitPhaseWindow(orbit, 1 + p);
  const lo = win ? win.lo : 0;
  const width = win ? win.hi - win.lo : 1;
  const invPeriod = 1 / orbit.periodDays;
  const t0 = orbit.t0;
  if (n === 1 || exposure === 0) {
    for (let i = 0; i < tDays.length; i++) {
      const t = tDays[i];
      if (win) {
        let ph = (t - t0) * invPeriod - lo;
        ph -= Math.floor(ph);
        if (ph > width) {
          res[i] = t === t ? 1 : NaN;
          continue;
        }
      }
      res[i] = quadraticFluxAt(separationAt(t, orbit), p, ld);
    }
    return res;
  }
  // Offsets of the samples within an exposure, computed once.
  const offsets = new Float64Array(n);
  const midpoint = params.supersampleRule === 'midpoint';
  for (let j = 0; j < n; j++) {
    offsets[j] = midpoint ? exposure * ((j + 0.5) / n - 0.5) : exposure * (j / (n - 1) - 0.5);
  }
  const spanPhase = (offsets[n - 1] - offsets[0]) * invPeriod;
  const inv = 1 / n;
  for (let i = 0; i < tDays.length; i++) {
    const t = tDays[i];
    if (win && spanPhase < 1 - width) {
      // Skip the exposure when all its samples fall in the out-of-transit gap.
      let ph = (t + offsets[0] - t0) * invPeriod - lo;
      ph -= Math.floor(ph);
      if (ph > width && ph + spanPhase < 1) {
        res[i] = t === t ? 1 : NaN;
        continue;
      }
    }
    let sum = 0;
    for (let j = 0; j < n; j++) sum += quadraticFluxAt(separationAt(t + offsets[j], orbit), p, ld);
    res[i] = sum * inv;
  }
  return res;
}
