/** TTVFast's setup and parameter files: the golden inputs, and malformed ones named by line and token. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DynamicsError,
  formatTransitsCsv,
  parseTransitsTable,
  parseTtvfastParams,
  parseTtvfastSetup,
} from '../../../src/science/dynamics/index.js';
import { FIXTURES } from './golden.js';

function thrown(fn: () => unknown): DynamicsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DynamicsError) return err;
    throw err;
  }
  throw new Error('expected a DynamicsError');
}

describe('parseTtvfastSetup', () => {
  it('reads the golden setups', () => {
    expect(parseTtvfastSetup(readFileSync(join(FIXTURES, 'kepler9_like/setup'), 'utf8'))).toEqual({
      paramsFile: 'params.in',
      startDays: 0,
      stepDays: 0.5,
      endDays: 1461,
      nPlanets: 2,
      inputFlag: 0,
    });
    const koi = parseTtvfastSetup(readFileSync(join(FIXTURES, 'koi142/setup_file_astro_cartesian'), 'utf8'));
    expect(koi).toMatchObject({ paramsFile: 'KOI142.in.cartesian', startDays: -1045, stepDays: 0.54, endDays: 1700, nPlanets: 2, inputFlag: 2 });
  });

  it('names the line and token of a bad value', () => {
    const e = thrown(() => parseTtvfastSetup('params.in\n0.0\nhalf\n1461\n2\n0\n', 'setup'));
    expect(e.code).toBe('BAD_SYNTAX');
    expect(e.location).toEqual({ file: 'setup', line: 3, token: 1 });
    expect(e.message).toBe("setup line 3 token 1: dt (time step): 'half' is not a number");
    expect(thrown(() => parseTtvfastSetup('p 0 0.5 1461 2 3')).message).toMatch(/line 1 token 6: input flag 3 must be 0/);
    expect(thrown(() => parseTtvfastSetup('p 0 -0.5 1461 2 0')).code).toBe('BAD_VALUE');
    expect(thrown(() => parseTtvfastSetup('p 10 0.5 5 2 0')).message).toMatch(/tfinal .* must be after t0/);
    expect(thrown(() => parseTtvfastSetup('p 0 0.5 5 2.5 0')).message).toMatch(/number of planets/);
    expect(thrown(() => parseTtvfastSetup('p 0 0.5 5 2 0 extra')).code).toBe('EXTRA_VALUE');
    const short = thrown(() => parseTtvfastSetup('p\n0\n0.5\n', 'setup'));
    expect(short.code).toBe('MISSING_VALUE');
    expect(short.message).toMatch(/setup line 3: file ends before tfinal/);
  });
});

describe('parseTtvfastParams', () => {
  it('reads Jacobi elements as TTVFast lays them out (mass line, element line)', () => {
    const s = parseTtvfastParams(readFileSync(join(FIXTURES, 'koi142/KOI142.in'), 'utf8'), 2, 0, -1045);
    expect(s.coordinates).toBe('jacobi-elements');
    expect(s.G).toBe(0.000295994511);
    expect(s.stellarMassMsun).toBe(0.95573417954);
    expect(s.planets[0]).toEqual({
      massMsun: 0.00002878248,
      periodDays: 1.0917340278625494e1,
      eccentricity: 5.6159310042858110e-2,
      inclinationDeg: 9.0921164935951211e1,
      longitudeOfNodeDeg: -1.1729336712101943e-18,
      argumentOfPeriapsisDeg: 1.8094838714599581e2,
      meanAnomalyDeg: -8.7093652691581923e1,
    });
  });

  it('reads Cartesian states (flag 2)', () => {
    const s = parseTtvfastParams(readFileSync(join(FIXTURES, 'koi142/KOI142.in.cartesian'), 'utf8'), 2, 2, -1045);
    expect(s.coordinates).toBe('astrocentric-cartesian');
    if (s.coordinates !== 'astrocentric-cartesian') throw new Error('unreachable');
    expect(s.planets[1].massMsun).toBe(0.00061895914);
    expect(s.planets[1].vzAuPerDay).toBe(4.2870425084428648e-2);
  });

  it('names the line and token of a malformed value', () => {
    const text = '0.000295994511\n0.95\n0.0000287\n10.9 0.05 90.9 0 180.9 -87.0\n0.00061\n22.2 0.056 87.6 0.46 1.6 -19.5\n';
    expect(parseTtvfastParams(text, 2, 0, 0).planets).toHaveLength(2);
    const e = thrown(() => parseTtvfastParams(text.replace(' 1.6 ', ' 1.6x '), 2, 0, 0, 'KOI142.in'));
    expect(e.message).toBe("KOI142.in line 6 token 5: planet 1 argument of periapsis: '1.6x' is not a number");
    expect(thrown(() => parseTtvfastParams(text.replace('0.05 90.9', '1.05 90.9'), 2, 0, 0)).message).toMatch(/line 4 token 2: planet 0 eccentricity 1.05 must be in \[0, 1\)/);
    expect(thrown(() => parseTtvfastParams(text.replace('\n0.95\n', '\n-0.95\n'), 2, 0, 0)).message).toMatch(/line 2 token 1: stellar mass/);
    expect(thrown(() => parseTtvfastParams(text, 3, 0, 0)).message).toMatch(/file ends before planet 2 mass/);
    expect(thrown(() => parseTtvfastParams(text + '7\n', 2, 0, 0)).message).toMatch(/line 7 token 1: unexpected '7' after 2 planet/);
    expect(thrown(() => parseTtvfastParams(text.replace('10.9', 'inf'), 2, 0, 0)).code).toBe('BAD_SYNTAX');
    expect(thrown(() => parseTtvfastParams(text, 0, 0, 0)).code).toBe('BAD_ARGUMENT');
  });
});

describe('transit tables', () => {
  it('reads TTVFast Times output and our CSV, and writes CSV that reads back exactly', () => {
    const t = parseTransitsTable(readFileSync(join(FIXTURES, 'koi142/Times.expected'), 'utf8'));
    expect(t.count).toBe(375);
    expect(t.planet[1]).toBe(1);
    expect(t.timeDays[0]).toBe(-1.044921707263204e3);
    const csv = formatTransitsCsv(t);
    expect(csv.split('\n')[0]).toBe('planet,epoch,time,rsky,vsky');
    const back = parseTransitsTable(csv);
    expect(Array.from(back.timeDays)).toEqual(Array.from(t.timeDays));
    expect(Array.from(back.rskyAu)).toEqual(Array.from(t.rskyAu));
    expect(thrown(() => parseTransitsTable('0 1 2 3\n', 'T')).message).toBe('T line 1: expected 5 columns, found 4');
  });
});
