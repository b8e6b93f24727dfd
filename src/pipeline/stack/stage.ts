/**
 * Stack stage (queue 'stack'): on mission COMPLETE, co-add the mission's accepted frames.
 *
 * Frames are taken in a fixed order (start time, then id), staged locally, and co-added
 * onto the automatic reference grid (finest scale, north up, covering all frames) with
 * science/image/coadd: mesh background subtraction, inverse-variance weights, sigma
 * clipping. Frames without a celestial WCS are skipped with the reason (plate solving is
 * the 'image' stage's job). The product is one FITS file — primary = stack with the grid's
 * WCS, extensions WEIGHT (Σw), COVERAGE (frames per pixel), ERROR (1/√Σw) — stored under a
 * content-addressed key `products/{missionId}/stack-{sha256}.fits`, and one `products` row
 * per (mission, 'stack').
 *
 * Idempotent: the same frames give the same bytes (no wall-clock time is written), hence
 * the same key; the row is upserted; a previous stack with another key is deleted only
 * after the row points at the new one. A crash anywhere leaves either the old product or
 * the new one, plus at worst an orphan object that the retry overwrites.
 */
import { createHash } from 'node:crypto';
import { Header } from '../../science/fits/header.js';
import { imageHdu, writeFits } from '../../science/fits/writer.js';
import { coadd } from '../../science/image/coadd.js';
import { autoReferenceGrid } from '../../science/image/reference-grid.js';
import type { ReprojectMethod } from '../../science/image/reproject.js';
import type { Pool } from '../../science/parallel/pool.js';
import { pixelScaleArcsec } from '../../science/wcs/geometry.js';
import { pixToSky } from '../../science/wcs/transform.js';
import { wcsToHeader, type Wcs } from '../../science/wcs/wcs.js';
import { PipelineError } from '../errors.js';
import type { StageContext, StageHandler } from '../stages.js';
import { createWorkspace, stagedFrames, type StagedFrame } from './workspace.js';

export interface StackOptions {
  method?: ReprojectMethod;
  kappa?: number;
  tileSize?: number;
  /** Worker threads for projection and combination (science/parallel); results are identical. */
  pool?: Pool;
  /** Scratch folder parent (default the OS temp dir). */
  scratchDir?: string;
}

export interface StackSummary {
  status: 'stacked';
  frames: Array<{ exposureId: string; used: boolean; weight: number; scale: number; backgroundRms: number }>;
  skipped: Array<{ exposureId: string; reason: string }>;
  width: number;
  height: number;
  raDeg: number;
  decDeg: number;
  pixelScaleArcsec: number;
  nCombined: number;
  totalExposureS: number;
  filter: string;
  method: ReprojectMethod;
  kappa: number;
  bytes: number;
}

/** The stage handler. */
/**
 * The stored file a stack reads for an exposure, or null when it has no celestial WCS yet.
 * The pipeline's plate solution wins over the camera's header WCS: it is fitted to the
 * catalog, and a frame uploaded without any WCS has only that one.
 */
export function stackSourceKey(e: { object_key: string | null; has_wcs: boolean | null; solve_status: string | null; solved_object_key: string | null }): string | null {
  if (e.solve_status === 'solved' && e.solved_object_key) return e.solved_object_key;
  return e.has_wcs === true ? e.object_key : null;
}

export function stackStage(opts: StackOptions = {}): StageHandler<'stack'> {
  return async (input, ctx) => {
    await runStack(input.missionId, ctx, opts);
  };
}

export async function runStack(missionId: string, ctx: StageContext, opts: StackOptions = {}): Promise<StackSummary | undefined> {
  const db = ctx.database.db;
  const method = opts.method ?? 'bilinear';
  const kappa = opts.kappa ?? 3;
  const mission = await db.selectFrom('missions').select(['id', 'filter', 'state']).where('id', '=', missionId).executeTakeFirst();
  if (!mission) throw new PipelineError('NOT_FOUND', `mission ${missionId} does not exist`);
  const exposures = await db
    .selectFrom('exposures')
    .select(['id', 'object_key', 'has_wcs', 'exposure_s', 'solve_status', 'solved_object_key'])
    .where('mission_id', '=', missionId)
    .where('state', '=', 'ACCEPTED')
    .where('object_key', 'is not', null)
    .orderBy('started_at')
    .orderBy('id')
    .execute();

  const skipped: StackSummary['skipped'] = [];
  const workspace = await createWorkspace(ctx.storage, opts.scratchDir);
  try {
    const staged: StagedFrame[] = [];
    const exposureS = new Map<string, number>();
    for (const [i, e] of exposures.entries()) {
      await ctx.progress((0.25 * i) / Math.max(1, exposures.length), `staging frame ${i + 1}/${exposures.length}`);
      const key = stackSourceKey(e);
      if (key === null) {
        skipped.push({ exposureId: e.id, reason: 'no celestial WCS (not plate-solved yet)' });
        continue;
      }
      const s = await workspace.stage(e.id, key);
      if ('why' in s) skipped.push({ exposureId: e.id, reason: s.why });
      else if (!s.wcs) skipped.push({ exposureId: e.id, reason: 'no celestial WCS in the stored header' });
      else {
        staged.push(s);
        exposureS.set(e.id, e.exposure_s);
      }
    }
    if (staged.length === 0) {
      const why = exposures.length === 0 ? 'the mission has no accepted frames' : 'no accepted frame has a WCS';
      await ctx.progress(1, `nothing to stack: ${why}`);
      ctx.log(`nothing to stack for mission ${missionId}: ${why}`);
      return undefined;
    }

    const grid = autoReferenceGrid(staged.map((f) => ({ wcs: f.wcs as Wcs, width: f.width, height: f.height })));
    await ctx.progress(0.25, `co-adding ${staged.length} frames onto ${grid.width}×${grid.height}`);
    let lastReport = Promise.resolve();
    const result = await coadd(stagedFrames(staged), grid, {
      method,
      kappa,
      tileSize: opts.tileSize,
      pool: opts.pool,
      onWarning: (m, frame) => ctx.log(`frame ${staged[frame]?.name ?? frame}: ${m}`),
      onProgress: (done, total, stage) => {
        // Chain the writes so they land in order; the co-addition does not wait for them.
        // Pass 1 (background, per frame) is quick; pass 2 (combine, per tile) is most of the work.
        const [from, span] = stage === 'background' ? [0.25, 0.15] : [0.4, 0.55];
        const fraction = from + (span * done) / Math.max(1, total);
        lastReport = lastReport.then(() => ctx.progress(fraction, `${stage} ${done}/${total}`)).catch(() => {});
      },
    });
    await lastReport;

    const used = result.frames.filter((f) => f.used);
    const totalExposureS = used.reduce((s, f) => s + (exposureS.get(f.name) ?? 0), 0);
    await ctx.progress(0.95, 'writing the stack');
    const bytes = stackFits(result, grid.wcs, { missionId, filter: mission.filter, nCombined: used.length, totalExposureS, kappa, method });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `products/${missionId}/stack-${sha256}.fits`;
    await ctx.progress(0.97, 'storing the stack');
    await ctx.storage.put(key, bytes, { contentType: 'application/fits' });

    const centre = pixToSky(grid.wcs, (grid.width - 1) / 2, (grid.height - 1) / 2);
    const summary: StackSummary = {
      status: 'stacked',
      frames: result.frames.map((f) => ({ exposureId: f.name, used: f.used, weight: f.weight, scale: f.scale, backgroundRms: f.backgroundRms })),
      skipped,
      width: grid.width,
      height: grid.height,
      raDeg: centre[0],
      decDeg: centre[1],
      pixelScaleArcsec: pixelScaleArcsec(grid.wcs, [(grid.width - 1) / 2, (grid.height - 1) / 2]),
      nCombined: used.length,
      totalExposureS,
      filter: mission.filter,
      method,
      kappa,
      bytes: bytes.length,
    };
    const now = ctx.clock.now();
    const previous = await db.transaction().execute(async (trx) => {
      const old = await trx
        .selectFrom('products')
        .select('object_key')
        .where('mission_id', '=', missionId)
        .where('kind', '=', 'stack')
        .forUpdate()
        .executeTakeFirst();
      await trx
        .insertInto('products')
        .values({ mission_id: missionId, kind: 'stack', object_key: key, sha256, summary: JSON.stringify(summary), created_at: now, updated_at: now })
        .onConflict((oc) =>
          oc.columns(['mission_id', 'kind']).doUpdateSet({
            object_key: key,
            sha256,
            summary: JSON.stringify(summary),
            updated_at: now,
          }),
        )
        .execute();
      return old?.object_key;
    });
    if (previous !== undefined && previous !== key) await ctx.storage.delete(previous).catch(() => {});
    await ctx.progress(1, `stacked ${used.length} frames (${skipped.length} skipped)`);
    return summary;
  } finally {
    await workspace.dispose();
  }
}

/** The stack as FITS bytes: primary stack + WEIGHT, COVERAGE, ERROR, each with the grid WCS. */
function stackFits(
  result: { stack: Float32Array; weight: Float32Array; coverage: Uint16Array; error: Float32Array; grid: { width: number; height: number } },
  wcs: Wcs,
  meta: { missionId: string; filter: string; nCombined: number; totalExposureS: number; kappa: number; method: string },
): Uint8Array {
  const header = new Header([]);
  wcsToHeader(wcs, header);
  header.set('BUNIT', 'ADU', 'flux per reference pixel, zero point of the first frame');
  header.set('MISSION', meta.missionId, 'OpenAstro mission id');
  header.set('FILTER', meta.filter);
  header.set('NCOMBINE', meta.nCombined, 'frames co-added');
  header.set('EXPTIME', meta.totalExposureS, '[s] summed exposure of the frames used');
  header.set('COMBINE', `sigma-clipped weighted mean, kappa=${meta.kappa}`);
  header.set('RESAMPLE', meta.method, 'reprojection method');
  header.set('ORIGIN', 'OpenAstro', 'pipeline stack stage');
  const ext = (name: string): Header => {
    const h = new Header([]);
    wcsToHeader(wcs, h);
    h.set('EXTNAME', name);
    return h;
  };
  const axes = [result.grid.width, result.grid.height];
  return writeFits(
    [
      imageHdu(result.stack, axes, { header }),
      imageHdu(result.weight, axes, { header: ext('WEIGHT'), primary: false }),
      imageHdu(Float32Array.from(result.coverage), axes, { header: ext('COVERAGE'), primary: false }),
      imageHdu(result.error, axes, { header: ext('ERROR'), primary: false }),
    ],
    { checksum: true },
  );
}
