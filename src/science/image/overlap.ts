/**
 * Exact area of a circle ∩ an axis-aligned rectangle (a pixel), the geometry behind
 * "exact" circular apertures.
 *
 * With the circle centred at the origin, let Q(x, y) be the area of the part of the disk
 * with X ≤ x and Y ≤ y. The rectangle [x0, x1] × [y0, y1] then has overlap
 * Q(x1, y1) − Q(x0, y1) − Q(x1, y0) + Q(x0, y0). Q integrates the length of the vertical
 * chord below y: with h(t) = √(r² − t²) and c = √(r² − y²) (the half-chord at height y),
 * that length is y + h(t) for |t| ≤ c and, beyond, 2h(t) when y ≥ 0 or 0 when y < 0.
 * Everything reduces to P(t) = ∫₀ᵗ h = ½(t·h(t) + r²·asin(t/r)).
 */

/** ∫₀ᵗ √(r² − s²) ds for |t| ≤ r. */
function prim(t: number, r: number): number {
  const h = Math.sqrt(Math.max(0, (r - t) * (r + t)));
  const s = t / r;
  return 0.5 * (t * h + r * r * Math.asin(s > 1 ? 1 : s < -1 ? -1 : s));
}

/** Area of { X ≤ x, Y ≤ y, X² + Y² ≤ r² }. */
export function diskQuadrantArea(x: number, y: number, r: number): number {
  if (x <= -r || y <= -r) return 0;
  if (x > r) x = r;
  if (y > r) y = r;
  const c = Math.sqrt(Math.max(0, (r - y) * (r + y)));
  const pc = prim(c, r);
  if (y >= 0) {
    const quarter = 0.25 * Math.PI * r * r; // −P(−r)
    if (x <= -c) return 2 * (prim(x, r) + quarter);
    const xm = x < c ? x : c;
    let area = 2 * (quarter - pc) + y * (xm + c) + prim(xm, r) + pc;
    if (x > c) area += 2 * (prim(x, r) - pc);
    return area;
  }
  if (x <= -c) return 0;
  const xm = x < c ? x : c;
  return y * (xm + c) + prim(xm, r) + pc;
}

/** Exact area of the disk of radius r centred at the origin ∩ [x0, x1] × [y0, y1] (x0 ≤ x1, y0 ≤ y1). */
export function circleRectOverlap(x0: number, y0: number, x1: number, y1: number, r: number): number {
  if (!(r > 0)) return 0;
  // Quick exits: fully outside (nearest point beyond r) or fully inside (farthest corner within r).
  const nx = x0 > 0 ? x0 : x1 < 0 ? x1 : 0;
  const ny = y0 > 0 ? y0 : y1 < 0 ? y1 : 0;
  const r2 = r * r;
  if (nx * nx + ny * ny >= r2) return 0;
  const fx = Math.max(Math.abs(x0), Math.abs(x1));
  const fy = Math.max(Math.abs(y0), Math.abs(y1));
  if (fx * fx + fy * fy <= r2) return (x1 - x0) * (y1 - y0);
  // Rounding: each term is ≤ πr², so the absolute error is ~1e-16·r² per pixel — far below
  // what photometry needs even for r in the hundreds.
  const a = diskQuadrantArea(x1, y1, r) - diskQuadrantArea(x0, y1, r) - diskQuadrantArea(x1, y0, r) + diskQuadrantArea(x0, y0, r);
  const box = (x1 - x0) * (y1 - y0);
  return a < 0 ? 0 : a > box ? box : a;
}

/** Exact overlap of a unit pixel centred at (px, py) with the circle of radius r centred at (xc, yc). */
export function pixelCircleOverlap(px: number, py: number, xc: number, yc: number, r: number): number {
  const dx = px - xc;
  const dy = py - yc;
  return circleRectOverlap(dx - 0.5, dy - 0.5, dx + 0.5, dy + 0.5, r);
}
