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
 * All buffers are preallocated Float64Arrays; a step allocates nothing. For up to
 * MAX_UNROLLED_PLANETS planets the step runs as one straight-line function compiled for the
 * planet count (step-kernel.ts); the loops below are the general form, and the one used for
 * the rarer evaluations (correctors, output states, energy).
 */
import { keplerDriftPacked } from './kepler-drift.js';
import { DynamicsError } from './errors.js';
import { compileStepKernel, KERNEL_HEADER, KERNEL_PER_PLANET, kernelScratchLength, MAX_UNROLLED_PLANETS, type StepKernel } from './step-kernel.js';

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
  // Numeric fields start as small integers so V8 keeps them unboxed and typed; a field
  // declared without a value starts as undefined and every later use re-checks its type.
  readonly nPlanets: number = 0;
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
  /** `jac` and `acc` as they were before the last `step`. */
  readonly jacPrev: Float64Array;
  readonly accPrev: Float64Array;
  /** Acceleration of the modified kick at the positions in `jac` (3 per planet). */
  readonly kickAcc: Float64Array;
  /**
   * Astrocentric positions from the last `interaction` call (views into the work buffer; the
   * unrolled step keeps its own and leaves these alone).
   */
  readonly posX: Float64Array;
  readonly posY: Float64Array;
  readonly posZ: Float64Array;
  /** Step (days). */
  h = 0;
  /** Use the modified kick (true unless testing the plain map). */
  modifiedKick = true;
  /**
   * Step with the unrolled kernel (default where one exists; false forces the loop step, for
   * tests). After an unrolled step the force caches of the loop form are stale (`fresh` of
   * toRealFirstOrder is then ignored: the unrolled form computes its own).
   */
  unrolled = false;
  /**
   * Transit test of the state after each step: sky[i] = x·vx + y·vy and sky[n + i] = z of
   * planet i's astrocentric state (filled by `step` and `computeSky`).
   */
  readonly sky: Float64Array;
  /** The unrolled kernel's constants (KERNEL_HEADER, then KERNEL_PER_PLANET per planet). */
  private readonly kernelConst: Float64Array;
  private readonly kernelScratch: Float64Array;
  private kernelModified: StepKernel | null = null;
  private kernelPlain: StepKernel | null = null;
  private corrIn = correctorCoefficients(0);
  private corrOut = correctorCoefficients(0);
  private pendingDrift = 0;
  /**
   * Everything the force passes read and write, in one Float64Array at the offsets below:
   * V8 re-checks each typed array's map, length and base on every access in these loops, so
   * one array instead of twenty halves the instructions of a pass.
   */
  private readonly w: Float64Array;
  private readonly oPX: number = 0; // astrocentric positions
  private readonly oPY: number = 0;
  private readonly oPZ: number = 0;
  private readonly oAX: number = 0; // planet–planet accelerations A_i (or their derivative)
  private readonly oAY: number = 0;
  private readonly oAZ: number = 0;
  private readonly oGM: number = 0; // G m_i
  private readonly oFJ: number = 0; // m_i/η_i
  private readonly oM: number = 0; // m_i
  private readonly oIE: number = 0; // 1/η_{i−1}
  private readonly oSE: number = 0; // M_s/η_{i−1}
  private readonly oMU: number = 0; // μ_i
  private readonly oR3: number = 0; // 1/r_i³, 1/r_i² (astrocentric)
  private readonly oR2: number = 0;
  private readonly oJ3: number = 0; // 1/r'_i³, 1/r'_i² (Jacobi)
  private readonly oJ2: number = 0;
  private readonly oUX: number = 0; // astrocentric displacement δp (Hessian pass)
  private readonly oUY: number = 0;
  private readonly oUZ: number = 0;
  private readonly oWX: number = 0; // D(r/r³)·δp (Hessian pass)
  private readonly oWY: number = 0;
  private readonly oWZ: number = 0;
  private readonly oD3: number = 0; // pairs: 1/d³, 1/d²
  private readonly oD2: number = 0;
  private readonly scratchAcc: Float64Array;

  constructor(nPlanets: number) {
    if (!Number.isInteger(nPlanets) || nPlanets < 1 || nPlanets > 1000) {
      throw new DynamicsError('BAD_ARGUMENT', `number of planets must be an integer in [1, 1000], got ${nPlanets}`);
    }
    const n = nPlanets;
    const pairs = (n * (n - 1)) / 2;
    this.nPlanets = n;
    this.m = new Float64Array(n);
    this.eta = new Float64Array(n);
    this.etaPrev = new Float64Array(n);
    this.mu = new Float64Array(n);
    this.driftPar = new Float64Array(3 * n);
    this.jac = new Float64Array(6 * n);
    this.acc = new Float64Array(3 * n);
    this.jacPrev = new Float64Array(6 * n);
    this.accPrev = new Float64Array(3 * n);
    this.kickAcc = new Float64Array(3 * n);
    this.scratchAcc = new Float64Array(3 * n);
    this.sky = new Float64Array(2 * n);
    this.kernelConst = new Float64Array(KERNEL_HEADER + KERNEL_PER_PLANET * n);
    this.kernelScratch = new Float64Array(kernelScratchLength(n));
    this.unrolled = n <= MAX_UNROLLED_PLANETS;
    let o = 0;
    const take = (len: number): number => {
      const at = o;
      o += len;
      return at;
    };
    this.oPX = take(n);
    this.oPY = take(n);
    this.oPZ = take(n);
    this.oAX = take(n);
    this.oAY = take(n);
    this.oAZ = take(n);
    this.oGM = take(n);
    this.oFJ = take(n);
    this.oM = take(n);
    this.oIE = take(n);
    this.oSE = take(n);
    this.oMU = take(n);
    this.oR3 = take(n);
    this.oR2 = take(n);
    this.oJ3 = take(n);
    this.oJ2 = take(n);
    this.oUX = take(n);
    this.oUY = take(n);
    this.oUZ = take(n);
    this.oWX = take(n);
    this.oWY = take(n);
    this.oWZ = take(n);
    this.oD3 = take(pairs);
    this.oD2 = take(pairs);
    this.w = new Float64Array(o);
    this.posX = this.w.subarray(this.oPX, this.oPX + n);
    this.posY = this.w.subarray(this.oPY, this.oPY + n);
    this.posZ = this.w.subarray(this.oPZ, this.oPZ + n);
  }

  /**
   * Sets G, the masses, the step and the correctors (stages applied to the initial state and
   * to each output state by applyCorrector); leaves the state alone.
   */
  configure(G: number, stellarMass: number, masses: ArrayLike<number>, stepDays: number, inputStages: number, outputStages = inputStages): void {
    if (masses.length !== this.nPlanets) throw new DynamicsError('BAD_ARGUMENT', `expected ${this.nPlanets} masses, got ${masses.length}`);
    if (!(stepDays > 0) || !Number.isFinite(stepDays)) throw new DynamicsError('BAD_VALUE', `time step ${stepDays} d must be positive and finite`);
    this.G = G;
    this.stellarMass = stellarMass;
    this.h = stepDays;
    const w = this.w;
    let prev = stellarMass;
    for (let i = 0; i < this.nPlanets; i++) {
      const mi = masses[i];
      this.m[i] = mi;
      this.etaPrev[i] = prev;
      const eta = prev + mi;
      this.eta[i] = eta;
      const mu = (G * stellarMass * eta) / prev;
      this.mu[i] = mu;
      this.driftPar[3 * i] = mu;
      this.driftPar[3 * i + 1] = 1 / mu;
      w[this.oGM + i] = G * mi;
      w[this.oFJ + i] = mi / eta;
      w[this.oM + i] = mi;
      w[this.oIE + i] = 1 / prev;
      w[this.oSE + i] = stellarMass / prev;
      w[this.oMU + i] = mu;
      const c = this.kernelConst;
      const k = KERNEL_HEADER + KERNEL_PER_PLANET * i;
      c[k] = G * mi;
      c[k + 1] = mi / eta;
      c[k + 2] = mu;
      c[k + 3] = stellarMass / prev;
      c[k + 4] = mi;
      c[k + 5] = 1 / prev;
      prev = eta;
    }
    this.kernelConst[0] = 0.5 * stepDays;
    this.kernelConst[1] = (stepDays * stepDays) / 12;
    this.kernelConst[2] = stepDays;
    this.kernelConst[3] = (CORRECTOR_SIGN * stepDays * stepDays) / 12;
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
   * (3 per planet). Leaves astrocentric positions (posX/posY/posZ) and the inverse distances
   * in the work buffer for `hessianVector`.
   */
  interaction(src: Float64Array, out: Float64Array): void {
    const n = this.nPlanets;
    const w = this.w;
    const PX = this.oPX;
    const PY = this.oPY;
    const PZ = this.oPZ;
    const AX = this.oAX;
    const AY = this.oAY;
    const AZ = this.oAZ;
    const GM = this.oGM;
    const FJ = this.oFJ;
    const MU = this.oMU;
    const R3 = this.oR3;
    const R2 = this.oR2;
    const J3 = this.oJ3;
    const J2 = this.oJ2;
    const D3 = this.oD3;
    const D2 = this.oD2;
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
      w[PX + i] = x;
      w[PY + i] = y;
      w[PZ + i] = z;
      const f = w[FJ + i];
      sx += f * jx;
      sy += f * jy;
      sz += f * jz;
      const ir = 1 / Math.sqrt(x * x + y * y + z * z);
      const ir2 = ir * ir;
      const ir3 = ir2 * ir;
      w[R2 + i] = ir2;
      w[R3 + i] = ir3;
      w[AX + i] = 0;
      w[AY + i] = 0;
      w[AZ + i] = 0;
      if (i === 0) {
        w[J2] = ir2;
        w[J3] = ir3;
        out[0] = 0;
        out[1] = 0;
        out[2] = 0;
      } else {
        const iq = 1 / Math.sqrt(jx * jx + jy * jy + jz * jz);
        const iq2 = iq * iq;
        const iq3 = iq2 * iq;
        w[J2 + i] = iq2;
        w[J3 + i] = iq3;
        const c = w[MU + i];
        out[3 * i] = c * (jx * iq3 - x * ir3);
        out[3 * i + 1] = c * (jy * iq3 - y * ir3);
        out[3 * i + 2] = c * (jz * iq3 - z * ir3);
      }
    }
    // Planet–planet accelerations A_i.
    let k = 0;
    for (let i = 0; i < n; i++) {
      const xi = w[PX + i];
      const yi = w[PY + i];
      const zi = w[PZ + i];
      let axi = w[AX + i];
      let ayi = w[AY + i];
      let azi = w[AZ + i];
      const gmi = w[GM + i];
      for (let j = i + 1; j < n; j++, k++) {
        const dx = w[PX + j] - xi;
        const dy = w[PY + j] - yi;
        const dz = w[PZ + j] - zi;
        const id = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz);
        const id2 = id * id;
        const id3 = id2 * id;
        w[D2 + k] = id2;
        w[D3 + k] = id3;
        const fj = w[GM + j] * id3;
        const fi = gmi * id3;
        axi += fj * dx;
        ayi += fj * dy;
        azi += fj * dz;
        w[AX + j] -= fi * dx;
        w[AY + j] -= fi * dy;
        w[AZ + j] -= fi * dz;
      }
      w[AX + i] = axi;
      w[AY + i] = ayi;
      w[AZ + i] = azi;
    }
    // −(M_s/η_{i−1}) Σ_{k>i} G m_k r_k/r_k³ as a suffix sum.
    const SE = this.oSE;
    let qx = 0;
    let qy = 0;
    let qz = 0;
    for (let i = n - 1; i >= 0; i--) {
      const c = w[SE + i];
      out[3 * i] -= c * qx;
      out[3 * i + 1] -= c * qy;
      out[3 * i + 2] -= c * qz;
      const g = w[GM + i] * w[R3 + i];
      qx += g * w[PX + i];
      qy += g * w[PY + i];
      qz += g * w[PZ + i];
    }
    this.prefix(out);
  }

  /** out_i += A_i − Σ_{j<i} m_j A_j/η_{i−1} (a prefix sum), with A at oAX/oAY/oAZ. */
  private prefix(out: Float64Array): void {
    const n = this.nPlanets;
    const w = this.w;
    const AX = this.oAX;
    const AY = this.oAY;
    const AZ = this.oAZ;
    const M = this.oM;
    const IE = this.oIE;
    let Px = 0;
    let Py = 0;
    let Pz = 0;
    for (let i = 0; i < n; i++) {
      const x = w[AX + i];
      const y = w[AY + i];
      const z = w[AZ + i];
      const c = w[IE + i];
      out[3 * i] += x - c * Px;
      out[3 * i + 1] += y - c * Py;
      out[3 * i + 2] += z - c * Pz;
      const mi = w[M + i];
      Px += mi * x;
      Py += mi * y;
      Pz += mi * z;
    }
  }

  /**
   * kick = a + (h²/12)·(Da)·a for the positions of `src`, right after `interaction(src, a)`
   * (it reuses that pass's distances).
   */
  modify(src: Float64Array, a: Float64Array, kick: Float64Array): void {
    const n = this.nPlanets;
    if (!this.modifiedKick || n === 1) {
      // (One planet: the interaction is identically zero.)
      for (let q = 0; q < 3 * n; q++) kick[q] = a[q];
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
   * `interaction` call was on `src` (otherwise it is repeated; loop form only).
   */
  toRealFirstOrder(src: Float64Array, a: Float64Array, out: Float64Array, fresh: boolean): void {
    const n = this.nPlanets;
    if (this.unrolled) {
      // (Its own geometry pass: cheaper unrolled than reusing the loop form's caches.)
      this.stepKernel().toReal(src, a, out, this.kernelConst, this.kernelScratch);
      return;
    }
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
    const w = this.w;
    const PX = this.oPX;
    const PY = this.oPY;
    const PZ = this.oPZ;
    const AX = this.oAX;
    const AY = this.oAY;
    const AZ = this.oAZ;
    const GM = this.oGM;
    const FJ = this.oFJ;
    const MU = this.oMU;
    const R3 = this.oR3;
    const R2 = this.oR2;
    const J3 = this.oJ3;
    const J2 = this.oJ2;
    const UX = this.oUX;
    const UY = this.oUY;
    const UZ = this.oUZ;
    const WX = this.oWX;
    const WY = this.oWY;
    const WZ = this.oWZ;
    let sx = 0;
    let sy = 0;
    let sz = 0;
    for (let i = 0; i < n; i++) {
      const o = stride * i + off;
      const jx = delta[o];
      const jy = delta[o + 1];
      const jz = delta[o + 2];
      // Astrocentric displacement δp_i and D(r/r³)·δp_i.
      const dx = jx + sx;
      const dy = jy + sy;
      const dz = jz + sz;
      const f = w[FJ + i];
      sx += f * jx;
      sy += f * jy;
      sz += f * jz;
      w[UX + i] = dx;
      w[UY + i] = dy;
      w[UZ + i] = dz;
      w[AX + i] = 0;
      w[AY + i] = 0;
      w[AZ + i] = 0;
      const rx = w[PX + i];
      const ry = w[PY + i];
      const rz = w[PZ + i];
      const cr = 3 * (rx * dx + ry * dy + rz * dz) * w[R2 + i];
      const ir3 = w[R3 + i];
      const gx = (dx - cr * rx) * ir3;
      const gy = (dy - cr * ry) * ir3;
      const gz = (dz - cr * rz) * ir3;
      w[WX + i] = gx;
      w[WY + i] = gy;
      w[WZ + i] = gz;
      if (i === 0) {
        out[0] = 0;
        out[1] = 0;
        out[2] = 0;
      } else {
        // μ_i [D(r'/r'³)·δ'_i − D(r/r³)·δp_i]
        const qx = src[6 * i];
        const qy = src[6 * i + 1];
        const qz = src[6 * i + 2];
        const cq = 3 * (qx * jx + qy * jy + qz * jz) * w[J2 + i];
        const iq3 = w[J3 + i];
        const c = w[MU + i];
        out[3 * i] = c * ((jx - cq * qx) * iq3 - gx);
        out[3 * i + 1] = c * ((jy - cq * qy) * iq3 - gy);
        out[3 * i + 2] = c * ((jz - cq * qz) * iq3 - gz);
      }
    }
    this.pairHessian();
    // −(M_s/η_{i−1}) Σ_{k>i} G m_k D(r_k/r_k³)·δp_k as a suffix sum.
    const SE = this.oSE;
    let qx = 0;
    let qy = 0;
    let qz = 0;
    for (let i = n - 1; i >= 0; i--) {
      const c = w[SE + i];
      out[3 * i] -= c * qx;
      out[3 * i + 1] -= c * qy;
      out[3 * i + 2] -= c * qz;
      const g = w[GM + i];
      qx += g * w[WX + i];
      qy += g * w[WY + i];
      qz += g * w[WZ + i];
    }
    this.prefix(out);
  }

  /** δA_i = Σ_j G m_j D(d_ij/d³)·(δp_j − δp_i) into oAX/oAY/oAZ (kept apart: fewer live registers). */
  private pairHessian(): void {
    const n = this.nPlanets;
    const w = this.w;
    const PX = this.oPX;
    const PY = this.oPY;
    const PZ = this.oPZ;
    const AX = this.oAX;
    const AY = this.oAY;
    const AZ = this.oAZ;
    const GM = this.oGM;
    const UX = this.oUX;
    const UY = this.oUY;
    const UZ = this.oUZ;
    const D3 = this.oD3;
    const D2 = this.oD2;
    let k = 0;
    for (let i = 0; i < n; i++) {
      const xi = w[PX + i];
      const yi = w[PY + i];
      const zi = w[PZ + i];
      const uxi = w[UX + i];
      const uyi = w[UY + i];
      const uzi = w[UZ + i];
      let axi = w[AX + i];
      let ayi = w[AY + i];
      let azi = w[AZ + i];
      const gmi = w[GM + i];
      for (let j = i + 1; j < n; j++, k++) {
        const dx = w[PX + j] - xi;
        const dy = w[PY + j] - yi;
        const dz = w[PZ + j] - zi;
        const vx = w[UX + j] - uxi;
        const vy = w[UY + j] - uyi;
        const vz = w[UZ + j] - uzi;
        const c = 3 * (dx * vx + dy * vy + dz * vz) * w[D2 + k];
        const id3 = w[D3 + k];
        const gx = (vx - c * dx) * id3;
        const gy = (vy - c * dy) * id3;
        const gz = (vz - c * dz) * id3;
        const gmj = w[GM + j];
        axi += gmj * gx;
        ayi += gmj * gy;
        azi += gmj * gz;
        w[AX + j] -= gmi * gx;
        w[AY + j] -= gmi * gy;
        w[AZ + j] -= gmi * gz;
      }
      w[AX + i] = axi;
      w[AY + i] = ayi;
      w[AZ + i] = azi;
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
    const par = this.driftPar;
    for (let i = 0; i < n; i++) {
      par[3 * i + 2] = dt;
      keplerDriftPacked(buf, 6 * i, par, 3 * i);
    }
  }

  /** Makes `acc`, `kickAcc` and `sky` valid for the current `jac` (call after loading a state). */
  refreshAcceleration(): void {
    this.interaction(this.jac, this.acc);
    this.modify(this.jac, this.acc, this.kickAcc);
    this.computeSky();
  }

  /**
   * One step kick(h/2) ∘ drift(h) ∘ kick(h/2); accelerations must be valid on entry, and are
   * on exit, as is `sky`; the state before the step is left in `jacPrev` and `accPrev`.
   */
  step(): void {
    if (this.unrolled) {
      const kernel = this.stepKernel();
      kernel.forces(this.jac, this.acc, this.kickAcc, this.kernelConst, this.driftPar, this.kernelScratch, this.jacPrev, this.accPrev);
      kernel.finish(this.jac, this.acc, this.kickAcc, this.kernelConst, this.sky, this.kernelScratch);
      return;
    }
    this.loopStep();
    this.computeSky();
  }

  /** The unrolled kernel for the planet count and kick flavour, compiled on first use. */
  private stepKernel(): StepKernel {
    let kernel = this.modifiedKick ? this.kernelModified : this.kernelPlain;
    if (kernel === null) {
      kernel = compileStepKernel(this.nPlanets, this.modifiedKick);
      if (this.modifiedKick) this.kernelModified = kernel;
      else this.kernelPlain = kernel;
    }
    return kernel;
  }

  /** The step as loops (any planet count). */
  private loopStep(): void {
    const n = this.nPlanets;
    const h = this.h;
    const half = 0.5 * h;
    const jac = this.jac;
    const ka = this.kickAcc;
    const par = this.driftPar;
    // Plain loops: TypedArray.set costs a builtin call, too much for 6n numbers a step.
    for (let k = 0; k < 6 * n; k++) this.jacPrev[k] = jac[k];
    for (let k = 0; k < 3 * n; k++) this.accPrev[k] = this.acc[k];
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
   * The transit test of `jac` into `sky`, from the astrocentric positions of the last
   * `interaction` (which must have been on `jac`) and the current velocities.
   */
  computeSky(): void {
    const n = this.nPlanets;
    const jac = this.jac;
    const w = this.w;
    let svx = 0;
    let svy = 0;
    for (let i = 0; i < n; i++) {
      const jvx = jac[6 * i + 3];
      const jvy = jac[6 * i + 4];
      this.sky[i] = w[this.oPX + i] * (jvx + svx) + w[this.oPY + i] * (jvy + svy);
      this.sky[n + i] = w[this.oPZ + i];
      const f = w[this.oFJ + i];
      svx += f * jvx;
      svy += f * jvy;
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
