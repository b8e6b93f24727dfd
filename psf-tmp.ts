import { createPsfRenderer, gaussianSigmaPx, moffatAlphaPx } from './src/science/sky/psf.js';
for (const spec of [{profile:'gaussian' as const, fwhmPx: 1.0}, {profile:'gaussian' as const, fwhmPx: 3}, {fwhmPx: 3}, {fwhmPx: 0.8}, {fwhmPx: 3, beta: 2.5}, {fwhmPx: 12}, {fwhmPx: 3, trail: {lengthPx: 10, angleDeg: 30}}]) {
  let t0 = performance.now();
  const r = createPsfRenderer(spec);
  const tb = performance.now()-t0;
  const w = 301, h = 301;
  const img = new Float64Array(w*h);
  const x0 = 150.3712, y0 = 149.8234, F = 1e5;
  const dep = r.add(img, w, h, x0, y0, F);
  let s=0, sx=0, sy=0;
  for (let y=0;y<h;y++) for (let x=0;x<w;x++){const v=img[y*w+x]; s+=v; sx+=v*x; sy+=v*y;}
  const cx=sx/s, cy=sy/s; let mxx=0, myy=0, mxy=0;
  for (let y=0;y<h;y++) for (let x=0;x<w;x++){const v=img[y*w+x]; mxx+=v*(x-cx)**2; myy+=v*(y-cy)**2; mxy+=v*(x-cx)*(y-cy);}
  mxx/=s; myy/=s; mxy/=s;
  let expVar = spec.profile==='gaussian' ? gaussianSigmaPx(spec.fwhmPx)**2 : (spec.beta??4.765)>2 ? moffatAlphaPx(spec.fwhmPx, spec.beta??4.765)**2/(2*((spec.beta??4.765)-2)) : NaN;
  console.log(JSON.stringify(spec), 'build ms', tb.toFixed(1), 'rel flux', (s/F-1).toExponential(2), (dep/F-1).toExponential(2), 'cen', (cx-x0).toExponential(2), (cy-y0).toExponential(2), 'var', (mxx-1/12).toFixed(5), (myy-1/12).toFixed(5), mxy.toExponential(2), 'exp', expVar.toFixed(5), 'R', r.radiusFor(F).toFixed(1));
}
// timing: 1e4 stars
const r = createPsfRenderer({fwhmPx: 3});
const w=4096,h=4096; const img=new Float32Array(w*h);
let t0=performance.now();
for (let i=0;i<10000;i++) r.add(img,w,h,(i*7919.123)%w,(i*104729.77)%h, 10**(2+ (i%40)/10));
console.log('1e4 stars ms', performance.now()-t0);
