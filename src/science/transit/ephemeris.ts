/**
 * Linear ephemeris T(n) = T0 + n·P fitted to mid-transit times by weighted least squares,
 * and observed-minus-calculated (O−C) residuals with their uncertainties.
 *
 * The fit is done about the weighted mean epoch n̄, where the intercept T̄ and the slope P
 * are uncorrelated:  P = Σw(n − n̄)(T − T̄) / Σw(n − n̄)²,  T̄ = Σw T / Σw,  w = 1/σ².
 * Var(P) = 1/Σw(n − n̄)², Var(T̄) = 1/Σw; moving to the reference epoch n_ref gives
 * T0 = T̄ + (n_ref − n̄)P with Var(T0) = Var(T̄) + (n_ref − n̄)² Var(P) and
 * Cov(T0, P) = (n_ref − n̄) Var(P). Times are differenced from the first time before any
 * sum, so BJDs near 2.46e6 keep their sub-second digits.
 *
 * Uncertainties are the formal ones from the given σ ("unscaled"); with `scaleErrors`
 * they are multiplied by √(χ²/dof) when that exceeds 1 (a common, conservative choice
 * when TTVs or underestimated errors inflate the scatter).
 */
import { TransitError } from './errors.js';

export interface LinearEphemeris {
  /** Mid-transit time at the reference epoch (days). */
  t0: number;
  /** Period (days). */
  periodDays: number;
  /** 1σ of t0 (days). */
  sigmaT0: number;
  /** 1σ of the period (days). */
  sigmaPeriod: number;
  /** Covariance of (t0, period) (days²). */
  covT0Period: number;
  /** Epoch number that t0 refers to. */
  referenceEpoch: number;
  /** Σ ((T − T0 − nP)/σ)². */
  chi2: number;
  /** Degrees of freedom (points − 2). */
  dof: number;
  /** Factor applied to the formal errors (1 unless scaleErrors raised it). */
  errorScale: number;
}

export interface EphemerisOptions {
  /** Epoch at which t0 is reported; default: the epoch closest to the weighted mean (least correlated). */
  referenceEpoch?: number;
  /** Inflate the errors by √(χ²/dof) when that exceeds 1. */
  scaleErrors?: boolean;
}

/** Weighted least-squares linear ephemeris. Needs ≥ 2 distinct epochs and σ > 0. */
export function fitLinearEphemeris(
  epochs: ArrayLike<number>,
  timesDays: ArrayLike<number>,
  sigmaDays: ArrayLike<number>,
  options: EphemerisOptions = {},
): LinearEphemeris {
  const n = epochs.length;
  if (timesDays.length !== n || sigmaDays.length !== n) {
    throw new TransitError('SIZE_MISMATCH', `epochs (${n}), times (${timesDays.length}) and sigmas (${sigmaDays.length}) differ in length`);
  }
  if (n < 2) throw new TransitError('TOO_FEW_POINTS', `a linear ephemeris needs at least 2 transit times, got ${n}`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(epochs[i]) || !Number.isInteger(epochs[i])) throw new TransitError('BAD_ARGUMENT', `epoch must be an integer, got ${epochs[i]}`, { parameter: 'epochs', index: i });
    if (!Number.isFinite(timesDays[i])) throw new TransitError('BAD_ARGUMENT', `time must be finite, got ${timesDays[i]}`, { parameter: 'timesDays', index: i });
    if (!(sigmaDays[i] > 0) || !Number.isFinite(sigmaDays[i])) throw new TransitError('BAD_ARGUMENT', `uncertainty must be positive and finite, got ${sigmaDays[i]}`, { parameter: 'sigmaDays', index: i });
  }
  const tRef = timesDays[0];
  let sw = 0;
  let swn = 0;
  let swt = 0;
  for (let i = 0; i < n; i++) {
    const w = 1 / (sigmaDays[i] * sigmaDays[i]);
    sw += w;
    swn += w * epochs[i];
    swt += w * (timesDays[i] - tRef);
  }
  const nBar = swn / sw;
  const tBar = swt / sw; // relative to tRef
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const w = 1 / (sigmaDays[i] * sigmaDays[i]);
    const dn = epochs[i] - nBar;
    sxx += w * dn * dn;
    sxy += w * dn * (timesDays[i] - tRef - tBar);
  }
  if (!(sxx > 0)) throw new TransitError('TOO_FEW_POINTS', 'all transit times share one epoch: the period is unconstrained');
  const period = sxy / sxx;
  if (!(period > 0)) throw new TransitError('BAD_ARGUMENT', `fitted period is not positive (${period}); are the epochs numbered in time order?`, { parameter: 'epochs' });
  let chi2 = 0;
  for (let i = 0; i < n; i++) {
    const r = (timesDays[i] - tRef - tBar - period * (epochs[i] - nBar)) / sigmaDays[i];
    chi2 += r * r;
  }
  const dof = n - 2;
  const errorScale = options.scaleErrors && dof > 0 && chi2 / dof > 1 ? Math.sqrt(chi2 / dof) : 1;
  const refEpoch = options.referenceEpoch ?? Math.round(nBar);
  if (!Number.isFinite(refEpoch)) throw new TransitError('BAD_ARGUMENT', `reference epoch must be finite, got ${refEpoch}`, { parameter: 'referenceEpoch' });
  const varP = 1 / sxx;
  const dRef = refEpoch - nBar;
  const s2 = errorScale * errorScale;
  return {
    t0: tRef + tBar + dRef * period,
    periodDays: period,
    sigmaT0: Math.sqrt((1 / sw + dRef * dRef * varP) * s2),
    sigmaPeriod: Math.sqrt(varP * s2),
    covT0Period: dRef * varP * s2,
    referenceEpoch: refEpoch,
    chi2,
    dof,
    errorScale,
  };
}

/** Predicted mid-transit time at `epoch` and its 1σ from the ephemeris' covariance. */
export function predictTransitTime(eph: LinearEphemeris, epoch: number): { timeDays: number; sigmaDays: number } {
  const dn = epoch - eph.referenceEpoch;
  const v = eph.sigmaT0 * eph.sigmaT0 + dn * dn * eph.sigmaPeriod * eph.sigmaPeriod + 2 * dn * eph.covT0Period;
  return { timeDays: eph.t0 + dn * eph.periodDays, sigmaDays: Math.sqrt(Math.max(0, v)) };
}

export interface OMinusC {
  epochs: Float64Array;
  /** Observed − calculated (days). */
  ocDays: Float64Array;
  /** 1σ of O−C (days): the measurement's, plus the ephemeris prediction's in quadrature if asked. */
  sigmaDays: Float64Array;
}

/**
 * O−C of each transit time against `eph`. With `includeEphemerisError`, each σ adds the
 * ephemeris' own prediction uncertainty in quadrature (right for times not used in the
 * fit; for times that were, the two are correlated and the measurement σ alone is usual).
 */
export function observedMinusCalculated(
  eph: LinearEphemeris,
  epochs: ArrayLike<number>,
  timesDays: ArrayLike<number>,
  sigmaDays: ArrayLike<number>,
  includeEphemerisError = false,
): OMinusC {
  const n = epochs.length;
  if (timesDays.length !== n || sigmaDays.length !== n) {
    throw new TransitError('SIZE_MISMATCH', `epochs (${n}), times (${timesDays.length}) and sigmas (${sigmaDays.length}) differ in length`);
  }
  const out: OMinusC = { epochs: new Float64Array(n), ocDays: new Float64Array(n), sigmaDays: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    const pred = predictTransitTime(eph, epochs[i]);
    out.epochs[i] = epochs[i];
    // Difference of the epoch offsets first: both times are ~2.46e6, their gap is small.
    out.ocDays[i] = timesDays[i] - eph.t0 - (epochs[i] - eph.referenceEpoch) * eph.periodDays;
    const s = sigmaDays[i];
    out.sigmaDays[i] = includeEphemerisError ? Math.sqrt(s * s + pred.sigmaDays * pred.sigmaDays) : s;
  }
  return out;
}

/** Nearest epoch number of each time for an ephemeris (t0 at epoch 0 unless referenceEpoch is given). */
export function assignEpochs(timesDays: ArrayLike<number>, t0: number, periodDays: number, referenceEpoch = 0): Float64Array {
  if (!(periodDays > 0) || !Number.isFinite(periodDays)) throw new TransitError('BAD_ARGUMENT', `period must be positive, got ${periodDays}`, { parameter: 'periodDays' });
  const out = new Float64Array(timesDays.length);
  for (let i = 0; i < timesDays.length; i++) out[i] = referenceEpoch + Math.round((timesDays[i] - t0) / periodDays);
  return out;
}
