/**
 * Visibility: where a target, the Sun and the Moon are for a site at a time, and whether a
 * target can be observed over an interval. Every astronomy-engine call of the scheduler is
 * in this module; everything here is a pure function of its arguments.
 *
 * Conventions:
 * - Targets are ICRS/J2000 RA/Dec in degrees (astronomy-engine's EQJ frame; the ≤ 23 mas
 *   frame bias is irrelevant here). They are rotated to the horizon of date with
 *   precession and nutation (Rotation_EQJ_HOR); annual aberration (≤ 20.5″) is left out.
 * - Altitudes are geometric (no refraction) unless `refraction: true`: limits of 20°–30°
 *   are far above where refraction (≈ 2′ at 25°) would matter, and the twilight
 *   definitions are geometric by convention.
 * - Twilight ends when the Sun's centre is 6° (civil), 12° (nautical) or 18°
 *   (astronomical) below the horizon; sunset/sunrise when it is 0.8333° below
 *   (34′ of refraction + 16′ of solar radius, the almanac convention).
 * - Airmass is sec z (plane-parallel), as astropy's AltAz.secz and astroplan use: within
 *   1% of Kasten & Young's formula down to ~25° altitude, which covers every sane limit.
 * - Intervals are checked on samples at most `stepS` apart (default 5 min), endpoints
 *   included; a target moves ≤ 1.25° in 5 min, so a limit can be missed by that much at
 *   most between samples.
 *
 * Accuracy against astropy 5.2 (test/fixtures/scheduler, six positions and five nights at
 * real observatories in 2022): altitude/azimuth within 0.006° (no aberration here;
 * astronomy-engine's ΔT model is a few seconds off), Sun altitude 0.0004°, Moon separation
 * 0.005°, sunset and twilight times 0.2 s.
 */
import {
  AngleBetween,
  Body,
  Equator,
  HorizonFromVector,
  MakeTime,
  Observer,
  RotateVector,
  Rotation_EQJ_HOR,
  SearchAltitude,
  Spherical,
  VectorFromSphere,
  type AstroTime,
  type Vector,
} from 'astronomy-engine';

export interface SiteLocation {
  latitudeDeg: number;
  /** East positive. */
  longitudeDeg: number;
  elevationM: number;
}

export interface SkyTarget {
  /** ICRS (J2000) right ascension, degrees. */
  raDeg: number;
  /** ICRS (J2000) declination, degrees. */
  decDeg: number;
}

export interface HorizontalPosition {
  altitudeDeg: number;
  /** From north through east, degrees [0, 360). */
  azimuthDeg: number;
}

export type Twilight = 'civil' | 'nautical' | 'astronomical';

export const TWILIGHT_SUN_ALTITUDE_DEG: Readonly<Record<Twilight, number>> = {
  civil: -6,
  nautical: -12,
  astronomical: -18,
};
/** The Sun's centre at sunset/sunrise (refraction 34′ + semi-diameter 16′). */
export const SUNSET_SUN_ALTITUDE_DEG = -0.8333;
/** Interval sampling step, seconds. */
export const DEFAULT_STEP_S = 300;

function observer(site: SiteLocation): Observer {
  return new Observer(site.latitudeDeg, site.longitudeDeg, site.elevationM);
}

function toHorizon(eqj: Vector, site: SiteLocation, time: AstroTime, refraction: boolean): HorizontalPosition {
  const hor = HorizonFromVector(RotateVector(Rotation_EQJ_HOR(time, observer(site)), eqj), refraction ? 'normal' : '');
  return { altitudeDeg: hor.lat, azimuthDeg: ((hor.lon % 360) + 360) % 360 };
}

function targetVector(target: SkyTarget, time: AstroTime): Vector {
  return VectorFromSphere(new Spherical(target.decDeg, target.raDeg, 1), time);
}

/** Topocentric apparent direction of a body on EQJ axes. */
function bodyVector(body: Body, site: SiteLocation, time: AstroTime): Vector {
  return Equator(body, time, observer(site), false, true).vec;
}

export interface PositionOptions {
  /** Add normal atmospheric refraction to the altitude (default false: geometric). */
  refraction?: boolean;
}

/** Altitude/azimuth of a J2000 target seen from the site at `time`. */
export function targetPosition(target: SkyTarget, site: SiteLocation, time: Date, opts: PositionOptions = {}): HorizontalPosition {
  const t = MakeTime(time);
  return toHorizon(targetVector(target, t), site, t, opts.refraction ?? false);
}

/** Altitude/azimuth of the Sun's centre (geometric unless refraction is asked for). */
export function sunPosition(site: SiteLocation, time: Date, opts: PositionOptions = {}): HorizontalPosition {
  const t = MakeTime(time);
  return toHorizon(bodyVector(Body.Sun, site, t), site, t, opts.refraction ?? false);
}

/** Altitude/azimuth of the Moon's centre (topocentric). */
export function moonPosition(site: SiteLocation, time: Date, opts: PositionOptions = {}): HorizontalPosition {
  const t = MakeTime(time);
  return toHorizon(bodyVector(Body.Moon, site, t), site, t, opts.refraction ?? false);
}

/** Angle between the target and the Moon's centre as seen from the site, degrees. */
export function moonSeparationDeg(target: SkyTarget, site: SiteLocation, time: Date): number {
  const t = MakeTime(time);
  return AngleBetween(targetVector(target, t), bodyVector(Body.Moon, site, t));
}

/** sec z for an altitude; Infinity at or below the horizon. */
export function airmass(altitudeDeg: number): number {
  if (!(altitudeDeg > 0)) return Infinity;
  return 1 / Math.sin((altitudeDeg * Math.PI) / 180);
}

/** The altitude at which sec z equals `maxAirmass` (≥ 1). */
export function altitudeForAirmass(maxAirmass: number): number {
  if (!(maxAirmass >= 1)) throw new RangeError(`altitudeForAirmass: airmass must be ≥ 1, got ${maxAirmass}`);
  return (Math.asin(1 / maxAirmass) * 180) / Math.PI;
}

/**
 * Minimum altitude from a horizon profile of [azimuthDeg, minAltitudeDeg] points, linear
 * in azimuth between neighbours and wrapping through north. Null for no usable profile.
 */
export function horizonProfileAltitudeDeg(profile: ReadonlyArray<readonly [number, number]> | null | undefined, azimuthDeg: number): number | null {
  if (!profile) return null;
  const pts = profile
    .filter((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]))
    .map(([az, alt]) => [((az % 360) + 360) % 360, alt] as const)
    .sort((a, b) => a[0] - b[0]);
  if (pts.length === 0) return null;
  if (pts.length === 1) return pts[0][1];
  const az = ((azimuthDeg % 360) + 360) % 360;
  for (let i = 0; i < pts.length; i++) {
    const [a0, h0] = pts[i];
    const [a1raw, h1] = pts[(i + 1) % pts.length];
    const a1 = i + 1 < pts.length ? a1raw : a1raw + 360; // the last segment wraps through north
    const x = az >= a0 ? az : az + 360;
    if (x >= a0 && x <= a1) return a1 === a0 ? Math.max(h0, h1) : h0 + ((h1 - h0) * (x - a0)) / (a1 - a0);
  }
  return pts[0][1];
}

export interface VisibilityLimits {
  /** The site's general limit (sites.min_altitude_deg). */
  siteMinAltitudeDeg: number;
  /** The site's local horizon, [azimuthDeg, minAltitudeDeg] pairs; raises the limit where higher. */
  horizonProfile?: ReadonlyArray<readonly [number, number]> | null;
  /** Mission constraint. */
  minAltitudeDeg?: number;
  /** Mission constraint, as sec z. */
  maxAirmass?: number;
  /** The Sun must stay at or below this altitude (a twilight limit). */
  maxSunAltitudeDeg: number;
  /** Mission constraint. */
  minMoonSeparationDeg?: number;
}

/** The altitude limit in force at an azimuth, and which rule sets it. */
export function altitudeLimitDeg(limits: VisibilityLimits, azimuthDeg: number): { limitDeg: number; source: string } {
  let limitDeg = limits.siteMinAltitudeDeg;
  let source = 'the site minimum altitude';
  const profile = horizonProfileAltitudeDeg(limits.horizonProfile, azimuthDeg);
  if (profile !== null && profile > limitDeg) [limitDeg, source] = [profile, "the site's horizon profile"];
  if (limits.minAltitudeDeg !== undefined && limits.minAltitudeDeg > limitDeg) [limitDeg, source] = [limits.minAltitudeDeg, 'the mission minimum altitude'];
  if (limits.maxAirmass !== undefined) {
    const a = altitudeForAirmass(limits.maxAirmass);
    if (a > limitDeg) [limitDeg, source] = [a, `the mission airmass limit ${limits.maxAirmass}`];
  }
  return { limitDeg, source };
}

export type VisibilityReason = 'DAYTIME' | 'BELOW_LIMIT' | 'MOON';

export type VisibilityVerdict =
  | {
      ok: true;
      startAltitudeDeg: number;
      endAltitudeDeg: number;
      minAltitudeDeg: number;
      maxAirmass: number;
      /** Closest approach to the Moon over the interval. */
      minMoonSeparationDeg: number;
      maxSunAltitudeDeg: number;
    }
  | { ok: false; reason: VisibilityReason; at: Date; message: string };

function sampleTimes(start: Date, end: Date, stepS: number): Date[] {
  const spanMs = Math.max(0, end.getTime() - start.getTime());
  const n = Math.max(1, Math.ceil(spanMs / (stepS * 1000)));
  return Array.from({ length: n + 1 }, (_, i) => new Date(start.getTime() + (spanMs * i) / n));
}

const f1 = (x: number) => x.toFixed(1);

/**
 * Can the target be observed from `start` to `end`? The Sun below the twilight limit
 * throughout, the target above the altitude limit (site, horizon profile, mission) at its
 * azimuth throughout, and far enough from the Moon. The first failing check (in that
 * order) is reported with the time it fails.
 */
export function checkVisibility(
  target: SkyTarget,
  site: SiteLocation,
  start: Date,
  end: Date,
  limits: VisibilityLimits,
  stepS: number = DEFAULT_STEP_S,
): VisibilityVerdict {
  const times = sampleTimes(start, end, stepS);
  const aTimes = times.map((t) => MakeTime(t));
  let maxSun = -90;
  for (let i = 0; i < times.length; i++) {
    const sun = toHorizon(bodyVector(Body.Sun, site, aTimes[i]), site, aTimes[i], false);
    if (sun.altitudeDeg > limits.maxSunAltitudeDeg) {
      return {
        ok: false,
        reason: 'DAYTIME',
        at: times[i],
        message: `the Sun is at ${f1(sun.altitudeDeg)}° at ${times[i].toISOString()}, above the twilight limit ${limits.maxSunAltitudeDeg}°`,
      };
    }
    maxSun = Math.max(maxSun, sun.altitudeDeg);
  }
  const alts: number[] = [];
  for (let i = 0; i < times.length; i++) {
    const pos = toHorizon(targetVector(target, aTimes[i]), site, aTimes[i], false);
    const { limitDeg, source } = altitudeLimitDeg(limits, pos.azimuthDeg);
    if (pos.altitudeDeg < limitDeg) {
      return {
        ok: false,
        reason: 'BELOW_LIMIT',
        at: times[i],
        message: `the target is at altitude ${f1(pos.altitudeDeg)}° (azimuth ${f1(pos.azimuthDeg)}°) at ${times[i].toISOString()}, below ${f1(limitDeg)}° set by ${source}`,
      };
    }
    alts.push(pos.altitudeDeg);
  }
  let minMoon = 180;
  for (let i = 0; i < times.length; i++) {
    const sep = AngleBetween(targetVector(target, aTimes[i]), bodyVector(Body.Moon, site, aTimes[i]));
    if (limits.minMoonSeparationDeg !== undefined && sep < limits.minMoonSeparationDeg) {
      return {
        ok: false,
        reason: 'MOON',
        at: times[i],
        message: `the Moon is ${f1(sep)}° from the target at ${times[i].toISOString()}, closer than ${limits.minMoonSeparationDeg}°`,
      };
    }
    minMoon = Math.min(minMoon, sep);
  }
  const minAlt = Math.min(...alts);
  return {
    ok: true,
    startAltitudeDeg: alts[0],
    endAltitudeDeg: alts[alts.length - 1],
    minAltitudeDeg: minAlt,
    maxAirmass: airmass(minAlt),
    minMoonSeparationDeg: minMoon,
    maxSunAltitudeDeg: maxSun,
  };
}

/**
 * Next time after `from` (within `limitDays`) that the Sun's centre crosses
 * `sunAltitudeDeg` going down ('setting') or up ('rising'); null if it does not.
 */
export function sunCrossing(
  site: SiteLocation,
  from: Date,
  direction: 'setting' | 'rising',
  sunAltitudeDeg: number,
  limitDays = 1,
): Date | null {
  const t = SearchAltitude(Body.Sun, observer(site), direction === 'rising' ? +1 : -1, MakeTime(from), limitDays, sunAltitudeDeg);
  return t === null ? null : t.date;
}

export interface NightWindow {
  /** When the Sun goes below the limit (or `from`, if it already is). */
  start: Date;
  /** When it comes back above it (or start + 24 h in polar night). */
  end: Date;
}

/**
 * The night holding `from`, or the next one: the interval when the Sun is at or below
 * `maxSunAltitudeDeg`. Null when the Sun does not get that low within a day (high-latitude
 * summer).
 */
export function nightWindow(site: SiteLocation, from: Date, maxSunAltitudeDeg: number): NightWindow | null {
  const day = 86_400_000;
  let start: Date;
  if (sunPosition(site, from).altitudeDeg <= maxSunAltitudeDeg) start = from;
  else {
    const set = sunCrossing(site, from, 'setting', maxSunAltitudeDeg, 1);
    if (set === null) return null;
    start = set;
  }
  const rise = sunCrossing(site, start, 'rising', maxSunAltitudeDeg, 1);
  return { start, end: rise ?? new Date(start.getTime() + day) };
}
