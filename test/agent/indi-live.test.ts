/**
 * The INDI client against Debian's indiserver with indi_simulator_telescope and
 * indi_simulator_ccd (package indi-bin). Skips with a reason when they are not installed,
 * fails when OPENASTRO_REQUIRE_TOOLS=1 (CI). Uses the server CI started (INDI_PORT, see
 * scripts/ci/indi.sh) or starts its own.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/network/clock.js';
import { isAgentError } from '../../src/agent/errors.js';
import { horizontal, zenithJ2000 } from '../../src/agent/devices/coordinates.js';
import { IndiCamera, IndiClient, IndiFilterWheel, IndiMount } from '../../src/agent/indi/index.js';
import { FitsReader } from '../../src/science/fits/index.js';
import { angularSeparationDeg } from '../../src/science/wcs/index.js';
import { missingTools } from '../helpers/tools.js';
import { startIndiServer, type IndiServer } from './indi-server.js';

const skip = missingTools({ commands: ['indiserver', 'indi_simulator_telescope', 'indi_simulator_ccd'] });
const SITE = { latDeg: 50, lonDeg: 10, heightM: 100 };

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAgentError(err), `expected AgentError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

describe.skipIf(skip !== undefined)('INDI simulators (live)', () => {
  let server: IndiServer;
  let client: IndiClient;
  let mount: IndiMount;
  let camera: IndiCamera;
  let wheel: IndiFilterWheel;
  const warnings: string[] = [];

  beforeAll(async () => {
    server = await startIndiServer();
    client = await IndiClient.connect({ port: server.port, onWarning: (e) => warnings.push(e.message) });
    mount = new IndiMount({ client, site: SITE, clock: systemClock });
    wheel = new IndiFilterWheel({ client });
    camera = new IndiCamera({ client, mount, filterWheel: wheel, site: SITE, telescope: 'INDI simulator' });
    await mount.connect();
    await camera.connect();
    await wheel.connect();
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await server?.stop();
  });

  it('slews the simulator telescope to a target and reads the coordinates back', async () => {
    await mount.unpark();
    // A target 20° from the zenith now: always up.
    const [zRa, zDec] = zenithJ2000(SITE, new Date());
    const ra = (zRa + 15) % 360;
    const dec = zDec > 60 ? zDec - 20 : zDec + 10;
    expect(horizontal(ra, dec, SITE, new Date()).altDeg).toBeGreaterThan(30);
    const pos = await mount.slew(ra, dec, { timeoutMs: 120_000 });
    // The simulator ends a goto within ~2′ of the target (its own tolerance).
    expect(angularSeparationDeg(pos.raDeg, pos.decDeg, ra, dec) * 3600).toBeLessThan(300);
    expect(pos.tracking).toBe(true);
    expect(pos.slewing).toBe(false);
    // The driver holds the coordinates of date; ours are J2000: they differ by precession.
    const raw = client.vector('Telescope Simulator', 'EQUATORIAL_EOD_COORD')!;
    const rawRaDeg = (raw.elements.get('RA')!.value as number) * 15;
    const rawDec = raw.elements.get('DEC')!.value as number;
    expect(angularSeparationDeg(rawRaDeg, rawDec, ra, dec)).toBeGreaterThan(0.05);
    // Tracking: moments later it is still there (not drifting at 15″/s).
    await new Promise((r) => setTimeout(r, 3000));
    const later = await mount.position();
    expect(angularSeparationDeg(later.raDeg, later.decDeg, pos.raDeg, pos.decDeg) * 3600).toBeLessThan(10);
  }, 150_000);

  it('refuses a target below the horizon without moving the mount', async () => {
    await mount.unpark();
    const before = await mount.position();
    const [zRa, zDec] = zenithJ2000(SITE, new Date());
    await expectCode(mount.slew((zRa + 180) % 360, -zDec), 'BELOW_HORIZON');
    const after = await mount.position();
    expect(angularSeparationDeg(after.raDeg, after.decDeg, before.raDeg, before.decDeg) * 3600).toBeLessThan(120);
  });

  it('takes a 1 s exposure from the CCD simulator and the BLOB is a valid FITS file', async () => {
    await wheel.select('Green');
    const frame = await camera.expose(1, { frameType: 'light', object: 'zenith field' });
    const reader = await FitsReader.open(frame.fits);
    const h = reader.hdus[0].header;
    const img = await reader.readImage(0);
    await reader.close();
    expect(img.width).toBe(frame.facts.widthPx);
    expect(img.height).toBe(frame.facts.heightPx);
    expect(img.width * img.height).toBeGreaterThan(0);
    expect(img.data.length).toBe(img.width * img.height);
    expect(h.getNumber('EXPTIME')).toBeCloseTo(1, 6);
    expect(frame.facts.exposureS).toBeCloseTo(1, 6);
    expect(frame.facts.frameType).toBe('light');
    expect(Number.isFinite(Date.parse(frame.facts.dateObs))).toBe(true);
    expect(Math.abs(Date.parse(frame.facts.dateObs) - Date.now())).toBeLessThan(120_000);
    // Our keywords where the driver wrote none.
    expect(h.getString('OBJECT')).toBe('zenith field');
    expect(h.getNumber('SITELAT')).toBe(50);
    expect(h.getNumber('RA')).toBeCloseTo(frame.facts.raDeg!, 9);
    expect(frame.facts.filter).toBe('Green');
    expect(typeof frame.facts.raDeg).toBe('number');
  }, 120_000);

  it('dark frames and binning go through CCD_FRAME_TYPE and CCD_BINNING', async () => {
    const frame = await camera.expose(0.5, { frameType: 'dark', binning: 2 });
    expect(frame.facts.frameType).toBe('dark');
    expect(frame.facts.binning).toBe(2);
    const r = await FitsReader.open(frame.fits);
    const full = client.value('CCD Simulator', 'CCD_INFO', 'CCD_MAX_X') as number;
    expect(r.hdus[0].header.getInt('NAXIS1')).toBe(Math.floor(full / 2));
    await r.close();
  }, 120_000);

  it('bad commands fail with a reason and the link stays healthy', async () => {
    await expectCode(wheel.select('Hydrogen-beta'), 'FILTER_NOT_PRESENT');
    await expectCode(camera.expose(-1, { frameType: 'light' }), 'BAD_ARGUMENT');
    await expectCode(client.update('Number', 'No Such Device', 'X', { A: 1 }), 'NOT_FOUND');
    const ghost = new IndiMount({ client, device: 'No Such Mount', site: SITE });
    const err = await ghost.connect({ timeoutMs: 1500 }).catch((e: Error) => e);
    expect((err as { code?: string }).code).toBe('NOT_FOUND');
    expect((err as Error).message).toMatch(/Telescope Simulator/); // lists the devices it has
    await expectCode(ghost.position(), 'NOT_CONNECTED');
    const ctl = new AbortController();
    const long = camera.expose(30, { frameType: 'dark', signal: ctl.signal });
    setTimeout(() => ctl.abort(), 300);
    await expectCode(long, 'ABORTED');
    // Still usable afterwards.
    const again = await camera.expose(0.2, { frameType: 'bias' });
    expect(again.fits.length).toBeGreaterThan(2880);
    await mount.park({ timeoutMs: 120_000 });
    expect(await mount.isParked()).toBe(true);
    await expectCode(mount.slew(0, 0), 'PARKED');
    await mount.unpark();
    expect(client.closed).toBe(false);
    expect(warnings).toEqual([]);
  }, 180_000);
});
