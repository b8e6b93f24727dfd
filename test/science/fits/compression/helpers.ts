/** Fixture access for the tile-compression tests (test/fixtures/compression, see its README). */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { FitsImage, PixelArray, Bitpix } from '../../../../src/science/fits/image.js';

export const FIXTURES = new URL('../../../fixtures/compression/', import.meta.url);

export interface FixtureEntry {
  name: string;
  file: string;
  hdu: number;
  source: string;
  made_by: string;
  zcmptype: string;
  zquantiz: string | null;
  ztile: number[];
  bitpix: Bitpix;
  axes: number[];
  golden: string;
  lossless: boolean;
  golden_from: 'funpack' | 'astropy';
  inf_read_as_null?: number;
}

export interface SourceEntry {
  bitpix: Bitpix;
  axes: number[];
  bzero: number;
  golden: string;
}

export interface Manifest {
  tools: Record<string, string>;
  sources: Record<string, SourceEntry>;
  fixtures: FixtureEntry[];
}

export const manifest: Manifest = JSON.parse(readFileSync(new URL('manifest.json', FIXTURES), 'utf8'));

export function fixtureBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(file, FIXTURES)));
}

export function fixture(name: string): FixtureEntry {
  const f = manifest.fixtures.find((x) => x.name === name);
  if (!f) throw new Error(`no fixture ${name}`);
  return f;
}

/** Big-endian golden pixels (stored values). */
export function goldenBytes(key: string): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(new URL(`golden/${key}.be.gz`, FIXTURES))));
}

/** Native stored-value array from big-endian bytes. */
export function fromBigEndian(bytes: Uint8Array, bitpix: Bitpix): PixelArray {
  const size = Math.abs(bitpix) / 8;
  const n = bytes.length / size;
  const copy = new Uint8Array(bytes);
  for (let p = 0; p < copy.length; p += size) copy.subarray(p, p + size).reverse();
  switch (bitpix) {
    case 8:
      return new Uint8Array(copy.buffer, 0, n);
    case 16:
      return new Int16Array(copy.buffer, 0, n);
    case 32:
      return new Int32Array(copy.buffer, 0, n);
    case -32:
      return new Float32Array(copy.buffer, 0, n);
    case -64:
      return new Float64Array(copy.buffer, 0, n);
    default:
      throw new Error(`bitpix ${bitpix}`);
  }
}

/** A source image of the fixture set, as stored values (raw). */
export function sourceImage(name: string): FitsImage {
  const s = manifest.sources[name];
  const data = fromBigEndian(goldenBytes(s.golden), s.bitpix);
  return { bitpix: s.bitpix, axes: s.axes, width: s.axes[0], height: s.axes[1] ?? 1, data, bscale: 1, bzero: s.bzero };
}

/**
 * Compare pixel arrays: integers exactly, floats bit for bit except that any NaN equals any
 * NaN (CFITSIO writes its own NaN pattern) and, where allowed, ±Inf equals a golden NaN.
 * Returns a description of the first few differences, or '' when equal.
 */
export function diffPixels(got: ArrayLike<number>, want: ArrayLike<number>, opts: { infAsNull?: boolean } = {}): string {
  if (got.length !== want.length) return `length ${got.length} vs ${want.length}`;
  const out: string[] = [];
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    if (Object.is(g, w)) continue;
    if (Number.isNaN(w) && (Number.isNaN(g) || (opts.infAsNull && !Number.isFinite(g)))) continue;
    count++;
    if (out.length < 5) out.push(`[${i}] ${g} ≠ ${w}`);
  }
  return count === 0 ? '' : `${count} pixels differ: ${out.join(', ')}`;
}

/** Deterministic pseudo-random generator (mulberry32) for synthetic data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates from a uniform generator (Box–Muller). */
export function gaussian(next: () => number): () => number {
  return () => {
    const u = 1 - next();
    const v = next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
}
