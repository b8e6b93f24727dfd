/**
 * Instrument registry: colour terms accumulated over nights (weighted mean, Birge-ratio
 * error, idempotent by id, JSON round trip through an injected store), and a sparse frame
 * that borrows the registry's colour term recovers the injected zero point where fitting
 * its own colour term or ignoring it does not.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/science/inference/random.js';
import {
  calibrateFrame,
  combineMeasurements,
  InstrumentRegistry,
  instrumentKeyString,
  loadRegistry,
  memoryRegistryStore,
  PhotometryError,
  recordColourTerm,
  registryFromJson,
  saveRegistry,
  type InstrumentKey,
} from '../../../src/science/photometry/index.js';

const KEY: InstrumentKey = { site: 'Sutherland', camera: 'ASI2600MM', filter: 'V', colourIndex: 'B-V' };
const CT = -0.061;

function night(rng: Rng, n: number, zp: number, ct = CT) {
  const instMag = new Float64Array(n);
  const instMagErr = new Float64Array(n);
  const catMag = new Float64Array(n);
  const colour = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = 11 + 4 * rng.uniform();
    const c = -0.1 + 1.5 * rng.uniform();
    const e = 0.004 * Math.pow(10, 0.2 * (m - 11));
    catMag[i] = m;
    colour[i] = c;
    instMag[i] = m - zp - ct * c + e * rng.normal();
    instMagErr[i] = Math.hypot(e, 0.005);
  }
  return { instMag, instMagErr, catMag, colour };
}

describe('combineMeasurements', () => {
  it('is the inverse-variance weighted mean, with the Birge ratio when nights disagree', () => {
    const agree = combineMeasurements([
      { value: 0.1, err: 0.01 },
      { value: 0.1, err: 0.02 },
    ]);
    expect(agree.value).toBeCloseTo(0.1, 15);
    expect(agree.err).toBeCloseTo(1 / Math.sqrt(1 / 1e-4 + 1 / 4e-4), 15);
    const m = [
      { value: 0.0, err: 0.01 },
      { value: 0.1, err: 0.01 },
    ];
    const c = combineMeasurements(m);
    expect(c.value).toBeCloseTo(0.05, 15);
    // χ² = 2 × (0.05/0.01)² = 50 over 1 dof: error × √50.
    expect(c.reducedChi2).toBeCloseTo(50, 10);
    expect(c.err).toBeCloseTo((0.01 / Math.SQRT2) * Math.sqrt(50), 12);
  });
});

describe('InstrumentRegistry', () => {
  it('accumulates nights, replaces a re-run by id, and survives a JSON round trip through a store', async () => {
    const reg = new InstrumentRegistry();
    reg.add(KEY, { id: 'n1', value: 0.05, err: 0.02 });
    reg.add(KEY, { id: 'n2', value: 0.07, err: 0.02, observedAt: '2026-11-20T22:00:00Z', stars: 40 });
    reg.add(KEY, { id: 'n2', value: 0.07, err: 0.02, observedAt: '2026-11-20T22:00:00Z', stars: 40 });
    expect(reg.measurements(KEY)).toHaveLength(2);
    expect(reg.colourTerm(KEY)!.value).toBeCloseTo(0.06, 12);
    expect(reg.colourTerm({ ...KEY, filter: 'B' })).toBeUndefined();
    expect(instrumentKeyString({ site: 'a/b', camera: 'c%', filter: 'V' })).toBe('a%2Fb/c%25/V');

    const store = memoryRegistryStore();
    await saveRegistry(store, reg);
    const back = await loadRegistry(store);
    expect(back.toDocument()).toEqual(reg.toDocument());
    expect(registryFromJson(JSON.stringify(reg.toDocument())).colourTerm(KEY)).toEqual(reg.colourTerm(KEY));
    expect((await loadRegistry(memoryRegistryStore())).keys()).toEqual([]);
    expect(reg.remove(KEY, 'n1')).toBe(true);
    expect(reg.colourTerm(KEY)!.value).toBeCloseTo(0.07, 12);
  });

  it('rejects bad keys, measurements and documents with typed errors', () => {
    const code = (f: () => unknown): string => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(PhotometryError);
        return (e as PhotometryError).code;
      }
      return 'none';
    };
    const reg = new InstrumentRegistry();
    expect(code(() => reg.add({ site: '', camera: 'c', filter: 'V' }, { id: 'a', value: 0, err: 0.1 }))).toBe('BAD_ARGUMENT');
    expect(code(() => reg.add(KEY, { id: 'a', value: 0, err: 0 }))).toBe('BAD_ARGUMENT');
    expect(code(() => reg.add(KEY, { id: 'a', value: NaN, err: 0.1 }))).toBe('BAD_ARGUMENT');
    expect(code(() => registryFromJson('{'))).toBe('BAD_DOCUMENT');
    expect(code(() => registryFromJson('{"format":"x","version":1,"instruments":[]}'))).toBe('BAD_DOCUMENT');
    const doc = { format: 'openastro-instrument-registry', version: 1, instruments: [{ key: KEY, measurements: [{ id: 'x', value: 0.1, err: -1 }] }] };
    expect(code(() => registryFromJson(JSON.stringify(doc)))).toBe('BAD_DOCUMENT');
    expect(() => registryFromJson(JSON.stringify(doc))).toThrow(/instruments\[0\]\.measurements\[0\]/);
  });
});

describe('calibrateFrame with the registry', () => {
  it('borrows the accumulated colour term for a sparse frame and recovers the injected zero point', () => {
    const rng = new Rng(2026);
    const reg = new InstrumentRegistry();
    // Five rich nights, each fitting its own colour term.
    for (let k = 0; k < 5; k++) {
      const fit = calibrateFrame(night(rng, 60, 20.5 + 0.1 * k), { registry: reg, instrument: KEY });
      expect(fit.colourTermSource).toBe('fit');
      expect(recordColourTerm(reg, KEY, fit, `night-${k}`)).toBe(true);
    }
    const combined = reg.colourTerm(KEY)!;
    expect(combined.count).toBe(5);
    expect(Math.abs(combined.value - CT)).toBeLessThan(0.02);
    expect(Math.abs(combined.value - CT)).toBeLessThan(4 * combined.err);

    // A sparse frame: 5 stars. Same truth, new night.
    let borrowedWorse = 0;
    let ignoredWorse = 0;
    const errs: number[] = [];
    for (let trial = 0; trial < 40; trial++) {
      const zp = 21.3;
      const sparse = night(rng, 5, zp);
      const cal = calibrateFrame(sparse, { registry: reg, instrument: KEY });
      expect(cal.colourTermSource).toBe('fixed');
      expect(cal.reason).toMatch(/registry/);
      const ignored = calibrateFrame(sparse, {});
      expect(ignored.colourTermSource).toBe('none');
      expect(recordColourTerm(reg, KEY, ignored, 'x')).toBe(false);
      errs.push(cal.zp - zp);
      if (Math.abs(cal.zp - zp) > 3 * cal.zpErr) borrowedWorse++;
      if (Math.abs(ignored.zp - zp) > 0.01) ignoredWorse++;
    }
    // With the registry term the zero point is unbiased, within 0.01 rms and within 3 of
    // its quoted σ (nearly) every time; ignoring the colour term misses by ≈ ct × mean
    // colour ≈ 0.04.
    expect(borrowedWorse).toBeLessThanOrEqual(2);
    expect(ignoredWorse).toBeGreaterThanOrEqual(30);
    const bias = errs.reduce((a, b) => a + b, 0) / errs.length;
    const rms = Math.sqrt(errs.reduce((a, b) => a + b * b, 0) / errs.length);
    expect(Math.abs(bias)).toBeLessThan(0.003);
    expect(rms).toBeLessThan(0.01);
  });
});
