/**
 * Gaussian likelihood of observed transit times under the n-body forward model:
 *
 *   ln L = −½ Σᵢ [ (Tᵢ − T_model,ᵢ(θ))² / s²ᵢ + ln(2π s²ᵢ) ],   s²ᵢ = σᵢ² + jitter²,
 *
 * the ln(2π s²) term kept so the jitter is a proper parameter and evidences are absolute.
 *
 * Model transits are matched to observations by epoch: a simulated transit of an observed
 * planet at time t gets the epoch E₀ + round((t − T₀)/P) of that planet's linear ephemeris
 * fitted to its observations (docs/decisions/0017). A parameter set that loses an observed
 * transit (it fell outside the integration, or the orbit went unstable) or puts two model
 * transits on one epoch has likelihood zero (−Infinity), as does any failure of the
 * integration itself.
 *
 * One TtvLikelihood owns one TransitSimulator and its buffers; calls allocate only the
 * system description. Not thread-safe: one per thread (worker threads build their own).
 */
import { DynamicsError } from '../dynamics/errors.js';
import { toAstrocentric, type PlanetarySystem } from '../dynamics/system.js';
import { TransitSimulator, type TransitTimes } from '../dynamics/transits.js';
import { TtvError } from './errors.js';
import { EARTH_MASS_MSUN, jitterAt, logPrior, planetValues, type TtvModel } from './model.js';

const LN_2PI = Math.log(2 * Math.PI);

export class TtvLikelihood {
  readonly model: TtvModel;
  readonly nDim: number;
  /** Likelihood evaluations so far (forward-model calls). */
  calls = 0;
  private readonly sim: TransitSimulator;
  private readonly modelTime: Float64Array;
  /** Per planet: first observed epoch and row index of each epoch from there (−1 = none). */
  private readonly epochMin: Int32Array;
  private readonly rowOf: Int32Array[];

  constructor(model: TtvModel) {
    this.model = model;
    this.nDim = model.parameters.length;
    this.sim = new TransitSimulator(model.planets.length);
    const n = model.data.timeDays.length;
    this.modelTime = new Float64Array(n);
    const np = model.planets.length;
    this.epochMin = new Int32Array(np);
    this.rowOf = [];
    for (let p = 0; p < np; p++) {
      let lo = Infinity;
      let hi = -Infinity;
      for (let r = 0; r < n; r++) {
        if (model.data.planet[r] !== p) continue;
        lo = Math.min(lo, model.data.epoch[r]);
        hi = Math.max(hi, model.data.epoch[r]);
      }
      if (lo > hi) {
        this.rowOf.push(new Int32Array(0));
        continue;
      }
      if (hi - lo > 10_000_000) throw new TtvError('TOO_LARGE', `planet '${model.planets[p].name}' spans ${hi - lo} epochs`);
      const map = new Int32Array(hi - lo + 1).fill(-1);
      for (let r = 0; r < n; r++) if (model.data.planet[r] === p) map[model.data.epoch[r] - lo] = r;
      this.epochMin[p] = lo;
      this.rowOf.push(map);
    }
  }

  /** The planetary system at θ, in the dynamics module's conventions (Jacobi elements). */
  system(theta: ArrayLike<number>): PlanetarySystem {
    const m = this.model;
    return {
      coordinates: 'jacobi-elements',
      G: m.G,
      stellarMassMsun: m.stellarMassMsun,
      epochDays: m.referenceEpochDays,
      planets: m.planets.map((_, p) => {
        const v = planetValues(m, theta, p);
        return {
          massMsun: v.massEarth * EARTH_MASS_MSUN,
          periodDays: v.periodDays,
          eccentricity: v.ecc,
          inclinationDeg: v.incDeg,
          longitudeOfNodeDeg: v.nodeDeg,
          argumentOfPeriapsisDeg: v.omegaDeg,
          conjunctionDays: v.conjunctionDays,
        };
      }),
    };
  }

  /**
   * Transits from the reference epoch to `endDays` (default: the model's end). The arrays
   * are views into the simulator, valid until the next call; undefined if the integration
   * fails (an unbound orbit, a close encounter).
   */
  simulate(theta: ArrayLike<number>, endDays = this.model.endDays): TransitTimes | undefined {
    this.calls++;
    try {
      return this.sim.run(toAstrocentric(this.system(theta)), { stepDays: this.model.stepDays, endDays });
    } catch (err) {
      if (err instanceof DynamicsError) return undefined;
      throw err;
    }
  }

  /** Epoch of a simulated transit of observed planet p at time t, by its data ephemeris. */
  epochOf(p: number, t: number): number {
    const e = this.model.planets[p].ephemeris;
    if (!e) return NaN;
    return e.referenceEpoch + Math.round((t - e.t0Days) / e.periodDays);
  }

  /**
   * Model time of every observation (row order) into `out`; false when some observation
   * has no model transit or two transits share an epoch.
   */
  modelTimes(theta: ArrayLike<number>, out: Float64Array = this.modelTime): boolean {
    const t = this.simulate(theta);
    if (!t) return false;
    out.fill(NaN);
    const planets = this.model.planets;
    for (let i = 0; i < t.count; i++) {
      const p = t.planet[i];
      const eph = planets[p].ephemeris;
      if (!eph) continue;
      const time = t.timeDays[i];
      const e = eph.referenceEpoch + Math.round((time - eph.t0Days) / eph.periodDays) - this.epochMin[p];
      const map = this.rowOf[p];
      if (e < 0 || e >= map.length) continue;
      const r = map[e];
      if (r < 0) continue;
      if (out[r] === out[r]) return false; // a second model transit on this epoch
      out[r] = time;
    }
    for (let r = 0; r < out.length; r++) if (out[r] !== out[r]) return false;
    return true;
  }

  /** ln L(θ) (the prior is not included); −Infinity where the model cannot match the data. */
  logLikelihood(theta: ArrayLike<number>): number {
    const jitter = jitterAt(this.model, theta);
    if (!(jitter >= 0)) return -Infinity;
    if (!this.modelTimes(theta)) return -Infinity;
    const d = this.model.data;
    const j2 = jitter * jitter;
    let s = 0;
    for (let r = 0; r < d.timeDays.length; r++) {
      const v = d.sigmaDays[r] * d.sigmaDays[r] + j2;
      const res = d.timeDays[r] - this.modelTime[r];
      s += (res * res) / v + Math.log(v) + LN_2PI;
    }
    const lnL = -0.5 * s;
    return Number.isFinite(lnL) ? lnL : -Infinity;
  }

  /** ln π(θ) + ln L(θ); the likelihood is not computed outside the prior's support. */
  logPosterior(theta: ArrayLike<number>): number {
    const lp = logPrior(this.model, theta);
    if (lp === -Infinity) return lp;
    return lp + this.logLikelihood(theta);
  }

  /**
   * Normalised residuals (T − T_model)/√(σ² + jitter²) into `out` (one per observation);
   * false where the likelihood would be zero.
   */
  residuals(theta: ArrayLike<number>, out: Float64Array): boolean {
    const jitter = jitterAt(this.model, theta);
    if (!(jitter >= 0) || !this.modelTimes(theta)) return false;
    const d = this.model.data;
    const j2 = jitter * jitter;
    for (let r = 0; r < d.timeDays.length; r++) out[r] = (d.timeDays[r] - this.modelTime[r]) / Math.sqrt(d.sigmaDays[r] * d.sigmaDays[r] + j2);
    return true;
  }
}
