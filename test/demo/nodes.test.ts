import { describe, expect, it } from 'vitest';
import { transparencyAt } from '../../src/agent/devices/simulator/clouds.js';
import { asciiText, cloudModel, Link, nodeConfig, TruthLog } from '../../src/demo/nodes.js';
import { buildScenario, defaultSettings } from '../../src/demo/scenario.js';
import { INSTRUMENTS, OBSERVATORIES } from '../../src/demo/sites.js';
import { demoStars } from '../../src/demo/sky.js';

describe('demo nodes', () => {
  it('writes only printable ASCII into FITS header values', () => {
    expect(asciiText('250 mm f/8 Ritchey–Chrétien (reduced) + CCD at TÜBİTAK (Bakırlıtepe)')).toBe('250 mm f/8 Ritchey-Chretien (reduced) + CCD at TUBITAK (Bakirlitepe)');
    for (const i of INSTRUMENTS) for (const o of OBSERVATORIES) expect(asciiText(`${i.label} at ${o.name}`)).toMatch(/^[\x20-\x7e]+$/);
  });

  it('cloud banks are unsafe inside and clear outside; thin clouds never unsafe', () => {
    const start = new Date('2026-03-20T03:00:00Z');
    const end = new Date('2026-03-20T04:00:00Z');
    const m = cloudModel({ kind: 'banks', banks: [{ start, end, transparency: 0.1 }] });
    expect(transparencyAt(m, new Date('2026-03-20T02:59:59Z'))).toBe(1);
    expect(transparencyAt(m, new Date('2026-03-20T03:30:00Z'))).toBe(0.1);
    expect(transparencyAt(m, end)).toBe(1);
    const thin = cloudModel({ kind: 'thin', seed: 4 });
    let lowest = 1;
    for (let t = 0; t < 86_400_000; t += 60_000) lowest = Math.min(lowest, transparencyAt(thin, new Date(start.getTime() + t)));
    expect(lowest).toBeGreaterThanOrEqual(0.55);
    expect(lowest).toBeLessThan(0.9);
  });

  it('a cut link fails like a dead router', async () => {
    const link = new Link();
    link.cut();
    expect(link.up).toBe(false);
    await expect(link.fetch('http://127.0.0.1:9/')).rejects.toThrow(/lost its internet connection/);
  });

  it('finds the truth of a frame by node and start time', () => {
    const log = new TruthLog();
    log.record({ node: 'a', startMs: 1000, exposureS: 60, mags: { variable: 12.5 }, transparency: 1, airmass: 1.2 });
    log.record({ node: 'a', startMs: 70_000, exposureS: 60, mags: { variable: 12.7 }, transparency: 1, airmass: 1.2 });
    expect(log.find('a', 1400)?.mags.variable).toBe(12.5);
    expect(log.find('a', 69_000)?.mags.variable).toBe(12.7);
    expect(log.find('a', 30_000)).toBeUndefined();
    expect(log.find('b', 1000)).toBeUndefined();
    expect(log.count()).toBe(2);
  });

  it('configures each agent as an owner would: registration, site, optics, simulator', async () => {
    const s = defaultSettings(true);
    const sc = await buildScenario(s, { runIndex: 0, nightOffset: 0 }, demoStars(s.seed));
    const plan = sc.nodes[0];
    const c = nodeConfig({ plan, serverUrl: 'http://127.0.0.1:8080', operatorToken: 'operator-token-0123456789', nodesDir: '/tmp/nodes' });
    expect(c.register?.name).toBe(plan.name);
    expect(c.stateDir).toBe(`/tmp/nodes/${plan.name}`);
    expect(c.site).toMatchObject({ latDeg: plan.site.latDeg, lonDeg: plan.site.lonDeg });
    expect(c.optics).toMatchObject({ apertureMm: plan.instrument.optics.apertureMm, sensorWidthPx: plan.instrument.optics.widthPx });
    expect(c.heartbeatIntervalS).toBe(30);
  });
});
