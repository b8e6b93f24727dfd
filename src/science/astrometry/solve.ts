/**
 * Hinted plate solving: detected sources + a centre hint + a pixel-scale range → TAN(-SIP).
 *
 * 1. Catalog stars in the hint cone (widened by the image half-diagonal at the largest
 *    scale) are projected gnomonically about the hint (arcsec); a brightness-uniform subset
 *    (the brightest few per cell of a third of the field) forms the catalog quads, whose
 *    backbone lengths span what the image's quads can be at the allowed scales.
 * 2. The brightest image sources form quads in both parities (a mirrored optical train
 *    swaps the code's x and y). Each image code is looked up in the catalog codes within a
 *    tolerance; a hit whose implied scale is allowed and whose implied field centre is inside
 *    the hint radius gives a similarity transform (least squares on the four pairs).
 * 3. Verification (verify.ts): the odds that the other catalog stars land on sources by
 *    chance; accepted above ln(1e9).
 * 4. Refinement (refine.ts): TAN, and SIP where the residuals call for it, fitted to all
 *    matched stars.
 * The blind solver (blind.ts) shares steps 2-4 with a prebuilt sky index in place of step 1.
 */
import { performance } from 'node:perf_hooks';
import { isFlipped, pixelScaleArcsec, rotationDeg } from '../wcs/geometry.js';
import { pixToSky } from '../wcs/transform.js';
import type { Wcs } from '../wcs/wcs.js';
import type { CatalogStars } from './catalog.js';
import { AstrometryError, requireFinite } from './errors.js';
import { buildQuads, depthOrder, indexCodes, searchCodes, type QuadSet } from './quads.js';
import { refineWcs, type DistortionModel } from './refine.js';
import { fitSimilarity, planeToPix, projectStars, similarityToWcs, type Plane, type Similarity } from './similarity.js';
import { alignmentLogOdds, sourceField, type SourceField } from './verify.js';

export interface SourceXY {
  x: number;
  y: number;
  flux: number;
  /** Detection flags (science/image DetectFlag); TRUNCATED (8) sources are not used in quads. */
  flags?: number;
}

/** Matching, verification and refinement settings shared by the hinted and blind solvers. */
export interface MatchOptions {
  /** Brightest image sources used to form quads (default 20 hinted, 30 blind). */
  quadSources?: number;
  /** Brightest image sources used to verify (default 150) and refine (default 500). */
  verifySources?: number;
  refineSources?: number;
  /** Code-space matching tolerance (default 0.01). */
  codeTolerance?: number;
  /** Positional σ of a verified match near the quad, px (default 1). */
  verifySigmaPx?: number;
  /** Acceptance threshold on the log-odds (default ln 1e9). */
  logOddsAccept?: number;
  /** 'auto' (default): SIP order 2 or 3 only when the residuals call for it. */
  sipOrder?: 'auto' | 0 | 2 | 3;
  /** Give up after verifying this many candidates (default 50 000). */
  maxCandidates?: number;
  /** Give up after this many seconds of searching (default: no limit hinted, 30 s blind). */
  timeLimitS?: number;
}

export interface SolveOptions extends MatchOptions {
  imageWidth: number;
  imageHeight: number;
  /** Where the telescope pointed and how far off the image centre may be, degrees. */
  hint: { raDeg: number; decDeg: number; radiusDeg: number };
  scaleLowArcsecPerPx: number;
  scaleHighArcsecPerPx: number;
}

export interface SolveSuccess {
  solved: true;
  wcs: Wcs;
  /** Image centre, degrees. */
  raDeg: number;
  decDeg: number;
  scaleArcsecPerPx: number;
  /** Position angle of +y, east of north (science/wcs rotationDeg). */
  rotationDeg: number;
  flipped: boolean;
  sipOrder: 0 | 2 | 3;
  /** Distortion model fitted (refine.ts). */
  distortion: DistortionModel;
  matched: number;
  rmsPx: number;
  rmsArcsec: number;
  logOdds: number;
  seconds: number;
  candidates: number;
}

export type SolveFailureCode = 'TOO_FEW_SOURCES' | 'TOO_FEW_STARS' | 'NO_QUAD_MATCH' | 'VERIFICATION_BELOW_THRESHOLD' | 'TIME_LIMIT';

export interface SolveFailure {
  solved: false;
  code: SolveFailureCode;
  /** `solve_failed: …`, one line. */
  reason: string;
  /** Best log-odds among the candidates verified (−Infinity if none). */
  bestLogOdds: number;
  candidates: number;
  seconds: number;
}

export type SolveResult = SolveSuccess | SolveFailure;

export const DEFAULT_LOG_ODDS_ACCEPT = Math.log(1e9);

/** Radius (deg) of the catalog cone the solver needs for these options. */
export function solveConeRadiusDeg(opts: Pick<SolveOptions, 'imageWidth' | 'imageHeight' | 'hint' | 'scaleHighArcsecPerPx'>): number {
  return opts.hint.radiusDeg + (0.5 * Math.hypot(opts.imageWidth, opts.imageHeight) * opts.scaleHighArcsecPerPx * 1.05) / 3600;
}


/** MatchOptions with defaults applied and checked. */
export interface ResolvedMatchOptions {
  quadSources: number;
  verifySources: number;
  refineSources: number;
  codeTolerance: number;
  verifySigmaPx: number;
  logOddsAccept: number;
  sipOrder: 'auto' | 0 | 2 | 3;
  maxCandidates: number;
  timeLimitS: number;
}

export function resolveMatchOptions(opts: MatchOptions, defaults: { quadSources: number; timeLimitS: number }): ResolvedMatchOptions {
  const sipOrder = opts.sipOrder ?? 'auto';
  if (![0, 2, 3, 'auto'].includes(sipOrder)) throw new AstrometryError('BAD_ARGUMENT', `sipOrder ${String(sipOrder)} (expected 'auto', 0, 2 or 3)`, { parameter: 'sipOrder' });
  return {
    quadSources: Math.round(requireFinite(opts.quadSources ?? defaults.quadSources, 'quadSources', 4, 200)),
    verifySources: Math.round(requireFinite(opts.verifySources ?? 150, 'verifySources', 4, 10000)),
    refineSources: Math.round(requireFinite(opts.refineSources ?? 500, 'refineSources', 4, 100000)),
    codeTolerance: requireFinite(opts.codeTolerance ?? 0.01, 'codeTolerance', 1e-4, 0.1),
    verifySigmaPx: requireFinite(opts.verifySigmaPx ?? 1, 'verifySigmaPx', 0.01, 100),
    logOddsAccept: requireFinite(opts.logOddsAccept ?? DEFAULT_LOG_ODDS_ACCEPT, 'logOddsAccept', 0, 1e6),
    sipOrder,
    maxCandidates: Math.round(requireFinite(opts.maxCandidates ?? 50000, 'maxCandidates', 1, 1e9)),
    timeLimitS: opts.timeLimitS === undefined ? defaults.timeLimitS : requireFinite(opts.timeLimitS, 'timeLimitS', 0, Infinity),
  };
}

/** Image sources made ready for matching: quad stars, the verification field, refinement stars. */
export interface PreparedSources {
  width: number;
  height: number;
  /** Quad-forming sources, brightest first, and each one's index among the verification sources. */
  quadX: number[];
  quadY: number[];
  quadVerifyIndex: number[];
  field: SourceField;
  refineX: Float64Array;
  refineY: Float64Array;
}

/** Usable sources brightest first; TRUNCATED (flag 8) sources do not form quads. */
export function prepareSources(sources: readonly SourceXY[], width: number, height: number, m: ResolvedMatchOptions): PreparedSources {
  const good = sources.filter((s) => Number.isFinite(s.x) && Number.isFinite(s.y) && Number.isFinite(s.flux) && s.flux > 0).sort((a, b) => b.flux - a.flux);
  const verSrc = good.slice(0, m.verifySources);
  const verIndex = new Map<SourceXY, number>(verSrc.map((s, i) => [s, i]));
  const quadSrc = good.filter((s) => ((s.flags ?? 0) & 8) === 0).slice(0, m.quadSources);
  const refSrc = good.slice(0, m.refineSources);
  return {
    width,
    height,
    quadX: quadSrc.map((s) => s.x),
    quadY: quadSrc.map((s) => s.y),
    quadVerifyIndex: quadSrc.map((s) => verIndex.get(s) ?? -1),
    field: sourceField(
      Float64Array.from(verSrc, (s) => s.x),
      Float64Array.from(verSrc, (s) => s.y),
      width,
      height,
    ),
    refineX: Float64Array.from(refSrc, (s) => s.x),
    refineY: Float64Array.from(refSrc, (s) => s.y),
  };
}

/** The image's quads in both parities (the same quads; mirrored codes) and their depth order. */
export interface ImageQuads {
  sets: [QuadSet, QuadSet];
  order: Int32Array;
}

export function imageQuads(p: PreparedSources, minPx: number, maxPx: number): ImageQuads {
  const o = { minSize: minPx, maxSize: maxPx, maxInside: 10 };
  const normal = buildQuads(p.quadX, p.quadY, o, false);
  const mirrored = buildQuads(p.quadX, p.quadY, o, true);
  return { sets: [normal, mirrored], order: depthOrder(normal) };
}

/**
 * Log-odds of the alignment `t` (pixels → plane) of the plane's stars with the sources; the
 * quad's own stars (plane indices and source indices) are left out.
 */
export function alignmentOddsFor(p: PreparedSources, t: Similarity, plane: Plane, quadStars: readonly number[], quadSources: readonly number[], quadSizePx: number, qcx: number, qcy: number, sigmaPx: number): number {
  const n = plane.xi.length;
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  const tmp = new Float64Array(2);
  for (let i = 0; i < n; i++) {
    if (quadStars.includes(i)) {
      px[i] = NaN;
      py[i] = NaN;
      continue;
    }
    planeToPix(t, plane.xi[i], plane.eta[i], tmp);
    px[i] = tmp[0];
    py[i] = tmp[1];
  }
  return alignmentLogOdds(p.field, px, py, { sigmaPx, qcx, qcy, rq2: (quadSizePx / 2) ** 2 }, quadSources);
}

export function solveFailure(t0: number, code: SolveFailureCode, reason: string, best = -Infinity, candidates = 0): SolveFailure {
  return { solved: false, code, reason: `solve_failed: ${reason}`, bestLogOdds: best, candidates, seconds: (performance.now() - t0) / 1000 };
}

/** Refines an accepted alignment against the plane's stars and describes the solution. */
export function completeSolve(t0: number, p: PreparedSources, plane: Plane, t: Similarity, m: ResolvedMatchOptions, logOdds: number, candidates: number): SolveSuccess | undefined {
  const W = p.width;
  const H = p.height;
  const r = refineWcs(similarityToWcs(t, plane.raTanDeg, plane.decTanDeg), {
    raDeg: plane.ra,
    decDeg: plane.dec,
    x: p.refineX,
    y: p.refineY,
    width: W,
    height: H,
    sipMode: m.sipOrder,
    radiusPx: Math.max(5 * m.verifySigmaPx, 5),
  });
  if (!r) return undefined;
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const [raC, decC] = pixToSky(r.wcs, cx, cy);
  return {
    solved: true,
    wcs: r.wcs,
    raDeg: raC,
    decDeg: decC,
    scaleArcsecPerPx: pixelScaleArcsec(r.wcs, [cx, cy]),
    rotationDeg: rotationDeg(r.wcs, [cx, cy]),
    flipped: isFlipped(r.wcs, [cx, cy]),
    sipOrder: r.sipOrder,
    distortion: r.distortion,
    matched: r.matched,
    rmsPx: r.fit.rmsPx,
    rmsArcsec: r.fit.rmsArcsec,
    logOdds,
    seconds: (performance.now() - t0) / 1000,
    candidates,
  };
}

/** Indices of the brightest `perCell` stars in each square cell (input brightest first). */
function uniformize(p: Plane, cellArcsec: number, perCell: number): number[] {
  const counts = new Map<string, number>();
  const keep: number[] = [];
  for (let i = 0; i < p.xi.length; i++) {
    const key = `${Math.floor(p.xi[i] / cellArcsec)},${Math.floor(p.eta[i] / cellArcsec)}`;
    const c = counts.get(key) ?? 0;
    if (c < perCell) {
      keep.push(i);
      counts.set(key, c + 1);
    }
  }
  return keep;
}

export function solveHinted(sources: readonly SourceXY[], catalog: CatalogStars, opts: SolveOptions): SolveResult {
  const t0 = performance.now();
  const W = requireFinite(opts.imageWidth, 'imageWidth', 1, 1e6);
  const H = requireFinite(opts.imageHeight, 'imageHeight', 1, 1e6);
  const { raDeg: ra0, decDeg: dec0, radiusDeg } = opts.hint;
  requireFinite(ra0, 'hint.raDeg');
  requireFinite(dec0, 'hint.decDeg', -90, 90);
  requireFinite(radiusDeg, 'hint.radiusDeg', 0, 30);
  const sLo = requireFinite(opts.scaleLowArcsecPerPx, 'scaleLowArcsecPerPx', 1e-4, 3600);
  const sHi = requireFinite(opts.scaleHighArcsecPerPx, 'scaleHighArcsecPerPx', sLo, 3600);
  const m = resolveMatchOptions(opts, { quadSources: 20, timeLimitS: Infinity });
  if (catalog.decDeg.length !== catalog.raDeg.length || catalog.mag.length !== catalog.raDeg.length) {
    throw new AstrometryError('BAD_ARGUMENT', 'catalog columns differ in length', { parameter: 'catalog' });
  }
  const prep = prepareSources(sources, W, H, m);
  if (prep.quadX.length < 4) return solveFailure(t0, 'TOO_FEW_SOURCES', `only ${prep.quadX.length} usable sources (4 needed for a quad)`);

  // Catalog near the hint.
  const coneDeg = solveConeRadiusDeg(opts);
  const plane = projectStars(catalog, ra0, dec0, coneDeg, 200000);
  const nStars = plane.xi.length;
  if (nStars < 4) return solveFailure(t0, 'TOO_FEW_STARS', `only ${nStars} catalog stars within ${coneDeg.toFixed(3)}° of the hint`);
  const minDim = Math.min(W, H);
  const sMid = Math.sqrt(sLo * sHi);
  const cell = (minDim * sMid) / 3;
  const cellsPerField = (W * H * sMid * sMid) / (cell * cell);
  const perCell = Math.max(2, Math.ceil((1.5 * m.quadSources) / cellsPerField));
  const sel = uniformize(plane, cell, perCell);
  const minPx = 0.1 * minDim;
  const maxPx = minDim;
  const catQuads = buildQuads(
    sel.map((i) => plane.xi[i]),
    sel.map((i) => plane.eta[i]),
    { minSize: minPx * sLo * 0.99, maxSize: maxPx * sHi * 1.01, maxInside: 10 },
  );
  const index = indexCodes(catQuads, m.codeTolerance);
  const iq = imageQuads(prep, minPx, maxPx);

  const hintR = radiusDeg * 3600 * 1.02 + 2 * sHi;
  const cxp = (W - 1) / 2;
  const cyp = (H - 1) / 2;
  let candidates = 0;
  let best = -Infinity;
  const code = new Float64Array(4);
  const zx = new Float64Array(4);
  const zy = new Float64Array(4);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const hits: number[] = [];
  for (const q of iq.order) {
    for (let par = 0; par < 2; par++) {
      const set = iq.sets[par];
      for (let k = 0; k < 4; k++) code[k] = set.codes[4 * q + k];
      hits.length = 0;
      searchCodes(index, code, (cq) => hits.push(cq));
      for (const cq of hits) {
        const scale = catQuads.sizes[cq] / set.sizes[q];
        if (scale < sLo * 0.99 || scale > sHi * 1.01) continue;
        const catIdx: number[] = [];
        const imgIdx: number[] = [];
        for (let k = 0; k < 4; k++) {
          const si = set.stars[4 * q + k];
          const ci = sel[catQuads.stars[4 * cq + k]];
          zx[k] = prep.quadX[si];
          zy[k] = prep.quadY[si];
          wx[k] = plane.xi[ci];
          wy[k] = plane.eta[ci];
          catIdx.push(ci);
          imgIdx.push(prep.quadVerifyIndex[si]);
        }
        const t = fitSimilarity(zx, zy, wx, wy, par === 0 ? 1 : -1);
        // The image centre must land inside the hint circle.
        const cw = t.ar * cxp - t.ai * t.s * cyp + t.br;
        const ch = t.ai * cxp + t.ar * t.s * cyp + t.bi;
        if (Math.hypot(cw, ch) > hintR) continue;
        candidates++;
        const qcx = (zx[0] + zx[1] + zx[2] + zx[3]) / 4;
        const qcy = (zy[0] + zy[1] + zy[2] + zy[3]) / 4;
        const lo = alignmentOddsFor(prep, t, plane, catIdx, imgIdx, set.sizes[q], qcx, qcy, m.verifySigmaPx);
        if (lo > best) best = lo;
        if (lo >= m.logOddsAccept) {
          const done = completeSolve(t0, prep, plane, t, m, lo, candidates);
          if (done) return done;
        }
        if (candidates >= m.maxCandidates) return solveFailure(t0, 'VERIFICATION_BELOW_THRESHOLD', `verification below threshold (best log-odds ${best.toFixed(1)} < ${m.logOddsAccept.toFixed(1)} over ${candidates} candidates, the most allowed)`, best, candidates);
        if ((performance.now() - t0) / 1000 > m.timeLimitS) return solveFailure(t0, 'TIME_LIMIT', `time limit of ${m.timeLimitS} s reached after ${candidates} candidates (best log-odds ${best.toFixed(1)})`, best, candidates);
      }
    }
  }
  if (candidates === 0) return solveFailure(t0, 'NO_QUAD_MATCH', 'no quad match', best, candidates);
  return solveFailure(t0, 'VERIFICATION_BELOW_THRESHOLD', `verification below threshold (best log-odds ${best.toFixed(1)} < ${m.logOddsAccept.toFixed(1)} over ${candidates} candidates)`, best, candidates);
}
