/**
 * `openastro demo`: a simulated night of a worldwide network, end to end, in one process.
 *
 *   data folder → scenario → service (embedded PGlite, objects on disk, HTTP API and
 *   dashboard) + pipeline workers on the simulation clock → missions (a deep field, a
 *   variable star, a transiting planet with archival timings, later a target of
 *   opportunity) → a dozen node agents at real observatories → the night (progress on
 *   the terminal; one node's link cut mid-task; clouds) → drain (uploads, pipeline, the
 *   TTV inference) → self-check: injected truth vs recovered → summary table, exit status.
 *
 * Stop order is the reverse of start: agents park and stop, the pipeline workers finish
 * their job, then the service closes (HTTP, jobs, database). A failure anywhere closes
 * what was started and rethrows.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Kysely } from 'kysely';
import type { AgentEvent } from '../agent/lifecycle/index.js';
import { createMission } from '../network/missions/missions.js';
import { loadConfig, type Config, type LogLevel } from '../platform/config/index.js';
import type { Schema } from '../platform/db/schema.js';
import type { Jobs } from '../platform/jobs/index.js';
import { createLogger } from '../platform/log/logger.js';
import { enqueueStage } from '../pipeline/enqueue.js';
import { defaultStageHandlers, servableQueues } from '../pipeline/handlers.js';
import { queueDepths } from '../pipeline/ledger.js';
import { startPipeline, type Pipeline } from '../pipeline/runner.js';
import { addArchivalTransitTimes, setTransitEphemeris } from '../pipeline/transit/ephemeris.js';
import { startService } from '../server/service.js';
import { runChecks, type RunRecord } from './checks.js';
import { elasticClock, type ElasticClock } from './clock.js';
import { nightsSoFar, prepareDataDir, writeState, type DemoPaths } from './data-dir.js';
import { DemoError } from './errors.js';
import { startNode, TruthLog, type SimNode } from './nodes.js';
import { clock as clockText, ProgressDisplay, type ProgressOutput, type Snapshot } from './progress.js';
import { buildScenario, checkSettings, type DemoSettings, type MissionKind, type MissionPlan, type Scenario } from './scenario.js';
import { demoCatalog, demoStars, injectedSources } from './sky.js';
import { exitCodeFor, formatSummary, type SummaryRow } from './summary.js';

export interface RunDemoOptions {
  /** The demo's data folder (relative to cwd). */
  dataDir: string;
  cwd: string;
  settings: DemoSettings;
  /** Delete the (marked) data folder first. */
  fresh: boolean;
  /** HTTP port (0: any free port). */
  port: number;
  host?: string;
  /** After the summary, keep the service, dashboard and nodes running (real time) until `signal`. */
  serve: boolean;
  /** Environment: only DATABASE_URL and OPENASTRO_JOBS_SCHEMA are read (PostgreSQL instead of the embedded database). */
  env: Record<string, string | undefined>;
  /** The summary table (stdout). */
  out: (text: string) => void;
  /** Progress (stderr). */
  progress: ProgressOutput;
  /** Stops the run early (SIGINT), or ends serving. */
  signal?: AbortSignal;
  /** Real seconds before the demo stops waiting and judges what it has (default 170 fast, 900 full). */
  budgetS?: number;
  logLevel?: LogLevel;
}

export interface DemoOutcome {
  rows: SummaryRow[];
  exitCode: number;
  url: string;
  realS: number;
  /** Simulated hours the night ran. */
  simHours: number;
  scenario: Scenario;
  paths: DemoPaths;
}

const POLL_MS = 400;
const DROP_POLL_MS = 25;
/** How much the night slows while the drop-out candidate's first frame uploads. */
const DROP_SLOWDOWN = 30;
/** Below the sweeper's 3 × 30 s: a node whose heartbeat was sent is never silent that long in simulated time. */
const HEARTBEAT_GATE_S = 75;
/** Real seconds between fault sweeps (and lease passes): ×450 makes it 45 simulated seconds. */
export const SWEEP_INTERVAL_S = 0.1;
/** Real seconds a missing heartbeat may hold the night back. */
const GATE_REAL_S = 15;
const QUEUE_LABEL: Record<MissionKind, string> = { galaxy: 'Deep field', variable: 'Variable star', transit: 'Transit', too: 'ToO' };

export async function runDemo(o: RunDemoOptions): Promise<DemoOutcome> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const realS = () => (performance.now() - t0) / 1000;
  const settings = checkSettings({ ...o.settings });
  const { paths, state } = await prepareDataDir(path.resolve(o.cwd, o.dataDir), { fresh: o.fresh, cwd: o.cwd });
  const stars = demoStars(settings.seed);
  const scenario = await buildScenario(settings, { runIndex: state.runs.length, nightOffset: nightsSoFar(state) }, stars);
  const budgetS = o.budgetS ?? (settings.fast ? 170 : 900);
  const display = new ProgressDisplay(o.progress);
  const operatorToken = randomBytes(24).toString('base64url');
  const config = await demoConfig(o, paths, operatorToken);
  // Simulated time never runs more than HEARTBEAT_GATE_S past the oldest heartbeat of a
  // running, connected node: a busy process pauses the night instead of faulting nodes. A
  // heartbeat stuck for GATE_REAL_S of real time no longer holds the night (a hung service
  // must show as a fault, not freeze the demo).
  const heartbeats = new Map<string, { simMs: number; realMs: number }>();
  const clock = elasticClock({
    start: scenario.startUtc,
    speed: settings.speed,
    limitMs: () => {
      const real = performance.now();
      let oldest = Infinity;
      for (const h of heartbeats.values()) if (real - h.realMs < GATE_REAL_S * 1000) oldest = Math.min(oldest, h.simMs);
      return oldest + HEARTBEAT_GATE_S * 1000;
    },
  });
  const logger = createLogger({ level: o.logLevel ?? 'info', destination: path.join(paths.logs, 'demo.log') });
  const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
  const stopAll = async () => {
    for (const { name, stop } of stops.splice(0).reverse()) {
      await stop().catch((err: unknown) => logger.error({ err }, `demo: stopping ${name} failed`));
    }
    clock.stop();
  };
  const aborted = () => o.signal?.aborted === true;
  const run: RunRecord = { missionIds: {}, nodeNames: new Map(), spuriousFaults: new Map(), tasksEnded: [] };

  try {
    const runNo = state.runs.length + 1;
    display.event(
      clock.now(),
      `OpenAstro demo run #${runNo}: ${scenario.nodes.length} nodes on ${new Set(scenario.nodes.map((n) => n.site.continent.split(' ')[0])).size} continents, simulated ${clockText(scenario.startUtc)} → ${clockText(scenario.endUtc)} at ×${settings.speed}; data in ${paths.root}`,
    );
    const service = await startService({ config, clock, logger, pipeline: false, shutdownGraceMs: 1500 });
    stops.push({ name: 'service', stop: () => service.close() });
    const db = service.context.database.db;
    const jobs = service.context.jobs as Jobs;
    const handlers = defaultStageHandlers({
      // Debounce 0: the image stage's debounce mixes clock time (buckets) with pg-boss's real-time delays.
      image: { catalog: demoCatalog(stars), lightcurveDebounceS: 0 },
      // One night of a short-period star is enough for a period search. Signal bins shorter
      // than the visit cadence: a 29-min bin smooths a 2.7-hour pulsation (decision 0043).
      lightcurve: { minPeriodNights: 1, minPeriodPoints: 12, binDays: 0.004 },
      // The sampler's likelihoods on worker threads: the simulation keeps the main thread.
      ttv: { threads: settings.fast ? 1 : 2, predictDays: 120 },
    });
    // Time series are not stacked: the deep field and the ToO are (decision 0043).
    const stackAll = handlers.stack!;
    handlers.stack = async (input, ctx) => {
      if (input.missionId === run.missionIds.variable || input.missionId === run.missionIds.transit) {
        await ctx.progress(1, 'time-series mission: not stacked by the demo');
        return;
      }
      await stackAll(input, ctx);
    };
    const pipeline = await startPipeline({
      database: service.context.database,
      jobs,
      storage: service.context.storage!,
      clock,
      handlers,
      queues: servableQueues(handlers, config.jobs.queues),
      pollingIntervalSeconds: 0.5,
      stopTimeoutMs: 20_000,
      log: (line) => logger.info(line),
    });
    stops.push({ name: 'pipeline', stop: () => pipeline.stop() });
    display.event(clock.now(), `service up: API and dashboard at ${service.url}/  (logs: ${path.join(paths.logs, 'demo.log')})`);

    await createMissions(db, jobs, scenario, run, clock, settings, display);

    const truthLog = new TruthLog();
    const sources = injectedSources(scenario.truth, scenario.alertAt);
    const pendingEvents: string[] = [];
    const agents = new Map<string, SimNode>();
    const onEvent = (plan: { name: string }, e: AgentEvent) => {
      if (e.type === 'heartbeat' && e.ok) {
        const node = agents.get(plan.name);
        const st = node?.agent.status();
        // When the heartbeat was sent (the service records it a little later); a stopping agent's last one does not count.
        if (st?.state !== 'STOPPING' && st?.state !== 'STOPPED' && (!node || node.link.up)) {
          heartbeats.set(plan.name, { simMs: st?.lastHeartbeatOk ? Date.parse(st.lastHeartbeatOk) : clock.now().getTime() - 5000, realMs: performance.now() });
        }
      } else if (e.type === 'state' && (e.state === 'STOPPING' || e.state === 'STOPPED')) heartbeats.delete(plan.name);
      if (e.type === 'task-ended') {
        run.tasksEnded.push({ node: plan.name, taskId: e.taskId, reason: e.reason });
        if (e.reason === 'weather') pendingEvents.push(`${plan.name}: clouds — parked, task ended (its remainder goes back to the pool)`);
      }
    };
    const started = await Promise.allSettled(
      scenario.nodes.map((plan) =>
        startNode({ plan, serverUrl: service.url, operatorToken, nodesDir: paths.nodes, clock, sleep: clock.sleep, logger, stars, sources, truthLog, onEvent }),
      ),
    );
    const nodes: SimNode[] = [];
    for (const s of started) if (s.status === 'fulfilled') nodes.push(s.value);
    stops.push({ name: 'agents', stop: () => stopAgents(nodes) });
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    for (const n of nodes) {
      run.nodeNames.set(n.nodeId, n.plan.name);
      agents.set(n.plan.name, n);
    }
    display.event(clock.now(), `${nodes.length} nodes registered and heartbeating: ${nodes.map((n) => `${n.plan.name} (${n.plan.site.name})`).join(', ')}`);
    clock.start();

    const night = new NightMonitor({ db, jobs, scenario, run, nodes, clock, display, pipeline, logger, pendingEvents, settings, onCut: (name) => heartbeats.delete(name) });
    // ---- the night
    // The drop-out needs a sharper eye than the progress display: a deep-field frame lasts a
    // fraction of a real second at full speed.
    let watching = true;
    const dropWatch = (async () => {
      while (watching && !aborted() && !run.dropout) {
        await night.dropOut(clock.now()).catch((err: unknown) => logger.warn({ err }, 'demo: drop-out check failed'));
        await delay(DROP_POLL_MS);
      }
    })();
    try {
      while (!aborted() && !(await night.tick('observing')) && realS() < budgetS) await delay(POLL_MS);
    } finally {
      watching = false;
      await dropWatch;
      night.restoreSpeed();
    }
    if (aborted()) throw new DemoError('ABORTED', 'stopped during the night');
    if (realS() >= budgetS) display.event(clock.now(), `real-time budget of ${budgetS} s reached: judging what the network delivered so far`);
    // ---- drain: uploads, then the pipeline
    display.event(clock.now(), 'night over: waiting for the last uploads and the pipeline');
    await night.drain(() => aborted() || realS() >= budgetS);
    if (!o.serve) {
      night.agentsStopped = true;
      await stopAgents(nodes);
    }
    if (scenario.observeTransit && !aborted() && realS() < budgetS) {
      await night.queueFinalTtv();
      await night.drain(() => aborted() || realS() >= budgetS);
    }
    if (aborted()) throw new DemoError('ABORTED', 'stopped while the pipeline finished');
    display.finish();

    // ---- verdict
    run.brokenNodes = nodes
      .filter((n) => n.stats.frames === 0 && n.stats.observeFailed >= 2)
      .map((n) => ({ node: n.plan.name, failures: n.stats.observeFailed, reason: n.stats.lastFailure ?? '?' }));
    const rows = await runChecks({ db, storage: service.context.storage!, scenario, truthLog, run, sweepIntervalS: SWEEP_INTERVAL_S, speed: settings.speed });
    const exitCode = exitCodeFor(rows);
    const stats = clock.stats();
    const simHours = stats.simElapsedMs / 3_600_000;
    const cpu = process.cpuUsage(cpu0);
    o.out(summaryHeader(scenario, nodes, truthLog, realS(), stats.pausedRealMs / 1000, simHours, service.url, (cpu.user + cpu.system) / 1e6));
    o.out(formatSummary(rows, { width: o.progress.columns }));
    state.runs.push({ startedAt: new Date(Date.now() - realS() * 1000).toISOString(), settings, simStart: scenario.startUtc.toISOString(), simEnd: clock.now().toISOString(), nights: settings.nights, passed: exitCode === 0 });
    await writeState(paths, state);
    if (o.serve && !aborted()) {
      clock.setSpeed(1);
      o.out(`\nDashboard: ${service.url}/   (the network keeps running in real time; Ctrl-C stops)\n`);
      await new Promise<void>((resolve) => {
        if (!o.signal || o.signal.aborted) return resolve();
        o.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    } else {
      o.out(`\nDashboard was at ${service.url}/ — run \`openastro demo --serve\` to keep it up, or \`openastro serve\` with OPENASTRO_DATA_DIR=${paths.root}\n`);
    }
    await stopAll();
    return { rows, exitCode, url: service.url, realS: realS(), simHours, scenario, paths };
  } catch (err) {
    display.finish();
    await stopAll();
    throw err;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function stopAgents(nodes: SimNode[]): Promise<void> {
  await Promise.allSettled(nodes.map((n) => n.agent.stop()));
}

/** The service configuration of the demo: embedded by default, everything under the data folder. */
async function demoConfig(o: RunDemoOptions, paths: DemoPaths, operatorToken: string): Promise<Config> {
  const env: Record<string, string> = { OPENASTRO_DATA_DIR: paths.root, OPENASTRO_OPERATOR_TOKEN: operatorToken };
  if (o.env.DATABASE_URL) env.DATABASE_URL = o.env.DATABASE_URL;
  if (o.env.OPENASTRO_JOBS_SCHEMA) env.OPENASTRO_JOBS_SCHEMA = o.env.OPENASTRO_JOBS_SCHEMA;
  return loadConfig({
    env,
    cwd: paths.root,
    overrides: [
      { path: 'server.host', value: o.host ?? '127.0.0.1', source: 'demo' },
      { path: 'server.port', value: o.port, source: '--port' },
      { path: 'network.heartbeatIntervalS', value: 30, source: 'demo' },
      { path: 'network.sweepIntervalS', value: SWEEP_INTERVAL_S, source: 'demo' },
      // A node must acknowledge its work within the lease; at ×450 the default two minutes are
      // a quarter of a real second — less than one slow long-poll round trip.
      { path: 'network.leaseS', value: 3600, source: 'demo' },
      { path: 'jobs.pollingIntervalSeconds', value: 0.5, source: 'demo' },
      { path: 'log.level', value: o.logLevel ?? 'info', source: 'demo' },
    ],
  });
}

/** The missions that exist from the start of the night (the ToO comes later). */
async function createMissions(db: Kysely<Schema>, jobs: Jobs, scenario: Scenario, run: RunRecord, clock: ElasticClock, settings: DemoSettings, display: ProgressDisplay): Promise<void> {
  const now = clock.now();
  for (const m of scenario.missions) {
    if (m.kind === 'too') continue;
    const created = await createMission(db, m.input, now, m.maxTaskExposureS !== undefined ? { maxTaskExposureS: m.maxTaskExposureS } : {});
    run.missionIds[m.kind] = created.mission.id;
    display.event(now, `mission '${m.input.name}': ${created.tasks.length} task(s), ${Math.round(m.input.totalExposureS / 60)} min of exposure`);
  }
  const transitId = run.missionIds.transit!;
  const sys = scenario.truth.planets;
  const eph = sys.ephemeris;
  // Full demo: the TTV model is attached after the night, so the sampler runs once with tonight's time.
  await setTransitEphemeris(db, transitId, demoEphemeris(scenario, settings, !scenario.observeTransit), now);
  await addArchivalTransitTimes(
    db,
    transitId,
    sys.archival.map((a) => ({ bjdTdb: a.bjdTdb, sigmaDays: a.sigmaDays, source: 'archive (simulated ETD-style amateur timings)' })),
  );
  display.event(now, `OA-2 b: ${sys.archival.length} archival transit times loaded; ephemeris P = ${eph.periodDays.toFixed(5)} d`);
  if (!scenario.observeTransit) {
    // No transit tonight in the fast demo: O−C and TTV inference from the archive alone, now.
    await db.transaction().execute((trx) => enqueueStage(jobs, trx, 'transit-times', { missionId: transitId }, now, { dedupeKey: `transit-times:${transitId}:archival` }));
    display.event(now, 'OA-2 b: O−C and TTV inference from the archival timings queued');
  }
}

/** Planet b's ephemeris as the archive gives it (epochs from the simulation's first transit), with the TTV model or not. */
function demoEphemeris(scenario: Scenario, settings: DemoSettings, withTtv: boolean): Parameters<typeof setTransitEphemeris>[2] {
  const sys = scenario.truth.planets;
  const eph = sys.ephemeris;
  return {
    planet: 'b',
    periodDays: eph.periodDays,
    t0BjdTdb: eph.t0Bjd - eph.referenceEpoch * eph.periodDays,
    shape: { rp: sys.truth.shape.rp, a: sys.truth.shape.aOverRstar, incDeg: sys.truth.shape.incDeg, u: sys.truth.shape.u },
    ...(withTtv ? { ttv: ttvConfig(scenario, settings) } : {}),
  };
}

/**
 * The TTV model the scientist would configure: the star's mass and planet b's mass known
 * (spectroscopy, radial velocities), b's period and phase from its transits, and an unseen
 * companion somewhere just outside the 2:1 period ratio, circular and coplanar.
 */
export function ttvConfig(scenario: Scenario, settings: DemoSettings): Record<string, unknown> {
  const sys = scenario.truth.planets;
  const pb = sys.ephemeris.periodDays;
  const ref = sys.truth.epochBjd;
  return {
    stellarMassMsun: sys.truth.stellarMassMsun,
    referenceEpochDays: ref,
    planets: [
      { name: 'b', massEarth: sys.truth.transiting.massEarth, eccentricity: 0, incDeg: 90 },
      {
        name: 'c',
        massEarth: { prior: 'log-uniform', min: 1, max: 300, init: 30 },
        periodDays: { prior: 'uniform', min: 2.005 * pb, max: 2.1 * pb, init: 2.04 * pb },
        conjunctionDays: { prior: 'uniform', min: ref, max: ref + 2.1 * pb, init: ref + pb },
        eccentricity: 0,
        incDeg: 90,
      },
    ],
    sampler: { kind: 'ensemble', nWalkers: 24, nSteps: settings.fast ? 300 : 400, burnIn: settings.fast ? 150 : 200, seed: settings.seed + 1, threads: settings.fast ? 1 : 2 },
  };
}

function summaryHeader(scenario: Scenario, nodes: SimNode[], truthLog: TruthLog, realS: number, pausedS: number, simHours: number, url: string, cpuS: number): string {
  const frames = nodes.reduce((a, n) => a + n.stats.frames, 0);
  const rejected = nodes.reduce((a, n) => a + n.stats.framesRejected, 0);
  return [
    '',
    `OpenAstro demo — ${scenario.settings.fast ? 'fast' : 'full'} run, seed ${scenario.settings.seed}: ${nodes.length} nodes, ${frames} frames uploaded (${rejected} rejected at the edge), ${truthLog.count()} exposures rendered`,
    `simulated ${simHours.toFixed(1)} h (${clockText(scenario.startUtc)} → ${clockText(new Date(scenario.startUtc.getTime() + simHours * 3_600_000))}) in ${realS.toFixed(0)} s real; the simulation waited ${pausedS.toFixed(0)} s for the CPU; this process used ${cpuS.toFixed(0)} s of CPU (all threads)`,
    `dashboard: ${url}/`,
    '',
  ].join('\n');
}

interface MonitorDeps {
  db: Kysely<Schema>;
  jobs: Jobs;
  scenario: Scenario;
  run: RunRecord;
  nodes: SimNode[];
  clock: ElasticClock;
  display: ProgressDisplay;
  pipeline: Pipeline;
  logger: Logger;
  pendingEvents: string[];
  settings: DemoSettings;
  /** A node's link was cut: it no longer holds the clock back. */
  onCut: (nodeName: string) => void;
}

/** Watches the night: raises the ToO, cuts a node's link, notes faults and completions, draws progress. */
class NightMonitor {
  private readonly t0 = performance.now();
  private readonly missionStates = new Map<string, string>();
  private tooFirstFrameSeen = false;
  /** The night's speed while it is slowed for the drop-out (undefined: not slowed). */
  private savedSpeed: number | undefined;
  private allUpSince: number | undefined;
  private quietPolls = 0;
  /** Set once the agents were stopped: their silence is not a fault. */
  agentsStopped = false;

  constructor(private readonly d: MonitorDeps) {}

  /** One poll; true when the observing part of the night is over. */
  async tick(phase: string): Promise<boolean> {
    const { db, scenario, run, clock, display } = this.d;
    const now = clock.now();
    for (const e of this.d.pendingEvents.splice(0)) display.event(now, e);
    if (!run.missionIds.too && now >= scenario.alertAt) await this.raiseToo(now);
    await this.watchToo(now);
    await this.dropOut(now);
    const nodeRows = await db.selectFrom('nodes').select(['id', 'state']).where('id', 'in', this.d.nodes.map((n) => n.nodeId)).execute();
    const serverState = new Map(nodeRows.map((r) => [r.id, r.state]));
    this.watchFaults(now, serverState);
    const missions = await this.watchMissions(now);
    display.update(await this.snapshot(now, phase, serverState, missions));
    if (now >= scenario.endUtc) return true;
    // Done early when every mission of tonight is complete (the transit one: or its window closed).
    const tooDone = run.missionIds.too !== undefined && missions.find((m) => m.kind === 'too')?.state === 'COMPLETE';
    const rest = missions.filter((m) => m.kind !== 'too' && !(m.kind === 'transit' && !scenario.observeTransit));
    const restDone = rest.every((m) => m.state === 'COMPLETE' || (m.windowEnd !== null && m.windowEnd <= now));
    return tooDone && restDone;
  }

  private async raiseToo(now: Date): Promise<void> {
    const { db, scenario, run, display } = this.d;
    const plan = scenario.missions.find((m): m is MissionPlan => m.kind === 'too')!;
    const ids = Object.values(run.missionIds).filter((x): x is string => x !== undefined);
    const waiting = await db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('mission_id', 'in', ids)
      .where('state', '=', 'PENDING')
      .where((eb) => eb.or([eb('not_before', 'is', null), eb('not_before', '<=', now)]))
      .executeTakeFirstOrThrow();
    const created = await createMission(db, plan.input, now);
    run.missionIds.too = created.mission.id;
    run.tooCreatedAt = now;
    run.tooWaitingTasks = Number(waiting.n);
    display.event(now, `ALERT: optical transient at RA ${plan.input.raDeg!.toFixed(2)}° Dec ${plan.input.decDeg!.toFixed(2)}° — ToO mission, priority 95 (${run.tooWaitingTasks} tasks already waiting)`);
  }

  private async watchToo(now: Date): Promise<void> {
    const { db, run, display } = this.d;
    if (!run.missionIds.too || this.tooFirstFrameSeen || !run.tooCreatedAt) return;
    const first = await db.selectFrom('exposures').select(['started_at', 'node_id']).where('mission_id', '=', run.missionIds.too).orderBy('started_at').limit(1).executeTakeFirst();
    if (!first) return;
    this.tooFirstFrameSeen = true;
    const min = (new Date(first.started_at).getTime() - run.tooCreatedAt.getTime()) / 60_000;
    display.event(now, `ToO: first frame by ${run.nodeNames.get(first.node_id) ?? first.node_id}, ${min.toFixed(1)} min after the alert`);
  }

  /** Cuts the link of the first node seen half-way through a multi-frame deep-field task (and then watches for its fault). */
  async dropOut(now: Date): Promise<void> {
    const { db, run, display, nodes } = this.d;
    if (run.dropout) {
      if (!run.dropout.faultedAt) {
        const row = await db.selectFrom('nodes').select(['state', 'updated_at']).where('id', '=', run.dropout.nodeId).executeTakeFirst();
        if (row?.state === 'FAULTED') {
          // The sweeper stamps the row when it faults the node (simulated time).
          run.dropout.faultedAt = new Date(row.updated_at);
          const rem = await db.selectFrom('tasks').select('exposure_s').where('parent_task_id', '=', run.dropout.taskId).execute();
          display.event(
            now,
            `${run.dropout.nodeName} FAULTED (three heartbeats missed); its task keeps its credit, ${rem.reduce((a, r) => a + r.exposure_s, 0)} s of remainder back in the pool`,
          );
        }
      }
      return;
    }
    const galaxy = run.missionIds.galaxy;
    if (!galaxy) return;
    // The first node seen with a deep-field frame sent and more to take (not a node whose
    // clouds are coming: the weather should show on its own). No await between this look
    // at the agents and the cut.
    const cloudy = new Set(this.d.scenario.nodes.filter((n) => n.clouds.kind === 'banks').map((n) => n.name));
    let waiting = false;
    for (const n of nodes) {
      if (!n.link.up || cloudy.has(n.plan.name)) continue;
      const st = n.agent.status();
      const t = st.task;
      if (!t || t.missionId !== galaxy || t.framesDone < 1 || t.framesDone >= t.framesPlanned) continue;
      if (st.outbox.frames > 0) {
        // A frame taken but not yet uploaded: at full speed the task would end before the
        // upload (real time) does, on a busy machine every time. Slow the night down until
        // the frame is on the service, so the cut always finds a task half done.
        waiting = true;
        continue;
      }
      this.restoreSpeed();
      n.link.cut();
      run.dropout = { nodeName: n.plan.name, nodeId: n.nodeId, taskId: t.taskId, cutAt: now };
      display.event(now, `${n.plan.name} drops off the network mid-task (${t.framesDone} of ${t.framesPlanned} frames sent): its router died`);
      // Its last frame is on the service, not yet credited: the node keeps holding the clock
      // back until it is, so the task is taken back only after the credit (exact accounting).
      void this.releaseWhenCredited(n, t.taskId);
      return;
    }
    if (waiting && this.savedSpeed === undefined) {
      this.savedSpeed = this.d.clock.speed;
      this.d.clock.setSpeed(Math.max(1, this.savedSpeed / DROP_SLOWDOWN));
    } else if (!waiting) this.restoreSpeed();
  }

  /** Back to the night's speed after waiting for a drop-out candidate's upload. */
  restoreSpeed(): void {
    if (this.savedSpeed === undefined) return;
    this.d.clock.setSpeed(this.savedSpeed);
    this.savedSpeed = undefined;
  }

  private async releaseWhenCredited(n: SimNode, taskId: string): Promise<void> {
    const started = performance.now();
    while (performance.now() - started < 10_000) {
      const row = await this.d.db.selectFrom('tasks').select('delivered_exposure_s').where('id', '=', taskId).executeTakeFirst().catch(() => undefined);
      if (row && row.delivered_exposure_s > 0) break;
      await delay(50);
    }
    this.d.onCut(n.plan.name);
  }

  private watchFaults(now: Date, serverState: Map<string, string>): void {
    const { run, display, nodes } = this.d;
    if (this.agentsStopped) return;
    if (this.allUpSince === undefined) {
      // Faults before every node's first heartbeat are left-overs of an earlier run's shutdown.
      if (nodes.every((n) => n.stats.firstHeartbeatOk)) this.allUpSince = now.getTime();
      return;
    }
    for (const n of nodes) {
      if (run.dropout?.nodeId === n.nodeId || serverState.get(n.nodeId) !== 'FAULTED' || run.spuriousFaults.has(n.plan.name)) continue;
      run.spuriousFaults.set(n.plan.name, now);
      display.event(now, `${n.plan.name} FAULTED although its link is up (missed heartbeats under load)`);
    }
  }

  private async watchMissions(now: Date): Promise<Array<{ kind: MissionKind; id: string; state: string; delivered: number; total: number; windowEnd: Date | null; name: string }>> {
    const { db, run, display } = this.d;
    const entries = Object.entries(run.missionIds) as Array<[MissionKind, string]>;
    const rows = await db.selectFrom('missions').select(['id', 'name', 'state', 'delivered_exposure_s', 'total_exposure_s', 'window_end']).where('id', 'in', entries.map((e) => e[1])).execute();
    const out = [];
    for (const [kind, id] of entries) {
      const r = rows.find((x) => x.id === id);
      if (!r) continue;
      const prev = this.missionStates.get(id);
      if (prev !== undefined && prev !== r.state && r.state === 'COMPLETE') display.event(now, `mission complete: ${r.name}`);
      this.missionStates.set(id, r.state);
      out.push({ kind, id, state: r.state, delivered: r.delivered_exposure_s, total: r.total_exposure_s, windowEnd: r.window_end, name: r.name });
    }
    return out;
  }

  private async snapshot(now: Date, phase: string, serverState: Map<string, string>, missions: Awaited<ReturnType<NightMonitor['watchMissions']>>): Promise<Snapshot> {
    const depths = await queueDepths(this.d.db);
    const stats = this.d.clock.stats();
    return {
      simTime: now,
      realS: (performance.now() - this.t0) / 1000,
      pausedS: stats.pausedRealMs / 1000,
      phase,
      nodes: this.d.nodes.map((n) => {
        const st = n.agent.status();
        return {
          name: n.plan.name,
          site: n.plan.site.name,
          state: serverState.get(n.nodeId) === 'FAULTED' ? 'FAULTED' : st.state,
          target: st.currentTarget,
          frames: n.stats.frames,
          linkUp: n.link.up,
        };
      }),
      missions: missions.map((m) => ({ label: `${QUEUE_LABEL[m.kind]}: ${m.name.split(':').slice(1).join(':').trim().slice(0, 28)}`, state: m.state, deliveredS: m.delivered, totalS: m.total })),
      queues: Object.entries(depths).map(([queue, c]) => ({ queue, waiting: c.queued + c.retry, running: c.active, failed: c.failed })),
    };
  }

  /** Waits until the nodes' outboxes are empty and the pipeline has nothing queued or running. */
  async drain(giveUp: () => boolean): Promise<void> {
    this.quietPolls = 0;
    while (!giveUp()) {
      await this.tick('draining');
      const uploading = this.d.nodes.some((n) => n.link.up && (n.agent.status().outbox.items > 0 || n.agent.status().state === 'BUSY'));
      const depths = await queueDepths(this.d.db);
      const busy = Object.values(depths).some((c) => c.queued + c.retry + c.active > 0) || this.d.pipeline.running > 0;
      this.quietPolls = uploading || busy ? 0 : this.quietPolls + 1;
      if (this.quietPolls >= 6) return;
      await delay(POLL_MS * 2);
    }
  }

  /** Full demo: attach the TTV model now that tonight's transit is in, and run transit times → TTV once. */
  async queueFinalTtv(): Promise<void> {
    const { db, jobs, scenario, run, clock, display, settings } = this.d;
    const id = run.missionIds.transit;
    if (!id) return;
    const now = clock.now();
    await setTransitEphemeris(
      db,
      id,
      demoEphemeris(scenario, settings, true),
      now,
    );
    await db.transaction().execute((trx) => enqueueStage(jobs, trx, 'transit-times', { missionId: id }, now, { dedupeKey: `transit-times:${id}:final-${now.getTime()}` }));
    display.event(now, 'OA-2 b: TTV inference queued (archival timings + tonight’s transit)');
  }
}
