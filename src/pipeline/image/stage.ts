/**
 * Image stage (queue 'image'), for an accepted frame:
 *  1. read the frame from object storage, estimate the background, detect sources;
 *  2. WCS: the header's when the catalog confirms it, else a hinted plate solution
 *     (astrometry.ts) — the hint from the header pointing (or the mission), the scale
 *     from the header (or the node's optics);
 *  3. calibrate (photometry.ts): ensemble zero point (+ colour term via the instrument
 *     registry, registry.ts) and the mission target's magnitude;
 *  4. the mid-exposure time as BJD_TDB for the target at the node's site;
 *  5. in ONE transaction: the frame_calibrations row (upsert by exposure), the exposure's
 *     solve status and WCS, the colour-term record, and the 'lightcurve' job (whenever the
 *     light curve's inputs change: a new target measurement, or a re-run that drops one).
 *
 * A frame that cannot be used "fails well": no solution → status 'solve_failed', exposure
 * solve_status 'failed' with the reason; an unreadable file, no catalog, too few
 * comparison stars → status 'failed' with the reason. The job then completes — a bad frame
 * is recorded, not retried. Infrastructure faults (storage, database, a missing catalog
 * file) throw and are retried by the runner.
 *
 * Idempotent: the same frame gives the same rows (detection and fits are deterministic);
 * the solved copy lives at a fixed key per exposure; the 'lightcurve' job key is
 * debounced per mission (`lightcurveDebounceS`), so a burst of frames queues one light
 * curve update that starts after the burst.
 */
import type { Transaction } from 'kysely';
import type { Exposure, FrameAstrometry, FrameCalibrationStatus, Schema, SolveStatus } from '../../platform/db/schema.js';
import { solveConeRadiusDeg } from '../../science/astrometry/solve.js';
import { estimateBackground } from '../../science/image/background.js';
import { detectSources, type DetectedSource } from '../../science/image/detect.js';
import type { InstrumentKey } from '../../science/photometry/registry.js';
import { barycentricCorrection } from '../../science/time/barycentric.js';
import { J2000_JD, isoToJd, jdValue } from '../../science/time/julian.js';
import { pixToSky } from '../../science/wcs/transform.js';
import { wcsFromHeader, type Wcs } from '../../science/wcs/wcs.js';
import { CATALOG_ENV, resolveCatalog, type ReferenceCatalog } from '../catalog.js';
import { PipelineError } from '../errors.js';
import { frameKeywords, readFrame, type FrameImage } from '../ingest/frame.js';
import { readObject } from '../objects.js';
import type { StageContext, StageHandler } from '../stages.js';
import { frameWcs, type AstrometryHint, type AstrometryOptions } from './astrometry.js';
import { measureFrame, type FramePhotometry, type PhotometryOptions } from './photometry.js';
import { loadInstrumentRegistry, recordInstrumentColourTerm } from './registry.js';
import { wcsCards, withSolvedHeader } from './wcs-store.js';

export interface ImageOptions extends AstrometryOptions, PhotometryOptions {
  /** Reference stars: a catalog, a `.oacat` path, or (default) the file named by OPENASTRO_CATALOG. */
  catalog?: ReferenceCatalog | string;
  /** Environment read for OPENASTRO_CATALOG (default process.env). */
  env?: Record<string, string | undefined>;
  /** Largest frame loaded (default 2 GiB − 1). */
  maxBytes?: number;
  /**
   * Seconds over which calibrated frames of a mission share one 'lightcurve' job
   * (default 30); 0 queues one per frame, at once.
   */
  lightcurveDebounceS?: number;
  /** Detection threshold in background σ (default 3). */
  detectSigma?: number;
  scratchDir?: string;
}

export type ImageStatus = FrameCalibrationStatus | 'skipped';

export interface ImageOutcome {
  exposureId: string;
  status: ImageStatus;
  reason?: string;
  astrometry?: FrameAstrometry;
  zp?: number;
  zpErr?: number;
  targetMag?: number;
  targetMagErr?: number;
  bjdTdb?: number;
}

/** Where the solved copy of a frame is kept. */
export const solvedFrameKey = (exposureId: string): string => `frames/solved/${exposureId}.fits`;

export function imageStage(opts: ImageOptions = {}): StageHandler<'image'> {
  const catalog = resolveCatalog(opts.catalog, opts.env);
  return async (input, ctx) => {
    await runImage(input.exposureId, ctx, { ...opts, catalog });
  };
}

interface FrameContext {
  exposure: Exposure;
  mission: { id: string; ra_deg: number | null; dec_deg: number | null };
  node: { id: string; name: string; site_id: string; gain_e_per_adu: number | null; read_noise_e: number | null; pixel_size_um: number; focal_length_mm: number };
  site: { id: string; name: string; latitude_deg: number; longitude_deg: number; elevation_m: number } | undefined;
}

interface Recorded {
  status: FrameCalibrationStatus;
  reason?: string;
  astrometry?: FrameAstrometry;
  solveStatus?: SolveStatus;
  solveReason?: string | null;
  wcs?: Wcs;
  solvedKey?: string | null;
  photometry?: FramePhotometry;
  instrument?: InstrumentKey;
  midUtc?: Date;
  bjdTdb?: number;
  details?: Record<string, unknown>;
}

export async function runImage(exposureId: string, ctx: StageContext, opts: ImageOptions = {}): Promise<ImageOutcome> {
  const db = ctx.database.db;
  const exposure = await db.selectFrom('exposures').selectAll().where('id', '=', exposureId).executeTakeFirst();
  if (!exposure) {
    // Deleted with its mission after the job was queued: nothing to do.
    ctx.log(`exposure ${exposureId} no longer exists; nothing to calibrate`);
    return { exposureId, status: 'skipped', reason: 'the exposure no longer exists' };
  }
  if (exposure.state !== 'ACCEPTED' || exposure.object_key === null) {
    const reason = exposure.state !== 'ACCEPTED' ? `the exposure is ${exposure.state}, not ACCEPTED` : 'the exposure has no stored FITS file';
    ctx.log(`exposure ${exposureId}: ${reason}; not calibrated`);
    return { exposureId, status: 'skipped', reason };
  }
  const mission = await db.selectFrom('missions').select(['id', 'ra_deg', 'dec_deg']).where('id', '=', exposure.mission_id).executeTakeFirstOrThrow();
  const node = await db
    .selectFrom('nodes')
    .select(['id', 'name', 'site_id', 'gain_e_per_adu', 'read_noise_e', 'pixel_size_um', 'focal_length_mm'])
    .where('id', '=', exposure.node_id)
    .executeTakeFirstOrThrow();
  const site = await db.selectFrom('sites').select(['id', 'name', 'latitude_deg', 'longitude_deg', 'elevation_m']).where('id', '=', node.site_id).executeTakeFirst();
  const fc: FrameContext = { exposure, mission, node, site };
  const catalog = typeof opts.catalog === 'string' || opts.catalog === undefined ? resolveCatalog(opts.catalog, opts.env) : opts.catalog;

  await ctx.progress(0.05, 'reading the frame');
  const bytes = await readObject(ctx.storage, exposure.object_key, opts.maxBytes);
  let frame: FrameImage;
  try {
    frame = await readFrame(bytes);
  } catch (err) {
    if (!(err instanceof PipelineError)) throw err;
    return record(ctx, fc, { status: 'failed', reason: `the stored FITS file does not decode: ${err.message}` }, opts);
  }
  const data = frame.data instanceof Float32Array ? frame.data : Float32Array.from(frame.data as ArrayLike<number | bigint>, Number);
  const { width, height } = frame;
  const kw = frameKeywords(frame);

  await ctx.progress(0.15, 'detecting sources');
  const bg = estimateBackground(data, width, height);
  const floor = bg.mesh.globalRms > 0 ? bg.mesh.globalRms : 1e-30;
  for (let i = 0; i < bg.rms.length; i++) if (!(bg.rms[i] > 0)) bg.rms[i] = floor;
  const saturation = numberKeyword(kw.get('SATURATE')) ?? (frame.header.getInt('BITPIX') === 16 || exposureBitpix16(frame) ? 0.97 * 65535 : undefined);
  const camera = {
    gainEPerAdu: numberKeyword(kw.get('EGAIN')) ?? numberKeyword(kw.get('GAIN')) ?? node.gain_e_per_adu ?? undefined,
    readNoiseE: numberKeyword(kw.get('RDNOISE')) ?? node.read_noise_e ?? undefined,
  };
  const sources: DetectedSource[] = detectSources({ data, width, height }, bg.level, bg.rms, {
    thresholdSigma: opts.detectSigma ?? 3,
    minAreaPx: 5,
    ...(saturation !== undefined ? { saturationLevel: saturation } : {}),
  }).sources;

  const midUtc = midExposure(exposure);
  const epochYr = midUtc ? 2000 + (jdValue(isoToJd(midUtc.iso)) - J2000_JD) / 365.25 : 2000;
  if (!catalog) {
    return record(ctx, fc, { status: 'failed', reason: `no reference catalog configured (set ${CATALOG_ENV} to an .oacat file, or give the image stage a catalog)`, midUtc: midUtc?.date }, opts);
  }

  // WCS: the header's, checked, else solved.
  let headerWcs: Wcs | undefined;
  try {
    headerWcs = wcsFromHeader(frame.header);
  } catch {
    headerWcs = undefined; // a broken WCS is no WCS: solve
  }
  const hint = pointingHint(fc, headerWcs, width, height);
  const hintRadiusDeg = opts.hintRadiusDeg ?? 0.25;
  const scaleHigh = (hint?.scaleArcsecPerPx ?? 10) * (1 + (opts.scaleTolerance ?? 0.1));
  const centre = hint ?? (headerWcs ? centreOf(headerWcs, width, height) : undefined);
  await ctx.progress(0.3, headerWcs ? 'checking the header WCS' : 'plate solving');
  const coneDeg = solveConeRadiusDeg({ imageWidth: width, imageHeight: height, hint: { raDeg: 0, decDeg: 0, radiusDeg: hintRadiusDeg }, scaleHighArcsecPerPx: scaleHigh });
  const stars = centre ? await catalog.cone(centre.raDeg, centre.decDeg, coneDeg, { epochYr }) : undefined;
  if (!stars) {
    return record(ctx, fc, { status: 'solve_failed', solveStatus: 'failed', reason: 'solve_failed: no pointing hint (no RA/DEC or WCS in the header, no mission coordinates)', midUtc: midUtc?.date }, opts);
  }
  const astro = frameWcs({ width, height, sources, headerWcs, hint, stars, epochYr }, opts);
  if (!astro.ok) {
    return record(ctx, fc, { status: 'solve_failed', solveStatus: 'failed', reason: astro.reason, midUtc: midUtc?.date, details: astro.note ? { note: astro.note } : {} }, opts);
  }
  const wcs = astro.wcs;
  const solveStatus: SolveStatus = astro.summary.source;

  await ctx.progress(0.6, 'photometry');
  const c = centreOf(wcs, width, height);
  const fieldDeg = ((astro.summary.scaleArcsecPerPx ?? scaleHigh) * Math.hypot(width, height)) / 2 / 3600;
  const photStars = await catalog.cone(c.raDeg, c.decDeg, fieldDeg * 1.05, { epochYr });
  const target = mission.ra_deg !== null && mission.dec_deg !== null ? { raDeg: mission.ra_deg, decDeg: mission.dec_deg } : c;
  const instrument: InstrumentKey = {
    site: node.site_id,
    camera: instrumentName(node.id, kw.get('INSTRUME')),
    filter: exposure.filter,
    colourIndex: catalog.colourIndex || undefined,
  };
  const registry = photStars.colour ? await loadInstrumentRegistry(db, instrument) : undefined;
  const exposureS = exposure.exposure_s > 0 ? exposure.exposure_s : (numberKeyword(kw.get('EXPTIME')) ?? NaN);
  const base: Recorded = { status: 'failed', astrometry: astro.summary, solveStatus, solveReason: null, wcs, midUtc: midUtc?.date, details: astro.note ? { note: astro.note } : {} };
  if (!(exposureS > 0)) return record(ctx, fc, { ...base, reason: 'no exposure time (EXPTIME) for photometry' }, opts, bytes, frame.hdu);
  const phot = measureFrame({ data, width, height }, { wcs, sources, stars: photStars, target, exposureS, camera, registry, instrument: registry ? instrument : undefined }, opts);
  if (!phot.ok) return record(ctx, fc, { ...base, reason: phot.reason }, opts, bytes, frame.hdu);

  await ctx.progress(0.8, 'barycentric time');
  let bjdTdb: number | undefined;
  let timeProblem: string | undefined;
  if (!midUtc) timeProblem = 'no mid-exposure time';
  else if (!site) timeProblem = `the node's site ${node.site_id} does not exist`;
  else {
    bjdTdb = barycentricCorrection({
      jdUtc: isoToJd(midUtc.iso),
      site: { latDeg: site.latitude_deg, lonDeg: site.longitude_deg, heightM: site.elevation_m },
      target,
    }).bjdTdb;
  }
  const reason = [phot.value.target.problem, timeProblem].filter(Boolean).join('; ') || undefined;
  return record(
    ctx,
    fc,
    { ...base, status: 'calibrated', reason, photometry: phot.value, instrument: registry ? instrument : undefined, bjdTdb },
    opts,
    bytes,
    frame.hdu,
  );
}

/** Write the outcome; the solved copy first (outside the transaction: it is idempotent). */
async function record(ctx: StageContext, fc: FrameContext, r: Recorded, opts: ImageOptions, bytes?: Uint8Array, hdu?: number): Promise<ImageOutcome> {
  const { exposure } = fc;
  let solvedKey: string | null = null;
  if (r.wcs && r.solveStatus === 'solved' && bytes && hdu !== undefined) {
    await ctx.progress(0.9, 'storing the solved frame');
    const solved = await withSolvedHeader(
      bytes,
      hdu,
      r.wcs,
      { cards: [['SOLVED', true, 'OpenAstro plate solution']], history: `OpenAstro image stage: WCS solved, rms ${(r.astrometry?.rmsArcsec ?? NaN).toFixed(3)} arcsec` },
      opts.scratchDir,
    );
    solvedKey = solvedFrameKey(exposure.id);
    await ctx.storage.put(solvedKey, solved, { contentType: 'application/fits' });
  }
  const p = r.photometry;
  const cal = p?.calibration;
  const fin = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v : null);
  const now = ctx.clock.now();
  const details: Record<string, unknown> = { ...(r.details ?? {}) };
  if (cal) {
    details.colourTermReason = cal.reason;
    details.clipped = cal.clipped;
    details.reducedChi2 = fin(cal.reducedChi2);
    details.comparisons = p.comparisons.slice(0, 100).map((s) => ({ ...s, residual: fin(s.residual), instMag: fin(s.instMag), instMagErr: fin(s.instMagErr) }));
    details.target = { instMag: fin(p.target.instMag), instMagErr: fin(p.target.instMagErr) };
  }
  const targetMag = fin(p?.target.mag);
  const row = {
    mission_id: exposure.mission_id,
    node_id: exposure.node_id,
    filter: exposure.filter,
    status: r.status,
    reason: r.reason ?? null,
    astrometry: JSON.stringify(r.astrometry ?? {}),
    zp: fin(cal?.zp),
    zp_err: fin(cal?.zpErr),
    colour_term: fin(cal?.colourTerm),
    colour_term_err: fin(cal?.colourTermErr),
    colour_term_source: cal?.colourTermSource ?? null,
    scatter: fin(cal?.scatter),
    matched: cal?.matched ?? null,
    used: cal?.used ?? null,
    fwhm_px: fin(p?.fwhmPx),
    aperture_radius_px: fin(p?.apertureRadiusPx),
    target_mag: targetMag,
    target_mag_err: targetMag === null ? null : fin(p?.target.magErr),
    target_x_px: fin(p?.target.xPx),
    target_y_px: fin(p?.target.yPx),
    target_flags: p?.target.flags ?? null,
    mid_utc: r.midUtc ?? null,
    bjd_tdb: fin(r.bjdTdb),
    details: JSON.stringify(details),
    updated_at: now,
  };
  const debounceS = opts.lightcurveDebounceS ?? 30;
  const wantsLightcurve = r.status === 'calibrated' && row.target_mag !== null && row.bjd_tdb !== null;

  const done = await ctx.database.db.transaction().execute(async (trx: Transaction<Schema>) => {
    const current = await trx.selectFrom('exposures').select(['id', 'state']).where('id', '=', exposure.id).forUpdate().executeTakeFirst();
    if (!current) return false;
    // A re-run that drops a measurement the light curve holds must update it too.
    const previous = await trx.selectFrom('frame_calibrations').select(['status', 'target_mag', 'bjd_tdb']).where('exposure_id', '=', exposure.id).executeTakeFirst();
    const wasInLightcurve = previous !== undefined && previous.status === 'calibrated' && previous.target_mag !== null && previous.bjd_tdb !== null;
    await trx
      .insertInto('frame_calibrations')
      .values({ exposure_id: exposure.id, ...row, created_at: now })
      .onConflict((oc) => oc.column('exposure_id').doUpdateSet(row))
      .execute();
    await trx
      .updateTable('exposures')
      .set({
        ...(r.solveStatus !== undefined ? { solve_status: r.solveStatus, solve_reason: r.solveStatus === 'failed' ? (r.reason ?? null) : null } : {}),
        ...(r.wcs ? { wcs: JSON.stringify(wcsCards(r.wcs)) } : {}),
        solved_object_key: solvedKey,
        ...(r.status === 'calibrated' ? { pipeline_state: 'calibrated' as const, calibrated_at: now } : r.wcs ? { pipeline_state: 'solved' as const } : {}),
      })
      .where('id', '=', exposure.id)
      .execute();
    if (r.instrument && cal) await recordInstrumentColourTerm(trx, r.instrument, cal, exposure.id, r.midUtc);
    if (wantsLightcurve || wasInLightcurve) {
      if (debounceS > 0) {
        const t = now.getTime();
        const bucket = Math.floor(t / (debounceS * 1000));
        const startAfterS = Math.ceil(((bucket + 1) * debounceS * 1000 - t) / 1000) + 2;
        await ctx.enqueue(trx, 'lightcurve', { missionId: exposure.mission_id }, { dedupeKey: `lightcurve:${exposure.mission_id}:${bucket}`, startAfterS });
      } else {
        await ctx.enqueue(trx, 'lightcurve', { missionId: exposure.mission_id }, { dedupeKey: `lightcurve:${exposure.mission_id}:${exposure.id}:${now.getTime()}` });
      }
    }
    return true;
  });
  if (!done) {
    if (solvedKey) await ctx.storage.delete(solvedKey).catch(() => {});
    return { exposureId: exposure.id, status: 'skipped', reason: 'the exposure was deleted meanwhile' };
  }
  const summary = r.status === 'calibrated' ? `calibrated: zp ${row.zp?.toFixed(3)} ± ${row.zp_err?.toFixed(3)}, target ${row.target_mag?.toFixed(3) ?? '—'}` : `${r.status}: ${r.reason ?? ''}`;
  await ctx.progress(1, summary.slice(0, 200));
  if (r.status !== 'calibrated') ctx.log(`exposure ${exposure.id} ${summary}`);
  return {
    exposureId: exposure.id,
    status: r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.astrometry ? { astrometry: r.astrometry } : {}),
    ...(row.zp !== null ? { zp: row.zp, zpErr: row.zp_err ?? undefined } : {}),
    ...(row.target_mag !== null ? { targetMag: row.target_mag, targetMagErr: row.target_mag_err ?? undefined } : {}),
    ...(row.bjd_tdb !== null ? { bjdTdb: row.bjd_tdb } : {}),
  };
}

function numberKeyword(v: unknown): number | undefined {
  const x = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(x) && x > 0 ? x : undefined;
}

function exposureBitpix16(frame: FrameImage): boolean {
  return frame.data instanceof Uint16Array || frame.data instanceof Int16Array;
}

function instrumentName(nodeId: string, instrume: unknown): string {
  return typeof instrume === 'string' && instrume.trim() !== '' ? `${nodeId}/${instrume.trim()}` : nodeId;
}

function centreOf(wcs: Wcs, width: number, height: number): { raDeg: number; decDeg: number } {
  const [raDeg, decDeg] = pixToSky(wcs, (width - 1) / 2, (height - 1) / 2);
  return { raDeg, decDeg };
}

/** Mid-exposure UTC: ingest's microsecond ISO text, else its Date, else start + exposure/2. */
function midExposure(e: Exposure): { iso: string; date: Date } | undefined {
  const header = (e.header ?? {}) as { midIsoUtc?: unknown };
  if (typeof header.midIsoUtc === 'string' && header.midIsoUtc !== '') {
    const d = new Date(`${header.midIsoUtc.replace(/:60(\.\d+)?$/, ':59.999')}Z`);
    if (Number.isFinite(d.getTime())) return { iso: header.midIsoUtc, date: d };
  }
  const d = e.mid_utc ? new Date(e.mid_utc) : e.started_at ? new Date(new Date(e.started_at).getTime() + (e.exposure_s * 1000) / 2) : undefined;
  if (!d || !Number.isFinite(d.getTime())) return undefined;
  return { iso: d.toISOString().replace('Z', ''), date: d };
}

/**
 * Pointing and scale for the solver: position from ingest (header WCS, RA/DEC or
 * OBJCTRA/OBJCTDEC), else the mission target; scale from the header (WCS or
 * FOCALLEN/XPIXSZ, as ingest recorded it), else the node's optics.
 */
function pointingHint(fc: FrameContext, headerWcs: Wcs | undefined, width: number, height: number): AstrometryHint | undefined {
  const { exposure, mission, node } = fc;
  let pos: { raDeg: number; decDeg: number; from: string } | undefined;
  if (headerWcs) pos = { ...centreOf(headerWcs, width, height), from: 'header WCS' };
  else if (exposure.ra_deg !== null && exposure.dec_deg !== null) pos = { raDeg: exposure.ra_deg, decDeg: exposure.dec_deg, from: `header ${exposure.pointing_source ?? 'pointing'}` };
  else if (mission.ra_deg !== null && mission.dec_deg !== null) pos = { raDeg: mission.ra_deg, decDeg: mission.dec_deg, from: 'mission target' };
  if (!pos || !Number.isFinite(pos.raDeg) || !Number.isFinite(pos.decDeg)) return undefined;
  const header = (exposure.header ?? {}) as { pixelScaleArcsec?: unknown };
  const headerScale = typeof header.pixelScaleArcsec === 'number' && header.pixelScaleArcsec > 0 ? header.pixelScaleArcsec : undefined;
  const nodeScale = node.focal_length_mm > 0 && node.pixel_size_um > 0 ? (206.264806 * node.pixel_size_um) / node.focal_length_mm : undefined;
  return {
    ...pos,
    ...(headerScale !== undefined
      ? { scaleArcsecPerPx: headerScale, scaleFrom: 'header' }
      : nodeScale !== undefined
        ? { scaleArcsecPerPx: nodeScale, scaleFrom: 'node optics' }
        : {}),
  };
}
