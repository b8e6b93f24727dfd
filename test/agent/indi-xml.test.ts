import { readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AgentError } from '../../src/agent/errors.js';
import {
  decodeBlob,
  decodeMessage,
  encodeBlob,
  encodeVector,
  parseIndiNumber,
  XmlStream,
  type IndiElement,
  type IndiMessage,
  type IndiVector,
  type XmlElement,
} from '../../src/agent/indi/index.js';

const captured = readFileSync(new URL('../fixtures/agent/indi-simulators.xml', import.meta.url));

function parseAll(chunks: Array<Uint8Array | string>): XmlElement[] {
  const s = new XmlStream();
  const out: XmlElement[] = [];
  for (const c of chunks) out.push(...s.feed(c));
  s.end();
  return out;
}

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  return out;
}

function expectProtocolOnly(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AgentError);
    expect(['PROTOCOL', 'BAD_BLOB']).toContain((e as AgentError).code);
  }
}

describe('INDI XML stream', () => {
  it('decodes the stream captured from indiserver 1.9.9 to the values indi_getprop reports', () => {
    const msgs = parseAll([captured]).map(decodeMessage);
    const defs = msgs.filter((m): m is Extract<IndiMessage, { type: 'def' }> => m.type === 'def');
    expect(defs.length).toBe(140);
    expect(msgs.filter((m) => m.type === 'set').length).toBe(22);
    const find = (d: string, n: string): IndiVector => defs.find((m) => m.vector.device === d && m.vector.name === n)!.vector;
    const info = find('CCD Simulator', 'CCD_INFO');
    expect(info.elements.get('CCD_MAX_X')?.value).toBe(1280);
    expect(info.elements.get('CCD_MAX_Y')?.value).toBe(1024);
    expect(info.elements.get('CCD_PIXEL_SIZE')?.value).toBeCloseTo(5.2, 6);
    const filters = [...find('CCD Simulator', 'FILTER_NAME').elements.values()].map((e) => e.value);
    expect(filters).toEqual(['Red', 'Green', 'Blue', 'H_Alpha', 'SII', 'OIII', 'LPR', 'Luminance']);
    const eq = find('Telescope Simulator', 'EQUATORIAL_EOD_COORD');
    expect(eq.kind).toBe('Number');
    expect(eq.perm).toBe('rw');
    expect(eq.elements.get('DEC')?.format).toBe('%010.6m');
    expect(eq.elements.get('RA')?.max).toBe(24);
    const park = find('Telescope Simulator', 'TELESCOPE_PARK');
    expect(park.rule).toBe('OneOfMany');
    expect([...park.elements.values()].map((e) => [e.name, e.value])).toEqual([
      ['PARK', false],
      ['UNPARK', true],
    ]);
    expect(find('Telescope Simulator', 'TELESCOPE_INFO').elements.get('TELESCOPE_FOCAL_LENGTH')?.value).toBe(900);
    expect(find('CCD Simulator', 'CCD1').kind).toBe('BLOB');
  });

  it('gives the same elements whatever the chunking (fuzzed splits, one byte at a time)', () => {
    const whole = parseAll([captured]);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 200 }), (cuts) => {
        expect(parseAll(splitAt(captured, cuts))).toEqual(whole);
      }),
      { numRuns: 60, seed: 11 },
    );
    const bytewise: Uint8Array[] = [];
    for (let i = 0; i < 6000; i++) bytewise.push(captured.subarray(i, i + 1));
    const s = new XmlStream();
    const got: XmlElement[] = [];
    for (const b of bytewise) got.push(...s.feed(b));
    expect(got).toEqual(whole.slice(0, got.length));
    expect(got.length).toBeGreaterThan(5);
  });

  it('round-trips generated messages (entities, Unicode, sexagesimal numbers, BLOBs) through random chunking', () => {
    const name = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,15}$/);
    const text = fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => [...s.trim()].filter((c) => c.charCodeAt(0) >= 0x20 && c !== '\ufffe' && c !== '\uffff').join(''));
    const number = fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true });
    const kinds = fc.constantFrom('Text' as const, 'Number' as const, 'Switch' as const, 'Light' as const, 'BLOB' as const);
    const vector = fc.record({ kind: kinds, device: text.filter((s) => s.length > 0), name, values: fc.array(fc.tuple(name, text, number, fc.boolean(), fc.uint8Array({ maxLength: 300 })), { minLength: 1, maxLength: 5 }), compress: fc.boolean() });
    fc.assert(
      fc.property(fc.array(vector, { minLength: 1, maxLength: 6 }), fc.array(fc.nat(), { maxLength: 40 }), (vectors, cuts) => {
        const expected: IndiVector[] = [];
        let xml = '';
        for (const v of vectors) {
          const elements = new Map<string, IndiElement>();
          for (const [n, t, x, b, bytes] of v.values) {
            if (elements.has(n)) continue;
            const value =
              v.kind === 'Text' ? t : v.kind === 'Number' ? x : v.kind === 'Switch' ? b : v.kind === 'Light' ? (['Idle', 'Ok', 'Busy', 'Alert'] as const)[bytes.length % 4] : { data: bytes, format: '.fits', size: bytes.length, compressed: v.compress };
            elements.set(n, { name: n, value });
          }
          const vec: IndiVector = { kind: v.kind, device: v.device, name: v.name, state: 'Ok', elements };
          expected.push(vec);
          xml += encodeVector('set', vec, { blobLineChars: 72 });
        }
        const bytes = new TextEncoder().encode(xml);
        const got = parseAll(splitAt(bytes, cuts)).map(decodeMessage);
        expect(got.length).toBe(expected.length);
        got.forEach((m, i) => {
          expect(m.type).toBe('set');
          const v = (m as { vector: IndiVector }).vector;
          const e = expected[i];
          expect([v.kind, v.device, v.name, v.state]).toEqual([e.kind, e.device, e.name, e.state]);
          for (const [n, el] of e.elements) {
            const g = v.elements.get(n)!.value;
            if (e.kind === 'BLOB') {
              expect(Buffer.from((g as { data: Uint8Array }).data).equals(Buffer.from((el.value as { data: Uint8Array }).data))).toBe(true);
            } else if (e.kind === 'Text') expect(g).toBe((el.value as string).trim());
            else expect(g).toEqual(el.value);
          }
        });
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it('malformed input (fuzzed mutations and truncations) gives PROTOCOL errors only, never a crash or hang', () => {
    const sample = captured.subarray(0, 12000);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('<', '>', '&', '"', "'", '/', '=', ' ', '</x>', '<a', '&#0;', '&bogus;', ']]>', '<!DOCTYPE x>', '\u0000', 'é')), { maxLength: 8 }),
        fc.nat(),
        fc.array(fc.nat(), { maxLength: 30 }),
        (edits, truncate, cuts) => {
          let s = new TextDecoder().decode(sample);
          for (const [at, ins] of edits) {
            const p = at % (s.length + 1);
            s = s.slice(0, p) + ins + s.slice(p + (at % 3 === 0 ? 1 : 0));
          }
          s = s.slice(0, s.length - (truncate % 200));
          const bytes = new TextEncoder().encode(s);
          expectProtocolOnly(() => {
            const els = parseAll(splitAt(bytes, cuts));
            for (const el of els) {
              try {
                decodeMessage(el);
              } catch (e) {
                expect(e).toBeInstanceOf(AgentError);
                expect(['PROTOCOL', 'BAD_BLOB']).toContain((e as AgentError).code);
              }
            }
          });
        },
      ),
      { numRuns: 300, seed: 3 },
    );
  });

  const bad: Array<[string, string]> = [
    ['<a></b>', 'does not match'],
    ['</a>', 'no element open'],
    ['hello <a/>', 'text outside'],
    ['<a>&nbsp;</a>', 'unknown entity'],
    ['<a>&#xD800;</a>', 'not a character'],
    ['<!DOCTYPE a [<!ENTITY x "y">]><a/>', 'DOCTYPE'],
    ['<a b=c/>', 'not quoted'],
    ['<a b="1" b="2"/>', 'repeated'],
    ['<a b="<"/>', "'<'"],
    ['<1a/>', 'bad element name'],
    ['<a><b><c><d/></c></b></a>', 'nested deeper'],
  ];
  it.each(bad)('rejects %s', (xml, why) => {
    const s = new XmlStream({ maxDepth: 3 });
    let err: unknown;
    try {
      s.feed(xml);
      s.end();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe('PROTOCOL');
    expect((err as AgentError).message).toContain(why);
    // A failed stream stays failed.
    expect(() => s.feed('<ok/>')).toThrow(AgentError);
  });

  it('limits text size and reports truncated input at end()', () => {
    const s = new XmlStream({ maxTextChars: 100 });
    expect(() => s.feed(`<a>${'x'.repeat(101)}</a>`)).toThrow(/longer than 100/);
    const t = new XmlStream();
    t.feed('<a><b>12');
    expect(() => t.end()).toThrow(/ended inside <b>/);
  });

  it('decodes semantic errors in messages as PROTOCOL with the property named', () => {
    const el = (xml: string): XmlElement => parseAll([xml])[0];
    const cases: Array<[string, RegExp]> = [
      ['<setNumberVector device="D" name="N"><oneNumber name="X">abc</oneNumber></setNumberVector>', /not a number.*D\.N\.X/],
      ['<setSwitchVector device="D" name="N"><oneSwitch name="S">Maybe</oneSwitch></setSwitchVector>', /On or Off/],
      ['<defTextVector device="D" name="N"><defText name="T">x</defText></defTextVector>', /without a state/],
      ['<setTextVector name="N"/>', /without a device/],
      ['<setNumberVector device="D" name="N" state="Weird"/>', /bad state/],
      ['<setNumberVector device="D" name="N"><oneText name="X">1</oneText></setNumberVector>', /expected <oneNumber>/],
      ['<setBLOBVector device="D" name="B"><oneBLOB name="B" size="4" format=".fits">AAAA</oneBLOB></setBLOBVector>', /holds 3 bytes|size/],
    ];
    for (const [xml, re] of cases) {
      let err: unknown;
      try {
        decodeMessage(el(xml));
      } catch (e) {
        err = e;
      }
      expect(err, xml).toBeInstanceOf(AgentError);
      expect((err as Error).message).toMatch(re);
    }
    expect(decodeMessage(el('<pingRequest uid="1"/>'))).toEqual({ type: 'unknown', element: 'pingRequest' });
  });
});

describe('INDI values', () => {
  it('numbers: decimal and sexagesimal (%m) forms', () => {
    expect(parseIndiNumber(' 1.1430701728976599973\n')).toBeCloseTo(1.14307017289766, 14);
    expect(parseIndiNumber('12:30:00')).toBe(12.5);
    expect(parseIndiNumber('-00:30:00')).toBe(-0.5);
    expect(parseIndiNumber('-0 30 36')).toBeCloseTo(-0.51, 12);
    expect(parseIndiNumber('5:45')).toBe(5.75);
    expect(parseIndiNumber('1e-3')).toBe(0.001);
    for (const s of ['', 'abc', '1:2:3:4', '--1', '1.2.3']) expect(() => parseIndiNumber(s)).toThrow(AgentError);
  });

  it('BLOBs: size checked, zlib (.z) inflated within the stated size, bad base64 refused', () => {
    const data = new Uint8Array(5000).map((_, i) => (i * 7) & 0xff);
    const enc = encodeBlob({ data, format: '.fits', compressed: true });
    expect(enc.format).toBe('.fits.z');
    const back = decodeBlob(enc.text, { size: enc.size, format: enc.format });
    expect(back.format).toBe('.fits');
    expect(back.compressed).toBe(true);
    expect(Buffer.from(back.data).equals(Buffer.from(data))).toBe(true);
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        return (e as AgentError).code;
      }
      return 'none';
    };
    expect(code(() => decodeBlob(enc.text, { size: 4999, format: '.fits.z' }))).toBe('BAD_BLOB');
    expect(code(() => decodeBlob('AAA', { size: 2, format: '.fits' }))).toBe('BAD_BLOB');
    expect(code(() => decodeBlob('AA*A', { size: 3, format: '.fits' }))).toBe('BAD_BLOB');
    expect(code(() => decodeBlob('A=AA', { size: 3, format: '.fits' }))).toBe('BAD_BLOB');
    // A "zip bomb": 10 MB of zeros claiming to be 1 kB is stopped at the stated size.
    const bomb = deflateSync(new Uint8Array(10_000_000)).toString('base64');
    expect(code(() => decodeBlob(bomb, { size: 1000, format: '.fits.z' }))).toBe('BAD_BLOB');
    expect(decodeBlob('', { size: 0, format: '.fits' }).data.length).toBe(0);
  });
});
