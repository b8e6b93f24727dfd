/**
 * Test frames with known truth for the solvers: real Tycho-2 stars from the committed cones
 * (test/fixtures/astrometry/cones), rendered through a known TAN(-SIP) WCS with a Moffat PSF,
 * sky, Poisson and read noise (science/sky renderFrame), plus stars the catalog does not have
 * (a seeded random field fainter than Tycho-2's limit) and a colour scatter between catalog and
 * camera magnitudes, then detected with science/image.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildCatalog, coneQuery, mergeStarLists, parseCatalogCsv, type SourceXY, type StarCatalog } from '../../../src/science/astrometry/index.js';
import { estimateBackground } from '../../../src/science/image/background.js';
import { detectSources } from '../../../src/science/image/detect.js';
import { Rng } from '../../../src/science/inference/random.js';
import { randomStarField, renderFrame, type CatalogStar, type Optics } from '../../../src/science/sky/index.js';
import { angularSeparationDeg, createWcs, pixelScaleArcsec, pixToSky, skyToPix, type Wcs } from '../../../src/science/wcs/index.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
const CONES = join(ROOT, 'test/fixtures/astrometry/cones');

export interface Cone {
  name: string;
  raDeg: number;
  decDeg: number;
  radiusDeg: number;
}

/** The committed cones (centre and radius from each file's first line). */
export function loadCones(): { cones: Cone[]; catalog: StarCatalog } {
  const files = readdirSync(CONES).filter((f) => f.endsWith('.csv')).sort();
  const cones: Cone[] = [];
  const lists = files.map((f) => {
    const text = readFileSync(join(CONES, f), 'utf8');
    const m = /within ([\d.]+) deg of \(([-\d.]+), ([-\d.]+)\)/.exec(text.split('\n')[0]);
    if (!m) throw new Error(`${f}: no cone description on the first line`);
    cones.push({ name: f.replace(/\.csv$/, ''), raDeg: Number(m[2]), decDeg: Number(m[3]), radiusDeg: Number(m[1]) });
    return parseCatalogCsv(text, { file: f });
  });
  return { cones, catalog: buildCatalog(mergeStarLists(lists)) };
}

export interface FrameSpec {
  size: number;
  scale: number;
  rotDeg: number;
  flip: boolean;
  raDeg: number;
  decDeg: number;
  /** Scale D (px) of the SIP distortion: cubic and quadratic terms displacing the corners by ≈ 3.1 D. 0 for none. */
  distortionPx?: number;
  seed: number;
  seeingPx?: number;
  /** Stars not in the catalog: faint limit of the extra random field (default 14). */
  extraFaintMag?: number;
  /** Catalog → camera magnitude scatter (uniform ±, default 0.3). */
  colourScatterMag?: number;
  /** Replace the catalog stars by a random field of the same brightness range (a field the catalog does not know). */
  foreign?: boolean;
  trail?: { lengthPx: number; angleDeg: number };
  /** Scale the number of faint extra stars (crowding). */
  extraDensity?: number;
  exposureS?: number;
}

export function truthWcs(s: Pick<FrameSpec, 'size' | 'scale' | 'rotDeg' | 'flip' | 'raDeg' | 'decDeg' | 'distortionPx'>): Wcs {
  const d = s.scale / 3600;
  const r = (s.rotDeg * Math.PI) / 180;
  const p = s.flip ? -1 : 1;
  const base = {
    crpix: [(s.size - 1) / 2, (s.size - 1) / 2] as [number, number],
    crval: [((s.raDeg % 360) + 360) % 360, s.decDeg] as [number, number],
    cd: [-d * Math.cos(r) * p, d * Math.sin(r), d * Math.sin(r) * p, d * Math.cos(r)] as [number, number, number, number],
  };
  if (!s.distortionPx) return createWcs(base);
  const k = s.distortionPx / (s.size / 2) ** 3;
  return createWcs({
    ...base,
    sip: {
      a: { order: 3, terms: [{ p: 3, q: 0, value: k }, { p: 1, q: 2, value: k }, { p: 2, q: 0, value: (0.3 * s.distortionPx) / (s.size / 2) ** 2 }] },
      b: { order: 3, terms: [{ p: 0, q: 3, value: k }, { p: 2, q: 1, value: k }, { p: 1, q: 1, value: (-0.2 * s.distortionPx) / (s.size / 2) ** 2 }] },
    },
  });
}

function optics(size: number): Optics {
  return { apertureMm: 80, focalLengthMm: 400, pixelSizeUm: 3.76, widthPx: size, heightPx: size, gainEPerAdu: 1, readNoiseE: 4, darkCurrentEPerS: 0, biasAdu: 500, fullWellE: 60000, vignetting: { kind: 'none' } };
}

export interface TestFrame {
  sources: SourceXY[];
  truth: Wcs;
  spec: FrameSpec;
  catalogStarsOnChip: number;
}

export function renderTestFrame(catalog: StarCatalog, spec: FrameSpec): TestFrame {
  const truth = truthWcs(spec);
  const fovR = (spec.size * spec.scale * 0.75) / 3600;
  const rng = new Rng(spec.seed * 7919 + 13);
  const scatter = spec.colourScatterMag ?? 0.3;
  const ra = ((spec.raDeg % 360) + 360) % 360;
  let stars: CatalogStar[];
  const cone = coneQuery(catalog, ra, spec.decDeg, fovR);
  if (spec.foreign) {
    // Same number of stars over the same magnitudes, at random positions.
    const n = cone.raDeg.length;
    const field = randomStarField({ raDeg: ra, decDeg: spec.decDeg, radiusDeg: fovR, magBright: 7, magFaint: 11.5, seed: spec.seed + 1_000_000 });
    stars = field.slice(0, Math.max(n, 10)).map((s, i) => ({ ...s, mag: i < n ? cone.mag[i] : s.mag }));
  } else {
    stars = Array.from(cone.raDeg, (_, i) => ({ raDeg: cone.raDeg[i], decDeg: cone.decDeg[i], mag: cone.mag[i] + scatter * (2 * rng.uniform() - 1) }));
  }
  const extra = randomStarField({ raDeg: ra, decDeg: spec.decDeg, radiusDeg: fovR, magBright: 11.5, magFaint: spec.extraFaintMag ?? 14, seed: spec.seed + 2_000_000, densityAtRefMag: 700 * (spec.extraDensity ?? 1) });
  const fr = renderFrame({
    wcs: truth,
    optics: optics(spec.size),
    stars: stars.concat(extra),
    exposureS: spec.exposureS ?? 10,
    seeingFwhmArcsec: (spec.seeingPx ?? 2.5) * spec.scale,
    seed: spec.seed,
    skyMagPerArcsec2: 19.5,
    trail: spec.trail,
  });
  const data = Float32Array.from(fr.frame);
  const bg = estimateBackground(data, spec.size, spec.size);
  const sources = detectSources({ data, width: spec.size, height: spec.size }, bg.level, bg.rms, { thresholdSigma: 3, minAreaPx: 5, saturationLevel: fr.meta.saturationAdu }).sources;
  return { sources, truth, spec, catalogStarsOnChip: spec.foreign ? 0 : fr.stars.filter((s) => s.index < stars.length).length };
}

/** A random pointing inside a cone such that the frame stays within it. */
export function pointingIn(cone: Cone, fieldDeg: number, rng: Rng): { raDeg: number; decDeg: number } {
  const off = Math.max(0, cone.radiusDeg - 0.75 * fieldDeg) * Math.sqrt(rng.uniform());
  const pa = 2 * Math.PI * rng.uniform();
  const decDeg = cone.decDeg + off * Math.cos(pa);
  const raDeg = cone.raDeg + (off * Math.sin(pa)) / Math.cos((decDeg * Math.PI) / 180);
  return { raDeg: ((raDeg % 360) + 360) % 360, decDeg };
}

/** Errors of a solution against the truth: centre (″), relative scale, RMS over a grid (px). */
export function solutionErrors(truth: Wcs, wcs: Wcs, size: number): { centreArcsec: number; scaleRel: number; gridRmsPx: number } {
  const c = (size - 1) / 2;
  const [raT, decT] = pixToSky(truth, c, c);
  const [raS, decS] = pixToSky(wcs, c, c);
  let s = 0;
  let n = 0;
  for (let y = 0; y < size; y += size / 8) {
    for (let x = 0; x < size; x += size / 8) {
      const [r, d] = pixToSky(truth, x, y);
      const [x2, y2] = skyToPix(wcs, r, d);
      s += (x2 - x) ** 2 + (y2 - y) ** 2;
      n++;
    }
  }
  return {
    centreArcsec: angularSeparationDeg(raS, decS, raT, decT) * 3600,
    scaleRel: pixelScaleArcsec(wcs, [c, c]) / pixelScaleArcsec(truth, [c, c]) - 1,
    gridRmsPx: Math.sqrt(s / n),
  };
}
