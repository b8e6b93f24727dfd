/** Ingest: upload tiers (measurements, resumable FITS), frame metadata and checks, the ingest stage. */
export { parseFrameFileName, formatFrameFileName, frameKey, type FrameFileName } from './file-name.js';
export { readFrame, frameKeywords, type FrameImage } from './frame.js';
export { frameMetadata, fieldRadiusDeg, type FrameMetadata, type FrameOptics, type PointingSource } from './metadata.js';
export { parseRaDeg, parseDecDeg } from './pointing.js';
export { judgeFrame, sameFilter, pixelSanity, type FrameVerdict, type JudgeOptions, type MissionTerms } from './validate.js';
export { checkAssignment } from './assignment.js';
export {
  createUpload,
  uploadStatus,
  appendChunk,
  finishUpload,
  cancelUpload,
  discardUpload,
  expireUploads,
  startUploadSweeper,
  type UploadSweeper,
  frameObjectKey,
  DEFAULT_UPLOAD_LIMITS,
  type UploadLimits,
  type UploadDeps,
  type UploadStatus,
  type FinishedUpload,
  type CreateUploadInput,
  type AppendResult,
} from './uploads.js';
export { recordMeasurement, validateMeasurement, type Measurement, type MeasurementResult, type PhotometryValue, type ComparisonStar } from './measurements.js';
export { ingestStage, runIngest, type IngestOptions, type IngestOutcome } from './stage.js';
