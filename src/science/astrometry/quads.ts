/**
 * Geometric hash codes of four-star asterisms ("quads", after Lang et al. 2010 §2.2).
 *
 * The two most widely separated stars A, B define a frame in which A = (0, 0) and
 * B = (1, 1) (a similarity: rotation, scale, translation); the other two, C and D, must
 * lie inside the circle with diameter AB, and their frame positions (xC, yC, xD, yD) are
 * the code. The code is invariant to rotation, scale and translation; a mirror image
 * swaps x and y of the frame positions. Symmetry breaking makes it unique: A/B are swapped
 * (x → 1 − x, y → 1 − y) when xC + xD > 1, then C/D are ordered so that xC ≤ xD.
 */

export interface QuadSet {
  /** 4 code components per quad. */
  codes: Float64Array;
  /** 4 star indices (A, B, C, D after symmetry breaking) per quad. */
  stars: Int32Array;
  /** Backbone length |AB| in the input's units. */
  sizes: Float64Array;
  count: number;
}

export interface QuadOptions {
  /** Backbone length range in the input's units. */
  minSize: number;
  maxSize: number;
  /** Of the stars inside the AB circle, only the brightest this many are paired (default 8). */
  maxInside?: number;
  /** Refuse to build more quads than this (default 2e6). */
  maxQuads?: number;
}

/**
 * All quads of the points (x[i], y[i]), which must be given brightest first. With
 * `mirror`, codes are those of the mirror image (y → −y).
 */
export function buildQuads(x: ArrayLike<number>, y: ArrayLike<number>, opts: QuadOptions, mirror = false): QuadSet {
  const n = x.length;
  const maxInside = opts.maxInside ?? 8;
  const maxQuads = opts.maxQuads ?? 2e6;
  const minSq = opts.minSize * opts.minSize;
  const maxSq = opts.maxSize * opts.maxSize;
  const sgn = mirror ? -1 : 1;
  let cap = 1024;
  let codes = new Float64Array(cap * 4);
  let stars = new Int32Array(cap * 4);
  let sizes = new Float64Array(cap);
  let count = 0;
  const inside = new Int32Array(maxInside);
  const cu = new Float64Array(maxInside);
  const cv = new Float64Array(maxInside);
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const dx = x[b] - x[a];
      const dy = sgn * (y[b] - y[a]);
      const d2 = dx * dx + dy * dy;
      if (d2 < minSq || d2 > maxSq) continue;
      // Frame: z' = (z − A)·(1 + i)/(B − A).
      const inv = 1 / d2;
      const fr = (dx + dy) * inv; // Re((1+i)·conj(B−A))/|B−A|²
      const fi = (dx - dy) * inv; // Im
      const mx = (x[a] + x[b]) / 2;
      const my = sgn * (y[a] + y[b]) / 2;
      const r2 = d2 / 4;
      let k = 0;
      for (let c = 0; c < n && k < maxInside; c++) {
        if (c === a || c === b) continue;
        const ex = x[c] - mx;
        const ey = sgn * y[c] - my;
        if (ex * ex + ey * ey >= r2) continue;
        const px = x[c] - x[a];
        const py = sgn * y[c] - sgn * y[a];
        inside[k] = c;
        cu[k] = px * fr - py * fi;
        cv[k] = px * fi + py * fr;
        k++;
      }
      for (let i = 0; i < k; i++) {
        for (let j = i + 1; j < k; j++) {
          if (count >= maxQuads) return { codes, stars, sizes, count };
          if (count === cap) {
            cap *= 2;
            const c2 = new Float64Array(cap * 4);
            c2.set(codes);
            codes = c2;
            const s2 = new Int32Array(cap * 4);
            s2.set(stars);
            stars = s2;
            const z2 = new Float64Array(cap);
            z2.set(sizes);
            sizes = z2;
          }
          let sa = a;
          let sb = b;
          let xc = cu[i];
          let yc = cv[i];
          let xd = cu[j];
          let yd = cv[j];
          let ic = inside[i];
          let id = inside[j];
          if (xc + xd > 1) {
            sa = b;
            sb = a;
            xc = 1 - xc;
            yc = 1 - yc;
            xd = 1 - xd;
            yd = 1 - yd;
          }
          if (xc > xd) {
            const t1 = xc;
            xc = xd;
            xd = t1;
            const t2 = yc;
            yc = yd;
            yd = t2;
            const t3 = ic;
            ic = id;
            id = t3;
          }
          const o = count * 4;
          codes[o] = xc;
          codes[o + 1] = yc;
          codes[o + 2] = xd;
          codes[o + 3] = yd;
          stars[o] = sa;
          stars[o + 1] = sb;
          stars[o + 2] = ic;
          stars[o + 3] = id;
          sizes[count] = Math.sqrt(d2);
          count++;
        }
      }
    }
  }
  return { codes, stars, sizes, count };
}

/** Quads bucketed on a grid over their first two code components, for tolerance searches. */
export interface CodeIndex {
  quads: QuadSet;
  tol: number;
  cells: number;
  order: Int32Array;
  keys: Int32Array;
}

const CODE_LO = -0.25;
const CODE_RANGE = 1.5;

function cell(v: number, tol: number, cells: number): number {
  return Math.max(0, Math.min(cells - 1, Math.floor((v - CODE_LO) / tol)));
}

export function indexCodes(quads: QuadSet, tol: number): CodeIndex {
  const cells = Math.ceil(CODE_RANGE / tol);
  const n = quads.count;
  const key = new Int32Array(n);
  for (let q = 0; q < n; q++) key[q] = cell(quads.codes[4 * q], tol, cells) * cells + cell(quads.codes[4 * q + 1], tol, cells);
  // Counting sort on the cell key (stable: quads keep their order inside a cell).
  const start = new Int32Array(cells * cells + 1);
  for (let q = 0; q < n; q++) start[key[q] + 1]++;
  for (let c = 0; c < cells * cells; c++) start[c + 1] += start[c];
  const order = new Int32Array(n);
  for (let q = 0; q < n; q++) order[start[key[q]]++] = q;
  const keys = new Int32Array(n);
  for (let i = 0; i < n; i++) keys[i] = key[order[i]];
  return { quads, tol, cells, order, keys };
}

function lowerBound(keys: Int32Array, v: number): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Calls visit(q) for each indexed quad whose code lies within tol (Euclidean, 4-D) of code. */
export function searchCodes(index: CodeIndex, code: ArrayLike<number>, visit: (q: number, dist2: number) => void): void {
  const { tol, cells, order, keys } = index;
  const codes = index.quads.codes;
  const c0 = cell(code[0], tol, cells);
  const c1 = cell(code[1], tol, cells);
  const tol2 = tol * tol;
  for (let i0 = Math.max(0, c0 - 1); i0 <= Math.min(cells - 1, c0 + 1); i0++) {
    const from = lowerBound(keys, i0 * cells + Math.max(0, c1 - 1));
    const to = lowerBound(keys, i0 * cells + Math.min(cells - 1, c1 + 1) + 1);
    for (let k = from; k < to; k++) {
      const q = order[k];
      const o = 4 * q;
      const d0 = codes[o] - code[0];
      const d1 = codes[o + 1] - code[1];
      const d2 = codes[o + 2] - code[2];
      const d3 = codes[o + 3] - code[3];
      const dist2 = d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3;
      if (dist2 <= tol2) visit(q, dist2);
    }
  }
}

/**
 * Code of one quad given its four points (any order): picks the widest pair as the backbone
 * and applies the same frame and symmetry breaking as buildQuads. Writes the code into
 * `code` and the point order (indices 0-3 of the input: A, B, C, D) into `order`; returns the
 * backbone length, or −1 when C or D lies outside the circle on AB (no valid code).
 */
export function quadCode(px: ArrayLike<number>, py: ArrayLike<number>, code: Float64Array | number[], order: Int32Array | number[]): number {
  let a = 0;
  let b = 1;
  let best = -1;
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) {
      const d2 = (px[j] - px[i]) ** 2 + (py[j] - py[i]) ** 2;
      if (d2 > best) {
        best = d2;
        a = i;
        b = j;
      }
    }
  }
  const others = [0, 1, 2, 3].filter((k) => k !== a && k !== b);
  const dx = px[b] - px[a];
  const dy = py[b] - py[a];
  const fr = (dx + dy) / best;
  const fi = (dx - dy) / best;
  const mx = (px[a] + px[b]) / 2;
  const my = (py[a] + py[b]) / 2;
  const u: number[] = [];
  const v: number[] = [];
  for (const c of others) {
    if ((px[c] - mx) ** 2 + (py[c] - my) ** 2 >= best / 4) return -1;
    const qx = px[c] - px[a];
    const qy = py[c] - py[a];
    u.push(qx * fr - qy * fi);
    v.push(qx * fi + qy * fr);
  }
  let [ia, ib, ic, id] = [a, b, others[0], others[1]];
  let [xc, yc, xd, yd] = [u[0], v[0], u[1], v[1]];
  if (xc + xd > 1) {
    [ia, ib] = [ib, ia];
    [xc, yc, xd, yd] = [1 - xc, 1 - yc, 1 - xd, 1 - yd];
  }
  if (xc > xd) {
    [xc, yc, xd, yd] = [xd, yd, xc, yc];
    [ic, id] = [id, ic];
  }
  code[0] = xc;
  code[1] = yc;
  code[2] = xd;
  code[3] = yd;
  order[0] = ia;
  order[1] = ib;
  order[2] = ic;
  order[3] = id;
  return Math.sqrt(best);
}

/**
 * Quad numbers ordered by depth: quads whose faintest star is brighter come first (stars are
 * indexed brightest first), so a search meets the quads of the brightest stars early.
 */
export function depthOrder(quads: QuadSet): Int32Array {
  const n = quads.count;
  const depth = new Int32Array(n);
  for (let q = 0; q < n; q++) {
    const o = 4 * q;
    depth[q] = Math.max(quads.stars[o], quads.stars[o + 1], quads.stars[o + 2], quads.stars[o + 3]) * 4096 + quads.stars[o] + quads.stars[o + 1] + quads.stars[o + 2] + quads.stars[o + 3];
  }
  return Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => depth[a] - depth[b]);
}
