/**
 * The Wisdom–Holman mixed-variable symplectic map (Wisdom & Holman 1991) in Jacobi
 * coordinates, with a modified kick and symplectic correctors (Wisdom, Holman & Touma 1996).
 *
 * Splitting. H = A + B with A = Σ_i [p'_i²/2m'_i − G m_i M_s/r'_i] (each planet's Jacobi Kepler
 * problem, GM = G·M_s·η_i/η_{i−1}) and the interaction
 *   B = Σ_i G m_i M_s (1/r'_i − 1/r_i) − Σ_{i<j} G m_i m_j / r_ij,
 * which depends on positions only, so its flow is a kick. One step is kick(h/2) ∘ drift(h) ∘
 * kick(h/2); the kick at a step boundary is shared by two steps, so a step costs one Kepler
 * drift per planet and one interaction evaluation.
 *
 * Interaction acceleration in Jacobi coordinates. Velocities transform like positions, so
 * the Jacobi interaction acceleration is the Jacobi transform of the inertial Newtonian
 * accelerations with the Kepler term put back. Collecting the star–planet terms gives
 *   a'_i = μ_i (r'_i/r'_i³ − r_i/r_i³) − (M_s/η_{i−1}) Σ_{k>i} G m_k r_k/r_k³
 *          + A_i − (Σ_{j<i} m_j A_j)/η_{i−1},
 * with r_i astrocentric, μ_i = G M_s η_i/η_{i−1}, A_i = Σ_{j≠i} G m_j (r_j − r_i)/r_ij³ the
 * planet–planet acceleration. For the innermost planet r' = r: its star terms vanish exactly.
 *
 * Error terms. With x = h·ad_A acting on B (Lie operators, ε = planet/star mass ratio) the map
 * is exp(hA + h·(x/2)coth(x/2)·B − (h³/24)[B,[B,A]] + O(ε² h⁵, ε³)). Two devices remove the
 * leading errors:
 * - Corrector. Conjugating by exp(Y), Y = h·[(x/2)coth(x/2) − 1]/x·B = h Σ_k c_k x^{2k−1} B with
 *   c_k = B_{2k}/(2k)! (Bernoulli numbers), leaves the exact flow up to O(ε²) terms. The maps
 *   X(a, b) = drift(a h) ∘ kick(b h) ∘ drift(−a h) and Z(a, b) = X(a, b) ∘ X(−a, −b) generate
 *   exp(2b·h·sinh(a x)·B + O(ε²)) (the sign of x is fixed by our composition order), so a
 *   product of Z(a_i, b_i), a_i = i·α, matches Y through x^{2K−1} when
 *   Σ_i 2 b_i a_i^{2k−1}/(2k−1)! = −c_k, k = 1..K: a K×K linear system solved once. A K-stage
 *   corrector leaves O(ε h^{2K+2}) of the O(ε) error.
 * - Modified kick. The conjugation adds (h³/12)[[A,B],B] to the −(h³/24)[B,[B,A]] of the kernel:
 *   a net (h³/24)[B,[B,A]], the O(ε² h²) energy error that dominates once the corrector is
 *   in place. For A = kinetic + positions and B = B(q), {B,{B,A}} = Σ_i |∇_i B|²/m'_i depends on
 *   positions only, so kicking with B + c·h²·Σ|∇B|²/m' instead of B cancels it. Its
 *   acceleration is ã = a + (h²/12)·(Da)·a, where (Da)·a is the derivative of the interaction
 *   acceleration along the displacement a (a Hessian-vector product), evaluated analytically
 *   from the distances of the same force pass. (The sign was checked against an IAS15
 *   integration: the other sign doubles the error instead.) What remains is O(ε² h⁴).
 *
 * All buffers are preallocated Float64Arrays; a step allocates nothing.
 */
import { keplerDriftPacked } from './kepler-drift.js';
import { DynamicsError } from './errors.js';

/** Bernoulli numbers B_2, B_4, ..., B_16. */
const BERNOULLI_EVEN = [1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510];
export const MAX_CORRECTOR_STAGES = BERNOULLI_EVEN.length;
/** Spacing of the corrector's drift nodes a_i = i·α (in units of the step). */
const CORRECTOR_ALPHA = 0.5;
/** Sign of the first-order output corrector in our composition order (checked against the full corrector). */
const CORRECTOR_SIGN = 1;

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
    row.push(-BERNOULLI_EVEN[k - 1] / factorial(2 * k));
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
  /** Per planet: GM, 1/GM and the drift time, as keplerDriftPacked reads them. */
  readonly driftPar: Float64Array;
  /** Jacobi state (6 per planet), in mapping coordinates while integrating. */
  readonly jac: Float64Array;
  /** Jacobi interaction acceleration at the positions in `jac` (3 per planet). */
  readonly acc: Float64Array;
  /** Acceleration of the modified kick at the positions in `jac` (3 per planet). */
  readonly kickAcc: Float64Array;
  /** Astrocentric positions from the last interaction evaluation. */
  readonly posX: Float64Array;
  readonly posY: Float64Array;
  readonly posZ: Float64Array;
  /** Step (days). */
  h = 0;
  /** Use the modified kick (true unless testing the plain map). */
  modifiedKick = true;
  private corrIn = correctorCoefficients(0);
  private corrOut = correctorCoefficients(0);
  private pendingDrift = 0;
  // Caches of the last force pass, reused by the Hessian-vector pass.
  private readonly Gm: Float64Array;
  private readonly invR3: Float64Array;
  private readonly invR2: Float64Array;
  private readonly invJ3: Float64Array;
  private readonly invJ2: Float64Array;
  private readonly pairInv3: Float64Array;
  private readonly pairInv2: Float64Array;
  private readonly fJ: Float64Array; // m_i/η_i
  private readonly invEtaPrev: Float64Array;
  private readonly starOverEtaPrev: Float64Array; // M_s/η_{i−1}
  private readonly ppX: Float64Array;
  private readonly ppY: Float64Array;
  private readonly ppZ: Float64Array;
  private readonly dX: Float64Array;
  private readonly dY: Float64Array;
  private readonly dZ: Float64Array;
  private readonly dfX: Float64Array;
  private readonly dfY: Float64Array;
  private readonly dfZ: Float64Array;
  private readonly scratchAcc: Float64Array;

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
    this.driftPar = new Float64Array(3 * n);
    this.jac = new Float64Array(6 * n);
    this.acc = new Float64Array(3 * n);
    this.kickAcc = new Float64Array(3 * n);
    this.posX = new Float64Array(n);
    this.posY = new Float64Array(n);
    this.posZ = new Float64Array(n);
    this.Gm = new Float64Array(n);
    this.invR3 = new Float64Array(n);
    this.invR2 = new Float64Array(n);
    this.invJ3 = new Float64Array(n);
    this.invJ2 = new Float64Array(n);
    this.pairInv3 = new Float64Array((n * (n - 1)) / 2);
    this.pairInv2 = new Float64Array((n * (n - 1)) / 2);
    this.fJ = new Float64Array(n);
    this.invEtaPrev = new Float64Array(n);
    this.starOverEtaPrev = new Float64Array(n);
    this.ppX = new Float64Array(n);
    this.ppY = new Float64Array(n);
    this.ppZ = new Float64Array(n);
    this.dX = new Float64Array(n);
    this.dY = new Float64Array(n);
    this.dZ = new Float64Array(n);
    this.dfX = new Float64Array(n);
    this.dfY = new Float64Array(n);
    this.dfZ = new Float64Array(n);
    this.scratchAcc = new Float64Array(3 * n);
  }

  /**
   * Sets G, the masses, the step and the correctors (stages applied to the initial state and
   * to each output state); leaves the state alone.
   */
  configure(G: number, stellarMass: number, masses: ArrayLike<number>, stepDays: number, inputStages: number, outputStages = inputStages): void {
    if (masses.length !== this.nPlanets) throw new DynamicsError('BAD_ARGUMENT', `expected ${this.nPlanets} masses, got ${masses.length}`);
    if (!(stepDays > 0) || !Number.isFinite(stepDays)) throw new DynamicsError('BAD_VALUE', `time step ${stepDays} d must be positive and finite`);
    this.G = G;
    this.stellarMass = stellarMass;
    this.h = stepDays;
    let prev = stellarMass;
    for (let i = 0; i < this.nPlanets; i++) {
      this.m[i] = masses[i];
      this.Gm[i] = G * masses[i];
      this.etaPrev[i] = prev;
      prev += masses[i];
      this.eta[i] = prev;
      this.mu[i] = (G * stellarMass * prev) / this.etaPrev[i];
      this.driftPar[3 * i] = this.mu[i];
      this.driftPar[3 * i + 1] = 1 / this.mu[i];
      this.fJ[i] = masses[i] / prev;
      this.invEtaPrev[i] = 1 / this.etaPrev[i];
      this.starOverEtaPrev[i] = stellarMass / this.etaPrev[i];
    }
    if (this.corrIn.a.length !== inputStages) this.corrIn = correctorCoefficients(inputStages);
    if (this.corrOut.a.length !== outputStages) this.corrOut = correctorCoefficients(outputStages);
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
   * (3 per planet). Leaves astrocentric positions in `posX/posY/posZ` and the inverse
   * distances in the caches used by `hessianVector`.
   */
  interaction(src: Float64Array, out: Float64Array): void {
    const n = this.nPlanets;
    const fJ = this.fJ;
    const Gm = this.Gm;
    const mu = this.mu;
    const px = this.posX;
    const py = this.posY;
    const pz = this.posZ;
    const invR3 = this.invR3;
    const invR2 = this.invR2;
    const invJ3 = this.invJ3;
    const invJ2 = this.invJ2;
    const pairInv3 = this.pairInv3;
    const pairInv2 = this.pairInv2;
    const ax = this.ppX;
    const ay = this.ppY;
    const az = this.ppZ;
    // Astrocentric positions and the star terms μ_i (r'_i/r'_i³ − r_i/r_i³).
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let i = 0; i < n; i++) {
      const jx = src[6 * i];
      const jy = src[6 * i + 1];
      const jz = src[6 * i + 2];
      const x = jx + sx;
      const y = jy + sy;
      const z = jz + sz;
      px[i] = x;
      py[i] = y;
      pz[i] = z;
      const f = fJ[i];
      sx += f * jx;
      sy += f * jy;
      sz += f * jz;
      const ir = 1 / Math.sqrt(x * x + y * y + z * z);
      const ir2 = ir * ir;
      const ir3 = ir2 * ir;
      invR2[i] = ir2;
      invR3[i] = ir3;
      ax[i] = 0;
      ay[i] = 0;
      az[i] = 0;
      if (i === 0) {
        invJ2[0] = ir2;
        invJ3[0] = ir3;
        out[0] = 0;
        out[1] = 0;
        out[2] = 0;
      } else {
        const iq = 1 / Math.sqrt(jx * jx + jy * jy + jz * jz);
        const iq2 = iq * iq;
        const iq3 = iq2 * iq;
        invJ2[i] = iq2;
        invJ3[i] = iq3;
        const c = mu[i];
        out[3 * i] = c * (jx * iq3 - x * ir3);
        out[3 * i + 1] = c * (jy * iq3 - y * ir3);
        out[3 * i + 2] = c * (jz * iq3 - z * ir3);
      }
    }
    // Planet–planet accelerations A_i.
    let k = 0;
    for (let i = 0; i < n; i++) {
      const xi = px[i];
      const yi = py[i];
      const zi = pz[i];
      let axi = ax[i];
      let ayi = ay[i];
      let azi = az[i];
      const gmi = Gm[i];
      for (let j = i + 1; j < n; j++, k++) {
        const dx = px[j] - xi;
        const dy = py[j] - yi;
        const dz = pz[j] - zi;
        const id = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz);
        const id2 = id * id;
        const id3 = id2 * id;
        pairInv2[k] = id2;
        pairInv3[k] = id3;
        const fj = Gm[j] * id3;
        const fi = gmi * id3;
        axi += fj * dx;
        ayi += fj * dy;
        azi += fj * dz;
        ax[j] -= fi * dx;
        ay[j] -= fi * dy;
        az[j] -= fi * dz;
      }
      ax[i] = axi;
      ay[i] = ayi;
      az[i] = azi;
    }
    // −(M_s/η_{i−1}) Σ_{k>i} G m_k r_k/r_k³ as a suffix sum.
    let qx = 0;
    let qy = 0;
    let qz = 0;
    const cS = this.starOverEtaPrev;
    for (let i = n - 1; i >= 0; i--) {
      const c = cS[i];
      out[3 * i] -= c * qx;
      out[3 * i + 1] -= c * qy;
      out[3 * i + 2] -= c * qz;
      const w = Gm[i] * invR3[i];
      qx += w * px[i];
      qy += w * py[i];
      qz += w * pz[i];
    }
    this.prefix(out);
  }

  /** out_i += A_i − Σ_{j<i} m_j A_j/η_{i−1} (a prefix sum), with A in ppX/ppY/ppZ. */
  private prefix(out: Float64Array): void {
    const n = this.nPlanets;
    const m = this.m;
    const inv = this.invEtaPrev;
    const ax = this.ppX;
    const ay = this.ppY;
    const az = this.ppZ;
    let Px = 0;
    let Py = 0;
    let Pz = 0;
    for (let i = 0; i < n; i++) {
      const x = ax[i];
      const y = ay[i];
      const z = az[i];
      const c = inv[i];
      out[3 * i] += x - c * Px;
      out[3 * i + 1] += y - c * Py;
      out[3 * i + 2] += z - c * Pz;
      Px += m[i] * x;
      Py += m[i] * y;
      Pz += m[i] * z;
    }
  }

  /**
   * kick = a + (h²/12)·(Da)·a for the positions of `src`, right after `interaction(src, a)`
   * (it reuses that pass's distances).
   */
  modify(src: Float64Array, a: Float64Array, kick: Float64Array): void {
    const n = this.nPlanets;
    if (!this.modifiedKick || n === 1) {
      // One planet: the interaction is identically zero.
      kick.set(a);
      return;
    }
    this.hessianVector(src, a, 3, 0, kick);
    const coef = (this.h * this.h) / 12;
    for (let q = 0; q < 3 * n; q++) kick[q] = a[q] + coef * kick[q];
  }

  /**
   * Real coordinates of the mapping state `src` to first order in ε: the corrector's
   * generator is (h²/12)·{A, B} + O(ε h⁴), whose unit-time flow moves q by (h²/12)·a' and v by
   * −(h²/12)·(Da')·v (a' the Jacobi interaction acceleration). Cheaper than `applyCorrector`
   * (one Hessian-vector pass instead of drifts and kicks) and accurate to O(ε h⁴ + ε² h⁴).
   * `a` must be the interaction acceleration of `src`; `fresh` says whether the last
   * `interaction` call was on `src` (otherwise it is repeated).
   */
  toRealFirstOrder(src: Float64Array, a: Float64Array, out: Float64Array, fresh: boolean): void {
    const n = this.nPlanets;
    if (!fresh) this.interaction(src, this.scratchAcc);
    const dv = this.scratchAcc;
    this.hessianVector(src, src, 6, 3, dv);
    const c = (CORRECTOR_SIGN * this.h * this.h) / 12;
    for (let i = 0; i < n; i++) {
      out[6 * i] = src[6 * i] + c * a[3 * i];
      out[6 * i + 1] = src[6 * i + 1] + c * a[3 * i + 1];
      out[6 * i + 2] = src[6 * i + 2] + c * a[3 * i + 2];
      out[6 * i + 3] = src[6 * i + 3] - c * dv[3 * i];
      out[6 * i + 4] = src[6 * i + 4] - c * dv[3 * i + 1];
      out[6 * i + 5] = src[6 * i + 5] - c * dv[3 * i + 2];
    }
  }

  /**
   * out = (Da')·δ, the derivative of the Jacobi interaction acceleration along the Jacobi
   * displacement δ_i = delta[stride·i + off ..], at the positions of the last `interaction`
   * call (which must have been on `src`). D(r/r³)·δ = δ/r³ − 3 r (r·δ)/r⁵ for every term of a'.
   */
  hessianVector(src: Float64Array, delta: Float64Array, stride: number, off: number, out: Float64Array): void {
    const n = this.nPlanets;
    const fJ = this.fJ;
    const Gm = this.Gm;
    const mu = this.mu;
    const px = this.posX;
    const py = this.posY;
    const pz = this.posZ;
    const invR3 = this.invR3;
    const invR2 = this.invR2;
    const invJ3 = this.invJ3;
    const invJ2 = this.invJ2;
    const pairInv3 = this.pairInv3;
    const pairInv2 = this.pairInv2;
    const ax = this.ppX;
    const ay = this.ppY;
    const az = this.ppZ;
    const ux = this.dX; // astrocentric displacement δp
    const uy = this.dY;
    const uz = this.dZ;
    const wx = this.dfX; // D(r/r³)·δp per planet
    const wy = this.dfY;
    const wz = this.dfZ;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let i = 0; i < n; i++) {
      const o = stride * i + off;
      const jx = delta[o];
      const jy = delta[o + 1];
      const jz = delta[o + 2];
      const dx = jx + sx;
      const dy = jy + sy;
      const dz = jz + sz;
      const f = fJ[i];
      sx += f * jx;
      sy += f * jy;
      sz += f * jz;
      ux[i] = dx;
      uy[i] = dy;
      uz[i] = dz;
      ax[i] = 0;
      ay[i] = 0;
      az[i] = 0;
      const rx = px[i];
      const ry = py[i];
      const rz = pz[i];
      const cr = 3 * (rx * dx + ry * dy + rz * dz) * invR2[i];
      const ir3 = invR3[i];
      const gx = (dx - cr * rx) * ir3;
      const gy = (dy - cr * ry) * ir3;
      const gz = (dz - cr * rz) * ir3;
      wx[i] = gx;
      wy[i] = gy;
      wz[i] = gz;
      if (i === 0) {
        out[0] = 0;
        out[1] = 0;
        out[2] = 0;
      } else {
        // μ_i [D(r'/r'³)·δ'_i − D(r/r³)·δp_i]
        const qx = src[6 * i];
        const qy = src[6 * i + 1];
        const qz = src[6 * i + 2];
        const cq = 3 * (qx * jx + qy * jy + qz * jz) * invJ2[i];
        const iq3 = invJ3[i];
        const c = mu[i];
        out[3 * i] = c * ((jx - cq * qx) * iq3 - gx);
        out[3 * i + 1] = c * ((jy - cq * qy) * iq3 - gy);
        out[3 * i + 2] = c * ((jz - cq * qz) * iq3 - gz);
      }
    }
    // δA_i = Σ_j G m_j D(d_ij/d³)·(δp_j − δp_i).
    let k = 0;
    for (let i = 0; i < n; i++) {
      const xi = px[i];
      const yi = py[i];
      const zi = pz[i];
      const uxi = ux[i];
      const uyi = uy[i];
      const uzi = uz[i];
      let axi = ax[i];
      let ayi = ay[i];
      let azi = az[i];
      const gmi = Gm[i];
      for (let j = i + 1; j < n; j++, k++) {
        const dx = px[j] - xi;
        const dy = py[j] - yi;
        const dz = pz[j] - zi;
        const vx = ux[j] - uxi;
        const vy = uy[j] - uyi;
        const vz = uz[j] - uzi;
        const c = 3 * (dx * vx + dy * vy + dz * vz) * pairInv2[k];
        const id3 = pairInv3[k];
        const gx = (vx - c * dx) * id3;
        const gy = (vy - c * dy) * id3;
        const gz = (vz - c * dz) * id3;
        const gmj = Gm[j];
        axi += gmj * gx;
        ayi += gmj * gy;
        azi += gmj * gz;
        ax[j] -= gmi * gx;
        ay[j] -= gmi * gy;
        az[j] -= gmi * gz;
      }
      ax[i] = axi;
      ay[i] = ayi;
      az[i] = azi;
    }
    // −(M_s/η_{i−1}) Σ_{k>i} G m_k D(r_k/r_k³)·δp_k as a suffix sum.
    let qx = 0;
    let qy = 0;
    let qz = 0;
    const cS = this.starOverEtaPrev;
    for (let i = n - 1; i >= 0; i--) {
      const c = cS[i];
      out[3 * i] -= c * qx;
      out[3 * i + 1] -= c * qy;
      out[3 * i + 2] -= c * qz;
      const w = Gm[i];
      qx += w * wx[i];
      qy += w * wy[i];
      qz += w * wz[i];
    }
    this.prefix(out);
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
    const par = this.driftPar;
    for (let i = 0; i < n; i++) {
      par[3 * i + 2] = dt;
      keplerDriftPacked(buf, 6 * i, par, 3 * i);
    }
  }

  /** Makes `acc` and `kickAcc` valid for the current `jac` (call after loading a state). */
  refreshAcceleration(): void {
    this.interaction(this.jac, this.acc);
    this.modify(this.jac, this.acc, this.kickAcc);
  }

  /** One step kick(h/2) ∘ drift(h) ∘ kick(h/2); accelerations must be valid on entry, and are on exit. */
  step(): void {
    const n = this.nPlanets;
    const h = this.h;
    const half = 0.5 * h;
    const jac = this.jac;
    const ka = this.kickAcc;
    const par = this.driftPar;
    // Kick and drift fused per planet (each planet's drift needs only its own kick). The
    // kicks are written out here rather than called: a double argument would be boxed.
    for (let i = 0; i < n; i++) {
      jac[6 * i + 3] += half * ka[3 * i];
      jac[6 * i + 4] += half * ka[3 * i + 1];
      jac[6 * i + 5] += half * ka[3 * i + 2];
      par[3 * i + 2] = h;
      keplerDriftPacked(jac, 6 * i, par, 3 * i);
    }
    this.interaction(jac, this.acc);
    this.modify(jac, this.acc, ka);
    for (let i = 0; i < n; i++) {
      jac[6 * i + 3] += half * ka[3 * i];
      jac[6 * i + 4] += half * ka[3 * i + 1];
      jac[6 * i + 5] += half * ka[3 * i + 2];
    }
  }

  /**
   * Applies a corrector to a Jacobi buffer: `inverse = false` maps real coordinates to
   * mapping coordinates (the initial state), `inverse = true` maps back (an output state).
   * `buf` may be `this.jac` or any other buffer; `acc`/`kickAcc` are not touched.
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
      // C⁻¹ = Z_K⁻¹ ∘ … ∘ Z_1⁻¹ with Z(a,b)⁻¹ = X(−a,b) ∘ X(a,−b), since X(a,b)⁻¹ = X(a,−b).
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
    const px = this.posX;
    const py = this.posY;
    const pz = this.posZ;
    let U = 0;
    for (let i = 0; i < n; i++) {
      const xi = px[i];
      const yi = py[i];
      const zi = pz[i];
      U -= (this.G * this.stellarMass * this.m[i]) / Math.sqrt(xi * xi + yi * yi + zi * zi);
      for (let j = i + 1; j < n; j++) {
        const dx = px[j] - xi;
        const dy = py[j] - yi;
        const dz = pz[j] - zi;
        U -= (this.G * this.m[i] * this.m[j]) / Math.sqrt(dx * dx + dy * dy + dz * dz);
      }
    }
    return T + U;
  }
}
