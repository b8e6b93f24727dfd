/**
 * Jacobi coordinates (Wisdom & Holman 1991 §3): planet i (0-based, innermost first) is
 * measured from the centre of mass of the star and planets 0..i−1. With
 *   η_i = M_s + Σ_{j≤i} m_j        (η_{−1} = M_s)
 * the Jacobi position is r'_i = r_i − R_{i−1} and the astrocentric one follows from
 *   r_i − r_s = r'_i + Σ_{j<i} (m_j/η_j)·r'_j ;   r'_i = (r_i − r_s) − Σ_{j<i} m_j (r_j − r_s)/η_{i−1}.
 * Velocities transform the same way (the map is linear and time-independent). The Kepler
 * part of the Jacobi Hamiltonian for planet i has GM = G·M_s·η_i/η_{i−1}.
 *
 * States are six doubles per planet (x, y, z, vx, vy, vz) in one Float64Array.
 */

/** η_i = M_s + Σ_{j≤i} m_j for each planet i. */
export function cumulativeMasses(stellarMass: number, masses: ArrayLike<number>, out = new Float64Array(masses.length)): Float64Array {
  let eta = stellarMass;
  for (let i = 0; i < masses.length; i++) {
    eta += masses[i];
    out[i] = eta;
  }
  return out;
}

/** GM of each planet's Jacobi Kepler problem: G·M_s·η_i/η_{i−1}. */
export function jacobiKeplerMu(G: number, stellarMass: number, masses: ArrayLike<number>, out = new Float64Array(masses.length)): Float64Array {
  let prev = stellarMass;
  for (let i = 0; i < masses.length; i++) {
    const eta = prev + masses[i];
    out[i] = (G * stellarMass * eta) / prev;
    prev = eta;
  }
  return out;
}

/** Jacobi → astrocentric (positions and velocities); `jac` and `astro` may not alias. */
export function jacobiToAstrocentric(stellarMass: number, masses: ArrayLike<number>, jac: Float64Array, astro: Float64Array): void {
  const s = [0, 0, 0, 0, 0, 0];
  let eta = stellarMass;
  for (let i = 0; i < masses.length; i++) {
    eta += masses[i];
    const f = masses[i] / eta;
    for (let k = 0; k < 6; k++) {
      const v = jac[6 * i + k];
      astro[6 * i + k] = v + s[k];
      s[k] += f * v;
    }
  }
}

/** Astrocentric → Jacobi (positions and velocities); `astro` and `jac` may not alias. */
export function astrocentricToJacobi(stellarMass: number, masses: ArrayLike<number>, astro: Float64Array, jac: Float64Array): void {
  const t = [0, 0, 0, 0, 0, 0];
  let etaPrev = stellarMass;
  for (let i = 0; i < masses.length; i++) {
    for (let k = 0; k < 6; k++) {
      const v = astro[6 * i + k];
      jac[6 * i + k] = v - t[k] / etaPrev;
      t[k] += masses[i] * v;
    }
    etaPrev += masses[i];
  }
}
