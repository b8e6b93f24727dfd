import { describe, expect, it } from 'vitest';
import { Header, parseCard } from '../../../src/science/fits/header.js';
import { midExposureUtc, parseFitsDate, type MidExposureOptions } from '../../../src/science/time/exposure.js';
import { differenceSeconds, isoToJd } from '../../../src/science/time/julian.js';
import { codeOf, readJson } from './fixtures.js';

interface ExposureCase {
  name: string;
  header: Record<string, string | number>;
  options?: MidExposureOptions;
  expected: { iso: string; jd1: number; jd2: number };
}

const { cases } = readJson<{ cases: ExposureCase[] }>('exposure.json');

/** A plain keyword map behaving like a FITS header. */
function hdr(cards: Record<string, unknown>): { get(k: string): unknown } {
  return { get: (k: string) => cards[k] };
}

describe('mid-exposure time vs astropy Time arithmetic', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const m = midExposureUtc(hdr(c.header), c.options);
    // TDB → UTC goes through our truncated TDB − TT series (≤ 0.5 µs from ERFA's)
    const tdb = c.header.TIMESYS === 'TDB';
    expect(Math.abs(differenceSeconds(m.jdUtc, { jd1: c.expected.jd1, jd2: c.expected.jd2 }))).toBeLessThan(tdb ? 1e-6 : 1e-9);
    if (!tdb) expect(m.isoUtc).toBe(c.expected.iso);
  });

  it('crosses the 2016 leap second: 23:59:30 + 30 s is 23:59:60', () => {
    const m = midExposureUtc(hdr({ 'DATE-OBS': '2016-12-31T23:59:30', EXPTIME: 60 }));
    expect(m.isoUtc).toBe('2016-12-31T23:59:60.000000');
    expect(m.startJdUtc).toEqual(isoToJd('2016-12-31T23:59:30'));
    expect(m.exposureS).toBe(60);
    expect(m.source).toBe('DATE-OBS, EXPTIME');
  });
});

describe('mid-exposure time: keyword rules', () => {
  it('reads our own FITS Header (real card images)', () => {
    const h = new Header(
      [
        "DATE-OBS= '2013-05-05T04:09:39' /YYYY-MM-DDThh:mm:ss observation start, UT",
        'EXPTIME =   5.0000000000000000 /Exposure time in seconds',
      ].map((c) => parseCard(c.padEnd(80))),
    );
    expect(midExposureUtc(h).isoUtc).toBe('2013-05-05T04:09:41.500000');
  });

  it('honours dateObsMarks and the exposureS override', () => {
    const h = hdr({ 'DATE-OBS': '2020-01-01T00:00:10', EXPTIME: 20 });
    expect(midExposureUtc(h, { dateObsMarks: 'mid' }).isoUtc).toBe('2020-01-01T00:00:10.000000');
    expect(midExposureUtc(h, { dateObsMarks: 'end' }).isoUtc).toBe('2020-01-01T00:00:00.000000');
    expect(midExposureUtc(h, { dateObsMarks: 'end' }).startJdUtc).toEqual(isoToJd('2019-12-31T23:59:50'));
    expect(midExposureUtc(h, { exposureS: 4 }).isoUtc).toBe('2020-01-01T00:00:12.000000');
    expect(midExposureUtc(hdr({ 'DATE-OBS': '2020-01-01T00:00:10' }), { dateObsMarks: 'mid' }).isoUtc).toBe('2020-01-01T00:00:10.000000');
  });

  it('converts GPS (TAI − 19 s) and prefers the explicit mid-point keywords', () => {
    const gps = midExposureUtc(hdr({ TIMESYS: 'GPS', 'DATE-OBS': '2020-01-01T00:00:18', EXPTIME: 0 }));
    expect(gps.isoUtc).toBe('2020-01-01T00:00:00.000000'); // GPS − UTC = 37 − 19 = 18 s
    expect(midExposureUtc(hdr({ 'MJD-AVG': 59000.5, 'DATE-OBS': '2000-01-01T00:00:00', EXPTIME: 5 })).isoUtc).toBe(
      '2020-05-31T12:00:00.000000',
    );
    expect(midExposureUtc(hdr({ 'DATE-OBS': '2020-05-31', 'MJD-OBS': 59000.25, EXPTIME: 7200 })).isoUtc).toBe(
      '2020-05-31T07:00:00.000000',
    );
    expect(midExposureUtc(hdr({ 'DATE-OBS': '2020-05-31T06:00:00', 'DATE-END': '2020-05-31T06:10:00' })).exposureS).toBeCloseTo(600, 9);
  });

  it('parses the old DD/MM/YY form as 19YY', () => {
    expect(parseFitsDate('14/10/96')).toMatchObject({ year: 1996, month: 10, day: 14, hasTime: false });
    expect(codeOf(() => parseFitsDate('31/02/96'))).toBe('BAD_FORMAT');
  });

  it('says what is missing or malformed, by keyword', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ EXPTIME: 5 }, 'MISSING_KEYWORD', /DATE-OBS/],
      [{ 'DATE-OBS': '2020-01-01T00:00:00' }, 'MISSING_KEYWORD', /EXPTIME/],
      [{ 'DATE-OBS': '2020-01-01', EXPTIME: 5 }, 'MISSING_KEYWORD', /time of day/],
      [{ 'DATE-OBS': 20200101, EXPTIME: 5 }, 'BAD_FORMAT', /DATE-OBS/],
      [{ 'DATE-OBS': '2020-01-01T00:00:00', EXPTIME: 'long' }, 'BAD_FORMAT', /EXPTIME/],
      [{ 'DATE-OBS': '2020-01-01T00:00:00', EXPTIME: -1 }, 'BAD_FORMAT', /EXPTIME/],
      [{ 'DATE-OBS': '2020-01-01', 'TIME-OBS': '25:00:00', EXPTIME: 1 }, 'BAD_FORMAT', /TIME-OBS/],
      [{ 'DATE-OBS': '2020-01-01', 'MJD-OBS': 59000.25, EXPTIME: 1 }, 'BAD_FORMAT', /MJD-OBS/],
      [{ 'DATE-OBS': '2020-02-30T00:00:00', EXPTIME: 1 }, 'BAD_FORMAT', /DATE-OBS/],
      [{ TIMESYS: 'TCG', 'DATE-OBS': '2020-01-01T00:00:00', EXPTIME: 1 }, 'UNSUPPORTED', /TIMESYS/],
      [{ 'DATE-BEG': '2020-01-01T00:00:10', 'DATE-END': '2020-01-01T00:00:00' }, 'BAD_FORMAT', /DATE-END/],
      [{ 'DATE-OBS': '1969-07-20T20:17:40', EXPTIME: 1 }, 'OUT_OF_RANGE', /1972/],
    ];
    for (const [cards, code, msg] of cases) {
      expect(codeOf(() => midExposureUtc(hdr(cards)))).toBe(code);
      expect(() => midExposureUtc(hdr(cards))).toThrow(msg);
    }
    expect(codeOf(() => midExposureUtc(null as unknown as { get(k: string): unknown }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => midExposureUtc(hdr({ 'DATE-OBS': '2020-01-01T00:00:00' }), { exposureS: Number.NaN }))).toBe('BAD_ARGUMENT');
    expect(codeOf(() => midExposureUtc(hdr({ 'DATE-OBS': '2020-01-01T00:00:00' }), { dateObsMarks: 'x' as 'mid' }))).toBe('BAD_ARGUMENT');
  });
});
