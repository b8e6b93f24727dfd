/**
 * Synthetic sky: renders realistic frames from a star catalog and injected sources
 * (variables, transients, transits, Sérsic galaxies) through a WCS (TAN, optional SIP),
 * optics/camera and seeing, with sky, dark current, hot pixels, Poisson and read noise,
 * cosmic rays and satellite trails. Used by tests, plate-solving checks and the simulated
 * telescope. Seeded and deterministic.
 *
 * Pixels are 0-based ((0, 0) is the centre of the first pixel); angles in degrees,
 * seeing and galaxy sizes in arcsec, fluxes in electrons over the exposure.
 */
export { SkyError, type SkyErrorCode, type SkyLocation } from './errors.js';
export { lnGamma, gammaP, gammaQ, gammaPInverse, erf, normalCdf } from './special.js';
export { poissonDeviate, PTRS_MIN_MEAN } from './poisson.js';
export {
  DEFAULT_MOFFAT_BETA,
  createPsfRenderer,
  gaussianSigmaPx,
  moffatAlphaPx,
  psfDensity,
  psfEnclosedFraction,
  psfKernel,
  psfRadiusForLoss,
  resolvePsf,
  type ImageBuffer,
  type PsfKernel,
  type PsfProfile,
  type PsfRenderer,
  type PsfRendererOptions,
  type PsfSpec,
  type PsfTrail,
  type ResolvedPsf,
} from './psf.js';
export {
  MAX_SENSOR_PIXELS,
  V_BAND_PHOTON_RATE_MAG0,
  maxAdu,
  opticsPixelScaleArcsec,
  resolveOptics,
  saturationAdu,
  tanWcsForOptics,
  vignettingAt,
  vignettingMap,
  vignettingRange,
  type Optics,
  type ResolvedOptics,
  type Vignetting,
} from './optics.js';
export {
  coneAreaDeg2,
  cumulativeStarDensity,
  expectedStarCount,
  randomStarField,
  type CatalogStar,
  type StarCountModel,
  type StarFieldOptions,
} from './catalog.js';
export {
  addConvolvedStamp,
  sersicB,
  sersicEnclosedFraction,
  sersicIe,
  sersicRadiusEnclosing,
  sersicStamp,
  type SersicDraw,
  type SersicStamp,
} from './sersic.js';
export {
  addCosmicRays,
  addSatelliteTrail,
  expectedCosmicRays,
  hotPixels,
  type CosmicRayHit,
  type CosmicRayOptions,
  type HotPixels,
  type SatelliteTrail,
} from './artifacts.js';
export { applyNoiseRows, digitiseRange, type DigitiseParams, type FrameArray, type NoiseParams } from './noise.js';
export {
  localJacobianArcsec,
  renderFrame,
  type InjectedSource,
  type PointSource,
  type RenderOptions,
  type RenderResult,
  type SersicSource,
  type SourcePosition,
  type TruthSource,
  type TruthStar,
  type TruthTrail,
} from './render.js';
