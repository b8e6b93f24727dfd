/**
 * Co-addition of 40 frames of 2048² (synthetic: sky with a gradient, ~300 Gaussian stars,
 * Gaussian noise, cosmic rays; dithered by up to ±60″ and rotated by up to ±3°, 1″/px)
 * onto one grid, beside SWarp on the same FITS files and the same output grid:
 *  - ours: `openastro stack --reference auto --method bilinear --kappa 3 --tile 512
 *    --threads N` in a child process (node --import tsx bench/image-coadd-runner.ts), so
 *    its peak RSS (process.resourceUsage().maxRSS, worker threads included) covers only
 *    the co-addition; time includes reading the frames and writing the 4 output HDUs.
 *  - SWarp: RESAMPLING_TYPE BILINEAR, COMBINE_TYPE CLIPPED (CLIP_SIGMA 3), SUBTRACT_BACK Y
 *    (BACK_SIZE 64, BACK_FILTERSIZE 3, as ours), WEIGHT_TYPE NONE, FSCALASTRO_TYPE NONE,
 *    NTHREADS N, output grid from a .head file written from the same autoReferenceGrid;
 *    wall time and peak RSS from /usr/bin/time -v (if installed; else wall time only).
 * Both with N = 1 and 2 threads.
 */
import { REPO_ROOT } from './paths.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Header } from '../src/science/fits/header.js';
import { imageHdu, writeFitsFile } from '../src/science/fits/writer.js';
import { autoReferenceGrid } from '../src/science/image/reference-grid.js';
import { Rng } from '../src/science/inference/random.js';
import { createWcs, skyToPix, wcsToHeader, type Wcs } from '../src/science/wcs/index.js';
import { hasCommand, type BenchContext } from './harness.js';

const N_FRAMES = 40;
const SIZE = 2048;
const SCALE_DEG = 1 / 3600;
const RA0 = 150;
const DEC0 = 2.2;
const RUNNER = join(REPO_ROOT, 'bench/image-coadd-runner.ts');

interface Star {
  raDeg: number;
  decDeg: number;
  flux: number;
}

function frameWcs(rng: Rng): Wcs {
  const rot = ((rng.uniform() * 6 - 3) * Math.PI) / 180;
  const dRa = ((rng.uniform() * 120 - 60) / 3600) / Math.cos((DEC0 * Math.PI) / 180);
  const dDec = (rng.uniform() * 120 - 60) / 3600;
  const c = Math.cos(rot);
  const s = Math.sin(rot);
  return createWcs({ crpix: [(SIZE - 1) / 2, (SIZE - 1) / 2], crval: [RA0 + dRa, DEC0 + dDec], cd: [-SCALE_DEG * c, -SCALE_DEG * s, -SCALE_DEG * s, SCALE_DEG * c] });
}

function renderFrame(wcs: Wcs, stars: readonly Star[], rng: Rng): Float32Array {
  const img = new Float32Array(SIZE * SIZE);
  const sky = 800 + 400 * rng.uniform();
  for (let y = 0; y < SIZE; y++) {
    const o = y * SIZE;
    for (let x = 0; x < SIZE; x++) img[o + x] = sky + 0.02 * x - 0.01 * y + 10 * rng.normal();
  }
  const sigPx = 2.5 / 2.3548;
  const r = 8;
  for (const st of stars) {
    const [x0, y0] = skyToPix(wcs, st.raDeg, st.decDeg);
    if (!(x0 > r && y0 > r && x0 < SIZE - r && y0 < SIZE - r)) continue;
    const cx = Math.round(x0);
    const cy = Math.round(y0);
    const norm = st.flux / (2 * Math.PI * sigPx * sigPx);
    for (let dy = -r; dy <= r; dy++) {
      for (let dx = -r; dx <= r; dx++) {
        const ddx = cx + dx - x0;
        const ddy = cy + dy - y0;
        img[(cy + dy) * SIZE + cx + dx] += norm * Math.exp(-(ddx * ddx + ddy * ddy) / (2 * sigPx * sigPx));
      }
    }
  }
  for (let k = 0; k < 60; k++) img[rng.int(SIZE * SIZE)] += 2000 + 5000 * rng.uniform(); // cosmic rays
  return img;
}

/** Peak RSS (bytes) and wall time (s) of a command run under /usr/bin/time -v (RSS undefined without it). */
function timeWithRss(cmd: string, args: string[]): { seconds: number; maxRssBytes?: number } {
  const useTime = hasCommand('/usr/bin/time');
  const t0 = performance.now();
  const r = useTime ? spawnSync('/usr/bin/time', ['-v', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  return { seconds, maxRssBytes: m ? Number(m[1]) * 1024 : undefined };
}

export async function run(ctx: BenchContext): Promise<void> {
  const rng = new Rng(2024);
  const stars: Star[] = [];
  for (let i = 0; i < 300; i++) {
    stars.push({ raDeg: RA0 + ((rng.uniform() - 0.5) * 0.62) / Math.cos((DEC0 * Math.PI) / 180), decDeg: DEC0 + (rng.uniform() - 0.5) * 0.62, flux: 2e3 * Math.exp(5 * rng.uniform()) });
  }
  const files: string[] = [];
  const geoms: Array<{ wcs: Wcs; width: number; height: number }> = [];
  for (let i = 0; i < N_FRAMES; i++) {
    const wcs = frameWcs(rng);
    const header = new Header();
    wcsToHeader(wcs, header);
    const file = join(ctx.tmpDir, `frame${String(i).padStart(2, '0')}.fits`);
    await writeFitsFile(file, [imageHdu(renderFrame(wcs, stars, rng), [SIZE, SIZE], { header, bitpix: -32 })]);
    files.push(file);
    geoms.push({ wcs, width: SIZE, height: SIZE });
  }
  const grid = autoReferenceGrid(geoms);
  const label = `co-add ${N_FRAMES}×${SIZE}² → ${grid.width}×${grid.height} bilinear, clipped`;

  const swarp = hasCommand('swarp') ? 'swarp' : hasCommand('SWarp') ? 'SWarp' : undefined;
  const listFile = join(ctx.tmpDir, 'frames.lst');
  writeFileSync(listFile, files.join('\n') + '\n');
  const gridHeader = new Header();
  wcsToHeader(grid.wcs, gridHeader);

  for (const threads of [1, 2]) {
    const out = join(ctx.tmpDir, `ours-${threads}.fits`);
    const res = execFileSync(process.execPath, ['--import', 'tsx', RUNNER, ...files, '-o', out, '--json', '--reference', 'auto', '--method', 'bilinear', '--kappa', '3', '--tile', '512', '--threads', String(threads)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ours = JSON.parse(res.trim().split('\n').pop() as string) as { code: number; seconds: number; maxRssBytes: number; result: { width: number; height: number } };
    if (ours.code !== 0) throw new Error(`openastro stack exited with ${ours.code}`);
    if (ours.result.width !== grid.width || ours.result.height !== grid.height) throw new Error('our grid differs from the one given to SWarp');

    let ref: { seconds: number; maxRssBytes?: number } | undefined;
    if (swarp) {
      const outFile = join(ctx.tmpDir, `swarp-${threads}.fits`);
      writeFileSync(outFile.replace(/\.fits$/, '.head'), gridHeader.toCardImages().join('\n') + `\nNAXIS1  = ${grid.width}\nNAXIS2  = ${grid.height}\nEND\n`);
      ref = timeWithRss(swarp, [
        `@${listFile}`,
        '-IMAGEOUT_NAME', outFile,
        '-WEIGHTOUT_NAME', join(ctx.tmpDir, `swarp-${threads}.weight.fits`),
        '-RESAMPLING_TYPE', 'BILINEAR',
        '-COMBINE', 'Y',
        '-COMBINE_TYPE', 'CLIPPED',
        '-CLIP_SIGMA', '3',
        '-SUBTRACT_BACK', 'Y',
        '-BACK_SIZE', '64',
        '-BACK_FILTERSIZE', '3',
        '-WEIGHT_TYPE', 'NONE',
        '-FSCALASTRO_TYPE', 'NONE',
        '-NTHREADS', String(threads),
        '-RESAMPLE_DIR', ctx.tmpDir,
        '-WRITE_XML', 'N',
        '-VERBOSE_TYPE', 'QUIET',
      ]);
    }
    const tool = `SWarp (${threads} thread${threads > 1 ? 's' : ''}, incl. FITS I/O)`;
    ctx.record({ name: `${label} time (${threads} thread${threads > 1 ? 's' : ''})`, unit: 's', ours: ours.seconds, reference: ref ? { tool, value: ref.seconds } : undefined, higherIsBetter: false });
    ctx.record({
      name: `${label} peak RSS (${threads} thread${threads > 1 ? 's' : ''})`,
      unit: 'MB',
      ours: ours.maxRssBytes / 2 ** 20,
      reference: ref?.maxRssBytes !== undefined ? { tool, value: ref.maxRssBytes / 2 ** 20 } : undefined,
      higherIsBetter: false,
    });
  }
}
