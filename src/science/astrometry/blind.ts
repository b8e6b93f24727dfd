/**
 * Blind plate solving: detected sources + a sky index (sky-index.ts) + the catalog it was built
 * from → TAN(-SIP), with no position hint.
 *
 * The brightest image sources form quads (both parities), taken in depth order (quads of the
 * brightest stars first). Each code is looked up in the index within the code tolerance; a hit
 * names four catalog stars, which are projected on the plane tangent at their backbone midpoint
 * to give the similarity pixels → sky. A similarity whose scale is allowed proposes a field;
 * the catalog stars of that field (a cone query) are verified exactly as in the hinted solver
 * (verify.ts), and an accepted alignment is refined the same way (refine.ts).
 */
import { performance } from 'node:perf_hooks';
import { coneQuery, type StarCatalog } from './catalog.js';
import { requireFinite } from './errors.js';
import { alignmentOddsFor, completeSolve, imageQuads, prepareSources, resolveMatchOptions, solveFailure, type MatchOptions, type SolveResult, type SourceXY } from './solve.js';
import { checkIndexCatalog, searchIndex, type SkyIndex } from './sky-index.js';
import { deproject, fitSimilarity, pixToPlane, projectStars, similarityScale, type Similarity } from './similarity.js';

export interface BlindSolveOptions extends MatchOptions {
  imageWidth: number;
  imageHeight: number;
  /** Allowed pixel scale; default whatever the index's quad sizes allow. */
  scaleLowArcsecPerPx?: number;
  scaleHighArcsecPerPx?: number;
  /** Observation epoch (Julian year) for proper motion in verification and refinement. */
  epochYr?: number;
}

const D2R = Math.PI / 180;

/** Pixel scales (″/px) an index can solve for an image of this size. */
export function indexScaleRange(index: SkyIndex, width: number, height: number): [number, number] {
  const lo = Math.min(...index.levels.map((l) => l.sizeLoDeg));
  const hi = Math.max(...index.levels.map((l) => l.sizeHiDeg));
  const minDim = Math.min(width, height);
  return [(lo * 3600) / Math.hypot(width, height), (hi * 3600) / (0.1 * minDim)];
}

export function solveBlind(sources: readonly SourceXY[], index: SkyIndex, catalog: StarCatalog, opts: BlindSolveOptions): SolveResult {
  const t0 = performance.now();
  const W = requireFinite(opts.imageWidth, 'imageWidth', 1, 1e6);
  const H = requireFinite(opts.imageHeight, 'imageHeight', 1, 1e6);
  checkIndexCatalog(index, catalog);
  const [defLo, defHi] = indexScaleRange(index, W, H);
  const sLo = requireFinite(opts.scaleLowArcsecPerPx ?? defLo, 'scaleLowArcsecPerPx', 1e-4, 36000);
  const sHi = requireFinite(opts.scaleHighArcsecPerPx ?? defHi, 'scaleHighArcsecPerPx', sLo, 36000);
  if (opts.epochYr !== undefined) requireFinite(opts.epochYr, 'epochYr', -10000, 10000);
  const m = resolveMatchOptions(opts, { quadSources: 30, timeLimitS: 30 });
  if (index.levels.length === 0 || index.keys.length === 0) return solveFailure(t0, 'TOO_FEW_STARS', 'the sky index holds no quads');
  const prep = prepareSources(sources, W, H, m);
  if (prep.quadX.length < 4) return solveFailure(t0, 'TOO_FEW_SOURCES', `only ${prep.quadX.length} usable sources (4 needed for a quad)`);

  // Image quads whose size, at an allowed scale, is one the index holds.
  const dLo = Math.min(...index.levels.map((l) => l.sizeLoDeg)) * 3600;
  const dHi = Math.max(...index.levels.map((l) => l.sizeHiDeg)) * 3600;
  const minDim = Math.min(W, H);
  const minPx = Math.max(0.1 * minDim, dLo / sHi);
  const maxPx = Math.min(Math.hypot(W, H), dHi / sLo);
  if (!(minPx <= maxPx)) return solveFailure(t0, 'NO_QUAD_MATCH', `no quad size fits both the image and the index at ${sLo}–${sHi}″/px`);
  const iq = imageQuads(prep, minPx, maxPx);

  const halfDiagPx = 0.5 * Math.hypot(W, H);
  const cxp = (W - 1) / 2;
  const cyp = (H - 1) / 2;
  const code = new Float64Array(4);
  const zx = new Float64Array(4);
  const zy = new Float64Array(4);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const ra4 = new Float64Array(4);
  const dec4 = new Float64Array(4);
  const tmp = new Float64Array(2);
  const hits: number[] = [];
  let candidates = 0;
  let best = -Infinity;
  const tol = m.codeTolerance;
  for (const q of iq.order) {
    for (let par = 0; par < 2; par++) {
      const set = iq.sets[par];
      for (let k = 0; k < 4; k++) code[k] = set.codes[4 * q + k];
      hits.length = 0;
      searchIndex(index, code, tol, (h) => hits.push(h));
      for (const h of hits) {
        for (let k = 0; k < 4; k++) {
          const id = index.stars[4 * h + k];
          ra4[k] = catalog.raDeg[id];
          dec4[k] = catalog.decDeg[id];
          const si = set.stars[4 * q + k];
          zx[k] = prep.quadX[si];
          zy[k] = prep.quadY[si];
        }
        // Tangent point: the backbone midpoint.
        const [raT, decT] = midpoint(ra4[0], dec4[0], ra4[1], dec4[1]);
        projectPoints(ra4, dec4, raT, decT, wx, wy);
        const t: Similarity = fitSimilarity(zx, zy, wx, wy, par === 0 ? 1 : -1);
        const scale = similarityScale(t);
        if (!(scale >= sLo * 0.99 && scale <= sHi * 1.01)) continue;
        candidates++;
        pixToPlane(t, cxp, cyp, tmp);
        const [raC, decC] = deproject(raT, decT, tmp[0], tmp[1]);
        const coneDeg = (halfDiagPx * scale * 1.05) / 3600;
        const cone = coneQuery(catalog, raC, decC, coneDeg, { epochYr: opts.epochYr });
        const plane = projectStars(cone, raT, decT, coneDeg + (Math.hypot(tmp[0], tmp[1]) / 3600) * 1.01 + 1e-6);
        const quadStars: number[] = [];
        for (let k = 0; k < 4; k++) quadStars.push(findStar(plane.ra, plane.dec, ra4[k], dec4[k]));
        const imgIdx = [0, 1, 2, 3].map((k) => prep.quadVerifyIndex[set.stars[4 * q + k]]);
        const qcx = (zx[0] + zx[1] + zx[2] + zx[3]) / 4;
        const qcy = (zy[0] + zy[1] + zy[2] + zy[3]) / 4;
        const lo = alignmentOddsFor(prep, t, plane, quadStars, imgIdx, set.sizes[q], qcx, qcy, m.verifySigmaPx);
        if (lo > best) best = lo;
        if (lo >= m.logOddsAccept) {
          const done = completeSolve(t0, prep, plane, t, m, lo, candidates);
          if (done) return done;
        }
        if (candidates >= m.maxCandidates) {
          return solveFailure(t0, 'VERIFICATION_BELOW_THRESHOLD', `verification below threshold (best log-odds ${best.toFixed(1)} < ${m.logOddsAccept.toFixed(1)} over ${candidates} candidates, the most allowed)`, best, candidates);
        }
        if ((performance.now() - t0) / 1000 > m.timeLimitS) {
          return solveFailure(t0, 'TIME_LIMIT', `time limit of ${m.timeLimitS} s reached after ${candidates} candidates (best log-odds ${best.toFixed(1)})`, best, candidates);
        }
      }
    }
  }
  if (candidates === 0) return solveFailure(t0, 'NO_QUAD_MATCH', 'no quad match', best, candidates);
  return solveFailure(t0, 'VERIFICATION_BELOW_THRESHOLD', `verification below threshold (best log-odds ${best.toFixed(1)} < ${m.logOddsAccept.toFixed(1)} over ${candidates} candidates)`, best, candidates);
}

/** Great-circle midpoint of two directions, degrees. */
function midpoint(ra1: number, dec1: number, ra2: number, dec2: number): [number, number] {
  const a1 = ra1 * D2R;
  const d1 = dec1 * D2R;
  const a2 = ra2 * D2R;
  const d2 = dec2 * D2R;
  const x = Math.cos(d1) * Math.cos(a1) + Math.cos(d2) * Math.cos(a2);
  const y = Math.cos(d1) * Math.sin(a1) + Math.cos(d2) * Math.sin(a2);
  const z = Math.sin(d1) + Math.sin(d2);
  const ra = Math.atan2(y, x) / D2R;
  return [ra < 0 ? ra + 360 : ra, Math.atan2(z, Math.hypot(x, y)) / D2R];
}

/** Gnomonic projection (arcsec) of a few points about (ra0, dec0). */
function projectPoints(ra: Float64Array, dec: Float64Array, ra0: number, dec0: number, xi: Float64Array, eta: Float64Array): void {
  const sd0 = Math.sin(dec0 * D2R);
  const cd0 = Math.cos(dec0 * D2R);
  const k = 180 * 3600 / Math.PI;
  for (let i = 0; i < ra.length; i++) {
    const da = (ra[i] - ra0) * D2R;
    const d = dec[i] * D2R;
    const cd = Math.cos(d);
    const sd = Math.sin(d);
    const cosc = sd0 * sd + cd0 * cd * Math.cos(da);
    xi[i] = ((cd * Math.sin(da)) / cosc) * k;
    eta[i] = ((cd0 * sd - sd0 * cd * Math.cos(da)) / cosc) * k;
  }
}

function findStar(ra: Float64Array, dec: Float64Array, r: number, d: number): number {
  for (let i = 0; i < ra.length; i++) if (ra[i] === r && dec[i] === d) return i;
  return -1;
}
