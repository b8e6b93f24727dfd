/**
 * Edge processing of one raw frame before upload: calibrate (when the owner has master
 * bias/dark/flat), judge its quality (no stars → not uploaded, reported), measure the
 * mission target and comparison stars for the compact tier, name it by the convention,
 * and RICE-compress it. The raw frame, not the calibrated one, is what is uploaded: the
 * pipeline calibrates again with the network's own masters.
 */
import { createHash } from 'node:crypto';
import { applyCalibration, type CalibrationMasters, type FrameQuality } from '../../science/image/index.js';
import { wcsFromHeader } from '../../science/wcs/index.js';
import { AgentError } from '../errors.js';
import { compressFrame } from './compress.js';
import { readEdgeFrame } from './frame.js';
import { frameFileName } from './naming.js';
import { measureTargets, OFF_FRAME, type StarMeasurement, type StarRef, type TargetPhotometry } from './photometry.js';
import { assessFrame, type EdgeQualityOptions } from './quality.js';

export interface EdgeOptions extends EdgeQualityOptions {
  missionId: string;
  nodeId: string;
  masters?: CalibrationMasters;
  target?: StarRef;
  comparisons?: StarRef[];
  /** e⁻/ADU; default the header's EGAIN/GAIN. */
  gainEPerAdu?: number;
  readNoiseE?: number;
  apertureRadiusPx?: number;
}

/** The compact measurement (the first upload tier). */
export interface CompactMeasurement {
  schema: 'openastro.measurement/1';
  missionId: string;
  nodeId: string;
  fileName: string;
  dateObs: string;
  exposureS: number;
  filter?: string;
  frameType: string;
  calibrated: boolean;
  quality: { stars: number; fwhmPx: number | null; ellipticity: number | null; skyAdu: number | null; skyNoiseAdu: number | null };
  upload: boolean;
  reasons: string[];
  photometry?: {
    apertureRadiusPx: number | null;
    target: CompactStar;
    comparisons: CompactStar[];
    calibratedMag?: { mag: number | null; magErr: number | null; zeroPoint: number | null; used: number };
  };
  /** SHA-256 of the compressed file that follows (when it is uploaded). */
  frameSha256?: string;
  frameBytes?: number;
}

/** Numbers that could not be measured are null (JSON has no NaN). */
type CompactStar = { name?: string; x: number | null; y: number | null; flux: number | null; fluxErr: number | null; instMag: number | null; instMagErr: number | null; flags: number };

export interface EdgeResult {
  fileName: string;
  upload: boolean;
  reasons: string[];
  quality: FrameQuality;
  photometry?: TargetPhotometry;
  measurement: CompactMeasurement;
  /** The RICE-compressed frame, when it is to be uploaded. */
  compressed?: Uint8Array;
}

const round = (v: number, digits: number): number | null => (Number.isFinite(v) ? Number(v.toFixed(digits)) : null);

function compactStar(s: StarMeasurement): CompactStar {
  return {
    ...(s.name !== undefined ? { name: s.name } : {}),
    x: round(s.xPx, 2),
    y: round(s.yPx, 2),
    flux: round(s.flux, 1),
    fluxErr: round(s.fluxErr, 1),
    instMag: round(s.instMag, 4),
    instMagErr: round(s.instMagErr, 4),
    flags: s.flags,
  };
}

export async function processFrame(fits: Uint8Array, o: EdgeOptions): Promise<EdgeResult> {
  const frame = await readEdgeFrame(fits);
  const fileName = frameFileName({ missionId: o.missionId, nodeId: o.nodeId, dateObs: frame.dateObs });
  const masters = o.masters ?? {};
  const hasMasters = masters.bias !== undefined || masters.dark !== undefined || masters.flat !== undefined;
  let image = { data: frame.data, width: frame.width, height: frame.height };
  let mask: Uint8Array | undefined;
  if (hasMasters) {
    try {
      const cal = applyCalibration({ ...image, exposureS: frame.exposureS, name: fileName }, masters, { saturationAdu: o.saturationAdu });
      image = { data: cal.data, width: cal.width, height: cal.height };
      mask = cal.mask;
    } catch (e) {
      throw new AgentError('BAD_FRAME', `calibration failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  const decision = assessFrame(image, { ...o, mask: mask ?? o.mask, saturationAdu: hasMasters ? undefined : o.saturationAdu });
  const { quality } = decision;
  const reasons = [...decision.reasons];
  let upload = decision.upload;
  if (frame.frameType !== 'light') {
    upload = false;
    reasons.push(`${frame.frameType} frame: calibration frames are not uploaded as observations`);
  }

  let photometry: TargetPhotometry | undefined;
  if (o.target && quality.starCount > 0) {
    let wcs;
    try {
      wcs = wcsFromHeader(frame.header);
    } catch (e) {
      throw new AgentError('BAD_FRAME', `the frame's WCS is unusable: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    photometry = measureTargets(image, {
      target: o.target,
      comparisons: o.comparisons,
      wcs,
      fwhmPx: quality.fwhmPx,
      exposureS: frame.exposureS,
      gainEPerAdu: o.gainEPerAdu ?? frame.gainEPerAdu,
      readNoiseE: o.readNoiseE,
      apertureRadiusPx: o.apertureRadiusPx,
      mask,
    });
    if (photometry.target.flags & OFF_FRAME) reasons.push('target is outside the frame (pointing off?)');
  }

  const compressed = upload ? await compressFrame(fits) : undefined;
  const measurement: CompactMeasurement = {
    schema: 'openastro.measurement/1',
    missionId: o.missionId,
    nodeId: o.nodeId,
    fileName,
    dateObs: frame.dateObs,
    exposureS: frame.exposureS,
    ...(frame.filter !== undefined ? { filter: frame.filter } : {}),
    frameType: frame.frameType,
    calibrated: hasMasters,
    quality: {
      stars: quality.starCount,
      fwhmPx: round(quality.fwhmPx, 3),
      ellipticity: round(quality.ellipticity, 3),
      skyAdu: round(quality.skyLevel, 2),
      skyNoiseAdu: round(quality.skyNoise, 3),
    },
    upload,
    reasons,
    ...(photometry
      ? {
          photometry: {
            apertureRadiusPx: round(photometry.apertureRadiusPx, 2),
            target: compactStar(photometry.target),
            comparisons: photometry.comparisons.map(compactStar),
            ...(photometry.calibrated
              ? {
                  calibratedMag: {
                    mag: round(photometry.calibrated.mag, 4),
                    magErr: round(photometry.calibrated.magErr, 4),
                    zeroPoint: round(photometry.calibrated.zeroPoint, 4),
                    used: photometry.calibrated.used,
                  },
                }
              : {}),
          },
        }
      : {}),
    ...(compressed ? { frameSha256: createHash('sha256').update(compressed).digest('hex'), frameBytes: compressed.length } : {}),
  };
  return { fileName, upload, reasons, quality, ...(photometry ? { photometry } : {}), measurement, ...(compressed ? { compressed } : {}) };
}
