import { describe, expect, it } from 'vitest';
import { differenceSeconds, isoToJd, jdToIso, jdValue, type JulianDate } from '../../../src/science/time/julian.js';
import {
  taiMinusUtcS,
  taiToTt,
  taiToUtc,
  tdbMinusTtS,
  tdbToTt,
  tdbToUtc,
  tdbToUtcBatch,
  ttMinusUtcS,
  ttToTai,
  ttToTdb,
  ttToUtc,
  utcToTai,
  utcToTdb,
  utcToTdbBatch,
  utcToTt,
} from '../../../src/science/time/scales.js';
import { tdbMinusTtGeocentricS } from '../../../src/science/time/tdb.js';
import { codeOf, readCsv, stats } from './fixtures.js';

const golden = readCsv('scales.csv').map((g) => ({
  iso: g.iso,
  utc: { jd1: +g.utc1, jd2: +g.utc2 },
  tai: { jd1: +g.tai1, jd2: +g.tai2 },
  tt: { jd1: +g.tt1, jd2: +g.tt2 },
  tdb: { jd1: +g.tdb1, jd2: +g.tdb2 },
  dtdbS: +g.dtdb_s,
}));

function maxDiff(f: (g: (typeof golden)[number]) => [JulianDate, JulianDate]): number {
  return stats(golden.map((g) => differenceSeconds(...f(g)))).max;
}

describe('UTC → TAI → TT → TDB vs astropy 5.2 (ERFA), 1972–2030 incl. every leap second', () => {
  it('has the goldens', () => expect(golden.length).toBeGreaterThan(300));

  it('UTC → TAI and TT to 1e-9 s', () => {
    expect(maxDiff((g) => [utcToTai(g.utc), g.tai])).toBeLessThan(1e-9);
    expect(maxDiff((g) => [utcToTt(g.utc), g.tt])).toBeLessThan(1e-9);
    expect(maxDiff((g) => [utcToTt(isoToJd(g.iso)), g.tt])).toBeLessThan(1e-9);
  });

  it('TAI → UTC and TT → UTC to 1e-9 s (inverse through leap seconds)', () => {
    expect(maxDiff((g) => [taiToUtc(g.tai), g.utc])).toBeLessThan(1e-9);
    expect(maxDiff((g) => [ttToUtc(g.tt), g.utc])).toBeLessThan(1e-9);
    expect(maxDiff((g) => [ttToTai(g.tt), g.tai])).toBeLessThan(1e-9);
    expect(maxDiff((g) => [taiToTt(g.tai), g.tt])).toBeLessThan(1e-9);
  });

  it('geocentric TDB − TT within 1 µs of ERFA’s full FB90 series (truncation ≤ 0.5 µs)', () => {
    const d = stats(golden.map((g) => tdbMinusTtGeocentricS(g.tt) - g.dtdbS));
    expect(d.max).toBeLessThan(1e-6);
    expect(d.rms).toBeLessThan(0.3e-6);
    expect(maxDiff((g) => [utcToTdb(g.utc), g.tdb])).toBeLessThan(1e-6);
    expect(maxDiff((g) => [tdbToUtc(g.tdb), g.utc])).toBeLessThan(1e-6);
  });

  it('round-trips UTC → TDB → UTC to 1e-9 s, geocentric and at a site', () => {
    expect(maxDiff((g) => [tdbToUtc(utcToTdb(g.utc)), g.utc])).toBeLessThan(1e-9);
    const site = { lonDeg: -155.47, latDeg: 19.82, heightM: 4205 };
    for (const g of golden.slice(0, 40)) {
      expect(Math.abs(differenceSeconds(tdbToUtc(utcToTdb(g.utc, site), site), g.utc))).toBeLessThan(1e-9);
      expect(Math.abs(differenceSeconds(tdbToTt(ttToTdb(g.tt, site), site), g.tt))).toBeLessThan(1e-9);
    }
  });

  it('maps a TAI instant that rounds onto a UTC midnight after a leap second to that midnight', () => {
    // 1991-01-01T00:00:26 TAI as astropy stores it: 26 s minus one rounding unit
    const tai = { jd1: 2448257.5, jd2: 0.00030092592592589895 };
    expect(jdToIso(taiToUtc(tai), { digits: 6 })).toBe('1991-01-01T00:00:00.000000');
    expect(jdToIso(taiToUtc(utcToTai(isoToJd('2015-07-01T00:00:00'))), { digits: 6 })).toBe('2015-07-01T00:00:00.000000');
  });

  it('knows TAI − UTC and TT − UTC across the 2016 leap second', () => {
    expect(taiMinusUtcS(isoToJd('2016-12-31T23:59:60.5'))).toBe(36);
    expect(taiMinusUtcS(isoToJd('2017-01-01T00:00:00'))).toBe(37);
    expect(ttMinusUtcS(isoToJd('2017-01-01T00:00:00'))).toBe(69.184);
    // 23:59:60 UTC is 00:00:36 TAI; one second later 00:00:37 TAI
    expect(differenceSeconds(utcToTai(isoToJd('2016-12-31T23:59:60')), isoToJd('2017-01-01T00:00:36', 'tai'))).toBeCloseTo(0, 9);
    expect(differenceSeconds(utcToTai(isoToJd('2017-01-01T00:00:00')), isoToJd('2017-01-01T00:00:37', 'tai'))).toBeCloseTo(0, 9);
  });
});

describe('the site term of TDB − TT', () => {
  it('is below 2.2 µs, zero-mean over a day, and changes sign between antipodal sites', () => {
    const tt = isoToJd('2020-06-01T00:00:00', 'tt');
    const geo = tdbMinusTtS(tt);
    let sum = 0;
    for (let h = 0; h < 24; h++) {
      const t = { jd1: tt.jd1, jd2: h / 24 };
      const a = tdbMinusTtS(t, { lonDeg: 10, latDeg: 0, heightM: 0 }) - tdbMinusTtS(t);
      const b = tdbMinusTtS(t, { lonDeg: -170, latDeg: 0, heightM: 0 }) - tdbMinusTtS(t);
      expect(Math.abs(a)).toBeLessThan(2.2e-6);
      expect(Math.abs(a + b)).toBeLessThan(1e-9);
      sum += a;
    }
    expect(Math.abs(sum / 24)).toBeLessThan(0.1e-6);
    expect(Math.abs(tdbMinusTtS(tt, { lonDeg: 0, latDeg: 90, heightM: 0 }) - geo)).toBeLessThan(1.0e-6); // pole: only v_z
  });
});

describe('batches and errors', () => {
  it('batched conversions equal the one-by-one ones', () => {
    const jd = Float64Array.from(golden.slice(0, 50), (g) => jdValue(g.utc));
    const tdb = utcToTdbBatch(jd);
    const back = tdbToUtcBatch(tdb);
    for (let i = 0; i < jd.length; i++) {
      expect(tdb[i]).toBe(jdValue(utcToTdb(jd[i])));
      expect(Math.abs(back[i] - jd[i]) * 86400).toBeLessThan(1e-4); // single float64: ~40 µs
    }
  });

  it('throws typed errors for bad input, naming the element', () => {
    expect(codeOf(() => utcToTai(2440000.5))).toBe('OUT_OF_RANGE'); // 1968
    expect(codeOf(() => utcToTai(Number.NaN))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => taiToUtc(2441317.5 + 5 / 86400))).toBe('OUT_OF_RANGE'); // before 1972-01-01 UTC
    expect(codeOf(() => ttToTdb(2451545, { lonDeg: 0, latDeg: 91, heightM: 0 }))).toBe('BAD_ARGUMENT');
    const arr = Float64Array.of(2451545, 2451546, Number.NaN);
    expect(codeOf(() => utcToTdbBatch(arr))).toBe('BAD_ARGUMENT');
    expect(() => utcToTdbBatch(arr)).toThrow(/element 2/);
    expect(() => utcToTdbBatch(Float64Array.of(2451545, 2400000.5))).toThrow(/element 1/);
    expect(codeOf(() => utcToTdbBatch([2451545] as unknown as Float64Array))).toBe('BAD_ARGUMENT');
  });
});
