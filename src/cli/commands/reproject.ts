/**
 * `openastro reproject IN --ref REF -o OUT [--method bilinear|lanczos3|exact] [--json]`:
 * resample IN onto the pixel grid of REF (REF's celestial WCS and image shape). Writes a
 * float32 FITS with REF's WCS, NaN outside IN's footprint. With --json prints
 * `{"output","seconds"}`. `--threads N` (default: the CPUs available) runs bands of rows on
 * N worker threads; 1 runs on the main thread only. The output is the same either way.
 */
import { Command } from 'commander';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decompressImage } from '../../science/fits/compression/index.js';
import type { HduInfo } from '../../science/fits/hdu.js';
import { Header } from '../../science/fits/header.js';
import { FitsReader } from '../../science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../../science/fits/writer.js';
import { ImageError } from '../../science/image/errors.js';
import { checkReprojectable, reproject, REPROJECT_METHODS, type ReprojectMethod } from '../../science/image/reproject.js';
import { createPool, defaultThreads, MAX_WORKERS } from '../../science/parallel/pool.js';
import { wcsFromHeader, wcsToHeader, type Wcs } from '../../science/wcs/index.js';
import { parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { progressBar } from '../progress.js';

interface GridFile {
  wcs: Wcs;
  width: number;
  height: number;
  /** Pixels, when asked for. */
  data?: Float32Array;
}

function isImageHdu(h: HduInfo): boolean {
  if (h.type === 'compressed-image') return true;
  return h.type === 'image' && (h.header.getInt('NAXIS') ?? 0) >= 2;
}

/** The first 2-D image HDU of `path` with its WCS (ImageError NO_WCS naming the file if none). */
async function loadGrid(path: string, withData: boolean): Promise<GridFile> {
  const reader = await FitsReader.open(path);
  try {
    const info = reader.hdus.find(isImageHdu);
    if (!info) throw new CliError(`${path}: no 2-D image in any HDU`);
    const header = info.header;
    const wcs = wcsFromHeader(header, { hdu: info.index });
    if (!wcs) throw new ImageError('NO_WCS', `HDU ${info.index} has no celestial WCS`, { file: path });
    if (!withData) {
      const naxis1 = header.getInt(info.type === 'compressed-image' ? 'ZNAXIS1' : 'NAXIS1') ?? 0;
      const naxis2 = header.getInt(info.type === 'compressed-image' ? 'ZNAXIS2' : 'NAXIS2') ?? 0;
      if (!(naxis1 > 0 && naxis2 > 0)) throw new CliError(`${path}: HDU ${info.index} has an empty image`);
      return { wcs, width: naxis1, height: naxis2 };
    }
    const image =
      info.type === 'compressed-image'
        ? decompressImage(info.header, await reader.readDataBytes(info.index), { hdu: info.index }).image
        : await reader.readImage(info.index);
    if (image.axes.length > 2 && image.axes.slice(2).some((n) => n > 1)) {
      throw new CliError(`${path}: HDU ${info.index} has ${image.axes.length} axes; reproject works on 2-D images`, 2);
    }
    const src = image.data;
    const data = src instanceof Float32Array ? src : Float32Array.from(src as ArrayLike<number | bigint>, Number);
    return { wcs, width: image.width, height: image.height, data };
  } finally {
    await reader.close();
  }
}

export function reprojectCommand(io: CliIo): Command {
  return new Command('reproject')
    .description("Resample an image onto another image's WCS grid (its WCS and shape)")
    .argument('<in>', 'FITS image with a celestial WCS')
    .requiredOption('--ref <file>', 'FITS image whose WCS and shape define the output grid')
    .requiredOption('-o, --output <file>', 'output FITS (float32, the reference WCS; NaN outside the input footprint)')
    .option('--method <method>', `interpolation: ${REPROJECT_METHODS.join(', ')}`, 'bilinear')
    .option('--threads <n>', 'worker threads (1: main thread only)', String(defaultThreads()))
    .option('--json', 'print {"output","seconds"}')
    .action(async (inPath: string, opts: { ref: string; output: string; method: string; threads: string; json?: boolean }) => {
      const t0 = performance.now();
      const method = opts.method as ReprojectMethod;
      if (!REPROJECT_METHODS.includes(method)) throw new CliError(`--method: '${opts.method}' is not one of ${REPROJECT_METHODS.join(', ')}`, 2);
      const threads = parseInteger(opts.threads, '--threads', 1, MAX_WORKERS);
      const inFile = resolve(io.cwd, inPath);
      const refFile = resolve(io.cwd, opts.ref);
      const outFile = resolve(io.cwd, opts.output);
      const input = await loadGrid(inFile, true);
      const ref = await loadGrid(refFile, false);
      const image = { data: input.data!, width: input.width, height: input.height, wcs: input.wcs };
      checkReprojectable(image, ref, inPath);
      // Bands of rows: progress on a terminal and one output buffer.
      const out = new Float32Array(ref.width * ref.height);
      const progress = progressBar(io, 'reproject');
      const rows = Math.max(1, Math.floor((1 << 20) / ref.width));
      if (threads <= 1) {
        for (let y0 = 0; y0 < ref.height; y0 += rows) {
          const window = { x0: 0, y0, width: ref.width, height: Math.min(rows, ref.height - y0) };
          const res = reproject(image, ref, { method, window });
          out.set(res.data, y0 * ref.width);
          progress.update(y0 + window.height, ref.height);
        }
      } else {
        // Input in shared memory once, so no band copies it; all bands queued on the pool.
        const shared = new Float32Array(new SharedArrayBuffer(image.data.length * 4));
        shared.set(image.data);
        image.data = shared;
        const pool = createPool({ workers: threads });
        await pool.start();
        try {
          let done = 0;
          const jobs: Promise<void>[] = [];
          for (let y0 = 0; y0 < ref.height; y0 += rows) {
            const window = { x0: 0, y0, width: ref.width, height: Math.min(rows, ref.height - y0) };
            jobs.push(
              reproject(image, ref, { method, window, pool }).then((res) => {
                out.set(res.data, y0 * ref.width);
                done += window.height;
                progress.update(done, ref.height);
              }),
            );
          }
          await Promise.all(jobs);
        } finally {
          await pool.stop();
        }
      }
      progress.finish();
      const header = new Header();
      wcsToHeader(ref.wcs, header);
      header.addCommentary('HISTORY', `openastro reproject --method ${method}`);
      await writeFitsFile(outFile, [imageHdu(out, [ref.width, ref.height], { header, bitpix: -32 })]);
      const seconds = (performance.now() - t0) / 1000;
      if (opts.json) io.stdout(JSON.stringify({ output: outFile, seconds }) + '\n');
      else io.stdout(`${outFile}: ${ref.width}×${ref.height} (${method}) in ${seconds.toFixed(2)} s\n`);
    });
}
