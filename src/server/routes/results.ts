/**
 * Science results over HTTP (reads; open unless the service closes reads). The dashboard
 * is built against exactly these shapes:
 *
 *   GET /api/v1/missions/:id/lightcurve     {target, bands, points:[{bjdTdb, mag, err, band, site, nodeId}]}
 *       ?format=csv                          CSV with BJD_TDB (science/lightcurve formatLightCurveCsv)
 *       ?format=aavso&observerCode=XYZ       AAVSO Extended File Format (JD UTC from BJD_TDB)
 *   GET /api/v1/missions/:id/periodogram    {periodsDays, power, peaks:[{periodDays, power, fap}], bestPeriodDays}
 *   GET /api/v1/missions/:id/oc             {planet, points:[{epoch, ocMin, errMin, site?}], model:[{epoch, medianMin, lo68Min, hi68Min, lo95Min, hi95Min}]}
 *   GET /api/v1/missions/:id/posterior      {parameters:[{name, unit, median, lo68, hi68}], samples, logEvidence?}
 *   GET /api/v1/missions/:id/stack          {productId, width, height, depthFrames, url, coverageUrl?}
 *   GET /api/v1/products/:id/file           the product's file (stack FITS; ?plane=weight|coverage|error: that plane alone)
 *   GET /api/v1/exposures/:id/calibration   per-frame calibration
 *   GET /api/v1/observations                exposures with state, solve status, filter, node, mission (paged)
 *   GET /api/v1/observations/:id            one exposure with its calibration
 *   GET /api/v1/alerts                      [{id, kind, message, missionId?, createdAt}] newest first
 *
 * A product that does not exist yet answers 404 {code: 'NOT_FOUND', message}. The O−C
 * model band is the TTV posterior's predicted times when a posterior exists, else the
 * linear ephemeris's prediction uncertainty. Alerts are a view derived on read from the
 * pipeline's tables (frames that failed, dead-letter jobs, significant periods, TTV
 * posteriors), not a table of their own.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Kysely } from 'kysely';
import { NetworkError } from '../../network/errors.js';
import type { FrameCalibration, Schema } from '../../platform/db/schema.js';
import { readObject } from '../../pipeline/objects.js';
import { getProduct, readJsonProduct } from '../../pipeline/lightcurve/products.js';
import type { LightcurveDocument } from '../../pipeline/lightcurve/stage.js';
import type { PeriodogramDocument } from '../../pipeline/period/stage.js';
import type { OcDocument } from '../../pipeline/transit/stage.js';
import type { PosteriorDocument } from '../../pipeline/ttv/stage.js';
import { FitsReader } from '../../science/fits/reader.js';
import { imageHdu, writeFits } from '../../science/fits/writer.js';
import { formatAavsoExtended } from '../../science/lightcurve/aavso.js';
import { formatLightCurveCsv } from '../../science/lightcurve/csv.js';
import { LightCurveError } from '../../science/lightcurve/errors.js';
import type { LightCurve } from '../../science/lightcurve/lightcurve.js';
import type { ObjectStoreLike, ServerContext } from '../context.js';

// ---------------------------------------------------------------- schemas

const uuid = { type: 'string', format: 'uuid' } as const;
const num = { type: 'number' } as const;
const nullableNum = { type: ['number', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;
const errorRef = { $ref: 'ApiError#' } as const;
const idParams = (what: string) =>
  ({ type: 'object', additionalProperties: false, required: ['id'], properties: { id: { ...uuid, description: `${what} id.` } } }) as const;

export const lightcurveSchema = {
  type: 'object',
  description: 'The merged light curve: per-node offsets removed, outliers left out, times BJD_TDB.',
  required: ['target', 'bands', 'points'],
  properties: {
    target: { type: 'string' },
    bands: { type: 'array', items: { type: 'string' } },
    points: {
      type: 'array',
      items: {
        type: 'object',
        required: ['bjdTdb', 'mag', 'err', 'band', 'site', 'nodeId'],
        properties: {
          bjdTdb: { ...num, description: 'Mid-exposure, BJD_TDB (days).' },
          mag: { ...num, description: "Magnitude on the reference catalog's system." },
          err: { ...num, description: '1σ, mag (inflated by the node’s √χ²ν when it scatters more).' },
          band: { type: 'string' },
          site: { type: 'string', description: 'Site name.' },
          nodeId: uuid,
        },
      },
    },
  },
} as const;

export const periodogramSchema = {
  type: 'object',
  description: 'Lomb–Scargle periodogram (multi-band with several bands), decimated for display; peaks from the full grid.',
  required: ['periodsDays', 'power', 'peaks', 'bestPeriodDays'],
  properties: {
    periodsDays: { type: 'array', items: num },
    power: { type: 'array', items: num },
    peaks: {
      type: 'array',
      items: {
        type: 'object',
        required: ['periodDays', 'power', 'fap'],
        properties: { periodDays: num, power: num, fap: { ...nullableNum, description: 'False-alarm probability (Baluev).' } },
      },
    },
    bestPeriodDays: nullableNum,
  },
} as const;

export const ocSchema = {
  type: 'object',
  description: 'Observed − calculated transit times against the linear ephemeris, minutes; the model band from the TTV posterior when there is one.',
  required: ['planet', 'points', 'model'],
  properties: {
    planet: { type: 'string' },
    points: {
      type: 'array',
      items: {
        type: 'object',
        required: ['epoch', 'ocMin', 'errMin'],
        properties: { epoch: { type: 'integer' }, ocMin: num, errMin: num, site: { type: 'string', description: 'Site(s) of a pipeline time, or the source of an archival one.' } },
      },
    },
    model: {
      type: 'array',
      items: {
        type: 'object',
        required: ['epoch', 'medianMin', 'lo68Min', 'hi68Min', 'lo95Min', 'hi95Min'],
        properties: { epoch: { type: 'integer' }, medianMin: num, lo68Min: num, hi68Min: num, lo95Min: num, hi95Min: num },
      },
    },
  },
} as const;

export const posteriorSchema = {
  type: 'object',
  description: 'TTV posterior: parameter medians and central 68 % intervals, posterior draws (columns in parameters order).',
  required: ['parameters', 'samples'],
  properties: {
    parameters: {
      type: 'array',
      items: { type: 'object', required: ['name', 'unit', 'median', 'lo68', 'hi68'], properties: { name: { type: 'string' }, unit: { type: 'string' }, median: num, lo68: num, hi68: num } },
    },
    samples: { type: 'array', maxItems: 2000, items: { type: 'array', items: num } },
    logEvidence: { ...num, description: 'ln Z (nested sampling only).' },
  },
} as const;

export const stackSchema = {
  type: 'object',
  required: ['productId', 'width', 'height', 'depthFrames', 'url'],
  properties: {
    productId: uuid,
    width: { type: 'integer' },
    height: { type: 'integer' },
    depthFrames: { type: 'integer', description: 'Frames co-added.' },
    url: { type: 'string', description: 'The stacked FITS (primary stack + WEIGHT, COVERAGE, ERROR).' },
    coverageUrl: { type: 'string', description: 'The coverage plane alone (frames per pixel).' },
  },
} as const;

const calibrationProperties = {
  exposureId: uuid,
  missionId: uuid,
  nodeId: uuid,
  filter: { type: 'string' },
  status: { type: 'string', enum: ['calibrated', 'solve_failed', 'failed'] },
  reason: { type: ['string', 'null'] },
  astrometry: {
    type: 'object',
    properties: { source: { type: 'string', enum: ['header', 'solved'] }, raDeg: num, decDeg: num, scaleArcsecPerPx: num, rotationDeg: num, matched: { type: 'integer' }, rmsArcsec: nullableNum },
  },
  zp: { ...nullableNum, description: 'Zero point: catalog magnitude of 1 ADU/s.' },
  zpErr: nullableNum,
  colourTerm: nullableNum,
  colourTermErr: nullableNum,
  colourTermSource: { type: ['string', 'null'], description: 'fit | fixed (from the instrument registry) | none' },
  scatter: { ...nullableNum, description: 'Robust scatter of the comparison stars about the fit, mag.' },
  matched: { type: ['integer', 'null'] },
  used: { type: ['integer', 'null'] },
  fwhmPx: nullableNum,
  apertureRadiusPx: nullableNum,
  target: {
    type: 'object',
    properties: { mag: nullableNum, err: nullableNum, xPx: nullableNum, yPx: nullableNum, flags: { type: ['integer', 'null'] } },
  },
  midUtc: nullableDateTime,
  bjdTdb: nullableNum,
  updatedAt: dateTime,
} as const;

export const calibrationSchema = { type: 'object', required: ['exposureId', 'status'], properties: calibrationProperties } as const;

const observationProperties = {
  id: uuid,
  missionId: uuid,
  nodeId: uuid,
  taskId: { type: ['string', 'null'], format: 'uuid' },
  state: { type: 'string', enum: ['RECEIVED', 'ACCEPTED', 'REJECTED'] },
  pipelineState: { type: 'string' },
  rejectionReason: { type: ['string', 'null'] },
  solveStatus: { type: ['string', 'null'], enum: ['header', 'solved', 'solve_failed', null], description: 'header: the uploaded WCS was confirmed; solved; solve_failed (see solveReason).' },
  solveReason: { type: ['string', 'null'] },
  filter: { type: 'string' },
  startedAt: dateTime,
  exposureS: num,
  midUtc: nullableDateTime,
  fileName: { type: ['string', 'null'] },
  hasFile: { type: 'boolean' },
  calibration: { type: ['object', 'null'], properties: { status: { type: 'string' }, zp: nullableNum, targetMag: nullableNum, targetMagErr: nullableNum, bjdTdb: nullableNum } },
  createdAt: dateTime,
} as const;

export const observationSchema = { type: 'object', required: ['id', 'missionId', 'nodeId', 'state', 'filter'], properties: observationProperties } as const;

export const alertSchema = {
  type: 'object',
  required: ['id', 'kind', 'message', 'createdAt'],
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['solve_failed', 'calibration_failed', 'job_failed', 'period_found', 'ttv_posterior'] },
    message: { type: 'string' },
    missionId: uuid,
    createdAt: dateTime,
  },
} as const;

// ---------------------------------------------------------------- helpers

const iso = (d: Date | string | null | undefined): string | null => (d === null || d === undefined ? null : new Date(d).toISOString());

function notYet(what: string, missionId: string): NetworkError {
  return new NetworkError('NOT_FOUND', `mission ${missionId} has no ${what} yet`);
}

async function requireMission(db: Kysely<Schema>, id: string): Promise<{ id: string; name: string; target_name: string | null; ra_deg: number | null; dec_deg: number | null }> {
  const m = await db.selectFrom('missions').select(['id', 'name', 'target_name', 'ra_deg', 'dec_deg']).where('id', '=', id).executeTakeFirst();
  if (!m) throw new NetworkError('NOT_FOUND', `no mission with id '${id}'`);
  return m;
}

function requireStorage(ctx: ServerContext): ObjectStoreLike {
  if (!ctx.storage) throw new NetworkError('NOT_FOUND', 'this server runs without object storage: no products to read');
  return ctx.storage;
}

async function productDoc<T>(ctx: ServerContext, missionId: string, kind: string, what: string): Promise<T> {
  await requireMission(ctx.database.db, missionId);
  const product = await getProduct(ctx.database.db, missionId, kind);
  if (!product) throw notYet(what, missionId);
  return readJsonProduct<T>(requireStorage(ctx), product);
}

function lightCurveOf(doc: LightcurveDocument): LightCurve {
  const p = doc.points;
  return {
    t: Float64Array.from(p, (x) => x.bjdTdb),
    y: Float64Array.from(p, (x) => x.mag),
    dy: Float64Array.from(p, (x) => x.err),
    band: p.map((x) => x.band),
    site: p.map((x) => x.site),
    kind: 'mag',
    target: doc.target,
    warnings: [],
  };
}

function fileName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80) || 'mission';
}

function calibrationJson(c: FrameCalibration) {
  return {
    exposureId: c.exposure_id,
    missionId: c.mission_id,
    nodeId: c.node_id,
    filter: c.filter,
    status: c.status,
    reason: c.reason,
    astrometry: c.astrometry,
    zp: c.zp,
    zpErr: c.zp_err,
    colourTerm: c.colour_term,
    colourTermErr: c.colour_term_err,
    colourTermSource: c.colour_term_source,
    scatter: c.scatter,
    matched: c.matched,
    used: c.used,
    fwhmPx: c.fwhm_px,
    apertureRadiusPx: c.aperture_radius_px,
    target: { mag: c.target_mag, err: c.target_mag_err, xPx: c.target_x_px, yPx: c.target_y_px, flags: c.target_flags },
    midUtc: iso(c.mid_utc),
    bjdTdb: c.bjd_tdb,
    updatedAt: iso(c.updated_at),
  };
}

async function loadCalibration(db: Kysely<Schema>, exposureId: string) {
  return db.selectFrom('frame_calibrations').selectAll().where('exposure_id', '=', exposureId).executeTakeFirst();
}

/** Planes of a stack file by name, for ?plane=. */
const PLANES = ['stack', 'weight', 'coverage', 'error'] as const;

async function sendPlane(reply: FastifyReply, storage: ObjectStoreLike, key: string, plane: string, name: string): Promise<FastifyReply> {
  const reader = await FitsReader.open(await readObject(storage, key));
  try {
    const wanted = plane.toUpperCase();
    const index = reader.hdus.findIndex((h, i) => (wanted === 'STACK' ? i === 0 : (h.header.getString('EXTNAME') ?? '').toUpperCase() === wanted));
    if (index < 0 || reader.hdus[index].type !== 'image') throw new NetworkError('NOT_FOUND', `product file has no '${plane}' plane`);
    const img = await reader.readImage(index);
    const header = reader.hdus[index].header.clone();
    const bytes = writeFits([imageHdu(img.data, img.axes, { header })]);
    return reply
      .type('application/fits')
      .header('content-disposition', `attachment; filename="${name}-${plane}.fits"`)
      .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } finally {
    await reader.close();
  }
}

// ---------------------------------------------------------------- routes

export async function resultsRoutes(app: FastifyInstance, ctx: ServerContext): Promise<void> {
  const db = ctx.database.db;

  app.get(
    '/api/v1/missions/:id/lightcurve',
    {
      schema: {
        summary: "A mission's light curve: JSON, CSV with BJD_TDB, or AAVSO Extended File Format",
        tags: ['results'],
        params: idParams('Mission'),
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            format: { type: 'string', enum: ['json', 'csv', 'aavso'], default: 'json' },
            observerCode: { type: 'string', minLength: 1, maxLength: 20, description: 'AAVSO observer code (required for format=aavso).' },
          },
        },
        response: { 200: lightcurveSchema, 400: errorRef, 404: errorRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const q = request.query as { format: 'json' | 'csv' | 'aavso'; observerCode?: string };
      if (q.format === 'aavso' && !q.observerCode) throw new NetworkError('BAD_REQUEST', 'querystring.observerCode: is required for format=aavso');
      const doc = await productDoc<LightcurveDocument>(ctx, id, 'lightcurve', 'light curve');
      if (q.format === 'json') {
        return { target: doc.target, bands: doc.bands, points: doc.points.map((p) => ({ bjdTdb: p.bjdTdb, mag: p.mag, err: p.err, band: p.band, site: p.site, nodeId: p.nodeId })) };
      }
      const lc = lightCurveOf(doc);
      const name = fileName(doc.target);
      if (q.format === 'csv') {
        const text = formatLightCurveCsv(lc, { comments: [`mission: ${id}`, 'site: site name; node offsets removed'] });
        return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).serializer((s: unknown) => s as string).send(text);
      }
      if (doc.raDeg === null || doc.decDeg === null) throw new NetworkError('BAD_REQUEST', `mission ${id} has no coordinates: AAVSO dates (JD UTC) cannot be computed from BJD_TDB`);
      let text: string;
      try {
        text = formatAavsoExtended(lc, { observerCode: q.observerCode!, target: { raDeg: doc.raDeg, decDeg: doc.decDeg }, starId: doc.target.slice(0, 30) }).text;
      } catch (err) {
        if (err instanceof LightCurveError) throw new NetworkError('BAD_REQUEST', `AAVSO export: ${err.message}`);
        throw err;
      }
      return reply.type('text/plain; charset=utf-8').header('content-disposition', `attachment; filename="${name}-aavso.txt"`).serializer((s: unknown) => s as string).send(text);
    },
  );

  app.get(
    '/api/v1/missions/:id/periodogram',
    { schema: { summary: "A mission's periodogram and best periods", tags: ['results'], params: idParams('Mission'), response: { 200: periodogramSchema, 404: errorRef } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const doc = await productDoc<PeriodogramDocument>(ctx, id, 'periodogram', 'periodogram');
      return { periodsDays: doc.periodsDays, power: doc.power, peaks: doc.peaks.map((p) => ({ periodDays: p.periodDays, power: p.power, fap: p.fap })), bestPeriodDays: doc.bestPeriodDays };
    },
  );

  app.get(
    '/api/v1/missions/:id/oc',
    { schema: { summary: 'O−C diagram of a transit mission, with the model band', tags: ['results'], params: idParams('Mission'), response: { 200: ocSchema, 404: errorRef } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const doc = await productDoc<OcDocument>(ctx, id, 'oc', 'O−C diagram');
      const points = doc.points.map((p) => ({ epoch: p.epoch, ocMin: p.ocMin, errMin: p.errMin, ...(p.site ? { site: p.site } : {}) }));
      let model = doc.model;
      const posterior = await getProduct(db, id, 'posterior');
      if (posterior) {
        const post = await readJsonProduct<PosteriorDocument>(requireStorage(ctx), posterior);
        const e = doc.ephemeris;
        const calc = (epoch: number) => e.t0BjdTdb + (epoch - e.referenceEpoch) * e.periodDays;
        const m = (t: number, epoch: number) => (t - calc(epoch)) * 1440;
        const band = post.predicted.filter((p) => p.planet === doc.planet);
        if (band.length > 0) {
          model = band.map((p) => ({
            epoch: p.epoch,
            medianMin: m(p.medianBjdTdb, p.epoch),
            lo68Min: m(p.lo68BjdTdb, p.epoch),
            hi68Min: m(p.hi68BjdTdb, p.epoch),
            lo95Min: m(p.lo95BjdTdb, p.epoch),
            hi95Min: m(p.hi95BjdTdb, p.epoch),
          }));
        }
      }
      return { planet: doc.planet, points, model };
    },
  );

  app.get(
    '/api/v1/missions/:id/posterior',
    { schema: { summary: 'TTV posterior summary and samples', tags: ['results'], params: idParams('Mission'), response: { 200: posteriorSchema, 404: errorRef } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const doc = await productDoc<PosteriorDocument>(ctx, id, 'posterior', 'TTV posterior');
      return {
        parameters: doc.parameters.map((p) => ({ name: p.name, unit: p.unit, median: p.median, lo68: p.lo68, hi68: p.hi68 })),
        samples: doc.samples.slice(0, 2000),
        ...(doc.logEvidence !== undefined ? { logEvidence: doc.logEvidence } : {}),
      };
    },
  );

  app.get(
    '/api/v1/missions/:id/stack',
    { schema: { summary: "A mission's deep stack", tags: ['results'], params: idParams('Mission'), response: { 200: stackSchema, 404: errorRef } } },
    async (request) => {
      const { id } = request.params as { id: string };
      await requireMission(db, id);
      const p = await getProduct(db, id, 'stack');
      if (!p) throw notYet('stack', id);
      const s = p.summary as { width?: number; height?: number; nCombined?: number };
      return {
        productId: p.id,
        width: s.width ?? 0,
        height: s.height ?? 0,
        depthFrames: s.nCombined ?? 0,
        url: `/api/v1/products/${p.id}/file`,
        coverageUrl: `/api/v1/products/${p.id}/file?plane=coverage`,
      };
    },
  );

  app.get(
    '/api/v1/products/:id/file',
    {
      schema: {
        summary: "A product's file: the stack FITS (or one plane of it), or a JSON product",
        tags: ['results'],
        params: idParams('Product'),
        querystring: { type: 'object', additionalProperties: false, properties: { plane: { type: 'string', enum: [...PLANES] } } },
        response: { 400: errorRef, 404: errorRef },
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      const { plane } = request.query as { plane?: (typeof PLANES)[number] };
      const p = await db.selectFrom('products').selectAll().where('id', '=', id).executeTakeFirst();
      if (!p) throw new NetworkError('NOT_FOUND', `no product with id '${id}'`);
      const storage = requireStorage(ctx);
      const isFits = p.object_key.endsWith('.fits');
      if (plane !== undefined) {
        if (!isFits) throw new NetworkError('BAD_REQUEST', `plane: the ${p.kind} product is not a FITS file`);
        return sendPlane(reply, storage, p.object_key, plane, `${p.kind}-${p.mission_id}`);
      }
      const head = await storage.head(p.object_key);
      if (!head) throw new NetworkError('NOT_FOUND', `the file of product ${id} is missing from object storage`);
      const stream = await storage.get(p.object_key);
      return reply
        .type(isFits ? 'application/fits' : 'application/json')
        .header('content-length', String(head.bytes))
        .header('content-disposition', `attachment; filename="${p.kind}-${p.mission_id}.${isFits ? 'fits' : 'json'}"`)
        .send(stream);
    },
  );

  app.get(
    '/api/v1/exposures/:id/calibration',
    { schema: { summary: 'Plate solution and photometric calibration of one frame', tags: ['results'], params: idParams('Exposure'), response: { 200: calibrationSchema, 404: errorRef } } },
    async (request) => {
      const { id } = request.params as { id: string };
      const c = await loadCalibration(db, id);
      if (!c) {
        const e = await db.selectFrom('exposures').select('id').where('id', '=', id).executeTakeFirst();
        throw new NetworkError('NOT_FOUND', e ? `exposure ${id} has not been calibrated yet` : `no exposure with id '${id}'`);
      }
      return calibrationJson(c);
    },
  );

  const observationRow = () =>
    db
      .selectFrom('exposures as e')
      .leftJoin('frame_calibrations as c', 'c.exposure_id', 'e.id')
      .select([
        'e.id',
        'e.mission_id',
        'e.node_id',
        'e.task_id',
        'e.state',
        'e.pipeline_state',
        'e.rejection_reason',
        'e.solve_status',
        'e.solve_reason',
        'e.filter',
        'e.started_at',
        'e.exposure_s',
        'e.mid_utc',
        'e.file_name',
        'e.object_key',
        'e.created_at',
        'c.status as cal_status',
        'c.zp as cal_zp',
        'c.target_mag as cal_mag',
        'c.target_mag_err as cal_mag_err',
        'c.bjd_tdb as cal_bjd',
      ]);
  type ObservationRow = Awaited<ReturnType<ReturnType<typeof observationRow>['executeTakeFirstOrThrow']>>;
  const observationJson = (r: ObservationRow) => ({
    id: r.id,
    missionId: r.mission_id,
    nodeId: r.node_id,
    taskId: r.task_id,
    state: r.state,
    pipelineState: r.pipeline_state,
    rejectionReason: r.rejection_reason,
    solveStatus: r.solve_status === 'failed' ? 'solve_failed' : r.solve_status,
    solveReason: r.solve_reason,
    filter: r.filter,
    startedAt: iso(r.started_at),
    exposureS: r.exposure_s,
    midUtc: iso(r.mid_utc),
    fileName: r.file_name,
    hasFile: r.object_key !== null,
    calibration: r.cal_status === null ? null : { status: r.cal_status, zp: r.cal_zp, targetMag: r.cal_mag, targetMagErr: r.cal_mag_err, bjdTdb: r.cal_bjd },
    createdAt: iso(r.created_at),
  });

  app.get(
    '/api/v1/observations',
    {
      schema: {
        summary: 'Observations (frames): state, solve status, filter, node, mission; newest first',
        tags: ['results'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            missionId: uuid,
            nodeId: uuid,
            state: { type: 'string', enum: ['RECEIVED', 'ACCEPTED', 'REJECTED'] },
            solveStatus: { type: 'string', enum: ['header', 'solved', 'solve_failed'] },
            filter: { type: 'string', maxLength: 32 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            offset: { type: 'integer', minimum: 0, default: 0 },
          },
        },
        response: {
          200: { type: 'object', required: ['observations', 'total', 'limit', 'offset'], properties: { observations: { type: 'array', items: observationSchema }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } } },
          400: errorRef,
        },
      },
    },
    async (request) => {
      const q = request.query as { missionId?: string; nodeId?: string; state?: 'RECEIVED' | 'ACCEPTED' | 'REJECTED'; solveStatus?: string; filter?: string; limit: number; offset: number };
      const solve = q.solveStatus === 'solve_failed' ? 'failed' : q.solveStatus;
      let rows = observationRow();
      let count = db.selectFrom('exposures as e').select((eb) => eb.fn.countAll<number>().as('n'));
      if (q.missionId) [rows, count] = [rows.where('e.mission_id', '=', q.missionId), count.where('e.mission_id', '=', q.missionId)];
      if (q.nodeId) [rows, count] = [rows.where('e.node_id', '=', q.nodeId), count.where('e.node_id', '=', q.nodeId)];
      if (q.state) [rows, count] = [rows.where('e.state', '=', q.state), count.where('e.state', '=', q.state)];
      if (solve) [rows, count] = [rows.where('e.solve_status', '=', solve as 'header' | 'solved' | 'failed'), count.where('e.solve_status', '=', solve as 'header' | 'solved' | 'failed')];
      if (q.filter) [rows, count] = [rows.where('e.filter', '=', q.filter), count.where('e.filter', '=', q.filter)];
      const [list, total] = await Promise.all([rows.orderBy('e.started_at', 'desc').orderBy('e.id').limit(q.limit).offset(q.offset).execute(), count.executeTakeFirstOrThrow()]);
      return { observations: list.map(observationJson), total: Number(total.n), limit: q.limit, offset: q.offset };
    },
  );

  app.get(
    '/api/v1/observations/:id',
    {
      schema: {
        summary: 'One observation with its plate solution and calibration',
        tags: ['results'],
        params: idParams('Observation (exposure)'),
        response: {
          200: {
            type: 'object',
            properties: {
              ...observationProperties,
              header: { type: ['object', 'null'], additionalProperties: true, description: 'Header keywords kept by ingest.' },
              wcs: { type: ['object', 'null'], additionalProperties: true, description: 'The celestial WCS as FITS cards.' },
              solvedFileKey: { type: ['string', 'null'] },
              calibrationDetail: { anyOf: [{ type: 'null' }, calibrationSchema] },
            },
          },
          404: errorRef,
        },
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const r = await observationRow().where('e.id', '=', id).executeTakeFirst();
      if (!r) throw new NetworkError('NOT_FOUND', `no observation with id '${id}'`);
      const extra = await db.selectFrom('exposures').select(['header', 'wcs', 'solved_object_key']).where('id', '=', id).executeTakeFirstOrThrow();
      const c = await loadCalibration(db, id);
      return { ...observationJson(r), header: extra.header, wcs: extra.wcs, solvedFileKey: extra.solved_object_key, calibrationDetail: c ? calibrationJson(c) : null };
    },
  );

  app.get(
    '/api/v1/alerts',
    {
      schema: {
        summary: 'Alerts: frames that failed to solve or calibrate, dead-letter jobs, periods found, TTV posteriors; newest first',
        tags: ['results'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { missionId: uuid, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 }, maxFap: { type: 'number', exclusiveMinimum: 0, maximum: 1, default: 0.01, description: 'A period is an alert below this false-alarm probability.' } },
        },
        response: { 200: { type: 'array', items: alertSchema }, 400: errorRef },
      },
    },
    async (request) => {
      const q = request.query as { missionId?: string; limit: number; maxFap: number };
      return listAlerts(db, q);
    },
  );
}

export interface Alert {
  id: string;
  kind: 'solve_failed' | 'calibration_failed' | 'job_failed' | 'period_found' | 'ttv_posterior';
  message: string;
  missionId?: string;
  createdAt: string;
}

/** The alerts view: derived on read, newest first. */
export async function listAlerts(db: Kysely<Schema>, q: { missionId?: string; limit: number; maxFap: number }): Promise<Alert[]> {
  const out: Alert[] = [];
  let frames = db
    .selectFrom('frame_calibrations')
    .select(['exposure_id', 'mission_id', 'status', 'reason', 'updated_at'])
    .where('status', 'in', ['solve_failed', 'failed'])
    .orderBy('updated_at', 'desc')
    .limit(q.limit);
  if (q.missionId) frames = frames.where('mission_id', '=', q.missionId);
  for (const f of await frames.execute()) {
    const kind = f.status === 'solve_failed' ? 'solve_failed' : 'calibration_failed';
    out.push({ id: `${kind}:${f.exposure_id}`, kind, message: `frame ${f.exposure_id}: ${f.reason ?? f.status}`, missionId: f.mission_id, createdAt: iso(f.updated_at)! });
  }
  const jobs = await db.selectFrom('pipeline_jobs').select(['id', 'stage', 'input', 'error', 'updated_at']).where('state', '=', 'failed').orderBy('updated_at', 'desc').limit(q.limit).execute();
  const exposureIds = jobs.map((j) => j.input.exposureId).filter((v): v is string => typeof v === 'string');
  const missionOfExposure = new Map(
    exposureIds.length > 0 ? (await db.selectFrom('exposures').select(['id', 'mission_id']).where('id', 'in', exposureIds).execute()).map((e) => [e.id, e.mission_id]) : [],
  );
  for (const j of jobs) {
    const missionId = typeof j.input.missionId === 'string' ? j.input.missionId : typeof j.input.exposureId === 'string' ? missionOfExposure.get(j.input.exposureId) : undefined;
    if (q.missionId && missionId !== q.missionId) continue;
    out.push({ id: `job_failed:${j.id}`, kind: 'job_failed', message: `${j.stage} job failed after its retries: ${(j.error ?? 'no error recorded').slice(0, 500)}`, ...(missionId ? { missionId } : {}), createdAt: iso(j.updated_at)! });
  }
  let products = db.selectFrom('products').select(['id', 'mission_id', 'kind', 'summary', 'updated_at']).where('kind', 'in', ['periodogram', 'posterior']).orderBy('updated_at', 'desc').limit(q.limit);
  if (q.missionId) products = products.where('mission_id', '=', q.missionId);
  for (const p of await products.execute()) {
    const s = p.summary as { bestPeriodDays?: unknown; bestFap?: unknown; parameters?: unknown };
    if (p.kind === 'periodogram') {
      if (typeof s.bestPeriodDays === 'number' && typeof s.bestFap === 'number' && s.bestFap < q.maxFap) {
        out.push({ id: `period_found:${p.id}`, kind: 'period_found', message: `period ${s.bestPeriodDays.toFixed(6)} d found (FAP ${s.bestFap.toExponential(1)})`, missionId: p.mission_id, createdAt: iso(p.updated_at)! });
      }
    } else {
      const n = Array.isArray(s.parameters) ? s.parameters.length : 0;
      out.push({ id: `ttv_posterior:${p.id}`, kind: 'ttv_posterior', message: `TTV posterior of ${n} parameter(s) ready`, missionId: p.mission_id, createdAt: iso(p.updated_at)! });
    }
  }
  out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? -1 : 1));
  return out.slice(0, q.limit);
}
