import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { meanAnomalyAtConjunction, skySeparation, solveKepler, timeOfPeriastron } from '../../../src/science/transit/orbit.js';
import { TransitError } from '../../../src/science/transit/errors.js';
import { readCsv } from './fixtures.js';
import { ECCENTRIC_CASES, GOLDEN_LC } from './cases.js';

describe('Kepler equation', () => {
  it('solves E − e sin E = M to 1e-13 for e up to 0.99 and any M', () => {
    fc.assert(
      fc.property(fc.double({ min: -20, max: 20, noNaN: true }), fc.double({ min: 0, max: 0.99, noNaN: true }), (m, e) => {
        const bigE = solveKepler(m, e);
        const r = bigE - e * Math.sin(bigE) - m;
        const wrapped = r - 2 * Math.PI * Math.round(r / (2 * Math.PI));
        expect(Math.abs(wrapped)).toBeLessThan(1e-13);
      }),
      { seed: 7, numRuns: 5000 },
    );
  });

  it('E = M for circular orbits and at M = 0, π', () => {
    expect(solveKepler(1.234, 0)).toBe(1.234);
    expect(Math.abs(solveKepler(0, 0.7))).toBeLessThan(1e-15);
    expect(Math.abs(Math.abs(solveKepler(Math.PI, 0.7)) - Math.PI)).toBeLessThan(1e-15);
  });
});

describe('sky separation (batman conventions)', () => {
  it('circular golden light curves: z equals batman’s ds to 1e-12 (ds = 100 marks “behind the star”)', () => {
    for (const c of GOLDEN_LC) {
      const rows = readCsv(`lc_${c.name}.csv`);
      const z = skySeparation(Float64Array.from(rows, (r) => +r.t), { t0: 0, periodDays: c.periodDays, a: c.a, incDeg: c.incDeg });
      rows.forEach((r, i) => expect(Math.abs(z[i] - +r.ds), `${c.name} t=${r.t}`).toBeLessThan(1e-12));
    }
  });

  it('eccentric orbits: z equals an independent scipy solution (brentq on Kepler’s equation) to 1e-12', () => {
    const rows = readCsv('lc_eccentric.csv');
    for (const c of ECCENTRIC_CASES) {
      const mine = rows.filter((r) => r.case === c.name);
      expect(mine.length).toBeGreaterThan(200);
      const z = skySeparation(Float64Array.from(mine, (r) => +r.t), c);
      mine.forEach((r, i) => {
        if (+r.z >= 100) expect(z[i]).toBe(Infinity);
        else expect(Math.abs(z[i] - +r.z), `${c.name} t=${r.t}`).toBeLessThan(1e-12);
      });
    }
  });

  it('at t0 the planet is at conjunction: z = a cos i / (projected) for circular, b = r cos i generally', () => {
    const a = 12;
    const z = skySeparation(new Float64Array([5, 5 + 3 * 4.2]), { t0: 5, periodDays: 4.2, a, incDeg: 88 });
    expect(Math.abs(z[0] - a * Math.cos((88 * Math.PI) / 180))).toBeLessThan(1e-13);
    expect(Math.abs(z[1] - z[0])).toBeLessThan(1e-11);
    // Eccentric: at conjunction f = π/2 − ω, r = a(1 − e²)/(1 + e sin ω), z = r |cos i|.
    const e = 0.4;
    const w = 30;
    const r = (a * (1 - e * e)) / (1 + e * Math.sin((w * Math.PI) / 180));
    const ze = skySeparation(new Float64Array([5]), { t0: 5, periodDays: 4.2, a, incDeg: 88, ecc: e, omegaDeg: w });
    expect(Math.abs(ze[0] - r * Math.cos((88 * Math.PI) / 180))).toBeLessThan(1e-12);
  });

  it('half a period later a circular planet is behind the star (+Infinity)', () => {
    const z = skySeparation(new Float64Array([2.1]), { t0: 0, periodDays: 4.2, a: 10, incDeg: 90 });
    expect(z[0]).toBe(Infinity);
  });

  it('periastron time: ω = 90° puts periastron at conjunction; mean anomaly at conjunction matches f = π/2 − ω', () => {
    expect(timeOfPeriastron({ t0: 10, periodDays: 3, a: 10, incDeg: 90, ecc: 0.3, omegaDeg: 90 })).toBeCloseTo(10, 12);
    const e = 0.5;
    const w = (200 * Math.PI) / 180;
    const m = meanAnomalyAtConjunction(e, w);
    const bigE = solveKepler(m, e);
    const f = 2 * Math.atan2(Math.sqrt(1 + e) * Math.sin(bigE / 2), Math.sqrt(1 - e) * Math.cos(bigE / 2));
    const diff = f - (Math.PI / 2 - w);
    expect(Math.abs(diff - 2 * Math.PI * Math.round(diff / (2 * Math.PI)))).toBeLessThan(1e-13);
  });

  it('rejects impossible orbits with TransitError naming the parameter', () => {
    const t = new Float64Array([0]);
    const base = { t0: 0, periodDays: 3, a: 10, incDeg: 89 };
    expect(() => skySeparation(t, { ...base, periodDays: 0 })).toThrow(/'periodDays'/);
    expect(() => skySeparation(t, { ...base, ecc: 1 })).toThrow(/'ecc'/);
    expect(() => skySeparation(t, { ...base, ecc: -0.1 })).toThrow(TransitError);
    expect(() => skySeparation(t, { ...base, incDeg: 200 })).toThrow(/'incDeg'/);
    expect(() => skySeparation(t, { ...base, a: Number.NaN })).toThrow(/'a'/);
    expect(() => skySeparation(t, base, new Float64Array(2))).toThrow(TransitError);
  });
});
