/**
 * A minimal star list and a random star field with a realistic magnitude distribution.
 *
 * Star counts: the cumulative surface density of stars brighter than m is modelled as
 *   N(< m) = densityAtRefMag · 10^(slope · (m − refMag))  per square degree,
 * i.e. log N ∝ 0.3 m by default (the Euclidean 0.6 holds only for a uniform, unbounded
 * population; real all-sky counts steepen to ~0.4 around V 10–15 and flatten below 0.3
 * towards V 20, averaging ~0.33 between 10 and 20). The default normalisation, 700 stars
 * deg⁻² brighter than V = 15, is about the all-sky average where amateur frames live
 * (Tycho-2 + UCAC4 hold ~950 deg⁻² to their magnitude 15, i.e. 3.9e7 stars over 41 253
 * deg²); with slope 0.3 it gives ~22 deg⁻² to V = 10 and ~2.2e4 to V = 20. Milky Way
 * fields are several times denser, the Galactic poles a few times thinner.
 *
 * Positions are uniform on the sphere inside a cone; the count is a Poisson deviate of
 * the expected number, so fields of the same area and seed but different centres differ.
 */
import { Rng } from '../inference/random.js';
import { requireNumber, SkyError } from './errors.js';
import { poissonDeviate } from './poisson.js';

export interface CatalogStar {
  raDeg: number;
  decDeg: number;
  /** Magnitude in the band of the optics' zero point. */
  mag: number;
  id?: string;
}

export interface StarCountModel {
  /** Default 0.3 (d log N / dm). */
  slope?: number;
  /** Stars per deg² brighter than refMag; default 700. */
  densityAtRefMag?: number;
  /** Default 15. */
  refMag?: number;
}

export interface StarFieldOptions extends StarCountModel {
  /** Cone centre, degrees. */
  raDeg: number;
  decDeg: number;
  /** Cone radius, degrees (0 … 180). */
  radiusDeg: number;
  /** Bright limit (smallest magnitude); default 6. */
  magBright?: number;
  /** Faint limit. */
  magFaint: number;
  seed: number;
  /** Refuse fields whose expected count exceeds this; default 5e6. */
  maxStars?: number;
}

/** N(< m) per square degree. */
export function cumulativeStarDensity(mag: number, model: StarCountModel = {}): number {
  const { slope, density, ref } = resolveModel(model);
  return density * Math.pow(10, slope * (mag - ref));
}

/** Area of a cone of angular radius r, square degrees. */
export function coneAreaDeg2(radiusDeg: number): number {
  const r = (requireNumber(radiusDeg, 'radiusDeg', 0, 180) * Math.PI) / 180;
  return 2 * Math.PI * (1 - Math.cos(r)) * (180 / Math.PI) ** 2;
}

/** Expected number of stars with magBright ≤ m < magFaint in the cone. */
export function expectedStarCount(opts: Omit<StarFieldOptions, 'seed' | 'raDeg' | 'decDeg' | 'maxStars'>): number {
  const bright = opts.magBright ?? 6;
  requireNumber(opts.magFaint, 'magFaint', -30, 40);
  requireNumber(bright, 'magBright', -30, opts.magFaint);
  return coneAreaDeg2(opts.radiusDeg) * (cumulativeStarDensity(opts.magFaint, opts) - cumulativeStarDensity(bright, opts));
}

function resolveModel(m: StarCountModel): { slope: number; density: number; ref: number } {
  return {
    slope: requireNumber(m.slope ?? 0.3, 'slope', 0, 2, true),
    density: requireNumber(m.densityAtRefMag ?? 700, 'densityAtRefMag', 0, 1e9, true),
    ref: requireNumber(m.refMag ?? 15, 'refMag', -30, 40),
  };
}

/**
 * Random stars in a cone, brightest first. Magnitudes follow dN/dm ∝ 10^(slope·m) between
 * the limits (sampled by inverting the cumulative count), positions are uniform on the
 * sphere (cos of the distance from the centre uniform, azimuth uniform).
 */
export function randomStarField(opts: StarFieldOptions): CatalogStar[] {
  const raDeg = requireNumber(opts.raDeg, 'raDeg');
  const decDeg = requireNumber(opts.decDeg, 'decDeg', -90, 90);
  const expected = expectedStarCount(opts);
  const maxStars = requireNumber(opts.maxStars ?? 5e6, 'maxStars', 0);
  if (expected > maxStars) {
    throw new SkyError('TOO_LARGE', `${expected.toExponential(2)} stars expected, more than maxStars = ${maxStars}; narrow the field or the magnitude range`, {
      parameter: 'magFaint',
    });
  }
  if (!Number.isSafeInteger(opts.seed)) throw new SkyError('BAD_ARGUMENT', `must be a safe integer, got ${String(opts.seed)}`, { parameter: 'seed' });
  const rng = new Rng(opts.seed);
  const n = poissonDeviate(rng, expected);
  const { slope } = resolveModel(opts);
  const bright = opts.magBright ?? 6;
  const lo = Math.pow(10, slope * (bright - opts.magFaint)); // 10^(s·mB) / 10^(s·mF), in (0, 1]
  const cosR = Math.cos((opts.radiusDeg * Math.PI) / 180);
  const d2r = Math.PI / 180;
  const a0 = raDeg * d2r;
  const d0 = decDeg * d2r;
  // Rotation taking the north pole to the cone centre: columns are the local east, north
  // and centre unit vectors.
  const ex = -Math.sin(a0);
  const ey = Math.cos(a0);
  const nx = -Math.sin(d0) * Math.cos(a0);
  const ny = -Math.sin(d0) * Math.sin(a0);
  const nz = Math.cos(d0);
  const cx = Math.cos(d0) * Math.cos(a0);
  const cy = Math.cos(d0) * Math.sin(a0);
  const cz = Math.sin(d0);
  const stars: CatalogStar[] = new Array(n);
  for (let i = 0; i < n; i++) {
    // m = mF + log10(lo + u (1 − lo)) / slope: the inverse of N(< m) ∝ 10^(slope m) on [mB, mF].
    const mag = opts.magFaint + Math.log10(lo + rng.uniform() * (1 - lo)) / slope;
    const cosT = 1 - rng.uniform() * (1 - cosR);
    const sinT = Math.sqrt(Math.max(0, 1 - cosT * cosT));
    const phi = 2 * Math.PI * rng.uniform();
    const u = sinT * Math.cos(phi); // towards east
    const v = sinT * Math.sin(phi); // towards north
    const x = u * ex + v * nx + cosT * cx;
    const y = u * ey + v * ny + cosT * cy;
    const z = v * nz + cosT * cz;
    let ra = (Math.atan2(y, x) * 180) / Math.PI;
    if (ra < 0) ra += 360;
    if (ra >= 360) ra -= 360;
    const dec = (Math.asin(Math.max(-1, Math.min(1, z))) * 180) / Math.PI;
    stars[i] = { raDeg: ra, decDeg: dec, mag };
  }
  stars.sort((a, b) => a.mag - b.mag);
  for (let i = 0; i < n; i++) stars[i].id = `S${i + 1}`;
  return stars;
}
