/**
 * TTVFast's input files (Deck et al. 2014; the convention is spelled out in
 * ../shared/datasets/golden-ttv/README.md) and its transit-time table.
 *
 * Setup file: six whitespace-separated tokens — parameter file name (relative to the setup
 * file's folder), t0 (start of the integration and epoch of the elements, days), dt (step,
 * days), tfinal (absolute end, days), number of planets, input flag (0 = Jacobi elements,
 * 1 = astrocentric elements, 2 = astrocentric Cartesian).
 * Parameter file: G (AU³ M☉⁻¹ day⁻²), stellar mass (M☉), then per planet its mass (M☉) and
 * either `P[d] e i[deg] Ω[deg] ω[deg] M[deg]` (flags 0, 1) or `x y z vx vy vz` (flag 2; AU,
 * AU/day). Line breaks between numbers carry no meaning; every number is checked and an
 * error names the file, line and token.
 *
 * Pure text in, objects out: reading the files is the caller's business.
 */
import { DynamicsError } from './errors.js';
import type { PlanetarySystem, PlanetCartesian, PlanetElements } from './system.js';
import type { TransitTimes } from './transits.js';

export type TtvfastInputFlag = 0 | 1 | 2;

export interface TtvfastSetup {
  /** Parameter file name as written (relative to the setup file's folder unless absolute). */
  paramsFile: string;
  startDays: number;
  stepDays: number;
  endDays: number;
  nPlanets: number;
  inputFlag: TtvfastInputFlag;
}

/** Refuse absurd planet counts before allocating anything. */
export const MAX_PLANETS = 100;

interface Token {
  text: string;
  line: number;
  token: number;
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let l = 0; l < lines.length; l++) {
    const parts = lines[l].trim().split(/\s+/);
    let k = 0;
    for (const p of parts) {
      if (p === '') continue;
      out.push({ text: p, line: l + 1, token: ++k });
    }
  }
  return out;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

class Reader {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly file: string | undefined,
    private readonly lastLine: number,
  ) {}

  private where(t: Token): { file?: string; line: number; token: number } {
    return this.file === undefined ? { line: t.line, token: t.token } : { file: this.file, line: t.line, token: t.token };
  }

  next(what: string): Token {
    const t = this.tokens[this.i++];
    if (t === undefined) {
      const loc = this.file === undefined ? { line: this.lastLine } : { file: this.file, line: this.lastLine };
      throw new DynamicsError('MISSING_VALUE', `file ends before ${what}`, loc);
    }
    return t;
  }

  number(what: string): number {
    const t = this.next(what);
    if (!NUMBER.test(t.text)) throw new DynamicsError('BAD_SYNTAX', `${what}: '${t.text}' is not a number`, this.where(t));
    const v = Number(t.text);
    if (!Number.isFinite(v)) throw new DynamicsError('BAD_VALUE', `${what}: '${t.text}' is not finite`, this.where(t));
    return v;
  }

  /** A number that must satisfy `ok`; `rule` says what is allowed. */
  checked(what: string, ok: (v: number) => boolean, rule: string): number {
    const t = this.tokens[this.i];
    const v = this.number(what);
    if (!ok(v)) throw new DynamicsError('BAD_VALUE', `${what} ${v} ${rule}`, this.where(t));
    return v;
  }

  end(what: string): void {
    const t = this.tokens[this.i];
    if (t !== undefined) throw new DynamicsError('EXTRA_VALUE', `unexpected '${t.text}' after ${what}`, this.where(t));
  }
}

function reader(text: string, file: string | undefined): Reader {
  const tokens = tokenize(text);
  const lines = text.split(/\r\n|\r|\n/);
  let last = lines.length;
  while (last > 1 && lines[last - 1].trim() === '') last--;
  return new Reader(tokens, file, last);
}

/** Parses a TTVFast setup file. `file` is only used in error messages. */
export function parseTtvfastSetup(text: string, file?: string): TtvfastSetup {
  const r = reader(text, file);
  const paramsFile = r.next('the parameter file name').text;
  const startDays = r.number('t0 (start time)');
  const stepDays = r.checked('dt (time step)', (v) => v > 0, 'must be positive');
  const endDays = r.checked('tfinal (end time)', (v) => v > startDays, `must be after t0 = ${startDays}`);
  const nPlanets = r.checked('number of planets', (v) => Number.isInteger(v) && v >= 1 && v <= MAX_PLANETS, `must be an integer in [1, ${MAX_PLANETS}]`);
  const inputFlag = r.checked('input flag', (v) => v === 0 || v === 1 || v === 2, 'must be 0 (Jacobi elements), 1 (astrocentric elements) or 2 (astrocentric Cartesian)');
  r.end('the six setup values');
  return { paramsFile, startDays, stepDays, endDays, nPlanets, inputFlag: inputFlag as TtvfastInputFlag };
}

/**
 * Parses a TTVFast parameter file for `nPlanets` planets in the convention of `inputFlag`,
 * with the elements (or state) osculating at `epochDays`.
 */
export function parseTtvfastParams(text: string, nPlanets: number, inputFlag: TtvfastInputFlag, epochDays: number, file?: string): PlanetarySystem {
  if (!Number.isInteger(nPlanets) || nPlanets < 1 || nPlanets > MAX_PLANETS) {
    throw new DynamicsError('BAD_ARGUMENT', `number of planets must be an integer in [1, ${MAX_PLANETS}], got ${nPlanets}`);
  }
  const r = reader(text, file);
  const G = r.checked('G', (v) => v > 0, 'must be positive');
  const stellarMassMsun = r.checked('stellar mass', (v) => v > 0, 'must be positive');
  const nonNegative = (v: number): boolean => v >= 0;
  if (inputFlag === 2) {
    const planets: PlanetCartesian[] = [];
    for (let i = 0; i < nPlanets; i++) {
      const tag = `planet ${i}`;
      planets.push({
        massMsun: r.checked(`${tag} mass`, nonNegative, 'must not be negative'),
        xAu: r.number(`${tag} x`),
        yAu: r.number(`${tag} y`),
        zAu: r.number(`${tag} z`),
        vxAuPerDay: r.number(`${tag} vx`),
        vyAuPerDay: r.number(`${tag} vy`),
        vzAuPerDay: r.number(`${tag} vz`),
      });
    }
    r.end(`${nPlanets} planet(s)`);
    return { coordinates: 'astrocentric-cartesian', G, stellarMassMsun, epochDays, planets };
  }
  const planets: PlanetElements[] = [];
  for (let i = 0; i < nPlanets; i++) {
    const tag = `planet ${i}`;
    planets.push({
      massMsun: r.checked(`${tag} mass`, nonNegative, 'must not be negative'),
      periodDays: r.checked(`${tag} period`, (v) => v > 0, 'must be positive'),
      eccentricity: r.checked(`${tag} eccentricity`, (v) => v >= 0 && v < 1, 'must be in [0, 1)'),
      inclinationDeg: r.number(`${tag} inclination`),
      longitudeOfNodeDeg: r.number(`${tag} longitude of node`),
      argumentOfPeriapsisDeg: r.number(`${tag} argument of periapsis`),
      meanAnomalyDeg: r.number(`${tag} mean anomaly`),
    });
  }
  r.end(`${nPlanets} planet(s)`);
  return { coordinates: inputFlag === 0 ? 'jacobi-elements' : 'astrocentric-elements', G, stellarMassMsun, epochDays, planets };
}

/** `planet,epoch,time,rsky,vsky` CSV (header + one row per transit, shortest round-trip numbers). */
export function formatTransitsCsv(t: TransitTimes): string {
  const rows: string[] = ['planet,epoch,time,rsky,vsky'];
  for (let i = 0; i < t.count; i++) rows.push(`${t.planet[i]},${t.epoch[i]},${t.timeDays[i]},${t.rskyAu[i]},${t.vskyAu[i]}`);
  return rows.join('\n') + '\n';
}

/**
 * Parses a `planet,epoch,time,rsky,vsky` table: the CSV above, or TTVFast's own
 * whitespace-separated `Times` output (no header).
 */
export function parseTransitsTable(text: string, file?: string): TransitTimes {
  const lines = text.split(/\r\n|\r|\n/);
  const rows: number[][] = [];
  lines.forEach((line, l) => {
    const s = line.trim();
    if (s === '' || /^planet\b/i.test(s) || s.startsWith('#')) return;
    const parts = s.split(/[\s,]+/);
    if (parts.length !== 5) throw new DynamicsError('BAD_SYNTAX', `expected 5 columns, found ${parts.length}`, file === undefined ? { line: l + 1 } : { file, line: l + 1 });
    rows.push(
      parts.map((p, k) => {
        if (!NUMBER.test(p)) throw new DynamicsError('BAD_SYNTAX', `'${p}' is not a number`, file === undefined ? { line: l + 1, token: k + 1 } : { file, line: l + 1, token: k + 1 });
        return Number(p);
      }),
    );
  });
  const n = rows.length;
  const out: TransitTimes = {
    count: n,
    planet: new Int32Array(n),
    epoch: new Int32Array(n),
    timeDays: new Float64Array(n),
    rskyAu: new Float64Array(n),
    vskyAu: new Float64Array(n),
  };
  rows.forEach((r, i) => {
    out.planet[i] = r[0];
    out.epoch[i] = r[1];
    out.timeDays[i] = r[2];
    out.rskyAu[i] = r[3];
    out.vskyAu[i] = r[4];
  });
  return out;
}
