/**
 * Verification of a proposed alignment (after Lang et al. 2010 §2.4, simplified): is the
 * agreement between where the catalog stars land and where the image has sources more than
 * chance?
 *
 * Catalog stars that land on the image are taken brightest first. Under H1 (the alignment is
 * right) each has a counterpart with probability p = 0.5 at a Gaussian offset of
 * σ² = σ0²(1 + R²/Rq²) (R from the quad centre, Rq the quad radius: a similarity fitted to
 * four stars extrapolates; Rq = ∞ gives a constant σ0), otherwise the nearest source is
 * background; under H0 sources are uniform over the image with the observed density ρ.
 * A star whose nearest unclaimed source lies within 3σ at distance d adds
 * ln[(p·N₂(d; σ) + (1 − p)ρ)/ρ]; one with none adds ln(1 − p). The log-odds is the largest
 * running sum (the catalog may go deeper than the image). Since E_H0[odds] = 1, a threshold of
 * 1e9 bounds the chance of accepting a wrong alignment by (hypotheses tried × prefixes)/1e9.
 */

export const P_MATCH = 0.5;

/** Sources (brightest first) bucketed on a square grid for neighbour searches. */
export interface SourceField {
  x: Float64Array;
  y: Float64Array;
  width: number;
  height: number;
  cellPx: number;
  gw: number;
  gh: number;
  /** First source of each cell (−1: none) and the next source in the same cell. */
  head: Int32Array;
  next: Int32Array;
  /** Scratch: 1 for sources claimed by the current verification. */
  claimed: Uint8Array;
}

export function sourceField(x: Float64Array, y: Float64Array, width: number, height: number, cellPx = 16): SourceField {
  const gw = Math.max(1, Math.ceil((width + 1) / cellPx));
  const gh = Math.max(1, Math.ceil((height + 1) / cellPx));
  const head = new Int32Array(gw * gh).fill(-1);
  const next = new Int32Array(x.length).fill(-1);
  // Fill in reverse so each cell lists its sources brightest first.
  for (let j = x.length - 1; j >= 0; j--) {
    const cx = Math.min(gw - 1, Math.max(0, Math.floor((x[j] + 0.5) / cellPx)));
    const cy = Math.min(gh - 1, Math.max(0, Math.floor((y[j] + 0.5) / cellPx)));
    next[j] = head[cy * gw + cx];
    head[cy * gw + cx] = j;
  }
  return { x, y, width, height, cellPx, gw, gh, head, next, claimed: new Uint8Array(x.length) };
}

/** Nearest unclaimed source to (px, py) within sqrt(r2max); −1 if none. Writes d² to out[0]. */
export function nearestUnclaimed(f: SourceField, px: number, py: number, r2max: number, out: Float64Array): number {
  const r = Math.sqrt(r2max);
  const cx0 = Math.max(0, Math.floor((px - r + 0.5) / f.cellPx));
  const cx1 = Math.min(f.gw - 1, Math.floor((px + r + 0.5) / f.cellPx));
  const cy0 = Math.max(0, Math.floor((py - r + 0.5) / f.cellPx));
  const cy1 = Math.min(f.gh - 1, Math.floor((py + r + 0.5) / f.cellPx));
  let best = -1;
  let bd2 = r2max;
  for (let cy = cy0; cy <= cy1; cy++) {
    for (let cx = cx0; cx <= cx1; cx++) {
      for (let j = f.head[cy * f.gw + cx]; j >= 0; j = f.next[j]) {
        if (f.claimed[j]) continue;
        const d2 = (f.x[j] - px) ** 2 + (f.y[j] - py) ** 2;
        if (d2 <= bd2) {
          bd2 = d2;
          best = j;
        }
      }
    }
  }
  out[0] = bd2;
  return best;
}

export interface AlignmentModel {
  /** σ0, px. */
  sigmaPx: number;
  /** Quad centre (px) and radius² (px²); rq2 = Infinity for a constant σ. */
  qcx: number;
  qcy: number;
  rq2: number;
}

/**
 * Log-odds that the predicted pixel positions (catalog stars brightest first; NaN = not on
 * the image or excluded) match the sources. `preclaimed` sources (those of the quad) cannot
 * be matched again.
 */
export function alignmentLogOdds(f: SourceField, px: ArrayLike<number>, py: ArrayLike<number>, model: AlignmentModel, preclaimed: readonly number[] = []): number {
  const rho = Math.max(f.x.length, 1) / (f.width * f.height);
  const lnMiss = Math.log(1 - P_MATCH);
  const claimedList: number[] = [];
  for (const j of preclaimed) {
    if (j >= 0 && !f.claimed[j]) {
      f.claimed[j] = 1;
      claimedList.push(j);
    }
  }
  const s0 = model.sigmaPx * model.sigmaPx;
  const tmp = new Float64Array(1);
  let sum = 0;
  let best = 0;
  const W = f.width;
  const H = f.height;
  for (let i = 0; i < px.length; i++) {
    const x = px[i];
    const y = py[i];
    if (!(x >= -0.5 && x < W - 0.5 && y >= -0.5 && y < H - 0.5)) continue;
    const R2 = (x - model.qcx) ** 2 + (y - model.qcy) ** 2;
    const s2 = model.rq2 === Infinity ? s0 : s0 * (1 + R2 / model.rq2);
    const j = nearestUnclaimed(f, x, y, 9 * s2, tmp);
    if (j >= 0) {
      f.claimed[j] = 1;
      claimedList.push(j);
      const g = Math.exp(-tmp[0] / (2 * s2)) / (2 * Math.PI * s2);
      sum += Math.log((P_MATCH * g + (1 - P_MATCH) * rho) / rho);
    } else {
      sum += lnMiss;
    }
    if (sum > best) best = sum;
  }
  for (const j of claimedList) f.claimed[j] = 0;
  return best;
}
