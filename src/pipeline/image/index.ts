/** The image stage: plate solution (or a confirmed header WCS) and photometric calibration of one frame. */
export { imageStage, runImage, solvedFrameKey, type ImageOptions, type ImageOutcome, type ImageStatus } from './stage.js';
export { frameWcs, confirmWcs, astrometricSources, type AstrometryOptions, type AstrometryHint, type AstrometryResult } from './astrometry.js';
export { measureFrame, medianFwhmPx, TARGET_OFF_FRAME, TARGET_NOT_RECENTRED, type FramePhotometry, type PhotometryOptions, type TargetMeasurement } from './photometry.js';
export { loadInstrumentRegistry, recordInstrumentColourTerm } from './registry.js';
export { wcsCards, wcsFromCards, withSolvedHeader, type WcsCards } from './wcs-store.js';
