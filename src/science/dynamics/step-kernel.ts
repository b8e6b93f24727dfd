/**
 * The Wisdom–Holman step specialised to a fixed number of planets: one straight-line function
 * per planet count, written out once as JavaScript source and compiled with `new Function`.
 *
 * Why. The step's force passes (the interaction acceleration and its Hessian-vector product
 * for the modified kick) are loops over planets and pairs whose bodies are a handful of
 * multiplies each; written as loops over typed arrays, V8 spends more on index arithmetic,
 * bounds checks and reloads than on the arithmetic (measured: the unrolled interaction is 2×
 * faster for 7 planets and 4× for 2). Unrolled, every position, inverse distance and
 * acceleration is a local variable and the typed arrays are touched only to load the state
 * and store the results.
 *
 * What it computes is exactly WisdomHolman's loop step (same formulas, same order of
 * operations up to rounding; wisdom-holman.ts derives them), with the Kepler drifts' common
 * path inlined (keplerDriftInlineSource), fused into two passes:
 *   kick(h/2) and drift(h) per planet → interaction acceleration a (→ acc) →
 *   modified kick ã = a + (h²/12)·(Da)·a (→ kick) → kick(h/2) →
 *   astrocentric sky-plane test g = x·vx + y·vy and z per planet (→ sky[0..n), sky[n..2n)).
 *
 * The source depends only on the planet count and the kick flavour (no data is ever spliced
 * into it), so it is as safe as any other module code.
 */
import { keplerDriftInlineSource, keplerDriftPacked } from './kepler-drift.js';

/**
 * Largest planet count given an unrolled step. The functions grow as n², and V8 does not
 * optimize a function past a size limit: measured on Node 20, 10 planets still compile and
 * 11 do not (then the step runs interpreted, 10× slower than the loops). 8 keeps a margin of
 * ~2× in size; the loop step is used beyond it.
 */
export const MAX_UNROLLED_PLANETS = 8;

/** Layout of the constants array the kernel reads (filled by WisdomHolman.configure). */
export const KERNEL_HEADER = 4; // [h/2, h²/12, h, output corrector coefficient ±h²/12]
export const KERNEL_PER_PLANET = 6; // G m_i, m_i/η_i, μ_i, M_s/η_{i−1}, m_i, 1/η_{i−1}

/**
 * forces(…) then finish(…): one step in place on `jac`, the state before it left in `jacPrev`
 * and `accPrev`. On entry
 * `kick` holds the (modified) kick acceleration of the current positions; on exit `acc` and
 * `kick` hold those of the new positions and `sky` the transit test of the new state.
 * `driftPar` is keplerDriftPacked's (μ, 1/μ, Δt) per planet; its Δt slots are overwritten
 * with h. `scratch` (kernelScratchLength(n) doubles) carries distances between the two halves.
 */
export interface StepKernel {
  /**
   * Copies jac and acc to jacPrev and accPrev, then kick(h/2), drift(h), and the interaction
   * acceleration of the new positions (→ acc).
   */
  forces(
    jac: Float64Array,
    acc: Float64Array,
    kick: Float64Array,
    c: Float64Array,
    par: Float64Array,
    scratch: Float64Array,
    jacPrev: Float64Array,
    accPrev: Float64Array,
  ): void;
  /** The kick acceleration (→ kick), kick(h/2), and the transit test (→ sky). */
  finish(jac: Float64Array, acc: Float64Array, kick: Float64Array, c: Float64Array, sky: Float64Array, scratch: Float64Array): void;
  /**
   * WisdomHolman.toRealFirstOrder: real coordinates of the Jacobi state `src` (a: its
   * interaction acceleration) into `out`. Overwrites the scratch (call between steps).
   */
  toReal(src: Float64Array, a: Float64Array, out: Float64Array, c: Float64Array, scratch: Float64Array): void;
}

/**
 * Scratch layout. Per planet: astrocentric x, y, z, 1/r², 1/r³, 1/r'², 1/r'³, then the two
 * accumulators of the Hessian pass (3 + 3); per pair (i < j): G m_j/d³, G m_i/d³, 3/d².
 */
const SCRATCH_PER_PLANET = 13;
const SCRATCH_PER_PAIR = 3;
/** Offsets within a planet's scratch of the pair-sum and the result accumulators. */
const ACC_PAIRS = 7;
const ACC_OUT = 10;

export function kernelScratchLength(n: number): number {
  return SCRATCH_PER_PLANET * n + (SCRATCH_PER_PAIR * n * (n - 1)) / 2;
}

/**
 * Sources of the kernel's functions for n planets (exported for tests and for reading). The
 * step is split in two where the interaction acceleration is complete: each half keeps fewer
 * values alive, and V8 compiles two mid-sized functions much better than one large one
 * (measured: 7 planets, 1.5 µs as one function against 0.9 µs as two). For the same reason
 * the Hessian pass sums into the scratch array rather than into locals: its stores keep V8
 * from interleaving all pairs at once, and the spills that would cost (measured: 7 planets,
 * 0.45 µs against 0.7 µs). `toReal` is WisdomHolman.toRealFirstOrder.
 */
export function stepKernelSource(n: number, modifiedKick: boolean): { forces: string; finish: string; toReal: string } {
  const cst = (i: number, k: number): number => KERNEL_HEADER + KERNEL_PER_PLANET * i + k;
  const sp = (i: number, k: number): number => SCRATCH_PER_PLANET * i + k;
  const pairIndex: number[][] = [];
  let next = SCRATCH_PER_PLANET * n;
  for (let i = 0; i < n; i++) {
    pairIndex.push([]);
    for (let j = i + 1; j < n; j++) {
      pairIndex[i][j] = next;
      next += SCRATCH_PER_PAIR;
    }
  }
  const constants = (L: string[]): void => {
    for (let i = 0; i < n; i++) {
      L.push(['gm', 'fj', 'mu', 'se', 'm', 'ie'].map((name, k) => `const ${name}${i} = c[${cst(i, k)}];`).join(' '));
    }
  };

  /**
   * Geometry of the positions in `jac` into the scratch: astrocentric r_i = r'_i +
   * Σ_{j<i} (m_j/η_j) r'_j, inverse distances, pair factors. With `forces`, also the
   * interaction acceleration into locals a{x,y,z}i: the star terms μ_i (r'_i/r'_i³ − r_i/r_i³)
   * (zero for the innermost planet, whose r' = r), the pair terms A_i = Σ_{j≠i} G m_j
   * (r_j − r_i)/r_ij³, then −(M_s/η_{i−1}) Σ_{k>i} G m_k r_k/r_k³ (a suffix sum) and
   * A_i − Σ_{j<i} m_j A_j/η_{i−1} (a prefix sum).
   */
  const geometry = (L: string[], forces: boolean): void => {
    L.push('let sx = 0, sy = 0, sz = 0;');
    for (let i = 0; i < n; i++) {
      L.push(`const jx${i} = jac[${6 * i}], jy${i} = jac[${6 * i + 1}], jz${i} = jac[${6 * i + 2}];`);
      L.push(`const x${i} = jx${i} + sx, y${i} = jy${i} + sy, z${i} = jz${i} + sz;`);
      if (i < n - 1) L.push(`sx += fj${i} * jx${i}; sy += fj${i} * jy${i}; sz += fj${i} * jz${i};`);
      L.push(`const ir${i} = 1 / Math.sqrt(x${i} * x${i} + y${i} * y${i} + z${i} * z${i}), ir2_${i} = ir${i} * ir${i}, ir3_${i} = ir2_${i} * ir${i};`);
      L.push(`t[${sp(i, 0)}] = x${i}; t[${sp(i, 1)}] = y${i}; t[${sp(i, 2)}] = z${i}; t[${sp(i, 3)}] = ir2_${i}; t[${sp(i, 4)}] = ir3_${i};`);
      if (i === 0) {
        if (forces) L.push('let ax0 = 0, ay0 = 0, az0 = 0;');
      } else {
        L.push(`const iq${i} = 1 / Math.sqrt(jx${i} * jx${i} + jy${i} * jy${i} + jz${i} * jz${i}), iq2_${i} = iq${i} * iq${i}, iq3_${i} = iq2_${i} * iq${i};`);
        L.push(`t[${sp(i, 5)}] = iq2_${i}; t[${sp(i, 6)}] = iq3_${i};`);
        if (forces) {
          L.push(
            `let ax${i} = mu${i} * (jx${i} * iq3_${i} - x${i} * ir3_${i}), ay${i} = mu${i} * (jy${i} * iq3_${i} - y${i} * ir3_${i}), az${i} = mu${i} * (jz${i} * iq3_${i} - z${i} * ir3_${i});`,
          );
        }
      }
    }
    if (forces) for (let i = 0; i < n; i++) L.push(`let Ax${i} = 0, Ay${i} = 0, Az${i} = 0;`);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const k = pairIndex[i][j];
        L.push(`{ const dx = x${j} - x${i}, dy = y${j} - y${i}, dz = z${j} - z${i};`);
        L.push(`  const id = 1 / Math.sqrt(dx * dx + dy * dy + dz * dz), id2 = id * id, id3 = id2 * id;`);
        L.push(`  const fj = gm${j} * id3, fi = gm${i} * id3;`);
        L.push(`  t[${k}] = fj; t[${k + 1}] = fi; t[${k + 2}] = 3 * id2;`);
        if (forces) L.push(`  Ax${i} += fj * dx; Ay${i} += fj * dy; Az${i} += fj * dz; Ax${j} -= fi * dx; Ay${j} -= fi * dy; Az${j} -= fi * dz;`);
        L.push('}');
      }
    }
    if (forces) {
      const local = (name: string) => (c: number, i: number): string => `${name}${'xyz'[c]}${i}`;
      suffixAndPrefix(L, n, local('a'), local('A'), (i) => `gm${i} * ir3_${i}`, (i) => [`x${i}`, `y${i}`, `z${i}`]);
    }
  };

  /**
   * (Da')·δ into t[ACC_OUT..] per planet, for the Jacobi displacement δ'_i in the locals
   * d{x,y,z}i, at the geometry in the scratch: D(r/r³)·δ = δ/r³ − 3 r (r·δ)/r⁵ on every term
   * of a', along δ' and its astrocentric δp_i = δ'_i + Σ_{j<i} (m_j/η_j) δ'_j.
   */
  const hessian = (L: string[]): void => {
    L.push('let ux = 0, uy = 0, uz = 0;');
    for (let i = 0; i < n; i++) {
      L.push(`const rx${i} = t[${sp(i, 0)}], ry${i} = t[${sp(i, 1)}], rz${i} = t[${sp(i, 2)}];`);
      L.push(`const px${i} = dx${i} + ux, py${i} = dy${i} + uy, pz${i} = dz${i} + uz;`);
      if (i < n - 1) L.push(`ux += fj${i} * dx${i}; uy += fj${i} * dy${i}; uz += fj${i} * dz${i};`);
      L.push(`const cr${i} = 3 * (rx${i} * px${i} + ry${i} * py${i} + rz${i} * pz${i}) * t[${sp(i, 3)}], rr3_${i} = t[${sp(i, 4)}];`);
      L.push(`const gx${i} = (px${i} - cr${i} * rx${i}) * rr3_${i}, gy${i} = (py${i} - cr${i} * ry${i}) * rr3_${i}, gz${i} = (pz${i} - cr${i} * rz${i}) * rr3_${i};`);
      const [hx, hy, hz] = [0, 1, 2].map((k) => `t[${sp(i, ACC_OUT + k)}]`);
      if (i === 0) {
        L.push(`${hx} = 0; ${hy} = 0; ${hz} = 0;`);
      } else {
        L.push(`{ const jx = jac[${6 * i}], jy = jac[${6 * i + 1}], jz = jac[${6 * i + 2}], iq3 = t[${sp(i, 6)}];`);
        L.push(`  const cq = 3 * (jx * dx${i} + jy * dy${i} + jz * dz${i}) * t[${sp(i, 5)}];`);
        L.push(`  ${hx} = mu${i} * ((dx${i} - cq * jx) * iq3 - gx${i}); ${hy} = mu${i} * ((dy${i} - cq * jy) * iq3 - gy${i}); ${hz} = mu${i} * ((dz${i} - cq * jz) * iq3 - gz${i}); }`);
      }
      L.push(`t[${sp(i, ACC_PAIRS)}] = 0; t[${sp(i, ACC_PAIRS + 1)}] = 0; t[${sp(i, ACC_PAIRS + 2)}] = 0;`);
    }
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const k = pairIndex[i][j];
        L.push(`{ const vx = px${j} - px${i}, vy = py${j} - py${i}, vz = pz${j} - pz${i};`);
        L.push(`  const ex = rx${j} - rx${i}, ey = ry${j} - ry${i}, ez = rz${j} - rz${i};`);
        L.push(`  const cc = (ex * vx + ey * vy + ez * vz) * t[${k + 2}], fj = t[${k}], fi = t[${k + 1}];`);
        L.push(`  const qx = vx - cc * ex, qy = vy - cc * ey, qz = vz - cc * ez;`);
        const [bix, biy, biz] = [0, 1, 2].map((c) => `t[${sp(i, ACC_PAIRS + c)}]`);
        const [bjx, bjy, bjz] = [0, 1, 2].map((c) => `t[${sp(j, ACC_PAIRS + c)}]`);
        L.push(`  ${bix} += fj * qx; ${biy} += fj * qy; ${biz} += fj * qz; ${bjx} -= fi * qx; ${bjy} -= fi * qy; ${bjz} -= fi * qz; }`);
      }
    }
    const out = (c: number, i: number): string => `t[${sp(i, ACC_OUT + c)}]`;
    const pairs = (c: number, i: number): string => `t[${sp(i, ACC_PAIRS + c)}]`;
    suffixAndPrefix(L, n, out, pairs, (i) => `gm${i}`, (i) => [`gx${i}`, `gy${i}`, `gz${i}`]);
  };
  const hOut = (c: number, i: number): string => `t[${sp(i, ACC_OUT + c)}]`;

  // forces: copies of the state before the step, kick(h/2) and drift(h) planet by planet
  // (each drift needs only its own kick), the interaction acceleration.
  const F: string[] = ['const half = c[0];', 'const h = c[2];'];
  constants(F);
  for (let q = 0; q < 6 * n; q++) F.push(`jacPrev[${q}] = jac[${q}];`);
  for (let q = 0; q < 3 * n; q++) F.push(`accPrev[${q}] = acc[${q}];`);
  for (let i = 0; i < n; i++) {
    F.push(`jac[${6 * i + 3}] += half * kick[${3 * i}]; jac[${6 * i + 4}] += half * kick[${3 * i + 1}]; jac[${6 * i + 5}] += half * kick[${3 * i + 2}];`);
    F.push(keplerDriftInlineSource(6 * i, 3 * i, `par[${3 * i}]`, `par[${3 * i + 1}]`, 'h'));
  }
  geometry(F, true);
  for (let i = 0; i < n; i++) F.push(`acc[${3 * i}] = ax${i}; acc[${3 * i + 1}] = ay${i}; acc[${3 * i + 2}] = az${i};`);

  // finish: the kick acceleration a + (h²/12)(Da)·a, kick(h/2), the transit test on the
  // astrocentric state.
  const K: string[] = ['const half = c[0];', 'const coef = c[1];'];
  constants(K);
  for (let i = 0; i < n; i++) K.push(`const dx${i} = acc[${3 * i}], dy${i} = acc[${3 * i + 1}], dz${i} = acc[${3 * i + 2}];`);
  if (modifiedKick && n > 1) {
    hessian(K);
    for (let i = 0; i < n; i++) {
      K.push(`const kx${i} = dx${i} + coef * ${hOut(0, i)}, ky${i} = dy${i} + coef * ${hOut(1, i)}, kz${i} = dz${i} + coef * ${hOut(2, i)};`);
    }
  } else {
    for (let i = 0; i < n; i++) {
      K.push(`const rx${i} = t[${sp(i, 0)}], ry${i} = t[${sp(i, 1)}], rz${i} = t[${sp(i, 2)}];`);
      K.push(`const kx${i} = dx${i}, ky${i} = dy${i}, kz${i} = dz${i};`);
    }
  }
  K.push('let svx = 0, svy = 0;');
  for (let i = 0; i < n; i++) {
    K.push(`kick[${3 * i}] = kx${i}; kick[${3 * i + 1}] = ky${i}; kick[${3 * i + 2}] = kz${i};`);
    K.push(`const jvx${i} = jac[${6 * i + 3}] + half * kx${i}, jvy${i} = jac[${6 * i + 4}] + half * ky${i};`);
    K.push(`jac[${6 * i + 3}] = jvx${i}; jac[${6 * i + 4}] = jvy${i}; jac[${6 * i + 5}] += half * kz${i};`);
    K.push(`sky[${i}] = rx${i} * (jvx${i} + svx) + ry${i} * (jvy${i} + svy); sky[${n + i}] = rz${i};`);
    if (i < n - 1) K.push(`svx += fj${i} * jvx${i}; svy += fj${i} * jvy${i};`);
  }

  // toReal: q + c·a', v − c·(Da')·v with c = ±h²/12 (the first-order output corrector).
  const R: string[] = ['const cc = c[3];'];
  constants(R);
  if (n > 1) {
    geometry(R, false);
    for (let i = 0; i < n; i++) R.push(`const dx${i} = jac[${6 * i + 3}], dy${i} = jac[${6 * i + 4}], dz${i} = jac[${6 * i + 5}];`);
    hessian(R);
  }
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < 3; k++) {
      const q = 6 * i + k;
      if (n > 1) {
        R.push(`out[${q}] = jac[${q}] + cc * a[${3 * i + k}]; out[${q + 3}] = jac[${q + 3}] - cc * ${hOut(k, i)};`);
      } else {
        R.push(`out[${q}] = jac[${q}]; out[${q + 3}] = jac[${q + 3}];`);
      }
    }
  }
  return { forces: F.join('\n'), finish: K.join('\n'), toReal: R.join('\n') };
}

/**
 * Appends out_i −= (M_s/η_{i−1})·Σ_{k>i} weight_k·vec_k and out_i += pair_i − Σ_{j<i} m_j pair_j/η_{i−1},
 * with out(c, i) and pair(c, i) naming component c of planet i's triple.
 */
function suffixAndPrefix(
  L: string[],
  n: number,
  out: (c: number, i: number) => string,
  pair: (c: number, i: number) => string,
  weight: (i: number) => string,
  vec: (i: number) => string[],
): void {
  const q = ['qx', 'qy', 'qz'];
  const P = ['Px', 'Py', 'Pz'];
  L.push('{ let qx = 0, qy = 0, qz = 0;');
  for (let i = n - 1; i >= 0; i--) {
    if (i < n - 1) L.push([0, 1, 2].map((c) => `${out(c, i)} -= se${i} * ${q[c]};`).join(' '));
    if (i > 0) {
      const v = vec(i);
      L.push(`{ const w = ${weight(i)}; ${[0, 1, 2].map((c) => `${q[c]} += w * ${v[c]};`).join(' ')} }`);
    }
  }
  L.push('}', '{ let Px = 0, Py = 0, Pz = 0;');
  for (let i = 0; i < n; i++) {
    if (i > 0) L.push([0, 1, 2].map((c) => `${out(c, i)} += ${pair(c, i)} - ie${i} * ${P[c]};`).join(' '));
    else L.push([0, 1, 2].map((c) => `${out(c, 0)} += ${pair(c, 0)};`).join(' '));
    if (i < n - 1) L.push([0, 1, 2].map((c) => `${P[c]} += m${i} * ${pair(c, i)};`).join(' '));
  }
  L.push('}');
}

/** Compiles the unrolled step for n planets (n ≤ MAX_UNROLLED_PLANETS). */
export function compileStepKernel(n: number, modifiedKick: boolean): StepKernel {
  const src = stepKernelSource(n, modifiedKick);
  // The drift is passed in: a `new Function` body sees only the global scope.
  const make = new Function(
    'drift',
    [
      "'use strict';",
      'return {',
      `forces(jac, acc, kick, c, par, t, jacPrev, accPrev) {\n${src.forces}\n},`,
      `finish(jac, acc, kick, c, sky, t) {\n${src.finish}\n},`,
      `toReal(jac, a, out, c, t) {\n${src.toReal}\n},`,
      '};',
    ].join('\n'),
  ) as (drift: typeof keplerDriftPacked) => StepKernel;
  return make(keplerDriftPacked);
}
