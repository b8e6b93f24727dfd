import { sersicB, sersicStamp, addConvolvedStamp } from './src/science/sky/sersic.js';
import { psfKernel } from './src/science/sky/psf.js';
console.log(sersicB(0.5)-Math.LN2, sersicB(1), sersicB(4));
for (const [n, re, q, pa] of [[1, 3, 1, 0], [4, 3, 0.6, 30], [4, 0.8, 0.3, 100], [0.5, 2, 0.5, 45], [2, 10, 0.8, 10]]) {
  const t0 = performance.now();
  const c = Math.cos(pa*Math.PI/180), s = Math.sin(pa*Math.PI/180);
  const scale = 0.8; // arcsec/px
  const st = sersicStamp({ xPx: 100.3, yPx: 99.7, fluxE: 1e5, n, reArcsec: re, axisRatio: q, pixelToAxes: [c*scale, s*scale, -s*scale, c*scale] });
  let sum = 0, sx=0, sy=0; for (let y=0;y<st.height;y++) for (let x=0;x<st.width;x++){const v=st.data[y*st.width+x]; sum+=v; sx+=v*(x+st.x0); sy+=v*(y+st.y0);}
  const t1 = performance.now();
  const k = psfKernel({ fwhmPx: 3 });
  const img = new Float64Array(400*400);
  const dep = addConvolvedStamp(img, 400, 400, st, k);
  console.log(n, re, q, 'stamp', st.width, st.height, 'rel', (sum/1e5-1).toExponential(2), 'cen', (sx/sum-100.3).toExponential(2), (sy/sum-99.7).toExponential(2), 'conv rel', (dep/1e5-1).toExponential(2), 'ms', (t1-t0).toFixed(0), (performance.now()-t1).toFixed(0), 'enc', st.enclosed);
}
