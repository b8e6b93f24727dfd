/**
 * Fuzzing the FITS core with seeded mutations of valid fixture files — byte flips,
 * truncations and card edits. Whatever the input, every call must return or throw a
 * FitsError: no TypeError/RangeError, no hang, no huge allocation.
 */
import { describe, expect, it } from 'vitest';
import { FitsError } from '/work/main/src/science/fits/errors.js';
import { Header, findEndCard } from '/work/main/src/science/fits/header.js';
import { decodeImage } from '/work/main/src/science/fits/image.js';
import { FitsReader, parseFits } from '/work/main/src/science/fits/reader.js';
import { writeFits, type HduToWrite } from '/work/main/src/science/fits/writer.js';
import { ascii, fixture, prng } from '/work/main/test/science/fits/fits-core-helpers.js';

const FILES = ['mef.fits', 'headers.fits', 'checksum-mef.fits', 'img-s16.fits', 'img-u64.fits', 'groups.fits', 'sip-wcs.fit', 'ours-mef.fits', 'img-cube.fits'];
const ITERATIONS = Number(process.env.FUZZ_N ?? 3000);

const VALUES = [
  '-1',
  '0',
  '1',
  '3',
  '1000000000000',
  '99999999999999999999',
  '-9223372036854775809',
  '2147483648',
  '1E400',
  '-0',
  '1.5',
  "'abc'",
  "'",
  "''",
  'T',
  'F',
  '(1, 2)',
  '',
  'NaN',
  '16',
  '-64',
  '8',
  '64',
  "'BINTABLE'",
  "'TABLE   '",
  "'IMAGE   '",
];

type Rnd = () => number;
const pick = <T,>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];

/** Byte offsets of the cards of the first few headers (for card-level edits). */
function cardOffsets(bytes: Uint8Array): number[] {
  const out: number[] = [];
  try {
    for (const h of parseFits(bytes)) for (let o = h.headerOffset; o < h.dataOffset; o += 80) out.push(o);
  } catch {
    for (let o = 0; o + 80 <= Math.min(bytes.length, 2880 * 4); o += 80) out.push(o);
  }
  return out;
}

function mutate(src: Uint8Array, rnd: Rnd): { bytes: Uint8Array; what: string } {
  let bytes = src.slice();
  const steps: string[] = [];
  const n = 1 + Math.floor(rnd() * 3);
  for (let s = 0; s < n; s++) {
    const kind = rnd();
    const cards = cardOffsets(bytes);
    if (kind < 0.25 && bytes.length > 0) {
      // Byte flip, mostly in headers where parsing happens.
      const inHeader = rnd() < 0.7 && cards.length > 0;
      const pos = inHeader ? pick(rnd, cards) + Math.floor(rnd() * 80) : Math.floor(rnd() * bytes.length);
      const v = rnd() < 0.5 ? Math.floor(rnd() * 256) : 0x20 + Math.floor(rnd() * 95);
      bytes[pos] = v;
      steps.push(`byte ${pos}=${v}`);
    } else if (kind < 0.4) {
      const len = Math.floor(rnd() * bytes.length);
      bytes = bytes.slice(0, len);
      steps.push(`truncate ${len}`);
    } else if (kind < 0.75 && cards.length > 0) {
      // Replace a card's value.
      const at = pick(rnd, cards);
      const value = pick(rnd, VALUES);
      const key = String.fromCharCode(...bytes.subarray(at, at + 8));
      const card = `${key}= ${value.padStart(20)}`.slice(0, 80).padEnd(80);
      bytes.set(ascii(card), at);
      steps.push(`card ${at} '${key.trim()}' = ${value}`);
    } else if (kind < 0.85 && cards.length > 1) {
      // Duplicate one card over another.
      const a = pick(rnd, cards);
      const b = pick(rnd, cards);
      bytes.copyWithin(b, a, a + 80);
      steps.push(`copy card ${a} over ${b}`);
    } else if (kind < 0.93 && cards.length > 0) {
      // Blank a card (END included, sometimes).
      const at = pick(rnd, cards);
      bytes.fill(0x20, at, at + 80);
      steps.push(`blank card ${at}`);
    } else if (cards.length > 1) {
      const a = pick(rnd, cards);
      const b = pick(rnd, cards);
      const tmp = bytes.slice(a, a + 80);
      bytes.copyWithin(a, b, b + 80);
      bytes.set(tmp, b);
      steps.push(`swap cards ${a} ${b}`);
    }
  }
  return { bytes, what: steps.join('; ') };
}

function sameBytes(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** Run everything a user might do with a file. */
async function exercise(bytes: Uint8Array, rnd: Rnd): Promise<void> {
  const guard = async (fn: () => unknown): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof FitsError)) throw e;
      if (!/^[A-Z_]+$/.test(e.code)) throw new Error(`odd error code ${e.code}`);
    }
  };
  await guard(() => Header.parse(bytes, 0, { hdu: 0 }));
  await guard(() => parseFits(bytes));
  let reader: FitsReader | undefined;
  await guard(async () => {
    reader = await FitsReader.open(bytes);
  });
  if (!reader) return;
  const r = reader;
  const written: HduToWrite[] = [];
  for (const h of r.hdus) {
    await guard(async () => {
      const data = await r.readDataBytes(h.index);
      written.push({ header: h.header, data: data.length > 0 ? data : undefined });
    });
    if (h.type === 'image') {
      await guard(() => r.readImage(h.index));
      await guard(() => r.readImage(h.index, { raw: true }));
      await guard(() =>
        r.readImage(h.index, {
          window: { x0: Math.floor(rnd() * 4), y0: Math.floor(rnd() * 4), width: Math.floor(rnd() * 6), height: Math.floor(rnd() * 6) },
        }),
      );
      await guard(() => decodeImage(h.header, new Uint8Array(Math.floor(rnd() * 64)), { hdu: h.index }));
    }
    await guard(() => r.verifyChecksum(h.index));
  }
  if (written.length === r.hdus.length) {
    // A file we could read must write back to the same bytes (up to trailing junk).
    let out: Uint8Array | undefined;
    await guard(() => {
      out = writeFits(written);
    });
    if (out) {
      // Cards before END and the data units are kept; junk after END or in padding is not.
      const again = parseFits(out);
      for (const h of r.hdus) {
        const end = findEndCard(bytes, h.headerOffset, h.dataOffset);
        const o = again[h.index];
        if (!sameBytes(out, o.headerOffset, bytes, h.headerOffset, end - h.headerOffset) || !sameBytes(out, o.dataOffset, bytes, h.dataOffset, h.dataByteLength)) {
          throw new Error(`HDU ${h.index} did not write back unchanged`);
        }
      }
    }
  }
  await r.close();
}

describe('fuzzing the FITS core', () => {
  it(`${ITERATIONS} seeded mutations of ${FILES.length} fixtures: only FitsError, always returns`, async () => {
    const sources = FILES.map((f) => ({ name: f, bytes: fixture(f) }));
    const rnd = prng(Number(process.env.FUZZ_SEED ?? 20240601));
    const failures: string[] = [];
    const codes = new Map<string, number>();
    const t0 = performance.now();
    for (let i = 0; i < ITERATIONS; i++) {
      const src = sources[i % sources.length];
      const { bytes, what } = mutate(src.bytes, rnd);
      try {
        await exercise(bytes, rnd);
      } catch (e) {
        failures.push(`#${i} ${src.name} [${what}]: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
      }
      try {
        parseFits(bytes);
        codes.set('ok', (codes.get('ok') ?? 0) + 1);
      } catch (e) {
        const c = e instanceof FitsError ? e.code : 'other';
        codes.set(c, (codes.get(c) ?? 0) + 1);
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    expect(failures.slice(0, 10)).toEqual([]);
    // The mutations must actually reach the interesting paths.
    for (const c of ['ok', 'TRUNCATED', 'BAD_CARD', 'BAD_VALUE', 'MISSING_CARD', 'DUPLICATE_CARD', 'TOO_LARGE', 'NOT_FITS']) {
      expect(codes.get(c) ?? 0, `mutations producing ${c}`).toBeGreaterThan(0);
    }
    
  }, 60_000);
});
