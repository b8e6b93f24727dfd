/**
 * Interpolation kernels for reprojection: sample an image at arbitrary (x, y) positions
 * given as a pixel map. Values are surface brightness (per input pixel), no Jacobian.
 *
 * Edges follow astropy reproject's reproject_interp: a position is inside the image when
 * −0.5 ≤ x ≤ width − 0.5 (same for y), and the image is extended by repeating its edge
 * pixels, so the outer half of the outer pixels is sampled too; outside → NaN.
 *
 * NaN input pixels are missing data: the kernel is renormalised over the valid taps
 * (Σ w·v / Σ w over taps with finite values), and the result is NaN when no tap with a
 * non-zero weight is valid. `coverage` receives Σ w(valid) / Σ w(all) (1 in clean areas,
 * 0 outside). Note reproject_interp instead propagates NaN to every output pixel whose 2×2
 * neighbourhood touches a NaN; away from NaN pixels both rules give identical values.
 *
 * An optional weight map is interpolated with the same taps and the same validity.
 */

export interface SampleTarget {
  out: Float32Array;
  coverage: Float32Array;
  outWeights?: Float32Array;
}

/**
 * Bilinear sample of `data` at (mapX[i], mapY[i]) for i < n, written to target arrays at
 * offset + i.
 */
export function sampleBilinear(
  data: Float32Array,
  width: number,
  height: number,
  weights: Float32Array | undefined,
  mapX: Float64Array,
  mapY: Float64Array,
  n: number,
  target: SampleTarget,
  offset: number,
): void {
  const { out, coverage, outWeights } = target;
  const xMax = width - 0.5;
  const yMax = height - 0.5;
  const wl = width - 1;
  const hl = height - 1;
  for (let i = 0; i < n; i++) {
    const x = mapX[i];
    const y = mapY[i];
    const o = offset + i;
    // Negated test so NaN coordinates land here too.
    if (!(x >= -0.5 && x <= xMax && y >= -0.5 && y <= yMax)) {
      out[o] = NaN;
      coverage[o] = 0;
      if (outWeights) outWeights[o] = 0;
      continue;
    }
    let ix = Math.floor(x);
    let iy = Math.floor(y);
    const fx = x - ix;
    const fy = y - iy;
    // Edge extension: clamp the neighbour indices.
    let ix1 = ix + 1;
    let iy1 = iy + 1;
    if (ix < 0) ix = 0;
    if (iy < 0) iy = 0;
    if (ix1 > wl) ix1 = wl;
    if (iy1 > hl) iy1 = hl;
    const r0 = iy * width;
    const r1 = iy1 * width;
    const v00 = data[r0 + ix];
    const v10 = data[r0 + ix1];
    const v01 = data[r1 + ix];
    const v11 = data[r1 + ix1];
    const w00 = (1 - fx) * (1 - fy);
    const w10 = fx * (1 - fy);
    const w01 = (1 - fx) * fy;
    const w11 = fx * fy;
    const s = w00 * v00 + w10 * v10 + w01 * v01 + w11 * v11;
    if (s === s) {
      out[o] = s;
      coverage[o] = 1;
      if (outWeights && weights) {
        outWeights[o] = w00 * weights[r0 + ix] + w10 * weights[r0 + ix1] + w01 * weights[r1 + ix] + w11 * weights[r1 + ix1];
      }
      continue;
    }
    // Some neighbour is NaN: renormalise over the valid ones.
    let sv = 0;
    let sw = 0;
    let sww = 0;
    if (v00 === v00 && w00 > 0) {
      sv += w00 * v00;
      sw += w00;
      if (weights) sww += w00 * weights[r0 + ix];
    }
    if (v10 === v10 && w10 > 0) {
      sv += w10 * v10;
      sw += w10;
      if (weights) sww += w10 * weights[r0 + ix1];
    }
    if (v01 === v01 && w01 > 0) {
      sv += w01 * v01;
      sw += w01;
      if (weights) sww += w01 * weights[r1 + ix];
    }
    if (v11 === v11 && w11 > 0) {
      sv += w11 * v11;
      sw += w11;
      if (weights) sww += w11 * weights[r1 + ix1];
    }
    if (sw > 0) {
      out[o] = sv / sw;
      coverage[o] = sw;
      if (outWeights) outWeights[o] = sww / sw;
    } else {
      out[o] = NaN;
      coverage[o] = 0;
      if (outWeights) outWeights[o] = 0;
    }
  }
}

/** Lanczos-3 kernel sinc(d)·sinc(d/3) for |d| < 3, else 0. */
export function lanczos3(d: number): number {
  const a = Math.abs(d);
  if (a >= 3) return 0;
  if (a < 1e-8) return 1;
  const p = Math.PI * a;
  return (3 * Math.sin(p) * Math.sin(p / 3)) / (p * p);
}

/**
 * Lanczos-3 sample (6×6 taps, weights normalised to sum 1 so a constant image stays
 * constant); same edge and NaN rules as sampleBilinear.
 */
export function sampleLanczos3(
  data: Float32Array,
  width: number,
  height: number,
  weights: Float32Array | undefined,
  mapX: Float64Array,
  mapY: Float64Array,
  n: number,
  target: SampleTarget,
  offset: number,
): void {
  const { out, coverage, outWeights } = target;
  const kx = new Float64Array(6);
  const ky = new Float64Array(6);
  const cols = new Int32Array(6);
  const xMax = width - 0.5;
  const yMax = height - 0.5;
  const wl = width - 1;
  const hl = height - 1;
  for (let i = 0; i < n; i++) {
    const x = mapX[i];
    const y = mapY[i];
    const o = offset + i;
    if (!(x >= -0.5 && x <= xMax && y >= -0.5 && y <= yMax)) {
      out[o] = NaN;
      coverage[o] = 0;
      if (outWeights) outWeights[o] = 0;
      continue;
    }
    const ix = Math.floor(x);
    const iy = Math.floor(y);
    const fx = x - ix;
    const fy = y - iy;
    let sx = 0;
    let sy = 0;
    for (let k = 0; k < 6; k++) {
      const wx = lanczos3(fx - (k - 2));
      const wy = lanczos3(fy - (k - 2));
      kx[k] = wx;
      ky[k] = wy;
      sx += wx;
      sy += wy;
      const c = ix + k - 2;
      cols[k] = c < 0 ? 0 : c > wl ? wl : c;
    }
    let sv = 0;
    let sw = 0;
    let sww = 0;
    let sAll = 0;
    for (let r = 0; r < 6; r++) {
      const wy = ky[r];
      if (wy === 0) continue;
      let row = iy + r - 2;
      row = row < 0 ? 0 : row > hl ? hl : row;
      const base = row * width;
      for (let k = 0; k < 6; k++) {
        const w = wy * kx[k];
        if (w === 0) continue;
        sAll += w;
        const v = data[base + cols[k]];
        if (v === v) {
          sv += w * v;
          sw += w;
          if (weights) sww += w * weights[base + cols[k]];
        }
      }
    }
    // Negative lobes can make a partial sum tiny; require a sizeable share of the kernel.
    const share = sw / (sx * sy);
    if (share > 0.25 && sAll !== 0) {
      out[o] = sv / sw;
      coverage[o] = share > 1 ? 1 : share;
      if (outWeights) outWeights[o] = sww / sw;
    } else {
      out[o] = NaN;
      coverage[o] = 0;
      if (outWeights) outWeights[o] = 0;
    }
  }
}
