/**
 * `openastro stack FRAMES... -o OUT.fits [--reference auto|FILE] [--method ...] [--kappa 3]`:
 * co-add frames with WCS onto one grid (science/image/coadd.ts). Frames are read lazily,
 * window by window, so memory follows coadd's bound rather than the number of frames.
 * Output: primary HDU = stack (float32) with the reference WCS; extensions WEIGHT (Σw),
 * COVERAGE (frames per pixel) and ERROR (1/√Σw). With --json:
 * `{"output","width","height","frames":[{"file","used","scale","weight"}],"seconds"}`.
 * `--threads N` (default: the CPUs available) projects and combines output tiles on N
 * worker threads; 1 runs on the main thread only. The output is the same either way.
 */
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Header } from '../../science/fits/header.js';
import { FitsReader } from '../../science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../../science/fits/writer.js';
import { coadd, type FrameProvider } from '../../science/image/coadd.js';
import { ImageError } from '../../science/image/errors.js';
import { autoReferenceGrid, type GridSpec } from '../../science/image/reference-grid.js';
import type { ReprojectMethod } from '../../science/image/reproject.js';
import { createPool, defaultThreads, MAX_WORKERS, type Pool } from '../../science/parallel/pool.js';
import { wcsFromHeader, wcsToHeader, type Wcs } from '../../science/wcs/index.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import { emit, type CliIo } from '../io.js';
import { progressBar } from '../progress.js';

interface FrameMeta {
  path: string;
  hdu: number;
  width: number;
  height: number;
  wcs: Wcs | undefined;
}

/** Header, shape and WCS of the first 2-D image HDU of a file. */
async function frameMeta(path: string): Promise<FrameMeta> {
  const reader = await FitsReader.open(path);
  try {
    const info = reader.hdus.find((h) => h.type === 'image' && (h.header.getInt('NAXIS') ?? 0) >= 2 && h.dataByteLength > 0);
    if (!info) throw new CliError(`${path}: no uncompressed 2-D image in any HDU`, 2);
    const width = info.header.getInt('NAXIS1') ?? 0;
    const height = info.header.getInt('NAXIS2') ?? 0;
    let wcs: Wcs | undefined;
    try {
      wcs = wcsFromHeader(info.header);
    } catch (e) {
      throw new ImageError('NO_WCS', `unusable WCS: ${(e as Error).message}`, { file: path });
    }
    return { path, hdu: info.index, width, height, wcs };
  } finally {
    await reader.close();
  }
}

function fileFrames(metas: FrameMeta[]): FrameProvider {
  return {
    count: metas.length,
    name: (i) => metas[i].path,
    wcs: (i) => metas[i].wcs,
    shape: (i) => ({ width: metas[i].width, height: metas[i].height }),
    async read(i, window) {
      const reader = await FitsReader.open(metas[i].path);
      try {
        const img = await reader.readImage(metas[i].hdu, window ? { window } : {});
        const src = img.data;
        return src instanceof Float32Array ? src : Float32Array.from(src as ArrayLike<number | bigint>, Number);
      } finally {
        await reader.close();
      }
    },
  };
}

export function stackCommand(io: CliIo): Command {
  return new Command('stack')
    .description('co-add frames with WCS onto one grid (background-matched, weighted, sigma-clipped)')
    .argument('<frames...>', 'FITS frames with a celestial WCS')
    .requiredOption('-o, --output <file>', 'output FITS file')
    .option('--reference <ref>', "'auto' (finest scale, north up, covering all frames) or a FITS file whose WCS and shape define the grid", 'auto')
    .option('--method <method>', 'resampling: bilinear | lanczos3 | exact', 'bilinear')
    .option('--kappa <k>', 'sigma-clipping threshold', '3')
    .option('--tile <px>', 'output tile size', '512')
    .option('--threads <n>', 'worker threads (1: main thread only)', String(defaultThreads()))
    .option('--json', 'print one JSON document')
    .action(async (files: string[], o: { output: string; reference: string; method: string; kappa: string; tile: string; threads: string; json?: boolean }) => {
      const t0 = performance.now();
      if (!['bilinear', 'lanczos3', 'exact'].includes(o.method)) throw new CliError(`--method must be bilinear, lanczos3 or exact (got '${o.method}')`, 2);
      const kappa = parseFiniteNumber(o.kappa, '--kappa');
      const tileSize = parseFiniteNumber(o.tile, '--tile');
      const threads = parseInteger(o.threads, '--threads', 1, MAX_WORKERS);
      const metas: FrameMeta[] = [];
      for (const f of files) metas.push(await frameMeta(resolve(io.cwd, f)));
      const bad = metas.find((m) => !m.wcs);
      if (bad) throw new ImageError('NO_WCS', 'frame has no celestial WCS; plate-solve it first', { file: bad.path });
      let grid: GridSpec;
      if (o.reference === 'auto') grid = autoReferenceGrid(metas.map((m) => ({ wcs: m.wcs as Wcs, width: m.width, height: m.height })));
      else {
        const ref = await frameMeta(resolve(io.cwd, o.reference));
        if (!ref.wcs) throw new ImageError('NO_WCS', 'reference has no celestial WCS', { file: ref.path });
        grid = { wcs: ref.wcs, width: ref.width, height: ref.height };
      }
      const bar = progressBar(io, 'stack');
      let pool: Pool | undefined;
      if (threads > 1) {
        pool = createPool({ workers: threads });
        await pool.start();
      }
      let result;
      try {
        result = await coadd(fileFrames(metas), grid, {
          method: o.method as ReprojectMethod,
          kappa,
          tileSize,
          pool,
          onWarning: (m) => io.stderr(`warning: ${m}\n`),
          onProgress: (done, total, stage) => bar.update(done, total, stage),
        });
      } finally {
        await pool?.stop();
      }
      bar.finish();
      const header = new Header([]);
      wcsToHeader(grid.wcs, header);
      header.set('NCOMBINE', result.frames.filter((f) => f.used).length, 'frames co-added');
      header.set('COMBINE', `sigma-clipped weighted mean, kappa=${kappa}`);
      const ext = (name: string): Header => {
        const h = new Header([]);
        wcsToHeader(grid.wcs, h);
        h.set('EXTNAME', name);
        return h;
      };
      const axes = [grid.width, grid.height];
      const out = resolve(io.cwd, o.output);
      const tmp = `${out}.${randomUUID()}.tmp`;
      try {
        await writeFitsFile(tmp, [
          imageHdu(result.stack, axes, { header }),
          imageHdu(result.weight, axes, { header: ext('WEIGHT'), primary: false }),
          imageHdu(Float32Array.from(result.coverage), axes, { header: ext('COVERAGE'), primary: false }),
          imageHdu(result.error, axes, { header: ext('ERROR'), primary: false }),
        ]);
        await rename(tmp, out);
      } catch (e) {
        await unlink(tmp).catch(() => {});
        throw e;
      }
      const seconds = (performance.now() - t0) / 1000;
      emit(
        io,
        o.json ?? false,
        { output: out, width: grid.width, height: grid.height, frames: result.frames.map((f) => ({ file: f.name, used: f.used, scale: f.scale, weight: f.weight })), seconds },
        () => `${out}: ${grid.width}×${grid.height}, ${result.frames.filter((f) => f.used).length} of ${metas.length} frames, ${seconds.toFixed(2)} s`,
      );
    });
}
