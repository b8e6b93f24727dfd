import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/network/clock.js';
import { AgentError } from '../../src/agent/errors.js';
import { manualSleep } from '../../src/agent/devices/time.js';
import { zenithJ2000 } from '../../src/agent/devices/coordinates.js';
import { createSimulatedObservatory, listSky, type SimulatedObservatoryOptions } from '../../src/agent/devices/simulator/index.js';
import { compressFrame, frameFileName, parseFrameFileName, processFrame, readEdgeFrame } from '../../src/agent/edge/index.js';
import { FitsReader, decompressImage } from '../../src/science/fits/index.js';
import { arrayFrame, masterBias, masterDark, masterFlat } from '../../src/science/image/index.js';
import { psfEnclosedFraction, tanWcsForOptics, type Optics } from '../../src/science/sky/index.js';
import { pixToSky } from '../../src/science/wcs/index.js';
import { hasCommand } from '../helpers/tools.js';

const SITE = { latDeg: 50, lonDeg: 10, heightM: 100 };
const NIGHT = '2026-01-15T22:00:00Z';
const OPTICS: Optics = {
  apertureMm: 200,
  focalLengthMm: 1600,
  pixelSizeUm: 3.76,
  widthPx: 400,
  heightPx: 300,
  gainEPerAdu: 1.2,
  readNoiseE: 4,
  darkCurrentEPerS: 0.05,
  biasAdu: 500,
  fullWellE: 50000,
  // A strong fall-off (30 % in the corners) so that flat-fielding has something to remove.
  vignetting: { kind: 'polynomial', coefficients: [-0.3] },
};
// Near the zenith at NIGHT: airmass ≈ 1.
const [RA0, DEC0] = zenithJ2000(SITE, new Date(NIGHT));
const TARGET = { raDeg: (RA0 + 2) % 360, decDeg: DEC0 - 3 };

/** A 5 × 4 grid of isolated stars (mag 11–13) around the target, and their sky positions. */
function gridField(): { stars: Array<{ raDeg: number; decDeg: number; mag: number; id: string }> } {
  const wcs = tanWcsForOptics(OPTICS, TARGET.raDeg, TARGET.decDeg);
  const stars = [];
  for (let j = 0; j < 4; j++) {
    for (let i = 0; i < 5; i++) {
      const [raDeg, decDeg] = pixToSky(wcs, 50 + i * 75, 40 + j * 72);
      stars.push({ raDeg, decDeg, mag: 11 + ((i + j * 5) % 10) * 0.2, id: `g${i}${j}` });
    }
  }
  return { stars };
}

async function observatory(extra: Partial<SimulatedObservatoryOptions> = {}) {
  const clock = manualClock(NIGHT);
  const obs = createSimulatedObservatory({
    site: SITE,
    optics: OPTICS,
    clock,
    sleep: manualSleep(clock),
    seed: 9,
    mount: { pointingErrorArcsec: 0 },
    ...extra,
    camera: { stars: listSky(gridField().stars), ...extra.camera },
  });
  for (const d of [obs.mount, obs.camera, obs.filterWheel]) await d.connect();
  await obs.mount.unpark();
  await obs.mount.slew(TARGET.raDeg, TARGET.decDeg);
  return { clock, ...obs };
}

const opts = { missionId: 'M42a', nodeId: 'node-7' };

describe('edge processing of simulated frames', () => {
  it('counts the rendered stars and measures the FWHM of the PSF drawn (Gaussian)', async () => {
    const { camera } = await observatory({ camera: { psf: { profile: 'gaussian' } } });
    const f = await camera.expose(20, { frameType: 'light' });
    expect(f.truth.stars.length).toBe(20);
    const r = await processFrame(f.fits, opts);
    expect(r.quality.starCount).toBe(20);
    expect(r.quality.fwhmPx / f.truth.meta.psf.fwhmPx).toBeGreaterThan(0.97);
    expect(r.quality.fwhmPx / f.truth.meta.psf.fwhmPx).toBeLessThan(1.03);
    expect(r.upload).toBe(true);
    expect(r.fileName).toBe(frameFileName({ missionId: 'M42a', nodeId: 'node-7', dateObs: f.facts.dateObs }));
    expect(r.fileName).toMatch(/^ObsReq-M42a_TelID-node-7_20260115T2200\d\d\.fits$/);
  });

  it('Moffat stars: the FWHM is the Gaussian core’s, close to the seeing', async () => {
    const { camera } = await observatory();
    const f = await camera.expose(20, { frameType: 'light' });
    const r = await processFrame(f.fits, opts);
    expect(r.quality.starCount).toBe(20);
    expect(Math.abs(r.quality.fwhmPx / f.truth.meta.psf.fwhmPx - 1)).toBeLessThan(0.15);
  });

  it('no stars (thick cloud): not uploaded, reported with the reason', async () => {
    const { camera } = await observatory({ clouds: { kind: 'overcast', transparency: 0.0005 } });
    const f = await camera.expose(20, { frameType: 'light' });
    const r = await processFrame(f.fits, { ...opts, target: { raDeg: TARGET.raDeg, decDeg: TARGET.decDeg } });
    expect(r.quality.starCount).toBe(0);
    expect(r.upload).toBe(false);
    expect(r.compressed).toBeUndefined();
    expect(r.reasons.join()).toMatch(/0 stars < 1/);
    expect(r.measurement).toMatchObject({ upload: false, quality: { stars: 0, fwhmPx: null } });
    expect(JSON.stringify(r.measurement).length).toBeLessThan(1500);
  });

  it('aperture photometry of the target recovers the injected flux; comparisons give its catalog magnitude', async () => {
    const stars = gridField().stars;
    const target = stars[7];
    // Without vignetting here: uncorrected, it would bias the ensemble zero point (that is what flats are for).
    const { camera } = await observatory({ optics: { ...OPTICS, vignetting: { kind: 'none' } }, camera: { wcs: 'rough', psf: { profile: 'gaussian' } } });
    const f = await camera.expose(30, { frameType: 'light', object: 'T1' });
    const comparisons = [stars[1], stars[5], stars[12], stars[16]].map((s) => ({ name: s.id, raDeg: s.raDeg, decDeg: s.decDeg, mag: s.mag }));
    const r = await processFrame(f.fits, { ...opts, target: { name: 'T1', raDeg: target.raDeg, decDeg: target.decDeg }, comparisons, readNoiseE: 4 });
    const ph = r.photometry!;
    const truth = f.truth.stars.find((s) => s.id === target.id)!;
    // Expected ADU in the aperture: electrons × enclosed fraction of the drawn PSF / gain.
    const expected = (truth.fluxE * psfEnclosedFraction(f.truth.meta.psf, ph.apertureRadiusPx)) / 1.2;
    expect(Math.abs(ph.target.flux - expected)).toBeLessThan(4 * ph.target.fluxErr);
    expect(Math.hypot(ph.target.xPx - truth.xPx, ph.target.yPx - truth.yPx)).toBeLessThan(0.1);
    expect(ph.calibrated!.used).toBe(4);
    expect(Math.abs(ph.calibrated!.mag - target.mag)).toBeLessThan(Math.max(0.01, 4 * ph.calibrated!.magErr));
    const json = JSON.stringify(r.measurement);
    expect(json.length).toBeLessThan(1500);
    expect(r.measurement.photometry?.target.name).toBe('T1');
    // Given by pixel instead, without a WCS:
    const second = await (await observatory({ camera: { psf: { profile: 'gaussian' } } })).camera.expose(30, { frameType: 'light' });
    const noWcs = await processFrame(second.fits, { ...opts, target: { xPx: truth.xPx + 1.3, yPx: truth.yPx - 0.8 } });
    expect(Math.hypot(noWcs.photometry!.target.xPx - truth.xPx, noWcs.photometry!.target.yPx - truth.yPx)).toBeLessThan(0.1);
    // A target off the frame: the frame still goes, the measurement says why there is no photometry.
    const off = await processFrame(f.fits, { ...opts, target: { raDeg: (TARGET.raDeg + 120) % 360, decDeg: -TARGET.decDeg } });
    expect(off.upload).toBe(true);
    expect(off.reasons.join()).toMatch(/outside the frame/);
    expect(off.measurement.photometry?.target.flux).toBeNull();
    const { camera: c2 } = await observatory();
    const plain = await c2.expose(5, { frameType: 'light' });
    await expect(processFrame(plain.fits, { ...opts, target: { raDeg: target.raDeg, decDeg: target.decDeg } })).rejects.toMatchObject({ code: 'BAD_FRAME' });
  });

  it('bias/dark/flat masters flatten the sky (vignetting removed)', async () => {
    const { camera } = await observatory({ camera: { stars: listSky([]) } });
    const frames = async (n: number, s: number, type: 'bias' | 'dark' | 'flat') => {
      const out = [];
      for (let i = 0; i < n; i++) {
        const fr = await readEdgeFrame((await camera.expose(s, { frameType: type })).fits);
        out.push(arrayFrame(`${type}${i}`, fr, fr.exposureS));
      }
      return out;
    };
    const bias = await masterBias(await frames(5, 0, 'bias'));
    const dark = await masterDark(await frames(5, 60, 'dark'), { bias });
    const flat = await masterFlat(await frames(5, 3, 'flat'), { bias, dark });
    const light = await camera.expose(60, { frameType: 'light' });
    const skyRatio = (data: Float32Array, w: number, sub: number): number => {
      const mean = (x0: number, y0: number): number => {
        let s = 0;
        for (let y = y0; y < y0 + 20; y++) for (let x = x0; x < x0 + 20; x++) s += data[y * w + x];
        return s / 400 - sub;
      };
      return mean(0, 0) / mean(190, 140);
    };
    const raw = await readEdgeFrame(light.fits);
    const rawRatio = skyRatio(raw.data, raw.width, 500 + (0.05 * 60) / 1.2);
    expect(rawRatio).toBeLessThan(0.8); // vignetted corner
    const r = await processFrame(light.fits, { ...opts, masters: { bias, dark, flat }, minStars: 0 });
    expect(r.measurement.calibrated).toBe(true);
    const { applyCalibration } = await import('../../src/science/image/index.js');
    const cal = applyCalibration({ ...raw, exposureS: 60 }, { bias, dark, flat });
    expect(Math.abs(skyRatio(cal.data, cal.width, 0) - 1)).toBeLessThan(Math.abs(rawRatio - 1) / 3);
    expect(r.quality.skyLevel).toBeCloseTo(cal.data[150 * 400 + 200], -1);
  });

  it('RICE_1 compression is lossless, keeps the header, and is smaller', async () => {
    const { camera } = await observatory();
    const f = await camera.expose(10, { frameType: 'light' });
    const r = await processFrame(f.fits, opts);
    const packed = r.compressed!;
    expect(packed.length).toBeLessThan(f.fits.length * 0.7);
    const reader = await FitsReader.open(packed);
    const hdu = reader.hdus[1];
    const d = decompressImage(hdu.header, await reader.readDataBytes(1));
    await reader.close();
    const orig = await readEdgeFrame(f.fits);
    const same = (a: Float32Array, b: Float32Array): boolean => a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
    expect(same(Float32Array.from(d.image.data as ArrayLike<number>), orig.data)).toBe(true);
    expect(d.header.get('DATE-OBS')).toBe(f.facts.dateObs);
    expect(d.header.get('EXPTIME')).toBe(10);
    expect(await compressFrame(packed)).toBe(packed);
    if (hasCommand('funpack')) {
      const dir = mkdtempSync(join(tmpdir(), 'oa-edge-'));
      try {
        writeFileSync(join(dir, 'f.fits.fz'), packed);
        execFileSync('funpack', ['-O', join(dir, 'out.fits'), join(dir, 'f.fits.fz')]);
        const back = await readEdgeFrame(new Uint8Array(readFileSync(join(dir, 'out.fits'))));
        expect(same(back.data, orig.data)).toBe(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    const read = await readEdgeFrame(packed);
    expect(same(read.data, orig.data)).toBe(true);
    expect(r.measurement.frameSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('calibration frames and unreadable input', async () => {
    const { camera } = await observatory();
    const dark = await camera.expose(10, { frameType: 'dark' });
    const r = await processFrame(dark.fits, { ...opts, minStars: 0 });
    expect(r.upload).toBe(false);
    expect(r.reasons.join()).toMatch(/dark frame/);
    await expect(processFrame(new Uint8Array(100), opts)).rejects.toMatchObject({ code: 'BAD_FRAME' });
    await expect(processFrame(dark.fits, { ...opts, missionId: 'bad_id' })).rejects.toMatchObject({ code: 'BAD_NAME' });
  });
});

describe('frame file names', () => {
  it('formats from DATE-OBS (truncated to the second, UTC) and parses back', () => {
    expect(frameFileName({ missionId: 'M1', nodeId: 'N-2', dateObs: '2026-01-15T22:00:07.893' })).toBe('ObsReq-M1_TelID-N-2_20260115T220007.fits');
    expect(frameFileName({ missionId: 'M1', nodeId: 'N-2', dateObs: '2026-01-15T22:00:07.893Z' })).toBe('ObsReq-M1_TelID-N-2_20260115T220007.fits');
    expect(frameFileName({ missionId: 'M1', nodeId: 'N-2', dateObs: new Date('2026-01-15T23:59:59.999Z'), fpacked: true })).toBe('ObsReq-M1_TelID-N-2_20260115T235959.fits.fz');
    const uuid = '3f2b8c1e-9a4d-4e6b-8f7a-1c2d3e4f5a6b';
    const name = frameFileName({ missionId: uuid, nodeId: 'tel01', dateObs: '2016-12-31T23:59:60.5' });
    expect(name).toBe(`ObsReq-${uuid}_TelID-tel01_20161231T235960.fits`);
    expect(parseFrameFileName(name)).toEqual({ missionId: uuid, nodeId: 'tel01', dateObs: '2016-12-31T23:59:60Z', fpacked: false });
    expect(parseFrameFileName('ObsReq-M1_TelID-N-2_20260115T220007.fits.fz')).toEqual({ missionId: 'M1', nodeId: 'N-2', dateObs: '2026-01-15T22:00:07Z', fpacked: true });
  });

  it('refuses names and ids outside the convention', () => {
    const bad = [
      'ObsReq-M1_TelID-N2_20260230T220007.fits', // 30 February
      'ObsReq-M_1_TelID-N2_20260115T220007.fits',
      'ObsReq-M1_TelID-N2_20260115T2200.fits',
      'ObsReq-M1_TelID-N2_20260115T220007.fit',
      'obsreq-M1_TelID-N2_20260115T220007.fits',
      '',
    ];
    for (const b of bad) {
      expect(() => parseFrameFileName(b), b).toThrow(AgentError);
    }
    expect(() => frameFileName({ missionId: 'a_b', nodeId: 'n', dateObs: NIGHT })).toThrow(/mission id/);
    expect(() => frameFileName({ missionId: 'a', nodeId: '', dateObs: NIGHT })).toThrow(/node id/);
    expect(() => frameFileName({ missionId: 'a', nodeId: 'n', dateObs: '2026-01-15' })).toThrow(/no time/);
    expect(() => frameFileName({ missionId: 'a', nodeId: 'n', dateObs: 'yesterday' })).toThrow(/not a FITS date/);
  });
});
