import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BinTable,
  buildBinTable,
  formatTform,
  parseTform,
  readBinTable,
  type ColumnInput,
  type ColumnValues,
} from '../../../src/science/fits/bintable.js';
import { FitsError } from '../../../src/science/fits/errors.js';
import { Header } from '../../../src/science/fits/header.js';
import { parseFits } from '../../../src/science/fits/reader.js';
import { writeFits } from '../../../src/science/fits/writer.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/bintable');

// ---------------------------------------------------------------------------------------
// Helpers

const PRIMARY = (): Header =>
  Header.fromCards([
    { keyword: 'SIMPLE', value: true },
    { keyword: 'BITPIX', value: 8 },
    { keyword: 'NAXIS', value: 0 },
    { keyword: 'EXTEND', value: true },
  ]);

/** Open the table in HDU `index` of a FITS file held in memory. */
function openTable(bytes: Uint8Array, index = 1): BinTable {
  const hdu = parseFits(bytes)[index];
  return readBinTable(hdu.header, bytes.subarray(hdu.dataOffset, hdu.dataOffset + hdu.dataByteLength), { hdu: index });
}

/** build → writeFits → parseFits → readBinTable. */
function roundTrip(columns: ColumnInput[], opts: Parameters<typeof buildBinTable>[1] = {}): { table: BinTable; file: Uint8Array } {
  const { header, data } = buildBinTable(columns, opts);
  const file = writeFits([{ header: PRIMARY() }, { header, data }]);
  return { table: openTable(file), file };
}

function expectFitsError(fn: () => unknown, code: string, loc: Record<string, unknown> = {}): FitsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FitsError);
    const fe = e as FitsError;
    expect(fe.code).toBe(code);
    for (const [k, v] of Object.entries(loc)) expect((fe.location as Record<string, unknown>)[k]).toBe(v);
    return fe;
  }
  throw new Error(`expected FitsError ${code}, nothing thrown`);
}

type Json = number | string | boolean | null | Json[];

/** A JSON value of the fixtures ("NaN", 64-bit integers as strings) as what our array holds. */
function decodeExpected(v: Json, big: boolean): number | bigint | boolean {
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    return big ? BigInt(v) : Number(v);
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  return big ? BigInt(v as number) : (v as number);
}

function sameNumber(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
  return a === b;
}

/** Compare a decoded column (or one varlen cell) with the fixture's flat value list. */
function expectValues(got: ColumnValues, want: Json, what: string): void {
  switch (got.kind) {
    case 'string':
      expect(got.values, what).toEqual(Array.isArray(want) ? want : [want]);
      return;
    case 'varlen': {
      const rows = want as Json[];
      expect(got.values.length, what).toBe(rows.length);
      got.values.forEach((cell, r) => expectValues(cell, rows[r], `${what} row ${r}`));
      return;
    }
    default: {
      const list = want as Json[];
      const big = got.values instanceof BigInt64Array || got.values instanceof BigUint64Array;
      expect(got.values.length, what).toBe(list.length);
      for (let i = 0; i < list.length; i++) {
        const w = decodeExpected(list[i], big);
        const g = got.values[i];
        if (!sameNumber(g, w)) throw new Error(`${what}[${i}]: got ${String(g)}, expected ${String(w)}`);
      }
    }
  }
}

const DTYPE_CLASS: Record<string, string> = {
  int8: 'Int8Array',
  uint8: 'Uint8Array',
  int16: 'Int16Array',
  uint16: 'Uint16Array',
  int32: 'Int32Array',
  uint32: 'Uint32Array',
  int64: 'BigInt64Array',
  uint64: 'BigUint64Array',
  float32: 'Float32Array',
  float64: 'Float64Array',
};

interface FixtureColumn {
  name: string;
  tform: string;
  dtype: string | null;
  values: Json;
  source: string;
}

// ---------------------------------------------------------------------------------------

describe('parseTform / formatTform', () => {
  it.each([
    ['E', { repeat: 1, type: 'E' }],
    ['1E', { repeat: 1, type: 'E' }],
    ['20A', { repeat: 20, type: 'A' }],
    ['0J', { repeat: 0, type: 'J' }],
    ['13X', { repeat: 13, type: 'X' }],
    ['2M', { repeat: 2, type: 'M' }],
    ['  3k  ', { repeat: 3, type: 'K' }],
    ['20A5', { repeat: 20, type: 'A' }], // 'a' characters after the type are not structural
    ['PB', { repeat: 1, type: 'P', varType: 'B' }],
    ['1PB(100)', { repeat: 1, type: 'P', varType: 'B', varMax: 100 }],
    ['0PE()', { repeat: 0, type: 'P', varType: 'E' }],
    ['QD(5)', { repeat: 1, type: 'Q', varType: 'D', varMax: 5 }],
    ['1QX(7)', { repeat: 1, type: 'Q', varType: 'X', varMax: 7 }],
  ])('%s', (text, want) => {
    expect(parseTform(text)).toEqual(want);
  });

  it.each(['', 'Z', '12', '1.5E', '-1J', 'P', 'PP', '1PQ', '2PB', '1PB(x)', '1PB(3', '1PB(3)x', '99999999999E', '1QZ'])(
    'rejects %j',
    (text) => {
      expectFitsError(() => parseTform(text, { hdu: 2, column: 4 }), 'BAD_VALUE', { hdu: 2, column: 4, keyword: 'TFORM4' });
    },
  );

  it('formats what it parses', () => {
    for (const t of ['1E', '20A', '0J', '13X', '1PB(100)', '1QD(5)', '1PA']) expect(formatTform(parseTform(t))).toBe(t);
  });
});

describe('golden: fixtures written by astropy and by hand, values as astropy reads them', () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
  it('has the fixtures', () => {
    expect(files.sort()).toEqual(
      ['astropy-types.json', 'astropy-varlen.json', 'handmade-heap.json', 'handmade-px.json', 'handmade-scaled.json', 'ours.json'].sort(),
    );
  });

  for (const f of files) {
    it(f.replace('.json', '.fits'), () => {
      const expected = JSON.parse(readFileSync(join(FIXTURES, f), 'utf8')) as { file: string; hdu: number; rows: number; columns: FixtureColumn[] };
      const table = openTable(readFileSync(join(FIXTURES, expected.file)), expected.hdu);
      expect(table.rows).toBe(expected.rows);
      expect(table.columns.map((c) => c.name)).toEqual(expected.columns.map((c) => c.name));
      for (const col of expected.columns) {
        const got = table.column(col.name);
        const info = table.columns[table.columnIndex(col.name)];
        expect(info.tform).toBe(col.tform);
        expectValues(got, col.values, `${expected.file} ${col.name}`);
        // Element class: astropy's dtype where the conventions agree (it turns a few
        // integer columns into float64 where we keep exact integers).
        if (got.kind === 'numeric' && col.dtype && col.dtype !== 'float64') {
          expect(got.values.constructor.name, col.name).toBe(DTYPE_CLASS[col.dtype]);
        }
      }
    });
  }

  it('reports the column metadata astropy wrote', () => {
    const t = openTable(readFileSync(join(FIXTURES, 'astropy-types.fits')));
    const m = t.columns[t.columnIndex('MATRIX')];
    expect(m.tdim).toEqual([3, 2]);
    expect(m.format).toEqual({ repeat: 6, type: 'I' });
    expect(t.columns[t.columnIndex('float')].unit).toBe('mag');
    expect(t.columns[t.columnIndex('nullint')].tnull).toBe(-999);
    expect(t.columns[t.columnIndex('ushort')].tzero).toBe(32768);
    expect(t.columns[t.columnIndex('ulong')].tzero).toBe(2 ** 63);
    expect(t.rowBytes).toBe(t.columns.reduce((s, c) => s + c.byteWidth, 0));
  });

  it('unsigned conventions and scaling give the documented array types', () => {
    const t = openTable(readFileSync(join(FIXTURES, 'handmade-scaled.fits')));
    const cls = (n: string): string => (t.column(n) as { values: object }).values.constructor.name;
    expect(cls('U8')).toBe('Int8Array');
    expect(cls('U16')).toBe('Uint16Array');
    expect(cls('U32')).toBe('Uint32Array');
    expect(cls('U64')).toBe('BigUint64Array');
    for (const n of ['SI', 'SJ', 'SK', 'SB', 'SE', 'SD', 'SC']) expect(cls(n)).toBe('Float64Array');
    expect(cls('M2')).toBe('Float64Array');
    expect(t.column('L3').kind).toBe('logical');
  });

  it('gives heap cells as views of the file bytes (no copy), THEAP gap respected', () => {
    const bytes = readFileSync(join(FIXTURES, 'handmade-heap.fits'));
    const t = openTable(bytes);
    const vb = t.columnIndex('VB');
    const cell = t.varBytes(0, vb);
    expect(cell.buffer).toBe(bytes.buffer);
    expect(Array.from(cell)).toEqual([1, 2, 3, 4]);
    expect(Array.from(t.varBytes(1, vb))).toEqual([255]);
    expect(t.varBytes(2, vb).length).toBe(0);
    // VE rows 0 and 3 share one heap cell.
    const ve = t.columnIndex('VE');
    expect(t.descriptor(3, ve)).toEqual(t.descriptor(0, ve));
    expect(t.heapOffset).toBe(t.rowBytes * t.rows + 37);
    // Big-endian float 0.5 = 3f000000.
    expect(Array.from(t.varBytes(0, ve).subarray(0, 4))).toEqual([0x3f, 0, 0, 0]);
  });
});

describe('build → write → read round trip', () => {
  it('every fixed type with the physical values and classes of the conventions', () => {
    const rows = 4;
    const columns: ColumnInput[] = [
      { name: 'l', values: [true, false, true, false] },
      { name: 'lnull', format: '2L', values: new Int8Array([1, -1, 0, 1, -1, -1, 0, 0]) },
      { name: 'x', format: '10X', values: Array.from({ length: 40 }, (_, i) => (i * 7) % 3 === 0 ? 1 : 0) },
      { name: 'b', values: new Uint8Array([0, 1, 200, 255]) },
      { name: 'sb', values: new Int8Array([-128, -1, 0, 127]) },
      { name: 'i', values: new Int16Array([-32768, -2, 3, 32767]) },
      { name: 'ui', values: new Uint16Array([0, 1, 40000, 65535]) },
      { name: 'j', values: new Int32Array([-(2 ** 31), -2, 3, 2 ** 31 - 1]) },
      { name: 'uj', values: new Uint32Array([0, 1, 3e9, 2 ** 32 - 1]) },
      { name: 'k', values: new BigInt64Array([-(2n ** 63n), -2n, 2n ** 53n + 1n, 2n ** 63n - 1n]) },
      { name: 'uk', values: new BigUint64Array([0n, 1n, 2n ** 63n + 5n, 2n ** 64n - 1n]) },
      { name: 'e', values: new Float32Array([0, -1.25, NaN, Infinity]) },
      { name: 'd', values: new Float64Array([Math.PI, -0, NaN, 5e-324]) },
      { name: 'plain', values: [1.5, 2.5, 3.5, 4.5] },
      { name: 'a', values: ['', 'abc', 'with  spaces', 'x'] },
      { name: 'a10', format: '10A', values: ['short', '0123456789', '', ' lead'] },
      { name: 'c', format: 'C', values: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) },
      { name: 'm', format: '2M', values: Array.from({ length: 16 }, (_, i) => i / 3) },
      { name: 'arr', format: '6E', dim: [3, 2], unit: 'adu', values: new Float32Array(Array.from({ length: 24 }, (_, i) => i - 5)) },
      { name: 'nested', format: '3J', values: [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]] as unknown as number[] },
      { name: 'scaled', format: 'I', tscal: 0.5, tzero: 100, tnull: -32768, values: [100, 100.5, NaN, -16283.5] },
      { name: 'scaledk', format: 'K', tscal: 2, tzero: 1, tnull: -1n, values: [1, 3, NaN, 2 ** 50 + 1] },
      { name: 'scalede', format: 'E', tscal: 2, tzero: 1, values: [1, 3, 0, -1] },
      { name: 'scaledc', format: 'C', tscal: 2, tzero: 1, values: [1, 3, 5, 7, 1, 1, 3, 3] },
      { name: 'ib', format: 'B', tnull: 255, values: [0, 1, 254, 255] },
    ];
    const { table } = roundTrip(columns, { extname: 'EVERY' });
    expect(table.rows).toBe(rows);
    expect(table.header.getString('EXTNAME')).toBe('EVERY');
    const get = (n: string): ColumnValues => table.column(n);
    const vals = (n: string): unknown[] => Array.from((get(n) as { values: ArrayLike<unknown> }).values);

    expect(get('l')).toEqual({ kind: 'logical', repeat: 1, values: new Int8Array([1, 0, 1, 0]) });
    expect(get('lnull')).toEqual({ kind: 'logical', repeat: 2, values: new Int8Array([1, -1, 0, 1, -1, -1, 0, 0]) });
    expect(get('x')).toEqual({ kind: 'bits', repeat: 10, values: new Uint8Array(columns[2].values as number[]) });
    expect(get('b')).toEqual({ kind: 'numeric', repeat: 1, values: new Uint8Array([0, 1, 200, 255]) });
    expect(get('sb')).toEqual({ kind: 'numeric', repeat: 1, values: new Int8Array([-128, -1, 0, 127]) });
    expect(get('i').kind === 'numeric' && get('i').values).toEqual(new Int16Array([-32768, -2, 3, 32767]));
    expect(get('ui')).toEqual({ kind: 'numeric', repeat: 1, values: new Uint16Array([0, 1, 40000, 65535]) });
    expect(get('j')).toEqual({ kind: 'numeric', repeat: 1, values: new Int32Array([-(2 ** 31), -2, 3, 2 ** 31 - 1]) });
    expect(get('uj')).toEqual({ kind: 'numeric', repeat: 1, values: new Uint32Array([0, 1, 3e9, 2 ** 32 - 1]) });
    expect(get('k')).toEqual({ kind: 'numeric', repeat: 1, values: new BigInt64Array([-(2n ** 63n), -2n, 2n ** 53n + 1n, 2n ** 63n - 1n]) });
    expect(get('uk')).toEqual({ kind: 'numeric', repeat: 1, values: new BigUint64Array([0n, 1n, 2n ** 63n + 5n, 2n ** 64n - 1n]) });
    expect(get('e')).toEqual({ kind: 'numeric', repeat: 1, values: new Float32Array([0, -1.25, NaN, Infinity]) });
    expect(Object.is(vals('d')[1], -0)).toBe(true);
    expect(vals('d')).toEqual([Math.PI, -0, NaN, 5e-324]);
    expect(get('plain')).toEqual({ kind: 'numeric', repeat: 1, values: new Float64Array([1.5, 2.5, 3.5, 4.5]) });
    expect(get('a')).toEqual({ kind: 'string', values: ['', 'abc', 'with  spaces', 'x'] });
    expect(table.columns[table.columnIndex('a')].format).toEqual({ repeat: 12, type: 'A' });
    expect(get('a10')).toEqual({ kind: 'string', values: ['short', '0123456789', '', ' lead'] });
    expect(get('c')).toEqual({ kind: 'complex', repeat: 1, values: new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]) });
    expect(get('m')).toEqual({ kind: 'complex', repeat: 2, values: new Float64Array(columns[17].values as number[]) });
    expect(get('arr')).toEqual({ kind: 'numeric', repeat: 6, values: columns[18].values });
    const arrInfo = table.columns[table.columnIndex('arr')];
    expect(arrInfo.tdim).toEqual([3, 2]);
    expect(arrInfo.unit).toBe('adu');
    expect(get('nested')).toEqual({ kind: 'numeric', repeat: 3, values: new Int32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]) });
    expect(get('scaled')).toEqual({ kind: 'numeric', repeat: 1, values: new Float64Array([100, 100.5, NaN, -16283.5]) });
    expect(get('scaledk')).toEqual({ kind: 'numeric', repeat: 1, values: new Float64Array([1, 3, NaN, 2 ** 50 + 1]) });
    expect(get('scalede')).toEqual({ kind: 'numeric', repeat: 1, values: new Float64Array([1, 3, 0, -1]) });
    expect(get('scaledc')).toEqual({ kind: 'complex', repeat: 1, values: new Float64Array([1, 3, 5, 7, 1, 1, 3, 3]) });
    // Unscaled integers keep their type; TNULL cells keep the stored value.
    expect(get('ib')).toEqual({ kind: 'numeric', repeat: 1, values: new Uint8Array([0, 1, 254, 255]) });
    expect(table.columns[table.columnIndex('ib')].tnull).toBe(255);
    // Headers written as the standard asks.
    const h = table.header;
    expect(h.getString('TFORM' + (table.columnIndex('ui') + 1))).toBe('1I');
    expect(h.getNumber('TZERO' + (table.columnIndex('ui') + 1))).toBe(32768);
    expect(h.get('TZERO' + (table.columnIndex('uk') + 1))).toBe(2n ** 63n);
    expect(h.getNumber('TZERO' + (table.columnIndex('sb') + 1))).toBe(-128);
    expect(h.getString('TDIM' + (table.columnIndex('arr') + 1))).toBe('(3,2)');
  });

  it('stores big-endian bytes where the standard puts them', () => {
    const { header, data } = buildBinTable([
      { name: 'i', values: new Int16Array([0x0102]) },
      { name: 'ui', values: new Uint16Array([0x0102]) },
      { name: 'l', values: [true] },
      { name: 'x', format: '3X', values: [1, 0, 1] },
      { name: 'a', format: '4A', values: ['ab'] },
      { name: 'e', values: new Float32Array([1]) },
    ]);
    expect(header.getInt('NAXIS1')).toBe(2 + 2 + 1 + 1 + 4 + 4);
    // 0x0102 - 32768 = 0x8102 as the stored two's complement value.
    expect(Array.from(data)).toEqual([1, 2, 0x81, 2, 0x54, 0b10100000, 0x61, 0x62, 0x20, 0x20, 0x3f, 0x80, 0, 0]);
  });

  it('variable-length arrays of every element type, P and Q', () => {
    const columns: ColumnInput[] = [
      { name: 'pl', format: 'PL', values: [[true, false], [], [true]] as unknown as boolean[][] as never },
      { name: 'plnull', format: 'PL', values: [new Int8Array([1, -1, 0]), null, new Int8Array([-1])] as never },
      { name: 'px', format: 'PX', values: [[1, 0, 1, 1, 0, 0, 0, 0, 1], [], [1]] },
      { name: 'pb', values: [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array([255])] },
      { name: 'psb', values: [new Int8Array([-128, 127]), new Int8Array([0]), new Int8Array(0)] },
      { name: 'pi', values: [new Int16Array([-1, 2]), new Int16Array(0), new Int16Array([300])] },
      { name: 'pui', values: [new Uint16Array([65535]), new Uint16Array([0, 1]), new Uint16Array(0)] },
      { name: 'pj', values: [new Int32Array([7]), new Int32Array([1, 2, 3]), new Int32Array(0)] },
      { name: 'puj', values: [new Uint32Array([4e9]), new Uint32Array(0), new Uint32Array([1])] },
      { name: 'pk', values: [new BigInt64Array([-(2n ** 63n)]), new BigInt64Array([1n, 2n]), new BigInt64Array(0)] },
      { name: 'puk', values: [new BigUint64Array([2n ** 64n - 1n]), new BigUint64Array(0), new BigUint64Array([0n])] },
      { name: 'pe', values: [new Float32Array([1.5]), new Float32Array(0), new Float32Array([NaN, -2])] },
      { name: 'pd', values: [[Math.E, 1], [], [-Infinity]] },
      { name: 'pc', format: 'PC', values: [new Float32Array([1, 2]), new Float32Array(0), new Float32Array([3, 4, 5, 6])] },
      { name: 'pm', format: 'QM', values: [new Float64Array([1, 2, 3, 4]), new Float64Array([5, 6]), new Float64Array(0)] },
      { name: 'pa', format: 'PA', values: ['hello', '', 'x y'] },
      { name: 'qa', format: 'QA', values: ['', 'quux', 'a'] },
      { name: 'pscaled', format: 'PJ', tscal: 0.5, tzero: -3, tnull: 99, values: [[-3, -2.5], [NaN], []] },
    ];
    const { table } = roundTrip(columns);
    const cell = (n: string, r: number): ColumnValues => (table.column(n) as { values: ColumnValues[] }).values[r];
    expect(table.column('pl')).toEqual({
      kind: 'varlen',
      values: [
        { kind: 'logical', repeat: 2, values: new Int8Array([1, 0]) },
        { kind: 'logical', repeat: 0, values: new Int8Array([]) },
        { kind: 'logical', repeat: 1, values: new Int8Array([1]) },
      ],
    });
    expect(cell('plnull', 0)).toEqual({ kind: 'logical', repeat: 3, values: new Int8Array([1, -1, 0]) });
    expect(cell('px', 0)).toEqual({ kind: 'bits', repeat: 9, values: new Uint8Array([1, 0, 1, 1, 0, 0, 0, 0, 1]) });
    expect(table.descriptor(0, table.columnIndex('px')).count).toBe(9);
    expect(table.varBytes(0, table.columnIndex('px')).length).toBe(2);
    expect(cell('pb', 0)).toEqual({ kind: 'numeric', repeat: 3, values: new Uint8Array([1, 2, 3]) });
    expect(cell('psb', 0)).toEqual({ kind: 'numeric', repeat: 2, values: new Int8Array([-128, 127]) });
    expect(cell('pi', 2)).toEqual({ kind: 'numeric', repeat: 1, values: new Int16Array([300]) });
    expect(cell('pui', 0)).toEqual({ kind: 'numeric', repeat: 1, values: new Uint16Array([65535]) });
    expect(cell('pj', 1)).toEqual({ kind: 'numeric', repeat: 3, values: new Int32Array([1, 2, 3]) });
    expect(cell('puj', 0)).toEqual({ kind: 'numeric', repeat: 1, values: new Uint32Array([4e9]) });
    expect(cell('pk', 0)).toEqual({ kind: 'numeric', repeat: 1, values: new BigInt64Array([-(2n ** 63n)]) });
    expect(cell('puk', 0)).toEqual({ kind: 'numeric', repeat: 1, values: new BigUint64Array([2n ** 64n - 1n]) });
    expect(cell('pe', 2)).toEqual({ kind: 'numeric', repeat: 2, values: new Float32Array([NaN, -2]) });
    expect(cell('pd', 0)).toEqual({ kind: 'numeric', repeat: 2, values: new Float64Array([Math.E, 1]) });
    expect(cell('pc', 2)).toEqual({ kind: 'complex', repeat: 2, values: new Float32Array([3, 4, 5, 6]) });
    expect(cell('pm', 0)).toEqual({ kind: 'complex', repeat: 2, values: new Float64Array([1, 2, 3, 4]) });
    expect(table.column('pa')).toEqual({
      kind: 'varlen',
      values: [
        { kind: 'string', values: ['hello'] },
        { kind: 'string', values: [''] },
        { kind: 'string', values: ['x y'] },
      ],
    });
    expect(cell('qa', 1)).toEqual({ kind: 'string', values: ['quux'] });
    expect(cell('pscaled', 0)).toEqual({ kind: 'numeric', repeat: 2, values: new Float64Array([-3, -2.5]) });
    expect(cell('pscaled', 1)).toEqual({ kind: 'numeric', repeat: 1, values: new Float64Array([NaN]) });
    // Formats: P by default, Q where asked, emax = longest array.
    const tform = (n: string): string => table.columns[table.columnIndex(n)].tform;
    expect(tform('pb')).toBe('1PB(3)');
    expect(tform('pm')).toBe('1QM(2)');
    expect(tform('pui')).toBe('1PI(2)');
    expect(tform('px')).toBe('1PX(9)');
    expect(table.header.getInt('PCOUNT')).toBeGreaterThan(0);
  });

  it('largeHeap gives Q descriptors; heap cells come back byte for byte', () => {
    const tiles = Array.from({ length: 50 }, (_, r) => Uint8Array.from({ length: (r * 37) % 500 }, (_, i) => (r + i * 13) & 0xff));
    const zscale = Float64Array.from({ length: 50 }, (_, r) => 1 + r / 7);
    const { table } = roundTrip(
      [
        { name: 'COMPRESSED_DATA', values: tiles },
        { name: 'ZSCALE', values: zscale },
      ],
      { largeHeap: true, extname: 'COMPRESSED_IMAGE' },
    );
    expect(table.columns[0].tform).toBe(`1QB(${Math.max(...tiles.map((t) => t.length))})`);
    expect(table.columns[0].byteWidth).toBe(16);
    for (let r = 0; r < 50; r++) expect(table.varBytes(r, 0)).toEqual(tiles[r]);
    expect(table.column('zscale')).toEqual({ kind: 'numeric', repeat: 1, values: zscale });
  });

  it('appends extra header cards after the structural ones, skipping the ones it owns', () => {
    const extra = Header.fromCards([
      { keyword: 'ZIMAGE', value: true },
      { keyword: 'NAXIS1', value: 999 },
      { keyword: 'TFORM1', value: '9Z' },
      { keyword: 'TDISP1', value: 'F8.3' },
      { keyword: 'HISTORY', comment: 'made in a test' },
    ]);
    const { header } = buildBinTable([{ name: 'a', values: new Float32Array([1, 2]) }], { header: extra, extname: 'T' });
    const keys = header.cards.map((c) => c.keyword);
    expect(keys.slice(0, 8)).toEqual(['XTENSION', 'BITPIX', 'NAXIS', 'NAXIS1', 'NAXIS2', 'PCOUNT', 'GCOUNT', 'TFIELDS']);
    expect(header.getInt('NAXIS1')).toBe(4);
    expect(header.getString('TFORM1')).toBe('1E');
    expect(header.getString('TDISP1')).toBe('F8.3');
    expect(header.get('ZIMAGE')).toBe(true);
    expect(keys.filter((k) => k === 'NAXIS1')).toHaveLength(1);
    expect(keys.indexOf('ZIMAGE')).toBeGreaterThan(keys.indexOf('EXTNAME'));
  });

  it('handles empty tables and zero-width columns', () => {
    const { table } = roundTrip([
      { name: 'a', values: new Float64Array(0) },
      { name: 'v', format: 'PB', values: [] },
    ]);
    expect(table.rows).toBe(0);
    expect(table.column('a')).toEqual({ kind: 'numeric', repeat: 1, values: new Float64Array(0) });
    expect(table.column('v')).toEqual({ kind: 'varlen', values: [] });
    const z = roundTrip([{ name: 'z', format: '0J', values: new Int32Array(0) }, { name: 'b', values: new Uint8Array([1, 2]) }], { rows: 2 }).table;
    expect(z.column('z')).toEqual({ kind: 'numeric', repeat: 0, values: new Int32Array(0) });
    expect(z.column('b')).toEqual({ kind: 'numeric', repeat: 1, values: new Uint8Array([1, 2]) });
  });

  it('infers repeat from rows', () => {
    const { table } = roundTrip([{ name: 'v', values: new Float32Array([1, 2, 3, 4, 5, 6]) }], { rows: 2 });
    expect(table.columns[0].tform).toBe('3E');
    expect(table.rows).toBe(2);
  });
});

describe('bad input', () => {
  const good = (): { header: Header; data: Uint8Array } =>
    buildBinTable([
      { name: 'a', values: new Int16Array([1, 2, 3]) },
      { name: 'v', values: [new Float64Array([1, 2]), new Float64Array(0), new Float64Array([3])] },
    ]);

  it('rejects a bad TFORM', () => {
    const { header, data } = good();
    header.set('TFORM1', '1Z');
    expectFitsError(() => readBinTable(header, data, { hdu: 1 }), 'BAD_VALUE', { hdu: 1, column: 1 });
  });

  it('rejects NAXIS1 that is not the sum of the column widths', () => {
    const { header, data } = good();
    header.set('TFORM1', '2I');
    expectFitsError(() => readBinTable(header, data, { hdu: 1 }), 'SIZE_MISMATCH', { keyword: 'NAXIS1' });
  });

  it('rejects absurd NAXIS2 before allocating anything', () => {
    const { header, data } = good();
    header.set('NAXIS2', 2 ** 45);
    expectFitsError(() => readBinTable(header, data), 'SIZE_MISMATCH');
    header.set('NAXIS2', 10n ** 30n);
    expectFitsError(() => readBinTable(header, data), 'SIZE_MISMATCH');
    const empty = buildBinTable([], { rows: 0 });
    empty.header.set('NAXIS2', 2 ** 50);
    expectFitsError(() => readBinTable(empty.header, empty.data), 'TOO_LARGE');
  });

  it('rejects missing or wrong structural keywords', () => {
    const cases: Array<[(h: Header) => void, string]> = [
      [(h) => h.delete('TFORM2'), 'MISSING_CARD'],
      [(h) => h.delete('TFIELDS'), 'MISSING_CARD'],
      [(h) => h.set('XTENSION', 'TABLE'), 'BAD_VALUE'],
      [(h) => h.set('BITPIX', 16), 'BAD_VALUE'],
      [(h) => h.set('NAXIS', 3), 'BAD_VALUE'],
      [(h) => h.set('GCOUNT', 2), 'BAD_VALUE'],
      [(h) => h.set('TFIELDS', 1000), 'BAD_VALUE'],
      [(h) => h.set('PCOUNT', 10_000), 'SIZE_MISMATCH'],
      [(h) => h.set('PCOUNT', -1), 'BAD_VALUE'],
      [(h) => h.set('THEAP', 1), 'SIZE_MISMATCH'],
      [(h) => h.set('THEAP', 10_000), 'SIZE_MISMATCH'],
      [(h) => h.set('TDIM1', '(2,2)'), 'BAD_VALUE'],
      [(h) => h.set('TDIM1', '2x2'), 'BAD_VALUE'],
      [(h) => h.set('TNULL1', 1.5), 'BAD_VALUE'],
      [(h) => h.set('TFORM1', 3), 'BAD_VALUE'],
      [(h) => h.set('NAXIS1', 'wide'), 'BAD_VALUE'],
    ];
    for (const [mutate, code] of cases) {
      const { header, data } = good();
      mutate(header);
      expectFitsError(() => readBinTable(header, data, { hdu: 3 }), code, { hdu: 3 });
    }
  });

  it('rejects a data unit shorter than the header says', () => {
    const { header, data } = good();
    expectFitsError(() => readBinTable(header, data.subarray(0, data.length - 1)), 'SIZE_MISMATCH');
  });

  it('rejects descriptors pointing outside the heap, on the cell that is read', () => {
    const { header, data } = good();
    const bad = data.slice();
    // Row 2, column 2 (descriptor after the 2-byte I field): count 1 at offset 1000.
    const view = new DataView(bad.buffer);
    const rowBytes = header.requireInt('NAXIS1');
    view.setInt32(2 * rowBytes + 2 + 4, 1000);
    const t = readBinTable(header, bad, { hdu: 1 });
    expect(t.column('a')).toEqual({ kind: 'numeric', repeat: 1, values: new Int16Array([1, 2, 3]) });
    expect(Array.from(t.varBytes(0, 1))).toEqual([0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0]);
    expectFitsError(() => t.varBytes(2, 1), 'SIZE_MISMATCH', { hdu: 1, column: 2, row: 2 });
    expectFitsError(() => t.column('v'), 'SIZE_MISMATCH', { hdu: 1, column: 2, row: 2 });
    // An absurd count: refused, not allocated.
    view.setInt32(2 * rowBytes + 2 + 4, 0);
    view.setUint32(2 * rowBytes + 2, 0xffffffff);
    expectFitsError(() => t.column('v'), 'SIZE_MISMATCH', { row: 2 });
  });

  it('rejects huge Q descriptors', () => {
    const { header, data } = buildBinTable([{ name: 'q', values: [new Uint8Array([1, 2])] }], { largeHeap: true });
    const bad = data.slice();
    new DataView(bad.buffer).setBigUint64(0, 2n ** 60n);
    expectFitsError(() => readBinTable(header, bad).varBytes(0, 0), 'SIZE_MISMATCH', { column: 1, row: 0 });
    new DataView(bad.buffer).setBigUint64(0, 1n);
    new DataView(bad.buffer).setBigUint64(8, 2n ** 63n);
    expectFitsError(() => readBinTable(header, bad).column(0), 'SIZE_MISMATCH');
  });

  it('rejects bad look-ups', () => {
    const { header, data } = good();
    const t = readBinTable(header, data);
    expectFitsError(() => t.column('nope'), 'BAD_ARGUMENT');
    expectFitsError(() => t.column(2), 'BAD_ARGUMENT');
    expectFitsError(() => t.descriptor(0, 0), 'BAD_ARGUMENT');
    expectFitsError(() => t.varBytes(3, 1), 'BAD_ARGUMENT');
    expect(t.column('A')).toEqual(t.column(0));
  });

  it('refuses to build what it cannot write faithfully', () => {
    const cases: Array<[ColumnInput[], Parameters<typeof buildBinTable>[1]]> = [
      [[{ name: 's', format: '3A', values: ['toolong'] }], {}],
      [[{ name: 's', values: ['caf\u00e9'] }], {}],
      [[{ name: 'i', format: 'I', values: [40000] }], {}],
      [[{ name: 'i', format: 'J', values: [1.5] }], {}],
      [[{ name: 'i', format: 'J', values: [NaN] }], {}],
      [[{ name: 'k', format: 'K', values: [2 ** 64] }], {}],
      [[{ name: 'b', format: 'B', values: [-1] }], {}],
      [[{ name: 'e', format: 'E', tnull: 5, values: [1] }], {}],
      [[{ name: 'l', format: 'L', tscal: 2, values: [true] }], {}],
      [[{ name: 'c', format: 'C', values: [1, 2, 3] }], {}],
      [[{ name: 'x', format: '2E', values: [1, 2, 3] }], {}],
      [[{ name: 'a', values: [1, 2] }, { name: 'b', values: [1, 2, 3] }], {}],
      [[{ name: 'a', values: [1, 2] }], { rows: 3 }],
      [[{ name: 'v', format: 'PJ', values: [[1], 'x'] as never }], {}],
      [[{ name: 'v', format: 'PB', values: [[256]] }], {}],
      [[{ name: 'd', format: '4E', dim: [3, 2], values: [1, 2, 3, 4] }], {}],
      [[{ name: 'f', format: '1Z', values: [1] }], {}],
    ];
    for (const [cols, opts] of cases) {
      try {
        buildBinTable(cols, opts);
        throw new Error(`no error for ${JSON.stringify(cols, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      } catch (e) {
        expect(e, JSON.stringify(cols[0].format)).toBeInstanceOf(FitsError);
        expect(['BAD_ARGUMENT', 'BAD_VALUE']).toContain((e as FitsError).code);
      }
    }
  });
});
