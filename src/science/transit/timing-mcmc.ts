/**
 * Mid-transit time of one window by ensemble MCMC: the posterior of the same model as
 * fitTransitTime (multiplicative polynomial baseline × quadratic limb-darkened transit,
 * shape held or free) under flat priors, sampled with science/inference's ensemble
 * sampler. Walkers start in a ball from the Laplace fit (half its covariance), so a short
 * burn-in suffices. The reported time is the posterior median of tc and its uncertainty
 * the central 68 % interval (asymmetric where the posterior is, e.g. partial transits).
 */
import { runEnsemble } from '../inference/ensemble.js';
import { ensembleAutocorrTime } from '../inference/autocorr.js';
import { cholesky } from '../inference/linalg.js';
import type { Rng } from '../inference/random.js';
import { TransitError } from './errors.js';
import { transitLightCurve, type TransitParams } from './model.js';
import { fitTransitTime, type TransitTimeFit, type TransitTimeOptions } from './timing.js';

export interface TransitTimeMcmcOptions {
  /** Walkers (default max(16, 2·nParameters + 2), even). */
  nWalkers?: number;
  /** Steps (default 1500). */
  nSteps?: number;
  /** Leading steps dropped (default nSteps / 3). */
  burnIn?: number;
  seed: number;
}

export interface TransitTimeMcmc {
  /** Posterior median of tc (days). */
  tcDays: number;
  /** 16th/84th and 2.5th/97.5th percentiles of tc. */
  lo68Days: number;
  hi68Days: number;
  lo95Days: number;
  hi95Days: number;
  /** Half the 68 % interval (days). */
  sigmaDays: number;
  acceptance: number;
  /** Integrated autocorrelation time of tc (steps). */
  autocorrTime: number;
  /** tc draws after burn-in (days). */
  tcSamples: Float64Array;
}

/**
 * Samples the posterior of one window. `laplace` is the fit to start from (computed when
 * absent); the options are those of fitTransitTime.
 */
export async function sampleTransitTime(
  tDays: Float64Array,
  flux: Float64Array,
  sigma: Float64Array,
  options: TransitTimeOptions,
  mcmc: TransitTimeMcmcOptions,
  laplace?: TransitTimeFit,
): Promise<TransitTimeMcmc> {
  const fit = laplace ?? fitTransitTime(tDays, flux, sigma, options);
  const n = tDays.length;
  const nPar = fit.values.length;
  const order = fit.baseline.length - 1;
  const free = options.freeShape ?? false;
  const nSteps = mcmc.nSteps ?? 1500;
  const burnIn = mcmc.burnIn ?? Math.floor(nSteps / 3);
  let nWalkers = mcmc.nWalkers ?? Math.max(16, 2 * nPar + 2);
  if (nWalkers % 2 === 1) nWalkers++;
  if (!Number.isInteger(nSteps) || nSteps < 10) throw new TransitError('BAD_ARGUMENT', `nSteps must be an integer ≥ 10, got ${nSteps}`, { parameter: 'nSteps' });
  if (!Number.isInteger(burnIn) || burnIn < 0 || burnIn >= nSteps - 1) throw new TransitError('BAD_ARGUMENT', `burnIn must be an integer in [0, nSteps − 1), got ${burnIn}`, { parameter: 'burnIn' });

  const shape = options.shape;
  const base: TransitParams = {
    t0: fit.tcDays,
    periodDays: options.periodDays,
    rp: shape.rp,
    a: shape.a,
    incDeg: shape.incDeg,
    u: [shape.u[0], shape.u[1]],
    ecc: shape.ecc,
    omegaDeg: shape.omegaDeg,
    exposureDays: shape.exposureDays,
    supersample: shape.supersample,
  };
  // Same baseline variable as the Laplace fit: x = (t − tc guess) / half span.
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = (tDays[i] - options.tcGuessDays) / fit.halfSpanDays;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 1 / (sigma[i] * sigma[i]);
  const model = new Float64Array(n);
  const params: TransitParams = { ...base };
  const logProb = (th: Float64Array): number => {
    params.t0 = th[0];
    if (free) {
      const rp = th[order + 2];
      const a = th[order + 3];
      const b = th[order + 4];
      if (!(rp > 0 && rp < 1.5 && a > 1 && Math.abs(b) < a && Math.abs(b) < 1 + rp)) return -Infinity;
      params.rp = rp;
      params.a = a;
      params.incDeg = (Math.acos(Math.abs(b) / a) * 180) / Math.PI;
    }
    if (!Number.isFinite(th[0])) return -Infinity;
    transitLightCurve(tDays, params, model);
    let chi2 = 0;
    for (let i = 0; i < n; i++) {
      let bl = 0;
      for (let k = order; k >= 0; k--) bl = bl * x[i] + th[1 + k];
      const r = flux[i] - model[i] * bl;
      chi2 += r * r * w[i];
    }
    return Number.isFinite(chi2) ? -0.5 * chi2 : -Infinity;
  };

  // Start ball: N(θ̂, ½ C) from the Laplace covariance.
  const l = new Float64Array(nPar * nPar);
  const half = Float64Array.from(fit.covariance, (v) => 0.5 * v);
  const ok = cholesky(half, nPar, l);
  const z = new Float64Array(nPar);
  // A degenerate direction (e.g. the shape of a partial transit) can make the ball reach
  // outside the support; such a draw is pulled halfway back to the optimum until inside.
  const initial = (rng: Rng): Float64Array => {
    for (let i = 0; i < nPar; i++) z[i] = rng.normal();
    let th = fit.values.slice();
    for (let scale = 1, attempt = 0; attempt < 40; attempt++, scale *= 0.5) {
      th = fit.values.slice();
      for (let i = 0; i < nPar; i++) {
        let dv: number;
        if (ok) {
          dv = 0;
          for (let k = 0; k <= i; k++) dv += l[i * nPar + k] * z[k];
        } else dv = Math.sqrt(Math.max(half[i * nPar + i], 0)) * z[i];
        th[i] += scale * dv;
      }
      if (logProb(th) > -Infinity) break;
    }
    return th;
  };
  const r = await runEnsemble({ logProb, nWalkers, nSteps, initial, seed: mcmc.seed, moves: [{ type: 'stretch', weight: 2 }, { type: 'de', weight: 1 }] });
  const kept = nSteps - burnIn;
  const tc = new Float64Array(kept * nWalkers);
  for (let s = 0; s < kept; s++) for (let k = 0; k < nWalkers; k++) tc[s * nWalkers + k] = r.chain[((burnIn + s) * nWalkers + k) * nPar];
  const sorted = tc.slice().sort();
  const q = (p: number): number => {
    const pos = p * (sorted.length - 1);
    const i = Math.floor(pos);
    return i + 1 < sorted.length ? sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]) : sorted[sorted.length - 1];
  };
  let acc = 0;
  for (let k = 0; k < nWalkers; k++) acc += r.acceptance[k];
  const tau = ensembleAutocorrTime(r.chain, r, { discard: burnIn })[0];
  const lo68 = q(0.15865525393145707);
  const hi68 = q(0.8413447460685429);
  return {
    tcDays: q(0.5),
    lo68Days: lo68,
    hi68Days: hi68,
    lo95Days: q(0.025),
    hi95Days: q(0.975),
    sigmaDays: 0.5 * (hi68 - lo68),
    acceptance: acc / nWalkers,
    autocorrTime: tau,
    tcSamples: tc,
  };
}
