/**
 * Where a J2000 target is in the sky of a site at an instant: equator of date (what INDI
 * mounts call JNow), altitude/azimuth, airmass, and the Sun's altitude for twilight. The
 * precession–nutation and Earth rotation come from astronomy-engine (IAU 2006 precession,
 * IAU 2000B nutation); no aberration or refraction, which move a target by < 1′ above
 * 10° — far inside a slew's tolerance and a mount's altitude limit.
 */
import {
  Body,
  Equator,
  Horizon,
  MakeTime,
  Observer,
  RotateVector,
  Rotation_EQD_EQJ,
  Rotation_EQJ_EQD,
  SiderealTime,
  Vector,
} from 'astronomy-engine';
import { AgentError } from '../errors.js';
import type { Site } from './types.js';

const D2R = Math.PI / 180;

export function checkSite(site: Site, where = 'site'): void {
  if (site === null || typeof site !== 'object') throw new AgentError('BAD_ARGUMENT', `${where} is required`);
  if (!(Math.abs(site.latDeg) <= 90)) throw new AgentError('BAD_ARGUMENT', `${where}.latDeg must be in [−90, 90], got ${site.latDeg}`);
  if (!(Math.abs(site.lonDeg) <= 360)) throw new AgentError('BAD_ARGUMENT', `${where}.lonDeg must be in [−360, 360], got ${site.lonDeg}`);
  if (!(site.heightM >= -500 && site.heightM <= 10000)) throw new AgentError('BAD_ARGUMENT', `${where}.heightM must be in [−500, 10000] m, got ${site.heightM}`);
}

export function checkRaDec(raDeg: number, decDeg: number): void {
  if (!Number.isFinite(raDeg)) throw new AgentError('BAD_ARGUMENT', `raDeg must be a finite number, got ${raDeg}`, { property: 'raDeg' });
  if (!(decDeg >= -90 && decDeg <= 90)) throw new AgentError('BAD_ARGUMENT', `decDeg must be in [−90, 90], got ${decDeg}`, { property: 'decDeg' });
}

function observer(site: Site): Observer {
  return new Observer(site.latDeg, ((site.lonDeg + 540) % 360) - 180, site.heightM);
}

function rotate(raDeg: number, decDeg: number, rot: ReturnType<typeof Rotation_EQJ_EQD>, time: ReturnType<typeof MakeTime>): [number, number] {
  const ra = raDeg * D2R;
  const dec = decDeg * D2R;
  const v = RotateVector(rot, new Vector(Math.cos(dec) * Math.cos(ra), Math.cos(dec) * Math.sin(ra), Math.sin(dec), time));
  const raOut = ((Math.atan2(v.y, v.x) / D2R) % 360 + 360) % 360;
  const decOut = Math.asin(Math.max(-1, Math.min(1, v.z))) / D2R;
  return [raOut, decOut];
}

/** J2000 → true equator and equinox of date (INDI's "JNow"), degrees. */
export function j2000ToOfDate(raDeg: number, decDeg: number, at: Date): [raDeg: number, decDeg: number] {
  checkRaDec(raDeg, decDeg);
  const t = MakeTime(at);
  return rotate(raDeg, decDeg, Rotation_EQJ_EQD(t), t);
}

/** True equator of date → J2000, degrees. */
export function ofDateToJ2000(raDeg: number, decDeg: number, at: Date): [raDeg: number, decDeg: number] {
  checkRaDec(raDeg, decDeg);
  const t = MakeTime(at);
  return rotate(raDeg, decDeg, Rotation_EQD_EQJ(t), t);
}

/** Local apparent sidereal time, degrees in [0, 360). */
export function localSiderealDeg(site: Site, at: Date): number {
  return (((SiderealTime(MakeTime(at)) * 15 + site.lonDeg) % 360) + 360) % 360;
}

export interface HorizontalPosition {
  altDeg: number;
  /** Azimuth east of north, degrees. */
  azDeg: number;
  /** Hour angle, degrees in (−180, 180]. */
  haDeg: number;
}

/** Geometric altitude/azimuth (no refraction) of a J2000 position seen from `site` at `at`. */
export function horizontal(raDeg: number, decDeg: number, site: Site, at: Date): HorizontalPosition {
  checkSite(site);
  const [ra, dec] = j2000ToOfDate(raDeg, decDeg, at);
  const h = Horizon(MakeTime(at), observer(site), ra / 15, dec);
  let ha = localSiderealDeg(site, at) - ra;
  ha = ((ha + 540) % 360) - 180;
  if (ha === -180) ha = 180;
  return { altDeg: h.altitude, azDeg: h.azimuth, haDeg: ha };
}

/**
 * Relative airmass at a geometric altitude: Pickering (2002), good to the horizon
 * (X(90°) = 1.0000, X(30°) = 1.995, X(0°) ≈ 38). Infinity below the horizon.
 */
export function airmass(altDeg: number): number {
  if (!(altDeg > -0.5)) return Infinity;
  const h = Math.max(altDeg, 0);
  return 1 / Math.sin((h + 244 / (165 + 47 * Math.pow(h, 1.1))) * D2R);
}

/** Geometric altitude of the Sun's centre, degrees (for twilight). */
export function sunAltitudeDeg(site: Site, at: Date): number {
  checkSite(site);
  const obs = observer(site);
  const eq = Equator(Body.Sun, at, obs, true, true);
  return Horizon(MakeTime(at), obs, eq.ra, eq.dec).altitude;
}

/** The J2000 position straight up (the zenith), for a parked or unhomed simulated mount. */
export function zenithJ2000(site: Site, at: Date): [raDeg: number, decDeg: number] {
  return ofDateToJ2000(localSiderealDeg(site, at), site.latDeg, at);
}
