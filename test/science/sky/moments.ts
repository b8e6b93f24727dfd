/** Image moments for the sky tests: flux, centroid and second moments over a window. */
export interface Moments {
  sum: number;
  x: number;
  y: number;
  xx: number;
  yy: number;
  xy: number;
}

/** Moments of `image - background` over the whole image, or a window [x0, x1] × [y0, y1]. */
export function moments(
  image: ArrayLike<number>,
  width: number,
  height: number,
  opts: { background?: number; window?: [number, number, number, number] } = {},
): Moments {
  const bg = opts.background ?? 0;
  const [x0, x1, y0, y1] = opts.window ?? [0, width - 1, 0, height - 1];
  let s = 0;
  let sx = 0;
  let sy = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const v = image[y * width + x] - bg;
      s += v;
      sx += v * x;
      sy += v * y;
    }
  }
  const cx = sx / s;
  const cy = sy / s;
  let xx = 0;
  let yy = 0;
  let xy = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      const v = image[y * width + x] - bg;
      xx += v * (x - cx) ** 2;
      yy += v * (y - cy) ** 2;
      xy += v * (x - cx) * (y - cy);
    }
  }
  return { sum: s, x: cx, y: cy, xx: xx / s, yy: yy / s, xy: xy / s };
}

/** Sample mean and (unbiased) variance. */
export function meanVariance(values: ArrayLike<number>): { mean: number; variance: number; n: number } {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  const mean = s / values.length;
  let v = 0;
  for (let i = 0; i < values.length; i++) v += (values[i] - mean) ** 2;
  return { mean, variance: v / (values.length - 1), n: values.length };
}
