/**
 * Ingest stage (queue 'ingest'), for an exposure row written by the upload API:
 *  1. read the frame from object storage, decode it, extract its metadata (metadata.ts);
 *  2. judge it against the mission (validate.ts);
 *  3. in ONE transaction: store the metadata, credit the frame through the mission rules
 *     (network/missions creditFrame: ACCEPTED credits exposure, REJECTED keeps the reason;
 *     the frame that completes the mission enqueues the 'stack' job in that same
 *     transaction), and enqueue 'image' (solve + calibrate) for an accepted frame.
 *
 * Idempotent: the transaction first locks the mission and the exposure and does nothing
 * when the exposure was already ingested, so a re-run after a crash (before or after the
 * commit) ends in the same state with the same jobs queued once.
 */
import type { Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { creditFrame, type CreditResult } from '../../network/missions/credit.js';
import type { MissionInfo } from '../../network/missions/view.js';
import { PipelineError } from '../errors.js';
import { readObject } from '../objects.js';
import type { StageContext, StageHandler } from '../stages.js';
import { readFrame } from './frame.js';
import { frameMetadata, type FrameMetadata } from './metadata.js';
import { judgeFrame, sameFilter, type JudgeOptions } from './validate.js';

export interface IngestOptions extends JudgeOptions {
  /** Largest object ingest will load (default 2 GiB − 1). */
  maxBytes?: number;
}

export interface IngestOutcome {
  exposureId: string;
  /** False when the exposure had been ingested already (nothing changed). */
  changed: boolean;
  state: 'ACCEPTED' | 'REJECTED' | 'RECEIVED';
  reasons: string[];
  completedMission: boolean;
}

export function ingestStage(opts: IngestOptions = {}): StageHandler<'ingest'> {
  return async (input, ctx) => {
    await runIngest(input.exposureId, ctx, opts);
  };
}

export async function runIngest(exposureId: string, ctx: StageContext, opts: IngestOptions = {}): Promise<IngestOutcome> {
  const db = ctx.database.db;
  const exposure = await db.selectFrom('exposures').selectAll().where('id', '=', exposureId).executeTakeFirst();
  if (!exposure) throw new PipelineError('NOT_FOUND', `exposure ${exposureId} does not exist`);
  if (exposure.pipeline_state !== 'received') {
    return { exposureId, changed: false, state: exposure.state, reasons: [], completedMission: false };
  }
  if (exposure.object_key === null) throw new PipelineError('BAD_REQUEST', `exposure ${exposureId} has no stored FITS file to ingest`);
  const mission = await db.selectFrom('missions').selectAll().where('id', '=', exposure.mission_id).executeTakeFirstOrThrow();

  await ctx.progress(0.1, 'reading the frame');
  const bytes = await readObject(ctx.storage, exposure.object_key, opts.maxBytes);
  let meta: FrameMetadata | undefined;
  let reasons: string[];
  let filter = exposure.filter;
  try {
    const frame = await readFrame(bytes);
    await ctx.progress(0.5, 'checking the frame');
    meta = frameMetadata(frame);
    const verdict = judgeFrame(
      meta,
      frame.data,
      { filter: mission.filter, raDeg: mission.ra_deg, decDeg: mission.dec_deg, windowStart: mission.window_start, windowEnd: mission.window_end },
      opts,
    );
    reasons = verdict.reasons;
    // Record the mission's spelling of an equivalent filter name, so the credit rules agree.
    filter = sameFilter(verdict.filter, mission.filter) ? mission.filter : verdict.filter;
  } catch (err) {
    // The upload API checked the file; one that no longer decodes (storage damage) is rejected, not retried forever.
    if (!(err instanceof PipelineError)) throw err;
    reasons = [`the stored FITS file does not decode: ${err.message}`];
  }
  const accepted = reasons.length === 0;

  await ctx.progress(0.8, 'recording');
  const now = ctx.clock.now();
  const outcome = await db.transaction().execute(async (trx) => {
    // Lock order as the credit rules: mission, then exposure.
    await trx.selectFrom('missions').select('id').where('id', '=', exposure.mission_id).forUpdate().executeTakeFirst();
    const current = await trx.selectFrom('exposures').select(['pipeline_state']).where('id', '=', exposureId).forUpdate().executeTakeFirst();
    if (!current || current.pipeline_state !== 'received') return undefined;
    await trx
      .updateTable('exposures')
      .set({
        filter,
        ...(meta?.exposureS !== undefined && meta.exposureS > 0 ? { exposure_s: meta.exposureS } : {}),
        ...(meta?.startUtc !== undefined ? { started_at: meta.startUtc } : {}),
        mid_utc: meta?.midUtc ?? null,
        ra_deg: meta?.raDeg ?? null,
        dec_deg: meta?.decDeg ?? null,
        pointing_source: meta?.pointingSource ?? null,
        has_wcs: meta?.hasWcs ?? false,
        width: meta?.width ?? null,
        height: meta?.height ?? null,
        header: JSON.stringify(headerRecord(meta)),
        pipeline_state: accepted ? 'ingested' : 'rejected',
        ingested_at: now,
      })
      .where('id', '=', exposureId)
      .execute();
    const credit: CreditResult = await creditFrame(
      trx,
      {
        missionId: exposure.mission_id,
        nodeId: exposure.node_id,
        taskId: exposure.task_id,
        exposureId,
        accepted,
        rejectionReason: accepted ? null : reasons.join('; ').slice(0, 500),
      },
      now,
      { onComplete: (t: Transaction<Schema>, m: MissionInfo) => ctx.enqueue(t, 'stack', { missionId: m.id }).then(() => undefined) },
    );
    if (credit.exposureState === 'ACCEPTED') await ctx.enqueue(trx, 'image', { exposureId });
    else if (accepted) {
      // The credit rules rejected what ingest accepted; keep the two views in step.
      await trx.updateTable('exposures').set({ pipeline_state: 'rejected' }).where('id', '=', exposureId).execute();
    }
    return credit;
  });
  if (!outcome) return { exposureId, changed: false, state: exposure.state, reasons: [], completedMission: false };
  const state = outcome.exposureState;
  await ctx.progress(1, state === 'ACCEPTED' ? 'accepted' : `rejected: ${reasons.join('; ')}`);
  return { exposureId, changed: true, state, reasons, completedMission: outcome.completed };
}

/** What of the metadata goes into exposures.header (JSON). */
function headerRecord(meta: FrameMetadata | undefined): Record<string, unknown> {
  if (!meta) return {};
  return {
    keywords: meta.summary,
    optics: meta.optics,
    ...(meta.pixelScaleArcsec !== undefined ? { pixelScaleArcsec: meta.pixelScaleArcsec } : {}),
    ...(meta.midIsoUtc !== undefined ? { midIsoUtc: meta.midIsoUtc, timeSource: meta.timeSource } : {}),
    ...(meta.problems.length > 0 ? { problems: meta.problems } : {}),
  };
}
