import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { transitLightCurve, type TransitParams } from '../../../src/science/transit/model.js';
import { occultQuadratic } from '../../../src/science/transit/occultation.js';
import { skySeparation } from '../../../src/science/transit/orbit.js';
import { TransitError } from '../../../src/science/transit/errors.js';
import { readBatmanEcsv, readCsv } from './fixtures.js';
import { ECCENTRIC_CASES, GOLDEN_LC, SUPERSAMPLED_CASES } from './cases.js';

const ONE_PPM = 1e-6;

function golden(c: (typeof GOLDEN_LC)[number]): TransitParams {
  return { t0: 0, periodDays: c.periodDays, rp: c.rp, a: c.a, incDeg: c.incDeg, u: [c.u[0], c.u[1]] };
}

describe('transitLightCurve vs golden light curves', () => {
  it('circular golden set: within 1e-10 of the numerical integration and 1 ppm of batman', () => {
    for (const c of GOLDEN_LC) {
      const rows = readCsv(`lc_${c.name}.csv`);
      expect(rows.length).toBe(401);
      const f = transitLightCurve(Float64Array.from(rows, (r) => +r.t), golden(c));
      rows.forEach((r, i) => {
        expect(Math.abs(f[i] - +r.flux_numint), `${c.name} t=${r.t}`).toBeLessThan(1e-10);
        expect(Math.abs(f[i] - +r.flux), `${c.name} t=${r.t} (batman)`).toBeLessThan(ONE_PPM);
      });
    }
  });

  it('batman reference light curves (stellarphot test data): within 1 ppm everywhere', () => {
    const { cases, rows } = readBatmanEcsv();
    expect(cases.length).toBe(3);
    for (const c of cases) {
      const mine = rows.filter((r) => r.name === c.name);
      expect(mine.length).toBe(400);
      const f = transitLightCurve(Float64Array.from(mine, (r) => r.t), {
        t0: c.t0,
        periodDays: c.periodDays,
        rp: c.rp,
        a: c.a,
        incDeg: c.incDeg,
        u: [c.u1, c.u2],
      });
      let inTransit = 0;
      mine.forEach((r, i) => {
        if (r.flux < 1) inTransit++;
        expect(Math.abs(f[i] - r.flux), `${c.name} t=${r.t}`).toBeLessThan(ONE_PPM);
      });
      expect(inTransit).toBeGreaterThan(20); // the comparison does cover the transit
    }
  });

  it('eccentric orbits (incl. t0 at a BJD-sized epoch): within 1e-10 of scipy + numerical integration', () => {
    const rows = readCsv('lc_eccentric.csv');
    for (const c of ECCENTRIC_CASES) {
      const mine = rows.filter((r) => r.case === c.name);
      const f = transitLightCurve(Float64Array.from(mine, (r) => +r.t), c);
      expect(Math.min(...f)).toBeLessThan(0.999);
      mine.forEach((r, i) => expect(Math.abs(f[i] - +r.flux_numint), `${c.name} t=${r.t}`).toBeLessThan(1e-10));
    }
  });

  it('supersampled long exposures (batman’s sample placement): within 1e-10', () => {
    const rows = readCsv('lc_supersampled.csv');
    for (const c of SUPERSAMPLED_CASES) {
      const mine = rows.filter((r) => r.case === c.name);
      const t = Float64Array.from(mine, (r) => +r.t);
      const f = transitLightCurve(t, c);
      const instantaneous = transitLightCurve(t, { ...c, supersample: 1 });
      let maxSmoothing = 0;
      mine.forEach((r, i) => {
        expect(Math.abs(f[i] - +r.flux_numint), `${c.name} t=${r.t}`).toBeLessThan(1e-10);
        maxSmoothing = Math.max(maxSmoothing, Math.abs(instantaneous[i] - +r.flux_numint));
      });
      expect(maxSmoothing).toBeGreaterThan(1e-3); // the exposure really matters in these cases
    }
  });
});

describe('transitLightCurve: analytic properties', () => {
  const base: TransitParams = { t0: 2459000.5, periodDays: 3.7, rp: 0.1, a: 11, incDeg: 88.5, u: [0.4, 0.25] };

  it('is symmetric about mid-transit for circular orbits', () => {
    const dt = Float64Array.from({ length: 300 }, (_, i) => i * 0.0005);
    const before = transitLightCurve(dt.map((d) => base.t0 - d), base);
    const after = transitLightCurve(dt.map((d) => base.t0 + d), base);
    for (let i = 0; i < dt.length; i++) expect(Math.abs(before[i] - after[i])).toBeLessThan(1e-12);
  });

  it('repeats every period and is exactly 1 out of transit and at secondary eclipse', () => {
    const t = new Float64Array([base.t0 + 0.01, base.t0 + 0.01 + 25 * base.periodDays, base.t0 + 0.3, base.t0 + base.periodDays / 2]);
    const f = transitLightCurve(t, base);
    expect(Math.abs(f[0] - f[1])).toBeLessThan(1e-10);
    expect(f[0]).toBeLessThan(1);
    expect(f[2]).toBe(1);
    expect(f[3]).toBe(1);
  });

  it('depth ≈ p² for a small planet with u = 0', () => {
    const p = 0.01;
    const f = transitLightCurve(new Float64Array([0]), { t0: 0, periodDays: 5, rp: p, a: 15, incDeg: 90, u: [0, 0] });
    expect(Math.abs(1 - f[0] - p * p)).toBeLessThan(1e-15);
  });

  it('the out-of-transit phase cut never changes a value (vs z(t) → occultQuadratic point by point)', () => {
    fc.assert(
      fc.property(
        fc.record({
          a: fc.double({ min: 1.8, max: 60, noNaN: true }),
          incDeg: fc.double({ min: 70, max: 110, noNaN: true }),
          ecc: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.9, noNaN: true })),
          omegaDeg: fc.double({ min: -360, max: 360, noNaN: true }),
          rp: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        }),
        (o) => {
          const params: TransitParams = { t0: 2458000.25, periodDays: 2.7, u: [0.3, 0.2], ...o };
          // Dense times over one whole orbit so every window edge is crossed.
          const t = Float64Array.from({ length: 3000 }, (_, i) => params.t0 - 1.35 + (2.7 * i) / 3000);
          const f = transitLightCurve(t, params);
          const direct = occultQuadratic(skySeparation(t, params), o.rp, 0.3, 0.2);
          for (let i = 0; i < t.length; i++) expect(f[i]).toBe(direct[i]);
          const ss = transitLightCurve(t, { ...params, exposureDays: 0.02, supersample: 5 });
          const offs = [-0.01, -0.005, 0, 0.005, 0.01];
          for (let i = 0; i < t.length; i += 7) {
            const sub = occultQuadratic(skySeparation(Float64Array.from(offs, (d) => t[i] + d), params), o.rp, 0.3, 0.2);
            expect(Math.abs(ss[i] - sub.reduce((x, y) => x + y, 0) / 5)).toBeLessThan(1e-15);
          }
        },
      ),
      { seed: 66, numRuns: 40 },
    );
  });

  it('e = 0 with any ω is the circular light curve', () => {
    const t = Float64Array.from({ length: 200 }, (_, i) => base.t0 - 0.1 + i * 0.001);
    const f0 = transitLightCurve(t, base);
    const f1 = transitLightCurve(t, { ...base, ecc: 0, omegaDeg: 17 });
    for (let i = 0; i < t.length; i++) expect(f1[i]).toBe(f0[i]);
  });

  it('midpoint-rule supersampling converges to the same exposure average as batman’s rule', () => {
    const t = Float64Array.from({ length: 120 }, (_, i) => base.t0 - 0.09 + i * 0.0015);
    const exp = { ...base, exposureDays: 0.0208 };
    const fine = transitLightCurve(t, { ...exp, supersample: 401, supersampleRule: 'midpoint' });
    const mid = transitLightCurve(t, { ...exp, supersample: 15, supersampleRule: 'midpoint' });
    const bat = transitLightCurve(t, { ...exp, supersample: 401 });
    for (let i = 0; i < t.length; i++) {
      expect(Math.abs(mid[i] - fine[i])).toBeLessThan(2e-5);
      // batman's rule weights the two exposure edges like interior samples: its error falls
      // only as 1/n (≈ 2.4e-6 here at n = 401), the midpoint rule's as 1/n².
      expect(Math.abs(bat[i] - fine[i])).toBeLessThan(1e-5);
    }
  });

  it('matches occultQuadratic on the same separations and reuses a caller buffer', () => {
    const t = new Float64Array([base.t0, base.t0 + 0.02]);
    const out = new Float64Array(2);
    expect(transitLightCurve(t, base, out)).toBe(out);
    const z = 11 * Math.cos((88.5 * Math.PI) / 180);
    expect(Math.abs(out[0] - occultQuadratic(new Float64Array([z]), 0.1, 0.4, 0.25)[0])).toBeLessThan(1e-13);
  });

  it('rejects bad parameters with TransitError', () => {
    const t = new Float64Array([0]);
    expect(() => transitLightCurve(t, { ...base, supersample: 2.5, exposureDays: 0.02 })).toThrow(/'supersample'/);
    expect(() => transitLightCurve(t, { ...base, supersample: 1e6, exposureDays: 0.02 })).toThrow(TransitError);
    expect(() => transitLightCurve(t, { ...base, exposureDays: -1 })).toThrow(/'exposureDays'/);
    expect(() => transitLightCurve(t, { ...base, rp: -0.1 })).toThrow(/'p'/);
    expect(() => transitLightCurve(t, { ...base, u: [0.4] as unknown as [number, number] })).toThrow(/'u'/);
    expect(() => transitLightCurve(t, base, new Float64Array(3))).toThrow(TransitError);
  });
});

// The full shared golden sets (../shared/datasets beside the clone; absent elsewhere).
const SHARED = resolve(import.meta.dirname, '../../../../shared/datasets');
const GOLDEN_DIR = resolve(SHARED, 'golden-transit-model');

describe.skipIf(!existsSync(GOLDEN_DIR))('full shared golden-transit-model set', () => {
  function read(name: string): Array<Record<string, string>> {
    const lines = readFileSync(resolve(GOLDEN_DIR, name), 'utf8').trim().split('\n');
    const head = lines[0].split(',');
    return lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
  }

  it('every zgrid row within 1e-10 of flux_numint', () => {
    const rows = read('zgrid_quadratic.csv');
    let worst = 0;
    for (const r of rows) {
      const f = occultQuadratic(new Float64Array([+r.z]), +r.p, +r.u1, +r.u2)[0];
      worst = Math.max(worst, Math.abs(f - +r.flux_numint));
      expect(Math.abs(f - +r.flux_numint), `p=${r.p} u=${r.u1},${r.u2} z=${r.z}`).toBeLessThan(1e-10);
    }
    expect(worst).toBeLessThan(1e-10);
  });

  it('every light-curve point within 1 ppm of batman (and 1e-10 of flux_numint where given)', () => {
    for (const c of GOLDEN_LC) {
      const rows = read(`lc_${c.name}.csv`);
      const f = transitLightCurve(Float64Array.from(rows, (r) => +r.t), golden(c));
      rows.forEach((r, i) => {
        expect(Math.abs(f[i] - +r.flux)).toBeLessThan(ONE_PPM);
        if (r.flux_numint !== 'nan') expect(Math.abs(f[i] - +r.flux_numint)).toBeLessThan(1e-10);
      });
    }
  });
});
