import { sersicB, sersicStamp, sersicIe } from './src/science/sky/sersic.js';
const [n, re, q, pa] = [4, 0.8, 0.3, 100];
const c = Math.cos(pa*Math.PI/180), s = Math.sin(pa*Math.PI/180);
const scale = 0.8;
const M = [c*scale, s*scale, -s*scale, c*scale];
const st = sersicStamp({ xPx: 100.3, yPx: 99.7, fluxE: 1, n, reArcsec: re, axisRatio: q, pixelToAxes: M as any });
const b = sersicB(n); const ie = sersicIe(n, re, q)/st.enclosed; const area = scale*scale;
const rt = st.truncationArcsec;
function prof(dx: number, dy: number) { const u = M[0]*dx+M[1]*dy, v = (M[2]*dx+M[3]*dy)/q; const R = Math.hypot(u,v); if (R>rt) return 0; return Math.exp(-b*(Math.pow(R/re, 1/n)-1)); }
let worst = 0;
let bs=0,bsx=0;
for (let y=0;y<st.height;y++) for (let x=0;x<st.width;x++) {
  const px = st.x0+x, py = st.y0+y; const N = (Math.abs(px-100.3)<3 && Math.abs(py-99.7)<3) ? 400 : 40;
  let sum=0; for (let j=0;j<N;j++) for (let i=0;i<N;i++) sum += prof(px-0.5+(i+0.5)/N-100.3, py-0.5+(j+0.5)/N-99.7);
  const val = sum/(N*N)*ie*area; bs+=val; bsx += val*px;
  const ours = st.data[y*st.width+x];
  if (Math.abs(ours-val) > worst) { worst = Math.abs(ours-val); console.log(px, py, ours, val); }
}
console.log('brute centroid', bsx/bs - 100.3, bs);
