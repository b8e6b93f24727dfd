/** Transit missions: ephemeris, archival transit times, and the transit-times stage (O−C). */
export {
  setTransitEphemeris,
  getTransitEphemeris,
  addArchivalTransitTimes,
  listArchivalTransitTimes,
  type TransitEphemeris,
  type TransitEphemerisInput,
  type TransitShapeInput,
  type ArchivalTransitTime,
} from './ephemeris.js';
export { transitTimesStage, runTransitTimes, type TransitTimesOptions, type TransitTimesOutcome, type OcDocument, type OcPointDoc, type OcModelDoc } from './stage.js';
