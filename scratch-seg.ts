import { readFileSync } from 'node:fs';
import { FitsReader } from './src/science/fits/reader.js';
import { detectSources } from './src/science/image/detect.js';
const dir = 'test/fixtures/image-detect/';
async function load(name: string) { const r = await FitsReader.open(dir + name); const im = await r.readImage(0); await r.close(); return im; }
const img = await load('starfield.fits'); const bg = await load('background.fits'); const rms = await load('rms.fits');
const gold = JSON.parse(readFileSync(dir + 'detect.json', 'utf8'));
const res = detectSources(img, bg.data as Float32Array, rms.data as Float32Array, { saturationLevel: 40000 });
// match by bbox identity
let same = 0, diff = 0;
const used = new Set<number>();
for (const s of gold.sep) {
  const i = res.sources.findIndex(o => o.xMin === s.xmin && o.xMax === s.xmax && o.yMin === s.ymin && o.yMax === s.ymax && o.areaPx === s.npix);
  if (i >= 0) { same++; used.add(i); } else { diff++; console.log('sep', s.x.toFixed(1), s.y.toFixed(1), s.npix, s.flag, 'bbox', s.xmin, s.xmax, s.ymin, s.ymax); }
}
console.log('same', same, 'diff', diff);
res.sources.forEach((o, i) => { if (!used.has(i)) console.log('ours', o.xIso.toFixed(1), o.yIso.toFixed(1), o.areaPx, o.flags, 'bbox', o.xMin, o.xMax, o.yMin, o.yMax); });
// plain (no filter no deblend)
const res2 = detectSources(img, bg.data as Float32Array, rms.data as Float32Array, { filter: null, deblendContrast: 1 });
let ok = 0; for (const s of gold.sepNoFilterNoDeblend) if (res2.sources.some(o => o.areaPx === s.npix && o.xMin === s.xmin && o.yMin === s.ymin && Math.abs(o.flux - s.flux) < 1e-3 * Math.abs(s.flux))) ok++;
console.log('plain', ok, gold.sepNoFilterNoDeblend.length, res2.sources.length);
