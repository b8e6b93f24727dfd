import { readFileSync } from 'node:fs';
import { FitsReader } from './src/science/fits/reader.js';
import { windowedCentroid, fluxRadius } from './src/science/image/aperture.js';
const dir = 'test/fixtures/image-detect/';
async function load(name: string) { const r = await FitsReader.open(dir + name); const im = await r.readImage(0); await r.close(); return im; }
const img = await load('starfield.fits'); const bg = await load('background.fits');
const sub = new Float32Array(img.data.length); for (let i = 0; i < sub.length; i++) sub[i] = Number(img.data[i]) - Number(bg.data[i]);
const S = { data: sub, width: img.width, height: img.height };
const gold = JSON.parse(readFileSync(dir + 'detect.json', 'utf8'));
let maxd = 0, maxr = 0, worst: any;
const ds: number[] = [];
for (const s of gold.sep) {
  if (s.winflag) continue;
  const w = windowedCentroid(S, s.x, s.y, s.sig);
  const d = Math.hypot(w.x - s.xwin, w.y - s.ywin);
  ds.push(d);
  if (d > maxd) { maxd = d; worst = [s, w]; }
  const r = fluxRadius(S, s.x, s.y, Math.max(6 * s.a, 3), 0.5);
  maxr = Math.max(maxr, Math.abs(r - s.r50));
}
console.log('max winpos diff', maxd, 'max r50 diff', maxr); console.log(worst); ds.sort((a,b)=>a-b); console.log(ds.slice(-10));
