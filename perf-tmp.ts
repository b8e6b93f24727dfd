import { renderFrame, tanWcsForOptics, randomStarField } from './src/science/sky/index.js';
const optics = { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, widthPx: 4096, heightPx: 4096, gainEPerAdu: 1, readNoiseE: 3, darkCurrentEPerS: 0.01, biasAdu: 500, fullWellE: 50000, vignetting: {kind:'cos4' as const}, hotPixelFraction: 1e-4 };
const wcs = tanWcsForOptics(optics, 150, 30);
// 1e4 stars all on the chip: a random field in the inscribed cone, trimmed.
const stars = randomStarField({ raDeg: 150, decDeg: 30, radiusDeg: 0.44, magFaint: 20.4, seed: 3 }).slice(0, 10000);
console.log('stars', stars.length);
for (let rep = 0; rep < 2; rep++) { const c0 = process.cpuUsage();
  const t0 = performance.now();
  const marks: Array<[string, number]> = [];
  let last = '';
  const r = renderFrame({ wcs, optics, exposureS: 60, seeingFwhmArcsec: 2.5, stars, seed: 1 + rep, cosmicRays: { ratePerCm2PerS: 0.02 }, onProgress: (_d,_t,s) => { if (s !== last) { marks.push([s, performance.now()-t0]); last = s; } } });
  console.log("cpu ms", ((process.cpuUsage(c0).user)/1000).toFixed(0), "total ms", (performance.now()-t0).toFixed(0), marks.map(([s,t]) => `${s}@${t.toFixed(0)}`).join(' '), 'on chip', r.stars.length);
}
const t1 = performance.now(); let s = 0; const b = new Float32Array(1<<24); for (let i=0;i<b.length;i++) b[i] = b[i]*1.01+0.5; console.log('calibration trivial 16M loop ms', (performance.now()-t1).toFixed(0));
