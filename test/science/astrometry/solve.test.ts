/**
 * Hinted solving of rendered frames whose truth WCS is known: real Tycho-2 positions (M67
 * cone) and a denser seeded random field; rotations including a mirrored optical train,
 * scales 0.5–3″/px, hint offsets up to the radius, SIP distortion; noise frames and
 * wrong-field hints must fail with a typed reason.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalog, coneQuery, parseCatalogCsv, solveConeRadiusDeg, solveHinted, type SolveOptions, type SourceXY, type StarCatalog } from '../../../src/science/astrometry/index.js';
import { estimateBackground } from '../../../src/science/image/background.js';
import { detectSources } from '../../../src/science/image/detect.js';
import { randomStarField, renderFrame, type CatalogStar, type Optics } from '../../../src/science/sky/index.js';
import { angularSeparationDeg, createWcs, pixelScaleArcsec, pixToSky, skyToPix, type Wcs } from '../../../src/science/wcs/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const M67 = parseCatalogCsv(readFileSync(join(ROOT, 'test/fixtures/astrometry/m67_tycho2.csv'), 'utf8'));
const M67_CAT = buildCatalog(M67);

function optics(size: number): Optics {
  return { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, widthPx: size, heightPx: size, gainEPerAdu: 1, readNoiseE: 3, darkCurrentEPerS: 0, biasAdu: 500, fullWellE: 200000, vignetting: { kind: 'none' } };
}

/** TAN WCS at (ra, dec) with scale s″/px, rotation and parity; optional SIP. */
function truthWcs(size: number, ra: number, dec: number, scale: number, rotDeg: number, flip: boolean, sip = false): Wcs {
  const s = scale / 3600;
  const r = (rotDeg * Math.PI) / 180;
  const p = flip ? -1 : 1;
  const c = Math.cos(r);
  const n = Math.sin(r);
  const base = { crpix: [(size - 1) / 2, (size - 1) / 2] as [number, number], crval: [ra, dec] as [number, number], cd: [-s * c * p, s * n, s * n * p, s * c] as [number, number, number, number] };
  if (!sip) return createWcs(base);
  // About 3 px of barrel-like distortion at the corners of a 1024² frame.
  const k = 3 / 512 ** 3;
  return createWcs({
    ...base,
    sip: {
      a: { order: 3, terms: [{ p: 3, q: 0, value: k }, { p: 1, q: 2, value: k }, { p: 2, q: 0, value: 2e-6 }] },
      b: { order: 3, terms: [{ p: 0, q: 3, value: k }, { p: 2, q: 1, value: k }, { p: 1, q: 1, value: -1.5e-6 }] },
    },
  });
}

function detect(frame: { frame: ArrayLike<number>; width: number; height: number }): SourceXY[] {
  const data = Float32Array.from(frame.frame);
  const bg = estimateBackground(data, frame.width, frame.height);
  return detectSources({ data, width: frame.width, height: frame.height }, bg.level, bg.rms, { thresholdSigma: 3, minAreaPx: 5 }).sources;
}

function starsOf(cat: StarCatalog, ra: number, dec: number, r: number): CatalogStar[] {
  const c = coneQuery(cat, ra, dec, r);
  return Array.from(c.raDeg, (_, i) => ({ raDeg: c.raDeg[i], decDeg: c.decDeg[i], mag: c.mag[i] }));
}

interface Case {
  size: number;
  scale: number;
  rot: number;
  flip: boolean;
  sip?: boolean;
  hintOffsetDeg: number;
  hintRadiusDeg: number;
  seed: number;
}

function render(cat: StarCatalog, center: [number, number], k: Case): { sources: SourceXY[]; truth: Wcs; opts: SolveOptions } {
  const truth = truthWcs(k.size, center[0], center[1], k.scale, k.rot, k.flip, k.sip);
  const fovR = (k.size * k.scale * 0.75) / 3600;
  const frame = renderFrame({ wcs: truth, optics: optics(k.size), stars: starsOf(cat, center[0], center[1], fovR), exposureS: 30, seeingFwhmArcsec: Math.max(2.5, 2.2 * k.scale), seed: k.seed, skyMagPerArcsec2: 20 });
  // Hint displaced along position angle 40°.
  const pa = (40 * Math.PI) / 180;
  const dDec = k.hintOffsetDeg * Math.cos(pa);
  const dRa = (k.hintOffsetDeg * Math.sin(pa)) / Math.cos((center[1] * Math.PI) / 180);
  const opts: SolveOptions = {
    imageWidth: k.size,
    imageHeight: k.size,
    hint: { raDeg: center[0] + dRa, decDeg: center[1] + dDec, radiusDeg: k.hintRadiusDeg },
    scaleLowArcsecPerPx: k.scale * 0.8,
    scaleHighArcsecPerPx: k.scale * 1.25,
  };
  return { sources: detect(frame), truth, opts };
}

function expectSolved(cat: StarCatalog, sources: SourceXY[], truth: Wcs, opts: SolveOptions, scale: number, size: number): ReturnType<typeof solveHinted> {
  const stars = coneQuery(cat, opts.hint.raDeg, opts.hint.decDeg, solveConeRadiusDeg(opts));
  const r = solveHinted(sources, stars, opts);
  if (!r.solved) throw new Error(r.reason);
  const c = (size - 1) / 2;
  const [raT, decT] = pixToSky(truth, c, c);
  expect(angularSeparationDeg(r.raDeg, r.decDeg, raT, decT) * 3600).toBeLessThan(0.5 * scale);
  expect(Math.abs(r.scaleArcsecPerPx / pixelScaleArcsec(truth, [c, c]) - 1)).toBeLessThan(1e-3);
  expect(r.flipped).toBe(truth.cd[0] * truth.cd[3] - truth.cd[1] * truth.cd[2] > 0);
  expect(r.logOdds).toBeGreaterThan(Math.log(1e9));
  return r;
}

/** RMS (px) over a grid of the solved WCS's pixel position of the truth's sky position. */
function gridRmsPx(truth: Wcs, wcs: Wcs, size: number): number {
  let s = 0;
  let n = 0;
  for (let y = 0; y < size; y += size / 8) {
    for (let x = 0; x < size; x += size / 8) {
      const [ra, dec] = pixToSky(truth, x, y);
      const [x2, y2] = skyToPix(wcs, ra, dec);
      s += (x2 - x) ** 2 + (y2 - y) ** 2;
      n++;
    }
  }
  return Math.sqrt(s / n);
}

describe('solveHinted on real Tycho-2 positions (M67)', () => {
  const center: [number, number] = [132.834, 11.812];
  const cases: Case[] = [
    { size: 1024, scale: 2, rot: 0, flip: false, hintOffsetDeg: 0, hintRadiusDeg: 0.2, seed: 1 },
    { size: 1024, scale: 2, rot: 73, flip: false, hintOffsetDeg: 0.15, hintRadiusDeg: 0.2, seed: 2 },
    { size: 1024, scale: 2.5, rot: 200, flip: true, hintOffsetDeg: 0.1, hintRadiusDeg: 0.1, seed: 3 },
    { size: 768, scale: 3, rot: -120, flip: false, hintOffsetDeg: 0.2, hintRadiusDeg: 0.25, seed: 4 },
  ];
  for (const k of cases) {
    it(`scale ${k.scale}″/px, rotation ${k.rot}°${k.flip ? ', mirrored' : ''}, hint ${k.hintOffsetDeg}° off`, () => {
      const { sources, truth, opts } = render(M67_CAT, center, k);
      const r = expectSolved(M67_CAT, sources, truth, opts, k.scale, k.size);
      if (r.solved) expect(r.matched).toBeGreaterThanOrEqual(10);
    });
  }
});

describe('solveHinted on a dense random field', () => {
  const center: [number, number] = [83.8, -5.4];
  const field = randomStarField({ raDeg: center[0], decDeg: center[1], radiusDeg: 0.8, magBright: 7, magFaint: 14.5, seed: 11 });
  const cat = buildCatalog({ raDeg: field.map((s) => s.raDeg), decDeg: field.map((s) => s.decDeg), mag: field.map((s) => s.mag), epochYr: 2016 });
  const cases: Case[] = [
    { size: 1024, scale: 0.5, rot: 30, flip: false, hintOffsetDeg: 0.05, hintRadiusDeg: 0.1, seed: 5 },
    { size: 1024, scale: 1.2, rot: 145, flip: true, hintOffsetDeg: 0.3, hintRadiusDeg: 0.3, seed: 6 },
    { size: 1024, scale: 1.0, rot: -10, flip: false, hintOffsetDeg: 0.25, hintRadiusDeg: 0.3, seed: 7 },
  ];
  for (const k of cases) {
    it(`scale ${k.scale}″/px, rotation ${k.rot}°${k.flip ? ', mirrored' : ''}, hint ${k.hintOffsetDeg}° off`, () => {
      const { sources, truth, opts } = render(cat, center, k);
      const r = expectSolved(cat, sources, truth, opts, k.scale, k.size);
      if (r.solved) expect(gridRmsPx(truth, r.wcs, k.size)).toBeLessThan(0.1);
    });
  }

  it('recovers SIP distortion: WCS error < 0.05 px RMS over the frame', () => {
    const k: Case = { size: 1024, scale: 1.0, rot: 25, flip: false, sip: true, hintOffsetDeg: 0.1, hintRadiusDeg: 0.2, seed: 8 };
    const { sources, truth, opts } = render(cat, center, k);
    const r = expectSolved(cat, sources, truth, opts, k.scale, k.size);
    if (!r.solved) return;
    expect(r.sipOrder).toBeGreaterThanOrEqual(2);
    expect(gridRmsPx(truth, r.wcs, k.size)).toBeLessThan(0.05);
    // A plain TAN cannot do this: the distortion is ~3 px at the corners.
    const tan = solveHinted(sources, coneQuery(cat, opts.hint.raDeg, opts.hint.decDeg, solveConeRadiusDeg(opts)), { ...opts, sipOrder: 0 });
    if (tan.solved) expect(gridRmsPx(truth, tan.wcs, k.size)).toBeGreaterThan(0.3);
  });

  it('fails with a typed reason on a wrong-field hint (never a false solve)', () => {
    const k: Case = { size: 1024, scale: 1.0, rot: 0, flip: false, hintOffsetDeg: 0, hintRadiusDeg: 0.3, seed: 9 };
    const { sources, opts } = render(cat, center, k);
    // The same catalog density, other stars: a random field elsewhere.
    const other = randomStarField({ raDeg: 200, decDeg: 30, radiusDeg: 0.8, magBright: 7, magFaint: 14.5, seed: 12 });
    const otherCat = buildCatalog({ raDeg: other.map((s) => s.raDeg), decDeg: other.map((s) => s.decDeg), mag: other.map((s) => s.mag), epochYr: 2016 });
    const wrong = { ...opts, hint: { raDeg: 200, decDeg: 30, radiusDeg: 0.3 } };
    const r = solveHinted(sources, coneQuery(otherCat, 200, 30, solveConeRadiusDeg(wrong)), wrong);
    expect(r.solved).toBe(false);
    if (!r.solved) {
      expect(['NO_QUAD_MATCH', 'VERIFICATION_BELOW_THRESHOLD']).toContain(r.code);
      expect(r.reason).toMatch(/^solve_failed: (no quad match|verification below threshold)/);
      expect(r.bestLogOdds).toBeLessThan(Math.log(1e9));
    }
  });

  it('fails on a frame of pure noise', () => {
    const truth = truthWcs(1024, center[0], center[1], 1, 0, false);
    const frame = renderFrame({ wcs: truth, optics: optics(1024), stars: [], exposureS: 30, seeingFwhmArcsec: 2.5, seed: 10, skyMagPerArcsec2: 20 });
    const sources = detect(frame);
    const opts: SolveOptions = { imageWidth: 1024, imageHeight: 1024, hint: { raDeg: center[0], decDeg: center[1], radiusDeg: 0.3 }, scaleLowArcsecPerPx: 0.8, scaleHighArcsecPerPx: 1.25 };
    const r = solveHinted(sources, coneQuery(cat, center[0], center[1], solveConeRadiusDeg(opts)), opts);
    expect(r.solved).toBe(false);
    if (!r.solved) expect(r.reason).toMatch(/^solve_failed: /);
  });
});
