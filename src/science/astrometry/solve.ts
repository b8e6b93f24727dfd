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
 * 3. Verification (after Lang et al. 2010 §2.4, simplified): the other catalog stars that
 *    land on the image are taken brightest first; under H1 (the match is right) each has a
 *    counterpart with probability p = 0.5 at a Gaussian offset of σ² = σ0²(1 + R²/Rq²) (R from
 *    the quad centre, Rq the quad radius; the similarity extrapolates), otherwise the nearest
 *    source is background; under H0 sources are uniform over the image with the observed
 *    density ρ. A star whose nearest unclaimed source lies within 3σ at distance d adds
 *    ln[(p·N₂(d; σ) + (1 − p)ρ)/ρ]; one with none adds ln(1 − p). The log-odds is the largest
 *    running sum (the catalog may go deeper than the image). Accepted above ln(1e9).
 * 4. Refinement: all catalog stars are matched to sources through the current WCS and a TAN
 *    is fitted with sigma clipping (science/wcs fitWcs); SIP of order 2, then 3, is kept when
 *    it lowers the RMS by more than 20 % with enough stars; matching and fitting repeat with
 *    a radius shrinking to a few RMS.
 */
import { performance } from 'node:perf_hooks';
import { fitWcs, type FitWcsResult } from '../wcs/fit.js';
import { isFlipped, pixelScaleArcsec, rotationDeg } from '../wcs/geometry.js';
import { pixToSky, skyToPixBatch } from '../wcs/transform.js';
import { createWcs, type Wcs } from '../wcs/wcs.js';
import type { CatalogStars } from './catalog.js';
import { AstrometryError, requireFinite } from './errors.js';
import { buildQuads, indexCodes, searchCodes } from './quads.js';

export interface SourceXY {
  x: number;
  y: number;
  flux: number;
  /** Detection flags (science/image DetectFlag); TRUNCATED (8) sources are not used in quads. */
  flags?: number;
}

export interface SolveOptions {
  imageWidth: number;
  imageHeight: number;
  /** Where the telescope pointed and how far off the image centre may be, degrees. */
  hint: { raDeg: number; decDeg: number; radiusDeg: number };
  scaleLowArcsecPerPx: number;
  scaleHighArcsecPerPx: number;
  /** Brightest image sources used to form quads (default 20). */
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
  matched: number;
  rmsPx: number;
  rmsArcsec: number;
  logOdds: number;
  seconds: number;
  candidates: number;
}

export type SolveFailureCode = 'TOO_FEW_SOURCES' | 'TOO_FEW_STARS' | 'NO_QUAD_MATCH' | 'VERIFICATION_BELOW_THRESHOLD';

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

const ARCSEC = Math.PI / (180 * 3600);
export const DEFAULT_LOG_ODDS_ACCEPT = Math.log(1e9);
const P_MATCH = 0.5;

/** Radius (deg) of the catalog cone the solver needs for these options. */
export function solveConeRadiusDeg(opts: Pick<SolveOptions, 'imageWidth' | 'imageHeight' | 'hint' | 'scaleHighArcsecPerPx'>): number {
  return opts.hint.radiusDeg + (0.5 * Math.hypot(opts.imageWidth, opts.imageHeight) * opts.scaleHighArcsecPerPx * 1.05) / 3600;
}

interface Plane {
  xi: Float64Array; // arcsec, east
  eta: Float64Array; // arcsec, north
  ra: Float64Array;
  dec: Float64Array;
}

/** Gnomonic projection about (ra0, dec0) of the stars within radiusDeg, brightest first. */
function projectStars(stars: CatalogStars, ra0: number, dec0: number, radiusDeg: number, limit: number): Plane {
  const d2r = Math.PI / 180;
  const sd0 = Math.sin(dec0 * d2r);
  const cd0 = Math.cos(dec0 * d2r);
  const cosR = Math.cos(radiusDeg * d2r);
  const idx: number[] = [];
  const n = stars.raDeg.length;
  const xi = new Float64Array(n);
  const eta = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const da = (stars.raDeg[i] - ra0) * d2r;
    const d = stars.decDeg[i] * d2r;
    const cd = Math.cos(d);
    const sd = Math.sin(d);
    const cosc = sd0 * sd + cd0 * cd * Math.cos(da);
    if (!(cosc >= cosR) || !Number.isFinite(stars.mag[i])) continue;
    xi[i] = (cd * Math.sin(da)) / cosc / ARCSEC;
    eta[i] = (cd0 * sd - sd0 * cd * Math.cos(da)) / cosc / ARCSEC;
    idx.push(i);
  }
  idx.sort((a, b) => stars.mag[a] - stars.mag[b]);
  if (idx.length > limit) idx.length = limit;
  return {
    xi: Float64Array.from(idx, (i) => xi[i]),
    eta: Float64Array.from(idx, (i) => eta[i]),
    ra: Float64Array.from(idx, (i) => stars.raDeg[i]),
    dec: Float64Array.from(idx, (i) => stars.decDeg[i]),
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

/** w = a·z + b in complex numbers, z = x + i·s·y (pixels), w = ξ + iη (arcsec). */
interface Similarity {
  ar: number;
  ai: number;
  br: number;
  bi: number;
  s: 1 | -1;
}

function fitSimilarity(zx: number[], zy: number[], wx: number[], wy: number[], s: 1 | -1): Similarity {
  const n = zx.length;
  let mzx = 0;
  let mzy = 0;
  let mwx = 0;
  let mwy = 0;
  for (let i = 0; i < n; i++) {
    mzx += zx[i] / n;
    mzy += (s * zy[i]) / n;
    mwx += wx[i] / n;
    mwy += wy[i] / n;
  }
  let nr = 0;
  let ni = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const ux = zx[i] - mzx;
    const uy = s * zy[i] - mzy;
    const vx = wx[i] - mwx;
    const vy = wy[i] - mwy;
    // (v)·conj(u)
    nr += vx * ux + vy * uy;
    ni += vy * ux - vx * uy;
    den += ux * ux + uy * uy;
  }
  const ar = nr / den;
  const ai = ni / den;
  return { ar, ai, br: mwx - (ar * mzx - ai * mzy), bi: mwy - (ar * mzy + ai * mzx), s };
}

/** Pixel position of plane point (ξ, η) under the similarity. */
function planeToPix(t: Similarity, xi: number, eta: number, out: Float64Array): void {
  const wr = xi - t.br;
  const wi = eta - t.bi;
  const m = t.ar * t.ar + t.ai * t.ai;
  out[0] = (wr * t.ar + wi * t.ai) / m;
  out[1] = (t.s * (wi * t.ar - wr * t.ai)) / m;
}

function similarityToWcs(t: Similarity, ra0: number, dec0: number): Wcs {
  // ξ = ar·x − ai·s·y + br, η = ai·x + ar·s·y + bi (arcsec) → CD (deg/px), CRPIX = −CD⁻¹·b.
  const cd: [number, number, number, number] = [t.ar / 3600, (-t.ai * t.s) / 3600, t.ai / 3600, (t.ar * t.s) / 3600];
  const det = cd[0] * cd[3] - cd[1] * cd[2];
  const bx = t.br / 3600;
  const by = t.bi / 3600;
  const crpix: [number, number] = [-(cd[3] * bx - cd[1] * by) / det, -(-cd[2] * bx + cd[0] * by) / det];
  return createWcs({ crpix, crval: [((ra0 % 360) + 360) % 360, dec0], cd });
}

/** Greedy one-to-one matching of predicted positions to sources within radius[i], closest pairs first. */
function matchPoints(px: Float64Array, py: Float64Array, radius: Float64Array, sx: Float64Array, sy: Float64Array, cellPx: number): Array<[number, number, number]> {
  const grid = new Map<number, number[]>();
  const key = (cx: number, cy: number): number => cx * 100003 + cy;
  for (let j = 0; j < sx.length; j++) {
    const k = key(Math.floor(sx[j] / cellPx), Math.floor(sy[j] / cellPx));
    const b = grid.get(k);
    if (b) b.push(j);
    else grid.set(k, [j]);
  }
  const pairs: Array<[number, number, number]> = [];
  for (let i = 0; i < px.length; i++) {
    const r = radius[i];
    if (!(r > 0)) continue;
    const cx0 = Math.floor((px[i] - r) / cellPx);
    const cx1 = Math.floor((px[i] + r) / cellPx);
    const cy0 = Math.floor((py[i] - r) / cellPx);
    const cy1 = Math.floor((py[i] + r) / cellPx);
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let cy = cy0; cy <= cy1; cy++) {
        const b = grid.get(key(cx, cy));
        if (!b) continue;
        for (const j of b) {
          const d = Math.hypot(sx[j] - px[i], sy[j] - py[i]);
          if (d <= r) pairs.push([i, j, d]);
        }
      }
    }
  }
  pairs.sort((a, b) => a[2] - b[2]);
  const usedI = new Uint8Array(px.length);
  const usedJ = new Uint8Array(sx.length);
  const out: Array<[number, number, number]> = [];
  for (const p of pairs) {
    if (usedI[p[0]] || usedJ[p[1]]) continue;
    usedI[p[0]] = 1;
    usedJ[p[1]] = 1;
    out.push(p);
  }
  return out;
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
  const nQuad = Math.round(requireFinite(opts.quadSources ?? 20, 'quadSources', 4, 200));
  const nVerify = Math.round(requireFinite(opts.verifySources ?? 150, 'verifySources', 4, 10000));
  const nRefine = Math.round(requireFinite(opts.refineSources ?? 500, 'refineSources', 4, 100000));
  const tol = requireFinite(opts.codeTolerance ?? 0.01, 'codeTolerance', 1e-4, 0.1);
  const sigma0 = requireFinite(opts.verifySigmaPx ?? 1, 'verifySigmaPx', 0.01, 100);
  const accept = requireFinite(opts.logOddsAccept ?? DEFAULT_LOG_ODDS_ACCEPT, 'logOddsAccept', 0, 1e6);
  const maxCandidates = opts.maxCandidates ?? 50000;
  const sipMode = opts.sipOrder ?? 'auto';
  if (![0, 2, 3, 'auto'].includes(sipMode)) throw new AstrometryError('BAD_ARGUMENT', `sipOrder ${String(sipMode)}`, { parameter: 'sipOrder' });
  if (catalog.decDeg.length !== catalog.raDeg.length || catalog.mag.length !== catalog.raDeg.length) {
    throw new AstrometryError('BAD_ARGUMENT', 'catalog columns differ in length', { parameter: 'catalog' });
  }
  const fail = (code: SolveFailureCode, reason: string, best = -Infinity, candidates = 0): SolveFailure => ({
    solved: false,
    code,
    reason: `solve_failed: ${reason}`,
    bestLogOdds: best,
    candidates,
    seconds: (performance.now() - t0) / 1000,
  });

  // Image sources, brightest first.
  const good = sources.filter((s) => Number.isFinite(s.x) && Number.isFinite(s.y) && Number.isFinite(s.flux) && s.flux > 0).sort((a, b) => b.flux - a.flux);
  const quadSrc = good.filter((s) => ((s.flags ?? 0) & 8) === 0).slice(0, nQuad);
  if (quadSrc.length < 4) return fail('TOO_FEW_SOURCES', `only ${quadSrc.length} usable sources (4 needed for a quad)`);
  const verSrc = good.slice(0, nVerify);
  const vx = Float64Array.from(verSrc, (s) => s.x);
  const vy = Float64Array.from(verSrc, (s) => s.y);
  const srcIndexInVerify = new Map<SourceXY, number>(verSrc.map((s, i) => [s, i]));

  // Catalog near the hint.
  const coneDeg = solveConeRadiusDeg(opts);
  const plane = projectStars(catalog, ra0, dec0, coneDeg, 200000);
  const nStars = plane.xi.length;
  if (nStars < 4) return fail('TOO_FEW_STARS', `only ${nStars} catalog stars within ${coneDeg.toFixed(3)}° of the hint`);
  const minDim = Math.min(W, H);
  const sMid = Math.sqrt(sLo * sHi);
  const cell = (minDim * sMid) / 3;
  const cellsPerField = (W * H * sMid * sMid) / (cell * cell);
  const perCell = Math.max(2, Math.ceil((1.5 * nQuad) / cellsPerField));
  const sel = uniformize(plane, cell, perCell);
  const minPx = 0.1 * minDim;
  const maxPx = minDim;
  const catQuads = buildQuads(
    sel.map((i) => plane.xi[i]),
    sel.map((i) => plane.eta[i]),
    { minSize: minPx * sLo * 0.99, maxSize: maxPx * sHi * 1.01, maxInside: 10 },
  );
  const index = indexCodes(catQuads, tol);
  const qx = quadSrc.map((s) => s.x);
  const qy = quadSrc.map((s) => s.y);
  const imgQuads = [buildQuads(qx, qy, { minSize: minPx, maxSize: maxPx, maxInside: 10 }, false), buildQuads(qx, qy, { minSize: minPx, maxSize: maxPx, maxInside: 10 }, true)];

  // Catalog stars on the image under a similarity, brightest first, for verification.
  const tmp = new Float64Array(2);
  const hintR = radiusDeg * 3600 * 1.02 + 2 * sHi;
  let candidates = 0;
  let best = -Infinity;
  let accepted: { t: Similarity; logOdds: number } | undefined;
  const code = new Float64Array(4);
  const verify = (t: Similarity, quadStarsCat: number[], quadStarsImg: number[], quadSizePx: number, qcx: number, qcy: number): number => {
    const usedSrc = new Uint8Array(vx.length);
    for (const j of quadStarsImg) if (j >= 0) usedSrc[j] = 1;
    const rho = vx.length / (W * H);
    let sum = 0;
    let bestSum = 0;
    const rq2 = (quadSizePx / 2) ** 2;
    for (let i = 0; i < nStars; i++) {
      if (quadStarsCat.includes(i)) continue;
      planeToPix(t, plane.xi[i], plane.eta[i], tmp);
      const x = tmp[0];
      const y = tmp[1];
      if (!(x >= -0.5 && x < W - 0.5 && y >= -0.5 && y < H - 0.5)) continue;
      const R2 = (x - qcx) ** 2 + (y - qcy) ** 2;
      const s2 = sigma0 * sigma0 * (1 + R2 / rq2);
      const r2max = 9 * s2;
      let bj = -1;
      let bd2 = r2max;
      for (let j = 0; j < vx.length; j++) {
        if (usedSrc[j]) continue;
        const d2 = (vx[j] - x) ** 2 + (vy[j] - y) ** 2;
        if (d2 <= bd2) {
          bd2 = d2;
          bj = j;
        }
      }
      if (bj >= 0) {
        usedSrc[bj] = 1;
        const g = Math.exp(-bd2 / (2 * s2)) / (2 * Math.PI * s2);
        sum += Math.log((P_MATCH * g + (1 - P_MATCH) * rho) / rho);
      } else {
        sum += Math.log(1 - P_MATCH);
      }
      if (sum > bestSum) bestSum = sum;
    }
    return bestSum;
  };

  search: for (let q = 0; q < Math.max(imgQuads[0].count, imgQuads[1].count); q++) {
    for (let par = 0; par < 2; par++) {
      const iq = imgQuads[par];
      if (q >= iq.count) continue;
      for (let k = 0; k < 4; k++) code[k] = iq.codes[4 * q + k];
      const hits: number[] = [];
      searchCodes(index, code, (cq) => hits.push(cq));
      for (const cq of hits) {
        const scale = catQuads.sizes[cq] / iq.sizes[q];
        if (scale < sLo * 0.99 || scale > sHi * 1.01) continue;
        const zx: number[] = [];
        const zy: number[] = [];
        const wx: number[] = [];
        const wy: number[] = [];
        const catIdx: number[] = [];
        const imgIdx: number[] = [];
        for (let k = 0; k < 4; k++) {
          const si = iq.stars[4 * q + k];
          const ci = sel[catQuads.stars[4 * cq + k]];
          zx.push(qx[si]);
          zy.push(qy[si]);
          wx.push(plane.xi[ci]);
          wy.push(plane.eta[ci]);
          catIdx.push(ci);
          imgIdx.push(srcIndexInVerify.get(quadSrc[si]) ?? -1);
        }
        const t = fitSimilarity(zx, zy, wx, wy, par === 0 ? 1 : -1);
        // The image centre must land inside the hint circle.
        const cxp = (W - 1) / 2;
        const cyp = (H - 1) / 2;
        const cw = t.ar * cxp - t.ai * t.s * cyp + t.br;
        const ch = t.ai * cxp + t.ar * t.s * cyp + t.bi;
        if (Math.hypot(cw, ch) > hintR) continue;
        candidates++;
        const qcx = zx.reduce((a, b) => a + b, 0) / 4;
        const qcy = zy.reduce((a, b) => a + b, 0) / 4;
        const lo = verify(t, catIdx, imgIdx, iq.sizes[q], qcx, qcy);
        if (lo > best) best = lo;
        if (lo >= accept) {
          accepted = { t, logOdds: lo };
          break search;
        }
        if (candidates >= maxCandidates) break search;
      }
    }
  }
  if (!accepted) {
    if (candidates === 0) return fail('NO_QUAD_MATCH', 'no quad match', best, candidates);
    return fail('VERIFICATION_BELOW_THRESHOLD', `verification below threshold (best log-odds ${best.toFixed(1)} < ${accept.toFixed(1)} over ${candidates} candidates)`, best, candidates);
  }

  // Refinement with all stars.
  const refSrc = good.slice(0, nRefine);
  const rx = Float64Array.from(refSrc, (s) => s.x);
  const ry = Float64Array.from(refSrc, (s) => s.y);
  let wcs = similarityToWcs(accepted.t, ra0, dec0);
  let radiusPx = Math.max(5 * sigma0, 5);
  let fit: FitWcsResult | undefined;
  let sipOrder: 0 | 2 | 3 = 0;
  let matched = 0;
  const px = new Float64Array(nStars);
  const py = new Float64Array(nStars);
  const rad = new Float64Array(nStars);
  for (let round = 0; round < 5; round++) {
    skyToPixBatch(wcs, plane.ra, plane.dec, { xPx: px, yPx: py });
    for (let i = 0; i < nStars; i++) rad[i] = px[i] >= -0.5 && px[i] < W - 0.5 && py[i] >= -0.5 && py[i] < H - 0.5 ? radiusPx : 0;
    const pairs = matchPoints(px, py, rad, rx, ry, Math.max(radiusPx, 1));
    if (pairs.length < 4) break;
    const fp = {
      xPx: Float64Array.from(pairs, (p) => rx[p[1]]),
      yPx: Float64Array.from(pairs, (p) => ry[p[1]]),
      raDeg: Float64Array.from(pairs, (p) => plane.ra[p[0]]),
      decDeg: Float64Array.from(pairs, (p) => plane.dec[p[0]]),
    };
    const fitOpts = { imageSize: [W, H] as [number, number], clipSigma: 3 };
    // The order is chosen on unclipped fits (clipped RMS over different inlier sets would
    // favour whichever model discards the distorted corners); the final fit clips.
    let order: 0 | 2 | 3 = 0;
    let rmsAll = fitWcs(fp, { ...fitOpts, clipSigma: Infinity, maxIterations: 1, sipOrder: 0 }).rmsPx;
    const tryOrders: Array<2 | 3> = sipMode === 'auto' ? [2, 3] : sipMode === 0 ? [] : sipMode === 2 ? [2] : [2, 3];
    for (const o of tryOrders) {
      const nTerms = ((o + 1) * (o + 2)) / 2;
      if (pairs.length < 2 * nTerms + 4) break;
      const g = fitWcs(fp, { ...fitOpts, clipSigma: Infinity, maxIterations: 1, sipOrder: o });
      if (sipMode !== 'auto' || g.rmsPx < 0.8 * rmsAll) {
        rmsAll = g.rmsPx;
        order = o;
      }
    }
    const f = fitWcs(fp, { ...fitOpts, sipOrder: order });
    fit = f;
    sipOrder = order;
    wcs = f.wcs;
    const newMatched = f.inliers.reduce((a, b) => a + b, 0);
    const newRadius = Math.max(2, Math.min(radiusPx, 5 * f.rmsPx + 0.5));
    if (round > 0 && newMatched === matched && newRadius === radiusPx) break;
    matched = newMatched;
    radiusPx = newRadius;
  }
  if (!fit) return fail('VERIFICATION_BELOW_THRESHOLD', 'verification below threshold (refinement found fewer than 4 matches)', best, candidates);
  const cx = (W - 1) / 2;
  const cy = (H - 1) / 2;
  const [raC, decC] = pixToSky(wcs, cx, cy);
  return {
    solved: true,
    wcs,
    raDeg: raC,
    decDeg: decC,
    scaleArcsecPerPx: pixelScaleArcsec(wcs, [cx, cy]),
    rotationDeg: rotationDeg(wcs, [cx, cy]),
    flipped: isFlipped(wcs, [cx, cy]),
    sipOrder,
    matched,
    rmsPx: fit.rmsPx,
    rmsArcsec: fit.rmsArcsec,
    logOdds: accepted.logOdds,
    seconds: (performance.now() - t0) / 1000,
    candidates,
  };
}
