import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addSeconds,
  calendarToJd,
  daysInMonth,
  differenceSeconds,
  isoToJd,
  jdToCalendar,
  jdToIso,
  jdToMjd,
  jdValue,
  mjdToJd,
  normalizeJd,
  parseIso,
} from '../../../src/science/time/julian.js';
import { codeOf, readCsv } from './fixtures.js';

const golden = readCsv('scales.csv');

describe('Gregorian calendar ↔ JD', () => {
  it('matches published Julian dates (Meeus, Astronomical Algorithms, ch. 7)', () => {
    expect(calendarToJd(2000, 1, 1) + 0.5).toBe(2451545.0);
    expect(calendarToJd(1999, 1, 1)).toBe(2451179.5);
    expect(calendarToJd(1987, 1, 27)).toBe(2446822.5);
    expect(calendarToJd(1987, 6, 19) + 0.5).toBe(2446966.0);
    expect(calendarToJd(1988, 1, 27)).toBe(2447187.5);
    expect(calendarToJd(1988, 6, 19) + 0.5).toBe(2447332.0);
    expect(calendarToJd(1900, 1, 1)).toBe(2415020.5);
    expect(calendarToJd(1600, 1, 1)).toBe(2305447.5);
    expect(calendarToJd(1600, 12, 31)).toBe(2305812.5);
    expect(calendarToJd(1582, 10, 15)).toBe(2299160.5); // first Gregorian day
    expect(calendarToJd(1858, 11, 17)).toBe(2400000.5); // MJD 0
  });

  it('round-trips every day of years 1–9999, consecutive days one apart', () => {
    let prev = calendarToJd(1, 1, 1) - 1;
    for (let y = 1; y <= 9999; y++) {
      for (let m = 1; m <= 12; m++) {
        const dim = daysInMonth(y, m);
        for (let d = 1; d <= dim; d++) {
          const jd = calendarToJd(y, m, d);
          if (jd !== prev + 1) throw new Error(`gap at ${y}-${m}-${d}`);
          prev = jd;
          if (d === 1 || d === dim) {
            const c = jdToCalendar(jd + 0.25);
            if (c.year !== y || c.month !== m || c.day !== d || c.dayFraction !== 0.25) throw new Error(`${y}-${m}-${d}`);
          }
        }
      }
    }
    expect(prev).toBe(calendarToJd(9999, 12, 31));
  });

  it('rejects impossible dates and years outside 1–9999', () => {
    expect(codeOf(() => calendarToJd(2015, 2, 29))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => calendarToJd(2016, 13, 1))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => calendarToJd(0, 1, 1))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => calendarToJd(2016, 2, 29))).toBe('none');
    expect(codeOf(() => jdToCalendar(1e8))).toBe('OUT_OF_RANGE');
  });
});

describe('two-part JDs', () => {
  it('normalises to midnight + fraction in [0, 1)', () => {
    expect(normalizeJd(2451545.0)).toEqual({ jd1: 2451544.5, jd2: 0.5 });
    expect(normalizeJd({ jd1: 2451545, jd2: -0.75 })).toEqual({ jd1: 2451543.5, jd2: 0.75 });
    expect(normalizeJd({ jd1: 2400000.5, jd2: 59000.25 })).toEqual({ jd1: 2459000.5, jd2: 0.25 });
    const n = normalizeJd({ jd1: 2457754.5, jd2: 1 - 2 ** -54 });
    expect(n.jd2).toBeGreaterThanOrEqual(0);
    expect(n.jd2).toBeLessThan(1);
  });

  it('adds and differences seconds without losing sub-microsecond precision', () => {
    const t = { jd1: 2460000.5, jd2: 0.123456789 };
    const later = addSeconds(t, 1e-7);
    expect(Math.abs(differenceSeconds(later, t) - 1e-7)).toBeLessThan(1e-11);
    // a single float64 cannot resolve this: ulp(2.46e6 d) = 40 µs
    expect(jdValue(later) - jdValue(t)).toBe(0);
    expect(differenceSeconds(addSeconds(t, 86400 * 3.5), t)).toBeCloseTo(86400 * 3.5, 9);
  });

  it('converts JD ↔ MJD exactly', () => {
    const t = { jd1: 2459000.5, jd2: 0.123456789 };
    expect(jdToMjd(t)).toEqual({ jd1: 59000, jd2: 0.123456789 });
    expect(mjdToJd(jdToMjd(t))).toEqual(t);
    expect(mjdToJd(51544.5)).toEqual({ jd1: 2451544.5, jd2: 0.5 });
    // the fraction of a one-number MJD survives (2400000.5 + MJD would round it to 40 µs)
    expect(Math.abs(mjdToJd(59000.123456789).jd2 - (59000.123456789 - 59000)) * 86400).toBeLessThan(1e-11);
  });

  it('rejects non-finite input', () => {
    expect(codeOf(() => normalizeJd(Number.NaN))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => normalizeJd({ jd1: 2451545, jd2: Infinity }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => normalizeJd('2451545' as unknown as number))).toBe('BAD_ARGUMENT');
  });
});

describe('ISO-8601 ↔ JD vs astropy (UTC, SOFA leap-second convention)', () => {
  it('parses every golden instant to astropy’s two-part UTC JD (< 1e-10 s)', () => {
    expect(golden.length).toBeGreaterThan(300);
    for (const g of golden) {
      const d = differenceSeconds(isoToJd(g.iso), { jd1: +g.utc1, jd2: +g.utc2 });
      if (!(Math.abs(d) < 1e-10)) throw new Error(`${g.iso}: ${d} s`);
    }
  });

  it('formats astropy’s JDs exactly as astropy does (microseconds)', () => {
    for (const g of golden) expect(jdToIso({ jd1: +g.utc1, jd2: +g.utc2 }, { digits: 6 })).toBe(g.iso_back);
  });

  it('round-trips ISO → JD → ISO exactly to the microsecond, leap seconds included', () => {
    for (const g of golden) expect(jdToIso(isoToJd(g.iso), { digits: 6 })).toBe(g.iso.length === 19 ? `${g.iso}.000000` : g.iso.padEnd(26, '0'));
    const leapDays = ['1972-06-30', '1990-12-31', '2005-12-31', '2015-06-30', '2016-12-31'];
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 86401 * 1e6 - 1 }),
        (k, micro) => {
          const s = Math.floor(micro / 1e6);
          const us = micro - s * 1e6;
          const hh = Math.min(23, Math.floor(s / 3600));
          const mm = s >= 86400 ? 59 : Math.floor((s % 3600) / 60);
          const ss = s >= 86400 ? 60 : s % 60;
          const iso = `${leapDays[k]}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:${String(ss).padStart(2, '0')}.${String(us).padStart(6, '0')}`;
          return jdToIso(isoToJd(iso), { digits: 6 }) === iso;
        },
      ),
      { numRuns: 3000, seed: 42 },
    );
  });

  it('round-trips random two-part JDs through ISO to within half a microsecond', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2441317, max: 2470000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (day, f) => {
          const jd = { jd1: day + 0.5, jd2: f };
          const back = isoToJd(jdToIso(jd, { digits: 6 }));
          // differenceSeconds counts 86400 s per day; a leap day's fraction spans 86401 s
          return Math.abs(differenceSeconds(back, jd)) <= 0.5e-6 * (86401 / 86400) + 1e-10;
        },
      ),
      { numRuns: 3000, seed: 7 },
    );
  });
});

describe('ISO parsing and formatting details', () => {
  it('accepts the FITS/ISO variants', () => {
    expect(isoToJd('2000-01-01T12:00:00Z')).toEqual({ jd1: 2451544.5, jd2: 0.5 });
    expect(isoToJd(' 2000-01-01 12:00 ')).toEqual({ jd1: 2451544.5, jd2: 0.5 });
    expect(isoToJd('2000-01-01')).toEqual({ jd1: 2451544.5, jd2: 0 });
    expect(parseIso('2000-01-01').hasTime).toBe(false);
    expect(parseIso('2000-01-01T00:00:00.1234567890123').secondFraction).toBe(0.1234567890123);
  });

  it('puts a leap second at 86400/86401 of its day and refuses second 60 elsewhere', () => {
    expect(isoToJd('2016-12-31T23:59:60')).toEqual({ jd1: 2457753.5, jd2: 86400 / 86401 });
    expect(isoToJd('2016-12-31T12:00:00', 'tt')).toEqual({ jd1: 2457753.5, jd2: 0.5 });
    expect(codeOf(() => isoToJd('2016-12-30T23:59:60'))).toBe('BAD_FORMAT');
    expect(codeOf(() => isoToJd('2016-12-31T23:58:60'))).toBe('BAD_FORMAT');
    expect(codeOf(() => isoToJd('2016-12-31T23:59:60', 'tai'))).toBe('BAD_FORMAT');
  });

  it('rejects malformed strings with BAD_FORMAT', () => {
    for (const bad of ['2016-13-01', '2015-02-29', '2016-12-31T24:00:00', '2016-12-31T12:00:00+02:00', '16-12-31', '2016/12/31', '', 'now', '2016-12-31T12:60'])
      expect(codeOf(() => isoToJd(bad))).toBe('BAD_FORMAT');
    expect(codeOf(() => isoToJd('0000-06-01'))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => isoToJd(12 as unknown as string))).toBe('BAD_FORMAT');
  });

  it('rounds with carry into the next day (and through a leap second)', () => {
    expect(jdToIso({ jd1: 2451544.5, jd2: 1 - 1e-12 }, { digits: 0 })).toBe('2000-01-02T00:00:00');
    expect(jdToIso({ jd1: 2457753.5, jd2: 1 - 0.4e-6 / 86401 }, { digits: 6 })).toBe('2017-01-01T00:00:00.000000');
    expect(jdToIso({ jd1: 2457753.5, jd2: (86400.5 - 1e-9) / 86401 }, { digits: 3 })).toBe('2016-12-31T23:59:60.500');
    // the same fraction on TT (86400-s days) is an ordinary second
    expect(jdToIso({ jd1: 2457753.5, jd2: 86400.5 / 86401 }, { digits: 3, scale: 'tt' })).toBe('2016-12-31T23:59:59.500');
    expect(jdToIso(2451545.0)).toBe('2000-01-01T12:00:00.000');
    expect(jdToIso(2451545.0, { digits: 9 })).toBe('2000-01-01T12:00:00.000000000');
    expect(codeOf(() => jdToIso(2451545.0, { digits: 10 }))).toBe('BAD_ARGUMENT');
  });
});
