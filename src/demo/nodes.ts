/**
 * The demo's simulated telescopes, run in this process by the real node agent
 * (src/agent/lifecycle): each registers over the API as an owner's agent would (its token
 * kept in its own state folder under the demo's data folder, so a re-run is the same
 * node), heartbeats, takes work, observes with a simulated observatory, edge-processes and
 * uploads through its outbox.
 *
 * What the demo adds around the agent, and only around it:
 * - a network link that can be cut (the agent's HTTP client with a fetch that fails while
 *   the link is down) — the "node drops out mid-task" of the scenario;
 * - a camera wrapper that records what each frame really showed (true WCS, true magnitudes
 *   of the injected sources) for the summary's truth-vs-recovered rows;
 * - the cloud model of the scenario (cloud banks the weather station reports as unsafe).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { parseAgentConfig, type AgentConfig } from '../agent/config.js';
import type { CloudModel } from '../agent/devices/simulator/clouds.js';
import { createSimulatedObservatory, type SimulatedFrame, type StarSource } from '../agent/devices/simulator/index.js';
import type { Sleep } from '../agent/devices/time.js';
import type { Camera, CallOptions, ExposeOptions, Observatory } from '../agent/devices/types.js';
import { openAgent, resolveCredentials, type Agent, type AgentEvent } from '../agent/lifecycle/index.js';
import type { Clock } from '../network/clock.js';
import { createApiClient } from '../platform/api/client.js';
import type { InjectedSource } from '../science/sky/index.js';
import type { Wcs } from '../science/wcs/index.js';
import type { CloudPlan, NodePlan } from './scenario.js';

/** What one frame really showed. */
export interface FrameTruth {
  node: string;
  /** DATE-OBS of the frame (start of exposure), ms since the epoch. */
  startMs: number;
  exposureS: number;
  wcs?: Wcs;
  /** Exposure-averaged magnitude of each injected point source on the chip, by id. */
  mags: Record<string, number>;
  transparency: number;
  airmass: number;
}

/** Every frame's truth, by node, in time order. */
export class TruthLog {
  private readonly byNode = new Map<string, FrameTruth[]>();

  record(t: FrameTruth): void {
    const list = this.byNode.get(t.node) ?? [];
    list.push(t);
    this.byNode.set(t.node, list);
  }

  /** The frame of `node` that started within `toleranceMs` of `startMs`. */
  find(node: string, startMs: number, toleranceMs = 1500): FrameTruth | undefined {
    let best: FrameTruth | undefined;
    for (const t of this.byNode.get(node) ?? []) {
      const d = Math.abs(t.startMs - startMs);
      if (d <= toleranceMs && (!best || d < Math.abs(best.startMs - startMs))) best = t;
    }
    return best;
  }

  framesOf(node: string): readonly FrameTruth[] {
    return this.byNode.get(node) ?? [];
  }

  count(): number {
    let n = 0;
    for (const l of this.byNode.values()) n += l.length;
    return n;
  }
}

/** A camera that hands every frame's truth to the log, and otherwise is the simulator's. */
class TruthRecordingCamera implements Camera {
  constructor(
    private readonly inner: Camera,
    private readonly node: string,
    private readonly log: TruthLog,
  ) {}
  get name(): string {
    return this.inner.name;
  }
  get connected(): boolean {
    return this.inner.connected;
  }
  connect(opts?: CallOptions): Promise<void> {
    return this.inner.connect(opts);
  }
  disconnect(opts?: CallOptions): Promise<void> {
    return this.inner.disconnect(opts);
  }
  abort(opts?: CallOptions): Promise<void> {
    return this.inner.abort(opts);
  }
  cooler(setpointC: number | null, opts?: CallOptions): Promise<void> {
    return this.inner.cooler(setpointC, opts);
  }
  temperature(opts?: CallOptions): Promise<number> {
    return this.inner.temperature(opts);
  }
  async expose(seconds: number, opts: ExposeOptions): Promise<SimulatedFrame> {
    const frame = (await this.inner.expose(seconds, opts)) as SimulatedFrame;
    if (opts.frameType === 'light' && frame.truth) {
      const mags: Record<string, number> = {};
      for (const s of frame.truth.sources) if (s.id && s.onChip && s.mag !== undefined) mags[s.id] = s.mag;
      this.log.record({
        node: this.node,
        startMs: Date.parse(frame.facts.dateObs),
        exposureS: frame.facts.exposureS,
        ...(frame.truth.wcs ? { wcs: frame.truth.wcs } : {}),
        mags,
        transparency: frame.truth.transparency,
        airmass: frame.truth.airmass,
      });
    }
    return frame;
  }
}

/** A network link the demo can cut: fetch fails (as a dead router makes it fail) while down. */
export class Link {
  private isUp = true;
  readonly fetch: typeof fetch = (input, init) => {
    if (!this.isUp) return Promise.reject(new TypeError('fetch failed (the node lost its internet connection: simulated)'));
    return fetch(input, init);
  };
  get up(): boolean {
    return this.isUp;
  }
  cut(): void {
    this.isUp = false;
  }
}

/** Text for a FITS header: accents dropped, dashes and other non-ASCII characters replaced. */
export function asciiText(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[‐-―]/g, '-')
    .replace(/ı/g, 'i')
    .replace(/[^\x20-\x7e]/g, '?');
}

export function cloudModel(plan: CloudPlan): CloudModel {
  switch (plan.kind) {
    case 'clear':
      return { kind: 'clear' };
    case 'thin':
      // Safe all night (≥ 0.55 > the station's 0.5 limit) but frames lose up to 45 % of their light.
      return { kind: 'passing', seed: plan.seed, cellS: 900, cloudyFraction: 0.4, minTransparency: 0.55, maxTransparency: 0.9 };
    case 'banks': {
      const banks = plan.banks.map((b) => ({ start: b.start.getTime(), end: b.end.getTime(), t: b.transparency }));
      return {
        kind: 'custom',
        transparencyAt: (at) => {
          const t = at.getTime();
          for (const b of banks) if (t >= b.start && t < b.end) return b.t;
          return 1;
        },
      };
    }
  }
}

export interface SimNode {
  plan: NodePlan;
  nodeId: string;
  agent: Agent;
  link: Link;
  stateDir: string;
  /** Counters from the agent's events. */
  stats: {
    frames: number;
    framesRejected: number;
    uploads: number;
    heartbeatsOk: number;
    heartbeatsFailed: number;
    /** Observations the agent reported failed, with the last reason. */
    observeFailed: number;
    lastFailure?: string;
    tasksEnded: Array<{ taskId: string; reason: string }>;
    firstHeartbeatOk: boolean;
  };
}

export interface StartNodeOptions {
  plan: NodePlan;
  serverUrl: string;
  operatorToken: string;
  nodesDir: string;
  clock: Clock;
  sleep: Sleep;
  logger: Logger;
  stars: StarSource;
  sources: readonly InjectedSource[];
  truthLog: TruthLog;
  onEvent?: (node: NodePlan, e: AgentEvent) => void;
}

/** The agent's configuration for a node, as its owner would write it (registration through the API, simulator devices). */
export function nodeConfig(o: Pick<StartNodeOptions, 'plan' | 'serverUrl' | 'operatorToken' | 'nodesDir'>): AgentConfig {
  const { plan } = o;
  const opt = plan.instrument.optics;
  return parseAgentConfig(
    {
      server: o.serverUrl,
      stateDir: path.join(o.nodesDir, plan.name),
      heartbeatIntervalS: 30,
      filters: plan.instrument.filters,
      register: { operatorToken: o.operatorToken, name: plan.name },
      site: { name: plan.site.name, latDeg: plan.site.latDeg, lonDeg: plan.site.lonDeg, elevationM: plan.site.elevationM, minAltitudeDeg: 25 },
      optics: {
        apertureMm: opt.apertureMm,
        focalLengthMm: opt.focalLengthMm,
        pixelSizeUm: opt.pixelSizeUm,
        sensorWidthPx: opt.widthPx,
        sensorHeightPx: opt.heightPx,
        ...(opt.gainEPerAdu !== undefined ? { gainEPerAdu: opt.gainEPerAdu } : {}),
        ...(opt.readNoiseE !== undefined ? { readNoiseE: opt.readNoiseE } : {}),
      },
      // Devices are built by the demo (below); this section documents what they are.
      devices: { kind: 'simulator', seed: plan.seed, wcs: 'rough', pointingErrorArcsec: plan.pointingErrorArcsec },
      limits: {
        // Idle nodes ask for work every 10 simulated minutes (the scheduler runs per request).
        workRetryS: 600,
        finishedTaskGraceS: 900,
        retryMaxS: 60,
        requestTimeoutS: 60,
        pollWaitS: 20,
      },
      log: { level: 'info', file: '-' },
    },
    { cwd: o.nodesDir, env: {} },
  );
}

/** Registers (first run) or reuses (re-run) the node, then starts its agent. */
export async function startNode(o: StartNodeOptions): Promise<SimNode> {
  const { plan } = o;
  const config = nodeConfig(o);
  const logger = o.logger.child({ node: plan.name });
  const credentials = await resolveCredentials(config, { now: o.clock.now() });
  const link = new Link();
  const api = createApiClient({ baseUrl: o.serverUrl, token: credentials.token, timeoutMs: config.limits.requestTimeoutS * 1000, fetch: link.fetch });
  const opt = plan.instrument.optics;
  const sim = createSimulatedObservatory({
    site: { latDeg: plan.site.latDeg, lonDeg: plan.site.lonDeg, heightM: plan.site.elevationM },
    optics: opt,
    clock: o.clock,
    sleep: o.sleep,
    seed: plan.seed,
    clouds: cloudModel(plan.clouds),
    filters: plan.instrument.filters,
    mount: { minAltitudeDeg: 15, pointingErrorArcsec: plan.pointingErrorArcsec, slewRateDegPerS: 4, settleS: 8 },
    camera: {
      stars: o.stars,
      sources: o.sources,
      seeingFwhmArcsec: plan.instrument.seeingArcsec,
      readoutS: 2,
      wcs: 'rough',
      cosmicRays: { ratePerCm2PerS: 0.015 },
      // FITS header values are ASCII: 'Ritchey–Chrétien at TÜBİTAK' would make every frame unwritable.
      telescope: asciiText(`${plan.instrument.label} at ${plan.site.name}`),
      instrument: asciiText(plan.instrument.label),
    },
    minSafeTransparency: 0.5,
  });
  const observatory: Observatory = { mount: sim.mount, camera: new TruthRecordingCamera(sim.camera, plan.name, o.truthLog), filterWheel: sim.filterWheel, weather: sim.weather };
  const stats: SimNode['stats'] = { frames: 0, framesRejected: 0, uploads: 0, heartbeatsOk: 0, heartbeatsFailed: 0, observeFailed: 0, tasksEnded: [], firstHeartbeatOk: false };
  const agent = await openAgent(config, {
    clock: o.clock,
    sleep: o.sleep,
    logger,
    credentials,
    observatory,
    api,
    onEvent: (e) => {
      if (e.type === 'frame') {
        if (e.upload) stats.frames++;
        else stats.framesRejected++;
      } else if (e.type === 'upload' && e.event.type === 'sent') stats.uploads++;
      else if (e.type === 'heartbeat') {
        if (e.ok) {
          stats.heartbeatsOk++;
          stats.firstHeartbeatOk = true;
        } else stats.heartbeatsFailed++;
      } else if (e.type === 'task-ended') stats.tasksEnded.push({ taskId: e.taskId, reason: e.reason });
      else if (e.type === 'report' && e.kind === 'observe' && !e.ok && e.reason) {
        stats.observeFailed++;
        stats.lastFailure = e.reason;
      }
      o.onEvent?.(plan, e);
    },
  });
  return { plan, nodeId: credentials.nodeId, agent, link, stateDir: config.stateDir, stats };
}
