/**
 * `openastro detect FRAME`: find and measure sources in a FITS image.
 *
 * The background and its RMS come from the Source-Extractor-style mesh estimate
 * (science/image/background.ts); detection is science/image/detect.ts. Output is a CSV
 * catalogue (stdout, or `-o FILE`), or with `--json` one document
 * `{"sources":[{"x","y","flux","fwhm","flags"}],"seconds"}`. Pixels are 0-based: (0, 0) is
 * the centre of the first pixel (FITS's (1, 1)).
 */
import { Command } from 'commander';
import { randomUUID } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { decompressImage } from '../../science/fits/compression/index.js';
import type { HduInfo } from '../../science/fits/hdu.js';
import { FitsReader } from '../../science/fits/reader.js';
import { estimateBackground } from '../../science/image/background.js';
import { detectSources, type DetectedSource } from '../../science/image/detect.js';
import { parseFiniteNumber, parseInteger } from '../args.js';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import { progressBar } from '../progress.js';

export interface DetectCliOptions {
  threshold: string;
  minArea: string;
  filter: boolean;
  hdu?: string;
  output?: string;
  json?: boolean;
}

export interface LoadedFrame {
  data: Float32Array;
  width: number;
  height: number;
  hdu: number;
  /** SATURATE and GAIN from the header, when present. */
  saturation?: number;
  gain?: number;
}

function isImageHdu(h: HduInfo): boolean {
  if (h.type === 'compressed-image') return true;
  return h.type === 'image' && (h.header.getInt('NAXIS') ?? 0) >= 2 && h.dataByteLength > 0;
}

/** The 2-D image of HDU `hduIndex` (default: the first HDU holding one), as float32. */
export async function loadFrame(path: string, hduIndex?: number): Promise<LoadedFrame> {
  const reader = await FitsReader.open(path);
  try {
    let info: HduInfo | undefined;
    if (hduIndex !== undefined) {
      info = reader.hdus[hduIndex];
      if (!info) throw new CliError(`${path}: no HDU ${hduIndex} (the file has ${reader.hdus.length})`, 2);
      if (!isImageHdu(info)) throw new CliError(`${path}: HDU ${hduIndex} is not a 2-D image`, 2);
    } else {
      info = reader.hdus.find(isImageHdu);
      if (!info) throw new CliError(`${path}: no 2-D image in any HDU`);
    }
    const image =
      info.type === 'compressed-image'
        ? decompressImage(info.header, await reader.readDataBytes(info.index), { hdu: info.index }).image
        : await reader.readImage(info.index);
    if (image.axes.length > 2 && image.axes.slice(2).some((n) => n > 1)) {
      throw new CliError(`${path}: HDU ${info.index} has ${image.axes.length} axes; detect works on 2-D images`, 2);
    }
    const src = image.data;
    const data = src instanceof Float32Array ? src : Float32Array.from(src as ArrayLike<number | bigint>, Number);
    // Optional hints; a malformed card is ignored rather than fatal.
    const numberCard = (key: string): number | undefined => {
      try {
        return info.header.getNumber(key);
      } catch {
        return undefined;
      }
    };
    const saturation = numberCard('SATURATE');
    const gain = numberCard('GAIN');
    return {
      data,
      width: image.width,
      height: image.height,
      hdu: info.index,
      saturation: typeof saturation === 'number' && Number.isFinite(saturation) ? saturation : undefined,
      gain: typeof gain === 'number' && gain > 0 ? gain : undefined,
    };
  } finally {
    await reader.close();
  }
}

const CSV_HEADER = 'id,x,y,x_iso,y_iso,flux,flux_err,peak,area_px,a,b,theta_deg,fwhm,half_light_radius,flags';

function num(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '';
}

/** The catalogue as CSV (header line first), 0-based pixels. */
export function catalogCsv(sources: DetectedSource[]): string {
  const lines = [CSV_HEADER];
  sources.forEach((s, i) => {
    lines.push(
      [
        i + 1,
        num(s.x, 4),
        num(s.y, 4),
        num(s.xIso, 4),
        num(s.yIso, 4),
        num(s.flux, 3),
        num(s.fluxErr, 3),
        num(s.peak, 3),
        s.areaPx,
        num(s.a, 4),
        num(s.b, 4),
        num(s.thetaDeg, 2),
        num(s.fwhmPx, 4),
        num(s.halfLightRadiusPx, 4),
        s.flags,
      ].join(','),
    );
  });
  return lines.join('\n') + '\n';
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, text, { flag: 'wx' });
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export function detectCommand(io: CliIo): Command {
  return new Command('detect')
    .description('Detect and measure sources in a FITS image (catalogue as CSV, 0-based pixels)')
    .argument('<frame>', 'FITS file')
    .option('--threshold <sigma>', 'detection threshold in units of the background RMS', '1.5')
    .option('--min-area <pixels>', 'minimum number of connected pixels of a source', '5')
    .option('--no-filter', 'do not filter with the 3×3 detection kernel before thresholding')
    .option('--hdu <n>', 'HDU index (default: the first with a 2-D image)')
    .option('-o, --output <file>', 'write the CSV catalogue to FILE instead of stdout')
    .option('--json', 'print {"sources":[{"x","y","flux","fwhm","flags"}],"seconds"}')
    .action(async (frame: string, opts: DetectCliOptions) => {
      const threshold = parseFiniteNumber(opts.threshold, '--threshold');
      if (!(threshold > 0)) throw new CliError(`--threshold: ${threshold} must be positive`, 2);
      const minArea = parseInteger(opts.minArea, '--min-area', 1);
      const hdu = opts.hdu === undefined ? undefined : parseInteger(opts.hdu, '--hdu', 0);
      const path = resolve(io.cwd, frame);
      const t0 = performance.now();
      const bar = progressBar(io, 'detect');
      bar.update(0, 3, 'reading');
      const img = await loadFrame(path, hdu);
      bar.update(1, 3, 'background');
      const bg = estimateBackground(img.data, img.width, img.height);
      // A noise-free mesh has RMS 0, which would make every positive pixel a detection.
      const rms = bg.rms;
      const floor = bg.mesh.globalRms > 0 ? bg.mesh.globalRms : 1e-30;
      for (let i = 0; i < rms.length; i++) if (!(rms[i] > 0)) rms[i] = floor;
      bar.update(2, 3, 'detecting');
      const result = detectSources({ data: img.data, width: img.width, height: img.height }, bg.level, rms, {
        thresholdSigma: threshold,
        minAreaPx: minArea,
        filter: opts.filter ? undefined : null,
        saturationLevel: img.saturation,
        gain: img.gain,
      });
      bar.update(3, 3);
      bar.finish();
      const seconds = (performance.now() - t0) / 1000;
      const csv = opts.output !== undefined || !opts.json ? catalogCsv(result.sources) : '';
      if (opts.output !== undefined) {
        await writeAtomically(resolve(io.cwd, opts.output), csv);
        io.stderr(`detect: ${result.sources.length} sources → ${opts.output} (${seconds.toFixed(2)} s)\n`);
      }
      if (opts.json) {
        const sources = result.sources.map((s) => ({ x: s.x, y: s.y, flux: s.flux, fwhm: Number.isFinite(s.fwhmPx) ? s.fwhmPx : null, flags: s.flags }));
        io.stdout(JSON.stringify({ sources, seconds }) + '\n');
      } else if (opts.output === undefined) {
        io.stdout(csv);
      }
    });
}
