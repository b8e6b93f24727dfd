import { describe, expect, it } from 'vitest';
import { bjdTdbOfJdUtc, demoCatalog, demoStars, isolated, jdUtcOfBjdTdb, STAR_MAG_LIMIT, transientMag, variableMag } from '../../src/demo/sky.js';
import type { Truth } from '../../src/demo/scenario.js';
import { angularSeparationDeg } from '../../src/science/wcs/geometry.js';

describe('demo sky', () => {
  it('converts UTC to BJD_TDB as astropy does', () => {
    // Golden value: astropy 5.2.1 (Debian /usr/bin/python3), Time(2461119.85, format='jd',
    // scale='utc').tdb + light_travel_time(SkyCoord(196.3°, 2.9°), 'barycentric',
    // location=EarthLocation.from_geodetic(0°, 0°, 0 m)) = 2461119.8563202629.
    const bjd = bjdTdbOfJdUtc(2461119.85, { raDeg: 196.3, decDeg: 2.9 });
    expect(Math.abs(bjd - 2461119.8563202629) * 86400).toBeLessThan(0.05);
    expect(Math.abs(jdUtcOfBjdTdb(bjd, { raDeg: 196.3, decDeg: 2.9 }) - 2461119.85) * 86400).toBeLessThan(0.001);
  });

  it('gives the pipeline the very stars the cameras render', async () => {
    const stars = demoStars(5);
    const catalog = demoCatalog(stars);
    const fromSky = await stars.cone(186.5, 6.1, 0.3, new Date('2026-03-20T00:00:00Z'));
    const fromCatalog = await catalog.cone(186.5, 6.1, 0.3, { epochYr: 2026.2 });
    expect(fromCatalog.raDeg.length).toBe(fromSky.length);
    expect(fromSky.length).toBeGreaterThan(100); // a field of 0.28 deg² to V ≈ 17.5
    fromSky.forEach((s, i) => {
      expect(fromCatalog.raDeg[i]).toBe(s.raDeg);
      expect(fromCatalog.mag[i]).toBe(s.mag);
      expect(s.mag).toBeLessThanOrEqual(STAR_MAG_LIMIT);
    });
    // One seed, one sky; another seed, another sky.
    const other = await demoStars(6).cone(186.5, 6.1, 0.3, new Date('2026-03-20T00:00:00Z'));
    expect(other.map((s) => s.raDeg)).not.toEqual(fromSky.map((s) => s.raDeg));
  });

  it('moves a target off any catalog star', async () => {
    const stars = demoStars(5);
    // Start exactly on a star.
    const [s] = await stars.cone(172, -3, 0.2, new Date());
    const p = await isolated(stars, { raDeg: s.raDeg, decDeg: s.decDeg }, 25);
    const near = await stars.cone(p.raDeg, p.decDeg, 60 / 3600, new Date());
    for (const n of near) expect(angularSeparationDeg(n.raDeg, n.decDeg, p.raDeg, p.decDeg) * 3600).toBeGreaterThanOrEqual(25);
    expect(p.raDeg).toBe(s.raDeg);
  });

  it('the variable repeats with its period around its mean magnitude', () => {
    const v: Truth['variable'] = { id: 'variable', raDeg: 0, decDeg: 0, meanMag: 12.8, amplitudeMag: 0.25, periodDays: 0.11, epochJd: 2461119.5 };
    const jd = 2461119.73;
    expect(variableMag(v, jd + v.periodDays)).toBeCloseTo(variableMag(v, jd), 7);
    let mean = 0;
    const n = 1000;
    for (let k = 0; k < n; k++) mean += variableMag(v, v.epochJd + (k / n) * v.periodDays) / n;
    expect(mean).toBeCloseTo(12.8, 9);
    // Brightest at the epoch, faintest half a period later.
    expect(variableMag(v, v.epochJd)).toBeCloseTo(12.8 - 0.25, 9);
    expect(variableMag(v, v.epochJd + v.periodDays / 2)).toBeCloseTo(12.8 + 0.25, 6);
  });

  it('the transient is invisible before it appears and fades after', () => {
    const alert = new Date('2026-03-20T04:30:00Z');
    const t: Truth['transient'] = { id: 'transient', raDeg: 0, decDeg: 0, magAtAlert: 13.2, fadeMagPerDay: 0.4, appearedAt: new Date('2026-03-20T04:00:00Z') };
    const jd = (d: Date) => d.getTime() / 86_400_000 + 2440587.5;
    expect(transientMag(t, alert, jd(new Date('2026-03-20T03:59:00Z')))).toBe(30);
    expect(transientMag(t, alert, jd(alert))).toBeCloseTo(13.2, 12);
    expect(transientMag(t, alert, jd(alert) + 1)).toBeCloseTo(13.6, 12);
  });
});
