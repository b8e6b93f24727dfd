/**
 * Refinement of an accepted alignment: all catalog stars that land on the image are matched
 * to sources through the current WCS and a TAN is fitted with sigma clipping (science/wcs
 * fitWcs); a radial cubic distortion (one coefficient: the barrel or pincushion of most
 * optics), SIP of order 2, then 3, is kept when an F-test says the residuals call for it;
 * matching and fitting repeat with a radius shrinking to a few RMS.
 */
import { fitWcs, type FitWcsPairs, type FitWcsResult } from '../wcs/fit.js';
import { skyToPixBatch } from '../wcs/transform.js';
import { createWcs, type Wcs } from '../wcs/wcs.js';

/** Greedy one-to-one matching of predicted positions to sources within radius[i], closest pairs first. */
export function matchPoints(px: Float64Array, py: Float64Array, radius: Float64Array, sx: Float64Array, sy: Float64Array, cellPx: number): Array<[number, number, number]> {
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
  pairs.sort((a, b) => a[2] - b[2] || a[0] - b[0] || a[1] - b[1]);
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

/** F statistic a SIP order must beat to be kept (≈ the 99.5 % point for these degrees of freedom). */
const F_CRIT = 5;
/** Residual degrees of freedom a fit must keep. */
const MIN_DOF = 8;

/** Parameters of TAN + SIP of this order: 6 linear, and per axis the terms with 2 ≤ p + q ≤ order. */
function sipParams(order: number): number {
  return 6 + 2 * (((order + 1) * (order + 2)) / 2 - 3);
}

export interface RefineInput {
  /** Catalog stars near the field (any order). */
  raDeg: Float64Array;
  decDeg: Float64Array;
  /** Sources used for refinement. */
  x: Float64Array;
  y: Float64Array;
  width: number;
  height: number;
  sipMode: 'auto' | 0 | 2 | 3;
  /** Initial matching radius, px. */
  radiusPx: number;
}

/** Distortion model of a refined solution. */
export type DistortionModel = 'tan' | 'radial' | 'sip2' | 'sip3';

export interface RefineResult {
  fit: FitWcsResult;
  wcs: Wcs;
  /** SIP order written (radial is an order-3 SIP with A_3_0 = A_1_2 = B_0_3 = B_2_1). */
  sipOrder: 0 | 2 | 3;
  distortion: DistortionModel;
  /** Inlier pairs of the final fit. */
  matched: number;
}

export function refineWcs(initial: Wcs, r: RefineInput): RefineResult | undefined {
  const { width: W, height: H } = r;
  const n = r.raDeg.length;
  let wcs = initial;
  let radiusPx = r.radiusPx;
  let out: RefineResult | undefined;
  let matched = 0;
  const px = new Float64Array(n);
  const py = new Float64Array(n);
  const rad = new Float64Array(n);
  for (let round = 0; round < 5; round++) {
    skyToPixBatch(wcs, r.raDeg, r.decDeg, { xPx: px, yPx: py });
    for (let i = 0; i < n; i++) rad[i] = px[i] >= -0.5 && px[i] < W - 0.5 && py[i] >= -0.5 && py[i] < H - 0.5 ? radiusPx : 0;
    const pairs = matchPoints(px, py, rad, r.x, r.y, Math.max(radiusPx, 1));
    if (pairs.length < 4) break;
    const fp = {
      xPx: Float64Array.from(pairs, (p) => r.x[p[1]]),
      yPx: Float64Array.from(pairs, (p) => r.y[p[1]]),
      raDeg: Float64Array.from(pairs, (p) => r.raDeg[p[0]]),
      decDeg: Float64Array.from(pairs, (p) => r.decDeg[p[0]]),
    };
    const fitOpts = { imageSize: [W, H] as [number, number], clipSigma: 3 };
    // The model is chosen by F-tests on one common set of pairs (the inliers of a clipped
    // fit of the most flexible model allowed, so neither outliers nor a model that clips the
    // distorted corners decide), in order of parameters (TAN 6, radial 7, SIP-2 12, SIP-3 20):
    // a model is kept when the drop in squared residuals per added parameter exceeds F_CRIT
    // times the residual variance left, so few stars still get the distortion they show and
    // many stars get no terms for noise. In 'auto' a SIP order needs 1.5 coordinates per
    // parameter: fewer stars extrapolate wildly to the corners.
    const tryOrders = ([2, 3] as const).filter((o) => (r.sipMode === 'auto' ? 2 * pairs.length >= 3 * sipParams(o) : r.sipMode === 0 ? false : o <= r.sipMode && 2 * pairs.length - sipParams(o) >= MIN_DOF));
    const tryRadial = r.sipMode === 'auto' && 2 * pairs.length - 7 >= MIN_DOF;
    let model: DistortionModel = 'tan';
    if (tryOrders.length > 0 || tryRadial) {
      const top = tryOrders[tryOrders.length - 1];
      const inl = top !== undefined ? fitWcs(fp, { ...fitOpts, sipOrder: top }).inliers : fitRadial(fp, W, H, true).inliers;
      const keep = Array.from(inl.keys()).filter((i) => inl[i] === 1);
      const sub = {
        xPx: Float64Array.from(keep, (i) => fp.xPx[i]),
        yPx: Float64Array.from(keep, (i) => fp.yPx[i]),
        raDeg: Float64Array.from(keep, (i) => fp.raDeg[i]),
        decDeg: Float64Array.from(keep, (i) => fp.decDeg[i]),
      };
      const n = keep.length;
      const rssOf = (m: DistortionModel): number =>
        n * (m === 'radial' ? fitRadial(sub, W, H, false).rmsPx : fitWcs(sub, { ...fitOpts, clipSigma: Infinity, maxIterations: 1, sipOrder: m === 'sip2' ? 2 : m === 'sip3' ? 3 : 0 }).rmsPx) ** 2;
      let rss = rssOf('tan');
      let params = 6;
      const candidates: Array<[DistortionModel, number]> = [...(tryRadial ? ([['radial', 7]] as Array<[DistortionModel, number]>) : []), ...tryOrders.map((o) => [o === 2 ? 'sip2' : 'sip3', sipParams(o)] as [DistortionModel, number])];
      for (const [m, p1] of candidates) {
        if (2 * n - p1 < MIN_DOF) break;
        const rss1 = rssOf(m);
        const f = (rss - rss1) / (p1 - params) / (rss1 / (2 * n - p1));
        if ((r.sipMode !== 'auto' && m !== 'radial') || f > F_CRIT) {
          rss = rss1;
          params = p1;
          model = m;
        }
      }
    }
    const f = model === 'radial' ? fitRadial(fp, W, H, true) : fitWcs(fp, { ...fitOpts, sipOrder: model === 'sip2' ? 2 : model === 'sip3' ? 3 : 0 });
    const order: 0 | 2 | 3 = model === 'tan' ? 0 : model === 'sip2' ? 2 : 3;
    wcs = f.wcs;
    const newMatched = f.inliers.reduce((a, b) => a + b, 0);
    out = { fit: f, wcs, sipOrder: order, distortion: model, matched: newMatched };
    const newRadius = Math.max(2, Math.min(radiusPx, 5 * f.rmsPx + 0.5));
    if (round > 0 && newMatched === matched && newRadius === radiusPx) break;
    matched = newMatched;
    radiusPx = newRadius;
  }
  return out;
}

/**
 * TAN plus a radial cubic distortion about the image centre, u' = u(1 + k r²), v' = v(1 + k r²)
 * (pixels from CRPIX): alternately fits the TAN to the corrected positions and k to the
 * TAN's residuals (linear least squares along the radius), then writes k as an order-3 SIP.
 * With `clip`, the TAN fits clip at 3σ and the result's inliers are the last fit's.
 */
export function fitRadial(fp: FitWcsPairs, width: number, height: number, clip: boolean): FitWcsResult {
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const n = fp.xPx.length;
  const corrected = { ...fp, xPx: new Float64Array(n), yPx: new Float64Array(n) };
  const ux = new Float64Array(n);
  const uy = new Float64Array(n);
  let k = 0;
  let tan: FitWcsResult | undefined;
  for (let it = 0; it < 8; it++) {
    for (let i = 0; i < n; i++) {
      const u = fp.xPx[i] - cx;
      const v = fp.yPx[i] - cy;
      const g = 1 + k * (u * u + v * v);
      corrected.xPx[i] = cx + u * g;
      corrected.yPx[i] = cy + v * g;
    }
    tan = fitWcs(corrected, { imageSize: [width, height], crpix: [cx, cy], sipOrder: 0, clipSigma: clip ? 3 : Infinity, maxIterations: clip ? 10 : 1 });
    skyToPixBatch(tan.wcs, fp.raDeg, fp.decDeg, { xPx: ux, yPx: uy });
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) {
      if (!tan.inliers[i]) continue;
      const u = fp.xPx[i] - cx;
      const v = fp.yPx[i] - cy;
      const r2 = u * u + v * v;
      num += ((ux[i] - cx - u) * u + (uy[i] - cy - v) * v) * r2;
      den += r2 * r2 * r2;
    }
    const next = den > 0 ? num / den : 0;
    const settled = Math.abs(next - k) * Math.max(width, height) ** 3 < 1e-6;
    k = next;
    if (settled) break;
  }
  const t = tan!;
  const sip = {
    a: { order: 3, terms: [{ p: 1, q: 2, value: k }, { p: 3, q: 0, value: k }] },
    b: { order: 3, terms: [{ p: 0, q: 3, value: k }, { p: 2, q: 1, value: k }] },
  };
  const wcs = createWcs({ crpix: [cx, cy], crval: t.wcs.crval, cd: t.wcs.cd, sip });
  // Residuals of the whole model, measured where the stars are.
  skyToPixBatch(wcs, fp.raDeg, fp.decDeg, { xPx: ux, yPx: uy });
  let s2 = 0;
  let m = 0;
  for (let i = 0; i < n; i++) {
    if (!t.inliers[i]) continue;
    s2 += (ux[i] - fp.xPx[i]) ** 2 + (uy[i] - fp.yPx[i]) ** 2;
    m++;
  }
  const rmsPx = m > 0 ? Math.sqrt(s2 / m) : NaN;
  const scale = Math.sqrt(Math.abs(t.wcs.cd[0] * t.wcs.cd[3] - t.wcs.cd[1] * t.wcs.cd[2])) * 3600;
  return { wcs, rmsPx, rmsArcsec: rmsPx * scale, inliers: t.inliers, iterations: t.iterations, inverseMaxErrorPx: 0 };
}
