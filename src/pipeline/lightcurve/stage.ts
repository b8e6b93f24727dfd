/**
 * Light-curve stage (queue 'science'): the mission's calibrated target measurements merged
 * into one light curve per band.
 *
 * Every node is an instrument with its own small systematic offset (aperture, colour,
 * flat field) even after each frame's zero point: per band, science/lightcurve
 * mergeLightCurves fits one offset per node jointly with the star's signal (a free value
 * per `binDays` bin shared by all nodes — no assumption about the variability), rejects
 * outliers against that model and inflates each node's errors by its √χ²_ν. Nodes whose
 * coverage never overlaps the others' cannot have an offset fitted that way; then, if a
 * significant period is known (the mission's periodogram), the signal is a Fourier series
 * of that period instead; failing that, the points keep their zero-point calibration
 * (offset 0) and the product says why.
 *
 * Result: `lightcurve_points` (all points, kept or rejected, rewritten whole) and the
 * product 'lightcurve' (a JSON document, products.ts). In the same transaction: 'period'
 * when there are enough points over enough nights, and 'transit-times' for a transit
 * mission (one with a row in transit_ephemerides — docs/decisions/0039). Their job keys
 * carry a hash of the light curve, so an unchanged light curve queues nothing new.
 *
 * Idempotent: the same calibrations give the same document, key, rows and job keys.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { LightCurveError } from '../../science/lightcurve/errors.js';
import type { LightCurve } from '../../science/lightcurve/lightcurve.js';
import { mergeLightCurves, type MergeModel, type MergeResult } from '../../science/lightcurve/merge.js';
import { PipelineError } from '../errors.js';
import type { StageContext, StageHandler } from '../stages.js';
import { dropReplaced, getProduct, putJsonProduct, readJsonProduct, upsertProduct } from './products.js';

export interface LightcurveOptions {
  /** Width of the shared signal bins for the node offsets, days (default 0.02 = 29 min). */
  binDays?: number;
  /** Outlier rejection threshold, σ (default 4). */
  outlierSigma?: number;
  /** Points needed before a period search (default 30)… */
  minPeriodPoints?: number;
  /** …spread over at least this many nights (default 2). */
  minPeriodNights?: number;
  /** A known period is used for non-overlapping nodes only when its FAP is below this (default 0.01). */
  maxPeriodFap?: number;
}

export interface LightcurvePointDoc {
  bjdTdb: number;
  mag: number;
  err: number;
  band: string;
  /** Site name. */
  site: string;
  nodeId: string;
  exposureId: string;
}

export interface NodeOffsetDoc {
  nodeId: string;
  site: string;
  offsetMag: number;
  offsetErrMag: number;
  reference: boolean;
  points: number;
  rejected: number;
  errorScale: number;
}

export interface BandMergeDoc {
  band: string;
  /** 'bins' | 'periodic' | 'none' (offsets not fitted). */
  model: string;
  binDays?: number;
  periodDays?: number;
  offsets: NodeOffsetDoc[];
  reducedChi2: number | null;
  note?: string;
}

export interface LightcurveDocument {
  format: 'openastro-lightcurve';
  version: 1;
  missionId: string;
  target: string;
  raDeg: number | null;
  decDeg: number | null;
  bands: string[];
  /** Kept points, node offsets removed, errors inflated; by time. */
  points: LightcurvePointDoc[];
  /** Points rejected as outliers (as measured). */
  rejected: LightcurvePointDoc[];
  merge: BandMergeDoc[];
  nights: number;
  spanDays: number;
}

export interface LightcurveOutcome {
  missionId: string;
  points: number;
  rejected: number;
  bands: string[];
  nights: number;
  productKey?: string;
  enqueued: string[];
}

export function lightcurveStage(opts: LightcurveOptions = {}): StageHandler<'lightcurve'> {
  return async (input, ctx) => {
    await runLightcurve(input.missionId, ctx, opts);
  };
}

interface Measured {
  exposureId: string;
  nodeId: string;
  band: string;
  site: string;
  lonDeg: number;
  bjdTdb: number;
  mag: number;
  err: number;
}

export async function runLightcurve(missionId: string, ctx: StageContext, opts: LightcurveOptions = {}): Promise<LightcurveOutcome> {
  const db = ctx.database.db;
  const mission = await db.selectFrom('missions').select(['id', 'name', 'target_name', 'ra_deg', 'dec_deg']).where('id', '=', missionId).executeTakeFirst();
  if (!mission) {
    ctx.log(`mission ${missionId} no longer exists; no light curve`);
    return { missionId, points: 0, rejected: 0, bands: [], nights: 0, enqueued: [] };
  }
  await ctx.progress(0.1, 'reading calibrated frames');
  const before = await calibrationsFingerprint(db, missionId);
  const rows = await db
    .selectFrom('frame_calibrations as c')
    .innerJoin('exposures as e', 'e.id', 'c.exposure_id')
    .innerJoin('nodes as n', 'n.id', 'c.node_id')
    .leftJoin('sites as s', 's.id', 'n.site_id')
    .select(['c.exposure_id', 'c.node_id', 'c.filter', 'c.bjd_tdb', 'c.target_mag', 'c.target_mag_err', 's.name as site_name', 's.longitude_deg', 'n.name as node_name'])
    .where('c.mission_id', '=', missionId)
    .where('c.status', '=', 'calibrated')
    .where('e.state', '=', 'ACCEPTED')
    .where('c.target_mag', 'is not', null)
    .where('c.bjd_tdb', 'is not', null)
    .orderBy('c.bjd_tdb')
    .orderBy('c.exposure_id')
    .execute();
  const measured: Measured[] = [];
  for (const r of rows) {
    const err = r.target_mag_err;
    if (r.bjd_tdb === null || r.target_mag === null || err === null || !(err > 0) || !Number.isFinite(r.target_mag)) continue;
    measured.push({
      exposureId: r.exposure_id,
      nodeId: r.node_id,
      band: r.filter,
      site: r.site_name ?? r.node_name,
      lonDeg: r.longitude_deg ?? 0,
      bjdTdb: r.bjd_tdb,
      mag: r.target_mag,
      err,
    });
  }
  if (measured.length === 0) {
    await ctx.progress(1, 'no calibrated measurements of the target yet');
    return { missionId, points: 0, rejected: 0, bands: [], nights: 0, enqueued: [] };
  }

  await ctx.progress(0.3, `merging ${measured.length} points`);
  const knownPeriod = await knownPeriodDays(ctx, missionId, opts.maxPeriodFap ?? 0.01);
  const bands = [...new Set(measured.map((m) => m.band))].sort();
  const kept: LightcurvePointDoc[] = [];
  const rejected: LightcurvePointDoc[] = [];
  const merge: BandMergeDoc[] = [];
  const stored: Array<{ m: Measured; mag: number; err: number; offset: number; kept: boolean }> = [];
  for (const band of bands) {
    const pts = measured.filter((m) => m.band === band);
    const res = mergeBand(pts, band, opts, knownPeriod);
    merge.push(res.doc);
    pts.forEach((m, i) => {
      const off = res.offsetOf.get(m.nodeId) ?? { offset: 0, scale: 1 };
      const isKept = res.kept[i] === 1;
      const p: LightcurvePointDoc = { bjdTdb: m.bjdTdb, mag: m.mag - off.offset, err: m.err * off.scale, band, site: m.site, nodeId: m.nodeId, exposureId: m.exposureId };
      if (isKept) kept.push(p);
      else rejected.push({ ...p, mag: m.mag, err: m.err });
      stored.push({ m, mag: p.mag, err: p.err, offset: off.offset, kept: isKept });
    });
  }
  const byTime = (a: LightcurvePointDoc, b: LightcurvePointDoc) => a.bjdTdb - b.bjdTdb || (a.exposureId < b.exposureId ? -1 : a.exposureId > b.exposureId ? 1 : 0);
  kept.sort(byTime);
  rejected.sort(byTime);
  // A night: the JD day that starts at local noon (JD days start at Greenwich noon).
  const lonOf = new Map(measured.map((m) => [m.exposureId, m.lonDeg]));
  const nights = new Set(kept.map((p) => Math.floor(p.bjdTdb + (lonOf.get(p.exposureId) ?? 0) / 360))).size;
  const spanDays = kept.length > 0 ? kept[kept.length - 1].bjdTdb - kept[0].bjdTdb : 0;
  const doc: LightcurveDocument = {
    format: 'openastro-lightcurve',
    version: 1,
    missionId,
    target: mission.target_name ?? mission.name,
    raDeg: mission.ra_deg,
    decDeg: mission.dec_deg,
    bands: [...new Set(kept.map((p) => p.band))].sort(),
    points: kept,
    rejected,
    merge,
    nights,
    spanDays,
  };

  await ctx.progress(0.7, 'storing the light curve');
  const staged = await putJsonProduct(ctx.storage, missionId, 'lightcurve', doc);
  const hash = staged.sha256.slice(0, 16);
  const minPoints = opts.minPeriodPoints ?? 30;
  const minNights = opts.minPeriodNights ?? 2;
  const transit = await db.selectFrom('transit_ephemerides').select('mission_id').where('mission_id', '=', missionId).executeTakeFirst();
  const enqueued: string[] = [];
  const now = ctx.clock.now();
  const summary = {
    points: kept.length,
    rejected: rejected.length,
    bands: doc.bands,
    sites: [...new Set(kept.map((p) => p.site))].sort(),
    nodes: [...new Set(kept.map((p) => p.nodeId))].length,
    nights,
    spanDays,
    firstBjdTdb: kept[0]?.bjdTdb ?? null,
    lastBjdTdb: kept[kept.length - 1]?.bjdTdb ?? null,
  };
  const replaced = await db.transaction().execute(async (trx: Transaction<Schema>) => {
    const live = await trx.selectFrom('missions').select('id').where('id', '=', missionId).forUpdate().executeTakeFirst();
    if (!live) return undefined;
    // A frame calibrated since we read: its own light-curve job (queued after it) reads it; a
    // run of ours committing after that job would put an older light curve back.
    if ((await calibrationsFingerprint(trx, missionId)) !== before) return { stale: true as const };
    await trx.deleteFrom('lightcurve_points').where('mission_id', '=', missionId).execute();
    for (let i = 0; i < stored.length; i += 1000) {
      await trx
        .insertInto('lightcurve_points')
        .values(
          stored.slice(i, i + 1000).map((s) => ({
            mission_id: missionId,
            exposure_id: s.m.exposureId,
            node_id: s.m.nodeId,
            band: s.m.band,
            site: s.m.site,
            bjd_tdb: s.m.bjdTdb,
            mag: s.mag,
            err: s.err,
            offset_mag: s.offset,
            kept: s.kept,
          })),
        )
        .execute();
    }
    const old = await upsertProduct(trx, missionId, staged, summary, now);
    if (kept.length >= minPoints && nights >= minNights) {
      const key = `period:${missionId}:${hash}`;
      if ((await ctx.enqueue(trx, 'period', { missionId }, { dedupeKey: key })) !== null) enqueued.push(key);
    }
    if (transit && kept.length > 0) {
      const key = `transit-times:${missionId}:${hash}`;
      if ((await ctx.enqueue(trx, 'transit-times', { missionId }, { dedupeKey: key })) !== null) enqueued.push(key);
    }
    return { stale: false as const, old };
  });
  if (!replaced || replaced.stale) {
    const other = await getProduct(db, missionId, 'lightcurve');
    if (other?.object_key !== staged.key) await dropReplaced(ctx.storage, staged.key);
    const why = replaced ? 'frames were calibrated meanwhile; their light-curve job supersedes this one' : 'the mission no longer exists';
    ctx.log(`mission ${missionId}: light curve not stored: ${why}`);
    await ctx.progress(1, `not stored: ${why}`);
    return { missionId, points: 0, rejected: 0, bands: [], nights: 0, enqueued: [] };
  }
  await dropReplaced(ctx.storage, replaced.old);
  await ctx.progress(1, `${kept.length} points (${rejected.length} rejected) in ${doc.bands.join(', ')} over ${nights} night(s)`);
  return { missionId, points: kept.length, rejected: rejected.length, bands: doc.bands, nights, productKey: staged.key, enqueued };
}

/**
 * Changes whenever the light curve's inputs change (a frame calibrated with a target
 * measurement, or re-run): count and latest update of those rows. The image stage queues a
 * light-curve job for every such change.
 */
async function calibrationsFingerprint(db: Kysely<Schema>, missionId: string): Promise<string> {
  const r = await db
    .selectFrom('frame_calibrations')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.max('updated_at').as('latest')])
    .where('mission_id', '=', missionId)
    .where('status', '=', 'calibrated')
    .where('target_mag', 'is not', null)
    .where('bjd_tdb', 'is not', null)
    .executeTakeFirstOrThrow();
  return `${Number(r.n)}/${r.latest === null ? '' : new Date(r.latest as Date).toISOString()}`;
}

/** The mission's best period when its periodogram found a significant one. */
async function knownPeriodDays(ctx: StageContext, missionId: string, maxFap: number): Promise<number | undefined> {
  const product = await getProduct(ctx.database.db, missionId, 'periodogram');
  if (!product) return undefined;
  const s = product.summary as { bestPeriodDays?: unknown; bestFap?: unknown };
  if (typeof s.bestPeriodDays === 'number' && s.bestPeriodDays > 0 && typeof s.bestFap === 'number' && s.bestFap < maxFap) return s.bestPeriodDays;
  return undefined;
}

function mergeBand(
  pts: Measured[],
  band: string,
  opts: LightcurveOptions,
  knownPeriod: number | undefined,
): { doc: BandMergeDoc; kept: Uint8Array; offsetOf: Map<string, { offset: number; scale: number }> } {
  const binDays = opts.binDays ?? 0.02;
  const lc: LightCurve = {
    t: Float64Array.from(pts, (p) => p.bjdTdb),
    y: Float64Array.from(pts, (p) => p.mag),
    dy: Float64Array.from(pts, (p) => p.err),
    band: pts.map(() => band),
    site: pts.map((p) => p.nodeId),
    kind: 'mag',
    warnings: [],
  };
  const siteOfNode = new Map(pts.map((p) => [p.nodeId, p.site]));
  const outliers = { against: 'model' as const, sigma: opts.outlierSigma ?? 4 };
  const attempt = (model: MergeModel): MergeResult => mergeLightCurves(lc, { model, outliers, inflateErrors: 'per-site' });
  let result: MergeResult | undefined;
  let note: string | undefined;
  if (pts.length >= 2) {
    try {
      result = attempt({ kind: 'bins', binDays });
    } catch (err) {
      if (!(err instanceof LightCurveError)) throw err;
      note = err.message;
      if (err.code === 'DEGENERATE' && knownPeriod !== undefined) {
        try {
          result = attempt({ kind: 'periodic', periodDays: knownPeriod, nterms: 3 });
          note = `${note}; offsets fitted with a Fourier model of the ${knownPeriod.toFixed(6)} d period instead`;
        } catch (err2) {
          if (!(err2 instanceof LightCurveError)) throw err2;
          note = `${note}; ${err2.message}`;
        }
      }
    }
  } else note = 'a single point: nothing to merge';
  if (!result) {
    // Keep every point on its own zero-point calibration.
    const nodes = [...new Set(pts.map((p) => p.nodeId))];
    return {
      doc: {
        band,
        model: 'none',
        offsets: nodes.map((n, i) => ({ nodeId: n, site: siteOfNode.get(n) ?? '', offsetMag: 0, offsetErrMag: 0, reference: i === 0, points: pts.filter((p) => p.nodeId === n).length, rejected: 0, errorScale: 1 })),
        reducedChi2: null,
        note: `node offsets not fitted (${note ?? 'no model'}): points keep their per-frame zero points`,
      },
      kept: new Uint8Array(pts.length).fill(1),
      offsetOf: new Map(),
    };
  }
  const offsetOf = new Map(result.offsets.map((o) => [o.site, { offset: o.offset, scale: o.errorScale }]));
  if (result.kept.length !== pts.length) throw new PipelineError('STAGE_FAILED', `merge returned ${result.kept.length} flags for ${pts.length} points`);
  return {
    doc: {
      band,
      model: result.model.kind,
      ...(result.model.kind === 'bins' ? { binDays: result.model.binDays } : {}),
      ...(result.model.kind === 'periodic' ? { periodDays: result.model.periodDays } : {}),
      offsets: result.offsets.map((o) => ({
        nodeId: o.site,
        site: siteOfNode.get(o.site) ?? '',
        offsetMag: o.offset,
        offsetErrMag: o.offsetErr,
        reference: o.reference,
        points: o.points,
        rejected: o.rejected,
        errorScale: o.errorScale,
      })),
      reducedChi2: Number.isFinite(result.reducedChi2) ? result.reducedChi2 : null,
      ...(note !== undefined ? { note } : {}),
    },
    kept: result.kept,
    offsetOf,
  };
}

/** The light-curve document of a mission, or undefined before the first one. */
export async function readLightcurve(ctx: Pick<StageContext, 'database' | 'storage'>, missionId: string): Promise<LightcurveDocument | undefined> {
  return (await readLightcurveProduct(ctx, missionId))?.doc;
}

/** The light-curve document and the sha256 of its product (to check it is still current when writing). */
export async function readLightcurveProduct(ctx: Pick<StageContext, 'database' | 'storage'>, missionId: string): Promise<{ doc: LightcurveDocument; sha256: string } | undefined> {
  const product = await getProduct(ctx.database.db, missionId, 'lightcurve');
  if (!product) return undefined;
  return { doc: await readJsonProduct<LightcurveDocument>(ctx.storage, product), sha256: product.sha256 };
}

/** The sha256 of a mission's product of `kind` inside a transaction (undefined when none). */
export async function productSha(trx: Kysely<Schema>, missionId: string, kind: string): Promise<string | undefined> {
  return (await trx.selectFrom('products').select('sha256').where('mission_id', '=', missionId).where('kind', '=', kind).executeTakeFirst())?.sha256;
}

