/** The TTV stage: checkpointed, resumable TTV inference → the 'posterior' product. */
export { ttvStage, runTtv, ttvCheckpointKey, parameterUnit, type TtvStageOptions, type TtvOutcome, type PosteriorDocument, type PosteriorParameterDoc, type PredictedTransitDoc } from './stage.js';
