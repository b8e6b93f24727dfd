import { readFileSync } from 'node:fs';
import { FitsReader } from './src/science/fits/reader.js';
import { detectSources } from './src/science/image/detect.js';
const dir = 'test/fixtures/image-detect/';
async function load(name: string) { const r = await FitsReader.open(dir + name); const im = await r.readImage(0); await r.close(); return im; }
const img = await load('starfield.fits'); const bg = await load('background.fits'); const rms = await load('rms.fits');
const gold = JSON.parse(readFileSync(dir + 'detect.json', 'utf8'));
const res = detectSources(img, bg.data as Float32Array, rms.data as Float32Array, { saturationLevel: 40000 });
const targets = process.argv.slice(2).map(Number);
for (let i = 0; i < targets.length; i += 2) {
  const [tx, ty] = [targets[i], targets[i + 1]];
  for (const s of gold.sep) if (Math.hypot(s.xwin - tx, s.ywin - ty) < 3 || Math.hypot(s.x - tx, s.y - ty) < 3) console.log('sep', JSON.stringify(s));
  for (const o of res.sources) if (Math.hypot(o.x - tx, o.y - ty) < 3 || Math.hypot(o.xIso - tx, o.yIso - ty) < 3) console.log('ours', JSON.stringify(o));
  for (const t of gold.truth) if (Math.hypot(t.x - tx, t.y - ty) < 6) console.log('truth', JSON.stringify(t));
}
