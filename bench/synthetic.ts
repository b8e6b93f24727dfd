/**
 * A quick synthetic star field for benchmarks: flat sky + Gaussian noise + Gaussian stars.
 * (The realistic renderer for tests and the simulator belongs in science/sky.)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function syntheticStarField(
  width: number,
  height: number,
  opts: { seed: number; stars: number; skyAdu: number; noiseAdu: number; fwhmPx?: number },
): Float32Array {
  const rand = mulberry32(opts.seed);
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i += 2) {
    // Box–Muller, two normals per draw.
    const r = Math.sqrt(-2 * Math.log(rand() + 1e-300));
    const t = 2 * Math.PI * rand();
    out[i] = opts.skyAdu + opts.noiseAdu * r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = opts.skyAdu + opts.noiseAdu * r * Math.sin(t);
  }
  const sigma = (opts.fwhmPx ?? 3) / 2.3548;
  const radius = Math.ceil(4 * sigma);
  for (let s = 0; s < opts.stars; s++) {
    const cx = rand() * width;
    const cy = rand() * height;
    const peak = 50 * Math.pow(1000, rand());
    for (let y = Math.max(0, Math.floor(cy - radius)); y <= Math.min(height - 1, Math.ceil(cy + radius)); y++) {
      for (let x = Math.max(0, Math.floor(cx - radius)); x <= Math.min(width - 1, Math.ceil(cx + radius)); x++) {
        const d2 = (x - cx) ** 2 + (y - cy) ** 2;
        out[y * width + x] += peak * Math.exp(-d2 / (2 * sigma * sigma));
      }
    }
  }
  return out;
}
