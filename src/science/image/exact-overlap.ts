/**
 * Flux-conserving ("exact") resampling by area of overlap.
 *
 * Each input pixel is the quadrilateral whose four corners are the input pixel's corners
 * mapped exactly (through the WCS) into output pixel coordinates; its overlap with each
 * output pixel square is found by Sutherland–Hodgman clipping and the shoelace formula.
 * Approximation (stated): corners are mapped exactly, edges are straight lines in output
 * pixel space — for pixels of arcsecond size the sky curvature of an edge is far below
 * 1e-6 of a pixel, so this differs from reproject_exact's spherical polygons only in
 * rounding.
 *
 * Like reproject_exact, the output is surface brightness: out = Σ v·A / Σ A over the input
 * pixels overlapping an output pixel (A: overlap area in output pixels), and the footprint
 * is Σ A (the covered fraction of the output pixel, 0..1). Hence Σ out·footprint·Ω_out =
 * Σ in·Ω_in over fully mapped input pixels: total flux is conserved. NaN input pixels (and
 * pixels with an unmapped corner) contribute nothing: their area counts as uncovered.
 */

/** Accumulators over a window of the output grid (row-major, window.width × window.height). */
export interface OverlapAccumulators {
  /** Σ v·A */
  sum: Float64Array;
  /** Σ A */
  area: Float64Array;
  /** Σ w·A (when a weight map is given) */
  weightSum?: Float64Array;
}

const MAX_VERTS = 16;

/**
 * Adds the input rows [rowStart, rowEnd) to the accumulators. `cornerX/Y` hold, for those
 * rows, the output-window coordinates (output pixel centres at integers, window-relative)
 * of the input pixel corners: (rowEnd − rowStart + 1) rows × (colEnd − colStart + 1)
 * columns, corner (i, j) being the lower-left corner of input pixel (colStart + i,
 * rowStart + j).
 */
export function accumulateOverlap(
  data: Float32Array,
  inWidth: number,
  weights: Float32Array | undefined,
  colStart: number,
  colEnd: number,
  rowStart: number,
  rowEnd: number,
  cornerX: Float64Array,
  cornerY: Float64Array,
  winWidth: number,
  winHeight: number,
  acc: OverlapAccumulators,
): void {
  const cw = colEnd - colStart + 1;
  const { sum, area } = acc;
  const wsum = acc.weightSum;
  const qx = new Float64Array(4);
  const qy = new Float64Array(4);
  const ax = new Float64Array(MAX_VERTS);
  const ay = new Float64Array(MAX_VERTS);
  const bx = new Float64Array(MAX_VERTS);
  const by = new Float64Array(MAX_VERTS);
  const cx = new Float64Array(MAX_VERTS);
  const cy = new Float64Array(MAX_VERTS);
  for (let r = rowStart; r < rowEnd; r++) {
    const c0 = (r - rowStart) * cw;
    const c1 = c0 + cw;
    for (let c = colStart; c < colEnd; c++) {
      const v = data[r * inWidth + c];
      if (v !== v) continue;
      const k = c - colStart;
      // Corners in order around the pixel, shifted so output pixel j spans [j, j + 1].
      qx[0] = cornerX[c0 + k] + 0.5;
      qy[0] = cornerY[c0 + k] + 0.5;
      qx[1] = cornerX[c0 + k + 1] + 0.5;
      qy[1] = cornerY[c0 + k + 1] + 0.5;
      qx[2] = cornerX[c1 + k + 1] + 0.5;
      qy[2] = cornerY[c1 + k + 1] + 0.5;
      qx[3] = cornerX[c1 + k] + 0.5;
      qy[3] = cornerY[c1 + k] + 0.5;
      let minX = qx[0], maxX = qx[0], minY = qy[0], maxY = qy[0];
      for (let q = 1; q < 4; q++) {
        if (qx[q] < minX) minX = qx[q];
        if (qx[q] > maxX) maxX = qx[q];
        if (qy[q] < minY) minY = qy[q];
        if (qy[q] > maxY) maxY = qy[q];
      }
      // NaN corners fail every comparison: skip those pixels (also the off-window ones).
      if (!(maxX > 0 && maxY > 0 && minX < winWidth && minY < winHeight)) continue;
      let jx0 = Math.floor(minX);
      let jx1 = Math.ceil(maxX) - 1;
      let jy0 = Math.floor(minY);
      let jy1 = Math.ceil(maxY) - 1;
      if (jx0 < 0) jx0 = 0;
      if (jy0 < 0) jy0 = 0;
      if (jx1 > winWidth - 1) jx1 = winWidth - 1;
      if (jy1 > winHeight - 1) jy1 = winHeight - 1;
      const wv = weights ? weights[r * inWidth + c] : 0;
      const wOk = wv === wv;
      if (jx0 === jx1 && jy0 === jy1 && minX >= jx0 && maxX <= jx0 + 1 && minY >= jy0 && maxY <= jy0 + 1) {
        // Entirely inside one output pixel.
        const a = Math.abs(polyArea(qx, qy, 4));
        const o = jy0 * winWidth + jx0;
        sum[o] += v * a;
        area[o] += a;
        if (wsum && wOk) wsum[o] += wv * a;
        continue;
      }
      for (let jx = jx0; jx <= jx1; jx++) {
        // Clip to the column strip first, then each row of it.
        let m = clip(qx, qy, 4, ax, ay, 0, jx, true);
        m = clip(ax, ay, m, bx, by, 0, jx + 1, false);
        if (m < 3) continue;
        for (let jy = jy0; jy <= jy1; jy++) {
          let p = clip(bx, by, m, ax, ay, 1, jy, true);
          p = clip(ax, ay, p, cx, cy, 1, jy + 1, false);
          if (p < 3) continue;
          const a = Math.abs(polyArea(cx, cy, p));
          if (a === 0) continue;
          const o = jy * winWidth + jx;
          sum[o] += v * a;
          area[o] += a;
          if (wsum && wOk) wsum[o] += wv * a;
        }
      }
    }
  }
}

/**
 * One Sutherland–Hodgman step: keeps the part of polygon (px, py, n) on one side of the
 * line x = at (axis 0) or y = at (axis 1) — the side ≥ at when `keepAbove`, else ≤ at.
 * Writes to (ox, oy) and returns the new vertex count.
 */
function clip(px: Float64Array, py: Float64Array, n: number, ox: Float64Array, oy: Float64Array, axis: 0 | 1, at: number, keepAbove: boolean): number {
  let m = 0;
  if (n === 0) return 0;
  let sx = px[n - 1];
  let sy = py[n - 1];
  let sd = (axis === 0 ? sx : sy) - at;
  if (!keepAbove) sd = -sd;
  for (let i = 0; i < n; i++) {
    const ex = px[i];
    const ey = py[i];
    let ed = (axis === 0 ? ex : ey) - at;
    if (!keepAbove) ed = -ed;
    if (ed >= 0) {
      if (sd < 0 && m < MAX_VERTS) {
        const t = sd / (sd - ed);
        ox[m] = sx + t * (ex - sx);
        oy[m] = sy + t * (ey - sy);
        m++;
      }
      if (m < MAX_VERTS) {
        ox[m] = ex;
        oy[m] = ey;
        m++;
      }
    } else if (sd >= 0 && m < MAX_VERTS) {
      const t = sd / (sd - ed);
      ox[m] = sx + t * (ex - sx);
      oy[m] = sy + t * (ey - sy);
      m++;
    }
    sx = ex;
    sy = ey;
    sd = ed;
  }
  return m;
}

/** Signed area (shoelace). */
export function polyArea(x: Float64Array, y: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0, j = n - 1; i < n; j = i++) s += x[j] * y[i] - x[i] * y[j];
  return 0.5 * s;
}
