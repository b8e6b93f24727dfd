/**
 * Detection benchmarks (issue 3): a 4096×4096 float32 star field (20 000 Gaussian stars,
 * FWHM 3 px, on flat sky with Gaussian noise), one thread on every side.
 *
 * 1. extraction alone — ours `detectSources(..., { windowed: false })` beside
 *    `sep.extract` with the same background and RMS maps, the same 3×3 filter, threshold
 *    1.5σ, minarea 5, deblending 32 / 0.005, no cleaning (timed inside Python, so process
 *    start-up and file I/O are not counted for either side);
 * 2. extraction + windowed centroids — ours with windowed positions, half-light radii and
 *    FWHM beside `sep.extract` + `sep.flux_radius` + `sep.winpos` (sep's documented recipe);
 * 3. whole run from the FITS file (read, background mesh + RMS map, detection, windowed
 *    positions) beside `source-extractor` (one thread, ASCII catalogue with XWIN/YWIN).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FitsReader } from '../src/science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../src/science/fits/writer.js';
import { estimateBackground } from '../src/science/image/background.js';
import { detectSources } from '../src/science/image/detect.js';
import { DEBIAN_PYTHON, hasCommand, hasPythonModule, timeCommand, timeIt, timeItAsync, type BenchContext } from './harness.js';
import { syntheticStarField } from './synthetic.js';

const SIZE = 4096;
const REPEATS = 3;

const PYTHON = String.raw`
import json, sys, time
import numpy as np
import sep
from astropy.io import fits
frame, back, rms, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
data = fits.getdata(frame).astype(np.float32)
bkg = fits.getdata(back).astype(np.float32)
err = fits.getdata(rms).astype(np.float32)
sub = data - bkg
kernel = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=np.float32)
sep.set_extract_pixstack(50_000_000)
sep.set_sub_object_limit(4096)
def extract():
    return sep.extract(sub, 1.5, err=err, minarea=5, filter_kernel=kernel, filter_type='conv',
                       deblend_nthresh=32, deblend_cont=0.005, clean=False)
def windowed():
    o = extract()
    r, _ = sep.flux_radius(sub, o['x'], o['y'], np.maximum(6.0 * o['a'], 3.0), 0.5, subpix=5)
    sig = 2.0 * r / 2.35482
    return sep.winpos(sub, o['x'], o['y'], sig)
def med(f):
    f()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return sorted(t)[len(t) // 2]
print(json.dumps({'extract': med(extract), 'windowed': med(windowed), 'count': int(len(extract()))}))
`;

const SE_PARAMS = ['X_IMAGE', 'Y_IMAGE', 'XWIN_IMAGE', 'YWIN_IMAGE', 'FLUX_ISO', 'FLUX_RADIUS', 'FLAGS'].join('\n') + '\n';

export async function run(ctx: BenchContext): Promise<void> {
  const data = syntheticStarField(SIZE, SIZE, { seed: 7, stars: 20000, skyAdu: 1000, noiseAdu: 12, fwhmPx: 3 });
  const frame = join(ctx.tmpDir, 'frame.fits');
  await writeFitsFile(frame, [imageHdu(data, [SIZE, SIZE], { primary: true })]);
  const bg = estimateBackground(data, SIZE, SIZE);
  const backPath = join(ctx.tmpDir, 'back.fits');
  const rmsPath = join(ctx.tmpDir, 'rms.fits');
  await writeFitsFile(backPath, [imageHdu(bg.level, [SIZE, SIZE], { primary: true })]);
  await writeFitsFile(rmsPath, [imageHdu(bg.rms, [SIZE, SIZE], { primary: true })]);
  const image = { data, width: SIZE, height: SIZE };

  let count = 0;
  const extractS = timeIt(() => {
    count = detectSources(image, bg.level, bg.rms, { windowed: false }).sources.length;
  }, REPEATS);
  const windowedS = timeIt(() => {
    detectSources(image, bg.level, bg.rms);
  }, REPEATS);

  let sepTimes: { extract: number; windowed: number; count: number } | undefined;
  if (hasPythonModule('sep')) {
    const out = execFileSync(DEBIAN_PYTHON, ['-c', PYTHON, frame, backPath, rmsPath, String(REPEATS)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    sepTimes = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { extract: number; windowed: number; count: number };
  }
  const name = `detect ${SIZE}² (${count} src; sep ${sepTimes?.count ?? '–'})`;
  ctx.record({
    name: `${name} extract`,
    unit: 's',
    ours: extractS,
    reference: sepTimes ? { tool: 'sep 1 thr', value: sepTimes.extract } : undefined,
    higherIsBetter: false,
  });
  ctx.record({
    name: `${name} + windowed pos`,
    unit: 's',
    ours: windowedS,
    reference: sepTimes ? { tool: 'sep 1 thr', value: sepTimes.windowed } : undefined,
    higherIsBetter: false,
  });

  // Whole run from the file, beside Source Extractor.
  const wholeS = await timeItAsync(async () => {
    const reader = await FitsReader.open(frame);
    const im = await reader.readImage(0);
    await reader.close();
    const b = estimateBackground(im.data as Float32Array, im.width, im.height);
    detectSources({ data: im.data as Float32Array, width: im.width, height: im.height }, b.level, b.rms);
  }, REPEATS);
  let seS: number | undefined;
  if (hasCommand('source-extractor')) {
    const param = join(ctx.tmpDir, 'bench.param');
    writeFileSync(param, SE_PARAMS);
    const conv = join(ctx.tmpDir, 'default.conv');
    writeFileSync(conv, 'CONV NORM\n1 2 1\n2 4 2\n1 2 1\n');
    seS = timeCommand(
      'source-extractor',
      [
        frame,
        '-CATALOG_NAME', join(ctx.tmpDir, 'se.cat'),
        '-CATALOG_TYPE', 'ASCII',
        '-PARAMETERS_NAME', param,
        '-FILTER_NAME', conv,
        '-DETECT_THRESH', '1.5',
        '-ANALYSIS_THRESH', '1.5',
        '-DETECT_MINAREA', '5',
        '-DEBLEND_NTHRESH', '32',
        '-DEBLEND_MINCONT', '0.005',
        '-CLEAN', 'N',
        '-PHOT_APERTURES', '5',
        '-BACK_SIZE', '64',
        '-BACK_FILTERSIZE', '3',
        '-CHECKIMAGE_TYPE', 'NONE',
        '-NTHREADS', '1',
        '-VERBOSE_TYPE', 'QUIET',
      ],
      REPEATS,
    );
  }
  ctx.record({
    name: `detect ${SIZE}² whole run (read+bkg+detect)`,
    unit: 's',
    ours: wholeS,
    reference: seS !== undefined ? { tool: 'SExtractor', value: seS } : undefined,
    higherIsBetter: false,
  });
}
