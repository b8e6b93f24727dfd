/**
 * Time references to BJD_TDB: round trips, the clock offsets that must appear exactly
 * (TT − UTC = 69.184 s since 2017), and the leap-second table's expiry handling (decision
 * 0019): a warning, never an exception. The comparisons with astropy are in
 * importers.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { bjdTdbToJdUtc, LightCurveError, parseTimeReference, toBjdTdb } from '../../../src/science/lightcurve/index.js';
import { LEAP_SECONDS_EXPIRED, LEAP_SECONDS_EXPIRES_MJD, leapSecondWarning, taiMinusUtcOnDay } from '../../../src/science/time/leap-seconds.js';

const TARGET = { raDeg: 292.2472, decDeg: 47.9695 };
const SITE = { lonDeg: 14.7808, latDeg: 49.9106, heightM: 528 };

describe('toBjdTdb', () => {
  it('is the inverse of bjdTdbToJdUtc to microseconds, geocentric and at a site', () => {
    const jd = Float64Array.from({ length: 50 }, (_, i) => 2458000.3 + i * 37.77);
    for (const site of [undefined, SITE]) {
      const b = toBjdTdb(jd, 'jd_utc', { target: TARGET, site }).bjdTdb;
      const back = bjdTdbToJdUtc(b, TARGET, site).bjdTdb;
      for (let i = 0; i < jd.length; i++) expect(Math.abs(back[i] - jd[i]) * 86400).toBeLessThan(1e-4);
      // The barycentric correction is at most the light time across 1 AU plus the clock offsets.
      for (let i = 0; i < jd.length; i++) expect(Math.abs(b[i] - jd[i]) * 86400).toBeLessThan(520);
    }
  });

  it('treats MJD as JD − 2400000.5, and BJD_UTC as BJD_TDB minus TDB − UTC (69.184 s ± 1.7 ms)', () => {
    const jd = Float64Array.of(2459000.25, 2459500.75);
    const a = toBjdTdb(jd, 'jd_utc', { target: TARGET }).bjdTdb;
    const m = toBjdTdb(jd.map((v) => v - 2400000.5), 'mjd_utc', { target: TARGET }).bjdTdb;
    for (let i = 0; i < 2; i++) expect(Math.abs(a[i] - m[i]) * 86400).toBeLessThan(1e-5);
    const u = toBjdTdb(jd, 'bjd_utc').bjdTdb;
    for (let i = 0; i < 2; i++) {
      const d = (u[i] - jd[i]) * 86400;
      expect(Math.abs(d - (37 + 32.184))).toBeLessThan(0.0017 + 1e-5);
    }
    expect(toBjdTdb(jd, 'bjd_tdb').bjdTdb).toEqual(jd);
  });

  it('HJD → BJD differs from JD → BJD by the heliocentric light time, and an offset moves stamps', () => {
    const jd = Float64Array.of(2459800.4);
    const fromJd = toBjdTdb(jd, 'jd_utc', { target: TARGET }).bjdTdb[0];
    const shifted = toBjdTdb(jd, 'jd_utc', { target: TARGET, offsetS: 30 }).bjdTdb[0];
    expect(Math.abs((shifted - fromJd) * 86400 - 30)).toBeLessThan(1e-4);
    const fromHjd = toBjdTdb(jd, 'hjd_utc', { target: TARGET }).bjdTdb[0];
    expect(Math.abs(fromHjd - fromJd) * 86400).toBeGreaterThan(1);
    expect(Math.abs(fromHjd - fromJd) * 86400).toBeLessThan(520);
  });

  it('parses the names people write and needs the target for clock times', () => {
    expect(parseTimeReference('BJD_TDB')).toBe('bjd_tdb');
    expect(parseTimeReference('bjd-tdb')).toBe('bjd_tdb');
    expect(parseTimeReference('HJD')).toBe('hjd_utc');
    expect(parseTimeReference('JD (UTC)')).toBe('jd_utc');
    expect(parseTimeReference('mjd')).toBe('mjd_utc');
    expect(() => parseTimeReference('TAI')).toThrow(LightCurveError);
    let err: unknown;
    try {
      toBjdTdb(Float64Array.of(2459000), 'jd_utc');
    } catch (e) {
      err = e;
    }
    expect((err as LightCurveError).code).toBe('NEEDS_TARGET');
    expect(() => toBjdTdb(Float64Array.of(NaN), 'bjd_tdb')).toThrow(LightCurveError);
  });
});

describe('leap-second table expiry (decision 0019)', () => {
  it('warns, with the assumed TAI − UTC, from the expiry day on — and keeps computing', () => {
    expect(leapSecondWarning(LEAP_SECONDS_EXPIRES_MJD - 0.001)).toBeUndefined();
    const w = leapSecondWarning(LEAP_SECONDS_EXPIRES_MJD + 146);
    expect(w?.code).toBe(LEAP_SECONDS_EXPIRED);
    expect(w?.assumedTaiMinusUtcS).toBe(37);
    expect(w?.message).toMatch(/2026-06-28.*37 s/);
    expect(taiMinusUtcOnDay(LEAP_SECONDS_EXPIRES_MJD + 146)).toBe(37);
    expect(leapSecondWarning(NaN)).toBeUndefined();
    // Conversions of such times succeed and carry it.
    const today = Float64Array.of(2400000.5 + LEAP_SECONDS_EXPIRES_MJD + 147);
    const r = toBjdTdb(today, 'jd_utc', { target: TARGET });
    expect(Number.isFinite(r.bjdTdb[0])).toBe(true);
    expect(r.warnings.map((x) => x.code)).toEqual([LEAP_SECONDS_EXPIRED]);
  });
});
