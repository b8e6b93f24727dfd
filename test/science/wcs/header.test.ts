/**
 * Reading and writing the WCS cards: defaults (Paper I/II), precedence of the linear
 * conventions, errors with codes and keywords, and exact round trips through a header.
 */
import { describe, expect, it } from 'vitest';
import { FitsError } from '../../../src/science/fits/errors.js';
import { Header } from '../../../src/science/fits/header.js';
import {
  createWcs,
  pixToSky,
  WcsError,
  wcsFromHeader,
  wcsToHeader,
  type Wcs,
} from '../../../src/science/wcs/index.js';
import { CASES, loadGolden, loadHeader, sepArcsec } from './helpers.js';

type Value = string | number | boolean;

function header(cards: Array<[string, Value]>): Header {
  return Header.fromCards(cards.map(([keyword, value]) => ({ keyword, value })));
}

const TAN: Array<[string, Value]> = [
  ['NAXIS', 2],
  ['NAXIS1', 100],
  ['NAXIS2', 100],
  ['CTYPE1', 'RA---TAN'],
  ['CTYPE2', 'DEC--TAN'],
  ['CRPIX1', 50.5],
  ['CRPIX2', 50.5],
  ['CRVAL1', 10],
  ['CRVAL2', 20],
  ['CD1_1', -1e-4],
  ['CD1_2', 0],
  ['CD2_1', 0],
  ['CD2_2', 1e-4],
];

function withCards(extra: Array<[string, Value]>, drop: string[] = []): Header {
  return header([...TAN.filter(([k]) => !drop.includes(k)), ...extra]);
}

function expectWcsError(fn: () => unknown, code: string, keyword?: string): WcsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WcsError);
    expect(err).toBeInstanceOf(FitsError);
    const e = err as WcsError;
    expect(e.code).toBe(code);
    if (keyword !== undefined) expect(e.location.keyword).toBe(keyword);
    return e;
  }
  throw new Error('expected a WcsError');
}

describe('no celestial WCS', () => {
  it('is undefined without CTYPE, with linear axes, or with only a DSS plate solution', () => {
    expect(wcsFromHeader(header([['NAXIS', 2]]))).toBeUndefined();
    expect(wcsFromHeader(header([['CTYPE1', 'LINEAR'], ['CTYPE2', 'LINEAR']]))).toBeUndefined();
    expect(wcsFromHeader(header([['CTYPE1', 'RA'], ['CTYPE2', 'DEC']]))).toBeUndefined();
    expect(wcsFromHeader(header([['PLTRAH', 5], ['AMDX1', 67.1], ['CNPIX1', 12237]]))).toBeUndefined();
  });
});

describe('defaults', () => {
  it('LONPOLE is 180° unless CRVAL2 = +90°, LATPOLE 90° (Paper II §2.4)', () => {
    const w = wcsFromHeader(withCards([]))!;
    expect(w.lonpole).toBe(180);
    expect(w.latpole).toBe(90);
    const pole = wcsFromHeader(withCards([['CRVAL2', 90]], ['CRVAL2']))!;
    expect(pole.lonpole).toBe(0);
    const south = wcsFromHeader(withCards([['CRVAL2', -90]], ['CRVAL2']))!;
    expect(south.lonpole).toBe(180);
    const given = wcsFromHeader(withCards([['LONPOLE', 170], ['LATPOLE', 12]]))!;
    expect(given.lonpole).toBe(170);
    expect(given.latpole).toBe(12);
    // On a TAN longitude axis PV1_3 / PV1_4 are LONPOLE / LATPOLE.
    const pv = wcsFromHeader(withCards([['PV1_3', 160], ['PV1_4', 30]]))!;
    expect(pv.lonpole).toBe(160);
    expect(pv.latpole).toBe(30);
  });

  it('RADESYS and EQUINOX follow Paper II §3.1', () => {
    const frame = (extra: Array<[string, Value]>): [string, number | undefined] => {
      const w = wcsFromHeader(withCards(extra))!;
      return [w.radesys, w.equinox];
    };
    expect(frame([])).toEqual(['ICRS', undefined]);
    expect(frame([['EQUINOX', 2000]])).toEqual(['FK5', 2000]);
    expect(frame([['EQUINOX', 1950]])).toEqual(['FK4', 1950]);
    expect(frame([['RADESYS', 'FK5']])).toEqual(['FK5', 2000]);
    expect(frame([['RADESYS', 'FK4']])).toEqual(['FK4', 1950]);
    expect(frame([['RADESYS', 'FK4-NO-E'], ['EQUINOX', 1975]])).toEqual(['FK4-NO-E', 1975]);
    expect(frame([['RADESYS', 'ICRS'], ['EQUINOX', 2000]])).toEqual(['ICRS', undefined]);
    expect(frame([['RADECSYS', 'FK5'], ['EPOCH', 2000]])).toEqual(['FK5', 2000]);
    expect(frame([['RADESYS', 'fk5     ']])).toEqual(['FK5', 2000]);
  });

  it('CRPIX defaults to 0 (FITS), CDELT to 1, PC to the unit matrix', () => {
    const w = wcsFromHeader(
      header([
        ['CTYPE1', 'RA---TAN'],
        ['CTYPE2', 'DEC--TAN'],
        ['CDELT1', -2e-4],
        ['CDELT2', 3e-4],
        ['PC1_2', 0.1],
      ]),
    )!;
    expect(w.crpix).toEqual([-1, -1]);
    expect(w.crval).toEqual([0, 0]);
    expect(w.cd).toEqual([-2e-4, -2e-4 * 0.1, 0, 3e-4]);
  });

  it('CD takes precedence over PC + CDELT and CROTA; missing CD elements are zero', () => {
    const w = wcsFromHeader(withCards([['PC1_1', 2], ['CDELT1', 5], ['CROTA2', 30]], ['CD1_2', 'CD2_1']))!;
    expect(w.cd).toEqual([-1e-4, 0, 0, 1e-4]);
    // PC wins over CROTA.
    const pc = wcsFromHeader(
      withCards([['PC1_1', 1], ['PC2_2', 1], ['CDELT1', -1e-4], ['CDELT2', 1e-4], ['CROTA2', 30]], ['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2']),
    )!;
    expect(pc.cd.map((v) => v + 0)).toEqual([-1e-4, 0, 0, 1e-4]); // + 0 turns −0 into 0
  });

  it('honours CD when a header carries conflicting CD and PC (astropy honours PC)', () => {
    const conflict = wcsFromHeader(loadHeader('cd_and_pc'))!;
    const g = loadGolden('cd_and_pc_ref'); // astropy with the PC cards removed
    for (let i = 0; i < g.pix.length; i++) {
      const [ra, dec] = pixToSky(conflict, g.pix[i][0], g.pix[i][1]);
      expect(sepArcsec(ra, dec, g.sky[i][0], g.sky[i][1])).toBeLessThan(1e-6);
    }
  });

  it('ignores SIP coefficients when CTYPE has no -SIP (as astropy does)', () => {
    const w = wcsFromHeader(withCards([['A_ORDER', 2], ['B_ORDER', 2], ['A_2_0', 1e-3]]))!;
    expect(w.sip).toBeUndefined();
    const sip = wcsFromHeader(
      withCards([['CTYPE1', 'RA---TAN-SIP'], ['CTYPE2', 'DEC--TAN-SIP'], ['A_ORDER', 2], ['B_ORDER', 2], ['A_2_0', 1e-3]], ['CTYPE1', 'CTYPE2']),
    )!;
    expect(sip.sip?.a.terms).toEqual([{ p: 2, q: 0, value: 1e-3 }]);
    expect(sip.sip?.b.terms).toEqual([]);
    expect(sip.sip?.ap).toBeUndefined();
    // -SIP without any SIP keywords is plain TAN.
    const bare = wcsFromHeader(withCards([['CTYPE1', 'RA---TAN-SIP'], ['CTYPE2', 'DEC--TAN-SIP']], ['CTYPE1', 'CTYPE2']))!;
    expect(bare.sip).toBeUndefined();
  });

  it('reads an alternate description by its letter and ignores it otherwise', () => {
    const h = loadHeader('altkey');
    expect(wcsFromHeader(h)).toBeUndefined(); // primary is LINEAR
    expect(wcsFromHeader(h, { key: 'A' })?.crval).toEqual([310.2, 45.1]);
    expectWcsError(() => wcsFromHeader(h, { key: 'AB' }), 'BAD_ARGUMENT');
  });
});

describe('errors', () => {
  it('unsupported projection', () => {
    const e = expectWcsError(() => wcsFromHeader(withCards([['CTYPE1', 'RA---SIN'], ['CTYPE2', 'DEC--SIN']], ['CTYPE1', 'CTYPE2']), { hdu: 3 }), 'UNSUPPORTED', 'CTYPE1');
    expect(e.location.hdu).toBe(3);
    expect(e.location.card).toBe(12); // appended after the 11 TAN cards kept
    expect(e.message).toMatch(/HDU 3 card 12 'CTYPE1'.*'SIN'/);
    expectWcsError(() => wcsFromHeader(withCards([['CTYPE1', 'RA---TAN-TAB'], ['CTYPE2', 'DEC--TAN-TAB']], ['CTYPE1', 'CTYPE2'])), 'UNSUPPORTED', 'CTYPE1');
    expectWcsError(() => wcsFromHeader(withCards([['CTYPE1', 'RA---TPV-SIP'], ['CTYPE2', 'DEC--TPV-SIP']], ['CTYPE1', 'CTYPE2'])), 'UNSUPPORTED', 'CTYPE1');
  });
  it('half a celestial pair, or mismatched axes', () => {
    expectWcsError(() => wcsFromHeader(withCards([], ['CTYPE2'])), 'MISSING_CARD', 'CTYPE2');
    expectWcsError(() => wcsFromHeader(withCards([['CTYPE2', 'GLAT-TAN']], ['CTYPE2'])), 'BAD_VALUE', 'CTYPE2');
    expectWcsError(() => wcsFromHeader(withCards([['CTYPE2', 'DEC--TAN-SIP']], ['CTYPE2'])), 'BAD_VALUE', 'CTYPE2');
    expectWcsError(
      () => wcsFromHeader(withCards([['NAXIS', 3], ['CTYPE2', 'FREQ'], ['CTYPE3', 'DEC--TAN']], ['NAXIS', 'CTYPE2'])),
      'UNSUPPORTED',
      'CTYPE1',
    );
  });
  it('bad values name their card', () => {
    expectWcsError(() => wcsFromHeader(withCards([['CRVAL1', '10.0']], ['CRVAL1'])), 'BAD_VALUE', 'CRVAL1');
    expectWcsError(() => wcsFromHeader(withCards([['CRVAL2', 95]], ['CRVAL2'])), 'BAD_VALUE', 'CRVAL2');
    expectWcsError(() => wcsFromHeader(withCards([['CD2_2', 0]], ['CD2_2'])), 'BAD_VALUE', 'CD1_1');
    expectWcsError(() => wcsFromHeader(withCards([['CUNIT1', 'arcsec']])), 'UNSUPPORTED', 'CUNIT1');
    expectWcsError(() => wcsFromHeader(withCards([['RADESYS', 'GALACTIC']])), 'UNSUPPORTED', 'RADESYS');
    expectWcsError(() => wcsFromHeader(withCards([['LATPOLE', 100]])), 'BAD_VALUE', 'LATPOLE');
  });
  it('TAN with a non-default fiducial point (SCAMP-style PV on a TAN header)', () => {
    expectWcsError(() => wcsFromHeader(withCards([['PV1_1', 1], ['PV2_1', 1]])), 'UNSUPPORTED', 'PV1_1');
    expect(wcsFromHeader(withCards([['PV1_1', 0], ['PV1_2', 90]]))).toBeDefined();
  });
  it('incomplete or oversized SIP', () => {
    const sipCtype: Array<[string, Value]> = [['CTYPE1', 'RA---TAN-SIP'], ['CTYPE2', 'DEC--TAN-SIP']];
    const sip = (extra: Array<[string, Value]>): Header => withCards([...sipCtype, ...extra], ['CTYPE1', 'CTYPE2']);
    expectWcsError(() => wcsFromHeader(sip([['A_ORDER', 2]])), 'MISSING_CARD', 'B_ORDER');
    expectWcsError(() => wcsFromHeader(sip([['B_ORDER', 2]])), 'MISSING_CARD', 'A_ORDER');
    expectWcsError(() => wcsFromHeader(sip([['A_ORDER', 2], ['B_ORDER', 2], ['AP_ORDER', 2]])), 'MISSING_CARD', 'BP_ORDER');
    expectWcsError(() => wcsFromHeader(sip([['A_ORDER', 200], ['B_ORDER', 2]])), 'BAD_VALUE', 'A_ORDER');
    expectWcsError(() => wcsFromHeader(sip([['A_ORDER', 2.5], ['B_ORDER', 2]])), 'BAD_VALUE', 'A_ORDER');
    expectWcsError(() => wcsFromHeader(sip([['A_ORDER', 2], ['B_ORDER', 2], ['A_1_1', 'x']])), 'BAD_VALUE', 'A_1_1');
  });
  it('TPV coefficients beyond PV1_39', () => {
    const tpv = withCards([['CTYPE1', 'RA---TPV'], ['CTYPE2', 'DEC--TPV'], ['PV1_1', 1], ['PV2_1', 1], ['PV1_40', 1e-3]], ['CTYPE1', 'CTYPE2']);
    expectWcsError(() => wcsFromHeader(tpv), 'UNSUPPORTED', 'PV1_40');
  });
  it('createWcs derives CTYPE from the axis names and the distortion', () => {
    const base = { crpix: [0, 0] as [number, number], crval: [0, 0] as [number, number], cd: [1, 0, 0, 1] as [number, number, number, number] };
    expect(createWcs(base).ctype).toEqual(['RA---TAN', 'DEC--TAN']);
    expect(createWcs({ ...base, sip: { a: { order: 2, terms: [] }, b: { order: 2, terms: [] } } }).ctype).toEqual(['RA---TAN-SIP', 'DEC--TAN-SIP']);
    const pv = new Array<number>(40).fill(0);
    pv[1] = 1;
    const g = createWcs({ ...base, ctype: ['GLON-TAN', 'GLAT-TAN'], tpv: { pv1: pv, pv2: pv }, radesys: 'FK5' });
    expect(g.ctype).toEqual(['GLON-TPV', 'GLAT-TPV']);
    expect(g.radesys).toBe(''); // not an equatorial frame
  });

  it('createWcs rejects impossible parameters', () => {
    const ok = { crpix: [0, 0] as [number, number], crval: [0, 0] as [number, number], cd: [1, 0, 0, 1] as [number, number, number, number] };
    expect(() => createWcs({ ...ok, cd: [1, 2, 2, 4] })).toThrow(WcsError);
    expect(() => createWcs({ ...ok, crval: [0, 91] })).toThrow(/latitude/);
    expect(() => createWcs({ ...ok, crpix: [NaN, 0] })).toThrow(/finite/);
    expect(() => createWcs({ ...ok, ctype: ['RA', 'GLAT'] })).toThrow(/pair/);
    expect(() => createWcs({ ...ok, sip: { a: { order: 2, terms: [{ p: 3, q: 0, value: 1 }] }, b: { order: 2, terms: [] } } })).toThrow(/order/);
  });
});

describe('writing', () => {
  function numbers(w: Wcs): number[] {
    const out = [...w.crpix, ...w.crval, ...w.cd, w.lonpole, w.latpole, w.equinox ?? -1];
    if (w.sip) for (const p of [w.sip.a, w.sip.b, w.sip.ap, w.sip.bp]) if (p) for (const t of p.terms) out.push(t.p, t.q, t.value);
    if (w.tpv) out.push(...w.tpv.pv1, ...w.tpv.pv2);
    return out;
  }

  it.each(CASES)('%s round-trips through header cards and bytes', (name) => {
    const g = loadGolden(name);
    const w = wcsFromHeader(loadHeader(name), { key: g.key || undefined })!;
    const h = new Header();
    wcsToHeader(w, h);
    const parsed = Header.parse(h.toBytes()).header;
    const back = wcsFromHeader(parsed)!;
    expect(back.ctype).toEqual(w.ctype);
    expect(back.radesys).toBe(w.radesys);
    const a = numbers(w);
    const b = numbers(back);
    expect(b.length).toBe(a.length);
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i] - a[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(a[i])));
  });

  it('replaces stale WCS cards and keeps the rest', () => {
    const h = loadHeader('feder_sip'); // CD and PC + CDELT, SIP with AP/BP
    const before = h.cards.length;
    const w = createWcs({ crpix: [10, 20], crval: [1, 2], cd: [-1e-4, 0, 0, 1e-4], radesys: 'ICRS' });
    wcsToHeader(w, h);
    for (const k of ['PC1_1', 'PC2_2', 'CDELT1', 'CDELT2', 'A_ORDER', 'A_0_2', 'BP_2_0', 'AP_ORDER', 'EQUINOX']) expect(h.has(k)).toBe(false);
    expect(h.get('CTYPE1')).toBe('RA---TAN');
    expect(h.get('CRPIX1')).toBe(11);
    expect(h.get('RADESYS')).toBe('ICRS');
    expect(h.get('OBSERVER')).toBe('Matt Craig');
    expect(h.findAll('HISTORY').length).toBeGreaterThan(10);
    expect(h.cards.length).toBeLessThan(before);
    expect(wcsFromHeader(h)).toEqual(w);
  });

  it('writes a latitude-first header longitude-first, describing the same mapping', () => {
    const w = wcsFromHeader(loadHeader('swapped'))!;
    const h = new Header();
    wcsToHeader(w, h);
    expect(h.get('CTYPE1')).toBe('RA---TAN');
    const back = wcsFromHeader(h)!;
    for (const [x, y] of [[0, 0], [1199, 899], [300, 700]]) {
      const [r1, d1] = pixToSky(w, x, y);
      const [r2, d2] = pixToSky(back, x, y);
      expect(sepArcsec(r1, d1, r2, d2)).toBeLessThan(1e-9);
    }
  });

  it('the model is frozen', () => {
    const w = wcsFromHeader(loadHeader('sip_apbp'))!;
    expect(Object.isFrozen(w)).toBe(true);
    expect(Object.isFrozen(w.cd)).toBe(true);
    expect(Object.isFrozen(w.sip!.a.terms)).toBe(true);
  });
});
