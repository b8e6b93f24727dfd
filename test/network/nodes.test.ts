/**
 * Sites and nodes: validation names the field, registration stores only the token's hash,
 * lookups and filters, derived optics against astropy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { NetworkError } from '../../src/network/errors.js';
import {
  createSite,
  getNode,
  getSite,
  hashToken,
  listNodes,
  listSites,
  nodeFieldOfViewDeg,
  nodeIdForToken,
  nodePixelScaleArcsec,
  registerNode,
  validateNodeInput,
  validateSiteInput,
  generateNodeToken,
  type NodeInput,
  type SiteInput,
} from '../../src/network/nodes/index.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const T0 = new Date('2026-03-01T20:00:00Z');

const siteInput = (over: Partial<SiteInput> = {}): SiteInput => ({
  name: 'Backyard',
  latitudeDeg: 47.37,
  longitudeDeg: 8.54,
  elevationM: 410,
  ...over,
});

const nodeInput = (siteId: string, over: Partial<NodeInput> = {}): NodeInput => ({
  siteId,
  name: 'refractor-1',
  apertureMm: 106,
  focalLengthMm: 530,
  pixelSizeUm: 3.76,
  sensorWidthPx: 6248,
  sensorHeightPx: 4176,
  filters: ['L', 'R', 'G', 'B'],
  gainEPerAdu: 0.8,
  readNoiseE: 1.5,
  heartbeatIntervalS: 15,
  ...over,
});

function badRequest(fn: () => unknown): NetworkError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).code).toBe('BAD_REQUEST');
    return err as NetworkError;
  }
  throw new Error('expected a BAD_REQUEST');
}

describe('derived optics', () => {
  // Golden values: astropy 6 (Debian /usr/bin/python3), a TAN WCS with CDELT = pitch/f
  // centred on the chip, separation between opposite chip edges through the centre.
  it.each([
    [530, 3.76, 6248, 4176, 1.4633125877152495, 2.5392445984126364, 1.697318464645335],
    [2000, 9, 3056, 3056, 0.9281916281119336, 0.7879191425786757, 0.7879191425786732],
    [135, 5.94, 4656, 3520, 9.07565147487224, 11.697046714541647, 8.856294957127888],
  ])('f=%s mm, %s µm, %s×%s px', (focalLengthMm, pixelSizeUm, w, h, scale, widthDeg, heightDeg) => {
    const optics = { focalLengthMm, pixelSizeUm, sensorWidthPx: w, sensorHeightPx: h };
    expect(nodePixelScaleArcsec(optics)).toBeCloseTo(scale, 10);
    // The rule of thumb 206.265 · µm / mm agrees to its 6 digits.
    expect(nodePixelScaleArcsec(optics)).toBeCloseTo((206.265 * pixelSizeUm) / focalLengthMm, 4);
    const fov = nodeFieldOfViewDeg(optics);
    expect(fov.widthDeg).toBeCloseTo(widthDeg, 10);
    expect(fov.heightDeg).toBeCloseTo(heightDeg, 10);
  });
});

describe('validation names the field', () => {
  const site = '00000000-0000-4000-8000-000000000001';
  it.each<[string, Partial<SiteInput>, RegExp]>([
    ['latitude above 90', { latitudeDeg: 90.5 }, /^latitudeDeg: must be <= 90/],
    ['latitude NaN', { latitudeDeg: NaN }, /^latitudeDeg: must be a finite number/],
    ['longitude below -180', { longitudeDeg: -181 }, /^longitudeDeg: must be >= -180/],
    ['empty name', { name: '  ' }, /^name: must not be empty/],
    ['elevation in feet on Everest', { elevationM: 29_000 }, /^elevationM: must be <= 9000/],
    ['profile not an array', { horizonProfile: 'flat' as never }, /^horizonProfile: must be an array/],
    ['profile point not a pair', { horizonProfile: [[0, 10], [90] as never] }, /^horizonProfile\[1\]: must be a pair/],
    ['profile azimuth 360', { horizonProfile: [[360, 10]] }, /^horizonProfile\[0\]\[0\] \(azDeg\): must be < 360/],
    ['profile altitude 95', { horizonProfile: [[10, 95]] }, /^horizonProfile\[0\]\[1\] \(minAltDeg\): must be <= 90/],
    ['profile duplicate azimuth', { horizonProfile: [[10, 5], [200, 30], [10, 7]] }, /azimuth 10 appears twice/],
  ])('site: %s', (_label, over, message) => {
    expect(badRequest(() => validateSiteInput(siteInput(over))).message).toMatch(message);
  });

  it('site: the horizon profile is sorted by azimuth and defaults fill in', () => {
    const s = validateSiteInput(siteInput({ elevationM: undefined, horizonProfile: [[270, 25], [0, 10], [90, 15.5]] }));
    expect(s.horizonProfile).toEqual([[0, 10], [90, 15.5], [270, 25]]);
    expect(s.elevationM).toBe(0);
    expect(s.minAltitudeDeg).toBe(20);
  });

  it.each<[string, Partial<NodeInput>, RegExp]>([
    ['zero aperture', { apertureMm: 0 }, /^apertureMm: must be > 0, got 0/],
    ['negative focal length', { focalLengthMm: -530 }, /^focalLengthMm: must be > 0/],
    ['pixel size a string', { pixelSizeUm: '3.76' as never }, /^pixelSizeUm: must be a finite number, got '3.76'/],
    ['fractional sensor width', { sensorWidthPx: 6248.5 }, /^sensorWidthPx: must be an integer/],
    ['zero sensor height', { sensorHeightPx: 0 }, /^sensorHeightPx: must be between 1 and/],
    ['no filters', { filters: [] }, /^filters: must name at least one filter/],
    ['filters not an array', { filters: 'V' as never }, /^filters: must be an array/],
    ['blank filter', { filters: ['V', ' '] }, /^filters\[1\]: must not be empty/],
    ['non-string filter', { filters: ['V', 7 as never] }, /^filters\[1\]: must be a string/],
    ['duplicate filter', { filters: ['V', 'R', 'V'] }, /^filters\[2\]: 'V' is listed twice/],
    ['negative read noise', { readNoiseE: -1 }, /^readNoiseE: must be >= 0/],
    ['zero gain', { gainEPerAdu: 0 }, /^gainEPerAdu: must be > 0/],
    ['heartbeat every 10 s', { heartbeatIntervalS: 10 }, /^heartbeatIntervalS: must be between 15 and 30, got 10/],
    ['heartbeat every 60 s', { heartbeatIntervalS: 60 }, /^heartbeatIntervalS: must be between 15 and 30/],
  ])('node: %s', (_label, over, message) => {
    expect(badRequest(() => validateNodeInput(nodeInput(site, over))).message).toMatch(message);
  });

  it('node: a well-formed description passes, optional camera values may be absent', () => {
    const n = validateNodeInput(nodeInput(site, { gainEPerAdu: undefined, readNoiseE: null, heartbeatIntervalS: undefined }));
    expect(n).toMatchObject({ gainEPerAdu: null, readNoiseE: null, heartbeatIntervalS: 30, filters: ['L', 'R', 'G', 'B'] });
  });
});

describe('tokens', () => {
  it('hashToken is the SHA-256 hex digest (FIPS 180-2 test vector "abc")', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('a token is 32 bytes as base64url (43 characters), distinct each time', () => {
    const a = generateNodeToken();
    const b = generateNodeToken();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(a).not.toBe(b);
    expect(generateNodeToken(() => Buffer.alloc(32, 0xff))).toBe('_'.repeat(42) + '8');
  });
});

describe.each(engineNames())('sites and nodes on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  it('creates a site with times from the given clock and reads it back', async () => {
    const site = await createSite(database.db, siteInput({ name: 'Uetliberg', horizonProfile: [[180, 30], [0, 12]] }), T0);
    expect(site).toMatchObject({ name: 'Uetliberg', latitudeDeg: 47.37, longitudeDeg: 8.54, elevationM: 410, minAltitudeDeg: 20 });
    expect(site.horizonProfile).toEqual([[0, 12], [180, 30]]);
    expect(site.createdAt.toISOString()).toBe(T0.toISOString());
    expect(await getSite(database.db, site.id)).toEqual(site);
    expect((await listSites(database.db)).map((s) => s.id)).toContain(site.id);
    await expect(getSite(database.db, '00000000-0000-4000-8000-00000000dead')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(getSite(database.db, 'not-a-uuid')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('a bad site writes nothing', async () => {
    const before = (await listSites(database.db)).length;
    await expect(createSite(database.db, siteInput({ name: 'Nowhere', latitudeDeg: 123 }), T0)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^latitudeDeg/),
    });
    expect(await listSites(database.db)).toHaveLength(before);
  });

  it('registers a node: PARKED, derived optics, the token hashed and not stored', async () => {
    const site = await createSite(database.db, siteInput(), T0);
    const token = 'fixed-token-for-this-test-' + engine.tag;
    const { node, token: returned } = await registerNode(database.db, nodeInput(site.id), T0, { generateToken: () => token });
    expect(returned).toBe(token);
    expect(node).toMatchObject({
      siteId: site.id,
      name: 'refractor-1',
      state: 'PARKED',
      filters: ['L', 'R', 'G', 'B'],
      heartbeatIntervalS: 15,
      lastHeartbeatAt: null,
      gainEPerAdu: 0.8,
      readNoiseE: 1.5,
    });
    expect(node.registeredAt.toISOString()).toBe(T0.toISOString());
    expect(node.pixelScaleArcsec).toBeCloseTo(1.4633125877152495, 10);
    expect(node.fieldOfView.widthDeg).toBeCloseTo(2.5392445984126364, 10);
    expect(node).not.toHaveProperty('tokenHash');

    const stored = await database.db.selectFrom('nodes').select('token_hash').where('id', '=', node.id).executeTakeFirstOrThrow();
    expect(stored.token_hash).toBe(hashToken(token));
    expect(stored.token_hash).not.toContain(token);
    // The token appears nowhere in the row.
    const row = await database.db.selectFrom('nodes').selectAll().where('id', '=', node.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(row)).not.toContain(token);

    expect(await nodeIdForToken(database.db, token)).toBe(node.id);
    expect(await nodeIdForToken(database.db, token + 'x')).toBeNull();
    expect(await nodeIdForToken(database.db, stored.token_hash)).toBeNull(); // the hash is not a token
    expect(await nodeIdForToken(database.db, '')).toBeNull();
    expect(await getNode(database.db, node.id)).toEqual(node);
  });

  it('default token: random, and it authenticates the node', async () => {
    const site = await createSite(database.db, siteInput(), T0);
    const a = await registerNode(database.db, nodeInput(site.id, { name: 'a' }), T0);
    const b = await registerNode(database.db, nodeInput(site.id, { name: 'b' }), T0);
    expect(a.token).not.toBe(b.token);
    expect(await nodeIdForToken(database.db, a.token)).toBe(a.node.id);
    expect(await nodeIdForToken(database.db, b.token)).toBe(b.node.id);
  });

  it('registration at an unknown site or with bad optics is refused and writes nothing', async () => {
    const count = async () => (await database.db.selectFrom('nodes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n;
    const before = Number(await count());
    await expect(registerNode(database.db, nodeInput('00000000-0000-4000-8000-00000000beef'), T0)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^siteId: no site with id/),
    });
    await expect(registerNode(database.db, nodeInput('nope'), T0)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^siteId: must be a UUID/) });
    const site = await createSite(database.db, siteInput(), T0);
    await expect(registerNode(database.db, nodeInput(site.id, { pixelSizeUm: -1 }), T0)).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^pixelSizeUm/),
    });
    expect(Number(await count())).toBe(before);
  });

  it('lists nodes by site and state, ordered by name, paged', async () => {
    const s1 = await createSite(database.db, siteInput({ name: 'list-1' }), T0);
    const s2 = await createSite(database.db, siteInput({ name: 'list-2' }), T0);
    const c = await registerNode(database.db, nodeInput(s1.id, { name: 'c' }), T0);
    const a = await registerNode(database.db, nodeInput(s1.id, { name: 'a' }), T0);
    const b = await registerNode(database.db, nodeInput(s2.id, { name: 'b' }), T0);
    await database.db.updateTable('nodes').set({ state: 'ONLINE' }).where('id', '=', c.node.id).execute();

    expect((await listNodes(database.db, { siteId: s1.id })).map((n) => n.name)).toEqual(['a', 'c']);
    expect((await listNodes(database.db, { siteId: s2.id })).map((n) => n.id)).toEqual([b.node.id]);
    expect((await listNodes(database.db, { siteId: s1.id, state: 'ONLINE' })).map((n) => n.id)).toEqual([c.node.id]);
    expect((await listNodes(database.db, { siteId: s1.id, state: 'PARKED' })).map((n) => n.id)).toEqual([a.node.id]);
    expect((await listNodes(database.db, { siteId: s1.id, limit: 1, offset: 1 })).map((n) => n.name)).toEqual(['c']);
    expect(await listNodes(database.db, { siteId: 'not-a-uuid' })).toEqual([]);
    await expect(listNodes(database.db, { state: 'ASLEEP' as never })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/^state:/) });
    await expect(getNode(database.db, '00000000-0000-4000-8000-00000000dead')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
