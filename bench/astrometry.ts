/**
 * Plate solving (issue 4): hinted and blind solve time, success and accuracy on the same
 * frames beside astrometry.net's solve-field with Debian's Tycho-2 index files.
 *
 * Frames: 2048² px at 1.5–4″/px (fields 0.85–2.3°) pointed at random over the whole sky,
 * rendered (science/sky: Moffat PSF, sky, Poisson and read noise, 0.1–0.3 % SIP distortion)
 * from all Tycho-2 stars in the index files plus fainter random stars the catalog lacks, as
 * 16-bit FITS. Both sides start from the FITS file (their own source extraction included):
 *  - hinted: the true centre moved 0.5° away, radius 1°, scale ±10 %;
 *  - blind: no position; the same scale range (ours searches the sky index built for it).
 * Ours runs in this process through the native backend (catalog and index loaded once, the
 * load time reported apart); solve-field runs once per frame and mode with --cpulimit 60.
 * Without the index files (astrometry-data-tycho2) the reference is skipped and our side runs
 * on the committed Tycho-2 cones instead.
 *
 * The Tycho-2 catalog and sky index are cached under $TMPDIR/openastro-bench-cache (building
 * the index takes minutes); delete it to rebuild.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  astrometryNetBackend,
  buildCatalog,
  buildSkyIndex,
  CatalogFile,
  coneQuery,
  encodeCatalog,
  encodeSkyIndex,
  mergeStarLists,
  nativeBackend,
  parseCatalogCsv,
  readAstrometryNetIndex,
  readSkyIndex,
  type SolveOutcome,
  type StarCatalog,
} from '../src/science/astrometry/index.js';
import { Header } from '../src/science/fits/header.js';
import { imageHdu, writeFitsFile } from '../src/science/fits/writer.js';
import { Rng } from '../src/science/inference/random.js';
import { randomStarField, renderFrame } from '../src/science/sky/index.js';
import { angularSeparationDeg, createWcs, pixToSky, type Wcs } from '../src/science/wcs/index.js';
import { hasCommand, type BenchContext } from './harness.js';
import { REPO_ROOT } from './paths.js';

const SIZE = 2048;
const S_LO = 1.5;
const S_HI = 4;
const N_FRAMES = 6;
const INDEX_DIR = '/usr/share/astrometry';

async function loadCatalog(cache: string): Promise<{ catalog: StarCatalog; catalogPath: string; real: boolean }> {
  const catalogPath = join(cache, 'tycho2.oacat');
  const files = existsSync(INDEX_DIR) ? readdirSync(INDEX_DIR).filter((f) => /^index-tycho2-.*\.fits$/.test(f)) : [];
  if (files.length > 0) {
    if (!existsSync(catalogPath)) {
      const lists = [];
      for (const f of files.sort()) lists.push(await readAstrometryNetIndex(join(INDEX_DIR, f)));
      writeFileSync(catalogPath, encodeCatalog(buildCatalog(mergeStarLists(lists))));
    }
    return { catalog: await (await CatalogFile.open(catalogPath)).readAll(), catalogPath, real: true };
  }
  const dir = join(REPO_ROOT, 'test/fixtures/astrometry/cones');
  const cat = buildCatalog(mergeStarLists(readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().map((f) => parseCatalogCsv(readFileSync(join(dir, f), 'utf8')))));
  const p = join(cache, 'cones.oacat');
  writeFileSync(p, encodeCatalog(cat));
  return { catalog: cat, catalogPath: p, real: false };
}

interface Frame {
  path: string;
  truth: Wcs;
  scale: number;
}

async function renderFrames(catalog: StarCatalog, dir: string, real: boolean): Promise<Frame[]> {
  const rng = new Rng(20240);
  const frames: Frame[] = [];
  for (let k = 0; k < N_FRAMES; k++) {
    const scale = S_LO + (S_HI - S_LO) * rng.uniform();
    // Anywhere on the sky (uniform on the sphere), or inside the cones without the real catalog.
    let ra = 360 * rng.uniform();
    let dec = (Math.asin(2 * rng.uniform() - 1) * 180) / Math.PI;
    if (!real) {
      const c = [
        [132.834, 11.812],
        [305, 40],
        [84, -2],
        [80, -69],
      ][k % 4];
      ra = c[0];
      dec = c[1];
    }
    const s = scale / 3600;
    const rot = 2 * Math.PI * rng.uniform();
    const d = ((0.1 + 0.2 * rng.uniform()) / 100) * SIZE * Math.SQRT1_2 / 3;
    const kk = d / (SIZE / 2) ** 3;
    const truth = createWcs({
      crpix: [(SIZE - 1) / 2, (SIZE - 1) / 2],
      crval: [ra, dec],
      cd: [-s * Math.cos(rot), s * Math.sin(rot), s * Math.sin(rot), s * Math.cos(rot)],
      sip: { a: { order: 3, terms: [{ p: 3, q: 0, value: kk }, { p: 1, q: 2, value: kk }] }, b: { order: 3, terms: [{ p: 0, q: 3, value: kk }, { p: 2, q: 1, value: kk }] } },
    });
    const r = (SIZE * scale * 0.75) / 3600;
    const cone = coneQuery(catalog, ra, dec, r);
    const stars = Array.from(cone.raDeg, (_, i) => ({ raDeg: cone.raDeg[i], decDeg: cone.decDeg[i], mag: cone.mag[i] + 0.3 * (2 * rng.uniform() - 1) })).concat(
      randomStarField({ raDeg: ra, decDeg: dec, radiusDeg: r, magBright: 11.5, magFaint: 14, seed: 700 + k }),
    );
    const fr = renderFrame({
      wcs: truth,
      optics: { apertureMm: 80, focalLengthMm: 400, pixelSizeUm: 3.76, widthPx: SIZE, heightPx: SIZE, gainEPerAdu: 1, readNoiseE: 4, darkCurrentEPerS: 0, biasAdu: 500, fullWellE: 60000, vignetting: { kind: 'none' } },
      stars,
      exposureS: 10,
      seeingFwhmArcsec: 2.5 * scale,
      seed: 900 + k,
      skyMagPerArcsec2: 19.5,
    });
    const path = join(dir, `frame-${k}.fits`);
    const h = new Header([]);
    h.set('SATURATE', fr.meta.saturationAdu);
    await writeFitsFile(path, [imageHdu(fr.frame as Uint16Array, [SIZE, SIZE], { header: h })]);
    frames.push({ path, truth, scale });
  }
  return frames;
}

interface Tally {
  seconds: number[];
  ok: number;
  centreArcsec: number[];
}

function score(t: Tally, f: Frame, o: SolveOutcome): void {
  t.seconds.push(o.seconds);
  if (!o.solved) return;
  const c = (SIZE - 1) / 2;
  const [ra, dec] = pixToSky(f.truth, c, c);
  const err = angularSeparationDeg(ra, dec, o.raDeg!, o.decDeg!) * 3600;
  t.centreArcsec.push(err);
  if (err < 2 * f.scale) t.ok++;
}

const mean = (v: number[]): number => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
const median = (v: number[]): number => (v.length ? [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] : NaN);
const empty = (): Tally => ({ seconds: [], ok: 0, centreArcsec: [] });

export async function run(ctx: BenchContext): Promise<void> {
  const cache = join(tmpdir(), 'openastro-bench-cache');
  mkdirSync(cache, { recursive: true });
  const { catalog, catalogPath, real } = await loadCatalog(cache);
  const indexPath = join(cache, `${real ? 'tycho2' : 'cones'}-${S_LO}-${S_HI}-${SIZE}.oaidx`);
  if (!existsSync(indexPath)) {
    const t0 = performance.now();
    writeFileSync(indexPath, encodeSkyIndex(buildSkyIndex(catalog, { quadSizeDeg: [(0.25 * S_LO * SIZE) / 3600, (S_HI * SIZE) / 3600] })));
    ctx.record({ name: `sky index build (${catalog.raDeg.length} stars, ${S_LO}–${S_HI}″/px at ${SIZE} px)`, unit: 's', ours: (performance.now() - t0) / 1000, higherIsBetter: false });
  }
  const tLoad = performance.now();
  const idx = await readSkyIndex(indexPath);
  ctx.record({ name: `sky index load (${idx.keys.length} quads)`, unit: 's', ours: (performance.now() - tLoad) / 1000, higherIsBetter: false });

  const frames = await renderFrames(catalog, ctx.tmpDir, real);
  const native = nativeBackend({ catalogPath, indexPath });
  // Warm-up: loads the catalog and index into the backend (timed above), JIT.
  await native.solve(frames[0].path, { scaleLowArcsecPerPx: S_LO, scaleHighArcsecPerPx: S_HI });
  const oursH = empty();
  const oursB = empty();
  const refH = empty();
  const refB = empty();
  const haveRef = real && hasCommand('solve-field');
  const ref = astrometryNetBackend({ extraArgs: ['--no-verify'] });
  for (const f of frames) {
    const c = (SIZE - 1) / 2;
    const [ra, dec] = pixToSky(f.truth, c, c);
    const hint = { raDeg: ra, decDeg: Math.max(-89.5, Math.min(89.5, dec + (dec > 0 ? -0.5 : 0.5))), radiusDeg: 1 };
    const hinted = { hint, scaleLowArcsecPerPx: f.scale / 1.1, scaleHighArcsecPerPx: f.scale * 1.1, timeLimitS: 60 };
    const blind = { scaleLowArcsecPerPx: S_LO, scaleHighArcsecPerPx: S_HI, timeLimitS: 60 };
    score(oursH, f, await native.solve(f.path, hinted));
    score(oursB, f, await native.solve(f.path, blind));
    if (haveRef) {
      score(refH, f, await ref.solve(f.path, hinted));
      score(refB, f, await ref.solve(f.path, blind));
    }
  }
  const n = frames.length;
  const tag = `${SIZE}² ${S_LO}–${S_HI}″/px, ${n} frames${real ? '' : ' (cones only)'}`;
  const refOf = (t: Tally, v: number): { tool: string; value: number } | undefined => (haveRef && t.seconds.length > 0 ? { tool: 'solve-field', value: v } : undefined);
  ctx.record({ name: `hinted solve, mean per frame (${tag})`, unit: 's', ours: mean(oursH.seconds), reference: refOf(refH, mean(refH.seconds)), higherIsBetter: false });
  ctx.record({ name: `blind solve, mean per frame (${tag})`, unit: 's', ours: mean(oursB.seconds), reference: refOf(refB, mean(refB.seconds)), higherIsBetter: false });
  ctx.record({ name: 'blind solve, slowest frame', unit: 's', ours: Math.max(...oursB.seconds), reference: refOf(refB, Math.max(...refB.seconds)), higherIsBetter: false });
  ctx.record({ name: 'hinted success (centre < 2 px)', unit: 'fraction', ours: oursH.ok / n, reference: refOf(refH, refH.ok / n), higherIsBetter: true });
  ctx.record({ name: 'blind success (centre < 2 px)', unit: 'fraction', ours: oursB.ok / n, reference: refOf(refB, refB.ok / n), higherIsBetter: true });
  ctx.record({ name: 'hinted centre error, median', unit: '″', ours: median(oursH.centreArcsec), reference: refOf(refH, median(refH.centreArcsec)), higherIsBetter: false });
  ctx.record({ name: 'blind centre error, median', unit: '″', ours: median(oursB.centreArcsec), reference: refOf(refB, median(refB.centreArcsec)), higherIsBetter: false });
}
