import { readFileSync } from 'node:fs';
import { FitsReader } from './src/science/fits/reader.js';
import { detectSources } from './src/science/image/detect.js';
const dir = 'test/fixtures/image-detect/';
async function load(name: string) { const r = await FitsReader.open(dir + name); const im = await r.readImage(0); await r.close(); return im; }
const img = await load('starfield.fits'); const bg = await load('background.fits'); const rms = await load('rms.fits');
console.log(img.data.constructor.name, bg.data.constructor.name);
const gold = JSON.parse(readFileSync(dir + 'detect.json', 'utf8'));
const t0 = performance.now();
const res = detectSources(img, bg.data as Float32Array, rms.data as Float32Array, { saturationLevel: 40000, correctNeighbours: !process.env.NC });
console.log('ms', performance.now() - t0, 'ours', res.sources.length, 'sep', gold.sep.length);
let matched = 0, n10 = 0, d2 = 0, dIso = 0, nb = 0;
for (const s of gold.sep) {
  if (s.snr <= 10) continue; n10++;
  let best = Infinity, bo: any = null;
  for (const o of res.sources) { const d = Math.hypot(o.x - s.xwin, o.y - s.ywin); if (d < best) { best = d; bo = o; } }
  if (best < 0.5) { matched++; d2 += best*best; } else console.log('miss', s.xwin.toFixed(2), s.ywin.toFixed(2), s.snr.toFixed(1), s.flag, best.toFixed(2), bo && [bo.x.toFixed(2), bo.y.toFixed(2), bo.flags, bo.areaPx, s.npix]);
}
console.log('matched', matched, '/', n10, 'rms', Math.sqrt(d2 / matched));
// vs truth
function vsTruth(pts: Array<[number, number, number]>, label: string) {
  const errs: number[] = []; const errsB: number[] = [];
  for (const [x, y, snr] of pts) {
    let best = Infinity; for (const t of gold.truth) best = Math.min(best, Math.hypot(t.x - x, t.y - y));
    if (snr > 10) (best < 1 ? errs : errsB).push(best);
  }
  errs.sort((a, b) => a - b);
  console.log(label, 'n', errs.length, 'far', errsB.length, 'rms', Math.sqrt(errs.reduce((s, e) => s + e * e, 0) / errs.length), 'p90', errs[Math.floor(errs.length * 0.9)]);
}
vsTruth(gold.sep.filter((s: any) => !s.winflag).map((s: any) => [s.xwin, s.ywin, s.snr]), 'sep win');
vsTruth(gold.sep.map((s: any) => [s.x, s.y, s.snr]), 'sep iso');
vsTruth(res.sources.map((s) => [s.x, s.y, s.flux / s.fluxErr]), 'ours win');
vsTruth(res.sources.map((s) => [s.xIso, s.yIso, s.flux / s.fluxErr]), 'ours iso');
vsTruth(res.sources.filter(s => !(s.flags & 2)).map((s) => [s.x, s.y, s.flux / s.fluxErr]), 'ours win unblended');
vsTruth(gold.sep.filter((s: any) => !s.winflag && !(s.flag & 1)).map((s: any) => [s.xwin, s.ywin, s.snr]), 'sep win unblended');
{
  const dx: number[] = [], dy: number[] = [];
  for (const s of res.sources) {
    if (s.flux / s.fluxErr < 50 || s.flags) continue;
    let best = Infinity, bt: any; for (const t of gold.truth) { const d = Math.hypot(t.x - s.x, t.y - s.y); if (d < best) { best = d; bt = t; } }
    dx.push(s.x - bt.x); dy.push(s.y - bt.y);
  }
  console.log('bright unflagged', dx.length, dx.slice(0, 15).map(v => v.toFixed(3)).join(' '), '\n', dy.slice(0, 15).map(v => v.toFixed(3)).join(' '));
}
{
  for (const s of res.sources) {
    if (s.flux / s.fluxErr < 50 || s.flags) continue;
    let best = Infinity, bt: any; for (const t of gold.truth) { const d = Math.hypot(t.x - s.x, t.y - s.y); if (d < best) { best = d; bt = t; } }
    if (best > 0.3) { console.log('ours', s.x.toFixed(2), s.y.toFixed(2), s.xIso.toFixed(2), s.yIso.toFixed(2), s.flux.toFixed(0), s.areaPx, s.halfLightRadiusPx.toFixed(2), 'truth near:', gold.truth.filter((t: any) => Math.hypot(t.x - s.x, t.y - s.y) < 8).map((t: any) => [t.x.toFixed(2), t.y.toFixed(2), t.flux.toFixed(0)].join(','))); }
  }
}
{
  // completeness by barycentre
  let m = 0, n = 0; const dd: number[] = [];
  for (const s of gold.sep) { if (s.snr <= 10) continue; n++;
    let best = Infinity; for (const o of res.sources) best = Math.min(best, Math.hypot(o.xIso - s.x, o.yIso - s.y));
    if (best < 0.5) m++; else console.log('isomiss', s.x.toFixed(2), s.y.toFixed(2), s.flag, best.toFixed(2)); dd.push(best); }
  dd.sort((a, b) => a - b); console.log('iso matched', m, n, 'p50', dd[n >> 1], 'p95', dd[Math.floor(n * 0.95)]);
  // windowed for isolated
  let k = 0, s2 = 0, nm = 0; const big: string[] = [];
  for (const s of gold.sep) { if (s.snr <= 10 || s.flag || s.winflag) continue;
    let best = Infinity, bo: any; for (const o of res.sources) { const d = Math.hypot(o.x - s.xwin, o.y - s.ywin); if (d < best) { best = d; bo = o; } }
    if (bo.flags) continue;
    if (best < 0.5) { k++; s2 += best * best; if (best > 0.05) big.push(`${s.xwin.toFixed(2)},${s.ywin.toFixed(2)} d=${best.toFixed(3)}`); } else nm++;
  }
  console.log('isolated windowed', k, 'miss', nm, 'rms', Math.sqrt(s2 / k), big);
}
{
  let m = 0, n = 0, mi = 0, ni = 0, s2 = 0;
  for (const s of gold.sep) { if (s.snr <= 10) continue; n++;
    if (res.sources.some(o => Math.abs(o.xPeak - s.xpeak) + Math.abs(o.yPeak - s.ypeak) === 0)) m++; else console.log('peakmiss', s.xpeak, s.ypeak, s.flag, s.npix);
    if (!s.isolated) continue; ni++;
    let best = Infinity; for (const o of res.sources) best = Math.min(best, Math.hypot(o.x - s.xwin, o.y - s.ywin));
    if (best < 0.5) { mi++; s2 += best * best; } else console.log('isomiss2', s.xwin, s.ywin, best);
  }
  console.log('peak matched', m, n, 'isolated', mi, ni, 'rms', Math.sqrt(s2 / mi));
}
{
  const errs: number[] = []; const fw: number[] = [];
  for (const t of gold.truth) {
    if (t.x < 8 || t.y < 8 || t.x > 248 || t.y > 248) continue;
    if (gold.truth.some((u: any) => u !== t && Math.hypot(u.x - t.x, u.y - t.y) < 12 && u.flux > 0.01 * t.flux)) continue;
    let best = Infinity, bo: any; for (const o of res.sources) { const d = Math.hypot(o.x - t.x, o.y - t.y); if (d < best) { best = d; bo = o; } }
    if (!bo || bo.flux / bo.fluxErr < 50 || (bo.flags & 4)) continue;
    errs.push(best); fw.push(bo.fwhmPx);
  }
  fw.sort((a, b) => a - b);
  console.log('truth isolated', errs.length, 'rms', Math.sqrt(errs.reduce((s, e) => s + e * e, 0) / errs.length), 'max', Math.max(...errs), 'fwhm median', fw[fw.length >> 1], fw[0], fw[fw.length - 1]);
}
