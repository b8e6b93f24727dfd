/**
 * Time for photometry: UTC → TAI → TT → TDB with a leap-second table, two-part Julian
 * dates and ISO-8601, mid-exposure times from FITS headers, and barycentric (BJD_TDB) /
 * heliocentric (HJD_UTC) corrections with Earth's position from astronomy-engine.
 */
export { TimeError, type TimeErrorCode, type TimeLocation } from './errors.js';
export {
  LEAP_SECONDS,
  LEAP_SECONDS_START_MJD,
  LEAP_SECONDS_EXPIRES_MJD,
  LEAP_SECONDS_SOURCE,
  isLeapSecondTableCurrent,
  leapSecondWarning,
  LEAP_SECONDS_EXPIRED,
  type LeapSecondWarning,
  taiMinusUtcOnDay,
  leapSecondsAtEndOfDay,
  utcDayLengthS,
  type LeapSecondEntry,
} from './leap-seconds.js';
export {
  SECONDS_PER_DAY,
  MJD_ZERO_JD,
  J2000_JD,
  normalizeJd,
  jdValue,
  addSeconds,
  differenceSeconds,
  jdToMjd,
  mjdToJd,
  calendarToJd,
  jdToCalendar,
  isLeapYear,
  daysInMonth,
  parseIso,
  partsToJd,
  isoToJd,
  jdToIso,
  type JulianDate,
  type JdInput,
  type TimeScale,
  type CalendarDate,
  type IsoParts,
  type IsoFormatOptions,
} from './julian.js';
export { tdbMinusTtGeocentricS } from './tdb.js';
export {
  TT_MINUS_TAI_S,
  taiMinusUtcS,
  ttMinusUtcS,
  utcToTai,
  taiToUtc,
  taiToTt,
  ttToTai,
  utcToTt,
  ttToUtc,
  tdbMinusTtS,
  ttToTdb,
  tdbToTt,
  utcToTdb,
  tdbToUtc,
  utcToTdbBatch,
  tdbToUtcBatch,
} from './scales.js';
export {
  AU_M,
  C_M_S,
  AU_LIGHT_S,
  GM_SUN_M3_S2,
  checkSite,
  earthState,
  observerGeocentric,
  topocentricTdbTermS,
  frameBiasMatrix,
  icrsToEqj,
  type ObservatorySite,
  type EarthState,
  type Vec3,
} from './earth.js';
export {
  midExposureUtc,
  parseFitsDate,
  type HeaderReader,
  type MidExposureOptions,
  type MidExposure,
} from './exposure.js';
export {
  barycentricCorrection,
  barycentricCorrectionBatch,
  bjdTdbToUtc,
  type SkyTarget,
  type BarycentricOptions,
  type BarycentricInput,
  type BarycentricCorrection,
  type BarycentricBatchOptions,
  type BarycentricBatch,
} from './barycentric.js';
