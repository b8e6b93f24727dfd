/** Sexagesimal coordinates against astropy's Angle.to_string; durations, periods, ages. */
import { describe, expect, it } from 'vitest';
import { formatAgo, formatDec, formatDuration, formatPercent, formatPeriod, formatRa } from '../../web/src/lib/format.js';
import { missingTools } from '../helpers/tools.js';
import { python } from './python.js';

const ras = [0, 10.6847083, 83.63308, 187.7059, 279.23473479, 299.99999, 15 * 23.9999999, 0.000138, 359.9999];
const decs = [0, 41.26875, -5.391111, 12.391123, 38.78368894, -89.99999, 89.5, -0.0000277, -29.0078106];

describe.skipIf(missingTools({ pythonModules: ['astropy'] }) !== undefined)('sexagesimal against astropy', () => {
  it('RA in hours (2 decimals) and Dec in degrees (1 decimal) as astropy writes them', () => {
    const golden = python<{ ra: string[]; dec: string[] }>(
      `
import sys, json
from astropy.coordinates import Angle
import astropy.units as u
d = json.load(sys.stdin)
print(json.dumps({
  'ra': [Angle(v, u.deg).wrap_at(360 * u.deg).to_string(unit=u.hour, sep=':', precision=2, pad=True) for v in d['ra']],
  'dec': [Angle(v, u.deg).to_string(unit=u.deg, sep=':', precision=1, pad=True, alwayssign=True) for v in d['dec']],
}))
`,
      { ra: ras, dec: decs },
    );
    ras.forEach((ra, i) => {
      // astropy writes 24:00:00.00 for RA that rounds up to 24 h; we wrap to 00:00:00.00.
      const want = golden.ra[i].startsWith('24:') ? `00${golden.ra[i].slice(2)}` : golden.ra[i];
      expect(formatRa(ra), `RA ${ra}`).toBe(want);
    });
    decs.forEach((dec, i) => expect(formatDec(dec), `Dec ${dec}`).toBe(golden.dec[i].replace('−', '-')));
  });
});

describe('formats', () => {
  it('durations, percentages, periods, ages', () => {
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(180)).toBe('3 min');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(5400)).toBe('1 h 30 min');
    expect(formatDuration(2 * 86400 + 3 * 3600)).toBe('2 d 3 h');
    expect(formatPercent(0.3)).toBe('30.0%');
    expect(formatPercent(1)).toBe('100%');
    expect(formatPeriod(0.5668)).toBe('0.566800 d (13.603 h)');
    expect(formatPeriod(12.345678)).toBe('12.3457 d');
    expect(formatAgo(null, 0)).toBe('never');
    expect(formatAgo('2026-01-01T00:00:00Z', Date.parse('2026-01-01T00:02:00Z'))).toBe('2 min ago');
    expect(formatRa(NaN)).toBe('—');
  });
});
