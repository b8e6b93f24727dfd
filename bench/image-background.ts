/**
 * Background estimation of a 4096² float32 frame (box 64, filter 3×3), one thread, beside
 * sep.Background on the same pixels in the same run. Two figures: the mesh alone (sep's
 * constructor) and mesh + full-resolution level and RMS maps (sep: constructor, back(),
 * rms()). sep is timed inside Python, so start-up and file I/O are not counted.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backgroundMesh, estimateBackground } from '../src/science/image/background.js';
import { Rng } from '../src/science/inference/random.js';
import { DEBIAN_PYTHON, hasPythonModule, timeIt, type BenchContext } from './harness.js';

const SIZE = 4096;
const REPEATS = 3;

const PYTHON = String.raw`
import json, sys, time
import numpy as np
import sep
path, n, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = np.fromfile(path, dtype='<f4').reshape(n, n)
def med(f):
    f()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return sorted(t)[len(t) // 2]
def full():
    b = sep.Background(data, bw=64, bh=64, fw=3, fh=3)
    b.back(); b.rms()
print(json.dumps({'mesh': med(lambda: sep.Background(data, bw=64, bh=64, fw=3, fh=3)), 'full': med(full)}))
`;

/** A sky of 1000 ADU with a gradient, σ = 10 noise and 20 000 Gaussian stars. */
function frame(): Float32Array {
  const rng = new Rng(4096);
  const n = SIZE;
  const img = new Float32Array(n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) img[y * n + x] = 1000 + 0.002 * x + 10 * rng.normal();
  for (let k = 0; k < 20000; k++) {
    const xc = rng.uniform() * n;
    const yc = rng.uniform() * n;
    const amp = 50 + 5000 * rng.uniform() ** 4;
    for (let y = Math.max(0, Math.floor(yc) - 6); y <= Math.min(n - 1, Math.floor(yc) + 6); y++) {
      for (let x = Math.max(0, Math.floor(xc) - 6); x <= Math.min(n - 1, Math.floor(xc) + 6); x++) {
        img[y * n + x] += amp * Math.exp(-((x - xc) ** 2 + (y - yc) ** 2) / (2 * 1.5 * 1.5));
      }
    }
  }
  return img;
}

export async function run(ctx: BenchContext): Promise<void> {
  const img = frame();
  const tMesh = timeIt(() => void backgroundMesh(img, SIZE, SIZE, { boxSize: 64, filterSize: 3 }), REPEATS);
  const tFull = timeIt(() => void estimateBackground(img, SIZE, SIZE, { boxSize: 64, filterSize: 3 }), REPEATS);
  let ref: { mesh: number; full: number } | undefined;
  if (hasPythonModule('sep')) {
    const path = join(ctx.tmpDir, 'frame.f32');
    writeFileSync(path, new Uint8Array(img.buffer, img.byteOffset, img.byteLength));
    const out = execFileSync(DEBIAN_PYTHON, ['-c', PYTHON, path, String(SIZE), String(REPEATS)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    ref = JSON.parse(out) as { mesh: number; full: number };
  }
  ctx.record({
    name: 'background mesh 4096² (box 64, filter 3), 1 thread',
    unit: 's',
    ours: tMesh,
    reference: ref ? { tool: 'sep', value: ref.mesh } : undefined,
    higherIsBetter: false,
  });
  ctx.record({
    name: 'background mesh + level + RMS maps 4096², 1 thread',
    unit: 's',
    ours: tFull,
    reference: ref ? { tool: 'sep', value: ref.full } : undefined,
    higherIsBetter: false,
  });
}
