import { applyNoiseRows } from './src/science/sky/noise.js';
const w = 2048, h = 2048;
for (const [m, p, rn] of [[20, true, 0], [20, false, 3], [20, true, 3], [200, true, 3], [3, true, 3]] as const) {
  const buf = new Float32Array(w*h).fill(m);
  const t0 = performance.now();
  applyNoiseRows(buf, w, 0, h, { poisson: p, readNoiseE: rn, seed: 1 });
  console.log(m, p, rn, 'ns/px', ((performance.now()-t0)*1e6/(w*h)).toFixed(1));
}
