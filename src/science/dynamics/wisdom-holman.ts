/**
 * The Wisdom–Holman mixed-variable symplectic map (Wisdom & Holman 1991) in Jacobi
 * coordinates, with symplectic correctors (Wisdom, Holman & Touma 1996).
 *
 * Splitting. H = H_Kepler + H_int with H_Kepler = Σ_i [p'_i²/2m'_i − G m_i M_s/r'_i]
 * (each planet's Jacobi Kepler problem, GM = G·M_s·η_i/η_{i−1}) and
 *   H_int = Σ_i G m_i M_s (1/r'_i − 1/r_i) − Σ_{i<j} G m_i m_j / r_ij,
 * which depends on positions only, so its flow is a kick. One step is kick(h/2) ∘ drift(h) ∘
 * kick(h/2); the kick acceleration at a boundary is shared by two steps, so a step costs one
 * Kepler drift per planet and one interaction evaluation.
 *
 * Interaction acceleration in Jacobi coordinates. Velocities transform like positions, so
 * the Jacobi interaction acceleration is the Jacobi transform of the inertial Newtonian
 * accelerations plus the Kepler term put back. Collecting the star–planet terms gives
 *   a'_i = μ_i (r'_i/r'_i³ − r_i/r_i³) − (M_s/η_{i−1}) Σ_{k>i} G m_k r_k/r_k³
 *          + A_i − (Σ_{j<i} m_j A_j)/η_{i−1},
 * where r_i is astrocentric, μ_i = G M_s η_i/η_{i−1} and A_i = Σ_{j≠i} G m_j (r_j − r_i)/r_ij³ is
 * the planet–planet acceleration. For the innermost planet r' = r, so its star terms cancel
 * exactly instead of by subtraction.
 *
 * Correctors. In Lie-operator form (x = h·ad of the Kepler flow, B = the kick generator)
 * the map is exp(hA + h·(x/2)coth(x/2)·B + O(ε²)). Conjugating by exp(Y) with
 *   Y = h·[(x/2)coth(x/2) − 1]/x · B = h Σ_k c_k x^{2k−1} B,  c_k = B_{2k}/(2k)!
 * (Bernoulli numbers) turns it into the exact flow up to O(ε²) terms. The maps
 * X(a, b) = drift(a h) ∘ kick(b h) ∘ drift(−a h) and Z(a, b) = X(a, b) ∘ X(−a, −b) generate
 * exp(2b·h·sinh(a x)·B + O(ε²)) (up to the sign convention of ad), so a product of Z(a_i, b_i)
 * with a_i = i·α reproduces Y through x^{2K−1} when Σ_i 2 b_i a_i^{2k−1}/(2k−1)! = ∓c_k,
 * k = 1..K: a linear system we solve once per K. A K-stage corrector removes the O(ε h^{2k})
 * terms of the error Hamiltonian for k ≤ K, leaving O(ε h^{2K+2} + ε² h²).
 *
 * All buffers are preallocated Float64Arrays; a step allocates nothing.
 */
import { keplerDrift } from './kepler-drift.js';
import { DynamicsError } from './errors.js';

/** Bernoulli numbers B_2, B_4, ..., B_16. */
const BERNOULLI_EVEN = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];
export const MAX_CORRECTOR_STAGES = BERNOULLI_EVEN.length;
/** Spacing of the corrector's drift nodes a_i = i·α (in units of the step). */
const CORRECTOR_ALPHA = 0.5;
const MODIFIED_KICK_KAPPA = process.env.KAPPA ? Number(process.env.KAPPA) : -1 / 12;

function factorial(n: number): number {
  let f = 1;
  for (let k = 2; k <= n; k++) f *= k;
  return f;
}

/**
 * The (a_i, b_i) pairs of a K-stage corrector: a_i = i·α and b_i solving
 * Σ_i 2 b_i a_i^{2k−1}/(2k−1)! = −c_k for k = 1..K (the sign matches our composition order).
 */
export function correctorCoefficients(stages: number): { a: Float64Array; b: Float64Array } {
  if (!Number.isInteger(stages) || stages < 0 || stages > MAX_CORRECTOR_STAGES) {
    throw new DynamicsError('BAD_ARGUMENT', `corrector stages must be an integer in [0, ${MAX_CORRECTOR_STAGES}], got ${stages}`);
  }
  const K = stages;
  const a = new Float64Array(K);
  for (let i = 0; i < K; i++) a[i] = (i + 1) * CORRECTOR_ALPHA;
  // Augmented matrix rows k, columns i.
  const m: number[][] = [];
  for (let k = 1; k <= K; k++) {
    const row: number[] = [];
    for (let i = 0; i < K; i++) row.push((2 * a[i] ** (2 * k - 1)) / factorial(2 * k - 1));
    row.push((process.env.CSIGN ? -1 : 1) * -BERNOULLI_EVEN[k - 1] / factorial(2 * k));
    m.push(row);
  }
  // Gaussian elimination with partial pivoting.
  for (let c = 0; c < K; c++) {
    let p = c;
    for (let r = c + 1; r < K; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < K; r++) {
      const f = m[r][c] / m[c][c];
      for (let j = c; j <= K; j++) m[r][j] -= f * m[c][j];
    }
  }
  const b = new Float64Array(K);
  for (let r = K - 1; r >= 0; r--) {
    let s = m[r][K];
    for (let j = r + 1; j < K; j++) s -= m[r][j] * b[j];
    b[r] = s / m[r][r];
  }
  return { a, b };
}

export class WisdomHolman {
  readonly nPlanets: number;
  G = 0;
  stellarMass = 0;
  /** Planet masses (M☉). */
  readonly m: Float64Array;
  /** η_i = M_s + Σ_{j≤i} m_j. */
  readonly eta: Float64Array;
  /** η_{i−1}. */
  readonly etaPrev: Float64Array;
  /** Jacobi Kepler GM per planet. */
  readonly mu: Float64Array;
  /** Jacobi state (6 per planet), in mapping coordinates while integrating. */
  readonly jac: Float64Array;
  /** Jacobi interaction acceleration at the positions in `jac` (3 per planet). */
  readonly acc: Float64Array;
  /** Astrocentric positions from the last interaction evaluation (3 per planet). */
  readonly pos: Float64Array;
  /** Step (days). */
  h = 0;
  private corrIn = correctorCoefficients(0);
  private corrOut = correctorCoefficients(0);
  private readonly invR3: Float64Array;
  private readonly ppAcc: Float64Array;
  private readonly scratchAcc: Float64Array;
  private pendingDrift = 0;
  /** Interaction acceleration of the modified kick (3 per planet). */
  readonly kickAcc: Float64Array;
  private readonly displaced: Float64Array;
  modified = true;

  constructor(nPlanets: number) {
    if (!Number.isInteger(nPlanets) || nPlanets < 1 || nPlanets > 1000) {
      throw new DynamicsError('BAD_ARGUMENT', `number of planets must be an integer in [1, 1000], got ${nPlanets}`);
    }
    const n = nPlanets;
    this.nPlanets = n;
    this.m = new Float64Array(n);
    this.eta = new Float64Array(n);
    this.etaPrev = new Float64Array(n);
    this.mu = new Float64Array(n);
    this.jac = new Float64Array(6 * n);
    this.acc = new Float64Array(3 * n);
    this.pos = new Float64Array(3 * n);
    this.invR3 = new Float64Array(n);
    this.ppAcc = new Float64Array(3 * n);
    this.scratchAcc = new Float64Array(3 * n);
    this.kickAcc = new Float64Array(3 * n);
    this.displaced = new Float64Array(6 * n);
  }

  /** Sets G, the masses, the step and the corrector; leaves the state alone. */
  configure(G: number, stellarMass: number, masses: ArrayLike<number>, stepDays: number, correctorStages: number): void {
    if (masses.length !== this.nPlanets) throw new DynamicsError('BAD_ARGUMENT', `expected ${this.nPlanets} masses, got ${masses.length}`);
    if (!(stepDays > 0) || !Number.isFinite(stepDays)) throw new DynamicsError('BAD_VALUE', `time step ${stepDays} d must be positive and finite`);
    this.G = G;
    this.stellarMass = stellarMass;
    this.h = stepDays;
    let prev = stellarMass;
    for (let i = 0; i < this.nPlanets; i++) {
      this.m[i] = masses[i];
      this.etaPrev[i] = prev;
      prev += masses[i];
      this.eta[i] = prev;
      this.mu[i] = (G * stellarMass * prev) / this.etaPrev[i];
    }
    const outStages = process.env.KOUT ? Number(process.env.KOUT) : correctorStages;
    if (this.corrIn.a.length !== correctorStages) this.corrIn = correctorCoefficients(correctorStages);
    if (this.corrOut.a.length !== outStages) this.corrOut = correctorCoefficients(outStages);
  }

  /** Loads an astrocentric state (6 per planet) as the Jacobi state. */
  setAstrocentric(astro: ArrayLike<number>): void {
    const n = this.nPlanets;
    const jac = this.jac;
    for (let k = 0; k < 6; k++) {
      let t = 0;
      for (let i = 0; i < n; i++) {
        const v = astro[6 * i + k];
        jac[6 * i + k] = v - t / this.etaPrev[i];
        t += this.m[i] * v;
      }
    }
  }

  /** Astrocentric state of a Jacobi buffer `src` into `out` (6 per planet). */
  toAstrocentric(src: Float64Array, out: Float64Array): void {
    const n = this.nPlanets;
    for (let k = 0; k < 6; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) {
        const v = src[6 * i + k];
        out[6 * i + k] = v + s;
        s += (this.m[i] / this.eta[i]) * v;
      }
    }
  }

  /**
   * Jacobi interaction acceleration for the positions in `src` (6 per planet) into `out`
   * (3 per planet). Leaves astrocentric positions in `this.pos`.
   */
  interaction(src: Float64Array, out: Float64Array): void {
    const n = this.nPlanets;
    const m = this.m;
    const eta = this.eta;
    const etaPrev = this.etaPrev;
    const mu = this.mu;
    const pos = this.pos;
    const invR3 = this.invR3;
    const pp = this.ppAcc;
    const G = this.G;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let i = 0; i < n; i++) {
      const jx = src[6 * i];
      const jy = src[6 * i + 1];
      const jz = src[6 * i + 2];
      const px = jx + sx;
      const py = jy + sy;
      const pz = jz + sz;
      pos[3 * i] = px;
      pos[3 * i + 1] = py;
      pos[3 * i + 2] = pz;
      const f = m[i] / eta[i];
      sx += f * jx;
      sy += f * jy;
      sz += f * jz;
      const r2 = px * px + py * py + pz * pz;
      invR3[i] = 1 / (r2 * Math.sqrt(r2));
      pp[3 * i] = 0;
      pp[3 * i + 1] = 0;
      pp[3 * i + 2] = 0;
      if (i === 0) {
        out[0] = 0;
        out[1] = 0;
        out[2] = 0;
      } else {
        const q2 = jx * jx + jy * jy + jz * jz;
        const invJ3 = 1 / (q2 * Math.sqrt(q2));
        const ai = invR3[i];
        out[3 * i] = mu[i] * (jx * invJ3 - px * ai);
        out[3 * i + 1] = mu[i] * (jy * invJ3 - py * ai);
        out[3 * i + 2] = mu[i] * (jz * invJ3 - pz * ai);
      }
    }
    // Planet–planet accelerations A_i.
    for (let i = 0; i < n; i++) {
      const xi = pos[3 * i];
      const yi = pos[3 * i + 1];
      const zi = pos[3 * i + 2];
      let axi = pp[3 * i];
      let ayi = pp[3 * i + 1];
      let azi = pp[3 * i + 2];
      const mi = m[i];
      for (let j = i + 1; j < n; j++) {
        const dx = pos[3 * j] - xi;
        const dy = pos[3 * j + 1] - yi;
        const dz = pos[3 * j + 2] - zi;
        const d2 = dx * dx + dy * dy + dz * dz;
        const inv = G / (d2 * Math.sqrt(d2));
        const fj = m[j] * inv;
        const fi = mi * inv;
        axi += fj * dx;
        ayi += fj * dy;
        azi += fj * dz;
        pp[3 * j] -= fi * dx;
        pp[3 * j + 1] -= fi * dy;
        pp[3 * j + 2] -= fi * dz;
      }
      pp[3 * i] = axi;
      pp[3 * i + 1] = ayi;
      pp[3 * i + 2] = azi;
    }
    // −(M_s/η_{i−1}) Σ_{k>i} G m_k r_k/r_k³, by a suffix sum.
    const Ms = this.stellarMass;
    let qx = 0;
    let qy = 0;
    let qz = 0;
    for (let i = n - 1; i >= 0; i--) {
      const c = Ms / etaPrev[i];
      out[3 * i] -= c * qx;
      out[3 * i + 1] -= c * qy;
      out[3 * i + 2] -= c * qz;
      const w = G * m[i] * invR3[i];
      qx += w * pos[3 * i];
      qy += w * pos[3 * i + 1];
      qz += w * pos[3 * i + 2];
    }
    // A_i − Σ_{j<i} m_j A_j / η_{i−1}, by a prefix sum.
    let Px = 0;
    let Py = 0;
    let Pz = 0;
    for (let i = 0; i < n; i++) {
      const ax = pp[3 * i];
      const ay = pp[3 * i + 1];
      const az = pp[3 * i + 2];
      const c = 1 / etaPrev[i];
      out[3 * i] += ax - c * Px;
      out[3 * i + 1] += ay - c * Py;
      out[3 * i + 2] += az - c * Pz;
      Px += m[i] * ax;
      Py += m[i] * ay;
      Pz += m[i] * az;
    }
  }

  /** v += dt·a for every planet of `buf`. */
  kick(buf: Float64Array, acc: Float64Array, dt: number): void {
    const n = this.nPlanets;
    for (let i = 0; i < n; i++) {
      buf[6 * i + 3] += dt * acc[3 * i];
      buf[6 * i + 4] += dt * acc[3 * i + 1];
      buf[6 * i + 5] += dt * acc[3 * i + 2];
    }
  }

  /** Kepler drift of every planet of `buf` by dt. */
  drift(buf: Float64Array, dt: number): void {
    const n = this.nPlanets;
    const mu = this.mu;
    for (let i = 0; i < n; i++) keplerDrift(buf, 6 * i, mu[i], dt);
  }

  /** Makes `acc` valid for the current `jac` (call after loading a state). */
  refreshAcceleration(): void {
    this.interaction(this.jac, this.acc);
    this.modifyKick();
  }

  /** One step kick(h/2) ∘ drift(h) ∘ kick(h/2); `acc` must be valid on entry and is on exit. */
  step(): void {
    const h = this.h;
    const jac = this.jac;
    this.kick(jac, this.kickAcc, 0.5 * h);
    this.drift(jac, h);
    this.interaction(jac, this.acc);
    this.modifyKick();
    this.kick(jac, this.kickAcc, 0.5 * h);
  }

  /** kickAcc = 2a(q) − a(q + κh²a(q)): the kick of the modified potential (see header). */
  private modifyKick(): void {
    const n = this.nPlanets;
    const acc = this.acc;
    const ka = this.kickAcc;
    if (!this.modified) {
      ka.set(acc);
      return;
    }
    const s = MODIFIED_KICK_KAPPA * this.h * this.h;
    const d = this.displaced;
    const jac = this.jac;
    for (let i = 0; i < n; i++) {
      d[6 * i] = jac[6 * i] + s * acc[3 * i];
      d[6 * i + 1] = jac[6 * i + 1] + s * acc[3 * i + 1];
      d[6 * i + 2] = jac[6 * i + 2] + s * acc[3 * i + 2];
    }
    this.interaction(d, ka);
    for (let k = 0; k < 3 * n; k++) ka[k] = 2 * acc[k] - ka[k];
  }

  /**
   * Applies the corrector to a Jacobi buffer: `inverse = false` maps real coordinates to
   * mapping coordinates (before integrating), `inverse = true` maps back (for output).
   * Uses the kick acceleration scratch buffer; `buf` may be `this.jac` or any other buffer.
   */
  applyCorrector(buf: Float64Array, inverse: boolean): void {
    const { a, b } = inverse ? this.corrOut : this.corrIn;
    const K = a.length;
    if (K === 0) return;
    this.pendingDrift = 0;
    if (!inverse) {
      // C = Z_1 ∘ Z_2 ∘ … ∘ Z_K applied right to left, Z(a,b) = X(a,b) ∘ X(−a,−b).
      for (let i = K - 1; i >= 0; i--) {
        this.correctorX(buf, -a[i], -b[i]);
        this.correctorX(buf, a[i], b[i]);
      }
    } else {
      // C⁻¹ = Z_K⁻¹ ∘ … ∘ Z_1⁻¹, Z(a,b)⁻¹ = X(−a,b) ∘ X(a,−b), X(a,b)⁻¹ = X(a,−b).
      for (let i = 0; i < K; i++) {
        this.correctorX(buf, a[i], -b[i]);
        this.correctorX(buf, -a[i], b[i]);
      }
    }
    this.drift(buf, this.pendingDrift);
    this.pendingDrift = 0;
  }

  /** X(a, b) = drift(a h) ∘ kick(b h) ∘ drift(−a h); the last drift is left pending to merge. */
  private correctorX(buf: Float64Array, a: number, b: number): void {
    const h = this.h;
    this.drift(buf, this.pendingDrift - a * h);
    this.interaction(buf, this.scratchAcc);
    this.kick(buf, this.scratchAcc, b * h);
    this.pendingDrift = a * h;
  }

  /** Total energy (barycentric frame) of a Jacobi buffer, M☉ AU² day⁻². */
  energy(buf: Float64Array): number {
    const n = this.nPlanets;
    let T = 0;
    for (let i = 0; i < n; i++) {
      const mp = (this.m[i] * this.etaPrev[i]) / this.eta[i];
      const vx = buf[6 * i + 3];
      const vy = buf[6 * i + 4];
      const vz = buf[6 * i + 5];
      T += 0.5 * mp * (vx * vx + vy * vy + vz * vz);
    }
    this.interaction(buf, this.scratchAcc);
    const pos = this.pos;
    let U = 0;
    for (let i = 0; i < n; i++) {
      const xi = pos[3 * i];
      const yi = pos[3 * i + 1];
      const zi = pos[3 * i + 2];
      U -= (this.G * this.stellarMass * this.m[i]) / Math.sqrt(xi * xi + yi * yi + zi * zi);
      for (let j = i + 1; j < n; j++) {
        const dx = pos[3 * j] - xi;
        const dy = pos[3 * j + 1] - yi;
        const dz = pos[3 * j + 2] - zi;
        U -= (this.G * this.m[i] * this.m[j]) / Math.sqrt(dx * dx + dy * dy + dz * dz);
      }
    }
    return T + U;
  }
}
