/** The light-curve stage, and the JSON science products all science stages share. */
export {
  lightcurveStage,
  runLightcurve,
  readLightcurve,
  type LightcurveOptions,
  type LightcurveOutcome,
  type LightcurveDocument,
  type LightcurvePointDoc,
  type BandMergeDoc,
  type NodeOffsetDoc,
} from './stage.js';
export { putJsonProduct, upsertProduct, dropReplaced, getProduct, readJsonProduct, shortHash, type StagedProduct, type ScienceProductKind } from './products.js';
