import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database, type Node, type Site } from '../../src/platform/db/index.js';
import { NetworkError } from '../../src/network/errors.js';
import { createMission, creditFrame, type MissionInput } from '../../src/network/missions/index.js';
import {
  assignWork,
  assignWorkExplained,
  candidateTasks,
  checkVisibility,
  compareCandidates,
  planNight,
  TWILIGHT_SUN_ALTITUDE_DEG,
  URGENT_WITHIN_S,
  type Rankable,
} from '../../src/network/scheduler/index.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const golden = JSON.parse(readFileSync(path.join(import.meta.dirname, '../fixtures/scheduler/visibility.json'), 'utf8')) as {
  twilight: Array<{ site: string; fromUtc: string; civil: { evening: string; morning: string }; nautical: { evening: string; morning: string } }>;
};
const T0 = new Date('2022-06-21T23:30:00Z'); // OHP: Vega 80° up, Sirius below the horizon, Sun −22.6°
const NOON = new Date('2022-06-21T12:00:00Z');
const MOON_NIGHT = new Date('2022-08-12T21:10:00Z'); // HD 209458 44° up, 35.6° from the full Moon
const VEGA = { raDeg: 279.23473479166665, decDeg: 38.78368894444444 };
const SIRIUS = { raDeg: 101.28715533333332, decDeg: -16.71611586111111 };
const HD209458 = { raDeg: 330.7948864583333, decDeg: 18.884319277777777 };
const hoursFrom = (t: Date, h: number) => new Date(t.getTime() + h * 3600e3);

describe('ranking (pure)', () => {
  const now = T0;
  const make = (over: { priority?: number; windowEnd?: Date | null; notAfter?: Date | null; lastServedAt?: Date | null; created?: number; id?: string }): Rankable => ({
    task: { id: over.id ?? 't', not_before: null, not_after: over.notAfter ?? null, created_at: new Date(over.created ?? 0) },
    mission: { id: over.id ?? 'm', priority: over.priority ?? 0, window_end: over.windowEnd ?? null, created_at: new Date(over.created ?? 0) },
    durationS: 3600,
    lastServedAt: over.lastServedAt ?? null,
  });
  it('priority, then closing windows by slack, then least recently served, then age', () => {
    expect(compareCandidates(make({ priority: 5 }), make({ priority: 1, windowEnd: hoursFrom(now, 1.5) }), now)).toBeLessThan(0);
    const soon = make({ windowEnd: hoursFrom(now, 2), created: 2 });
    const sooner = make({ notAfter: hoursFrom(now, 1.5), created: 3 });
    const plain = make({ created: 1 });
    const farWindow = make({ windowEnd: new Date(now.getTime() + (URGENT_WITHIN_S + 7200) * 1000), created: 0 });
    const sorted = [plain, farWindow, soon, sooner].sort((a, b) => compareCandidates(a, b, now));
    expect(sorted).toEqual([sooner, soon, farWindow, plain]);
    const served = make({ lastServedAt: hoursFrom(now, -1), created: 0 });
    const fresh = make({ lastServedAt: null, created: 5 });
    const older = make({ lastServedAt: hoursFrom(now, -5), created: 9 });
    expect([served, older, fresh].sort((a, b) => compareCandidates(a, b, now))).toEqual([fresh, older, served]);
  });
});

describe.each(engineNames())('scheduler on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let site: Site;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    site = await database.db
      .insertInto('sites')
      .values({ name: 'OHP', latitude_deg: 43.9317, longitude_deg: 5.7122, elevation_m: 650, min_altitude_deg: 20 })
      .returningAll()
      .executeTakeFirstOrThrow();
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  async function addNode(filters: string[], over: Partial<{ weather_ok: boolean | null; state: Node['state']; name: string }> = {}): Promise<Node> {
    return database.db
      .insertInto('nodes')
      .values({
        site_id: site.id,
        name: over.name ?? 'node',
        token_hash: randomBytes(32).toString('hex'),
        state: over.state ?? 'ONLINE',
        aperture_mm: 200,
        focal_length_mm: 1000,
        pixel_size_um: 3.76,
        sensor_width_px: 4000,
        sensor_height_px: 3000,
        filters: JSON.stringify(filters),
        weather_ok: over.weather_ok === undefined ? true : over.weather_ok,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  const uniqueFilter = () => `F${randomBytes(3).toString('hex')}`;
  const mission = async (input: Partial<MissionInput> & { filter: string }, now = T0) =>
    (await createMission(database.db, { ...VEGA, totalExposureS: 3600, subExposureS: 60, ...input } as MissionInput, now)).mission;

  it('rejects with a reason: below the limit, daytime, wrong filter, weather, field of view, window, Moon', async () => {
    const filter = uniqueFilter();
    const node = await addNode([filter]);
    const vega = await mission({ filter, name: 'vega' });
    const sirius = await mission({ filter, ...SIRIUS, name: 'sirius' });
    const otherFilter = await mission({ filter: `${filter}x`, name: 'other filter' });
    const big = await mission({ filter, constraints: { targetSizeArcmin: 180 }, name: 'M31-sized' });
    const fits = await mission({ filter, constraints: { targetSizeArcmin: 30 }, name: 'fits' });
    const closing = await mission({ filter, windowStart: hoursFrom(T0, -2), windowEnd: hoursFrom(T0, 0.5), name: 'closing' }, hoursFrom(T0, -3));
    const mine = new Set([vega.id, sirius.id, otherFilter.id, big.id, fits.id, closing.id]);

    const report = await candidateTasks(database.db, node, site, T0);
    const reasons = Object.fromEntries(report.rejected.filter((r) => mine.has(r.missionId)).map((r) => [r.missionId, r]));
    expect(reasons[sirius.id]).toMatchObject({ reason: 'BELOW_LIMIT' });
    expect(reasons[sirius.id].message).toMatch(/below 20\.0° set by the site minimum altitude/);
    expect(reasons[otherFilter.id]).toMatchObject({ reason: 'FILTER' });
    expect(reasons[otherFilter.id].message).toContain(`no '${filter}x' filter`);
    // 4000 × 3.76 µm at 1000 mm: 2·atan(7.52/1000) = 51.70′ × 38.78′.
    expect(reasons[big.id]).toMatchObject({ reason: 'FIELD_OF_VIEW' });
    expect(reasons[big.id].message).toContain('51.7′ × 38.8′');
    expect(reasons[closing.id]).toMatchObject({ reason: 'WINDOW' });
    const ok = report.candidates.filter((c) => mine.has(c.mission.id)).map((c) => c.mission.name);
    expect(ok.sort()).toEqual(['fits', 'vega']);
    const vegaCandidate = report.candidates.find((c) => c.mission.id === vega.id)!;
    expect(vegaCandidate.visibility.startAltitudeDeg).toBeCloseTo(80.243, 1); // astropy: 80.2429°
    expect(vegaCandidate).toMatchObject({ durationS: 3600, frameCount: 60 });

    const day = await candidateTasks(database.db, node, site, NOON);
    expect(day.rejected.find((r) => r.missionId === vega.id)).toMatchObject({ reason: 'DAYTIME' });

    const cloudy = await addNode([filter], { weather_ok: false });
    const wet = await candidateTasks(database.db, cloudy, site, T0);
    expect(wet.candidates.filter((c) => mine.has(c.mission.id))).toEqual([]);
    expect(wet.rejected.find((r) => r.missionId === vega.id)).toMatchObject({ reason: 'WEATHER' });

    const moonFilter = uniqueFilter();
    const moonNode = await addNode([moonFilter]);
    const near = await mission({ filter: moonFilter, ...HD209458, totalExposureS: 1800, constraints: { minMoonSeparationDeg: 40 }, name: 'near moon' }, MOON_NIGHT);
    const allowed = await mission({ filter: moonFilter, ...HD209458, totalExposureS: 1800, constraints: { minMoonSeparationDeg: 30 }, name: 'moon ok' }, MOON_NIGHT);
    const moon = await candidateTasks(database.db, moonNode, site, MOON_NIGHT);
    expect(moon.rejected.find((r) => r.missionId === near.id)).toMatchObject({ reason: 'MOON' });
    expect(moon.candidates.map((c) => c.mission.id)).toContain(allowed.id);

    // assignWorkExplained hands out the best and says why the rest were refused.
    const explained = await assignWorkExplained(database.db, node.id, T0, { leaseS: 60 });
    expect([vega.id, fits.id]).toContain(explained.assignment?.mission.id);
    expect(explained.rejected.map((r) => r.reason)).toEqual(expect.arrayContaining(['BELOW_LIMIT', 'FILTER', 'FIELD_OF_VIEW', 'WINDOW']));
  });

  it('ranks by priority, then a closing window, then fair share', async () => {
    const filter = uniqueFilter();
    const nodes = await Promise.all([1, 2, 3, 4, 5].map((k) => addNode([filter], { name: `n${k}` })));
    const routine = await mission({ filter, name: 'routine', totalExposureS: 7200 }, hoursFrom(T0, -4));
    const alert = await mission({ filter, name: 'alert', priority: 90 }, hoursFrom(T0, -1));
    const transit = await mission({ filter, name: 'transit', windowStart: hoursFrom(T0, -1), windowEnd: hoursFrom(T0, 2) }, hoursFrom(T0, -2));
    const other = await mission({ filter, name: 'other', totalExposureS: 7200 }, hoursFrom(T0, -3));

    const order: string[] = [];
    for (const n of nodes.slice(0, 4)) {
      const a = await assignWork(database.db, n.id, T0, { leaseS: 60 });
      order.push(a!.mission.name);
    }
    // The alert first; the transit (window closes in 2 h) before older routine work; then the
    // two routine missions take turns: 'routine' is older, but once served, 'other' goes next.
    expect(order).toEqual(['alert', 'transit', 'routine', 'other']);
    // Both served at T0 now: the older one takes the tie.
    const fifth = await assignWork(database.db, nodes[4].id, T0, { leaseS: 60 });
    expect(fifth!.mission.id).toBe(routine.id);
    expect([alert.id, transit.id, other.id]).not.toContain(fifth!.mission.id);
  });

  it('two nodes asking at once never take the same task', async () => {
    const filter = uniqueFilter();
    const nodes = await Promise.all(Array.from({ length: 6 }, (_, k) => addNode([filter], { name: `c${k}` })));
    const m = await mission({ filter, totalExposureS: 4 * 3600 });
    const got = await Promise.all(nodes.map((n) => assignWork(database.db, n.id, T0, { leaseS: 60 })));
    const taken = got.filter((g) => g !== null).map((g) => g!.task.id);
    expect(taken).toHaveLength(4);
    expect(new Set(taken).size).toBe(4);
    const rows = await database.db.selectFrom('tasks').select(['state', 'node_id']).where('mission_id', '=', m.id).execute();
    expect(rows.every((r) => r.state === 'LEASED')).toBe(true);
    expect(new Set(rows.map((r) => r.node_id)).size).toBe(4);
    const commands = await database.db.selectFrom('commands').select(['node_id', 'task_id']).where('task_id', 'in', taken).execute();
    expect(commands).toHaveLength(4);

    // The same node asking twice at once gets one task, twice.
    const solo = await addNode([filter], { name: 'solo' });
    await mission({ filter, totalExposureS: 2 * 3600 });
    const [x, y] = await Promise.all([assignWork(database.db, solo.id, T0, { leaseS: 60 }), assignWork(database.db, solo.id, T0, { leaseS: 60 })]);
    expect(x!.task.id).toBe(y!.task.id);
    expect([x!.reused, y!.reused].sort()).toEqual([false, true]);
    expect(x!.command.id).toBe(y!.command.id);
  });

  it('assignWork input errors and node states', async () => {
    const filter = uniqueFilter();
    const faulted = await addNode([filter], { state: 'FAULTED' });
    await mission({ filter });
    expect(await assignWork(database.db, faulted.id, T0, { leaseS: 60 })).toBeNull();
    const err = await assignWork(database.db, '00000000-0000-4000-8000-000000000000', T0, { leaseS: 60 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'NOT_FOUND' });
    await expect(assignWork(database.db, faulted.id, T0, { leaseS: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/leaseS/) });
    await expect(assignWork(database.db, 'node-1', T0, { leaseS: 60 })).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/nodeId/) });
  });

  it("planNight: tonight's plan from civil dusk, tasks back to back, each visible for its whole length", async () => {
    const filter = uniqueFilter();
    const node = await addNode([filter], { name: 'planner' });
    const from = new Date('2022-06-21T11:40:00Z');
    const vega = await mission({ filter, name: 'vega', totalExposureS: 3 * 3600, priority: 2 }, from);
    const hd = await mission({ filter, name: 'hd209458', ...HD209458, totalExposureS: 2 * 3600, constraints: { twilight: 'astronomical' } }, from);
    const sirius = await mission({ filter, name: 'sirius', ...SIRIUS }, from);

    const plan = await planNight(database.db, node.id, from);
    const ohp = golden.twilight.find((t) => t.site === 'OHP')!;
    expect(Math.abs(plan.night!.startUtc.getTime() - Date.parse(ohp.civil.evening))).toBeLessThan(60_000);
    expect(Math.abs(plan.night!.endUtc.getTime() - Date.parse(ohp.civil.morning))).toBeLessThan(60_000);
    expect(plan.entries.map((e) => e.missionId)).not.toContain(sirius.id);
    expect(plan.entries.filter((e) => e.missionId === vega.id)).toHaveLength(3);
    // Astronomical night is 21:48–01:30 UTC: after Vega's three hours (higher priority) one
    // hour of HD 209458 fits, the second would run into dawn.
    expect(plan.entries.filter((e) => e.missionId === hd.id)).toHaveLength(1);
    for (let i = 0; i < plan.entries.length; i++) {
      const e = plan.entries[i];
      expect(e.startUtc >= plan.night!.startUtc && e.endUtc <= plan.night!.endUtc).toBe(true);
      if (i > 0) expect(e.startUtc.getTime()).toBeGreaterThanOrEqual(plan.entries[i - 1].endUtc.getTime());
      const m = e.missionId === vega.id ? VEGA : HD209458;
      const sunLimit = e.missionId === hd.id ? TWILIGHT_SUN_ALTITUDE_DEG.astronomical : TWILIGHT_SUN_ALTITUDE_DEG.nautical;
      const v = checkVisibility(m, { latitudeDeg: 43.9317, longitudeDeg: 5.7122, elevationM: 650 }, e.startUtc, e.endUtc, { siteMinAltitudeDeg: 20, maxSunAltitudeDeg: sunLimit }, 600);
      expect(v.ok, `${e.missionName} ${e.startUtc.toISOString()}`).toBe(true);
      expect(e.minAltitudeDeg).toBeGreaterThanOrEqual(20);
    }
    // Vega (nautical twilight, the default) starts within one idle step (10 min) of nautical dusk.
    expect(plan.entries[0].missionId).toBe(vega.id);
    const nautical = Date.parse(ohp.nautical.evening);
    expect(plan.entries[0].startUtc.getTime()).toBeGreaterThanOrEqual(nautical);
    expect(plan.entries[0].startUtc.getTime()).toBeLessThan(nautical + 600_000);
    const firstHd = plan.entries.find((e) => e.missionId === hd.id)!;
    expect(firstHd.startUtc.getTime()).toBeGreaterThanOrEqual(Date.parse('2022-06-21T21:48:00Z'));
    // Planning reserves nothing.
    const pending = await database.db.selectFrom('tasks').select('state').where('mission_id', 'in', [vega.id, hd.id]).execute();
    expect(pending.every((t) => t.state === 'PENDING')).toBe(true);

    // A task the node already holds comes first.
    const held = (await assignWork(database.db, node.id, hoursFrom(T0, -2), { leaseS: 600 }))!;
    await creditFrame(database.db, { missionId: held.mission.id, taskId: held.task.id, nodeId: node.id, frame: { startedAt: hoursFrom(T0, -2) }, exposureS: 60, accepted: true }, hoursFrom(T0, -1.9));
    const replan = await planNight(database.db, node.id, hoursFrom(T0, -1.8));
    expect(replan.entries[0]).toMatchObject({ taskId: held.task.id, held: true, exposureS: held.task.exposureS - 60 });
    await expect(planNight(database.db, '00000000-0000-4000-8000-000000000000', T0)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
