/**
 * Transit times from the Wisdom–Holman integration, found the way TTVFast does it (Deck et
 * al. 2014 §2.3) with a more accurate interpolation inside the step.
 *
 * Definition (golden-ttv/README.md): a transit of planet p is a time where its sky-plane
 * separation from the star is at a minimum, g = x·vx + y·vy = 0 going from − to +
 * (astrocentric position and velocity), with the planet in front (z > 0, observer on +z).
 * Every planet is searched whether or not it crosses the stellar disc.
 *
 * Detection: after each step g is evaluated on the mapping coordinates (they differ from
 * the real ones by O(ε h²), enough to bracket a crossing).
 * Refinement: a cubic Hermite interpolant of g over the step (slopes from two-body motion)
 * gives a first guess τ0. The step end nearer to τ0 is taken to real coordinates with the
 * first-order corrector; from there g(τ) is solved by Newton's method, each evaluation advancing
 * planets 0..p by one kick(σ/2) ∘ drift(σ) ∘ kick(σ/2) map over σ = τ − (that end), |σ| ≤ h/2.
 * The kicks use the interaction accelerations of the step's two ends, linearly interpolated
 * to τ, so only the p + 1 Kepler drifts needed for planet p's astrocentric state are
 * computed. The local error is O(ε (n h/2)³), against O(ε (n h)²) for a pure Kepler
 * interpolation.
 *
 * Output is sorted by time; epochs count from 0 (the first transit after the start) per planet.
 */
import { keplerDriftPacked } from './kepler-drift.js';
import { DynamicsError } from './errors.js';
import { astrocentricToJacobi, jacobiKeplerMu } from './jacobi.js';
import { toAstrocentric, type AstrocentricState, type PlanetarySystem } from './system.js';
import { MAX_UNROLLED_PLANETS } from './step-kernel.js';
import { WisdomHolman } from './wisdom-holman.js';

export interface TransitOptions {
  /** Fixed step (days); TTVFast advises at most 1/20 of the shortest period. */
  stepDays: number;
  /** Absolute end time (days); the integration starts at the state's epoch. */
  endDays: number;
  /** Corrector stages applied to the initial state (0 = none); default DEFAULT_CORRECTOR_STAGES. */
  correctorStages?: number;
  /** Plain kick instead of the modified kick (for tests of the integrator's error terms). */
  plainKick?: boolean;
  /** The general loop step even where an unrolled one exists (for tests comparing the two). */
  loopStep?: boolean;
}

/** Transits in time order: planet (0-based, input order), epoch, time and sky-plane geometry. */
export interface TransitTimes {
  count: number;
  planet: Int32Array;
  epoch: Int32Array;
  timeDays: Float64Array;
  /** Sky-plane separation from the star at mid-transit (AU). */
  rskyAu: Float64Array;
  /** Sky-plane speed relative to the star at mid-transit (AU/day). */
  vskyAu: Float64Array;
}

/**
 * An error in the initial state becomes a period error that grows over the run, so the input
 * corrector is taken to high order (its cost is paid once). An output state's error stays
 * local: there the first-order corrector (WisdomHolman.toRealFirstOrder) is enough.
 */
export const DEFAULT_CORRECTOR_STAGES = 6;
/** Refuse integrations longer than this many steps (a guard against unit mistakes). */
export const MAX_STEPS = 50_000_000;
const NEWTON_TOL_DAYS = 1e-6;
const NEWTON_MAX_ITER = 30;

/**
 * A reusable forward model for systems of `nPlanets` planets: all buffers are allocated
 * once, so repeated calls (samplers) allocate nothing except when the output must grow.
 * The arrays returned by `run` are views into the simulator's buffers, valid until the
 * next call.
 */
export class TransitSimulator {
  readonly nPlanets: number;
  private readonly wh: WisdomHolman;
  /** Real (corrected) Jacobi states at the step's start and end, when computed. */
  private realStart: Float64Array;
  private realEnd: Float64Array;
  private readonly sub: Float64Array;
  private readonly gPrev: Float64Array;
  private readonly epochs: Int32Array;
  private capacity = 0;
  private outPlanet = new Int32Array(0);
  private outEpoch = new Int32Array(0);
  private outTime = new Float64Array(0);
  private outRsky = new Float64Array(0);
  private outVsky = new Float64Array(0);
  private count = 0;
  // Result of the last `evaluate` / `skyAt`: planet's sky-plane state, g and dg/dt.
  private ex = 0;
  private ey = 0;
  private evx = 0;
  private evy = 0;
  private eg = 0;
  private egDot = 0;
  private ek = 0; // GM/r³ of the two-body acceleration at that state

  constructor(nPlanets: number) {
    this.wh = new WisdomHolman(nPlanets);
    this.nPlanets = nPlanets;
    const n = nPlanets;
    this.realStart = new Float64Array(6 * n);
    this.realEnd = new Float64Array(6 * n);
    this.sub = new Float64Array(6 * n);
    this.gPrev = new Float64Array(n);
    this.epochs = new Int32Array(n);
  }

  run(state: AstrocentricState, options: TransitOptions): TransitTimes {
    const n = this.nPlanets;
    if (state.masses.length !== n || state.state.length !== 6 * n) {
      throw new DynamicsError('BAD_ARGUMENT', `simulator is for ${n} planets, state has ${state.masses.length}`);
    }
    const h = options.stepDays;
    const t0 = state.epochDays;
    const tEnd = options.endDays;
    if (!(h > 0) || !Number.isFinite(h)) throw new DynamicsError('BAD_VALUE', `time step ${h} d must be positive and finite`);
    if (!Number.isFinite(t0) || !Number.isFinite(tEnd) || !(tEnd >= t0)) {
      throw new DynamicsError('BAD_VALUE', `end time ${tEnd} must be finite and not before the start ${t0}`);
    }
    const nSteps = Math.ceil((tEnd - t0) / h);
    if (nSteps > MAX_STEPS) throw new DynamicsError('TOO_LARGE', `${nSteps} steps of ${h} d exceed the limit of ${MAX_STEPS}`);
    const wh = this.wh;
    wh.configure(
      state.G,
      state.stellarMassMsun,
      state.masses,
      h,
      options.correctorStages ?? DEFAULT_CORRECTOR_STAGES,
    );
    wh.modifiedKick = !options.plainKick;
    wh.unrolled = !options.loopStep && n <= MAX_UNROLLED_PLANETS;
    wh.setAstrocentric(state.state);
    this.reserve(this.estimateCapacity(tEnd - t0));
    this.count = 0;
    this.epochs.fill(0);

    wh.applyCorrector(wh.jac, false);
    wh.refreshAcceleration();
    for (let p = 0; p < n; p++) this.gPrev[p] = wh.sky[p];

    this.integrate(t0, tEnd, nSteps);
    return {
      count: this.count,
      planet: this.outPlanet.subarray(0, this.count),
      epoch: this.outEpoch.subarray(0, this.count),
      timeDays: this.outTime.subarray(0, this.count),
      rskyAu: this.outRsky.subarray(0, this.count),
      vskyAu: this.outVsky.subarray(0, this.count),
    };
  }

  /** The step loop (kept apart from `run` so its optimized code survives between calls). */
  private integrate(t0: number, tEnd: number, nSteps: number): void {
    const wh = this.wh;
    const n = this.nPlanets;
    const h = wh.h;
    const jac = wh.jac;
    const acc = wh.acc;
    const sky = wh.sky;
    const gPrev = this.gPrev;
    // The loop step leaves the force caches toRealFirstOrder can reuse; the unrolled one does not.
    const stepLeavesCaches = !wh.unrolled;
    let endReady = false;
    for (let s = 0; s < nSteps; s++) {
      const tn = t0 + s * h;
      // The previous step's real end state is this step's real start state.
      let startReady = endReady;
      if (endReady) {
        const t = this.realStart;
        this.realStart = this.realEnd;
        this.realEnd = t;
      }
      endReady = false;
      wh.step();
      // The force caches now belong to `jac`, until the start state is corrected.
      let cachesOnEnd = stepLeavesCaches;
      for (let p = 0; p < n; p++) {
        const g1 = sky[p];
        const g0 = gPrev[p];
        gPrev[p] = g1;
        if (!(g0 < 0 && g1 >= 0 && sky[n + p] > 0)) continue;
        const tau0 = this.firstGuess(p, g0, g1);
        let fromEnd = tau0 > 0.5 * h;
        if (fromEnd && !endReady) {
          wh.toRealFirstOrder(jac, acc, this.realEnd, cachesOnEnd);
          endReady = true;
        } else if (!fromEnd && !startReady) {
          wh.toRealFirstOrder(this.wh.jacPrev, this.wh.accPrev, this.realStart, false);
          cachesOnEnd = false;
          startReady = true;
        }
        fromEnd = fromEnd && endReady;
        const tau = this.solveTransit(p, tau0, fromEnd);
        const t = tn + tau;
        if (t >= t0 && t <= tEnd) this.record(p, t);
      }
    }
  }

  /** Astrocentric sky-plane state of planet p in Jacobi buffer `buf` into the e* fields. */
  private skyAt(buf: Float64Array, p: number): void {
    const wh = this.wh;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    let svx = 0;
    let svy = 0;
    for (let j = 0; j < p; j++) {
      const o = 6 * j;
      const f = wh.m[j] / wh.eta[j];
      sx += f * buf[o];
      sy += f * buf[o + 1];
      sz += f * buf[o + 2];
      svx += f * buf[o + 3];
      svy += f * buf[o + 4];
    }
    const o = 6 * p;
    this.setSky(p, buf[o] + sx, buf[o + 1] + sy, buf[o + 2] + sz, buf[o + 3] + svx, buf[o + 4] + svy);
  }

  private setSky(p: number, x: number, y: number, z: number, vx: number, vy: number): void {
    const wh = this.wh;
    const r2 = x * x + y * y + z * z;
    // dg/dt with the two-body acceleration about the star (enough for a Newton slope).
    const k = (wh.G * (wh.stellarMass + wh.m[p])) / (r2 * Math.sqrt(r2));
    this.ek = k;
    this.ex = x;
    this.ey = y;
    this.evx = vx;
    this.evy = vy;
    this.eg = x * vx + y * vy;
    this.egDot = vx * vx + vy * vy - k * (x * x + y * y);
  }

  /** Root in [0, h] of the cubic Hermite interpolant of g through the step's two ends. */
  private firstGuess(p: number, g0: number, g1: number): number {
    const h = this.wh.h;
    this.skyAt(this.wh.jacPrev, p);
    const d0 = this.egDot * h;
    this.skyAt(this.wh.jac, p);
    const d1 = this.egDot * h;
    // H(u) = g0·h00 + d0·h10 + g1·h01 + d1·h11 on u ∈ [0, 1]; Newton from the secant root.
    let u = g0 / (g0 - g1);
    for (let iter = 0; iter < 8; iter++) {
      const u2 = u * u;
      const u3 = u2 * u;
      const H = g0 * (2 * u3 - 3 * u2 + 1) + d0 * (u3 - 2 * u2 + u) + g1 * (3 * u2 - 2 * u3) + d1 * (u3 - u2);
      const dH = g0 * (6 * u2 - 6 * u) + d0 * (3 * u2 - 4 * u + 1) + g1 * (6 * u - 6 * u2) + d1 * (3 * u2 - 2 * u);
      const du = -H / dH;
      if (!Number.isFinite(du)) break;
      u = Math.min(1, Math.max(0, u + du));
      if (Math.abs(du) < 1e-12) break;
    }
    return u * h;
  }

  /**
   * Newton's method on g(τ) for planet p from the real state at the chosen end of the step.
   * The slope uses two-body motion, so each iteration gains a factor ~ the interaction/Kepler
   * force ratio; once a correction is below NEWTON_TOL_DAYS the remaining error is far below
   * a microsecond, and the sky-plane state is carried over the last correction by its
   * two-body Taylor series instead of another evaluation.
   */
  private solveTransit(p: number, tau0: number, fromEnd: boolean): number {
    const h = this.wh.h;
    let tau = tau0;
    let dtau = 0;
    for (let iter = 0; iter < NEWTON_MAX_ITER; iter++) {
      this.evaluate(p, tau, fromEnd);
      dtau = -this.eg / this.egDot;
      if (!Number.isFinite(dtau)) {
        dtau = 0;
        break;
      }
      // Keep the iterate near the step: a crossing found there lies within it up to O(ε h²).
      if (tau + dtau < -h) dtau = -h - tau;
      else if (tau + dtau > 2 * h) dtau = 2 * h - tau;
      tau += dtau;
      if (Math.abs(dtau) < NEWTON_TOL_DAYS) break;
    }
    const d = dtau;
    const ax = -this.ek * this.ex;
    const ay = -this.ek * this.ey;
    this.ex += d * (this.evx + 0.5 * d * ax);
    this.ey += d * (this.evy + 0.5 * d * ay);
    this.evx += d * ax;
    this.evy += d * ay;
    return tau;
  }

  /**
   * Astrocentric state of planet p at step start + τ: kick(σ/2) ∘ drift(σ) ∘ kick(σ/2) of the
   * Jacobi planets 0..p from the real state at the start (σ = τ) or end (σ = τ − h), with the
   * interaction accelerations interpolated linearly between the step's ends.
   */
  private evaluate(p: number, tau: number, fromEnd: boolean): void {
    const wh = this.wh;
    const base = fromEnd ? this.realEnd : this.realStart;
    const sub = this.sub;
    const a0 = this.wh.accPrev;
    const a1 = wh.acc;
    const aBase = fromEnd ? a1 : a0;
    const sigma = fromEnd ? tau - wh.h : tau;
    const par = wh.driftPar;
    const half = 0.5 * sigma;
    const frac = tau / wh.h;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    let svx = 0;
    let svy = 0;
    for (let j = 0; j <= p; j++) {
      const o = 6 * j;
      const q = 3 * j;
      sub[o] = base[o];
      sub[o + 1] = base[o + 1];
      sub[o + 2] = base[o + 2];
      sub[o + 3] = base[o + 3] + half * aBase[q];
      sub[o + 4] = base[o + 4] + half * aBase[q + 1];
      sub[o + 5] = base[o + 5] + half * aBase[q + 2];
      par[3 * j + 2] = sigma;
      keplerDriftPacked(sub, o, par, 3 * j);
      sub[o + 3] += half * (a0[q] + frac * (a1[q] - a0[q]));
      sub[o + 4] += half * (a0[q + 1] + frac * (a1[q + 1] - a0[q + 1]));
      sub[o + 5] += half * (a0[q + 2] + frac * (a1[q + 2] - a0[q + 2]));
      if (j < p) {
        const f = wh.m[j] / wh.eta[j];
        sx += f * sub[o];
        sy += f * sub[o + 1];
        sz += f * sub[o + 2];
        svx += f * sub[o + 3];
        svy += f * sub[o + 4];
      }
    }
    const o = 6 * p;
    this.setSky(p, sub[o] + sx, sub[o + 1] + sy, sub[o + 2] + sz, sub[o + 3] + svx, sub[o + 4] + svy);
  }

  private record(p: number, t: number): void {
    if (this.count === this.capacity) this.reserve(2 * this.capacity + 16);
    let i = this.count++;
    // Transits within one step can come out of time order; bubble into place.
    while (i > 0 && this.outTime[i - 1] > t) {
      this.outPlanet[i] = this.outPlanet[i - 1];
      this.outEpoch[i] = this.outEpoch[i - 1];
      this.outTime[i] = this.outTime[i - 1];
      this.outRsky[i] = this.outRsky[i - 1];
      this.outVsky[i] = this.outVsky[i - 1];
      i--;
    }
    this.outPlanet[i] = p;
    this.outEpoch[i] = this.epochs[p]++;
    this.outTime[i] = t;
    this.outRsky[i] = Math.sqrt(this.ex * this.ex + this.ey * this.ey);
    this.outVsky[i] = Math.sqrt(this.evx * this.evx + this.evy * this.evy);
  }

  /** Expected number of transits over `span` days from the Jacobi Kepler periods, with margin. */
  private estimateCapacity(span: number): number {
    const wh = this.wh;
    const jac = wh.jac;
    let total = 16;
    for (let i = 0; i < this.nPlanets; i++) {
      const o = 6 * i;
      const r = Math.hypot(jac[o], jac[o + 1], jac[o + 2]);
      const v2 = jac[o + 3] ** 2 + jac[o + 4] ** 2 + jac[o + 5] ** 2;
      const beta = (2 * wh.mu[i]) / r - v2;
      if (beta > 0) {
        const period = (2 * Math.PI * wh.mu[i]) / (beta * Math.sqrt(beta));
        total += Math.ceil((1.25 * span) / period) + 2;
      } else total += 2;
    }
    return Math.min(total, 10_000_000);
  }

  private reserve(cap: number): void {
    if (cap <= this.capacity) return;
    const keep = this.count;
    const p = new Int32Array(cap);
    p.set(this.outPlanet.subarray(0, keep));
    this.outPlanet = p;
    const e = new Int32Array(cap);
    e.set(this.outEpoch.subarray(0, keep));
    this.outEpoch = e;
    const t = new Float64Array(cap);
    t.set(this.outTime.subarray(0, keep));
    this.outTime = t;
    const r = new Float64Array(cap);
    r.set(this.outRsky.subarray(0, keep));
    this.outRsky = r;
    const v = new Float64Array(cap);
    v.set(this.outVsky.subarray(0, keep));
    this.outVsky = v;
    this.capacity = cap;
  }
}

/**
 * The step TTVFast's advice and our default tests use: 1/20 of the shortest osculating
 * (Jacobi) period of the system.
 */
export function suggestedStepDays(state: AstrocentricState): number {
  const n = state.masses.length;
  const jac = new Float64Array(6 * n);
  astrocentricToJacobi(state.stellarMassMsun, state.masses, state.state, jac);
  const mu = jacobiKeplerMu(state.G, state.stellarMassMsun, state.masses);
  let shortest = Infinity;
  for (let i = 0; i < n; i++) {
    const o = 6 * i;
    const r = Math.hypot(jac[o], jac[o + 1], jac[o + 2]);
    const v2 = jac[o + 3] ** 2 + jac[o + 4] ** 2 + jac[o + 5] ** 2;
    const beta = (2 * mu[i]) / r - v2;
    if (!(beta > 0)) throw new DynamicsError('UNBOUND_ORBIT', 'planet is not on a bound orbit', { planet: i });
    shortest = Math.min(shortest, (2 * Math.PI * mu[i]) / (beta * Math.sqrt(beta)));
  }
  return shortest / 20;
}

/** Transit times of a system from its epoch to `endDays` (fresh arrays the caller owns). */
export function simulateTransits(system: PlanetarySystem | AstrocentricState, options: TransitOptions): TransitTimes {
  const state = 'state' in system ? system : toAstrocentric(system);
  const sim = new TransitSimulator(state.masses.length);
  const r = sim.run(state, options);
  return {
    count: r.count,
    planet: r.planet.slice(),
    epoch: r.epoch.slice(),
    timeDays: r.timeDays.slice(),
    rskyAu: r.rskyAu.slice(),
    vskyAu: r.vskyAu.slice(),
  };
}
