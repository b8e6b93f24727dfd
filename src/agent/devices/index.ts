/** Device interfaces, the simulator and shared helpers (coordinates, frame headers, clock waits). */
export * from './types.js';
export { airmass, checkRaDec, checkSite, horizontal, j2000ToOfDate, localSiderealDeg, ofDateToJ2000, sunAltitudeDeg, zenithJ2000, type HorizontalPosition } from './coordinates.js';
export { annotateFits, frameFits, frameHeader, frameTypeFromImagetyp, sexagesimal, type FrameHeaderInput } from './frame-header.js';
export { manualSleep, realSleep, type Sleep } from './time.js';
