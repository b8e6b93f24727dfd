import { describe, expect, it } from 'vitest';
import { DemoError } from '../../src/demo/errors.js';
import { hostFlux, makePlanetSystem } from '../../src/demo/planets.js';
import { simulateTransits } from '../../src/science/dynamics/index.js';
import { EARTH_MASS_MSUN } from '../../src/science/ttv/index.js';

const TARGET = 2461119.85;

describe('demo planetary system', () => {
  const sys = makePlanetSystem({ seed: 3, targetBjd: TARGET });
  const quiet = makePlanetSystem({ seed: 3, targetBjd: TARGET, noise: false });

  it('puts the archive’s prediction for the night exactly on the requested time', () => {
    expect(sys.night.predictedBjd).toBe(TARGET);
    const e = sys.ephemeris;
    expect(e.t0Bjd + (sys.night.epoch - e.referenceEpoch) * e.periodDays).toBeCloseTo(TARGET, 9);
    // The true transit differs from the prediction by the companion's pull: minutes, not hours.
    expect(Math.abs(sys.night.trueBjd - TARGET) * 1440).toBeLessThan(30);
  });

  it('archival times are the n-body times plus the stated noise', () => {
    for (const a of quiet.archival) expect(a.bjdTdb).toBeCloseTo(quiet.truth.transitTimes[a.epoch], 9);
    const z = sys.archival.map((a, i) => (a.bjdTdb - quiet.archival[i].bjdTdb) / a.sigmaDays);
    const rms = Math.sqrt(z.reduce((s, v) => s + v * v, 0) / z.length);
    expect(rms).toBeGreaterThan(0.6);
    expect(rms).toBeLessThan(1.5);
    for (const a of sys.archival) {
      expect(a.sigmaDays * 1440).toBeGreaterThanOrEqual(0.5);
      expect(a.sigmaDays * 1440).toBeLessThanOrEqual(1.2);
      expect(a.bjdTdb).toBeLessThan(TARGET);
    }
  });

  it('reproduces its transit times from its own elements with the dynamics module', () => {
    const t = sys.truth;
    const again = simulateTransits(
      {
        coordinates: 'jacobi-elements',
        G: 0.01720209895 ** 2,
        stellarMassMsun: t.stellarMassMsun,
        epochDays: t.epochBjd,
        planets: [t.transiting, t.companion].map((p) => ({
          massMsun: p.massEarth * EARTH_MASS_MSUN,
          periodDays: p.periodDays,
          eccentricity: 0,
          inclinationDeg: 90,
          longitudeOfNodeDeg: 0,
          argumentOfPeriapsisDeg: 90,
          conjunctionDays: p.conjunctionBjd,
        })),
      },
      { stepDays: t.transiting.periodDays / 40, endDays: TARGET + 5 },
    );
    const b = Array.from(again.timeDays).filter((_, i) => again.planet[i] === 0);
    expect(b.length).toBeGreaterThan(50);
    for (let k = 0; k < b.length; k++) expect(Math.abs(b[k] - t.transitTimes[k]) * 86400).toBeLessThan(1);
  });

  it('carries a TTV signal of minutes (the companion is detectable)', () => {
    const t = quiet.truth.transitTimes;
    const n = t.length;
    let sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (let i = 0; i < n; i++) {
      sx += i;
      sy += t[i];
      sxx += i * i;
      sxy += i * t[i];
    }
    const p = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    const t0 = (sy - p * sx) / n;
    const oc = Array.from(t, (v, i) => (v - t0 - p * i) * 1440);
    expect(Math.max(...oc) - Math.min(...oc)).toBeGreaterThan(4);
    // The companion lies 1–3 % outside the 2:1 period ratio.
    const ratio = quiet.truth.companion.periodDays / quiet.truth.transiting.periodDays;
    expect(ratio).toBeGreaterThan(2.02);
    expect(ratio).toBeLessThan(2.065);
  });

  it('the host dims by the limb-darkened depth at mid-transit and not at all between transits', () => {
    const t = sys.truth;
    const s = t.shape;
    const tc = t.transitTimes[sys.night.epoch];
    // Small-planet limit: depth = k² I(μ)/⟨I⟩ at the impact parameter b = a cos i.
    const bImpact = s.aOverRstar * Math.cos((s.incDeg * Math.PI) / 180);
    const mu = Math.sqrt(1 - bImpact * bImpact);
    const [u1, u2] = s.u;
    const depth = (s.rp ** 2 * (1 - u1 * (1 - mu) - u2 * (1 - mu) ** 2)) / (1 - u1 / 3 - u2 / 6);
    expect(1 - hostFlux(t, tc)).toBeCloseTo(depth, 3);
    expect(hostFlux(t, tc + t.transiting.periodDays / 2)).toBe(1);
    expect(hostFlux(t, tc - 0.2)).toBe(1);
  });

  it('refuses nonsense', () => {
    expect(() => makePlanetSystem({ seed: 1.5, targetBjd: TARGET })).toThrow(DemoError);
    expect(() => makePlanetSystem({ seed: 1, targetBjd: NaN })).toThrow(/targetBjd/);
  });
});
