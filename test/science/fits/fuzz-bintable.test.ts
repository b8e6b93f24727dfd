/**
 * Seeded fuzzing of the binary-table reader: mutated headers, data units and descriptors
 * must only ever produce FitsError (never a RangeError, TypeError, hang or huge allocation).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { buildBinTable, readBinTable, type BinTable } from '../../../src/science/fits/bintable.js';
import { FitsError } from '../../../src/science/fits/errors.js';
import { Header, type CardValue } from '../../../src/science/fits/header.js';
import { parseFits } from '../../../src/science/fits/reader.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/bintable');

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Base {
  header: Header;
  data: Uint8Array;
}

function fixtureBases(): Base[] {
  const out: Base[] = [];
  for (const f of ['astropy-types', 'astropy-varlen', 'handmade-scaled', 'handmade-heap', 'handmade-px', 'ours']) {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, `${f}.fits`)));
    const hdu = parseFits(bytes)[1];
    out.push({ header: hdu.header, data: bytes.slice(hdu.dataOffset, hdu.dataOffset + hdu.dataByteLength) });
  }
  out.push(
    buildBinTable(
      [
        { name: 'tile', values: Array.from({ length: 6 }, (_, r) => Uint8Array.from({ length: r * 5 }, (_, i) => i)) },
        { name: 'zscale', values: new Float64Array(6).fill(0.5) },
        { name: 'q', format: 'QJ', values: [[1], [2, 3], [], [4], [5, 6, 7], [8]] },
      ],
      { largeHeap: false },
    ),
  );
  return out;
}

/** Touch every cell the API exposes; FitsErrors per column are expected and ignored. */
function exercise(t: BinTable): void {
  for (let c = 0; c < t.columns.length; c++) {
    guard(() => t.column(c));
    const type = t.columns[c].format.type;
    if (type === 'P' || type === 'Q') {
      for (let r = 0; r < Math.min(t.rows, 64); r++) guard(() => t.varBytes(r, c));
    }
  }
}

function guard(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof FitsError)) throw e;
  }
}

const KEYS = ['NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'TFIELDS', 'THEAP', 'BITPIX', 'NAXIS', 'XTENSION'];
const COLUMN_KEYS = ['TFORM', 'TSCAL', 'TZERO', 'TNULL', 'TDIM', 'TTYPE'];
const TFORM_CHARS = 'LXBIJKAEDCMPQZ0123456789() .-';

function randomValue(rnd: () => number): CardValue {
  const ints = [-1, 0, 1, 2, 7, 8, 16, 255, 2 ** 31 - 1, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 40)];
  switch (Math.floor(rnd() * 6)) {
    case 0:
      return ints[Math.floor(rnd() * ints.length)];
    case 1:
      return Math.floor(rnd() * 200);
    case 2:
      return rnd() * 1e6 - 5e5;
    case 3:
      return 10n ** BigInt(19 + Math.floor(rnd() * 20));
    case 4: {
      let s = '';
      const n = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < n; i++) s += TFORM_CHARS[Math.floor(rnd() * TFORM_CHARS.length)];
      return s;
    }
    default:
      return rnd() < 0.5 ? true : `(${Math.floor(rnd() * 5)},${Math.floor(rnd() * 5)})`;
  }
}

/** An integer card value, or `fallback` when the (possibly mutated) card is not one. */
function intOr(header: Header, key: string, fallback: number): number {
  const v = header.get(key);
  return typeof v === 'number' && Number.isInteger(v) ? v : fallback;
}

function mutate(base: Base, rnd: () => number): Base {
  let header = base.header;
  let data = base.data;
  const kind = Math.floor(rnd() * 5);
  if (kind === 0 || kind === 4) {
    header = header.clone();
    const edits = 1 + Math.floor(rnd() * 3);
    for (let e = 0; e < edits; e++) {
      const tfields = Math.min(999, Math.max(1, intOr(header, 'TFIELDS', 1)));
      const key =
        rnd() < 0.4 ? KEYS[Math.floor(rnd() * KEYS.length)] : `${COLUMN_KEYS[Math.floor(rnd() * COLUMN_KEYS.length)]}${1 + Math.floor(rnd() * tfields)}`;
      if (rnd() < 0.15) header.delete(key);
      else header.set(key, randomValue(rnd));
    }
  }
  if (kind >= 1) {
    data = data.slice();
    const flips = 1 + Math.floor(rnd() * 12);
    // Bias towards the main table, where the descriptors live.
    const rowsEnd = Math.min(data.length, intOr(header, 'NAXIS1', 0) * intOr(header, 'NAXIS2', 0)) || data.length;
    for (let i = 0; i < flips && data.length > 0; i++) {
      const at = Math.floor(rnd() * (rnd() < 0.7 ? rowsEnd : data.length));
      data[at] = rnd() < 0.5 ? data[at] ^ (1 << Math.floor(rnd() * 8)) : Math.floor(rnd() * 256);
    }
  }
  if (kind === 3) data = data.subarray(0, Math.floor(rnd() * data.length));
  return { header, data };
}

// Longer runs for exploration: FUZZ_ITERATIONS=200000 FUZZ_SEED=7 npx vitest run <this file>
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 4000);
const SEED = Number(process.env.FUZZ_SEED ?? 20240611);

describe('binary-table fuzzing', () => {
  it(`throws only FitsError on ${ITERATIONS} seeded mutations`, () => {
    const bases = fixtureBases();
    const rnd = mulberry32(SEED);
    let rejected = 0;
    let read = 0;
    for (let iter = 0; iter < ITERATIONS; iter++) {
      const { header, data } = mutate(bases[iter % bases.length], rnd);
      try {
        const t = readBinTable(header, data, { hdu: 1 });
        read++;
        exercise(t);
      } catch (e) {
        if (!(e instanceof FitsError)) {
          throw new Error(`iteration ${iter}: ${String(e)}\n${header.toCardImages().join('\n')}`);
        }
        rejected++;
      }
    }
    // The mix must exercise both paths: rejected headers and tables that open.
    expect(rejected).toBeGreaterThan(ITERATIONS / 20);
    expect(read).toBeGreaterThan(ITERATIONS / 20);
  });
});
