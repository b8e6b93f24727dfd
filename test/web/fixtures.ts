/**
 * The network and the science results the dashboard test shows: sites and nodes at real
 * observatories in every state, missions with a task cut short and its remainder, pipeline
 * jobs queued/running/failed — all written through the network rules — and science results
 * with injected truth (a light curve with a known period whose periodogram is computed by
 * src/science/timeseries, O−C with a known TTV, posterior draws, a stacked FITS with a
 * TAN-SIP WCS and its coverage map), served by a small route plugin that follows the
 * results-API contract the pipeline will implement.
 */
import type { FastifyInstance } from 'fastify';
import { Header } from '../../src/science/fits/header.js';
import { imageHdu, writeFits } from '../../src/science/fits/writer.js';
import { autoFrequencyGrid, gridFrequencies, gridMaxFrequency } from '../../src/science/timeseries/frequency-grid.js';
import { lombScargle } from '../../src/science/timeseries/lombscargle.js';
import { topPeaks } from '../../src/science/timeseries/peaks.js';
import { falseAlarmProbability } from '../../src/science/timeseries/fap.js';
import { createSite } from '../../src/network/nodes/sites.js';
import { registerNode } from '../../src/network/nodes/registry.js';
import { recordHeartbeat } from '../../src/network/heartbeats/heartbeats.js';
import { sweepFaultedNodes } from '../../src/network/heartbeats/sweeper.js';
import { createMission, creditFrame, endTask, listMissions, missionProgress } from '../../src/network/missions/index.js';
import { assignWork, planNight } from '../../src/network/scheduler/index.js';
import { NetworkError } from '../../src/network/errors.js';
import type { ServerContext } from '../../src/server/context.js';
import type { Database } from '../../src/platform/db/database.js';
import { gaussian, rng } from './python.js';

export const T0 = new Date('2022-06-21T23:30:00Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);
const optics = { apertureMm: 203, focalLengthMm: 1000, pixelSizeUm: 3.76, sensorWidthPx: 4000, sensorHeightPx: 3000, filters: ['V', 'R', 'L'], heartbeatIntervalS: 20 };

export const SITES = [
  { key: 'ohp', name: 'Observatoire de Haute-Provence', latitudeDeg: 43.9317, longitudeDeg: 5.7122, elevationM: 650 },
  { key: 'sso', name: 'Siding Spring', latitudeDeg: -31.2733, longitudeDeg: 149.0617, elevationM: 1165 },
  { key: 'mk', name: 'Mauna Kea', latitudeDeg: 19.8207, longitudeDeg: -155.468, elevationM: 4205 },
  { key: 'ls', name: 'La Silla', latitudeDeg: -29.2567, longitudeDeg: -70.73, elevationM: 2400 },
  { key: 'saao', name: 'Sutherland', latitudeDeg: -32.3783, longitudeDeg: 20.8117, elevationM: 1798 },
] as const;

export interface Seeded {
  sites: Record<string, string>;
  nodes: Record<string, string>;
  missions: { vega: string; rrlyr: string; m31: string };
  /** The Vega task cut short and its remainder. */
  partialTaskId: string;
  remainderTaskId: string;
  activeJobId: string;
}

/** The network at T0, through the rules. */
export async function seedNetwork(database: Database): Promise<Seeded> {
  const db = database.db;
  const sites: Record<string, string> = {};
  for (const s of SITES) sites[s.key] = (await createSite(db, { name: s.name, latitudeDeg: s.latitudeDeg, longitudeDeg: s.longitudeDeg, elevationM: s.elevationM }, at(-3600))).id;
  const nodes: Record<string, string> = {};
  const reg = async (name: string, site: string, when: Date) => (nodes[name] = (await registerNode(db, { siteId: sites[site], name, ...optics }, when)).node.id);
  await reg('ohp-t1', 'ohp', at(-900));
  await reg('ohp-t2', 'ohp', at(-900));
  await reg('sso-c14', 'sso', at(-900));
  await reg('mk-rc', 'mk', at(-900));
  await reg('lasilla-1', 'ls', at(-900));
  await reg('saao-1', 'saao', at(-30));

  const vega = (await createMission(db, { name: 'Vega V', targetName: 'Vega', raDeg: 279.23473479, decDeg: 38.78368894, filter: 'V', totalExposureS: 600, subExposureS: 60, priority: 3 }, at(-800))).mission.id;
  const rrlyr = (await createMission(db, { name: 'RR Lyr V', targetName: 'RR Lyr', raDeg: 291.36588, decDeg: 42.78436, filter: 'V', totalExposureS: 3600, subExposureS: 120, priority: 1 }, at(-790))).mission.id;
  const m31 = (await createMission(db, { name: 'M 31 deep L', targetName: 'M 31', raDeg: 10.6847, decDeg: 41.269, filter: 'L', totalExposureS: 7200, subExposureS: 300, priority: 0 }, at(-780))).mission.id;

  // ohp-t1 takes the Vega task, delivers 3 × 60 s, then clouds: the task is cut short.
  await recordHeartbeat(db, nodes['ohp-t1'], { state: 'ONLINE', currentTarget: null, weatherOk: true }, at(-400));
  const work = await assignWork(db, nodes['ohp-t1'], at(-390), { leaseS: 600 });
  if (!work || work.mission.id !== vega) throw new Error('fixture: ohp-t1 should have been given the Vega task');
  for (let k = 1; k <= 3; k++) {
    await creditFrame(db, { missionId: vega, taskId: work.task.id, nodeId: nodes['ohp-t1'], frame: { startedAt: at(-390 + 60 * k) }, exposureS: 60, accepted: true }, at(-390 + 60 * k + 5));
  }
  const ended = await endTask(db, work.task.id, nodes['ohp-t1'], { reason: 'clouds' }, at(-100));

  await recordHeartbeat(db, nodes['ohp-t1'], { state: 'BUSY', currentTarget: 'Vega', weatherOk: true }, at(-5));
  await recordHeartbeat(db, nodes['ohp-t2'], { state: 'ONLINE', currentTarget: null, weatherOk: true }, at(-8));
  await recordHeartbeat(db, nodes['sso-c14'], { state: 'ONLINE', currentTarget: null, weatherOk: true }, at(-12));
  await recordHeartbeat(db, nodes['mk-rc'], { state: 'PARKED', currentTarget: null, weatherOk: false }, at(-3));
  await recordHeartbeat(db, nodes['lasilla-1'], { state: 'BUSY', currentTarget: 'NGC 300', weatherOk: true }, at(-120));
  // La Silla missed three 20 s heartbeats: FAULTED. Sutherland never beat but registered 30 s ago: still PARKED.
  const faulted = await sweepFaultedNodes(db, T0);
  if (faulted.length !== 1 || faulted[0] !== nodes['lasilla-1']) throw new Error(`fixture: expected only lasilla-1 FAULTED, got ${faulted.join(',')}`);

  const job = async (queue: string, stage: string, state: 'queued' | 'active' | 'failed', extra: object = {}) =>
    (
      await db
        .insertInto('pipeline_jobs')
        .values({ dedupe_key: `${stage}:${Math.random()}`, queue, stage, input: JSON.stringify({ missionId: rrlyr }), state, max_attempts: 3, created_at: at(-60), updated_at: at(-60), ...extra })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;
  for (let i = 0; i < 3; i++) await job('ingest', 'ingest', 'queued');
  const activeJobId = await job('stack', 'stack', 'active', { progress: 0.4, message: 'co-adding frame 8 of 20', attempts: 1, started_at: at(-40) });
  await job('image', 'solve', 'failed', { error: 'plate solve failed: no match for 40 stars within 2° of the hint', attempts: 3, finished_at: at(-30) });
  await job('science', 'period', 'failed', { error: 'light curve has 3 points; a period search needs 10', attempts: 3, finished_at: at(-20) });

  return { sites, nodes, missions: { vega, rrlyr, m31 }, partialTaskId: work.task.id, remainderTaskId: ended.remainder!.id, activeJobId };
}

// ---------------------------------------------------------------- science with injected truth

export const TRUE_PERIOD_DAYS = 0.5668378;
const LC_SITES = ['Mauna Kea', 'Observatoire de Haute-Provence', 'Siding Spring'];

export interface Science {
  lightcurve: { target: string; bands: string[]; points: Array<{ bjdTdb: number; mag: number; err: number; band: string; site: string; nodeId: string }> };
  periodogram: { periodsDays: number[]; power: number[]; peaks: Array<{ periodDays: number; power: number; fap: number }>; bestPeriodDays: number };
  oc: { planet: string; points: Array<{ epoch: number; ocMin: number; errMin: number; site?: string }>; model: Array<{ epoch: number; medianMin: number; lo68Min: number; hi68Min: number; lo95Min: number; hi95Min: number }> };
  posterior: { parameters: Array<{ name: string; unit: string; median: number; lo68: number; hi68: number }>; samples: number[][]; logEvidence: number };
  stack: { width: number; height: number; image: Float32Array; coverage: Int16Array; fits: Uint8Array; coverageFits: Uint8Array; header: Array<[string, string | number]> };
  alerts: Array<{ id: string; kind: string; message: string; missionId?: string; createdAt: string }>;
}

export function makeScience(missionId: string): Science {
  const u = rng(2024);
  const normal = gaussian(u);

  // RR Lyr-like: 12 nights, three sites at their local nights, 6 points each.
  const points: Science['lightcurve']['points'] = [];
  const t0 = 2459752.3;
  for (let night = 0; night < 12; night++) {
    LC_SITES.forEach((site, s) => {
      for (let k = 0; k < 6; k++) {
        const t = t0 + night + s * 0.33 + k * 0.025;
        const phase = (2 * Math.PI * (t - t0)) / TRUE_PERIOD_DAYS;
        const mag = 7.9 + 0.35 * Math.sin(phase) + 0.08 * Math.sin(2 * phase + 0.7) + 0.015 * normal();
        points.push({ bjdTdb: t, mag, err: 0.015, band: 'V', site, nodeId: `node-${s}` });
      }
    });
  }
  const t = points.map((p) => p.bjdTdb);
  const y = points.map((p) => p.mag);
  const dy = points.map((p) => p.err);
  const grid = autoFrequencyGrid(t, { minPeriodDays: 0.2, maxPeriodDays: 4, samplesPerPeak: 10 });
  const power = lombScargle({ t, y, dy }, grid);
  const freqs = gridFrequencies(grid);
  const peaks = topPeaks(power, grid, { count: 5, minSeparation: 0.05, refine: true }).map((p) => ({
    periodDays: p.periodDays,
    power: p.power,
    fap: falseAlarmProbability(p.power, { t, dy }, gridMaxFrequency(grid)),
  }));

  // Transit timing variations: 2 min amplitude, 40-epoch super-period.
  const ttv = (e: number) => 2.0 * Math.sin((2 * Math.PI * e) / 40);
  const ocPoints = Array.from({ length: 21 }, (_, i) => {
    const epoch = i * 3;
    return { epoch, ocMin: ttv(epoch) + 0.5 * normal(), errMin: 0.5, site: LC_SITES[i % 3] };
  });
  const model = Array.from({ length: 61 }, (_, epoch) => {
    const m = ttv(epoch);
    return { epoch, medianMin: m, lo68Min: m - 0.4, hi68Min: m + 0.4, lo95Min: m - 0.8, hi95Min: m + 0.8 };
  });

  // Posterior draws: correlated mass and period of the perturber, and an eccentricity.
  const samples: number[][] = [];
  for (let i = 0; i < 1500; i++) {
    const a = normal();
    const b = normal();
    samples.push([10 + 1.5 * a, 5.2 + 0.05 * (0.7 * a + Math.sqrt(1 - 0.49) * b), Math.abs(0.05 + 0.02 * normal())]);
  }
  const q = (col: number, f: number) => {
    const s = samples.map((r) => r[col]).sort((x, z) => x - z);
    const pos = (s.length - 1) * f;
    const i = Math.floor(pos);
    return s[i] + (s[Math.min(i + 1, s.length - 1)] - s[i]) * (pos - i);
  };
  const parameters = [
    ['mass', 'M⊕'],
    ['period', 'd'],
    ['eccentricity', ''],
  ].map(([name, unit], j) => ({ name, unit, median: q(j, 0.5), lo68: q(j, 0.16), hi68: q(j, 0.84) }));

  // A stacked field with stars, and its coverage (frames per pixel: 4, 8 or 12).
  const width = 240;
  const height = 160;
  const image = new Float32Array(width * height);
  for (let i = 0; i < image.length; i++) image[i] = 100 + 5 * normal();
  for (let s = 0; s < 25; s++) {
    const cx = 10 + u() * (width - 20);
    const cy = 10 + u() * (height - 20);
    const amp = 200 + 4800 * u() ** 2;
    for (let yy = Math.max(0, Math.floor(cy - 8)); yy < Math.min(height, cy + 8); yy++) {
      for (let xx = Math.max(0, Math.floor(cx - 8)); xx < Math.min(width, cx + 8); xx++) {
        image[yy * width + xx] += amp * Math.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * 1.5 ** 2));
      }
    }
  }
  const coverage = new Int16Array(width * height);
  for (let yy = 0; yy < height; yy++) for (let xx = 0; xx < width; xx++) coverage[yy * width + xx] = 4 + (xx >= 40 && xx < 200 ? 4 : 0) + (yy >= 30 && yy < 130 ? 4 : 0);
  const header: Array<[string, string | number]> = [
    ['CTYPE1', 'RA---TAN-SIP'],
    ['CTYPE2', 'DEC--TAN-SIP'],
    ['CRVAL1', 10.6847],
    ['CRVAL2', 41.269],
    ['CRPIX1', 120.5],
    ['CRPIX2', 80.5],
    ['CD1_1', -2.8e-4],
    ['CD1_2', 1.1e-5],
    ['CD2_1', 0.9e-5],
    ['CD2_2', 2.8e-4],
    ['A_ORDER', 2],
    ['A_2_0', 2.0e-6],
    ['A_1_1', -1.0e-6],
    ['A_0_2', 5.0e-7],
    ['B_ORDER', 2],
    ['B_2_0', -8.0e-7],
    ['B_1_1', 1.5e-6],
    ['B_0_2', -1.2e-6],
    ['BUNIT', 'ADU'],
  ];
  const fits = writeFits([imageHdu(image, [width, height], { header: Header.fromCards(header.map(([keyword, value]) => ({ keyword, value }))) })]);
  const coverageFits = writeFits([imageHdu(coverage, [width, height], { header: Header.fromCards([{ keyword: 'BUNIT', value: 'frames' }]) })]);

  return {
    lightcurve: { target: 'RR Lyr', bands: ['V'], points },
    periodogram: { periodsDays: Array.from(freqs, (f) => 1 / f), power: Array.from(power), peaks, bestPeriodDays: peaks[0].periodDays },
    oc: { planet: 'WASP-Test b', points: ocPoints, model },
    posterior: { parameters, samples, logEvidence: -1234.5678 },
    stack: { width, height, image, coverage, fits, coverageFits, header },
    alerts: [
      { id: 'a1', kind: 'transient', message: 'New source at RA 10.70°, Dec +41.30°, 17.8 mag', missionId, createdAt: '2022-06-21T23:20:00.000Z' },
      { id: 'a2', kind: 'period', message: 'RR Lyr period recovered: 0.56684 d', missionId, createdAt: '2022-06-21T23:25:00.000Z' },
    ],
  };
}

/**
 * Routes the service will have (missions: being written; science results: the pipeline's
 * contract), served here from the rules and the fixtures above.
 */
export function fixtureRoutes(ctx: ServerContext, science: Science, scienceMissionId: string) {
  return async (app: FastifyInstance): Promise<void> => {
    const db = ctx.database.db;
    const notFound = (what: string) => new NetworkError('NOT_FOUND', `no ${what} for this mission yet`);
    const scienceOf = <T>(id: string, what: string, value: T): T => {
      if (id !== scienceMissionId) throw notFound(what);
      return value;
    };
    app.get('/api/v1/missions', async () => ({ missions: await listMissions(db) }));
    app.get<{ Params: { id: string } }>('/api/v1/missions/:id', async (r) => missionProgress(db, r.params.id));
    app.get<{ Params: { id: string } }>('/api/v1/nodes/:id/plan', async (r) => planNight(db, r.params.id, ctx.clock.now()));
    app.get<{ Params: { id: string } }>('/api/v1/missions/:id/lightcurve', async (r) => scienceOf(r.params.id, 'light curve', science.lightcurve));
    app.get<{ Params: { id: string } }>('/api/v1/missions/:id/periodogram', async (r) => scienceOf(r.params.id, 'periodogram', science.periodogram));
    app.get<{ Params: { id: string } }>('/api/v1/missions/:id/oc', async (r) => scienceOf(r.params.id, 'O−C', science.oc));
    app.get<{ Params: { id: string } }>('/api/v1/missions/:id/posterior', async (r) => scienceOf(r.params.id, 'posterior', science.posterior));
    app.get<{ Params: { id: string } }>('/api/v1/missions/:id/stack', async (r) =>
      scienceOf(r.params.id, 'stack', {
        productId: 'p-stack-1',
        width: science.stack.width,
        height: science.stack.height,
        depthFrames: 12,
        url: '/api/v1/products/p-stack-1/file',
        coverageUrl: '/api/v1/products/p-stack-1-coverage/file',
      }),
    );
    app.get<{ Params: { id: string } }>('/api/v1/products/:id/file', async (r, reply) => {
      const bytes = r.params.id === 'p-stack-1' ? science.stack.fits : r.params.id === 'p-stack-1-coverage' ? science.stack.coverageFits : null;
      if (!bytes) throw new NetworkError('NOT_FOUND', `no product ${r.params.id}`);
      return reply.type('application/fits').send(Buffer.from(bytes));
    });
    app.get('/api/v1/alerts', async () => science.alerts);
  };
}
