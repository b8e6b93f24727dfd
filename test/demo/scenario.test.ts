import { describe, expect, it } from 'vitest';
import { horizontal } from '../../src/agent/devices/coordinates.js';
import { DemoError } from '../../src/demo/errors.js';
import { buildScenario, checkSettings, darkIntervals, defaultSettings, jdOf } from '../../src/demo/scenario.js';
import { OBSERVATORIES } from '../../src/demo/sites.js';
import { demoStars, jdUtcOfBjdTdb } from '../../src/demo/sky.js';

const ctio = OBSERVATORIES.find((o) => o.key === 'ctio')!;

describe('demo scenario', () => {
  it('finds the night at a site where astropy does', () => {
    // Golden values: astropy 5.2.1, get_sun(t).transform_to(AltAz(location=EarthLocation(
    // lat=-30.165278°, lon=-70.815°, height=2215 m))) (no refraction) crosses −12° at
    // 2026-03-19T23:47:05 and 2026-03-20T09:54:53 UTC.
    const d = darkIntervals(ctio, new Date('2026-03-19T20:00:00Z'), new Date('2026-03-20T16:00:00Z'), 1);
    expect(d).toHaveLength(1);
    expect(Math.abs(d[0].start.getTime() - Date.parse('2026-03-19T23:47:05Z')) / 60_000).toBeLessThan(1.5);
    expect(Math.abs(d[0].end.getTime() - Date.parse('2026-03-20T09:54:53Z')) / 60_000).toBeLessThan(1.5);
  });

  it('is the same scenario for the same settings, and the next night on a re-run', async () => {
    const s = defaultSettings(true);
    const a = await buildScenario(s, { runIndex: 0, nightOffset: 0 }, demoStars(s.seed));
    const b = await buildScenario(s, { runIndex: 0, nightOffset: 0 }, demoStars(s.seed));
    expect(b.truth.variable).toEqual(a.truth.variable);
    expect(b.truth.planets.archival).toEqual(a.truth.planets.archival);
    expect(b.missions.map((m) => m.input)).toEqual(a.missions.map((m) => m.input));
    const next = await buildScenario(s, { runIndex: 1, nightOffset: 1 }, demoStars(s.seed));
    expect(next.startUtc.getTime() - a.startUtc.getTime()).toBe(86_400_000);
  });

  it('fast: four nodes on the Americas, Hawaii and La Palma, all dark for hours, one cloud bank', async () => {
    const s = defaultSettings(true);
    const sc = await buildScenario(s, { runIndex: 0, nightOffset: 0 }, demoStars(s.seed));
    expect(sc.nodes.map((n) => n.site.key)).toEqual(['ctio', 'kpno', 'maunakea', 'lapalma']);
    for (const n of sc.nodes) expect(n.dark.reduce((t, d) => t + d.end.getTime() - d.start.getTime(), 0)).toBeGreaterThan(2 * 3_600_000);
    expect(sc.nodes.filter((n) => n.clouds.kind === 'banks')).toHaveLength(1);
    expect(sc.observeTransit).toBe(false);
    expect(new Set(sc.nodes.map((n) => n.instrument.label)).size).toBe(4);
  });

  it('full: a dozen sites round the world, each dark at some time of the span', async () => {
    const s = defaultSettings(false);
    const sc = await buildScenario(s, { runIndex: 0, nightOffset: 0 }, demoStars(s.seed));
    expect(sc.nodes).toHaveLength(12);
    expect(new Set(sc.nodes.map((n) => n.site.continent.split(' ')[0])).size).toBeGreaterThanOrEqual(6);
    for (const n of sc.nodes) expect(n.dark.length).toBeGreaterThan(0);
    expect(sc.observeTransit).toBe(true);
  });

  it('missions fit their windows, and the transit window is centred on the predicted transit', async () => {
    const s = defaultSettings(false);
    const sc = await buildScenario(s, { runIndex: 0, nightOffset: 0 }, demoStars(s.seed));
    const v = sc.missions.find((m) => m.kind === 'variable')!.input;
    expect(new Date(v.windowStart as Date).getTime()).toBeGreaterThanOrEqual(sc.startUtc.getTime());
    expect(new Date(v.windowEnd as Date).getTime()).toBeLessThanOrEqual(sc.endUtc.getTime());
    const t = sc.missions.find((m) => m.kind === 'transit')!.input;
    const mid = (new Date(t.windowStart as Date).getTime() + new Date(t.windowEnd as Date).getTime()) / 2;
    const predictedUtc = jdUtcOfBjdTdb(sc.truth.planets.night.predictedBjd, sc.truth.host);
    expect(Math.abs(jdOf(new Date(mid)) - predictedUtc) * 86400).toBeLessThan(1);
    // Inside tonight's span, and the host is up for some node at mid-transit.
    expect(mid).toBeGreaterThan(sc.startUtc.getTime());
    expect(mid).toBeLessThan(sc.endUtc.getTime());
    const up = sc.nodes.filter((n) => horizontal(sc.truth.host.raDeg, sc.truth.host.decDeg, { latDeg: n.site.latDeg, lonDeg: n.site.lonDeg, heightM: n.site.elevationM }, new Date(mid)).altDeg > 30);
    expect(up.length).toBeGreaterThanOrEqual(2);
  });

  it('raises the ToO where nodes in the dark can see it', async () => {
    const s = defaultSettings(true);
    const sc = await buildScenario(s, { runIndex: 0, nightOffset: 0 }, demoStars(s.seed));
    const too = sc.missions.find((m) => m.kind === 'too')!;
    expect(too.createAt).toEqual(sc.alertAt);
    expect(too.input.priority).toBeGreaterThan(Math.max(...sc.missions.filter((m) => m.kind !== 'too').map((m) => m.input.priority ?? 0)));
    const seen = sc.nodes.filter(
      (n) =>
        n.dark.some((d) => d.start <= sc.alertAt && d.end > sc.alertAt) &&
        horizontal(too.input.raDeg!, too.input.decDeg!, { latDeg: n.site.latDeg, lonDeg: n.site.lonDeg, heightM: n.site.elevationM }, sc.alertAt).altDeg > 35,
    );
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('refuses settings out of range with a typed error', () => {
    expect(() => checkSettings({ ...defaultSettings(false), nodes: 99 })).toThrow(DemoError);
    expect(() => checkSettings({ ...defaultSettings(false), nights: 0 })).toThrow(/--nights/);
    expect(() => checkSettings({ ...defaultSettings(true), speed: 0 })).toThrow(/--speed/);
    expect(() => checkSettings({ ...defaultSettings(true), seed: -1 })).toThrow(/--seed/);
  });
});
