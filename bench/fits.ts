/**
 * FITS benchmarks (issue 2): a 4096×4096 int16 frame and a float32 frame — read
 * uncompressed, RICE_1 compress and decompress (MB/s of image data, compression ratio),
 * beside fpack/funpack (cfitsio) and astropy on the same files in the same run.
 *
 * Our figures are file → file, like fpack's, so process start-up is the only thing the
 * reference pays that we do not (≈ 10 ms, small against these sizes).
 */
import { REPO_ROOT } from './paths.js';
import { execFileSync } from 'node:child_process';
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FitsReader } from '../src/science/fits/reader.js';
import { imageHdu, writeFitsFile } from '../src/science/fits/writer.js';
import { compressFile, decompressFile } from '../src/cli/commands/fits.js';
import { DEBIAN_PYTHON, hasPythonModule, timeCommand, timeItAsync, type BenchContext } from './harness.js';
import { syntheticStarField } from './synthetic.js';

const SIZE = 4096;
const REPEATS = 3;

export async function run(ctx: BenchContext): Promise<void> {
  const field = syntheticStarField(SIZE, SIZE, { seed: 42, stars: 3000, skyAdu: 1000, noiseAdu: 12 });
  const int16 = new Int16Array(field.length);
  for (let i = 0; i < field.length; i++) int16[i] = Math.max(-32768, Math.min(32767, Math.round(field[i] - 2000)));
  await benchOne(ctx, 'int16', int16);
  await benchOne(ctx, 'float32', field);
}

async function benchOne(ctx: BenchContext, label: string, data: Int16Array | Float32Array): Promise<void> {
  const plain = join(ctx.tmpDir, `${label}.fits`);
  await writeFitsFile(plain, [imageHdu(data, [SIZE, SIZE], { primary: true })]);
  const mb = (data.length * data.BYTES_PER_ELEMENT) / 1e6;
  const name = `${label} ${SIZE}²`;

  // Read uncompressed.
  const readS = await timeItAsync(async () => {
    const r = await FitsReader.open(plain);
    await r.readImage(0);
    await r.close();
  }, REPEATS);

  // RICE_1 compress (floats quantized at q = 4 with SUBTRACTIVE_DITHER_1, fpack's default).
  const ours = join(ctx.tmpDir, `${label}.ours.fz`);
  const options = { type: 'RICE_1' as const, quantizeLevel: 4, quantizeMethod: 'SUBTRACTIVE_DITHER_1' as const, ditherSeed: 1 };
  const compressS = await timeItAsync(async () => {
    await compressFile(plain, ours, options);
  }, REPEATS);
  const oursRatio = statSync(plain).size / statSync(ours).size;
  const back = join(ctx.tmpDir, `${label}.ours.fits`);
  const decompressS = await timeItAsync(async () => {
    await decompressFile(ours, back);
  }, REPEATS);

  // cfitsio: fpack / funpack on the same file.
  const fpacked = join(ctx.tmpDir, `${label}.fpack.fz`);
  const fpackS = timeCommand('fpack', ['-r', '-q', '4', '-O', fpacked, plain], REPEATS, () => rmSync(fpacked, { force: true }));
  let fpackRatio: number | undefined;
  let funpackS: number | undefined;
  if (fpackS !== undefined) {
    fpackRatio = statSync(plain).size / statSync(fpacked).size;
    const unpacked = join(ctx.tmpDir, `${label}.funpack.fits`);
    funpackS = timeCommand('funpack', ['-O', unpacked, fpacked], REPEATS, () => rmSync(unpacked, { force: true }));
  }

  // astropy on the same files.
  let astropy: { read_s: number; compress_s: number; decompress_s: number } | undefined;
  if (hasPythonModule('astropy')) {
    const out = execFileSync(DEBIAN_PYTHON, [join(REPO_ROOT, 'bench/reference/astropy_fits.py'), plain, join(ctx.tmpDir, `${label}.astropy.fz`), String(REPEATS)], { encoding: 'utf8' });
    astropy = JSON.parse(out) as typeof astropy;
  }

  ctx.record({ name: `read uncompressed ${name}`, unit: 'MB/s', ours: mb / readS, reference: astropy && { tool: 'astropy', value: mb / astropy.read_s }, higherIsBetter: true });
  ctx.record({ name: `RICE_1 compress ${name}`, unit: 'MB/s', ours: mb / compressS, reference: fpackS === undefined ? undefined : { tool: 'fpack', value: mb / fpackS }, higherIsBetter: true });
  if (astropy) ctx.record({ name: `RICE_1 compress ${name}`, unit: 'MB/s', ours: mb / compressS, reference: { tool: 'astropy', value: mb / astropy.compress_s }, higherIsBetter: true });
  ctx.record({ name: `RICE_1 ratio ${name}`, unit: '×', ours: oursRatio, reference: fpackRatio === undefined ? undefined : { tool: 'fpack', value: fpackRatio }, higherIsBetter: true });
  ctx.record({ name: `RICE_1 decompress ${name}`, unit: 'MB/s', ours: mb / decompressS, reference: funpackS === undefined ? undefined : { tool: 'funpack', value: mb / funpackS }, higherIsBetter: true });
  if (astropy) ctx.record({ name: `RICE_1 decompress ${name}`, unit: 'MB/s', ours: mb / decompressS, reference: { tool: 'astropy', value: mb / astropy.decompress_s }, higherIsBetter: true });
}
