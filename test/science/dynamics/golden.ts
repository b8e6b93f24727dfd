/** Shared loaders for the dynamics golden fixtures (test/fixtures/dynamics, see its README). */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  parseTransitsTable,
  parseTtvfastParams,
  parseTtvfastSetup,
  type PlanetarySystem,
  type TransitTimes,
  type TtvfastSetup,
} from '../../../src/science/dynamics/index.js';

export const FIXTURES = resolve(import.meta.dirname, '../../fixtures/dynamics');

export function loadSystem(caseDir: string, setupName = 'setup'): { setup: TtvfastSetup; system: PlanetarySystem } {
  const setupPath = join(FIXTURES, caseDir, setupName);
  const setup = parseTtvfastSetup(readFileSync(setupPath, 'utf8'), setupPath);
  const paramsPath = join(dirname(setupPath), setup.paramsFile);
  const system = parseTtvfastParams(readFileSync(paramsPath, 'utf8'), setup.nPlanets, setup.inputFlag, setup.startDays, paramsPath);
  return { setup, system };
}

export function loadTable(relPath: string): TransitTimes {
  const path = join(FIXTURES, relPath);
  return parseTransitsTable(readFileSync(path, 'utf8'), path);
}

/** `ic_astrocentric.txt`: masses and astrocentric states (rows `m x y z vx vy vz`). */
export function loadInitialState(caseDir: string): { masses: number[]; state: number[][] } {
  const rows = readFileSync(join(FIXTURES, caseDir, 'ic_astrocentric.txt'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .slice(1)
    .map((l) => l.trim().split(/\s+/).map(Number));
  return { masses: rows.map((r) => r[0]), state: rows.map((r) => r.slice(1)) };
}

export interface Agreement {
  missing: number;
  extra: number;
  maxTimeS: number;
  maxRskyRel: number;
  maxVskyRel: number;
  /** Largest |Δt| per planet (s). */
  perPlanetS: number[];
}

/** Matches transits by (planet, epoch) and reports the worst differences. */
export function agreement(ours: TransitTimes, truth: TransitTimes): Agreement {
  const index = new Map<string, number>();
  for (let i = 0; i < ours.count; i++) index.set(`${ours.planet[i]},${ours.epoch[i]}`, i);
  const out: Agreement = { missing: 0, extra: 0, maxTimeS: 0, maxRskyRel: 0, maxVskyRel: 0, perPlanetS: [] };
  let matched = 0;
  for (let j = 0; j < truth.count; j++) {
    const i = index.get(`${truth.planet[j]},${truth.epoch[j]}`);
    if (i === undefined) {
      out.missing++;
      continue;
    }
    matched++;
    const dt = Math.abs(ours.timeDays[i] - truth.timeDays[j]) * 86400;
    out.maxTimeS = Math.max(out.maxTimeS, dt);
    const p = truth.planet[j];
    out.perPlanetS[p] = Math.max(out.perPlanetS[p] ?? 0, dt);
    out.maxRskyRel = Math.max(out.maxRskyRel, Math.abs(ours.rskyAu[i] / truth.rskyAu[j] - 1));
    out.maxVskyRel = Math.max(out.maxVskyRel, Math.abs(ours.vskyAu[i] / truth.vskyAu[j] - 1));
  }
  out.extra = ours.count - matched;
  return out;
}
