/**
 * The node agent against a real service on loopback (PGlite in a temp folder, and
 * PostgreSQL when configured), sharing an accelerated clock. One service for all, because
 * starting one is most of the cost:
 * - a simulated node registers, takes a task, exposes, uploads, and the mission is credited;
 * - bad commands are reported failed with a reason while the node stays healthy;
 * - an abort, unsafe weather and a shutdown each cut the exposure short and end the task;
 * - with the service down for a while the node keeps observing, its frames wait in the
 *   outbox and all arrive once it is back, none twice;
 * - kill -9 of the agent (a child process, `openastro agent --config node.toml`) mid-upload,
 *   then a restart: no second registration, the observation and the upload resume, every
 *   frame arrives exactly once; SIGTERM then parks it and it exits 0;
 * - INDI: the agent drives Debian's indiserver simulators (skipped with the reason when
 *   indi-bin is missing, failing under OPENASTRO_REQUIRE_TOOLS=1) and uploads a valid FITS.
 */
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createCommand, getCommand } from '../../src/network/commands/commands.js';
import { createLogger } from '../../src/platform/log/index.js';
import { realSleep } from '../../src/agent/devices/time.js';
import { zenithJ2000 } from '../../src/agent/devices/coordinates.js';
import { openAgent, type Agent, type AgentEvent } from '../../src/agent/lifecycle/index.js';
import { readStatusFile } from '../../src/agent/status.js';
import { statePaths } from '../../src/agent/config.js';
import { primaryEngine } from '../platform/engines.js';
import { createSimulatedObservatory, type SimulatedObservatory } from '../../src/agent/devices/simulator/index.js';
import { parseAgentConfig } from '../../src/agent/config.js';
import { readObject } from '../../src/pipeline/objects.js';
import { decompressImage, FitsReader } from '../../src/science/fits/index.js';
import { angularSeparationDeg } from '../../src/science/wcs/index.js';
import { missingTools } from '../helpers/tools.js';
import { startIndiServer, type IndiServer } from './indi-server.js';
import { createMission, FILTERS, OPERATOR, OPTICS, runAgentProcess, simulatorConfig, SITE, startHarness, waitFor, type AgentChild, type Harness, type MissionJson } from './agent-harness.js';

const SPEED = 5;
const site = { latDeg: SITE.latDeg, lonDeg: SITE.lonDeg, heightM: SITE.elevationM };
const indiSkip = missingTools({ commands: ['indiserver', 'indi_simulator_telescope', 'indi_simulator_ccd'] });

// One engine: the agent only sees the HTTP API (test/platform/engines.ts primaryEngine).
describe.each([primaryEngine()])('node agent lifecycle on %s', (engineName) => {
  let h: Harness;
  let agent: Agent;
  let stateDir: string;
  let cloudy = false;
  let observatory: SimulatedObservatory;
  const events: AgentEvent[] = [];
  const observatoryParked = () => observatory.mount.isParked();

  let indi: IndiServer | undefined;
  const children: AgentChild[] = [];

  beforeAll(async () => {
    [h, indi] = await Promise.all([startHarness(engineName, { speed: SPEED }), indiSkip === undefined ? startIndiServer() : undefined]);
    stateDir = await mkdtemp(path.join(h.dir, 'node-'));
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await agent?.stop().catch(() => undefined);
    await indi?.stop();
    await h?.close();
  }, 60_000);

  const db = () => h.service.context.database.db;
  const mission = (id: string) => h.operator.get<{ mission: MissionJson; deliveredExposureS: number }>(`/api/v1/missions/${id}`);
  const target = (dRaDeg = 0) => {
    const [ra, dec] = zenithJ2000(site, h.clock.now());
    return { raDeg: (ra + dRaDeg + 360) % 360, decDeg: dec - 5 };
  };
  const framesOf = (taskIds: Set<string>) =>
    events.filter((e): e is Extract<AgentEvent, { type: 'frame' }> => e.type === 'frame' && taskIds.has(e.taskId));
  /** Frames of a mission (its id is in the file name), whichever task they were taken for. */
  const framesOfMission = (missionId: string) =>
    events.filter((e): e is Extract<AgentEvent, { type: 'frame' }> => e.type === 'frame' && e.fileName.includes(`ObsReq-${missionId}_`));

  it('registers, takes a task, exposes, uploads, and the mission is credited', async () => {
    const m = await createMission(h, { name: 'agent first light', ...target(), filter: 'V', totalExposureS: 15, subExposureS: 5 });
    // Heartbeats every 15 s, but the service faults the node only after 3 × 30 s of silence.
    const config = simulatorConfig(h, stateDir, { register: { operatorToken: OPERATOR, name: 'sim node 1', heartbeatIntervalS: 30 } });
    // The simulator as the configuration would build it, but with clouds the test controls.
    observatory = createSimulatedObservatory({
      site,
      optics: { apertureMm: OPTICS.apertureMm, focalLengthMm: OPTICS.focalLengthMm, pixelSizeUm: OPTICS.pixelSizeUm, widthPx: OPTICS.sensorWidthPx, heightPx: OPTICS.sensorHeightPx, gainEPerAdu: OPTICS.gainEPerAdu, readNoiseE: OPTICS.readNoiseE, biasAdu: 500 },
      clock: h.clock,
      sleep: realSleep(SPEED),
      seed: 7,
      filters: FILTERS,
      clouds: { kind: 'custom', transparencyAt: () => (cloudy ? 0.05 : 1) },
      mount: { slewRateDegPerS: 30, settleS: 1 },
      camera: { readoutS: 0.5 },
    });
    agent = await openAgent(config, { observatory, clock: h.clock, sleep: realSleep(SPEED), logger: createLogger({ level: 'silent' }), onEvent: (e) => events.push(e) });

    // Registered once, the token kept for the owner only.
    const cred = statePaths(stateDir).credentials;
    expect((await stat(cred)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(cred, 'utf8')).nodeId).toBe(agent.nodeId);

    const done = await waitFor('mission credited', async () => {
      const x = await mission(m.id);
      return x.mission.state === 'COMPLETE' ? x : undefined;
    }, 60_000);
    expect(done.deliveredExposureS).toBe(15);

    const rows = await db().selectFrom('exposures').selectAll().where('mission_id', '=', m.id).orderBy('started_at').execute();
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.node_id === agent.nodeId && r.state === 'ACCEPTED' && r.object_key !== null && r.filter === 'V')).toBe(true);
    // The compact tier met its frame on the same row.
    expect(rows.every((r) => r.measurement !== null)).toBe(true);
    const sent = framesOf(new Set(rows.map((r) => r.task_id as string)));
    expect(new Set(rows.map((r) => r.sha256))).toEqual(new Set(sent.map((f) => f.sha256)));

    // Reported done with what it did.
    const cmd = await waitFor('observe command DONE', async () => {
      const c = await db().selectFrom('commands').selectAll().where('node_id', '=', agent.nodeId).where('kind', '=', 'observe').executeTakeFirst();
      return c?.state === 'DONE' ? c : undefined;
    });
    expect(cmd.result).toMatchObject({ frames: 3, uploadedFrames: 3, rejected: [] });
    const node = await db().selectFrom('nodes').selectAll().where('id', '=', agent.nodeId).executeTakeFirstOrThrow();
    expect(node.state).not.toBe('FAULTED');
    expect(node.weather_ok).toBe(true);
  }, 90_000);

  it('reports bad commands failed with a reason and stays healthy', async () => {
    const now = h.clock.now();
    const [zRa, zDec] = zenithJ2000(site, now);
    const base = { missionId: randomUUID(), taskId: randomUUID(), missionName: 'bad', subExposureS: 5, count: 1, notAfter: null };
    const mk = (kind: string, payload: Record<string, unknown>) => createCommand(db(), { nodeId: agent.nodeId, kind, payload }, h.clock.now());
    const unknownTarget = await mk('observe', { ...base, targetName: 'Nowhere Nebula', raDeg: null, decDeg: null, filter: 'V' });
    const noFilter = await mk('observe', { ...base, targetName: 'field', ...target(), filter: 'H-alpha' });
    const below = await mk('observe', { ...base, targetName: 'antipode', raDeg: (zRa + 180) % 360, decDeg: -zDec, filter: 'V' });
    const unknownKind = await mk('dance', { steps: 3 });
    const ids = [unknownTarget.id, noFilter.id, below.id, unknownKind.id];

    const rows = await waitFor('four commands reported', async () => {
      const r = await Promise.all(ids.map((id) => getCommand(db(), id)));
      return r.every((c) => c.state === 'FAILED') ? new Map(r.map((c) => [c.id, c])) : undefined;
    });
    expect(rows.get(unknownTarget.id)!.reason).toMatch(/unknown target 'Nowhere Nebula'/);
    expect(rows.get(noFilter.id)!.reason).toMatch(/FILTER_NOT_PRESENT.*H-alpha/);
    expect(rows.get(below.id)!.reason).toMatch(/BELOW_HORIZON/);
    expect(rows.get(unknownKind.id)!.reason).toMatch(/unknown command kind 'dance'/);

    // Still healthy: heartbeats keep coming with the node ONLINE and its weather good.
    const before = (await db().selectFrom('nodes').select('last_heartbeat_at').where('id', '=', agent.nodeId).executeTakeFirstOrThrow()).last_heartbeat_at!;
    await waitFor('a later heartbeat', async () => {
      const n = await db().selectFrom('nodes').select(['last_heartbeat_at', 'state']).where('id', '=', agent.nodeId).executeTakeFirstOrThrow();
      return n.last_heartbeat_at! > before && n.state === 'ONLINE' ? n : undefined;
    });
    expect(agent.status().state).toBe('ONLINE');
    // Each delivered and handled once.
    const received = events.filter((e) => e.type === 'command' && e.action === 'received' && ids.includes(e.id));
    expect(received).toHaveLength(4);
  }, 60_000);

  /** Waits until the agent is exposing for mission `missionId`; returns its task id. */
  const busyWith = (missionId: string) =>
    waitFor(`observing mission ${missionId}`, () => {
      const t = agent.status().task;
      return t?.missionId === missionId && agent.status().state === 'BUSY' ? t.taskId : undefined;
    }, 60_000);

  it('an abort (the mission was cancelled) stops the exposure at once', async () => {
    // 60 s frames: 12 s of real time each, so an abort that waited for the frame would show.
    const m = await createMission(h, { name: 'agent abort', ...target(-10), filter: 'V', totalExposureS: 120, subExposureS: 60 });
    const taskId = await busyWith(m.id);
    await new Promise((r) => setTimeout(r, 500)); // into the exposure
    const t0 = performance.now();
    await h.operator.post(`/api/v1/missions/${m.id}/cancel`, {});
    await waitFor('idle again', () => (agent.status().state === 'ONLINE' ? true : undefined), 20_000);
    expect(performance.now() - t0).toBeLessThan(8000);

    const abort = await waitFor('abort command reported', async () => {
      const c = await db().selectFrom('commands').selectAll().where('node_id', '=', agent.nodeId).where('kind', '=', 'abort').where('task_id', '=', taskId).executeTakeFirst();
      return c?.state === 'DONE' ? c : undefined;
    });
    expect(abort.result).toMatchObject({ aborted: true });
    const report = events.find((e): e is Extract<AgentEvent, { type: 'report' }> => e.type === 'report' && e.kind === 'observe' && !e.ok && /^abort: /.test(e.reason ?? ''));
    expect(report).toBeDefined();
    expect(events.some((e) => e.type === 'task-ended' && e.taskId === taskId && /^abort: /.test(e.reason))).toBe(true);
    expect(framesOfMission(m.id)).toHaveLength(0);
  }, 60_000);

  it('unsafe weather stops the exposure, ends the task (weather), parks and reports PARKED', async () => {
    const m = await createMission(h, { name: 'agent weather', ...target(-5), filter: 'V', totalExposureS: 60, subExposureS: 60 });
    const taskId = await busyWith(m.id);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    cloudy = true;
    const node = await waitFor('node PARKED with bad weather', async () => {
      const n = await db().selectFrom('nodes').select(['state', 'weather_ok']).where('id', '=', agent.nodeId).executeTakeFirstOrThrow();
      return n.state === 'PARKED' && n.weather_ok === false ? n : undefined;
    }, 20_000);
    expect(node).toBeDefined();
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(events.some((e) => e.type === 'task-ended' && e.taskId === taskId && e.reason === 'weather')).toBe(true);
    const cmd = await waitFor('observe reported failed', async () => {
      const c = await db().selectFrom('commands').select('id').where('task_id', '=', taskId).where('kind', '=', 'observe').executeTakeFirst();
      const info = c ? await getCommand(db(), c.id) : undefined;
      return info?.state === 'FAILED' ? info : undefined;
    });
    expect(cmd.reason).toMatch(/^weather: clouds/);
    // The task went back to the pool whole (nothing was delivered), to be observed later.
    const task = await db().selectFrom('tasks').select(['state', 'node_id']).where('id', '=', taskId).executeTakeFirstOrThrow();
    expect(task).toEqual({ state: 'PENDING', node_id: null });
    expect(agent.status().state).toBe('PARKED');
    await waitFor('mount parked', async () => (await observatoryParked()) || undefined, 10_000);

    // Clear again: back ONLINE (and it takes work again).
    cloudy = false;
    await waitFor('node ONLINE again', async () => {
      const n = await db().selectFrom('nodes').select(['state', 'weather_ok']).where('id', '=', agent.nodeId).executeTakeFirstOrThrow();
      return n.weather_ok === true && n.state !== 'PARKED' ? n : undefined;
    }, 20_000);
    await h.operator.post(`/api/v1/missions/${m.id}/cancel`, {});
    await waitFor('idle', () => (agent.status().state === 'ONLINE' ? true : undefined), 20_000);
  }, 60_000);

  it('keeps observing while the service is down; every frame arrives once it is back, none twice', async () => {
    const m = await createMission(h, { name: 'agent outage', ...target(10), filter: 'R', totalExposureS: 20, subExposureS: 5 });
    // The first frame of the task is through: then the service goes away.
    const taskId = await waitFor('first frame of the task stored', async () => {
      const r = await db().selectFrom('exposures').select('task_id').where('mission_id', '=', m.id).where('object_key', 'is not', null).executeTakeFirst();
      return r?.task_id ?? undefined;
    }, 60_000);
    const missingBefore = events.length;
    await h.down();

    // Down: the node goes on taking frames; they wait in the outbox.
    await waitFor('two frames taken while down', () => framesOf(new Set([taskId])).length >= 3 || undefined, 60_000);
    expect(agent.status().outbox.frames).toBeGreaterThan(0);
    const downEvents = events.slice(missingBefore);
    expect(downEvents.some((e) => e.type === 'heartbeat' && !e.ok) || downEvents.some((e) => e.type === 'upload' && e.event.type === 'failed')).toBe(true);

    await h.up();
    const done = await waitFor('mission credited after the outage', async () => {
      const x = await mission(m.id);
      return x.mission.state === 'COMPLETE' && agent.status().outbox.items === 0 ? x : undefined;
    }, 60_000);
    expect(done.deliveredExposureS).toBe(20);

    // (Had the outage outlasted three heartbeat intervals, the service would have taken the
    // task back and handed out the rest as a new task: count by mission, not by task.)
    const frames = framesOfMission(m.id).filter((f) => f.upload);
    expect(frames.length).toBeGreaterThanOrEqual(4);
    const rows = await db().selectFrom('exposures').select(['sha256', 'state']).where('mission_id', '=', m.id).execute();
    // All arrived, none twice.
    expect(rows).toHaveLength(frames.length);
    expect(new Set(rows.map((r) => r.sha256))).toEqual(new Set(frames.map((f) => f.sha256)));
    const dup = await sql<{ n: number }>`select count(*)::int as n from (select sha256 from exposures where sha256 is not null group by sha256 having count(*) > 1) d`.execute(db());
    expect(dup.rows[0].n).toBe(0);

    // No busy loop while it was down: heartbeats backed off.
    const failedHeartbeats = events.filter((e) => e.type === 'heartbeat' && !e.ok).length;
    expect(failedHeartbeats).toBeLessThan(15);
  }, 120_000);

  it('stops mid-task: the exposure is cut, the task ended (shutdown), the mount parked, the node PARKED', async () => {
    const m = await createMission(h, { name: 'agent shutdown', ...target(5), filter: 'V', totalExposureS: 120, subExposureS: 60 });
    const taskId = await busyWith(m.id);
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    await agent.stop();
    expect(performance.now() - t0).toBeLessThan(8000);
    expect(events.some((e) => e.type === 'task-ended' && e.taskId === taskId && e.reason === 'shutdown')).toBe(true);
    const task = await db().selectFrom('tasks').select(['state']).where('id', '=', taskId).executeTakeFirstOrThrow();
    expect(task.state).toBe('PENDING');
    const cmd = await db().selectFrom('commands').select('id').where('task_id', '=', taskId).where('kind', '=', 'observe').executeTakeFirstOrThrow();
    const info = await getCommand(db(), cmd.id);
    expect(info.state).toBe('FAILED');
    expect(info.reason).toMatch(/^shutdown/);
    const node = await db().selectFrom('nodes').select(['state']).where('id', '=', agent.nodeId).executeTakeFirstOrThrow();
    expect(node.state).toBe('PARKED');
    const s = await readStatusFile(statePaths(stateDir).status);
    expect(s?.state).toBe('STOPPED');
    expect(s?.outbox.items).toBe(0);
    await h.operator.post(`/api/v1/missions/${m.id}/cancel`, {}); // not for the nodes below
  }, 30_000);

  it('survives kill -9 mid-upload: after a restart everything arrives exactly once', async () => {
    const db = h.service.context.database.db;
    const m = await createMission(h, { name: 'crash field', ...target(15), filter: 'V', totalExposureS: 15, subExposureS: 5, priority: 20 });

    const nodeDir = path.join(h.dir, 'crash-node');
    await mkdir(nodeDir, { recursive: true });
    const configFile = path.join(nodeDir, 'node.toml');
    const t = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n');
    await writeFile(
      configFile,
      [
        t({ server: h.url, stateDir: 'state', heartbeatIntervalS: 15, filters: FILTERS }),
        '[register]',
        t({ operatorToken: OPERATOR, name: 'crash node', heartbeatIntervalS: 30 }),
        '[site]',
        t(SITE),
        '[optics]',
        t(OPTICS),
        '[devices]',
        t({ kind: 'simulator', seed: 11, slewRateDegPerS: 30, settleS: 1, readoutS: 0.5 }),
        '[clock]',
        // The service's clock, anchored in real time, so both processes agree on the time.
        t({ speed: SPEED, start: h.clock.now().toISOString(), realStart: new Date().toISOString() }),
        '[limits]',
        // A capped uplink: a frame takes about a second to send, so the kill lands inside one.
        t({ pollWaitS: 2, workRetryS: 5, retryMaxS: 10, backoffBaseS: 2, backoffMaxS: 10, chunkKb: 8, uploadKBps: 64, requestTimeoutS: 10 }),
        '[log]',
        t({ level: 'debug', file: '-' }),
        '',
      ].join('\n'),
    );

    // Run 1: killed right after the server confirmed part of a frame.
    const first = runAgentProcess(configFile, (l, c) => {
      if (l.msg === 'upload progress' && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    });
    children.push(first);
    const exit1 = await Promise.race([first.exit, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`run 1 never uploaded:\n${first.text().slice(-3000)}`)), 90_000))]);
    expect(exit1.signal).toBe('SIGKILL');
    const open = await db.selectFrom('uploads').selectAll().where('state', '=', 'OPEN').execute();
    expect(open).toHaveLength(1);
    expect(open[0].offset_bytes).toBeGreaterThan(0);
    expect(open[0].offset_bytes).toBeLessThan(open[0].bytes);

    // Run 2: the same node, resuming.
    const second = runAgentProcess(configFile);
    children.push(second);
    const queued = () => [...first.lines, ...second.lines].filter((l) => l.msg === 'frame queued').map((l) => l.sha256 as string);
    await waitFor(
      'mission credited and every queued frame stored',
      async () => {
        const p = await mission(m.id);
        const rows = await db.selectFrom('exposures').select('sha256').where('mission_id', '=', m.id).where('object_key', 'is not', null).execute();
        return p.mission.state === 'COMPLETE' && rows.length === new Set(queued()).size ? rows : undefined;
      },
      90_000,
    );
    second.proc.kill('SIGTERM');
    const exit2 = await second.exit;
    expect(exit2.code, second.text().slice(-2000)).toBe(0);

    const shas = queued();
    const rows = await db.selectFrom('exposures').select(['sha256']).where('mission_id', '=', m.id).execute();
    // Everything arrived, exactly once; at most the frame in hand at the kill was taken again.
    expect(shas.length).toBeGreaterThanOrEqual(3);
    expect(shas.length).toBeLessThanOrEqual(4);
    expect(new Set(shas).size).toBe(shas.length);
    expect(rows).toHaveLength(shas.length);
    expect(new Set(rows.map((r) => r.sha256))).toEqual(new Set(shas));
    // The interrupted upload went on in its own session rather than starting over.
    const resumed = await db.selectFrom('uploads').selectAll().where('id', '=', open[0].id).executeTakeFirstOrThrow();
    expect(resumed.state).toBe('COMPLETE');
    // Registered once; the second run used the stored token and resumed the observation.
    const nodes = await db.selectFrom('nodes').select('id').where('name', '=', 'crash node').execute();
    expect(nodes).toHaveLength(1);
    expect(second.lines.some((l) => l.msg === 'resuming an interrupted observation')).toBe(true);
    // SIGTERM parked it and it said so.
    const node = await db.selectFrom('nodes').select('state').where('id', '=', nodes[0].id).executeTakeFirstOrThrow();
    expect(node.state).toBe('PARKED');
    expect((await readStatusFile(statePaths(path.join(nodeDir, 'state')).status))?.state).toBe('STOPPED');
  }, 200_000);

  it.skipIf(indiSkip !== undefined)('drives the INDI simulators: slews, exposes through the CCD, uploads a valid FITS', async () => {
    const db = h.service.context.database.db;
    const tgt = target(-15);
    // 'Green' is a filter of the CCD simulator's wheel and of no other node here.
    const m = await createMission(h, { name: 'indi field', ...tgt, filter: 'Green', totalExposureS: 2, subExposureS: 1 });
    const indiState = await mkdtemp(path.join(h.dir, 'indi-node-'));
    const config = parseAgentConfig(
      {
        server: h.url,
        stateDir: indiState,
        heartbeatIntervalS: 15,
        filters: ['Red', 'Green', 'Blue', 'Luminance'],
        register: { operatorToken: OPERATOR, name: 'indi node', heartbeatIntervalS: 30 },
        site: SITE,
        optics: { apertureMm: 120, focalLengthMm: 900, pixelSizeUm: 5.2, sensorWidthPx: 1280, sensorHeightPx: 1024 },
        devices: { kind: 'indi', host: '127.0.0.1', port: indi!.port, slewTimeoutS: 120 },
        // The CCD simulator draws no stars without a GSC catalogue: upload whatever comes.
        limits: { minStars: 0, pollWaitS: 1, workRetryS: 5, retryMaxS: 10, requestTimeoutS: 30 },
      },
      { cwd: indiState, env: {} },
    );
    // The drivers run in real time; the agent and the service share the test's clock.
    const indiAgent = await openAgent(config, { clock: h.clock, sleep: realSleep(SPEED), logger: createLogger({ level: 'silent' }) });
    try {
      const rows = await waitFor(
        'two frames stored',
        async () => {
          const r = await db.selectFrom('exposures').selectAll().where('mission_id', '=', m.id).where('object_key', 'is not', null).execute();
          return r.length >= 2 ? r : undefined;
        },
        120_000,
      );
      for (const row of rows) {
        const reader = await FitsReader.open(await readObject(h.service.context.storage!, row.object_key!));
        try {
          const hdu = reader.hdus.find((x) => x.type === 'compressed-image');
          expect(hdu, 'a RICE-compressed image extension').toBeDefined();
          const { header, image } = decompressImage(hdu!.header, await reader.readDataBytes(hdu!.index), { hdu: hdu!.index });
          expect(image.width * image.height).toBeGreaterThan(0);
          expect(image.data.length).toBe(image.width * image.height);
          expect(header.getNumber('EXPTIME')).toBeCloseTo(1, 6);
          expect(header.getString('FILTER')?.trim()).toBe('Green');
          expect(header.getString('OBJECT')?.trim()).toBe('indi field');
          // The telescope went where it was sent (the simulator stops within a few arcminutes).
          expect(angularSeparationDeg(header.getNumber('RA')!, header.getNumber('DEC')!, tgt.raDeg, tgt.decDeg) * 60).toBeLessThan(5);
          expect(row.file_name).toMatch(new RegExp(`^ObsReq-${m.id}_TelID-${indiAgent.nodeId}_\\d{8}T\\d{6}\\.fits$`));
        } finally {
          await reader.close();
        }
      }
    } finally {
      // Parking the simulator telescope takes half a minute of real time: end the drivers
      // first, so the agent's park fails at once (and is reported) instead.
      await indi?.stop();
      indi = undefined;
      await indiAgent.stop();
    }
    const node = await db.selectFrom('nodes').select('state').where('id', '=', indiAgent.nodeId).executeTakeFirstOrThrow();
    expect(node.state).toBe('PARKED');
  }, 180_000);
});
