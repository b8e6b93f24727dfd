/**
 * The Earth and the observatory in the solar system, from astronomy-engine (VSOP87-based,
 * truncated): the Earth's barycentric and heliocentric position and velocity, and the
 * observatory's geocentric position including the Earth's rotation, precession and
 * nutation. All vectors are in AU (velocities AU/day) on astronomy-engine's EQJ axes
 * (mean equator and equinox of J2000, dynamical); `icrsToEqj` rotates ICRS directions
 * onto those axes (frame bias, ≤ 23 mas — worth ≤ 0.06 ms in a light time of 500 s).
 *
 * Accuracy: astronomy-engine's Earth agrees with ERFA's epv00 (itself within ~11 km of
 * JPL DE405) to ≲ 3000 km over 1990–2030, i.e. ≲ 10 ms of light time; that is the dominant
 * error of our BJD (see barycentric.ts). The site uses astronomy-engine's
 * ellipsoid (a = 6378.1366 km, 1/f = 298.25642), which differs from WGS84 by < 0.5 m
 * (< 2 ns); polar motion (~10 m) is ignored.
 */
import { AstroTime, BaryState, Body, HelioState, Observer, ObserverVector } from 'astronomy-engine';
import { TimeError, requireFinite } from './errors.js';

export type Vec3 = [number, number, number];

/** An observatory on the Earth: geodetic longitude (east +) and latitude, height above the ellipsoid. */
export interface ObservatorySite {
  lonDeg: number;
  latDeg: number;
  /** Height above the WGS84 ellipsoid in metres (not above mean sea level: the geoid differs by ≤ 100 m ≈ 0.3 µs). */
  heightM: number;
}

/** Astronomical unit in metres (IAU 2012, exact). */
export const AU_M = 149597870700;
/** Speed of light in m/s (exact). */
export const C_M_S = 299792458;
/** Light time for 1 AU in seconds. */
export const AU_LIGHT_S = AU_M / C_M_S;
/** Heliocentric gravitational constant in m³/s² (TDB-compatible, IERS Conventions 2010). */
export const GM_SUN_M3_S2 = 1.32712440041e20;

/** Throws BAD_ARGUMENT unless the site's coordinates are finite and in range. */
export function checkSite(site: ObservatorySite, parameter = 'site'): void {
  if (site === null || typeof site !== 'object') {
    throw new TimeError('BAD_ARGUMENT', 'must be { lonDeg, latDeg, heightM }', { parameter });
  }
  requireFinite(site.lonDeg, `${parameter}.lonDeg`, -360, 360);
  requireFinite(site.latDeg, `${parameter}.latDeg`, -90, 90);
  requireFinite(site.heightM, `${parameter}.heightM`, -12000, 100000);
}

export interface EarthState {
  /** Earth's centre relative to the solar-system barycentre, AU. */
  bary: Vec3;
  /** Earth's barycentric velocity, AU/day. */
  baryVel: Vec3;
  /** Earth's centre relative to the Sun's centre, AU. */
  helio: Vec3;
}

/** Earth's state at TDB `tdbDaysSinceJ2000` (days from JD 2451545.0 TDB). */
export function earthState(tdbDaysSinceJ2000: number): EarthState {
  // astronomy-engine's ephemerides take `tt`; TT and TDB differ by < 2 ms (≈ 60 m of orbit).
  // Earth = Sun (barycentric, from the giant planets) + Earth (heliocentric VSOP87): the same
  // sum BaryState(Earth) forms, without evaluating the Earth's series twice.
  const t = AstroTime.FromTerrestrialTime(tdbDaysSinceJ2000);
  const sun = BaryState(Body.Sun, t);
  const h = HelioState(Body.Earth, t);
  return {
    bary: [sun.x + h.x, sun.y + h.y, sun.z + h.z],
    baryVel: [sun.vx + h.vx, sun.vy + h.vy, sun.vz + h.vz],
    helio: [h.x, h.y, h.z],
  };
}

/**
 * Observatory's geocentric position (AU, EQJ axes) at UT1 `ut1DaysSinceJ2000` (days from
 * JD 2451545.0 UT1); the UT1 sets the Earth's rotation angle.
 */
export function observerGeocentric(ut1DaysSinceJ2000: number, site: ObservatorySite): Vec3 {
  const v = ObserverVector(new AstroTime(ut1DaysSinceJ2000), new Observer(site.latDeg, site.lonDeg, site.heightM), false);
  return [v.x, v.y, v.z];
}

/**
 * The site-dependent part of TDB − TT in seconds: (v_E · r_obs) / c², with v_E the
 * Earth's barycentric velocity and r_obs the observatory's geocentric position
 * — the leading site term of the TCB − TCG transformation (IERS Conventions 2010, ch. 10).
 */
export function topocentricTdbTermS(earthVelAuDay: Vec3, observerAu: Vec3): number {
  const dot = earthVelAuDay[0] * observerAu[0] + earthVelAuDay[1] * observerAu[1] + earthVelAuDay[2] * observerAu[2];
  return (dot * AU_M * AU_M) / 86400 / (C_M_S * C_M_S);
}

const MAS = Math.PI / 180 / 3600 / 1000;
// Frame bias ICRS → mean J2000 (IERS Conventions 2003, §5.5.1): offsets of the pole ξ0, η0
// and of the equinox dα0.
const XI0 = -16.617 * MAS;
const ETA0 = -6.8192 * MAS;
const DALPHA0 = -14.6 * MAS;

function r1(a: number): number[][] {
  const c = Math.cos(a);
  const s = Math.sin(a);
  return [
    [1, 0, 0],
    [0, c, s],
    [0, -s, c],
  ];
}
function r2(a: number): number[][] {
  const c = Math.cos(a);
  const s = Math.sin(a);
  return [
    [c, 0, -s],
    [0, 1, 0],
    [s, 0, c],
  ];
}
function r3(a: number): number[][] {
  const c = Math.cos(a);
  const s = Math.sin(a);
  return [
    [c, s, 0],
    [-s, c, 0],
    [0, 0, 1],
  ];
}
function matMul(a: number[][], b: number[][]): number[][] {
  const out = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
  return out;
}

const BIAS = matMul(matMul(r1(-ETA0), r2(XI0)), r3(DALPHA0));

/** The frame-bias matrix B with x_J2000 = B · x_ICRS (a copy). */
export function frameBiasMatrix(): number[][] {
  return BIAS.map((row) => row.slice());
}

/** Rotates an ICRS vector onto astronomy-engine's EQJ (mean J2000) axes. */
export function icrsToEqj(v: Vec3): Vec3 {
  return [
    BIAS[0][0] * v[0] + BIAS[0][1] * v[1] + BIAS[0][2] * v[2],
    BIAS[1][0] * v[0] + BIAS[1][1] * v[1] + BIAS[1][2] * v[2],
    BIAS[2][0] * v[0] + BIAS[2][1] * v[1] + BIAS[2][2] * v[2],
  ];
}
