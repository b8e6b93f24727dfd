/**
 * Frames on disk: sexagesimal parsing, hints from the header (existing WCS, RA/DEC numbers or
 * strings, OBJCTRA/OBJCTDEC, XPIXSZ/FOCALLEN, PIXSCALE), and writing a solved WCS: every other
 * byte of the file kept, stale WCS cards replaced, CHECKSUM recomputed, the header growing by
 * whole blocks, nothing left behind on failure.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectStars, hintFromHeader, parseSexagesimal, readSolveFrame, writeSolvedFits } from '../../../src/science/astrometry/index.js';
import { randomStarField, renderFrame } from '../../../src/science/sky/index.js';
import { buildBinTable } from '../../../src/science/fits/bintable.js';
import { verifyChecksum } from '../../../src/science/fits/checksum.js';
import { Header } from '../../../src/science/fits/header.js';
import { parseFits } from '../../../src/science/fits/reader.js';
import { imageHdu, writeFits } from '../../../src/science/fits/writer.js';
import { createWcs, pixelScaleArcsec, wcsFromHeader, wcsToHeader } from '../../../src/science/wcs/index.js';

describe('detectStars', () => {
  it('binned detection re-centroided at full resolution is as accurate as full-resolution detection', () => {
    const size = 600;
    const wcs = createWcs({ crpix: [299.5, 299.5], crval: [10, 20], cd: [-2 / 3600, 0, 0, 2 / 3600] });
    const stars = randomStarField({ raDeg: 10, decDeg: 20, radiusDeg: 0.3, magBright: 8, magFaint: 14, seed: 3 });
    const fr = renderFrame({
      wcs,
      optics: { apertureMm: 80, focalLengthMm: 400, pixelSizeUm: 3.76, widthPx: size, heightPx: size, gainEPerAdu: 1, readNoiseE: 4, darkCurrentEPerS: 0, biasAdu: 500, fullWellE: 60000, vignetting: { kind: 'none' } },
      stars,
      exposureS: 10,
      seeingFwhmArcsec: 6,
      seed: 9,
      skyMagPerArcsec2: 19.5,
    });
    const frame = { data: Float32Array.from(fr.frame), width: size, height: size, saturation: fr.meta.saturationAdu };
    const truth = fr.stars.filter((t) => t.xPx > 10 && t.xPx < size - 10 && t.yPx > 10 && t.yPx < size - 10).sort((a, b) => b.fluxE - a.fluxE);
    const errorOf = (src: ReturnType<typeof detectStars>): number => {
      // RMS position error of the 40 brightest unsaturated truth stars that were detected.
      let s = 0;
      let n = 0;
      for (const t of truth.slice(0, 60)) {
        let best = Infinity;
        let flags = 0;
        for (const p of src) {
          const d = Math.hypot(p.x - t.xPx, p.y - t.yPx);
          if (d < best) {
            best = d;
            flags = p.flags ?? 0;
          }
        }
        if (best < 1.5 && (flags & 4) === 0 && n < 40) {
          s += best * best;
          n++;
        }
      }
      expect(n).toBeGreaterThan(30);
      return Math.sqrt(s / n);
    };
    const full = errorOf(detectStars(frame, { downsample: 1 }));
    const binned = errorOf(detectStars(frame, { downsample: 2 }));
    console.log(`centroid RMS of the brightest stars: full resolution ${full.toFixed(3)} px, binned 2×2 + re-centroided ${binned.toFixed(3)} px`);
    expect(full).toBeLessThan(0.2);
    expect(binned).toBeLessThan(1.2 * full);
  });
});

describe('header hints', () => {
  it('parses sexagesimal strings', () => {
    expect(parseSexagesimal('12 34 56.7')).toBeCloseTo(12 + 34 / 60 + 56.7 / 3600, 12);
    expect(parseSexagesimal('-05:23:10')).toBeCloseTo(-(5 + 23 / 60 + 10 / 3600), 12);
    expect(parseSexagesimal('+36 27')).toBeCloseTo(36.45, 12);
    expect(parseSexagesimal('-0 30 00')).toBeCloseTo(-0.5, 12);
    expect(parseSexagesimal('123.25')).toBe(123.25);
    expect(parseSexagesimal('12 61 00')).toBeUndefined();
    expect(parseSexagesimal('north')).toBeUndefined();
  });

  it('takes the position and scale from the header in order of trust', () => {
    const h = new Header([]);
    expect(hintFromHeader(h, 100, 100)).toEqual({});
    h.set('OBJCTRA', '08 51 20');
    h.set('OBJCTDEC', '+11 48 00');
    h.set('XPIXSZ', 7.52);
    h.set('FOCALLEN', 1000);
    let hint = hintFromHeader(h, 100, 100);
    expect(hint.position!.raDeg).toBeCloseTo((8 + 51 / 60 + 20 / 3600) * 15, 10);
    expect(hint.position!.decDeg).toBeCloseTo(11.8, 10);
    expect(hint.position!.from).toBe('OBJCTRA/OBJCTDEC');
    expect(hint.scaleArcsecPerPx!.value).toBeCloseTo((206.264806 * 7.52) / 1000, 9);
    // Numeric RA/DEC are degrees and come first.
    h.set('RA', 132.5);
    h.set('DEC', -11.25);
    hint = hintFromHeader(h, 100, 100);
    expect(hint.position).toEqual({ raDeg: 132.5, decDeg: -11.25, from: 'RA/DEC' });
    // An existing WCS wins: the centre of the image, its scale.
    const w = createWcs({ crpix: [10, 20], crval: [40, 50], cd: [-2 / 3600, 0, 0, 2 / 3600] });
    wcsToHeader(w, h);
    hint = hintFromHeader(h, 101, 81);
    expect(hint.position!.from).toMatch(/^WCS/);
    expect(hint.scaleArcsecPerPx!.value).toBeCloseTo(pixelScaleArcsec(w, [50, 40]), 9);
    const p = new Header([]);
    p.set('PIXSCALE', 1.7);
    p.set('RA', '10:00:00');
    p.set('DEC', 'bad');
    expect(hintFromHeader(p, 10, 10)).toEqual({ scaleArcsecPerPx: { value: 1.7, from: 'PIXSCALE' } });
  });
});

describe('writeSolvedFits', () => {
  function sample(withChecksum: boolean, extraCards = 0): Uint8Array {
    const h = new Header([]);
    h.set('OBJECT', 'test');
    h.set('CDELT1', 0.001);
    h.set('CROTA2', 12);
    for (let i = 0; i < extraCards; i++) h.set(`KEY${i}`, i);
    const px = Int16Array.from({ length: 40 * 30 }, (_, i) => (i * 37) % 3000 - 1500);
    const first = imageHdu(px, [40, 30], { header: h });
    const t = buildBinTable([{ name: 'A', format: 'J', values: Int32Array.from([1, 2, 3]) }]);
    const img2 = imageHdu(Float32Array.from({ length: 16 }, (_, i) => i / 3), [4, 4], { primary: false });
    const bytes = writeFits([first, t, img2], { checksum: withChecksum });
    return bytes;
  }
  const wcs = createWcs({
    crpix: [19.5, 14.5],
    crval: [200, -45],
    cd: [-1e-4, 2e-5, 2e-5, 1e-4],
    sip: { a: { order: 2, terms: [{ p: 2, q: 0, value: 1e-6 }] }, b: { order: 2, terms: [{ p: 0, q: 2, value: -1e-6 }] } },
  });

  it('changes only the solved header, replacing stale WCS cards and updating CHECKSUM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oa-write-'));
    for (const [withChecksum, extra] of [
      [false, 0],
      [true, 0],
      [true, 30], // the header grows into another block
    ] as const) {
      const input = join(dir, `in-${String(withChecksum)}-${extra}.fits`);
      const out = join(dir, `out-${String(withChecksum)}-${extra}.fits`);
      const a = sample(withChecksum, extra);
      writeFileSync(input, a);
      await writeSolvedFits(input, out, 0, wcs, { cards: [['PLTSOLVD', true, 'solved']], history: 'test' });
      const b = new Uint8Array(readFileSync(out));
      const ha = parseFits(a);
      const hb = parseFits(b);
      expect(hb.length).toBe(3);
      expect(Buffer.compare(a.subarray(ha[0].dataOffset), b.subarray(hb[0].dataOffset))).toBe(0);
      const h = hb[0].header;
      expect(h.get('CDELT1')).toBeUndefined();
      expect(h.get('CROTA2')).toBeUndefined();
      expect(h.get('OBJECT')).toBe('test');
      expect(h.get('PLTSOLVD')).toBe(true);
      expect(h.get('BITPIX')).toBe(16);
      const back = wcsFromHeader(h)!;
      expect(back.crval).toEqual(wcs.crval);
      expect(back.sip?.a.terms).toEqual(wcs.sip!.a.terms);
      if (withChecksum) {
        const data = b.subarray(hb[0].dataOffset, hb[0].dataOffset + hb[0].paddedDataByteLength);
        expect(verifyChecksum(b.subarray(hb[0].headerOffset, hb[0].dataOffset), data)).toEqual({ checksum: 'ok', datasum: 'ok' });
      }
    }
  });

  it('writes in place, and leaves nothing behind when it cannot write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oa-write-'));
    const f = join(dir, 'f.fits');
    writeFileSync(f, sample(false));
    await writeSolvedFits(f, f, 0, wcs);
    expect(wcsFromHeader((await readSolveFrame(f)).header)).toBeDefined();
    expect(readdirSync(dir)).toEqual(['f.fits']);
    await expect(writeSolvedFits(f, join(dir, 'missing-dir', 'o.fits'), 0, wcs)).rejects.toThrow();
    await expect(writeSolvedFits(f, join(dir, 'o.fits'), 5, wcs)).rejects.toThrow(/no HDU 5/);
    expect(readdirSync(dir)).toEqual(['f.fits']);
    await expect(readSolveFrame(f, 1)).rejects.toThrow(/HDU 1 is not a 2-D image/);
  });
});
