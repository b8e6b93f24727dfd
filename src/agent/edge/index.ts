/** Edge processing on the node: quality, calibration, photometry, naming, compression. */
export { compressFrame } from './compress.js';
export { readEdgeFrame, type EdgeFrame } from './frame.js';
export { frameFileName, parseFrameFileName, type FrameName } from './naming.js';
export { measureTargets, OFF_FRAME, type PhotometryOptions, type StarMeasurement, type StarRef, type TargetPhotometry } from './photometry.js';
export { processFrame, type CompactMeasurement, type EdgeOptions, type EdgeResult } from './process.js';
export { assessFrame, type EdgeQualityOptions, type QualityDecision } from './quality.js';
