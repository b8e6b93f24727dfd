/** Shared by the fits-core tests: fixture paths, astropy's expectations, a recording ByteSource. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { memorySource, type ByteSource } from '../../../src/science/fits/source.js';

export const FIXTURES = join(import.meta.dirname, '../../fixtures/fits-core');

export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURES, name)));
}

export function fixturePath(name: string): string {
  return join(FIXTURES, name);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type ExpectedPixels = Array<number | string | null>;

export interface ExpectedImage {
  bitpix: number;
  axes: number[];
  bscale: number;
  bzero: number;
  blank?: number | string;
  physicalDtype: string;
  physical: ExpectedPixels;
  raw: ExpectedPixels;
}

export interface ExpectedCard {
  keyword: string;
  value: Json;
  comment: string;
}

export interface ExpectedHduInfo {
  type: string;
  headerOffset: number;
  dataOffset: number;
  paddedDataByteLength: number;
}

export interface Expected {
  astropy: string;
  images: Record<string, ExpectedImage>;
  headers: { file: string; cards: ExpectedCard[]; data: number[] };
  mef: { hdus: ExpectedHduInfo[]; sci: number[]; var: number[]; extnames: string[] };
  checksum: Record<string, Array<{ checksum: string; datasum: string; verifyChecksum: number; verifyDatasum: number }>>;
  groups: { hdus: ExpectedHduInfo[] };
  sip: { dtype: string; axes: number[]; sum: number; min: number; max: number; samples: number[][]; cards: number };
  ours: Record<string, Array<{ verifyChecksum: number; verifyDatasum: number; type: string; dtype?: string; pixels?: ExpectedPixels; cards: ExpectedCard[] }>>;
}

export const expected: Expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Expected;

/** Typed-array values as JSON-comparable (bigint → string, NaN → null, ±Inf → 'inf'), like expected.json. */
export function asJson(data: ArrayLike<number | bigint>): ExpectedPixels {
  const out: ExpectedPixels = [];
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === 'bigint') out.push(v.toString());
    else if (Number.isNaN(v)) out.push(null);
    else if (v === Infinity || v === -Infinity) out.push(v > 0 ? 'inf' : '-inf');
    else out.push(v);
  }
  return out;
}

/** A ByteSource that records every range read, to prove partial reads stay partial. */
export function recordingSource(bytes: Uint8Array): ByteSource & { reads: Array<[number, number]> } {
  const inner = memorySource(bytes);
  const reads: Array<[number, number]> = [];
  return {
    size: inner.size,
    reads,
    read(offset: number, length: number) {
      reads.push([offset, length]);
      return inner.read(offset, length);
    },
    close: () => inner.close(),
  };
}

/** Seeded PRNG (mulberry32): tests fix their seeds. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array): string => new TextDecoder('latin1').decode(b);

/** Build a header block from card strings (END added, blank padding). */
export function headerBlock(cards: string[]): Uint8Array {
  const s = [...cards, 'END'].map((c) => c.padEnd(80)).join('');
  return ascii(s.padEnd(Math.ceil(s.length / 2880) * 2880));
}
