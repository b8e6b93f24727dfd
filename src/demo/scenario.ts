/**
 * The demo's night, decided before anything runs: which nodes stand where with what
 * telescopes, when it is dark at each, whose sky clouds over, the missions and when they
 * arrive, and the truth injected into the simulated sky (a variable star's period, a
 * planetary system, galaxies, a transient). Everything derives from the settings and the
 * seed, so a run can be repeated and its truth is known exactly.
 *
 * Two shapes: the full demo follows the night around the world (a 20-hour UTC span in
 * which every site's night falls, new Moon of 2026-03-19); `fast` keeps four sites in the
 * Americas, Hawaii and La Palma whose nights overlap for six hours. A re-run over the same
 * data folder simulates the following night(s).
 */
import { horizontal, sunAltitudeDeg } from '../agent/devices/coordinates.js';
import type { StarSource } from '../agent/devices/simulator/stars.js';
import type { MissionInput } from '../network/missions/index.js';
import { deriveSeed, Rng } from '../science/inference/random.js';
import { DemoError } from './errors.js';
import { makePlanetSystem, type PlanetSystem } from './planets.js';
import { INSTRUMENTS, MAX_NODES, OBSERVATORIES, type Instrument, type ObservatorySite } from './sites.js';
import { bjdTdbOfJdUtc, isolated, jdUtcOfBjdTdb } from './sky.js';

export interface DemoSettings {
  fast: boolean;
  /** Simulated telescopes (1 … MAX_NODES). */
  nodes: number;
  /** Consecutive nights simulated in this run. */
  nights: number;
  seed: number;
  /** Simulated seconds per real second while the process keeps up. */
  speed: number;
}

export const MAX_NIGHTS = 7;

export function defaultSettings(fast: boolean): DemoSettings {
  return fast ? { fast, nodes: 4, nights: 1, seed: 1, speed: 450 } : { fast, nodes: 12, nights: 1, seed: 1, speed: 450 };
}

export function checkSettings(s: DemoSettings): DemoSettings {
  const int = (v: number, name: string, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new DemoError('BAD_OPTION', `${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  };
  int(s.nodes, '--nodes', s.fast ? 3 : 4, MAX_NODES);
  int(s.nights, '--nights', 1, MAX_NIGHTS);
  if (!Number.isSafeInteger(s.seed) || s.seed < 0) throw new DemoError('BAD_OPTION', `--seed must be a non-negative integer, got ${s.seed}`);
  if (!(Number.isFinite(s.speed) && s.speed >= 1 && s.speed <= 2000)) throw new DemoError('BAD_OPTION', `--speed must be a number in [1, 2000] (simulated seconds per real second), got ${s.speed}`);
  return s;
}

/** A cloud bank that makes the weather station call the sky unsafe. */
export interface CloudBank {
  start: Date;
  end: Date;
  transparency: number;
}

export type CloudPlan =
  | { kind: 'clear' }
  /** Thin passing clouds: safe, but frames lose light. */
  | { kind: 'thin'; seed: number }
  | { kind: 'banks'; banks: CloudBank[] };

export interface NodePlan {
  index: number;
  /** Node name as registered (also its state folder). */
  name: string;
  site: ObservatorySite;
  instrument: Instrument;
  seed: number;
  clouds: CloudPlan;
  /** When the Sun is below −12° at the site during the run (UTC), merged intervals. */
  dark: Array<{ start: Date; end: Date }>;
  /** Pointing error after a slew, arcsec per axis (RMS). */
  pointingErrorArcsec: number;
}

export type MissionKind = 'galaxy' | 'variable' | 'transit' | 'too';

export interface MissionPlan {
  kind: MissionKind;
  /** Created at this simulated time (ToO: mid-night). */
  createAt: Date;
  input: MissionInput;
  /** Task length bound (split rule), seconds. */
  maxTaskExposureS?: number;
}

export interface VariableTruth {
  id: 'variable';
  raDeg: number;
  decDeg: number;
  meanMag: number;
  /** Semi-amplitude, mag (a sinusoid: a δ Scuti-like pulsator). */
  amplitudeMag: number;
  periodDays: number;
  /** Epoch of maximum light (JD, UTC scale: the renderer's). */
  epochJd: number;
}

export interface GalaxyTruth {
  id: string;
  raDeg: number;
  decDeg: number;
  mag: number;
  n: number;
  reArcsec: number;
  ellipticity: number;
  positionAngleDeg: number;
}

export interface TransientTruth {
  id: 'transient';
  raDeg: number;
  decDeg: number;
  /** Magnitude at the alert, fading linearly in time. */
  magAtAlert: number;
  fadeMagPerDay: number;
  /** When it appeared (before the alert: someone saw it first). */
  appearedAt: Date;
}

export interface HostTruth {
  id: 'host';
  raDeg: number;
  decDeg: number;
  mag: number;
}

export interface Truth {
  variable: VariableTruth;
  galaxyField: { raDeg: number; decDeg: number; galaxies: GalaxyTruth[] };
  host: HostTruth;
  planets: PlanetSystem;
  transient: TransientTruth;
}

export interface Scenario {
  settings: DemoSettings;
  /** How many runs this data folder had before (0 for the first). */
  runIndex: number;
  startUtc: Date;
  endUtc: Date;
  nodes: NodePlan[];
  missions: MissionPlan[];
  truth: Truth;
  /** Whether the night's transit is observed live (full demo) or only archival timings are used. */
  observeTransit: boolean;
  /** The ToO alert time. */
  alertAt: Date;
}

const HOUR = 3_600_000;
const DAY = 86_400_000;
/** New Moon 2026-03-19 01:24 UTC (astronomy-engine SearchMoonPhase). */
const FULL_START = Date.UTC(2026, 2, 19, 20, 0, 0);
const FAST_START = Date.UTC(2026, 2, 20, 2, 0, 0);
const FULL_SPAN_H = 20;
const FAST_SPAN_H = 6;
/** Sites of the fast demo, in node order: Americas, Hawaii, Canaries. */
const FAST_SITES = ['ctio', 'kpno', 'maunakea', 'lapalma'];

const JD_UNIX_EPOCH = 2440587.5;
export const jdOf = (d: Date): number => d.getTime() / DAY + JD_UNIX_EPOCH;
export const dateOfJd = (jd: number): Date => new Date((jd - JD_UNIX_EPOCH) * DAY);

/**
 * Everything about one run over a data folder: `runIndex` earlier runs simulated
 * `nightOffset` nights in all; `stars` is the network's sky (targets avoid its stars).
 */
export async function buildScenario(settings: DemoSettings, run: { runIndex: number; nightOffset: number }, stars: StarSource): Promise<Scenario> {
  checkSettings(settings);
  const { runIndex, nightOffset } = run;
  if (!Number.isInteger(runIndex) || runIndex < 0) throw new DemoError('BAD_OPTION', `run index must be a non-negative integer, got ${runIndex}`);
  if (!Number.isInteger(nightOffset) || nightOffset < 0) throw new DemoError('BAD_OPTION', `night offset must be a non-negative integer, got ${nightOffset}`);
  const fast = settings.fast;
  const base = fast ? FAST_START : FULL_START;
  // A re-run continues with the night after the last one simulated.
  const startUtc = new Date(base + nightOffset * DAY);
  const spanMs = ((settings.nights - 1) * 24 + (fast ? FAST_SPAN_H : FULL_SPAN_H)) * HOUR;
  const endUtc = new Date(startUtc.getTime() + spanMs);
  const seed = settings.seed;

  const sites = fast
    ? [...FAST_SITES.map((k) => OBSERVATORIES.find((o) => o.key === k)!), ...OBSERVATORIES.filter((o) => !FAST_SITES.includes(o.key))].slice(0, settings.nodes)
    : OBSERVATORIES.slice(0, settings.nodes);
  const nodes: NodePlan[] = sites.map((site, i) => {
    const instrument = INSTRUMENTS[i % INSTRUMENTS.length];
    return {
      index: i,
      name: `${site.key}-${instrument.optics.apertureMm}mm`,
      site,
      instrument,
      seed: deriveSeed(seed, 1000 + i),
      clouds: { kind: 'clear' },
      dark: darkIntervals(site, startUtc, endUtc),
      pointingErrorArcsec: 30,
    };
  });
  planWeather(nodes, fast, seed);

  const alertAt = new Date(startUtc.getTime() + (fast ? 2.5 : 7) * HOUR);
  const truth = await makeTruth(settings, startUtc, endUtc, stars, nodes, alertAt);
  const observeTransit = !fast;
  const missions = planMissions(settings, startUtc, endUtc, truth, alertAt, runIndex);
  return { settings, runIndex, startUtc, endUtc, nodes, missions, truth, observeTransit, alertAt };
}

/** Intervals within [start, end] when the Sun is below −12° (the scheduler's nautical limit). */
export function darkIntervals(site: ObservatorySite, start: Date, end: Date, stepMin = 10): Array<{ start: Date; end: Date }> {
  const out: Array<{ start: Date; end: Date }> = [];
  const s = { latDeg: site.latDeg, lonDeg: site.lonDeg, heightM: site.elevationM };
  let open: Date | null = null;
  for (let t = start.getTime(); t <= end.getTime(); t += stepMin * 60_000) {
    const dark = sunAltitudeDeg(s, new Date(t)) < -12;
    if (dark && open === null) open = new Date(t);
    if (!dark && open !== null) {
      out.push({ start: open, end: new Date(t) });
      open = null;
    }
  }
  if (open !== null) out.push({ start: open, end });
  return out;
}

/** Which nodes get clouds: a cloud bank in the middle of one or two nodes' nights, thin clouds at another. */
function planWeather(nodes: NodePlan[], fast: boolean, seed: number): void {
  const rng = new Rng(deriveSeed(seed, 77));
  const longest = (n: NodePlan) => n.dark.reduce((m, d) => Math.max(m, d.end.getTime() - d.start.getTime()), 0);
  const bankAt = (n: NodePlan, minutes: number) => {
    const d = [...n.dark].sort((a, b) => b.end.getTime() - b.start.getTime() - (a.end.getTime() - a.start.getTime()))[0];
    const mid = (d.start.getTime() + d.end.getTime()) / 2 + (rng.uniform() - 0.5) * 0.3 * (d.end.getTime() - d.start.getTime());
    n.clouds = { kind: 'banks', banks: [{ start: new Date(mid - minutes * 30_000), end: new Date(mid + minutes * 30_000), transparency: 0.08 + 0.1 * rng.uniform() }] };
  };
  const usable = nodes.filter((n) => longest(n) >= 2 * HOUR);
  if (fast) {
    const n = usable.find((x) => x.site.key === 'lapalma') ?? usable[usable.length - 1];
    if (n) bankAt(n, 45);
    return;
  }
  const picks = ['lapalma', 'sidingspring'];
  for (const key of picks) {
    const n = usable.find((x) => x.site.key === key);
    if (n) bankAt(n, 60);
  }
  const thin = usable.find((x) => x.site.key === 'ohp') ?? usable.find((x) => x.clouds.kind === 'clear' && x.index > 3);
  if (thin) thin.clouds = { kind: 'thin', seed: deriveSeed(seed, 78) };
}

async function makeTruth(settings: DemoSettings, start: Date, end: Date, stars: StarSource, nodes: NodePlan[], alertAt: Date): Promise<Truth> {
  const seed = settings.seed;
  const rng = new Rng(deriveSeed(seed, 11));
  const variable: VariableTruth = {
    id: 'variable',
    ...(await isolated(stars, { raDeg: 172.0 + 2 * rng.uniform(), decDeg: -4.0 + 2 * rng.uniform() })),
    meanMag: 12.8,
    amplitudeMag: 0.25,
    periodDays: 0.1 + 0.04 * rng.uniform(),
    epochJd: jdOf(start) - rng.uniform() * 0.1,
  };
  const gRng = new Rng(deriveSeed(seed, 12));
  const field = { raDeg: 186.0 + gRng.uniform(), decDeg: 6.0 + gRng.uniform() };
  const galaxies: GalaxyTruth[] = [];
  const cosDec = Math.cos((field.decDeg * Math.PI) / 180);
  // Light profiles kept compact (n ≤ 2.5, small Rₑ): a de Vaucouleurs giant would cost the
  // renderer seconds per frame for its faint outer wings.
  for (let i = 0; i < 9; i++) {
    const r = i === 0 ? 0 : (0.5 + 3.5 * gRng.uniform()) / 60;
    const th = 2 * Math.PI * gRng.uniform();
    const early = i === 0 || gRng.uniform() < 0.3;
    galaxies.push({
      id: `galaxy-${i + 1}`,
      raDeg: field.raDeg + (r * Math.cos(th)) / cosDec,
      decDeg: field.decDeg + r * Math.sin(th),
      mag: i === 0 ? 12.3 : 13.5 + 3 * gRng.uniform(),
      n: i === 0 ? 2.5 : early ? 2 : 1,
      reArcsec: i === 0 ? 12 : early ? 3 + 3 * gRng.uniform() : 4 + 6 * gRng.uniform(),
      ellipticity: early ? 0.1 + 0.2 * gRng.uniform() : 0.3 + 0.4 * gRng.uniform(),
      positionAngleDeg: 180 * gRng.uniform(),
    });
  }
  // Faint enough that the largest telescope (300 mm) does not saturate it in a 240 s frame.
  const host: HostTruth = { id: 'host', ...(await isolated(stars, { raDeg: 196.0 + rng.uniform(), decDeg: 2.0 + rng.uniform() })), mag: 14.3 };
  // The night's transit: when the host is high for the Americas (full demo), or after the
  // fast demo's night (the fast demo uses archival timings only).
  const targetJd = settings.fast ? jdOf(end) + 1.3 : jdOf(new Date(start.getTime() + 12.6 * HOUR));
  const planets = makePlanetSystem({ seed: deriveSeed(seed, 13), targetBjd: bjdTdbOfJdUtc(targetJd, host) });
  const transient: TransientTruth = {
    id: 'transient',
    ...(await isolated(stars, transientPosition(nodes, alertAt))),
    magAtAlert: 13.2,
    fadeMagPerDay: 0.4,
    appearedAt: new Date(start.getTime() + (settings.fast ? 2 : 6) * HOUR),
  };
  return { variable, galaxyField: { ...field, galaxies }, host, planets, transient };
}

function planMissions(settings: DemoSettings, start: Date, end: Date, truth: Truth, alertAt: Date, runIndex: number): MissionPlan[] {
  const fast = settings.fast;
  const night = runIndex > 0 || settings.nights > 1 ? ` (run ${runIndex + 1})` : '';
  const nights = settings.nights;
  const t0 = start.getTime();
  const galaxyFrames = (fast ? 8 : 24) * nights;
  const galaxy: MissionPlan = {
    kind: 'galaxy',
    createAt: start,
    maxTaskExposureS: 360,
    input: {
      name: `Deep field: simulated galaxy group in Virgo${night}`,
      targetName: 'Virgo galaxy group (simulated)',
      raDeg: truth.galaxyField.raDeg,
      decDeg: truth.galaxyField.decDeg,
      filter: 'L',
      totalExposureS: galaxyFrames * 120,
      subExposureS: 120,
      priority: 40,
      constraints: { minAltitudeDeg: 30, minMoonSeparationDeg: 20, targetSizeArcmin: 4 },
    },
  };
  const cadenceS = fast ? 900 : 1500;
  const vStart = t0 + 0.25 * HOUR;
  const vEnd = end.getTime() - 0.25 * HOUR;
  const visits = Math.floor((vEnd - vStart) / 1000 / cadenceS);
  const variable: MissionPlan = {
    kind: 'variable',
    createAt: start,
    input: {
      name: `Light curve: V* OA-1 (simulated short-period variable)${night}`,
      targetName: 'V* OA-1',
      raDeg: truth.variable.raDeg,
      decDeg: truth.variable.decDeg,
      filter: 'V',
      totalExposureS: visits * 60,
      subExposureS: 60,
      cadenceS,
      windowStart: new Date(vStart),
      windowEnd: new Date(vEnd),
      priority: 50,
      constraints: { minAltitudeDeg: 25, minMoonSeparationDeg: 20 },
    },
  };
  // Transit window: the archive's prediction ± 1.9 h (the transit lasts about 2.3 h): 50 min
  // of baseline on each side for the fit.
  const pred = dateOfJd(jdUtcOfBjdTdb(truth.planets.night.predictedBjd, truth.host));
  const half = 1.9 * HOUR;
  const transitSub = 240;
  const windowS = (2 * half) / 1000;
  const transit: MissionPlan = {
    kind: 'transit',
    createAt: start,
    maxTaskExposureS: 6 * transitSub,
    input: {
      name: `Transit timing: OA-2 b (simulated hot Saturn)${night}`,
      targetName: 'OA-2',
      raDeg: truth.host.raDeg,
      decDeg: truth.host.decDeg,
      filter: 'V',
      totalExposureS: Math.floor(windowS / transitSub) * transitSub,
      subExposureS: transitSub,
      windowStart: new Date(pred.getTime() - half),
      windowEnd: new Date(pred.getTime() + half),
      priority: 60,
      constraints: { minAltitudeDeg: 25, minMoonSeparationDeg: 20 },
    },
  };
  const too: MissionPlan = {
    kind: 'too',
    createAt: alertAt,
    input: {
      name: `ToO: optical transient OAT-${new Date(alertAt).toISOString().slice(0, 10).replace(/-/g, '')}a${night}`,
      targetName: 'OAT transient',
      raDeg: truth.transient.raDeg,
      decDeg: truth.transient.decDeg,
      filter: 'R',
      totalExposureS: (fast ? 2 : 3) * 60,
      subExposureS: 60,
      priority: 95,
      constraints: { minAltitudeDeg: 20, minMoonSeparationDeg: 10 },
    },
  };
  return [galaxy, variable, transit, too];
}

/**
 * Where the transient appears: the sky position (on a 5° grid, |δ| ≤ 30°) that is highest
 * for the most nodes in the dark at the alert and still up an hour later, so several nodes
 * could take it and the scheduler's choice shows.
 */
function transientPosition(nodes: NodePlan[], alertAt: Date): { raDeg: number; decDeg: number } {
  const later = new Date(alertAt.getTime() + HOUR);
  const dark = nodes.filter((n) => n.dark.some((d) => d.start <= alertAt && d.end >= later));
  let best = { raDeg: 180, decDeg: 0, score: -1 };
  for (let dec = -30; dec <= 30; dec += 10) {
    for (let ra = 0; ra < 360; ra += 5) {
      let score = 0;
      for (const n of dark) {
        const site = { latDeg: n.site.latDeg, lonDeg: n.site.lonDeg, heightM: n.site.elevationM };
        const a0 = horizontal(ra, dec, site, alertAt).altDeg;
        const a1 = horizontal(ra, dec, site, later).altDeg;
        if (a0 > 35 && a1 > 30) score += 1 + Math.min(a0, a1) / 90;
      }
      if (score > best.score) best = { raDeg: ra + 2.5, decDeg: dec + 1.5, score };
    }
  }
  return { raDeg: best.raDeg, decDeg: best.decDeg };
}
