/** `openastro fits info|compress|decompress`. */
import { Command, Option } from 'commander';
import { stat } from 'node:fs/promises';
import { FitsReader } from '../../science/fits/reader.js';
import { Header } from '../../science/fits/header.js';
import type { HduInfo } from '../../science/fits/hdu.js';
import { imageHdu, writeFitsFile, type HduToWrite } from '../../science/fits/writer.js';
import {
  compressImage,
  decompressImage,
  type CompressionType,
  type CompressOptions,
  type QuantizeMethod,
} from '../../science/fits/compression/index.js';
import { WcsError, fieldOfView, pixToSky, pixelScaleArcsec, rotationDeg, wcsFromHeader, type Wcs } from '../../science/wcs/index.js';
import { parseFiniteNumber, parseInteger, parseIntList } from '../args.js';
import { emit, type CliIo } from '../io.js';
import { progressBar } from '../progress.js';
import { formatDec, formatRa } from '../format.js';

type ChecksumSummary = 'ok' | 'bad' | 'absent';

export interface HduSummary {
  index: number;
  type: string;
  extname: string | null;
  bitpix: number;
  /** Axis lengths slowest first, numpy-style: [height, width] for an image. */
  shape: number[];
  compression: string | null;
  checksum: ChecksumSummary;
}

export interface WcsSummary {
  hdu: number;
  centerRaDeg: number;
  centerDecDeg: number;
  scaleArcsecPerPx: number;
  rotationDeg: number;
  fovWidthDeg: number;
  fovHeightDeg: number;
}

export interface FitsInfo {
  file: string;
  sizeBytes: number;
  hdus: HduSummary[];
  wcs: WcsSummary | null;
  /** Why no WCS is reported although the header has one (e.g. an unsupported projection). */
  wcsNote?: string;
}

function axesOf(h: Header, prefix: '' | 'Z'): number[] {
  const n = h.getInt(`${prefix}NAXIS`) ?? 0;
  const axes: number[] = [];
  for (let i = 1; i <= n; i++) axes.push(h.getInt(`${prefix}NAXIS${i}`) ?? 0);
  return axes;
}

function summarise(hdu: HduInfo, checksum: ChecksumSummary): HduSummary {
  const h = hdu.header;
  const compressed = hdu.type === 'compressed-image';
  const prefix = compressed ? 'Z' : '';
  return {
    index: hdu.index,
    type: hdu.type,
    extname: h.getString('EXTNAME') ?? null,
    bitpix: h.getInt(`${prefix}BITPIX`) ?? 0,
    shape: axesOf(h, prefix).reverse(),
    compression: compressed ? (h.getString('ZCMPTYPE') ?? null) : null,
    checksum,
  };
}

/** Everything `fits info` reports, as data. */
export async function fitsInfo(path: string): Promise<FitsInfo> {
  const reader = await FitsReader.open(path);
  try {
    const hdus: HduSummary[] = [];
    let wcs: WcsSummary | null = null;
    let wcsNote: string | undefined;
    for (const hdu of reader.hdus) {
      const status = await reader.verifyChecksum(hdu.index);
      const states = [status.checksum, status.datasum];
      const checksum: ChecksumSummary = states.includes('bad') ? 'bad' : states.includes('ok') ? 'ok' : 'absent';
      const summary = summarise(hdu, checksum);
      hdus.push(summary);
      const isImage = hdu.type === 'image' || hdu.type === 'compressed-image';
      if (wcs === null && isImage && summary.shape.length >= 2) {
        let w: Wcs | undefined;
        try {
          w = wcsFromHeader(hdu.header, { hdu: hdu.index });
        } catch (err) {
          // An unsupported or malformed WCS does not make the file unreadable.
          if (!(err instanceof WcsError)) throw err;
          wcsNote ??= err.message;
        }
        if (w) {
          const [height, width] = summary.shape.slice(-2);
          const [ra, dec] = pixToSky(w, (width - 1) / 2, (height - 1) / 2);
          const fov = fieldOfView(w, width, height);
          wcs = {
            hdu: hdu.index,
            centerRaDeg: ra,
            centerDecDeg: dec,
            scaleArcsecPerPx: pixelScaleArcsec(w),
            rotationDeg: rotationDeg(w),
            fovWidthDeg: fov.widthDeg,
            fovHeightDeg: fov.heightDeg,
          };
        }
      }
    }
    return { file: path, sizeBytes: reader.source.size, hdus, wcs, ...(wcs === null && wcsNote ? { wcsNote } : {}) };
  } finally {
    await reader.close();
  }
}

function formatInfo(info: FitsInfo): string {
  const lines = [`${info.file}  (${info.sizeBytes} bytes, ${info.hdus.length} HDU${info.hdus.length === 1 ? '' : 's'})`];
  lines.push('  #  type              name          bitpix  shape              compression  checksum');
  for (const h of info.hdus) {
    lines.push(
      `${String(h.index).padStart(3)}  ${h.type.padEnd(16)}  ${(h.extname ?? '').padEnd(12)}  ${String(h.bitpix).padStart(6)}  ${(h.shape.join(' × ') || '-').padEnd(17)}  ${(h.compression ?? '-').padEnd(11)}  ${h.checksum}`,
    );
  }
  if (info.wcs) {
    const w = info.wcs;
    lines.push(
      `WCS (HDU ${w.hdu}): centre ${formatRa(w.centerRaDeg)} ${formatDec(w.centerDecDeg)} (${w.centerRaDeg.toFixed(6)}, ${w.centerDecDeg.toFixed(6)}) deg`,
      `  scale ${w.scaleArcsecPerPx.toFixed(4)}"/px, rotation ${w.rotationDeg.toFixed(3)} deg, field ${(w.fovWidthDeg * 60).toFixed(2)}' × ${(w.fovHeightDeg * 60).toFixed(2)}'`,
    );
  } else {
    lines.push(info.wcsNote ? `WCS: not usable (${info.wcsNote})` : 'WCS: none');
  }
  return lines.join('\n');
}

function emptyPrimary(): Header {
  return Header.fromCards([
    { keyword: 'SIMPLE', value: true, comment: 'conforms to FITS standard' },
    { keyword: 'BITPIX', value: 8, comment: 'array data type' },
    { keyword: 'NAXIS', value: 0, comment: 'no data in the primary HDU' },
    { keyword: 'EXTEND', value: true },
  ]);
}

interface CompressCliOptions {
  type: string;
  tile?: string;
  quantize?: string;
  dither: string;
  seed?: string;
  lossless?: boolean;
  json?: boolean;
}

export function compressOptionsFrom(opts: CompressCliOptions): CompressOptions {
  const ditherMap: Record<string, QuantizeMethod> = {
    '1': 'SUBTRACTIVE_DITHER_1',
    '2': 'SUBTRACTIVE_DITHER_2',
    none: 'NO_DITHER',
  };
  const out: CompressOptions = { type: opts.type as CompressionType, quantizeMethod: ditherMap[opts.dither] };
  if (opts.tile !== undefined) out.tileShape = parseIntList(opts.tile, '--tile');
  if (opts.lossless) out.quantizeLevel = 0;
  else if (opts.quantize !== undefined) out.quantizeLevel = parseFiniteNumber(opts.quantize, '--quantize');
  if (opts.seed !== undefined) out.ditherSeed = parseInteger(opts.seed, '--seed', 1, 10000);
  return out;
}

/** Compress every image HDU of `inPath` into `outPath` (other HDUs copied unchanged), as fpack does. */
export async function compressFile(inPath: string, outPath: string, options: CompressOptions, io?: CliIo): Promise<{ inBytes: number; outBytes: number; compressedHdus: number }> {
  const reader = await FitsReader.open(inPath);
  const progress = io ? progressBar(io, 'compress') : undefined;
  try {
    const out: HduToWrite[] = [];
    let compressed = 0;
    for (const hdu of reader.hdus) {
      progress?.update(hdu.index, reader.hdus.length, `HDU ${hdu.index}`);
      const hasPixels = hdu.type === 'image' && hdu.dataByteLength > 0;
      if (hasPixels) {
        const image = await reader.readImage(hdu.index, { raw: true });
        if (hdu.index === 0) out.push({ header: emptyPrimary() });
        out.push(compressImage(image, options, hdu.header));
        compressed++;
      } else {
        out.push({ header: hdu.header, data: hdu.dataByteLength > 0 ? await reader.readDataBytes(hdu.index) : undefined });
      }
    }
    progress?.update(1, 1);
    progress?.finish();
    await writeFitsFile(outPath, out, { checksum: true });
    const bytes = (await stat(outPath)).size;
    return { inBytes: reader.source.size, outBytes: bytes, compressedHdus: compressed };
  } finally {
    await reader.close();
  }
}

/** Decompress every tile-compressed HDU of `inPath` into a plain image HDU, as funpack does. */
export async function decompressFile(inPath: string, outPath: string, io?: CliIo): Promise<{ inBytes: number; outBytes: number; decompressedHdus: number }> {
  const reader = await FitsReader.open(inPath);
  const progress = io ? progressBar(io, 'decompress') : undefined;
  try {
    const out: HduToWrite[] = [];
    let count = 0;
    for (const hdu of reader.hdus) {
      progress?.update(hdu.index, reader.hdus.length, `HDU ${hdu.index}`);
      if (hdu.type === 'compressed-image') {
        const data = await reader.readDataBytes(hdu.index);
        const { image, header } = decompressImage(hdu.header, data, { hdu: hdu.index });
        // An empty primary followed by the first compressed image becomes that image's primary HDU.
        const promote = out.length === 1 && hdu.index === 1 && (out[0].header.getInt('NAXIS') ?? 0) === 0;
        const written = imageHdu(image.data, image.axes, {
          header,
          bitpix: image.bitpix,
          bscale: image.bscale,
          bzero: image.bzero,
          primary: promote,
        });
        if (promote) out[0] = written;
        else out.push(written);
        count++;
      } else {
        out.push({ header: hdu.header, data: hdu.dataByteLength > 0 ? await reader.readDataBytes(hdu.index) : undefined });
      }
    }
    progress?.update(1, 1);
    progress?.finish();
    await writeFitsFile(outPath, out, { checksum: true });
    const bytes = (await stat(outPath)).size;
    return { inBytes: reader.source.size, outBytes: bytes, decompressedHdus: count };
  } finally {
    await reader.close();
  }
}

export function fitsCommand(io: CliIo): Command {
  const cmd = new Command('fits').description('FITS files: inspect, compress, decompress');

  cmd
    .command('info')
    .description('HDUs, sizes, BITPIX, compression, checksum status and WCS summary of a FITS file')
    .argument('<file>', 'FITS file')
    .option('--json', 'print one JSON document')
    .action(async (file: string, opts: { json?: boolean }) => {
      const info = await fitsInfo(file);
      emit(io, Boolean(opts.json), info, () => formatInfo(info));
    });

  cmd
    .command('compress')
    .description('Tile-compress the image HDUs of a FITS file (like fpack)')
    .argument('<in>', 'input FITS file')
    .argument('<out>', 'output FITS file (written atomically)')
    .addOption(new Option('--type <type>', 'compression').choices(['RICE_1', 'GZIP_1', 'GZIP_2', 'NOCOMPRESS']).default('RICE_1'))
    .option('--tile <shape>', "tile shape, e.g. '4096,1' (default: one row per tile)")
    .option('--quantize <q>', 'float images: quantization level q (scale = noise / q; default 4)')
    .option('--lossless', 'float images: no quantization (GZIP of the raw values)')
    .addOption(new Option('--dither <method>', 'float quantization dither').choices(['1', '2', 'none']).default('1'))
    .option('--seed <n>', 'dither seed 1..10000 (default: from the clock)')
    .option('--json', 'print one JSON document')
    .action(async (input: string, output: string, opts: CompressCliOptions) => {
      const result = await compressFile(input, output, compressOptionsFrom(opts), io);
      emit(io, Boolean(opts.json), { input, output, ...result, ratio: result.inBytes / result.outBytes }, () =>
        `${input} → ${output}: ${result.inBytes} → ${result.outBytes} bytes (ratio ${(result.inBytes / result.outBytes).toFixed(3)}), ${result.compressedHdus} image HDU(s) compressed`,
      );
    });

  cmd
    .command('decompress')
    .description('Decompress tile-compressed image HDUs (like funpack)')
    .argument('<in>', 'input FITS file')
    .argument('<out>', 'output FITS file (written atomically)')
    .option('--json', 'print one JSON document')
    .action(async (input: string, output: string, opts: { json?: boolean }) => {
      const result = await decompressFile(input, output, io);
      emit(io, Boolean(opts.json), { input, output, ...result }, () =>
        `${input} → ${output}: ${result.inBytes} → ${result.outBytes} bytes, ${result.decompressedHdus} HDU(s) decompressed`,
      );
    });
  return cmd;
}
