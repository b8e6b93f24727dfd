/**
 * What the agent reads from an observe command and writes for the compact tier: the
 * scheduler's own payload (observePayload) parses to the same numbers; a command without
 * coordinates is an unknown target; a measurement built from a real simulated frame passes
 * the service's own validation, with the mid-exposure time from DATE-OBS and EXPTIME.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { manualClock } from '../../src/network/clock.js';
import { observePayload } from '../../src/network/scheduler/assign.js';
import type { Mission, Task } from '../../src/platform/db/schema.js';
import { validateMeasurement } from '../../src/pipeline/ingest/measurements.js';
import { createSimulatedObservatory } from '../../src/agent/devices/simulator/index.js';
import { manualSleep } from '../../src/agent/devices/time.js';
import { zenithJ2000 } from '../../src/agent/devices/coordinates.js';
import { processFrame } from '../../src/agent/edge/index.js';
import { frameHasWcs, measurementBody, parseObservePayload } from '../../src/agent/lifecycle/observe-payload.js';
import { isAgentError } from '../../src/agent/errors.js';

const SITE = { latDeg: 45, lonDeg: 5, heightM: 300 };
const NIGHT = '2026-01-15T23:00:00Z';

describe('observe payload', () => {
  it('reads what the scheduler writes', () => {
    const now = new Date(NIGHT);
    const mission = { id: randomUUID(), name: 'M 67 V', target_name: 'M 67', ra_deg: 132.825, dec_deg: 11.8, filter: 'V', sub_exposure_s: 120 } as unknown as Mission;
    const task = { id: randomUUID(), exposure_s: 3600, not_after: new Date('2026-01-16T04:00:00Z'), lease_expires_at: now, updated_at: now } as unknown as Task;
    const t = parseObservePayload(JSON.parse(JSON.stringify(observePayload(mission, task))));
    expect(t).toEqual({ missionId: mission.id, taskId: task.id, object: 'M 67', raDeg: 132.825, decDeg: 11.8, filter: 'V', subExposureS: 120, count: 30, notAfter: new Date('2026-01-16T04:00:00Z') });
  });

  it('refuses what it cannot do, saying why', () => {
    const base = { missionId: randomUUID(), taskId: randomUUID(), filter: 'V', subExposureS: 10, count: 1, raDeg: 10, decDeg: 10 };
    const reason = (p: unknown) => {
      try {
        parseObservePayload(p);
      } catch (e) {
        expect(isAgentError(e, 'BAD_ARGUMENT')).toBe(true);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(reason({ ...base, targetName: 'Nowhere', raDeg: null, decDeg: null })).toMatch(/^unknown target 'Nowhere': the command gives no usable RA\/Dec/);
    expect(reason({ ...base, raDeg: 400 })).toMatch(/not a sky position/);
    expect(reason({ ...base, count: 2.5 })).toMatch(/count must be a positive integer/);
    expect(reason({ ...base, subExposureS: 0 })).toMatch(/subExposureS/);
    expect(reason({ ...base, taskId: 'task-7' })).toMatch(/taskId must be a UUID/);
    expect(reason({ ...base, notAfter: 'tomorrow' })).toMatch(/notAfter/);
    expect(reason(null)).toMatch(/an object is required/);
  });
});

describe('compact measurement', () => {
  async function frame(wcs: 'none' | 'rough') {
    const clock = manualClock(NIGHT);
    const obs = createSimulatedObservatory({
      site: SITE,
      optics: { apertureMm: 100, focalLengthMm: 500, pixelSizeUm: 5, widthPx: 128, heightPx: 128, gainEPerAdu: 1, readNoiseE: 5, biasAdu: 500 },
      clock,
      sleep: manualSleep(clock),
      seed: 5,
      filters: ['V'],
      mount: { pointingErrorArcsec: 0 },
      camera: { wcs },
    });
    for (const d of [obs.mount, obs.camera, obs.filterWheel]) await d.connect();
    await obs.mount.unpark();
    const [ra, dec] = zenithJ2000(SITE, clock.now());
    await obs.mount.slew(ra, dec);
    await obs.filterWheel.select('V');
    return { f: await obs.camera.expose(20, { frameType: 'light', object: 'field' }), ra, dec };
  }

  it('passes the service’s validation, timed at mid-exposure', async () => {
    const { f, ra, dec } = await frame('rough');
    expect(await frameHasWcs(f.fits)).toBe(true);
    const missionId = randomUUID();
    const taskId = randomUUID();
    const edge = await processFrame(f.fits, { missionId, nodeId: randomUUID(), target: { name: 'field', raDeg: ra, decDeg: dec }, minStars: 0 });
    const body = measurementBody(edge.measurement, { taskId, filter: 'V' })!;
    expect(body).toBeDefined();
    const m = validateMeasurement(body);
    expect(m.missionId).toBe(missionId);
    expect(m.taskId).toBe(taskId);
    expect(m.fileName).toBe(edge.fileName);
    expect(m.id).toBe(edge.fileName.replace(/\.fits$/, ''));
    expect(m.exposureS).toBe(20);
    expect(Date.parse(m.timeUtc) - Date.parse(f.facts.dateObs)).toBe(10_000);
    expect(m.filter).toBe('V');
    expect(Number.isFinite(m.target.flux ?? m.target.mag)).toBe(true);
  });

  it('is not made without target photometry, and a frame without WCS is recognised', async () => {
    const { f } = await frame('none');
    expect(await frameHasWcs(f.fits)).toBe(false);
    expect(await frameHasWcs(new Uint8Array(100))).toBe(false);
    const edge = await processFrame(f.fits, { missionId: randomUUID(), nodeId: randomUUID(), minStars: 0 });
    expect(edge.measurement.photometry).toBeUndefined();
    expect(measurementBody(edge.measurement, { taskId: randomUUID(), filter: 'V' })).toBeUndefined();
  });
});
