/**
 * Segmentation for source detection: connected components of above-threshold pixels
 * (8-connectivity) and Source Extractor's multi-threshold deblending.
 *
 * Labelling works on runs: each row's maximal runs of "on" pixels are joined, through a
 * union–find forest, to the runs of the row above that touch them (diagonals included),
 * so memory is proportional to the runs, not the image.
 *
 * Deblending (Bertin & Arnouts 1996, §7.2): between the detection threshold t₀ and the
 * object's peak f_max, N levels tᵢ = t₀·(f_max/t₀)^(i/N) are laid out. Going up from the
 * lowest level, the pixels above each level are split into connected branches; a branch
 * counts if it has at least min(`minArea`, 3) pixels and its intensity above that level,
 * Σ (f − tᵢ), exceeds `contrast` × the whole composite's Σ f (the reading of the paper's
 * "integrated pixel intensity above tᵢ" that reproduces sep's splits on controlled pairs). Where two or more branches count, each is an
 * object of its own and is deblended further from the next level up. The pixels left
 * below the splitting levels go to the object whose Gaussian model (from its core's
 * moments and peak) is highest there.
 */

/** Pixel lists of connected components: component c holds pixels[offsets[c] .. offsets[c+1]) (raster order). */
export interface Components {
  count: number;
  offsets: Int32Array;
  pixels: Int32Array;
}

class IntBuffer {
  data: Int32Array;
  length = 0;
  constructor(capacity = 1024) {
    this.data = new Int32Array(capacity);
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

/**
 * Connected components (8-connectivity) of the pixels where `values[i] > k·noise[i]`
 * (`noise` a scalar or a map; NaN never passes), keeping those of at least `minArea` pixels.
 */
export function labelAboveThreshold(values: Float32Array, width: number, height: number, k: number, noise: number | ArrayLike<number>, minArea: number): Components {
  const rx0 = new IntBuffer(4096);
  const rx1 = new IntBuffer(4096);
  const parent = new IntBuffer(4096);
  const find = (r: number): number => {
    const p = parent.data;
    while (p[r] !== r) {
      p[r] = p[p[r]];
      r = p[r];
    }
    return r;
  };
  const scalar = typeof noise === 'number' ? k * noise : 0;
  const map = typeof noise === 'number' ? undefined : noise;
  let prevStart = 0;
  let prevEnd = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const curStart = parent.length;
    let x = 0;
    while (x < width) {
      // Skip off pixels, then take a run of on pixels.
      if (map === undefined) {
        while (x < width && !(values[row + x] > scalar)) x++;
        if (x >= width) break;
        const s = x;
        while (x < width && values[row + x] > scalar) x++;
        rx0.push(row + s);
        rx1.push(row + x - 1);
      } else {
        while (x < width && !(values[row + x] > k * map[row + x])) x++;
        if (x >= width) break;
        const s = x;
        while (x < width && values[row + x] > k * map[row + x]) x++;
        rx0.push(row + s);
        rx1.push(row + x - 1);
      }
      parent.push(parent.length);
    }
    const curEnd = parent.length;
    // Join with touching runs of the previous row (column ranges overlap after widening by 1).
    let j = prevStart;
    for (let r = curStart; r < curEnd; r++) {
      const a = rx0.data[r] - row;
      const b = rx1.data[r] - row;
      const prow = row - width;
      while (j < prevEnd && rx1.data[j] - prow < a - 1) j++;
      for (let q = j; q < prevEnd && rx0.data[q] - prow <= b + 1; q++) {
        const ra = find(q);
        const rb = find(r);
        if (ra !== rb) {
          if (ra < rb) parent.data[rb] = ra;
          else parent.data[ra] = rb;
        }
      }
    }
    prevStart = curStart;
    prevEnd = curEnd;
  }
  const nRuns = parent.length;
  // Roots are each set's first run, so numbering roots in run order numbers components in
  // raster order of their first pixel.
  const comp = new Int32Array(nRuns);
  let nComp = 0;
  for (let r = 0; r < nRuns; r++) {
    const root = find(r);
    comp[r] = root === r ? nComp++ : comp[root];
  }
  const size = new Int32Array(nComp);
  for (let r = 0; r < nRuns; r++) size[comp[r]] += rx1.data[r] - rx0.data[r] + 1;
  const keep = new Int32Array(nComp).fill(-1);
  let count = 0;
  for (let c = 0; c < nComp; c++) if (size[c] >= minArea) keep[c] = count++;
  const offsets = new Int32Array(count + 1);
  for (let c = 0; c < nComp; c++) if (keep[c] >= 0) offsets[keep[c] + 1] = size[c];
  for (let c = 0; c < count; c++) offsets[c + 1] += offsets[c];
  const pixels = new Int32Array(offsets[count]);
  const fill = offsets.slice(0, count);
  for (let r = 0; r < nRuns; r++) {
    const c = keep[comp[r]];
    if (c < 0) continue;
    for (let p = rx0.data[r]; p <= rx1.data[r]; p++) pixels[fill[c]++] = p;
  }
  return { count, offsets, pixels };
}

/** Reusable grids for deblending (stamps make clearing unnecessary between calls). */
export class DeblendScratch {
  grid = new Int32Array(0);
  stack = new Int32Array(0);
  buf = new Int32Array(0);
  stamp = 0;
  ensure(cells: number, pixels: number): void {
    if (this.grid.length < cells) {
      this.grid = new Int32Array(cells);
      this.stamp = 0;
    }
    if (this.stack.length < pixels) {
      this.stack = new Int32Array(pixels);
      this.buf = new Int32Array(pixels);
    }
  }
  /** Two fresh stamp values (selected, visited); restarts the grid well before Int32 overflow. */
  nextStamps(): [number, number] {
    if (this.stamp > 2_000_000_000) {
      this.grid.fill(0);
      this.stamp = 0;
    }
    this.stamp += 2;
    return [this.stamp - 1, this.stamp];
  }
}

export interface DeblendParams {
  /** Number of levels N (≥ 1; 1 disables deblending). */
  nThresh: number;
  /** Minimum contrast δ (fraction of the composite's intensity); ≥ 1 disables deblending. */
  contrast: number;
  minArea: number;
}

/**
 * Split one component into deblended objects. `pixels` are image indices (raster order)
 * of the component, `f` the filtered image, `t0` the detection threshold at the object.
 * Returns the objects' pixel lists (one list, the input, when nothing splits).
 */
export function deblend(pixels: Int32Array, f: Float32Array, width: number, t0: number, params: DeblendParams, scratch: DeblendScratch): Int32Array[] {
  const { nThresh, contrast, minArea } = params;
  if (nThresh <= 1 || contrast >= 1 || pixels.length < 2) return [pixels];
  let fmax = -Infinity;
  let total = 0;
  let xmin = Infinity;
  let xmax = -Infinity;
  let ymin = Infinity;
  let ymax = -Infinity;
  for (let k = 0; k < pixels.length; k++) {
    const p = pixels[k];
    const v = f[p];
    total += v;
    if (v > fmax) fmax = v;
    const y = (p / width) | 0;
    const x = p - y * width;
    if (x < xmin) xmin = x;
    if (x > xmax) xmax = x;
    if (y < ymin) ymin = y;
    if (y > ymax) ymax = y;
  }
  if (!(fmax > t0) || !(total > 0)) return [pixels];
  const bw = xmax - xmin + 1;
  const bh = ymax - ymin + 1;
  scratch.ensure(bw * bh, pixels.length);
  const box = { xmin, ymin, bw, bh };
  // Every branch of every level holds a local maximum of f, so an object with one local
  // maximum (most stars) cannot split: skip the levels.
  if (countLocalMaxima(pixels, f, width, box, scratch) < 2) return [pixels];
  const levels = new Float64Array(nThresh);
  for (let i = 1; i < nThresh; i++) {
    levels[i] = t0 > 0 ? t0 * Math.pow(fmax / t0, i / nThresh) : t0 + ((fmax - t0) * i) / nThresh;
  }
  const minFlux = contrast * total;
  // Branches may be smaller than a detection: sep (and Source Extractor) accept one of
  // min(minArea, 3) pixels — a real second peak shows only its top few pixels above the
  // higher levels.
  const minBranch = Math.min(minArea, 3);
  const cores: Int32Array[] = [];

  const split = (sub: Int32Array, start: number): void => {
    let cur = sub;
    for (let lev = start; lev < nThresh; lev++) {
      const branches = branchesAbove(cur, f, width, levels[lev], box, scratch);
      const kept: Int32Array[] = [];
      for (const b of branches) {
        if (b.length < minBranch) continue;
        // A branch's weight is its intensity above the level that cut it out.
        const level = levels[lev];
        let s = 0;
        for (let k = 0; k < b.length; k++) s += f[b[k]] - level;
        if (s > minFlux) kept.push(b);
      }
      if (kept.length >= 2) {
        for (const b of kept) split(b, lev + 1);
        return;
      }
      if (kept.length === 0) break;
      cur = kept[0];
    }
    cores.push(sub);
  };
  split(pixels, 1);
  if (cores.length < 2) return [pixels];
  return assignSkirt(pixels, cores, f, width);
}

/** Pixels of `sub` with no 8-neighbour in `sub` of strictly higher f (plateaus count every pixel). */
function countLocalMaxima(sub: Int32Array, f: Float32Array, width: number, box: { xmin: number; ymin: number; bw: number; bh: number }, s: DeblendScratch): number {
  const [mark] = s.nextStamps();
  const { xmin, ymin, bw, bh } = box;
  const grid = s.grid;
  for (let k = 0; k < sub.length; k++) {
    const p = sub[k];
    const y = (p / width) | 0;
    grid[(y - ymin) * bw + (p - y * width - xmin)] = mark;
  }
  let count = 0;
  for (let k = 0; k < sub.length; k++) {
    const p = sub[k];
    const v = f[p];
    const y = (p / width) | 0;
    const cy = y - ymin;
    const cx = p - y * width - xmin;
    let isMax = true;
    for (let dy = -1; dy <= 1 && isMax; dy++) {
      const yy = cy + dy;
      if (yy < 0 || yy >= bh) continue;
      for (let dx = -1; dx <= 1; dx++) {
        const xx = cx + dx;
        if (xx < 0 || xx >= bw || (dx === 0 && dy === 0)) continue;
        if (grid[yy * bw + xx] === mark && f[p + dy * width + dx] > v) {
          isMax = false;
          break;
        }
      }
    }
    if (isMax && ++count >= 2) return count;
  }
  return count;
}

/** Connected (8-way) branches of the pixels of `sub` with f > level, each in raster order. */
function branchesAbove(sub: Int32Array, f: Float32Array, width: number, level: number, box: { xmin: number; ymin: number; bw: number; bh: number }, s: DeblendScratch): Int32Array[] {
  const [sel, seen] = s.nextStamps();
  const { xmin, ymin, bw, bh } = box;
  const grid = s.grid;
  let any = false;
  for (let k = 0; k < sub.length; k++) {
    const p = sub[k];
    if (f[p] > level) {
      const y = (p / width) | 0;
      grid[(y - ymin) * bw + (p - y * width - xmin)] = sel;
      any = true;
    }
  }
  if (!any) return [];
  const out: Int32Array[] = [];
  const stack = s.stack;
  const buf = s.buf;
  for (let k = 0; k < sub.length; k++) {
    const p = sub[k];
    const py = (p / width) | 0;
    const start = (py - ymin) * bw + (p - py * width - xmin);
    if (grid[start] !== sel) continue;
    let top = 0;
    let n = 0;
    stack[top++] = start;
    grid[start] = seen;
    while (top > 0) {
      const c = stack[--top];
      const cy = (c / bw) | 0;
      const cx = c - cy * bw;
      buf[n++] = (cy + ymin) * width + cx + xmin;
      const y0 = cy > 0 ? cy - 1 : 0;
      const y1 = cy < bh - 1 ? cy + 1 : bh - 1;
      const x0 = cx > 0 ? cx - 1 : 0;
      const x1 = cx < bw - 1 ? cx + 1 : bw - 1;
      for (let yy = y0; yy <= y1; yy++) {
        for (let xx = x0; xx <= x1; xx++) {
          const q = yy * bw + xx;
          if (grid[q] === sel) {
            grid[q] = seen;
            stack[top++] = q;
          }
        }
      }
    }
    const branch = buf.slice(0, n);
    branch.sort();
    out.push(branch);
  }
  return out;
}

/**
 * Give every pixel of the composite that is in no core to the core whose Gaussian model
 * A·exp(−½ dᵀC⁻¹d) (peak A, mean and covariance from the core's filtered intensities) is
 * largest there. Returns the objects' pixel lists in raster order.
 */
function assignSkirt(pixels: Int32Array, cores: Int32Array[], f: Float32Array, width: number): Int32Array[] {
  const nc = cores.length;
  const mx = new Float64Array(nc);
  const my = new Float64Array(nc);
  const cxx = new Float64Array(nc);
  const cyy = new Float64Array(nc);
  const cxy = new Float64Array(nc);
  const logA = new Float64Array(nc);
  const owner = new Map<number, number>();
  for (let c = 0; c < nc; c++) {
    const core = cores[c];
    let sw = 0;
    let sx = 0;
    let sy = 0;
    let peak = -Infinity;
    for (let k = 0; k < core.length; k++) {
      const p = core[k];
      const w = f[p];
      const y = (p / width) | 0;
      const x = p - y * width;
      sw += w;
      sx += w * x;
      sy += w * y;
      if (w > peak) peak = w;
      owner.set(p, c);
    }
    const meanX = sx / sw;
    const meanY = sy / sw;
    let sxx = 0;
    let syy = 0;
    let sxy = 0;
    for (let k = 0; k < core.length; k++) {
      const p = core[k];
      const w = f[p];
      const y = (p / width) | 0;
      const dx = p - y * width - meanX;
      const dy = y - meanY;
      sxx += w * dx * dx;
      syy += w * dy * dy;
      sxy += w * dx * dy;
    }
    // Variances of at least 1/12 px² (a single pixel) keep tiny cores invertible.
    const vx = Math.max(sxx / sw, 0) + 1 / 12;
    const vy = Math.max(syy / sw, 0) + 1 / 12;
    let vxy = sxy / sw;
    const lim = 0.99 * Math.sqrt(vx * vy);
    if (vxy > lim) vxy = lim;
    if (vxy < -lim) vxy = -lim;
    const det = vx * vy - vxy * vxy;
    mx[c] = meanX;
    my[c] = meanY;
    cxx[c] = vy / det;
    cyy[c] = vx / det;
    cxy[c] = -vxy / det;
    logA[c] = Math.log(Math.max(peak, 1e-30));
  }
  const lists: number[][] = cores.map(() => []);
  for (let k = 0; k < pixels.length; k++) {
    const p = pixels[k];
    let c = owner.get(p);
    if (c === undefined) {
      const y = (p / width) | 0;
      const x = p - y * width;
      let best = -Infinity;
      c = 0;
      for (let q = 0; q < nc; q++) {
        const dx = x - mx[q];
        const dy = y - my[q];
        const v = logA[q] - 0.5 * (cxx[q] * dx * dx + cyy[q] * dy * dy + 2 * cxy[q] * dx * dy);
        if (v > best) {
          best = v;
          c = q;
        }
      }
    }
    lists[c].push(p);
  }
  return lists.map((l) => Int32Array.from(l));
}
