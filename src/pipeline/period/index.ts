/** The period stage: (multi-band) Lomb–Scargle periodogram of a mission's light curve. */
export { periodStage, runPeriod, decimate, type PeriodOptions, type PeriodOutcome, type PeriodogramDocument, type PeakDoc } from './stage.js';
