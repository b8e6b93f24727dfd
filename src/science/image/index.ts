/** Image processing core: statistics, calibration, background, detection, photometry, reprojection, co-addition. */
export * from './aperture.js';
export * from './background.js';
export * from './calibration.js';
export * from './coadd.js';
export * from './convolve.js';
export * from './detect.js';
export * from './errors.js';
export * from './exact-overlap.js';
export * from './interpolate.js';
export * from './mask.js';
export * from './overlap.js';
export * from './pixel-map.js';
export * from './quality.js';
export * from './reference-grid.js';
export * from './reproject.js';
export * from './segmentation.js';
export * from './stats.js';
