/**
 * Set-up for the science-stage tests: a synthetic sky (seeded random stars, which are also
 * the reference catalog), sites and nodes whose optics give each a known zero point, a
 * mission on a variable star, frames rendered by science/sky at given times and stored
 * the way ingest leaves them (object + ACCEPTED exposure row with ingest's metadata), and
 * a StageContext for calling handlers directly.
 */
import type { Kysely } from 'kysely';
import { memoryCatalog, type ReferenceCatalog } from '../../src/pipeline/catalog.js';
import { enqueueStage } from '../../src/pipeline/enqueue.js';
import { readFrame } from '../../src/pipeline/ingest/frame.js';
import { frameMetadata } from '../../src/pipeline/ingest/metadata.js';
import type { EnqueueOptions, StageContext, StageInputs, StageName } from '../../src/pipeline/stages.js';
import type { Schema } from '../../src/platform/db/schema.js';
import { putJsonProduct, upsertProduct } from '../../src/pipeline/lightcurve/products.js';
import type { LightcurveDocument, LightcurvePointDoc } from '../../src/pipeline/lightcurve/stage.js';
import { addArchivalTransitTimes, setTransitEphemeris } from '../../src/pipeline/transit/ephemeris.js';
import { Rng } from '../../src/science/inference/random.js';
import { transitLightCurve } from '../../src/science/transit/model.js';
import { createMission } from '../../src/network/missions/missions.js';
import { registerNode } from '../../src/network/nodes/registry.js';
import { createSite } from '../../src/network/nodes/sites.js';
import { Header } from '../../src/science/fits/header.js';
import { imageHdu, writeFits } from '../../src/science/fits/writer.js';
import { randomStarField, renderFrame, resolveOptics, tanWcsForOptics, type CatalogStar, type Optics } from '../../src/science/sky/index.js';
import { wcsToHeader, type Wcs } from '../../src/science/wcs/index.js';
import { angularSeparationDeg } from '../../src/science/wcs/geometry.js';
import type { Env } from './helpers.js';

export const FIELD = { raDeg: 150.0, decDeg: 20.0 };
/** The variable: 10″ east of the field centre, not in the catalog. */
export const VARIABLE = { raDeg: 150.0 + 10 / 3600 / Math.cos((20 * Math.PI) / 180), decDeg: 20.0 + 12 / 3600 };

/** Stars of a rich field (a Milky Way density), brightest first; the catalog is the same stars. */
export function skyField(seed = 11): { stars: CatalogStar[]; catalog: ReferenceCatalog } {
  // The variable is kept isolated: no catalog star within 20″ of it.
  const stars = randomStarField({ ...FIELD, radiusDeg: 0.6, magBright: 9, magFaint: 17.5, densityAtRefMag: 3000, seed }).filter(
    (s) => angularSeparationDeg(s.raDeg, s.decDeg, VARIABLE.raDeg, VARIABLE.decDeg) * 3600 > 20,
  );
  return { stars, catalog: memoryCatalog(stars.map((s) => ({ raDeg: s.raDeg, decDeg: s.decDeg, mag: s.mag }))) };
}

export function nodeOptics(kind: 'a' | 'b'): Optics {
  return kind === 'a'
    ? { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, widthPx: 256, heightPx: 256, gainEPerAdu: 1, readNoiseE: 5, biasAdu: 500, throughput: 0.5 }
    : { apertureMm: 150, focalLengthMm: 900, pixelSizeUm: 4.5, widthPx: 256, heightPx: 256, gainEPerAdu: 1.6, readNoiseE: 7, biasAdu: 1000, throughput: 0.4 };
}

/** True zero point (mag of 1 ADU/s) of the optics, the quantity the image stage fits. */
export function truthZp(optics: Optics): number {
  const o = resolveOptics(optics);
  return 2.5 * Math.log10(o.zeroPointEPerS / o.gainEPerAdu);
}

export interface ScienceSeed {
  missionId: string;
  sites: Array<{ id: string; name: string; lonDeg: number; latDeg: number }>;
  nodes: Array<{ id: string; optics: Optics; siteId: string }>;
}

/** Two sites (La Palma, Cerro Tololo: their nights overlap), node 'a' at the first and 'b' at the second; a mission on VARIABLE. */
export async function seedScience(db: Kysely<Schema>, now: Date, opts: { filter?: string; sameSite?: boolean } = {}): Promise<ScienceSeed> {
  const s1 = await createSite(db, { name: 'La Palma', latitudeDeg: 28.76, longitudeDeg: -17.88, elevationM: 2300 }, now);
  const s2 = opts.sameSite ? s1 : await createSite(db, { name: 'Cerro Tololo', latitudeDeg: -30.17, longitudeDeg: -70.81, elevationM: 2200 }, now);
  const nodes: ScienceSeed['nodes'] = [];
  for (const [kind, site] of [
    ['a', s1],
    ['b', s2],
  ] as const) {
    const o = nodeOptics(kind);
    const r = await registerNode(
      db,
      {
        siteId: site.id,
        name: `node-${kind}`,
        apertureMm: o.apertureMm,
        focalLengthMm: o.focalLengthMm,
        pixelSizeUm: o.pixelSizeUm,
        sensorWidthPx: o.widthPx,
        sensorHeightPx: o.heightPx,
        filters: ['V', 'R'],
        gainEPerAdu: o.gainEPerAdu ?? 1,
        readNoiseE: o.readNoiseE ?? 0,
      },
      now,
    );
    nodes.push({ id: r.node.id, optics: o, siteId: site.id });
  }
  const m = await createMission(db, { targetName: 'V* TEST', raDeg: VARIABLE.raDeg, decDeg: VARIABLE.decDeg, filter: opts.filter ?? 'V', totalExposureS: 36000, subExposureS: 60 }, now);
  const sites = [s1, s2].map((s) => ({ id: s.id, name: s.name, lonDeg: s.longitudeDeg, latDeg: s.latitudeDeg }));
  return { missionId: m.mission.id, sites, nodes };
}

export interface FrameRender {
  optics: Optics;
  startUtc: Date;
  exposureS?: number;
  stars: readonly CatalogStar[];
  /** The variable's magnitude at a JD (UTC). */
  variableMag?: (jd: number) => number;
  /** Where the telescope really pointed (default: the field centre), and where the header says it did. */
  pointing?: { raDeg: number; decDeg: number };
  headerPointing?: { raDeg: number; decDeg: number } | null;
  /** Write this WCS into the header (default none: the frame must be solved). */
  headerWcs?: Wcs | 'truth';
  rotationDeg?: number;
  seed: number;
  filter?: string;
  skyMag?: number;
}

export interface RenderedScienceFrame {
  bytes: Uint8Array;
  wcs: Wcs;
  /** Exposure-averaged magnitude of the variable. */
  variableMag?: number;
}

export function jdOf(d: Date): number {
  return d.getTime() / 86_400_000 + 2440587.5;
}

export function renderScienceFrame(f: FrameRender): RenderedScienceFrame {
  const pointing = f.pointing ?? FIELD;
  const wcs = tanWcsForOptics(f.optics, pointing.raDeg, pointing.decDeg, { rotationDeg: f.rotationDeg ?? 0 });
  const exposureS = f.exposureS ?? 60;
  const r = renderFrame({
    wcs,
    optics: f.optics,
    exposureS,
    seeingFwhmArcsec: 2.5,
    stars: f.stars,
    sources: f.variableMag ? [{ kind: 'point', ...VARIABLE, magAt: f.variableMag, id: 'variable' }] : [],
    startJd: jdOf(f.startUtc),
    skyMagPerArcsec2: f.skyMag ?? 20.5,
    seed: f.seed,
  });
  const header = new Header();
  header.set('DATE-OBS', f.startUtc.toISOString().replace('Z', ''), '[UTC] start of exposure');
  header.set('EXPTIME', exposureS, '[s]');
  header.set('FILTER', f.filter ?? 'V');
  header.set('OBJECT', 'V* TEST');
  if (f.headerPointing !== null) {
    const hp = f.headerPointing ?? pointing;
    header.set('RA', hp.raDeg, '[deg] pointing');
    header.set('DEC', hp.decDeg, '[deg] pointing');
  }
  header.set('FOCALLEN', f.optics.focalLengthMm);
  header.set('XPIXSZ', f.optics.pixelSizeUm);
  header.set('APTDIA', f.optics.apertureMm);
  if (f.headerWcs) wcsToHeader(f.headerWcs === 'truth' ? wcs : f.headerWcs, header);
  const bytes = writeFits([imageHdu(r.frame, [r.width, r.height], { header })]);
  const v = r.sources.find((s) => s.id === 'variable');
  return { bytes, wcs, variableMag: v?.mag };
}

/** Store a frame as ingest would leave it: the object, and an ACCEPTED exposure with ingest's metadata. */
export async function storeFrame(env: Env, missionId: string, nodeId: string, bytes: Uint8Array, startUtc: Date): Promise<string> {
  const key = `frames/test/${missionId}/${nodeId}/${startUtc.getTime()}.fits`;
  await env.storage.put(key, bytes, { contentType: 'application/fits' });
  const meta = frameMetadata(await readFrame(bytes));
  const row = await env.database.db
    .insertInto('exposures')
    .values({
      mission_id: missionId,
      node_id: nodeId,
      started_at: startUtc,
      exposure_s: meta.exposureS ?? 60,
      filter: meta.filter ?? 'V',
      state: 'ACCEPTED',
      object_key: key,
      pipeline_state: 'ingested',
      mid_utc: meta.midUtc ?? null,
      ra_deg: meta.raDeg ?? null,
      dec_deg: meta.decDeg ?? null,
      pointing_source: meta.pointingSource ?? null,
      has_wcs: meta.hasWcs,
      width: meta.width,
      height: meta.height,
      header: JSON.stringify({ keywords: meta.summary, optics: meta.optics, pixelScaleArcsec: meta.pixelScaleArcsec, midIsoUtc: meta.midIsoUtc }),
      ingested_at: startUtc,
      created_at: startUtc,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface Enqueued {
  stage: StageName;
  input: unknown;
  opts?: EnqueueOptions;
}

/** A StageContext over the test environment; enqueues go through the real ledger + pg-boss and are also recorded. */
export function stageContext(env: Env, enqueued: Enqueued[] = []): StageContext & { enqueued: Enqueued[]; messages: string[] } {
  const messages: string[] = [];
  return {
    database: env.database,
    storage: env.storage,
    clock: env.clock,
    jobs: env.jobs,
    jobId: 'test',
    ledgerId: 'test',
    attempt: 1,
    progress: async () => {},
    log: (m) => messages.push(m),
    enqueue: async <S extends StageName>(trx: Parameters<StageContext['enqueue']>[0], stage: S, input: StageInputs[S], opts?: EnqueueOptions) => {
      enqueued.push({ stage, input, opts });
      return enqueueStage(env.jobs, trx, stage, input, env.clock.now(), opts);
    },
    enqueued,
    messages,
  };
}

// ---- A transit mission with injected transit times ------------------------------------

export const P = 2.2;
export const T0 = 2461100.5;
export const SHAPE = { rp: 0.1, a: 8, incDeg: 88, u: [0.4, 0.26] as [number, number] };
/** Injected timing offsets (days) of the observed epochs: a few minutes, as TTVs are. */
export const SHIFT: Record<number, number> = { 0: 2 / 1440, 1: -1.5 / 1440, 2: 3 / 1440, 3: 0.5 / 1440 };
export const ARCHIVAL = [
  { epoch: -30, oc: 1 / 1440 },
  { epoch: -20, oc: -2 / 1440 },
  { epoch: -10, oc: 0 },
];
export const TTV_CONFIG = {
  stellarMassMsun: 1,
  planets: [{ name: 'b', massEarth: { prior: 'log-uniform', min: 1, max: 300, init: 10 } }],
  sampler: { kind: 'ensemble', nWalkers: 12, nSteps: 80, burnIn: 40, seed: 3 },
};

/** Points of the four observed transits: 2-min cadence over ±0.16 d, 1.5 mmag noise. */
export function transitPoints(seedNodeId: string): LightcurvePointDoc[] {
  const rng = new Rng(17);
  const pts: LightcurvePointDoc[] = [];
  let n = 0;
  for (const e of [0, 1, 2, 3]) {
    const tc = T0 + e * P + SHIFT[e];
    const t = Float64Array.from({ length: 230 }, (_, i) => T0 + e * P - 0.16 + (i * 2) / 1440);
    const f = transitLightCurve(t, { t0: tc, periodDays: P, ...SHAPE });
    t.forEach((ti, i) => {
      const mag = 12 - 2.5 * Math.log10(f[i]) + 0.0015 * rng.normal();
      pts.push({ bjdTdb: ti, mag, err: 0.0015, band: 'R', site: e % 2 ? 'Cerro Tololo' : 'La Palma', nodeId: seedNodeId, exposureId: `00000000-0000-4000-8000-${String(n++).padStart(12, '0')}` });
    });
  }
  return pts;
}

export async function putLightcurve(env: Env, missionId: string, points: LightcurvePointDoc[]): Promise<void> {
  const doc: LightcurveDocument = { format: 'openastro-lightcurve', version: 1, missionId, target: 'TOI-TEST b', raDeg: VARIABLE.raDeg, decDeg: VARIABLE.decDeg, bands: ['R'], points, rejected: [], merge: [], nights: 4, spanDays: 7 };
  const staged = await putJsonProduct(env.storage, missionId, 'lightcurve', doc);
  await env.database.db.transaction().execute((trx) => upsertProduct(trx, missionId, staged, { points: points.length }, env.clock.now()));
}

export async function transitMission(env: Env, seed: ScienceSeed, ttv = true): Promise<string> {
  const m = await createMission(env.database.db, { targetName: 'TOI-TEST', raDeg: VARIABLE.raDeg, decDeg: VARIABLE.decDeg, filter: 'R', totalExposureS: 3600, subExposureS: 60 }, env.clock.now());
  const id = m.mission.id;
  await setTransitEphemeris(env.database.db, id, { planet: 'b', periodDays: P, t0BjdTdb: T0, shape: SHAPE, ...(ttv ? { ttv: TTV_CONFIG } : {}) }, env.clock.now());
  await addArchivalTransitTimes(
    env.database.db,
    id,
    ARCHIVAL.map((a) => ({ bjdTdb: T0 + a.epoch * P + a.oc, sigmaDays: 30 / 86400, source: 'ETD' })),
  );
  await putLightcurve(env, id, transitPoints(seed.nodes[0].id));
  return id;
}


/** Calibrated target measurements as the image stage leaves them (exposure + frame_calibrations rows, no pixels). */
export async function insertCalibrated(
  env: Env,
  missionId: string,
  nodeId: string,
  points: Array<{ bjdTdb: number; mag: number; err: number; filter?: string }>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const p of points) {
    const start = new Date((p.bjdTdb - 2440587.5) * 86_400_000);
    const e = await env.database.db
      .insertInto('exposures')
      .values({ mission_id: missionId, node_id: nodeId, started_at: start, exposure_s: 60, filter: p.filter ?? 'V', state: 'ACCEPTED', pipeline_state: 'calibrated', created_at: start })
      .returning('id')
      .executeTakeFirstOrThrow();
    await env.database.db
      .insertInto('frame_calibrations')
      .values({
        exposure_id: e.id,
        mission_id: missionId,
        node_id: nodeId,
        filter: p.filter ?? 'V',
        status: 'calibrated',
        zp: 20,
        zp_err: 0.005,
        target_mag: p.mag,
        target_mag_err: p.err,
        bjd_tdb: p.bjdTdb,
        mid_utc: start,
        created_at: start,
        updated_at: start,
      })
      .execute();
    ids.push(e.id);
  }
  return ids;
}
