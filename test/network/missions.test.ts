import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { NetworkError } from '../../src/network/errors.js';
import {
  MISSION_MACHINE,
  TASK_MACHINE,
  canTransition,
  transition,
  splitIntoTasks,
  validateMission,
  createMission,
  creditFrame,
  endTask,
  startTask,
  startLeaseExpirer,
  releaseNodeTasks,
  expireTaskLeases,
  missionProgress,
  cancelMission,
  listMissions,
  getMission,
  MAX_TASK_EXPOSURE_S,
  type MissionInput,
  type StateMachine,
} from '../../src/network/missions/index.js';
import { assignWork } from '../../src/network/scheduler/index.js';
import { manualClock } from '../../src/network/clock.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const T0 = new Date('2022-06-21T23:30:00Z'); // Vega 80° up over OHP, Sun −22.6°
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const VEGA = { raDeg: 279.23473479166665, decDeg: 38.78368894444444 };

async function expectNetworkError(p: Promise<unknown> | (() => unknown), code: string, message?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected a NetworkError').toBeInstanceOf(NetworkError);
  expect((err as NetworkError).code).toBe(code);
  if (message) expect((err as NetworkError).message).toMatch(message);
}

describe('state machines', () => {
  const machines: Array<StateMachine<string>> = [MISSION_MACHINE, TASK_MACHINE];
  it.each(machines.map((m) => [m.entity, m] as const))('%s: allowed moves pass, every other pair is CONFLICT', async (_name, m) => {
    const states = Object.keys(m.transitions);
    for (const from of states) {
      for (const to of states) {
        const allowed = (m.transitions[from] as readonly string[]).includes(to);
        expect(canTransition(m, from, to)).toBe(allowed);
        if (allowed) expect(transition(m, from, to)).toBe(to);
        else await expectNetworkError(() => transition(m, from, to, 'x1'), 'CONFLICT', new RegExp(`${m.entity} x1 cannot go from ${from} to ${to}`));
      }
    }
  });

  it('the exact graphs', () => {
    expect(MISSION_MACHINE.transitions).toEqual({ PENDING: ['ACTIVE', 'CANCELLED'], ACTIVE: ['COMPLETE', 'CANCELLED'], COMPLETE: [], CANCELLED: [] });
    expect(TASK_MACHINE.transitions).toEqual({
      PENDING: ['LEASED', 'CANCELLED'],
      LEASED: ['RUNNING', 'PENDING', 'CANCELLED'],
      RUNNING: ['DONE', 'PARTIAL', 'PENDING', 'CANCELLED'],
      DONE: [],
      PARTIAL: [],
      CANCELLED: [],
    });
    expect(() => transition(MISSION_MACHINE, 'COMPLETE', 'ACTIVE')).toThrow(/COMPLETE is final/);
  });
});

describe('splitIntoTasks', () => {
  const none = { cadenceS: null, windowStart: null, windowEnd: null };
  const ws = new Date('2022-06-21T20:00:00Z');
  const hours = (h: number) => new Date(ws.getTime() + h * 3600e3);

  it('cuts at most an hour of whole sub-exposures per task; the last takes the rest', () => {
    expect(splitIntoTasks({ totalExposureS: 7200, subExposureS: 300, ...none }, T0).map((t) => t.exposureS)).toEqual([3600, 3600]);
    expect(splitIntoTasks({ totalExposureS: 4000, subExposureS: 300, ...none }, T0).map((t) => t.exposureS)).toEqual([3600, 400]);
    expect(splitIntoTasks({ totalExposureS: 100, subExposureS: 100, ...none }, T0)).toEqual([{ exposureS: 100, notBefore: null, notAfter: null }]);
    // A sub-exposure longer than the bound still makes one-frame tasks.
    expect(splitIntoTasks({ totalExposureS: 10_000, subExposureS: 5000, ...none }, T0).map((t) => t.exposureS)).toEqual([5000, 5000]);
  });

  it('property: tasks add up to the total, all full but the last, each ≤ the bound', () => {
    fc.assert(
      fc.property(fc.double({ min: 1, max: 200_000, noNaN: true }), fc.double({ min: 0.5, max: 1800, noNaN: true }), (total, sub) => {
        fc.pre(sub <= total && total / sub < 50_000);
        const tasks = splitIntoTasks({ totalExposureS: total, subExposureS: sub, ...none }, T0);
        const chunk = Math.max(1, Math.floor(MAX_TASK_EXPOSURE_S / sub + 1e-9)) * sub;
        expect(Math.abs(tasks.reduce((s, t) => s + t.exposureS, 0) - total)).toBeLessThan(1e-6 * total);
        tasks.slice(0, -1).forEach((t) => expect(t.exposureS).toBe(chunk));
        expect(tasks[tasks.length - 1].exposureS).toBeGreaterThan(0);
        expect(tasks[tasks.length - 1].exposureS).toBeLessThanOrEqual(chunk + 1e-9);
      }),
      { seed: 7, numRuns: 300 },
    );
  });

  it('cadence: one visit per task, spaced by cadenceS from the window start', () => {
    const tasks = splitIntoTasks({ totalExposureS: 600, subExposureS: 60, cadenceS: 3600, windowStart: ws, windowEnd: hours(10) }, T0);
    expect(tasks).toHaveLength(10);
    tasks.forEach((t, k) => {
      expect(t.exposureS).toBe(60);
      expect(t.notBefore).toEqual(hours(k));
      expect(t.notAfter).toEqual(hours(10));
    });
    const visits = splitIntoTasks({ totalExposureS: 600, subExposureS: 60, cadenceS: 86_400, visitExposureS: 180, windowStart: null, windowEnd: null }, T0);
    expect(visits.map((t) => t.exposureS)).toEqual([180, 180, 180, 60]);
    expect(visits.map((t) => t.notBefore!.getTime() - T0.getTime())).toEqual([0, 1, 2, 3].map((k) => k * 86_400_000));
    expect(() => splitIntoTasks({ totalExposureS: 600, subExposureS: 60, cadenceS: 3600, windowStart: ws, windowEnd: hours(5) }, T0)).toThrow(/do not fit before windowEnd/);
  });

  it('window: tasks fit the window and their starts are staggered over it', () => {
    const three = splitIntoTasks({ totalExposureS: 3 * 3600, subExposureS: 60, cadenceS: null, windowStart: ws, windowEnd: hours(3) }, T0);
    expect(three.map((t) => t.notBefore)).toEqual([hours(0), hours(1), hours(2)]);
    three.forEach((t) => expect(t.notAfter).toEqual(hours(3)));
    const six = splitIntoTasks({ totalExposureS: 6 * 3600, subExposureS: 60, cadenceS: null, windowStart: ws, windowEnd: hours(3) }, T0);
    expect(six.map((t) => (t.notBefore!.getTime() - ws.getTime()) / 3600e3)).toEqual([0, 0, 1, 1, 2, 2]);
    const short = splitIntoTasks({ totalExposureS: 3600, subExposureS: 60, cadenceS: null, windowStart: ws, windowEnd: hours(0.5) }, T0);
    expect(short.map((t) => t.exposureS)).toEqual([1800, 1800]);
    expect(() => splitIntoTasks({ totalExposureS: 3600, subExposureS: 120, cadenceS: null, windowStart: ws, windowEnd: new Date(ws.getTime() + 60e3) }, T0)).toThrow(
      /longer than the window/,
    );
  });

  it('refuses absurd task counts (a unit slip)', () => {
    expect(() => splitIntoTasks({ totalExposureS: 1e8, subExposureS: 1, ...none }, T0)).toThrow(NetworkError);
  });
});

describe('validateMission', () => {
  const good: MissionInput = { ...VEGA, filter: 'V', totalExposureS: 600, subExposureS: 60 };
  it.each<[string, Partial<Record<keyof MissionInput, unknown>> & Record<string, unknown>, RegExp]>([
    ['RA out of range', { raDeg: 360 }, /raDeg: must be ≥ 0 and < 360/],
    ['Dec out of range', { decDeg: -90.5 }, /decDeg: must be/],
    ['RA without Dec', { decDeg: undefined }, /decDeg is required/],
    ['no target', { raDeg: undefined, decDeg: undefined }, /a target is required/],
    ['unknown name', { raDeg: undefined, decDeg: undefined, targetName: 'Tabby' }, /targetName 'Tabby' is not in the built-in table.*give raDeg and decDeg/],
    ['empty filter', { filter: ' ' }, /filter: must not be empty/],
    ['zero total', { totalExposureS: 0 }, /totalExposureS: must be > 0/],
    ['NaN sub', { subExposureS: Number.NaN }, /subExposureS: must be a finite number/],
    ['sub > total', { subExposureS: 900 }, /subExposureS \(900 s\) must not exceed totalExposureS/],
    ['cadence 0', { cadenceS: 0 }, /cadenceS: must be > 0/],
    ['cadence shorter than a visit', { cadenceS: 30 }, /cadenceS \(30 s\) is shorter than one visit/],
    ['visit without cadence', { visitExposureS: 120 }, /visitExposureS only applies with cadenceS/],
    ['window reversed', { windowStart: '2022-06-22T01:00:00Z', windowEnd: '2022-06-22T00:00:00Z' }, /windowStart .* must be before windowEnd/],
    ['window half given', { windowStart: '2022-06-22T01:00:00Z' }, /windowEnd is required/],
    ['window past', { windowStart: '2022-06-20T01:00:00Z', windowEnd: '2022-06-20T02:00:00Z' }, /windowEnd .* has already passed/],
    ['bad time', { windowStart: 'yesterday', windowEnd: '2022-06-22T02:00:00Z' }, /windowStart: not a valid ISO-8601 time/],
    ['fractional priority', { priority: 1.5 }, /priority must be an integer/],
    ['priority too high', { priority: 101 }, /priority: must be ≥ 0 and ≤ 100/],
    ['airmass < 1', { constraints: { maxAirmass: 0.9 } }, /constraints.maxAirmass: must be > 1/],
    ['bad twilight', { constraints: { twilight: 'dark' } }, /constraints.twilight must be one of civil, nautical, astronomical/],
    ['unknown constraint', { constraints: { seeing: 2 } }, /constraints.seeing is not a known constraint/],
    ['unknown field', { colour: 'red' }, /colour is not a mission field/],
  ])('%s → BAD_REQUEST', async (_label, change, message) => {
    await expectNetworkError(() => validateMission({ ...good, ...change } as MissionInput, T0), 'BAD_REQUEST', message);
  });

  it('a built-in name resolves to its SIMBAD coordinates; RA/Dec win over a name', () => {
    const named = validateMission({ targetName: 'alpha lyr', filter: 'V', totalExposureS: 60, subExposureS: 60 }, T0);
    expect(named).toMatchObject({ targetName: 'Vega', raDeg: VEGA.raDeg, decDeg: VEGA.decDeg, name: 'Vega V', priority: 0, constraints: {} });
    const labelled = validateMission({ targetName: 'my field', raDeg: 10, decDeg: 20, filter: 'R', totalExposureS: 60, subExposureS: 60 }, T0);
    expect(labelled).toMatchObject({ targetName: 'my field', raDeg: 10, decDeg: 20 });
  });
});

describe.each(engineNames())('missions on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  let siteId: string;

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    const site = await database.db
      .insertInto('sites')
      .values({ name: 'OHP', latitude_deg: 43.9317, longitude_deg: 5.7122, elevation_m: 650, min_altitude_deg: 20 })
      .returning('id')
      .executeTakeFirstOrThrow();
    siteId = site.id;
  }, 60_000);

  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  /** A node with a filter of its own, so each test's scheduling sees only its own missions. */
  async function addNode(filter: string, name = 'node'): Promise<string> {
    const row = await database.db
      .insertInto('nodes')
      .values({
        site_id: siteId,
        name,
        token_hash: randomBytes(32).toString('hex'),
        state: 'ONLINE',
        aperture_mm: 200,
        focal_length_mm: 1000,
        pixel_size_um: 3.76,
        sensor_width_px: 4000,
        sensor_height_px: 3000,
        filters: JSON.stringify([filter]),
        weather_ok: true,
        last_heartbeat_at: T0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  const uniqueFilter = () => `F${randomBytes(3).toString('hex')}`;
  const frame = (k: number) => ({ startedAt: at(60 * k) });
  const tasksOf = (missionId: string) => database.db.selectFrom('tasks').selectAll().where('mission_id', '=', missionId).orderBy('created_at').orderBy('id').execute();

  it('createMission stores the mission and its tasks; bad input writes nothing', async () => {
    const filter = uniqueFilter();
    const { mission, tasks } = await createMission(database.db, { ...VEGA, filter, totalExposureS: 4000, subExposureS: 300, priority: 3 }, T0);
    expect(mission).toMatchObject({ state: 'PENDING', deliveredExposureS: 0, totalExposureS: 4000, priority: 3, filter, completedAt: null });
    expect(tasks.map((t) => t.exposureS)).toEqual([3600, 400]);
    expect((await tasksOf(mission.id)).every((t) => t.state === 'PENDING' && t.mission_id === mission.id)).toBe(true);
    expect(await getMission(database.db, mission.id)).toEqual(mission);

    const before = await database.db.selectFrom('missions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    await expectNetworkError(createMission(database.db, { ...VEGA, filter, totalExposureS: 1e8, subExposureS: 1 }, T0), 'BAD_REQUEST');
    await expectNetworkError(createMission(database.db, { ...VEGA, filter, totalExposureS: 60, subExposureS: 60, constraints: { maxAirmass: 0 } }, T0), 'BAD_REQUEST');
    const after = await database.db.selectFrom('missions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    await expectNetworkError(getMission(database.db, 'not-a-uuid'), 'NOT_FOUND');
    await expectNetworkError(missionProgress(database.db, '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
  });

  it('credits accepted frames only, never twice, capped at the total', async () => {
    const filter = uniqueFilter();
    const node = await addNode(filter);
    const { mission } = await createMission(database.db, { ...VEGA, filter, totalExposureS: 140, subExposureS: 60 }, T0);
    const work = await assignWork(database.db, node, T0, { leaseS: 120 });
    expect(work?.task.missionId).toBe(mission.id);
    expect(work?.command.payload).toMatchObject({ count: 3, exposureS: 140 });
    const taskId = work!.task.id;

    const a = await creditFrame(database.db, { missionId: mission.id, taskId, nodeId: node, frame: { ...frame(1), sha256: 'a'.repeat(64) }, exposureS: 60, accepted: true }, at(60));
    expect(a).toMatchObject({ creditedS: 60, duplicate: false, completed: false, exposureState: 'ACCEPTED' });
    expect(a.task).toMatchObject({ state: 'RUNNING', deliveredExposureS: 60 });
    expect(a.mission).toMatchObject({ state: 'ACTIVE', deliveredExposureS: 60 });

    const rejected = await creditFrame(database.db, { missionId: mission.id, taskId, nodeId: node, frame: frame(2), exposureS: 60, accepted: false, rejectionReason: 'trailed stars' }, at(120));
    expect(rejected).toMatchObject({ creditedS: 0, exposureState: 'REJECTED' });
    expect(rejected.mission.deliveredExposureS).toBe(60);
    const wrongFilter = await creditFrame(database.db, { missionId: mission.id, taskId, nodeId: node, frame: { ...frame(3), filter: 'Ha' }, exposureS: 60, accepted: true }, at(180));
    expect(wrongFilter).toMatchObject({ creditedS: 0, exposureState: 'REJECTED' });
    const stored = await database.db.selectFrom('exposures').select(['rejection_reason']).where('id', '=', wrongFilter.exposureId).executeTakeFirstOrThrow();
    expect(stored.rejection_reason).toMatch(/filter 'Ha' is not the mission's filter/);

    // The same file again (at-least-once upload): no second credit.
    const again = await creditFrame(database.db, { missionId: mission.id, taskId, nodeId: node, frame: { ...frame(1), sha256: 'a'.repeat(64) }, exposureS: 60, accepted: true }, at(200));
    expect(again).toMatchObject({ duplicate: true, creditedS: 0, exposureId: a.exposureId });

    // A frame stored by ingest (RECEIVED), judged later, judged once.
    const received = await database.db
      .insertInto('exposures')
      .values({ mission_id: mission.id, task_id: taskId, node_id: node, started_at: at(240), exposure_s: 60, filter, state: 'RECEIVED' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const judged = await creditFrame(database.db, { missionId: mission.id, nodeId: node, exposureId: received.id, accepted: true }, at(300));
    expect(judged).toMatchObject({ creditedS: 60, duplicate: false });
    expect(judged.task?.id).toBe(taskId);
    expect((await creditFrame(database.db, { missionId: mission.id, nodeId: node, exposureId: received.id, accepted: true }, at(301))).duplicate).toBe(true);

    // 120 of 140 delivered: the next 60 s frame credits only 20 and completes the mission.
    const last = await creditFrame(database.db, { missionId: mission.id, taskId, nodeId: node, frame: frame(5), exposureS: 60, accepted: true }, at(360));
    expect(last).toMatchObject({ creditedS: 20, completed: true });
    expect(last.mission).toMatchObject({ state: 'COMPLETE', deliveredExposureS: 140, completedAt: at(360) });
    expect(last.task).toMatchObject({ state: 'DONE', deliveredExposureS: 180 });
    const surplus = await creditFrame(database.db, { missionId: mission.id, taskId, nodeId: node, frame: frame(6), exposureS: 60, accepted: true }, at(420));
    expect(surplus).toMatchObject({ creditedS: 0, completed: false });
    expect(surplus.mission.deliveredExposureS).toBe(140);

    // Bad input is typed and names the field.
    await expectNetworkError(creditFrame(database.db, { missionId: mission.id, nodeId: node, frame: frame(7), exposureS: -1, accepted: true }, at(430)), 'BAD_REQUEST', /exposureS/);
    await expectNetworkError(creditFrame(database.db, { missionId: mission.id, nodeId: node, exposureS: 60, accepted: true }, at(430)), 'BAD_REQUEST', /exactly one of exposureId and frame/);
    await expectNetworkError(creditFrame(database.db, { missionId: '00000000-0000-4000-8000-000000000000', nodeId: node, frame: frame(7), exposureS: 60, accepted: true }, at(430)), 'NOT_FOUND', /missionId/);
    await expectNetworkError(creditFrame(database.db, { missionId: mission.id, nodeId: node, frame: { startedAt: 'soon' }, exposureS: 60, accepted: true }, at(430)), 'BAD_REQUEST', /frame.startedAt/);
  });

  it('a task cut short keeps its credit; the remainder becomes a new PENDING task', async () => {
    const filter = uniqueFilter();
    const node = await addNode(filter);
    const other = await addNode(filter, 'other');
    const { mission } = await createMission(database.db, { ...VEGA, filter, totalExposureS: 600, subExposureS: 60 }, T0);
    const work = (await assignWork(database.db, node, T0, { leaseS: 120 }))!;
    for (let k = 1; k <= 3; k++) {
      await creditFrame(database.db, { missionId: mission.id, taskId: work.task.id, nodeId: node, frame: frame(k), exposureS: 60, accepted: true }, at(60 * k));
    }
    await expectNetworkError(endTask(database.db, work.task.id, other, { reason: 'clouds' }, at(200)), 'LEASE_EXPIRED');
    const ended = await endTask(database.db, work.task.id, node, { reason: 'clouds' }, at(200));
    expect(ended.task).toMatchObject({ state: 'PARTIAL', deliveredExposureS: 180, nodeId: node });
    expect(ended.remainder).toMatchObject({ state: 'PENDING', exposureS: 420, parentTaskId: work.task.id, nodeId: null });
    expect(ended.reason).toBe('clouds');
    // Repeating the report changes nothing.
    const repeat = await endTask(database.db, work.task.id, node, { reason: 'clouds' }, at(201));
    expect(repeat.remainder?.id).toBe(ended.remainder?.id);
    expect(await tasksOf(mission.id)).toHaveLength(2);

    const progress = await missionProgress(database.db, mission.id);
    expect(progress).toMatchObject({ deliveredExposureS: 180, requiredExposureS: 600, remainingExposureS: 420, reassignments: 1 });
    expect(progress.fraction).toBeCloseTo(0.3, 12);
    expect(progress.partialTasks).toEqual([{ taskId: work.task.id, nodeId: node, exposureS: 600, deliveredExposureS: 180, remainderTaskIds: [ended.remainder!.id] }]);
    expect(progress.taskCounts).toMatchObject({ PARTIAL: 1, PENDING: 1 });
    expect(progress.nodes).toEqual([{ nodeId: node, nodeName: 'node', acceptedExposureS: 180, acceptedFrames: 3, rejectedFrames: 0, pendingFrames: 0, tasks: 1 }]);

    // Ended without any credit: simply back in the pool.
    const next = (await assignWork(database.db, other, at(300), { leaseS: 120 }))!;
    expect(next.task.id).toBe(ended.remainder!.id);
    const empty = await endTask(database.db, next.task.id, other, {}, at(310));
    expect(empty.task).toMatchObject({ state: 'PENDING', nodeId: null, exposureS: 420 });
    expect(empty.remainder).toBeNull();
  });

  it('node fault: its work goes to another node, the mission completes with exactly the total (partial exposure is never lost)', async () => {
    const filter = uniqueFilter();
    const a = await addNode(filter, 'a');
    const b = await addNode(filter, 'b');
    const { mission } = await createMission(database.db, { ...VEGA, filter, totalExposureS: 300, subExposureS: 60 }, T0);
    const first = (await assignWork(database.db, a, T0, { leaseS: 120 }))!;
    expect(first.command).toMatchObject({ kind: 'observe', nodeId: a, taskId: first.task.id, state: 'PENDING' });
    for (let k = 1; k <= 2; k++) {
      await creditFrame(database.db, { missionId: mission.id, taskId: first.task.id, nodeId: a, frame: frame(k), exposureS: 60, accepted: true }, at(60 * k));
    }
    // Node a goes silent; the fault sweeper marks it FAULTED and releases its tasks.
    await database.db.updateTable('nodes').set({ state: 'FAULTED' }).where('id', '=', a).execute();
    expect(await releaseNodeTasks(database.db, a, at(300))).toBe(1);
    expect(await releaseNodeTasks(database.db, a, at(301))).toBe(0);
    const cmd = await database.db.selectFrom('commands').select('state').where('id', '=', first.command.id).executeTakeFirstOrThrow();
    expect(cmd.state).toBe('CANCELLED');
    expect(await assignWork(database.db, a, at(302), { leaseS: 120 })).toBeNull(); // FAULTED gets nothing

    const second = (await assignWork(database.db, b, at(310), { leaseS: 120 }))!;
    expect(second.task).toMatchObject({ parentTaskId: first.task.id, exposureS: 180, state: 'LEASED', nodeId: b });
    expect(second.command.payload).toMatchObject({ missionId: mission.id, taskId: second.task.id, count: 3, subExposureS: 60, filter, raDeg: VEGA.raDeg });
    let last;
    for (let k = 1; k <= 3; k++) {
      last = await creditFrame(database.db, { missionId: mission.id, taskId: second.task.id, nodeId: b, frame: frame(10 + k), exposureS: 60, accepted: true }, at(400 + 60 * k));
    }
    expect(last!.completed).toBe(true);
    const done = await getMission(database.db, mission.id);
    expect(done).toMatchObject({ state: 'COMPLETE', deliveredExposureS: 300 });

    // Node a comes back and uploads a frame it had taken: stored, but the mission is full.
    const late = await creditFrame(database.db, { missionId: mission.id, taskId: first.task.id, nodeId: a, frame: frame(3), exposureS: 60, accepted: true }, at(700));
    expect(late).toMatchObject({ creditedS: 0, exposureState: 'ACCEPTED' });
    const progress = await missionProgress(database.db, mission.id);
    expect(progress.deliveredExposureS).toBe(300);
    expect(progress.partialTasks.map((p) => p.remainderTaskIds)).toEqual([[second.task.id]]);
    expect(Object.fromEntries(progress.nodes.map((n) => [n.nodeName, n.acceptedExposureS]))).toEqual({ a: 180, b: 180 });
  });

  it('concurrent frames for one mission add up exactly; the completing one fires onComplete once', async () => {
    const filter = uniqueFilter();
    const node = await addNode(filter);
    const open = await createMission(database.db, { ...VEGA, filter, totalExposureS: 1500, subExposureS: 60 }, T0);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        creditFrame(database.db, { missionId: open.mission.id, nodeId: node, frame: frame(k), exposureS: 60, accepted: true }, at(60 * k)),
      ),
    );
    expect(results.reduce((s, r) => s + r.creditedS, 0)).toBe(1200);
    expect((await getMission(database.db, open.mission.id)).deliveredExposureS).toBe(1200);

    const capped = await createMission(database.db, { ...VEGA, filter, totalExposureS: 1000, subExposureS: 60 }, T0);
    const completions: string[] = [];
    const onComplete = async (trx: Parameters<NonNullable<Parameters<typeof creditFrame>[3]>['onComplete'] & object>[0], m: { id: string }) => {
      // Inside the crediting transaction: it already sees the mission COMPLETE.
      const row = await trx.selectFrom('missions').select('state').where('id', '=', m.id).executeTakeFirstOrThrow();
      completions.push(row.state);
    };
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, k) =>
        creditFrame(database.db, { missionId: capped.mission.id, nodeId: node, frame: { ...frame(k), sha256: randomBytes(32).toString('hex') }, exposureS: 60, accepted: true }, at(60 * k), { onComplete }),
      ),
    );
    expect(many.reduce((s, r) => s + r.creditedS, 0)).toBe(1000);
    expect(many.filter((r) => r.completed)).toHaveLength(1);
    expect(completions).toEqual(['COMPLETE']);
    expect(await getMission(database.db, capped.mission.id)).toMatchObject({ state: 'COMPLETE', deliveredExposureS: 1000 });

    // The same file posted 10 times at once is credited once.
    const dup = await createMission(database.db, { ...VEGA, filter, totalExposureS: 600, subExposureS: 60 }, T0);
    const sha = randomBytes(32).toString('hex');
    const same = await Promise.all(
      Array.from({ length: 10 }, () => creditFrame(database.db, { missionId: dup.mission.id, nodeId: node, frame: { ...frame(0), sha256: sha }, exposureS: 60, accepted: true }, T0)),
    );
    expect(same.filter((r) => !r.duplicate)).toHaveLength(1);
    expect((await getMission(database.db, dup.mission.id)).deliveredExposureS).toBe(60);
  });

  it('a throwing onComplete rolls the credit back; a retry completes', async () => {
    const filter = uniqueFilter();
    const node = await addNode(filter);
    const { mission } = await createMission(database.db, { ...VEGA, filter, totalExposureS: 120, subExposureS: 60 }, T0);
    await creditFrame(database.db, { missionId: mission.id, nodeId: node, frame: frame(0), exposureS: 60, accepted: true }, T0);
    const failing = creditFrame(database.db, { missionId: mission.id, nodeId: node, frame: { ...frame(1), sha256: 'b'.repeat(64) }, exposureS: 60, accepted: true }, at(60), {
      onComplete: async () => {
        throw new Error('queue down');
      },
    });
    await expect(failing).rejects.toThrow('queue down');
    expect(await getMission(database.db, mission.id)).toMatchObject({ state: 'ACTIVE', deliveredExposureS: 60, completedAt: null });
    expect(await database.db.selectFrom('exposures').select('id').where('sha256', '=', 'b'.repeat(64)).execute()).toEqual([]);

    let calls = 0;
    const ok = await creditFrame(database.db, { missionId: mission.id, nodeId: node, frame: { ...frame(1), sha256: 'b'.repeat(64) }, exposureS: 60, accepted: true }, at(61), {
      onComplete: async () => {
        calls += 1;
      },
    });
    expect(ok.completed).toBe(true);
    expect(calls).toBe(1);
  });

  it('cancelMission cancels open tasks and tells the holding node to abort; frames after it earn nothing', async () => {
    const filter = uniqueFilter();
    const node = await addNode(filter);
    const { mission } = await createMission(database.db, { ...VEGA, filter, totalExposureS: 7200, subExposureS: 300 }, T0);
    const work = (await assignWork(database.db, node, T0, { leaseS: 120 }))!;
    const cancelled = await cancelMission(database.db, mission.id, at(10));
    expect(cancelled.state).toBe('CANCELLED');
    expect((await tasksOf(mission.id)).map((t) => t.state)).toEqual(['CANCELLED', 'CANCELLED']);
    const cmds = await database.db.selectFrom('commands').select(['kind', 'state']).where('task_id', '=', work.task.id).orderBy('created_at').orderBy('kind').execute();
    expect(cmds).toEqual(expect.arrayContaining([{ kind: 'observe', state: 'CANCELLED' }, { kind: 'abort', state: 'PENDING' }]));
    expect((await cancelMission(database.db, mission.id, at(11))).state).toBe('CANCELLED');
    const after = await creditFrame(database.db, { missionId: mission.id, taskId: work.task.id, nodeId: node, frame: frame(1), exposureS: 300, accepted: true }, at(400));
    expect(after.creditedS).toBe(0);
    expect(await assignWork(database.db, node, at(500), { leaseS: 120 })).toBeNull();

    const small = await createMission(database.db, { ...VEGA, filter, totalExposureS: 60, subExposureS: 60 }, T0);
    await creditFrame(database.db, { missionId: small.mission.id, nodeId: node, frame: frame(0), exposureS: 60, accepted: true }, T0);
    await expectNetworkError(cancelMission(database.db, small.mission.id, at(5)), 'CONFLICT', /COMPLETE/);
    await expectNetworkError(cancelMission(database.db, 'nope', at(5)), 'NOT_FOUND');
    const listed = await listMissions(database.db, { state: 'CANCELLED' });
    expect(listed.map((m) => m.id)).toContain(mission.id);
    expect(listed.every((m) => m.state === 'CANCELLED')).toBe(true);
    await expectNetworkError(listMissions(database.db, { limit: 0 }), 'BAD_REQUEST', /limit/);
  });

  it('expired leases: never started → PENDING; acknowledged → RUNNING; overdue RUNNING → PARTIAL + remainder', async () => {
    const filter = uniqueFilter();
    const node = await addNode(filter);
    // Three separate one-task missions.
    const m1 = await createMission(database.db, { ...VEGA, filter, totalExposureS: 600, subExposureS: 60, priority: 3 }, T0);
    const m2 = await createMission(database.db, { ...VEGA, filter, totalExposureS: 600, subExposureS: 60, priority: 2 }, T0);
    const m3 = await createMission(database.db, { ...VEGA, filter, totalExposureS: 600, subExposureS: 60, priority: 1 }, T0);

    const w1 = (await assignWork(database.db, node, T0, { leaseS: 60 }))!;
    expect(w1.mission.id).toBe(m1.mission.id);
    expect(await expireTaskLeases(database.db, at(59))).toBe(0);
    expect(await expireTaskLeases(database.db, at(60))).toBe(1);
    const t1 = (await tasksOf(m1.mission.id))[0];
    expect(t1).toMatchObject({ state: 'PENDING', node_id: null, lease_expires_at: null });
    expect((await database.db.selectFrom('commands').select('state').where('id', '=', w1.command.id).executeTakeFirstOrThrow()).state).toBe('CANCELLED');

    // The node acknowledges its observe command (commands.ts sets acked_at): the lease running out means it started.
    const w2 = (await assignWork(database.db, node, at(100), { leaseS: 60 }))!;
    expect(w2.mission.id).toBe(m1.mission.id); // the same (highest-priority) task again
    await database.db.updateTable('commands').set({ state: 'ACKED', acked_at: at(110) }).where('id', '=', w2.command.id).execute();
    expect(await expireTaskLeases(database.db, at(161))).toBe(1);
    const running = (await tasksOf(m1.mission.id))[0];
    expect(running.state).toBe('RUNNING');
    expect(running.lease_expires_at).toEqual(at(110 + 600 + 900));
    // Two frames, then silence past the deadline (frames renew it).
    for (let k = 1; k <= 2; k++) {
      await creditFrame(database.db, { missionId: m1.mission.id, taskId: running.id, nodeId: node, frame: frame(k), exposureS: 60, accepted: true }, at(200 + 60 * k));
    }
    const renewed = (await tasksOf(m1.mission.id))[0];
    expect(renewed.lease_expires_at).toEqual(at(320 + 480 + 900));
    expect(await expireTaskLeases(database.db, at(1699))).toBe(0);
    expect(await expireTaskLeases(database.db, at(1700))).toBe(1);
    const after = await tasksOf(m1.mission.id);
    expect(after.map((t) => [t.state, t.exposure_s, t.delivered_exposure_s])).toEqual([
      ['PARTIAL', 600, 120],
      ['PENDING', 480, 0],
    ]);

    // startTask is the explicit form of the same (for an ack hook).
    const w3 = (await assignWork(database.db, node, at(1800), { leaseS: 60 }))!;
    const started = await startTask(database.db, w3.task.id, node, at(1805));
    expect(started.state).toBe('RUNNING');
    expect((await startTask(database.db, w3.task.id, node, at(1806))).leaseExpiresAt).toEqual(started.leaseExpiresAt);
    await expectNetworkError(startTask(database.db, (await tasksOf(m2.mission.id))[0].id, node, at(1807)), 'LEASE_EXPIRED');
    void m3;
  });

  it('startLeaseExpirer runs expireTaskLeases on its timer with the injected clock; stop() ends it', async () => {
    const filter = uniqueFilter();
    const node = await addNode(filter);
    const { mission } = await createMission(database.db, { ...VEGA, filter, totalExposureS: 60, subExposureS: 60 }, T0);
    await assignWork(database.db, node, T0, { leaseS: 30 });
    const clock = manualClock(T0);
    const pending: Array<() => void> = [];
    let cleared = 0;
    const errors: unknown[] = [];
    const expirer = startLeaseExpirer({
      database,
      clock,
      intervalMs: 1000,
      onError: (e) => errors.push(e),
      timers: { setTimeout: (fn) => pending.push(fn), clearTimeout: () => void (cleared += 1) },
    });
    expect(pending).toHaveLength(1);
    expect(await expirer.tick()).toBe(0); // lease not yet run out
    clock.advance(30_000);
    pending.shift()!(); // the timer fires
    await expirer.tick(); // serialised after the timer's pass
    expect((await tasksOf(mission.id))[0]).toMatchObject({ state: 'PENDING', node_id: null });
    await expirer.stop();
    await expirer.stop();
    expect(cleared).toBe(1);
    await expect(expirer.tick()).rejects.toThrow(/stopped/);
    expect(errors).toEqual([]);
  });
});
