import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/network/clock.js';
import { isAgentError } from '../../src/agent/errors.js';
import { horizontal } from '../../src/agent/devices/coordinates.js';
import { manualSleep, realSleep } from '../../src/agent/devices/time.js';
import {
  createSimulatedObservatory,
  listSky,
  proceduralSky,
  SimulatedCamera,
  SimulatedWeather,
  transparencyAt,
  type SimulatedObservatoryOptions,
} from '../../src/agent/devices/simulator/index.js';
import { FitsReader } from '../../src/science/fits/index.js';
import { expectedStarCount, vignettingAt, resolveOptics, type Optics } from '../../src/science/sky/index.js';
import { angularSeparationDeg, skyToPix } from '../../src/science/wcs/index.js';

const SITE = { latDeg: 50, lonDeg: 10, heightM: 100 };
const NIGHT = '2026-01-15T22:00:00Z';
const OPTICS: Optics = {
  apertureMm: 200,
  focalLengthMm: 800,
  pixelSizeUm: 7.52,
  widthPx: 384,
  heightPx: 320,
  gainEPerAdu: 1.5,
  readNoiseE: 5,
  darkCurrentEPerS: 0.02,
  biasAdu: 1000,
  fullWellE: 60000,
  vignetting: { kind: 'cos4' },
};

function observatory(extra: Partial<SimulatedObservatoryOptions> = {}) {
  const clock = manualClock(NIGHT);
  const obs = createSimulatedObservatory({ site: SITE, optics: OPTICS, clock, sleep: manualSleep(clock), seed: 42, ...extra });
  return { clock, ...obs };
}

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAgentError(err), `expected AgentError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

describe('simulated mount', () => {
  it('refuses motion while parked and targets below the horizon; slews take clock time', async () => {
    const { clock, mount } = observatory({ mount: { slewRateDegPerS: 2, settleS: 3 } });
    await expectCode(mount.slew(83.822, -5.391), 'NOT_CONNECTED');
    await mount.connect();
    expect(await mount.isParked()).toBe(true);
    await expectCode(mount.slew(83.822, -5.391), 'PARKED');
    await mount.unpark();
    // Dec −80 never rises at latitude +50.
    await expectCode(mount.slew(120, -80), 'BELOW_HORIZON');
    const before = await mount.position();
    const t0 = clock.now().getTime();
    const pos = await mount.slew(83.822, -5.391);
    const sep = angularSeparationDeg(before.raDeg, before.decDeg, 83.822, -5.391);
    expect(clock.now().getTime() - t0).toBeCloseTo((sep / 2 + 3) * 1000, -1);
    expect(pos).toMatchObject({ tracking: true, parked: false, slewing: false });
    const now = await mount.position();
    expect(now.raDeg).toBeCloseTo(83.822, 9);
    expect(now.decDeg).toBeCloseTo(-5.391, 9);
  });

  it('a target below the altitude limit now but up later is refused now', async () => {
    const { clock, mount } = observatory({ mount: { minAltitudeDeg: 20 } });
    await mount.connect();
    await mount.unpark();
    // Vega from latitude 50 at 22:00 UT in January: low in the north.
    const alt = horizontal(279.2347, 38.7837, SITE, clock.now()).altDeg;
    expect(alt).toBeLessThan(20);
    await expectCode(mount.slew(279.2347, 38.7837), 'BELOW_HORIZON');
  });

  it('pointing error: one seeded draw per slew with the configured rms', async () => {
    const { mount, clock } = observatory({ mount: { pointingErrorArcsec: 90, slewRateDegPerS: 1000, settleS: 0 } });
    await mount.connect();
    await mount.unpark();
    const errs: number[] = [];
    for (let i = 0; i < 300; i++) {
      await mount.slew(83 + (i % 3), -5);
      const t = mount.truth(clock.now());
      errs.push(t.errorArcsec[0], t.errorArcsec[1]);
      const sep = angularSeparationDeg(t.trueRaDeg, t.trueDecDeg, t.requestedRaDeg, t.requestedDecDeg) * 3600;
      expect(sep).toBeCloseTo(Math.hypot(t.errorArcsec[0], t.errorArcsec[1]), 0);
    }
    const rms = Math.sqrt(errs.reduce((s, e) => s + e * e, 0) / errs.length);
    // 600 draws: the rms is within ±3σ = ±3·90/√1200 of 90″.
    expect(Math.abs(rms - 90)).toBeLessThan((3 * 90) / Math.sqrt(1200));
  });

  it('tracking off holds the hour angle: RA follows sidereal time', async () => {
    const { mount, clock } = observatory();
    await mount.connect();
    await mount.unpark();
    await mount.slew(83.822, -5.391);
    await mount.track(false);
    const a = await mount.position();
    clock.advance(3600e3);
    const b = await mount.position();
    // One sidereal hour = 15.041° of RA per solar hour.
    expect(((b.raDeg - a.raDeg + 360) % 360)).toBeCloseTo(15.041, 2);
    await mount.park();
    expect(await mount.isParked()).toBe(true);
  });

  it('abort during a real-time slew stops the mount where it got to', async () => {
    const clock = manualClock(NIGHT);
    const obs = createSimulatedObservatory({ site: SITE, optics: OPTICS, clock, sleep: realSleep(), seed: 1, mount: { slewRateDegPerS: 0.001 } });
    await obs.mount.connect();
    await obs.mount.unpark();
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 30);
    await expectCode(obs.mount.slew(83.822, -5.391, { signal: ctl.signal }), 'ABORTED');
    expect((await obs.mount.position()).slewing).toBe(false);
    await expectCode(obs.mount.slew(83.822, -5.391, { timeoutMs: 20 }), 'TIMEOUT');
  });
});

describe('simulated camera', () => {
  it('light frame: standard keywords, no WCS, DATE-OBS at the start, exposure takes clock time', async () => {
    const { clock, mount, camera, filterWheel } = observatory();
    for (const d of [mount, camera, filterWheel]) await d.connect();
    await mount.unpark();
    await mount.slew(83.822, -5.391);
    await filterWheel.select('V');
    await camera.cooler(-10);
    const start = clock.now();
    const frame = await camera.expose(30, { frameType: 'light', object: 'M42 field' });
    expect(clock.now().getTime() - start.getTime()).toBe(31_000); // 30 s + 1 s readout
    const reader = await FitsReader.open(frame.fits);
    const h = reader.hdus[0].header;
    expect(h.get('DATE-OBS')).toBe(start.toISOString());
    expect(h.get('EXPTIME')).toBe(30);
    expect(h.get('FILTER')).toBe('V');
    expect(h.get('OBJECT')).toBe('M42 field');
    expect(h.get('IMAGETYP')).toBe('Light Frame');
    expect(h.get('RA')).toBeCloseTo(83.822, 9);
    expect(h.get('DEC')).toBeCloseTo(-5.391, 9);
    expect(h.get('XPIXSZ')).toBe(7.52);
    expect(h.get('YPIXSZ')).toBe(7.52);
    expect(h.get('FOCALLEN')).toBe(800);
    expect(h.get('APTDIA')).toBe(200);
    expect(h.get('GAIN')).toBe(1.5);
    expect(h.get('SITELAT')).toBe(50);
    expect(h.get('SITELONG')).toBe(10);
    expect(typeof h.get('CCD-TEMP')).toBe('number');
    expect(h.get('TELESCOP')).toBeTypeOf('string');
    expect(h.get('INSTRUME')).toBeTypeOf('string');
    for (const k of ['CTYPE1', 'CRVAL1', 'CD1_1', 'CDELT1', 'PC1_1']) expect(h.has(k)).toBe(false);
    const img = await reader.readImage(0);
    expect(img.width).toBe(384);
    expect(img.height).toBe(320);
    expect(frame.facts).toMatchObject({ exposureS: 30, frameType: 'light', filter: 'V', widthPx: 384, heightPx: 320, binning: 1 });
    // Cooler: exponential approach from ambient (10 °C) with τ = 120 s; switched on at the
    // start of the exposure, so the sensor was still at ambient then.
    expect(frame.facts.ccdTempC).toBeCloseTo(10, 6);
    expect(await camera.temperature()).toBeCloseTo(-10 + 20 * Math.exp(-31 / 120), 6);
    await reader.close();
  });

  it('the stars sit where the true pointing puts them: the pointing error shifts the field', async () => {
    const { clock, mount, camera } = observatory({ mount: { pointingErrorArcsec: 120 }, camera: { wcs: 'rough' } });
    await mount.connect();
    await camera.connect();
    await mount.unpark();
    await mount.slew(83.822, -5.391);
    const frame = await camera.expose(10, { frameType: 'light' });
    const t = frame.truth;
    expect(t.stars.length).toBeGreaterThan(10);
    const reader = await FitsReader.open(frame.fits);
    const { wcsFromHeader } = await import('../../src/science/wcs/index.js');
    const rough = wcsFromHeader(reader.hdus[0].header)!;
    await reader.close();
    // Requested-pointing WCS vs where the stars were drawn: a uniform shift of (east, north)
    // error / scale, east to −x and north to +y (north up, east left).
    const scale = (7.52e-3 / 800) * 206264.806;
    const [e, n] = t.mount!.errorArcsec;
    for (const s of t.stars.slice(0, 20)) {
      const [x, y] = skyToPix(rough, s.raDeg, s.decDeg);
      expect(s.xPx - x).toBeCloseTo(e / scale, 1);
      expect(s.yPx - y).toBeCloseTo(-n / scale, 1);
    }
    expect(Math.hypot(e, n)).toBeGreaterThan(1);
    expect(clock.now().toISOString()).not.toBe(NIGHT);
  });

  it('clouds dim the stars by the transparency and make the weather unsafe', async () => {
    const clear = observatory();
    const cloudy = observatory({ clouds: { kind: 'overcast', transparency: 0.1 } });
    const fluxes: number[][] = [];
    for (const o of [clear, cloudy]) {
      for (const d of [o.mount, o.camera, o.weather]) await d.connect();
      await o.mount.unpark();
      await o.mount.slew(83.822, -5.391);
      const f = await o.camera.expose(10, { frameType: 'light' });
      fluxes.push(f.truth.stars.map((s) => s.fluxE));
    }
    expect(fluxes[0].length).toBe(fluxes[1].length);
    for (let i = 0; i < fluxes[0].length; i++) expect(fluxes[1][i] / fluxes[0][i]).toBeCloseTo(0.1, 6);
    expect(await clear.weather.isSafe()).toBe(true);
    const r = await cloudy.weather.reading();
    expect(r.safe).toBe(false);
    expect(r.reasons.join()).toMatch(/transparency 0.10/);
  });

  it('passing clouds are deterministic in time and come and go', () => {
    const model = { kind: 'passing' as const, seed: 3, cellS: 300 };
    const t0 = Date.parse(NIGHT);
    const values = Array.from({ length: 2000 }, (_, i) => transparencyAt(model, new Date(t0 + i * 30e3)));
    const again = Array.from({ length: 2000 }, (_, i) => transparencyAt(model, new Date(t0 + i * 30e3)));
    expect(values).toEqual(again);
    const cloudyFraction = values.filter((v) => v < 1).length / values.length;
    // Cells cloudy with p = 0.3, the cloud covering 30–100 % of the cell (mean 65 %): ~0.2.
    expect(cloudyFraction).toBeGreaterThan(0.12);
    expect(cloudyFraction).toBeLessThan(0.28);
    const w = new SimulatedWeather({ clock: manualClock(NIGHT), clouds: model });
    expect(w.name).toBeTypeOf('string');
  });

  it('flat frames show the vignetting; darks hold bias + dark current', async () => {
    const { camera } = observatory();
    await camera.connect();
    const flat = await camera.expose(2, { frameType: 'flat' });
    const r = await FitsReader.open(flat.fits);
    const img = await r.readImage(0);
    await r.close();
    const w = img.width;
    const ro = resolveOptics(OPTICS);
    const mean = (x0: number, y0: number): number => {
      let s = 0;
      for (let y = y0; y < y0 + 8; y++) for (let x = x0; x < x0 + 8; x++) s += Number(img.data[y * w + x]);
      return s / 64 - 1000;
    };
    const centre = mean(188, 156);
    const corner = mean(0, 0);
    expect(corner / centre).toBeCloseTo(vignettingAt(ro, 3.5, 3.5) / vignettingAt(ro, 191.5, 159.5), 2);
    expect(centre * 1.5).toBeGreaterThan(0.35 * 60000);
    expect(centre * 1.5).toBeLessThan(0.45 * 60000);

    const dark = await camera.expose(100, { frameType: 'dark' });
    const rd = await FitsReader.open(dark.fits);
    const dimg = await rd.readImage(0);
    expect(rd.hdus[0].header.get('IMAGETYP')).toBe('Dark Frame');
    await rd.close();
    let s = 0;
    for (let i = 0; i < dimg.data.length; i++) s += Number(dimg.data[i]);
    // 0.02 e⁻/s × 100 s = 2 e⁻ = 1.33 ADU above the bias; σ of the mean ≈ 3.4 ADU / √122880.
    expect(s / dimg.data.length - 1000).toBeCloseTo(2 / 1.5, 1);

    const bias = await camera.expose(0, { frameType: 'bias' });
    expect(bias.facts.exposureS).toBe(0);
  });

  it('bad requests are typed errors; a second exposure while one runs is BUSY; abort() stops it', async () => {
    const clock = manualClock(NIGHT);
    const camera = new SimulatedCamera({ site: SITE, optics: OPTICS, clock, sleep: realSleep(), seed: 1 });
    await camera.connect();
    await expectCode(camera.expose(-1, { frameType: 'light' }), 'BAD_ARGUMENT');
    await expectCode(camera.expose(1, { frameType: 'science' as never }), 'BAD_ARGUMENT');
    await expectCode(camera.expose(1, { frameType: 'light', binning: 3.5 }), 'BAD_ARGUMENT');
    const long = camera.expose(60, { frameType: 'dark' });
    await new Promise((r) => setTimeout(r, 20));
    await expectCode(camera.expose(1, { frameType: 'dark' }), 'BUSY');
    await camera.abort();
    await expectCode(long, 'ABORTED');
    await expectCode(camera.cooler(-99), 'BAD_ARGUMENT');
  });

  it('binning halves the frame and doubles the pixel size', async () => {
    const { camera } = observatory();
    await camera.connect();
    const f = await camera.expose(1, { frameType: 'dark', binning: 2 });
    expect(f.facts).toMatchObject({ widthPx: 192, heightPx: 160, binning: 2 });
    const r = await FitsReader.open(f.fits);
    expect(r.hdus[0].header.get('XPIXSZ')).toBeCloseTo(15.04, 9);
    expect(r.hdus[0].header.get('XBINNING')).toBe(2);
    await r.close();
  });

  it('filter wheel: unknown filter is FILTER_NOT_PRESENT', async () => {
    const { filterWheel } = observatory({ filters: ['L', 'R', 'G', 'B'] });
    await filterWheel.connect();
    await expectCode(filterWheel.select('Ha'), 'FILTER_NOT_PRESENT');
    await filterWheel.select('G');
    expect(await filterWheel.current()).toBe('G');
  });
});

describe('procedural sky', () => {
  it('is the same sky from overlapping pointings, with the expected number of stars', async () => {
    const sky = proceduralSky({ seed: 5, magFaint: 14 });
    const at = new Date(NIGHT);
    const a = await sky.cone(100, 20, 1.5, at);
    const b = await sky.cone(100.8, 20.3, 1.5, at);
    const ids = new Set(b.map((s) => s.id));
    const shared = a.filter((s) => angularSeparationDeg(s.raDeg, s.decDeg, 100.8, 20.3) <= 1.5);
    expect(shared.length).toBeGreaterThan(20);
    for (const s of shared) expect(ids.has(s.id)).toBe(true);
    // Count in a 3° cone vs the model (Poisson; ±4σ).
    const big = await sky.cone(200, -30, 3, at);
    const expected = expectedStarCount({ radiusDeg: 3, magBright: 6, magFaint: 14 });
    expect(Math.abs(big.length - expected)).toBeLessThan(4 * Math.sqrt(expected));
    for (const s of big) {
      expect(s.mag).toBeGreaterThanOrEqual(6);
      expect(s.mag).toBeLessThan(14);
    }
    // Across RA = 0 and at the pole.
    const wrap = await sky.cone(0.2, 10, 1, at);
    expect(wrap.some((s) => s.raDeg > 359)).toBe(true);
    const pole = await sky.cone(0, 89.5, 1, at);
    expect(pole.length).toBeGreaterThan(0);
  });

  it('a listed field renders exactly those stars', async () => {
    const stars = [
      { raDeg: 83.822, decDeg: -5.391, mag: 10 },
      { raDeg: 83.8, decDeg: -5.38, mag: 11 },
    ];
    const { mount, camera } = observatory({ camera: { stars: listSky(stars) }, mount: { pointingErrorArcsec: 0 } });
    await mount.connect();
    await camera.connect();
    await mount.unpark();
    await mount.slew(83.822, -5.391);
    const f = await camera.expose(5, { frameType: 'light' });
    expect(f.truth.stars.map((s) => s.mag)).toEqual([10, 11]);
    expect(f.truth.stars[0].xPx).toBeCloseTo(191.5, 6);
    expect(f.truth.stars[0].yPx).toBeCloseTo(159.5, 6);
  });
});
