import { describe, expect, it } from 'vitest';
import { encodeChecksum, onesComplementSum32, setChecksum, verifyChecksum } from '../../../src/science/fits/checksum.js';
import { FitsError } from '../../../src/science/fits/errors.js';
import { Header } from '../../../src/science/fits/header.js';
import { FitsReader, parseFits } from '../../../src/science/fits/reader.js';
import { imageHdu, writeFits } from '../../../src/science/fits/writer.js';
import { ascii, expected, fixture, prng, text } from './fits-core-helpers.js';

/** Independent reference: BigInt sum of big-endian words, end-around carry folded at the end. */
function referenceSum(bytes: Uint8Array): number {
  let s = 0n;
  for (let i = 0; i < bytes.length; i += 4) {
    let w = 0n;
    for (let k = 0; k < 4; k++) w = (w << 8n) | BigInt(bytes[i + k] ?? 0);
    s += w;
  }
  while (s > 0xffffffffn) s = (s & 0xffffffffn) + (s >> 32n);
  return Number(s);
}

describe('onesComplementSum32', () => {
  it('adds big-endian words with end-around carry', () => {
    expect(onesComplementSum32(new Uint8Array(8))).toBe(0);
    expect(onesComplementSum32(Uint8Array.of(0, 0, 0, 1, 0, 0, 0, 2))).toBe(3);
    expect(onesComplementSum32(Uint8Array.of(0x12, 0x34, 0x56, 0x78))).toBe(0x12345678);
    expect(onesComplementSum32(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1))).toBe(1);
    expect(onesComplementSum32(Uint8Array.of(0x80, 0, 0, 0, 0x80, 0, 0, 0))).toBe(1);
    // −0 stays −0: x + ~x = 0xFFFFFFFF
    expect(onesComplementSum32(Uint8Array.of(0x12, 0x34, 0x56, 0x78, 0xed, 0xcb, 0xa9, 0x87))).toBe(0xffffffff);
    expect(onesComplementSum32(Uint8Array.of(0, 0, 0, 5), 0xfffffffe)).toBe(4);
  });

  it('treats a ragged tail as zero-padded', () => {
    expect(onesComplementSum32(Uint8Array.of(1, 2, 3))).toBe(0x01020300);
    expect(onesComplementSum32(Uint8Array.of(0, 0, 0, 1, 0xff))).toBe(0xff000001);
  });

  it('matches a BigInt reference on random data beyond the fold interval', () => {
    const rnd = prng(99);
    const n = 4 * ((1 << 20) + 12345) + 3;
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = rnd() < 0.5 ? 0xff : Math.floor(rnd() * 256);
    expect(onesComplementSum32(bytes)).toBe(referenceSum(bytes));
    // and from an unaligned view
    expect(onesComplementSum32(bytes.subarray(1, 4001))).toBe(referenceSum(bytes.subarray(1, 4001)));
  });

  it('rejects an impossible initial value', () => {
    expect(() => onesComplementSum32(new Uint8Array(4), -1)).toThrow(FitsError);
    expect(() => onesComplementSum32(new Uint8Array(4), 2 ** 32)).toThrow(FitsError);
  });
});

describe('against astropy-written checksums', () => {
  for (const name of ['checksum-u16.fits', 'checksum-mef.fits']) {
    const bytes = fixture(name);
    const hdus = parseFits(bytes);
    const astropy = expected.checksum[name];

    it(`${name}: astropy verified its own file`, () => {
      expect(astropy).toHaveLength(hdus.length);
      for (const a of astropy) expect([a.verifyChecksum, a.verifyDatasum]).toEqual([1, 1]);
    });

    it(`${name}: our DATASUM and CHECKSUM encoding give astropy's values`, () => {
      hdus.forEach((h, i) => {
        const data = bytes.subarray(h.dataOffset, h.dataOffset + h.paddedDataByteLength);
        const datasum = onesComplementSum32(data);
        expect(String(datasum)).toBe(astropy[i].datasum);
        // CHECKSUM is the encoded complement of the HDU's sum with CHECKSUM's value zeroed.
        const head = bytes.slice(h.headerOffset, h.dataOffset);
        const at = text(head).indexOf("CHECKSUM= '") + 11;
        expect(text(head.subarray(at, at + 16))).toBe(astropy[i].checksum);
        head.set(ascii('0'.repeat(16)), at);
        expect(encodeChecksum(onesComplementSum32(head, datasum), true)).toBe(astropy[i].checksum);
      });
    });

    it(`${name}: verifyChecksum says ok for every HDU`, async () => {
      const reader = await FitsReader.open(bytes);
      for (const h of reader.hdus) expect(await reader.verifyChecksum(h.index)).toEqual({ checksum: 'ok', datasum: 'ok' });
    });
  }
});

describe('encodeChecksum', () => {
  it('never produces punctuation and always sums back to the value', () => {
    const rnd = prng(5);
    for (let t = 0; t < 5000; t++) {
      const v = t < 256 ? t * 0x01010101 : Math.floor(rnd() * 2 ** 32);
      const s = encodeChecksum(v);
      expect(s).toMatch(/^[0-9A-Za-z]{16}$/);
      // Undo the rotation, then each byte lane's four parts add up to that byte.
      const r = s.slice(1) + s[0];
      let back = 0;
      for (let b = 0; b < 4; b++) {
        let byte = 0;
        for (let j = 0; j < 4; j++) byte += r.charCodeAt(4 * j + b) - 0x30;
        back = back * 256 + byte;
      }
      expect(back).toBe(v);
    }
  });

  it('complement encodes ~sum', () => {
    expect(encodeChecksum(0x12345678, true)).toBe(encodeChecksum(0xedcba987));
  });
});

describe('setChecksum and verification', () => {
  it('makes any HDU sum to −0 and verify', () => {
    const rnd = prng(17);
    for (let t = 0; t < 50; t++) {
      const n = 1 + Math.floor(rnd() * 3000);
      const data = new Float32Array(n).map(() => (rnd() - 0.5) * 1e6);
      const hdu = imageHdu(data, [n], { header: new Header().set('RUN', t) });
      const bytes = writeFits([hdu], { checksum: true });
      expect(onesComplementSum32(bytes)).toBe(0xffffffff);
      const [info] = parseFits(bytes);
      expect(verifyChecksum(bytes.subarray(0, info.dataOffset), bytes.subarray(info.dataOffset))).toEqual({ checksum: 'ok', datasum: 'ok' });
    }
  });

  it('writes DATASUM = 0 for a header-only HDU, and updates stale cards in place', () => {
    const h = new Header().set('SIMPLE', true).set('BITPIX', 8).set('NAXIS', 0).set('CHECKSUM', 'stale', 'old').set('DATASUM', '1').set('LAST', 1);
    setChecksum(h, undefined);
    expect(h.cards.map((c) => c.keyword)).toEqual(['SIMPLE', 'BITPIX', 'NAXIS', 'CHECKSUM', 'DATASUM', 'LAST']);
    expect(h.get('DATASUM')).toBe('0');
    expect(h.find('CHECKSUM')?.comment).toBe('old');
    expect(verifyChecksum(h.toBytes(), new Uint8Array(0))).toEqual({ checksum: 'ok', datasum: 'ok' });
  });

  it('ASCII-table padding (blanks) is part of the data sum', async () => {
    const reader = await FitsReader.open(fixture('checksum-mef.fits'));
    const t = reader.hdus[3];
    const header = t.header.clone();
    setChecksum(header, await reader.readDataBytes(3));
    expect(header.get('DATASUM')).toBe(t.header.get('DATASUM'));
  });

  it('detects corruption in the data and in the header', async () => {
    const bytes = fixture('checksum-u16.fits');
    const [info] = parseFits(bytes);
    const dataHit = bytes.slice();
    dataHit[info.dataOffset + 100] ^= 0x04;
    expect(await (await FitsReader.open(dataHit)).verifyChecksum(0)).toEqual({ checksum: 'bad', datasum: 'bad' });
    const headHit = bytes.slice();
    const at = text(headHit).indexOf('checksum test');
    headHit[at] = 'C'.charCodeAt(0);
    expect(await (await FitsReader.open(headHit)).verifyChecksum(0)).toEqual({ checksum: 'bad', datasum: 'ok' });
    // Swapping two 4-byte-aligned words is invisible to a ones'-complement sum — a known
    // limit of the convention, not something to "fix".
  });

  it('reports absent keywords as absent', async () => {
    const reader = await FitsReader.open(fixture('img-i16.fits'));
    expect(await reader.verifyChecksum(0)).toEqual({ checksum: 'absent', datasum: 'absent' });
    const onlyDatasum = new Header().set('SIMPLE', true).set('BITPIX', 8).set('NAXIS', 0).set('DATASUM', '0');
    expect(verifyChecksum(onlyDatasum.toBytes(), new Uint8Array(0))).toEqual({ checksum: 'absent', datasum: 'ok' });
    const garbage = new Header().set('SIMPLE', true).set('DATASUM', 'abc');
    expect(verifyChecksum(garbage.toBytes(), new Uint8Array(0)).datasum).toBe('bad');
  });
});
