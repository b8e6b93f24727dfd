import { renderFrame, tanWcsForOptics, randomStarField } from './src/science/sky/index.js';
const optics = { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, widthPx: 4096, heightPx: 4096, gainEPerAdu: 1, readNoiseE: 3, darkCurrentEPerS: 0.01, biasAdu: 500, fullWellE: 50000, vignetting: {kind:'cos4' as const}, hotPixelFraction: 1e-4 };
const wcs = tanWcsForOptics(optics, 150, 30);
const stars = randomStarField({ raDeg: 150, decDeg: 30, radiusDeg: 0.8, magFaint: 19.2, seed: 3 });
console.log('stars', stars.length);
const t0 = performance.now();
const stages: Record<string, number> = {}; let last = performance.now(); let lastStage = 'start';
const r = renderFrame({ wcs, optics, exposureS: 60, seeingFwhmArcsec: 2.5, stars, seed: 1, cosmicRays: { ratePerCm2PerS: 0.02 }, onProgress: (d,t,s) => { const now = performance.now(); if (s !== lastStage) { stages[lastStage] = (stages[lastStage]??0) + now-last; last = now; lastStage = s; } } });
console.log('ms', performance.now()-t0, stages, 'on chip', r.stars.length, r.meta, 'CR', r.cosmicRays.length);
