import { syntheticStarField } from './bench/synthetic.js';
import { detectSources } from './src/science/image/detect.js';
const S = 2048;
const data = syntheticStarField(S, S, { seed: 7, stars: 5000, skyAdu: 1000, noiseAdu: 12, fwhmPx: 3 });
const t0 = performance.now();
detectSources({ data, width: S, height: S }, 1000, 12);
console.log('detect win', (performance.now() - t0).toFixed(0));
