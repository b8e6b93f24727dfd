/**
 * The TTV model: a star and planets on osculating Jacobi orbits at a reference epoch, some
 * parameters free with priors, the rest fixed; and the observed transit times it is fitted
 * to. `buildTtvModel(config, data)` validates a user's description (JSON/YAML shaped, see
 * TtvModelConfig) and returns a plain, structured-cloneable TtvModel that the likelihood,
 * the samplers and worker threads share.
 *
 * Parameterisation (docs/decisions/0016): per planet the mass (Earth masses), the
 * osculating period (days), the time of conjunction (days; the Keplerian conjunction of the
 * osculating orbit nearest after the reference epoch, so it sits on an observed transit),
 * (√e cos ω, √e sin ω), the inclination and the longitude of the node (degrees; TTVFast's
 * sky convention, see science/dynamics). (√e cos ω, √e sin ω) uniform in the disk of radius
 * √e_max is a uniform prior on e and on ω, without the pile-up at e = 0 that sampling
 * (e cos ω, e sin ω) gives. An optional jitter (days) is added in quadrature to every σ.
 *
 * Priors: 'uniform' (min, max), 'log-uniform' (min, max > 0; for masses and periods),
 * 'normal' (mean, sigma), and 'uniform-disk' (max eccentricity) for the eccentricity vector.
 * Each is normalised, so evidences of different models can be compared.
 */
import { fitLinearEphemeris } from '../transit/ephemeris.js';
import { G_GAUSS } from '../dynamics/system.js';
import { normalQuantile } from '../inference/diagnostics.js';
import type { TransitTimeData } from './data.js';
import { validateTransitTimes } from './data.js';
import { TtvError } from './errors.js';

/** Earth's mass in solar masses, GM⊕/GM☉ (IAU 2015 nominal values / IERS). */
export const EARTH_MASS_MSUN = 398600.4418 / 1.32712440018e11;

export type PriorSpec =
  | { prior: 'uniform'; min: number; max: number; init?: number }
  | { prior: 'log-uniform'; min: number; max: number; init?: number }
  | { prior: 'normal'; mean: number; sigma: number; init?: number };

/** A number (held fixed), `{ fixed: x }`, or a prior (free). */
export type ParameterSpec = number | { fixed: number } | PriorSpec;

/** Eccentricity: a number (circular or fixed e with ω = 90°), fixed { ecc, omegaDeg }, or free in a disk. */
export type EccentricitySpec =
  | number
  | { ecc: number; omegaDeg: number }
  | { prior: 'uniform-disk'; max: number; init?: { ecc: number; omegaDeg: number } };

export interface PlanetConfig {
  /** Name as used in the transit-time table (e.g. 'b'). */
  name: string;
  massEarth: ParameterSpec;
  /** Osculating period at the reference epoch; default for an observed planet: from its linear ephemeris. */
  periodDays?: ParameterSpec;
  /** Time of conjunction (days); default for an observed planet: from its linear ephemeris. */
  conjunctionDays?: ParameterSpec;
  /** Default 0 (circular). */
  eccentricity?: EccentricitySpec;
  /** Default 90 (edge-on). */
  incDeg?: ParameterSpec;
  /** Default 0. */
  nodeDeg?: ParameterSpec;
}

export interface TtvModelConfig {
  stellarMassMsun: number;
  /** Planets, innermost first (Jacobi order). */
  planets: PlanetConfig[];
  /** Extra timing scatter added in quadrature (days); default none. */
  jitterDays?: ParameterSpec;
  /** Start of the integration and epoch of the elements; default: before the first transit. */
  referenceEpochDays?: number;
  /** Integration step (days); default 1/20 of the shortest period allowed. */
  stepDays?: number;
  /** End of the integration for the likelihood; default: after the last transit. */
  endDays?: number;
}

export type ParameterField = 'mass' | 'period' | 'conjunction' | 'h' | 'k' | 'inc' | 'node' | 'jitter';
export type PriorKind = 'uniform' | 'log-uniform' | 'normal' | 'disk-h' | 'disk-k';

/** A free parameter. For 'uniform'/'log-uniform' (a, b) = (min, max); 'normal' (mean, sigma); disk: b = e_max. */
export interface FreeParameter {
  name: string;
  kind: PriorKind;
  a: number;
  b: number;
  init: number;
  /** Planet index, or −1 for the jitter. */
  planet: number;
  field: ParameterField;
}

export interface ResolvedPlanet {
  name: string;
  /** Fixed values (NaN where the parameter is free). */
  massEarth: number;
  periodDays: number;
  conjunctionDays: number;
  /** √e cos ω and √e sin ω. */
  h: number;
  k: number;
  incDeg: number;
  nodeDeg: number;
  /** Index of each field in θ (−1 when fixed). */
  index: Record<Exclude<ParameterField, 'jitter'>, number>;
  /** Linear ephemeris of its observed transits (absent when unobserved), used to number epochs. */
  ephemeris?: { t0Days: number; periodDays: number; referenceEpoch: number };
}

export interface TtvModel {
  stellarMassMsun: number;
  G: number;
  referenceEpochDays: number;
  endDays: number;
  stepDays: number;
  planets: ResolvedPlanet[];
  parameters: FreeParameter[];
  /** θ index of the jitter, or −1 (then `jitterDays` is fixed). */
  jitterIndex: number;
  jitterDays: number;
  /** The observations, rows matched to planets by index. */
  data: { planet: Int32Array; epoch: Int32Array; timeDays: Float64Array; sigmaDays: Float64Array };
}

const MAX_PLANETS = 20;
const LN_2PI = Math.log(2 * Math.PI);

/** Validates `config` against `data` and resolves defaults. */
export function buildTtvModel(config: TtvModelConfig, data: TransitTimeData): TtvModel {
  if (config === null || typeof config !== 'object') throw new TtvError('BAD_CONFIG', 'the model must be an object');
  validateTransitTimes(data);
  const mStar = config.stellarMassMsun;
  if (typeof mStar !== 'number' || !(mStar > 0) || !Number.isFinite(mStar)) {
    throw new TtvError('BAD_CONFIG', `must be a positive number, got ${String(mStar)}`, { path: 'stellarMassMsun' });
  }
  if (!Array.isArray(config.planets) || config.planets.length === 0) throw new TtvError('BAD_CONFIG', 'needs at least one planet', { path: 'planets' });
  if (config.planets.length > MAX_PLANETS) throw new TtvError('BAD_CONFIG', `at most ${MAX_PLANETS} planets`, { path: 'planets' });
  const names = config.planets.map((p, i) => {
    if (!p || typeof p !== 'object') throw new TtvError('BAD_CONFIG', 'must be an object', { path: `planets[${i}]` });
    if (typeof p.name !== 'string' || p.name.trim() === '' || /[\s,]/.test(p.name)) {
      throw new TtvError('BAD_CONFIG', 'needs a name without spaces or commas', { path: `planets[${i}].name` });
    }
    return p.name;
  });
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new TtvError('BAD_CONFIG', `planet name '${dup}' is used twice`, { path: 'planets' });

  // Rows → planets: by name first, then by 0-based index.
  const n = data.planet.length;
  const rowPlanet = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const label = data.planet[r];
    let p = names.indexOf(label);
    if (p < 0 && /^\d+$/.test(label) && Number(label) < names.length) p = Number(label);
    if (p < 0) throw new TtvError('BAD_DATA', `row ${r + 1}: planet '${label}' is not in the model (${names.join(', ')})`);
    rowPlanet[r] = p;
  }
  const ephemerides = config.planets.map((_, p) => planetEphemeris(p, names[p], rowPlanet, data));
  const observedPeriods = ephemerides.filter((e) => e !== undefined).map((e) => e!.periodDays);
  let tMin = Infinity;
  let tMax = -Infinity;
  for (let r = 0; r < n; r++) {
    tMin = Math.min(tMin, data.timeDays[r]);
    tMax = Math.max(tMax, data.timeDays[r]);
  }
  const pObsMax = Math.max(...observedPeriods);
  const refEpoch = config.referenceEpochDays ?? Math.floor(tMin - 0.5 * pObsMax);
  checkNumber(refEpoch, 'referenceEpochDays');
  if (!(refEpoch < tMin)) throw new TtvError('BAD_CONFIG', `must be before the first transit time (${tMin})`, { path: 'referenceEpochDays' });

  const parameters: FreeParameter[] = [];
  const planets: ResolvedPlanet[] = config.planets.map((pc, p) => {
    const path = `planets[${p}]`;
    const eph = ephemerides[p];
    const suffix = `_${names[p]}`;
    const rp: ResolvedPlanet = {
      name: names[p],
      massEarth: NaN,
      periodDays: NaN,
      conjunctionDays: NaN,
      h: NaN,
      k: NaN,
      incDeg: NaN,
      nodeDeg: NaN,
      index: { mass: -1, period: -1, conjunction: -1, h: -1, k: -1, inc: -1, node: -1 },
      ephemeris: eph,
    };
    const add = (field: Exclude<ParameterField, 'jitter' | 'h' | 'k'>, spec: ParameterSpec | undefined, name: string, check: (v: number, where: string) => void): void => {
      const r = resolveSpec(spec, `${path}.${name}`, check);
      if (r.fixed !== undefined) {
        setFixed(rp, field, r.fixed);
      } else {
        rp.index[field] = parameters.length;
        parameters.push({ ...r.free!, name: `${name}${suffix}`, planet: p, field });
      }
    };
    if (pc.massEarth === undefined) throw new TtvError('BAD_CONFIG', 'is required (a number or a prior)', { path: `${path}.massEarth` });
    add('mass', pc.massEarth, 'massEarth', (v, w) => {
      if (!(v >= 0)) throw new TtvError('BAD_CONFIG', `mass must not be negative, got ${v}`, { path: w });
    });
    let periodSpec = pc.periodDays;
    let conjSpec = pc.conjunctionDays;
    if (periodSpec === undefined || conjSpec === undefined) {
      if (!eph) throw new TtvError('BAD_CONFIG', `planet '${names[p]}' has no transit times, so its ${periodSpec === undefined ? 'periodDays' : 'conjunctionDays'} must be given`, { path: `${path}.${periodSpec === undefined ? 'periodDays' : 'conjunctionDays'}` });
      // Defaults from the observed linear ephemeris: osculating and mean periods differ by
      // a fraction of the TTV amplitude over the period, far inside ±2 %.
      periodSpec ??= { prior: 'log-uniform', min: eph.periodDays * 0.98, max: eph.periodDays * 1.02, init: eph.periodDays };
      const tc = eph.t0Days + eph.periodDays * Math.ceil((refEpoch - eph.t0Days) / eph.periodDays);
      conjSpec ??= { prior: 'uniform', min: tc - 0.1 * eph.periodDays, max: tc + 0.1 * eph.periodDays, init: tc };
    }
    add('period', periodSpec, 'periodDays', (v, w) => {
      if (!(v > 0)) throw new TtvError('BAD_CONFIG', `period must be positive, got ${v}`, { path: w });
    });
    add('conjunction', conjSpec, 'conjunctionDays', () => undefined);
    resolveEccentricity(pc.eccentricity, `${path}.eccentricity`, rp, parameters, p, suffix);
    add('inc', pc.incDeg ?? 90, 'incDeg', (v, w) => {
      if (!(v >= 0 && v <= 180)) throw new TtvError('BAD_CONFIG', `inclination must be in [0, 180], got ${v}`, { path: w });
    });
    add('node', pc.nodeDeg ?? 0, 'nodeDeg', () => undefined);
    return rp;
  });

  // Jacobi order: innermost first, judged by the starting periods.
  const initPeriod = (p: number): number => (planets[p].index.period >= 0 ? parameters[planets[p].index.period].init : planets[p].periodDays);
  for (let p = 1; p < planets.length; p++) {
    if (!(initPeriod(p) > initPeriod(p - 1))) {
      throw new TtvError('BAD_CONFIG', `planets must be listed innermost first: '${names[p]}' (P ≈ ${initPeriod(p)} d) follows '${names[p - 1]}' (P ≈ ${initPeriod(p - 1)} d)`, { path: `planets[${p}]` });
    }
  }
  let jitterIndex = -1;
  let jitterDays = 0;
  if (config.jitterDays !== undefined) {
    const r = resolveSpec(config.jitterDays, 'jitterDays', (v, w) => {
      if (!(v >= 0)) throw new TtvError('BAD_CONFIG', `jitter must not be negative, got ${v}`, { path: w });
    });
    if (r.fixed !== undefined) jitterDays = r.fixed;
    else {
      jitterIndex = parameters.length;
      parameters.push({ ...r.free!, name: 'jitterDays', planet: -1, field: 'jitter' });
    }
  }
  if (parameters.length === 0) throw new TtvError('BAD_CONFIG', 'every parameter is fixed: nothing to infer');

  // Shortest period the sampler may visit sets the default step (1/20 of it, as TTVFast advises).
  let pShortest = Infinity;
  planets.forEach((pl, p) => {
    const i = pl.index.period;
    const lo = i < 0 ? pl.periodDays : parameters[i].kind === 'normal' ? parameters[i].a - 3 * parameters[i].b : parameters[i].a;
    pShortest = Math.min(pShortest, lo > 0 ? lo : initPeriod(p));
  });
  const stepDays = config.stepDays ?? pShortest / 20;
  if (!(stepDays > 0) || !Number.isFinite(stepDays)) throw new TtvError('BAD_CONFIG', `must be positive, got ${stepDays}`, { path: 'stepDays' });
  const endDays = config.endDays ?? Math.ceil(tMax + 0.5 * pObsMax);
  if (!(endDays > tMax) || !Number.isFinite(endDays)) throw new TtvError('BAD_CONFIG', `must be after the last transit time (${tMax})`, { path: 'endDays' });
  if ((endDays - refEpoch) / stepDays > 5e7) throw new TtvError('TOO_LARGE', `${Math.round((endDays - refEpoch) / stepDays)} integration steps per call`, { path: 'stepDays' });

  return {
    stellarMassMsun: mStar,
    G: G_GAUSS,
    referenceEpochDays: refEpoch,
    endDays,
    stepDays,
    planets,
    parameters,
    jitterIndex,
    jitterDays,
    data: { planet: rowPlanet, epoch: data.epoch.slice(), timeDays: data.timeDays.slice(), sigmaDays: data.sigmaDays.slice() },
  };
}

function planetEphemeris(p: number, name: string, rowPlanet: Int32Array, data: TransitTimeData): ResolvedPlanet['ephemeris'] {
  const rows: number[] = [];
  for (let r = 0; r < rowPlanet.length; r++) if (rowPlanet[r] === p) rows.push(r);
  if (rows.length === 0) return undefined;
  const seen = new Set<number>();
  for (const r of rows) {
    if (seen.has(data.epoch[r])) throw new TtvError('BAD_DATA', `planet '${name}' has epoch ${data.epoch[r]} twice (row ${r + 1})`);
    seen.add(data.epoch[r]);
  }
  if (rows.length < 2) throw new TtvError('BAD_DATA', `planet '${name}' has a single transit time; at least 2 are needed to number its epochs`);
  const eph = fitLinearEphemeris(
    rows.map((r) => data.epoch[r]),
    rows.map((r) => data.timeDays[r]),
    rows.map((r) => data.sigmaDays[r]),
  );
  return { t0Days: eph.t0, periodDays: eph.periodDays, referenceEpoch: eph.referenceEpoch };
}

function setFixed(rp: ResolvedPlanet, field: Exclude<ParameterField, 'jitter'>, v: number): void {
  const key = ({ mass: 'massEarth', period: 'periodDays', conjunction: 'conjunctionDays', h: 'h', k: 'k', inc: 'incDeg', node: 'nodeDeg' } as const)[field];
  rp[key] = v;
}

function checkNumber(v: unknown, path: string): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TtvError('BAD_CONFIG', `must be a finite number, got ${JSON.stringify(v)}`, { path });
}

type Resolved = { fixed?: number; free?: Omit<FreeParameter, 'name' | 'planet' | 'field'> };

function resolveSpec(spec: ParameterSpec | undefined, path: string, check: (v: number, where: string) => void): Resolved {
  if (typeof spec === 'number') {
    checkNumber(spec, path);
    check(spec, path);
    return { fixed: spec };
  }
  if (spec === null || typeof spec !== 'object') throw new TtvError('BAD_CONFIG', 'must be a number (fixed) or an object with a prior', { path });
  if ('fixed' in spec) {
    checkNumber(spec.fixed, `${path}.fixed`);
    check(spec.fixed, `${path}.fixed`);
    return { fixed: spec.fixed };
  }
  const prior = (spec as { prior?: unknown }).prior;
  if (prior === 'uniform' || prior === 'log-uniform') {
    const s = spec as { min: number; max: number; init?: number };
    checkNumber(s.min, `${path}.min`);
    checkNumber(s.max, `${path}.max`);
    if (!(s.max > s.min)) throw new TtvError('BAD_CONFIG', `max (${s.max}) must exceed min (${s.min})`, { path: `${path}.max` });
    if (prior === 'log-uniform' && !(s.min > 0)) throw new TtvError('BAD_CONFIG', `a log-uniform prior needs min > 0, got ${s.min}`, { path: `${path}.min` });
    check(s.min, `${path}.min`);
    check(s.max, `${path}.max`);
    const init = s.init ?? (prior === 'uniform' ? 0.5 * (s.min + s.max) : Math.sqrt(s.min * s.max));
    checkNumber(init, `${path}.init`);
    if (!(init >= s.min && init <= s.max)) throw new TtvError('BAD_CONFIG', `init ${init} is outside [${s.min}, ${s.max}]`, { path: `${path}.init` });
    return { free: { kind: prior, a: s.min, b: s.max, init } };
  }
  if (prior === 'normal') {
    const s = spec as { mean: number; sigma: number; init?: number };
    checkNumber(s.mean, `${path}.mean`);
    checkNumber(s.sigma, `${path}.sigma`);
    if (!(s.sigma > 0)) throw new TtvError('BAD_CONFIG', `sigma must be positive, got ${s.sigma}`, { path: `${path}.sigma` });
    const init = s.init ?? s.mean;
    checkNumber(init, `${path}.init`);
    check(init, `${path}.init`);
    return { free: { kind: 'normal', a: s.mean, b: s.sigma, init } };
  }
  throw new TtvError('BAD_CONFIG', `unknown prior ${JSON.stringify(prior)} (have 'uniform', 'log-uniform', 'normal', or a number to fix it)`, { path: `${path}.prior` });
}

function resolveEccentricity(spec: EccentricitySpec | undefined, path: string, rp: ResolvedPlanet, parameters: FreeParameter[], p: number, suffix: string): void {
  const fixedVector = (e: number, omegaDeg: number, where: string): void => {
    checkNumber(e, where);
    checkNumber(omegaDeg, where);
    if (!(e >= 0 && e < 1)) throw new TtvError('BAD_CONFIG', `eccentricity must be in [0, 1), got ${e}`, { path: where });
    const w = (omegaDeg * Math.PI) / 180;
    rp.h = Math.sqrt(e) * Math.cos(w);
    rp.k = Math.sqrt(e) * Math.sin(w);
  };
  if (spec === undefined) return fixedVector(0, 90, path);
  if (typeof spec === 'number') return fixedVector(spec, 90, path);
  if (spec === null || typeof spec !== 'object') throw new TtvError('BAD_CONFIG', "must be a number, { ecc, omegaDeg } or { prior: 'uniform-disk', max }", { path });
  if ('ecc' in spec) return fixedVector(spec.ecc, spec.omegaDeg, `${path}.ecc`);
  if ((spec as { prior?: unknown }).prior !== 'uniform-disk') {
    throw new TtvError('BAD_CONFIG', `unknown prior ${JSON.stringify((spec as { prior?: unknown }).prior)} (eccentricity takes 'uniform-disk')`, { path: `${path}.prior` });
  }
  checkNumber(spec.max, `${path}.max`);
  if (!(spec.max > 0 && spec.max < 1)) throw new TtvError('BAD_CONFIG', `max eccentricity must be in (0, 1), got ${spec.max}`, { path: `${path}.max` });
  const e0 = spec.init?.ecc ?? Math.min(0.01, spec.max / 2);
  const w0 = ((spec.init?.omegaDeg ?? 45) * Math.PI) / 180;
  checkNumber(e0, `${path}.init.ecc`);
  checkNumber(w0, `${path}.init.omegaDeg`);
  if (!(e0 >= 0 && e0 < spec.max)) throw new TtvError('BAD_CONFIG', `init eccentricity ${e0} is outside [0, ${spec.max})`, { path: `${path}.init.ecc` });
  rp.index.h = parameters.length;
  parameters.push({ name: `sqrtEcosw${suffix}`, kind: 'disk-h', a: 0, b: spec.max, init: Math.sqrt(e0) * Math.cos(w0), planet: p, field: 'h' });
  rp.index.k = parameters.length;
  parameters.push({ name: `sqrtEsinw${suffix}`, kind: 'disk-k', a: 0, b: spec.max, init: Math.sqrt(e0) * Math.sin(w0), planet: p, field: 'k' });
}

/** Names of the free parameters, in θ order. */
export function parameterNames(model: TtvModel): string[] {
  return model.parameters.map((q) => q.name);
}

/** Starting point: every parameter's `init`. */
export function initialParameters(model: TtvModel): Float64Array {
  return Float64Array.from(model.parameters, (q) => q.init);
}

/** log π(θ), normalised; −Infinity outside the support. */
export function logPrior(model: TtvModel, theta: ArrayLike<number>): number {
  const ps = model.parameters;
  let lp = 0;
  for (let i = 0; i < ps.length; i++) {
    const q = ps[i];
    const x = theta[i];
    if (!Number.isFinite(x)) return -Infinity;
    switch (q.kind) {
      case 'uniform':
        if (x < q.a || x > q.b) return -Infinity;
        lp -= Math.log(q.b - q.a);
        break;
      case 'log-uniform':
        if (x < q.a || x > q.b) return -Infinity;
        lp -= Math.log(x) + Math.log(Math.log(q.b / q.a));
        break;
      case 'normal': {
        const z = (x - q.a) / q.b;
        lp -= 0.5 * z * z + Math.log(q.b) + 0.5 * LN_2PI;
        break;
      }
      case 'disk-h': {
        const k = theta[i + 1];
        // Uniform in the disk h² + k² < e_max: density 1/(π e_max) for the pair.
        if (x * x + k * k >= q.b) return -Infinity;
        lp -= Math.log(Math.PI * q.b);
        break;
      }
      case 'disk-k':
        break;
    }
  }
  return lp;
}

/** Maps u ∈ [0, 1)^d (uniform) to θ drawn from the prior (nested sampling). */
export function priorTransform(model: TtvModel, u: ArrayLike<number>, out: Float64Array): void {
  const ps = model.parameters;
  for (let i = 0; i < ps.length; i++) {
    const q = ps[i];
    const v = u[i];
    switch (q.kind) {
      case 'uniform':
        out[i] = q.a + v * (q.b - q.a);
        break;
      case 'log-uniform':
        out[i] = q.a * Math.exp(v * Math.log(q.b / q.a));
        break;
      case 'normal':
        out[i] = q.a + q.b * normalQuantileClamped(v);
        break;
      case 'disk-h': {
        // Area-preserving map of the unit square onto the disk: r = √(e_max u₁), angle 2π u₂.
        const r = Math.sqrt(q.b * v);
        const ang = 2 * Math.PI * u[i + 1];
        out[i] = r * Math.cos(ang);
        out[i + 1] = r * Math.sin(ang);
        i++;
        break;
      }
      case 'disk-k':
        break;
    }
  }
}

/** Fixed and free values of planet p at θ: masses in Earth masses, angles in degrees. */
export function planetValues(model: TtvModel, theta: ArrayLike<number>, p: number): { massEarth: number; periodDays: number; conjunctionDays: number; ecc: number; omegaDeg: number; incDeg: number; nodeDeg: number } {
  const pl = model.planets[p];
  const get = (field: keyof ResolvedPlanet['index'], fixed: number): number => (pl.index[field] >= 0 ? theta[pl.index[field]] : fixed);
  const h = get('h', pl.h);
  const k = get('k', pl.k);
  const ecc = h * h + k * k;
  // ω is undefined at e = 0; 90° (periapsis at conjunction) is TTVFast's usual choice there.
  const omegaDeg = ecc === 0 ? 90 : (Math.atan2(k, h) * 180) / Math.PI;
  return {
    massEarth: get('mass', pl.massEarth),
    periodDays: get('period', pl.periodDays),
    conjunctionDays: get('conjunction', pl.conjunctionDays),
    ecc,
    omegaDeg,
    incDeg: get('inc', pl.incDeg),
    nodeDeg: get('node', pl.nodeDeg),
  };
}

/** Jitter (days) at θ. */
export function jitterAt(model: TtvModel, theta: ArrayLike<number>): number {
  return model.jitterIndex >= 0 ? theta[model.jitterIndex] : model.jitterDays;
}

/** Inverse standard normal CDF, kept finite at u = 0 (a prior draw must be a number). */
function normalQuantileClamped(u: number): number {
  return normalQuantile(Math.min(Math.max(u, 1e-300), 1 - 1e-16));
}
