import { describe, expect, it } from 'vitest';
import {
  LEAP_SECONDS,
  LEAP_SECONDS_EXPIRES_MJD,
  isLeapSecondTableCurrent,
  leapSecondsAtEndOfDay,
  taiMinusUtcOnDay,
  utcDayLengthS,
} from '../../../src/science/time/leap-seconds.js';
import { calendarToJd, MJD_ZERO_JD } from '../../../src/science/time/julian.js';
import { TimeError } from '../../../src/science/time/errors.js';
import { codeOf, readJson } from './fixtures.js';

interface LeapFixture {
  expires: string;
  table: Array<{ mjd: number; tai_utc: number }>;
  erfa_dat: Array<[number, number, number, number]>;
}

const fx = readJson<LeapFixture>('leap_seconds.json');
const mjdOf = (y: number, m: number, d: number) => calendarToJd(y, m, d) - MJD_ZERO_JD;

describe('leap-second table vs astropy / ERFA', () => {
  it('has the same entries as astropy’s bundled table (1972 on)', () => {
    const ref = fx.table.filter((r) => r.mjd >= 41317);
    expect(LEAP_SECONDS.map((e) => [e.mjd, e.taiMinusUtcS])).toEqual(ref.map((r) => [r.mjd, r.tai_utc]));
  });

  it('gives erfa.dat() on the 1st and 28th of every month 1972–2030', () => {
    expect(fx.erfa_dat.length).toBeGreaterThan(1400);
    for (const [y, m, d, dat] of fx.erfa_dat) expect(taiMinusUtcOnDay(mjdOf(y, m, d))).toBe(dat);
  });

  it('expires no earlier than astropy’s own copy says', () => {
    const astropyExpiry = mjdOf(+fx.expires.slice(0, 4), +fx.expires.slice(5, 7), +fx.expires.slice(8, 10));
    expect(LEAP_SECONDS_EXPIRES_MJD).toBeGreaterThanOrEqual(astropyExpiry);
    expect(isLeapSecondTableCurrent(LEAP_SECONDS_EXPIRES_MJD - 1)).toBe(true);
    expect(isLeapSecondTableCurrent(LEAP_SECONDS_EXPIRES_MJD)).toBe(false);
  });
});

describe('leap-second days', () => {
  it('knows the day lengths around 2016-12-31 and 2015-06-30', () => {
    expect(leapSecondsAtEndOfDay(mjdOf(2016, 12, 31))).toBe(1);
    expect(utcDayLengthS(mjdOf(2016, 12, 31))).toBe(86401);
    expect(utcDayLengthS(mjdOf(2016, 12, 30))).toBe(86400);
    expect(utcDayLengthS(mjdOf(2017, 1, 1))).toBe(86400);
    expect(utcDayLengthS(mjdOf(2015, 6, 30))).toBe(86401);
    expect(taiMinusUtcOnDay(mjdOf(2016, 12, 31))).toBe(36);
    expect(taiMinusUtcOnDay(mjdOf(2017, 1, 1))).toBe(37);
    expect(taiMinusUtcOnDay(mjdOf(2030, 1, 1))).toBe(37);
  });

  it('has exactly 27 leap seconds, each at the end of 30 June or 31 December', () => {
    let count = 0;
    for (let mjd = 41317; mjd < 61219; mjd++) {
      const n = leapSecondsAtEndOfDay(mjd);
      if (n !== 0) {
        count++;
        expect(n).toBe(1);
        const next = LEAP_SECONDS.find((e) => e.mjd === mjd + 1);
        expect(next).toBeDefined();
      }
    }
    expect(count).toBe(27);
  });

  it('refuses UTC before 1972 with OUT_OF_RANGE', () => {
    expect(codeOf(() => taiMinusUtcOnDay(41316))).toBe('OUT_OF_RANGE');
    expect(codeOf(() => taiMinusUtcOnDay(mjdOf(1969, 7, 20)))).toBe('OUT_OF_RANGE');
    expect(() => taiMinusUtcOnDay(mjdOf(1969, 7, 20))).toThrow(/1972/);
    expect(() => taiMinusUtcOnDay(Number.NaN)).toThrow(TimeError);
  });
});
