/**
 * Bilinear reprojection, one thread, beside astropy reproject_interp(order='bilinear')
 * (timed inside Python: no start-up or FITS I/O counted) and SWarp (RESAMPLING_TYPE
 * BILINEAR, COMBINE N, SUBTRACT_BACK N, NTHREADS 1, target grid from a .head file; timed as a
 * command, so its FITS reading and writing are included) on the same inputs and grid:
 *   4096² → 4096² and 3000×2000 → 4096², target rotated 10°, 0.9× the pixel scale, shifted.
 * Ours: reproject() with the default coarse pixel map (step 16, error < 0.01 px).
 * 2 threads: ours with a 2-worker pool (src/science/parallel; input shared, bands on the
 * workers, results identical) beside SWarp NTHREADS 2.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Header } from '../src/science/fits/header.js';
import { imageHdu, writeFitsFile } from '../src/science/fits/writer.js';
import { reproject } from '../src/science/image/reproject.js';
import { createPool } from '../src/science/parallel/pool.js';
import { Rng } from '../src/science/inference/random.js';
import { createWcs, wcsToHeader, type Wcs } from '../src/science/wcs/index.js';
import { DEBIAN_PYTHON, hasCommand, hasPythonModule, timeCommand, timeIt, timeItAsync, type BenchContext } from './harness.js';

const TARGET = 4096;
const SCALE_DEG = 1 / 3600;

const PYTHON = String.raw`
import json, sys, time, warnings
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from reproject import reproject_interp
warnings.simplefilter('ignore')
inp, ref, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
with fits.open(inp) as h: data, win = h[0].data.astype(np.float32), WCS(h[0].header)
with fits.open(ref) as h: wout, shape = WCS(h[0].header), (h[0].header['NAXIS2'], h[0].header['NAXIS1'])
t = []
for _ in range(repeats):
    t0 = time.perf_counter(); reproject_interp((data, win), wout, shape_out=shape, order='bilinear'); t.append(time.perf_counter() - t0)
print(json.dumps({'seconds': sorted(t)[len(t) // 2]}))
`;

function inputImage(width: number, height: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const img = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) img[y * width + x] = 1000 + 0.01 * x - 0.02 * y + 10 * rng.normal();
  return img;
}

function wcsHeader(wcs: Wcs): Header {
  const h = new Header();
  wcsToHeader(wcs, h);
  return h;
}

export async function run(ctx: BenchContext): Promise<void> {
  const t = (10 * Math.PI) / 180;
  const s = 0.9 * SCALE_DEG;
  const target = createWcs({
    crpix: [TARGET / 2 + 37.3, TARGET / 2 - 21.8],
    crval: [150.02, 2.21],
    cd: [-s * Math.cos(t), s * Math.sin(t), s * Math.sin(t), s * Math.cos(t)],
  });
  const refFile = join(ctx.tmpDir, 'ref.fits');
  const refHeader = wcsHeader(target);
  await writeFitsFile(refFile, [imageHdu(new Float32Array(TARGET * TARGET), [TARGET, TARGET], { header: refHeader, bitpix: -32 })]);
  const swarp = hasCommand('swarp') ? 'swarp' : hasCommand('SWarp') ? 'SWarp' : undefined;

  for (const [w, h] of [
    [4096, 4096],
    [3000, 2000],
  ] as const) {
    const inputWcs = createWcs({ crpix: [w / 2, h / 2], crval: [150.0, 2.2], cd: [-SCALE_DEG, 0, 0, SCALE_DEG] });
    const data = inputImage(w, h, w + h);
    const label = `reproject bilinear ${w}×${h} → ${TARGET}² (1 thread)`;
    const out = new Float32Array(TARGET * TARGET);
    const ours = timeIt(() => void reproject({ data, width: w, height: h, wcs: inputWcs }, { wcs: target, width: TARGET, height: TARGET }, { out }), 3);
    const pool = createPool({ workers: 2 });
    await pool.start();
    let ours2: number;
    try {
      // Input copied to shared memory once (as the CLI does), not on every call.
      const shared = new Float32Array(new SharedArrayBuffer(data.length * 4));
      shared.set(data);
      ours2 = await timeItAsync(async () => void (await reproject({ data: shared, width: w, height: h, wcs: inputWcs }, { wcs: target, width: TARGET, height: TARGET }, { out, pool })), 3);
    } finally {
      await pool.stop();
    }
    const label2 = label.replace('(1 thread)', '(2 threads)');

    const inFile = join(ctx.tmpDir, `in-${w}x${h}.fits`);
    await writeFitsFile(inFile, [imageHdu(data, [w, h], { header: wcsHeader(inputWcs), bitpix: -32 })]);

    let astropy: number | undefined;
    if (hasPythonModule('reproject')) {
      const res = execFileSync(DEBIAN_PYTHON, ['-c', PYTHON, inFile, refFile, '1'], { encoding: 'utf8', maxBuffer: 1 << 20 });
      astropy = (JSON.parse(res) as { seconds: number }).seconds;
    }
    ctx.record({ name: `${label} vs astropy reproject_interp`, unit: 's', ours, reference: astropy === undefined ? undefined : { tool: 'reproject_interp (1 thread)', value: astropy }, higherIsBetter: false });
    ctx.record({ name: `${label2} vs astropy reproject_interp`, unit: 's', ours: ours2, reference: astropy === undefined ? undefined : { tool: 'reproject_interp (1 thread)', value: astropy }, higherIsBetter: false });

    if (swarp) {
      const outFile = join(ctx.tmpDir, `swarp-${w}x${h}.fits`);
      // SWarp reads the output grid from <IMAGEOUT_NAME without .fits>.head.
      writeFileSync(outFile.replace(/\.fits$/, '.head'), refHeader.toCardImages().join('\n') + `\nNAXIS1  = ${TARGET}\nNAXIS2  = ${TARGET}\nEND\n`);
      const args = [
        inFile,
        '-IMAGEOUT_NAME', outFile,
        '-WEIGHTOUT_NAME', join(ctx.tmpDir, 'swarp-weight.fits'),
        '-RESAMPLING_TYPE', 'BILINEAR',
        '-COMBINE', 'N',
        '-SUBTRACT_BACK', 'N',
        '-NTHREADS', '1',
        '-RESAMPLE_DIR', ctx.tmpDir,
        '-WRITE_XML', 'N',
        '-VERBOSE_TYPE', 'QUIET',
      ];
      const tSwarp = timeCommand(swarp, args, 1);
      if (tSwarp !== undefined) {
        ctx.record({ name: `${label} vs SWarp`, unit: 's', ours, reference: { tool: 'SWarp (1 thread, incl. FITS I/O)', value: tSwarp }, higherIsBetter: false });
      }
      const args2 = args.slice();
      args2[args2.indexOf('-NTHREADS') + 1] = '2';
      const tSwarp2 = timeCommand(swarp, args2, 1);
      if (tSwarp2 !== undefined) {
        ctx.record({ name: `${label2} vs SWarp`, unit: 's', ours: ours2, reference: { tool: 'SWarp (2 threads, incl. FITS I/O)', value: tSwarp2 }, higherIsBetter: false });
      }
    }
  }
}
