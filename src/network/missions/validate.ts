/**
 * Validation of a mission request. Input usually comes from JSON, so every field is checked
 * for type as well as range, and the first problem is reported as BAD_REQUEST naming the
 * field (`constraints.maxAirmass must be ≥ 1, got 0.5`). Nothing is written before this
 * passes.
 */
import { NetworkError } from '../errors.js';
import type { MissionConstraints } from '../../platform/db/schema.js';
import { knownTargetNames, resolveTargetName } from './targets.js';
import { subExposureCount } from './split.js';

/**
 * Mission constraints as stored in missions.constraints (jsonb). `targetSizeArcmin` extends
 * the schema's MissionConstraints: the target's angular extent, which must fit in a node's
 * field of view (jsonb needs no migration for it).
 */
export interface TargetConstraints extends MissionConstraints {
  targetSizeArcmin?: number;
}

export interface MissionInput {
  /** Free label; defaults to "<target> <filter>". */
  name?: string;
  /** A label, or — without raDeg/decDeg — a name from the built-in table (targets.ts). */
  targetName?: string | null;
  /** ICRS (J2000) right ascension, degrees [0, 360). */
  raDeg?: number | null;
  /** ICRS (J2000) declination, degrees [−90, 90]. */
  decDeg?: number | null;
  filter: string;
  totalExposureS: number;
  subExposureS: number;
  /** Time between visits (time-series monitoring), seconds. */
  cadenceS?: number | null;
  /** With cadence: exposure per visit, seconds (default one sub-exposure). */
  visitExposureS?: number | null;
  windowStart?: string | Date | null;
  windowEnd?: string | Date | null;
  /** Integer 0–100, higher first; alerts come in high (see scheduler/rank.ts). */
  priority?: number;
  constraints?: TargetConstraints;
}

/** A validated, normalised mission request. */
export interface MissionSpec {
  name: string;
  targetName: string | null;
  raDeg: number;
  decDeg: number;
  filter: string;
  totalExposureS: number;
  subExposureS: number;
  cadenceS: number | null;
  visitExposureS: number | null;
  windowStart: Date | null;
  windowEnd: Date | null;
  priority: number;
  constraints: TargetConstraints;
}

export const PRIORITY_MIN = 0;
export const PRIORITY_MAX = 100;
const TWILIGHTS = ['civil', 'nautical', 'astronomical'] as const;
const INPUT_KEYS = new Set([
  'name', 'targetName', 'raDeg', 'decDeg', 'filter', 'totalExposureS', 'subExposureS', 'cadenceS',
  'visitExposureS', 'windowStart', 'windowEnd', 'priority', 'constraints',
]);
const CONSTRAINT_KEYS = new Set(['minAltitudeDeg', 'maxAirmass', 'minMoonSeparationDeg', 'twilight', 'targetSizeArcmin']);

function bad(message: string): never {
  throw new NetworkError('BAD_REQUEST', message);
}

function given(v: unknown): boolean {
  return v !== undefined && v !== null;
}

function num(v: unknown, field: string, min: number, max: number, opts: { minExclusive?: boolean; maxExclusive?: boolean } = {}): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) bad(`${field}: must be a finite number, got ${JSON.stringify(v)}`);
  const lowOk = opts.minExclusive ? v > min : v >= min;
  const highOk = opts.maxExclusive ? v < max : v <= max;
  if (!lowOk || !highOk) {
    const lo = opts.minExclusive ? `> ${min}` : `≥ ${min}`;
    const hi = opts.maxExclusive ? `< ${max}` : `≤ ${max}`;
    bad(`${field}: must be ${lo} and ${hi}, got ${v}`);
  }
  return v;
}

function text(v: unknown, field: string, maxLength: number): string {
  if (typeof v !== 'string') bad(`${field}: must be a string, got ${JSON.stringify(v)}`);
  const t = v.trim();
  if (t.length === 0) bad(`${field}: must not be empty`);
  if (t.length > maxLength) bad(`${field}: must be at most ${maxLength} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(t)) bad(`${field}: must not contain control characters`);
  return t;
}

function instant(v: unknown, field: string): Date {
  if (!(v instanceof Date) && typeof v !== 'string') bad(`${field}: must be an ISO-8601 time, got ${JSON.stringify(v)}`);
  const d = v instanceof Date ? new Date(v.getTime()) : new Date(v);
  if (!Number.isFinite(d.getTime())) bad(`${field}: not a valid ISO-8601 time: ${JSON.stringify(v)}`);
  return d;
}

function constraintsOf(v: unknown): TargetConstraints {
  if (!given(v)) return {};
  if (typeof v !== 'object' || Array.isArray(v)) bad(`constraints must be an object, got ${JSON.stringify(v)}`);
  const c = v as Record<string, unknown>;
  for (const k of Object.keys(c)) {
    if (!CONSTRAINT_KEYS.has(k)) bad(`constraints.${k} is not a known constraint (${[...CONSTRAINT_KEYS].join(', ')})`);
  }
  const out: TargetConstraints = {};
  if (given(c.minAltitudeDeg)) out.minAltitudeDeg = num(c.minAltitudeDeg, 'constraints.minAltitudeDeg', 0, 90, { maxExclusive: true });
  if (given(c.maxAirmass)) out.maxAirmass = num(c.maxAirmass, 'constraints.maxAirmass', 1, 10, { minExclusive: true });
  if (given(c.minMoonSeparationDeg)) {
    out.minMoonSeparationDeg = num(c.minMoonSeparationDeg, 'constraints.minMoonSeparationDeg', 0, 180);
  }
  if (given(c.twilight)) {
    if (!TWILIGHTS.includes(c.twilight as (typeof TWILIGHTS)[number])) {
      bad(`constraints.twilight must be one of ${TWILIGHTS.join(', ')}, got ${JSON.stringify(c.twilight)}`);
    }
    out.twilight = c.twilight as (typeof TWILIGHTS)[number];
  }
  if (given(c.targetSizeArcmin)) {
    out.targetSizeArcmin = num(c.targetSizeArcmin, 'constraints.targetSizeArcmin', 0, 1200, { minExclusive: true });
  }
  return out;
}

/** Checks a mission request; `now` rejects windows that have already closed. */
export function validateMission(input: MissionInput, now: Date): MissionSpec {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) bad('a mission must be a JSON object');
  for (const k of Object.keys(input)) {
    if (!INPUT_KEYS.has(k)) bad(`${k} is not a mission field`);
  }

  let targetName = given(input.targetName) ? text(input.targetName, 'targetName', 200) : null;
  let raDeg: number;
  let decDeg: number;
  if (given(input.raDeg) || given(input.decDeg)) {
    if (!given(input.raDeg)) bad('raDeg is required when decDeg is given');
    if (!given(input.decDeg)) bad('decDeg is required when raDeg is given');
    raDeg = num(input.raDeg, 'raDeg', 0, 360, { maxExclusive: true });
    decDeg = num(input.decDeg, 'decDeg', -90, 90);
  } else if (targetName !== null) {
    const known = resolveTargetName(targetName);
    if (!known) {
      bad(
        `targetName '${targetName}' is not in the built-in table (${knownTargetNames().join(', ')}); give raDeg and decDeg (ICRS, degrees)`,
      );
    }
    targetName = known.name;
    raDeg = known.raDeg;
    decDeg = known.decDeg;
  } else {
    bad('a target is required: raDeg and decDeg (ICRS, degrees), or a built-in targetName');
  }

  const filter = text(input.filter, 'filter', 32);
  const totalExposureS = num(input.totalExposureS, 'totalExposureS', 0, 1e8, { minExclusive: true });
  const subExposureS = num(input.subExposureS, 'subExposureS', 0, 86_400, { minExclusive: true });
  if (subExposureS > totalExposureS) bad(`subExposureS (${subExposureS} s) must not exceed totalExposureS (${totalExposureS} s)`);

  const cadenceS = given(input.cadenceS) ? num(input.cadenceS, 'cadenceS', 0, 1e8, { minExclusive: true }) : null;
  let visitExposureS: number | null = null;
  if (given(input.visitExposureS)) {
    if (cadenceS === null) bad('visitExposureS only applies with cadenceS');
    visitExposureS = num(input.visitExposureS, 'visitExposureS', subExposureS, totalExposureS);
  }
  if (cadenceS !== null) {
    const visitS = subExposureCount(visitExposureS ?? subExposureS, subExposureS) * subExposureS;
    if (cadenceS < visitS) bad(`cadenceS (${cadenceS} s) is shorter than one visit (${visitS} s)`);
  }

  let windowStart: Date | null = null;
  let windowEnd: Date | null = null;
  if (given(input.windowStart) || given(input.windowEnd)) {
    if (!given(input.windowStart)) bad('windowStart is required when windowEnd is given');
    if (!given(input.windowEnd)) bad('windowEnd is required when windowStart is given');
    windowStart = instant(input.windowStart, 'windowStart');
    windowEnd = instant(input.windowEnd, 'windowEnd');
    if (!(windowStart < windowEnd)) bad(`windowStart (${windowStart.toISOString()}) must be before windowEnd (${windowEnd.toISOString()})`);
    if (windowEnd <= now) bad(`windowEnd ${windowEnd.toISOString()} has already passed`);
  }

  let priority = 0;
  if (given(input.priority)) {
    priority = num(input.priority, 'priority', PRIORITY_MIN, PRIORITY_MAX);
    if (!Number.isInteger(priority)) bad(`priority must be an integer, got ${priority}`);
  }

  const constraints = constraintsOf(input.constraints);
  const label = targetName ?? `RA ${raDeg.toFixed(4)} Dec ${decDeg.toFixed(4)}`;
  const name = given(input.name) ? text(input.name, 'name', 200) : `${label} ${filter}`;
  return {
    name, targetName, raDeg, decDeg, filter, totalExposureS, subExposureS, cadenceS, visitExposureS,
    windowStart, windowEnd, priority, constraints,
  };
}
