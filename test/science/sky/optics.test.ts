/** Optics: pixel scale, zero point, vignetting profiles and the default WCS, against closed forms. */
import { describe, expect, it } from 'vitest';
import { isFlipped, pixelScaleArcsec, pixToSky, rotationDeg } from '../../../src/science/wcs/index.js';
import {
  maxAdu,
  opticsPixelScaleArcsec,
  resolveOptics,
  saturationAdu,
  tanWcsForOptics,
  vignettingAt,
  vignettingMap,
  V_BAND_PHOTON_RATE_MAG0,
  type Optics,
} from '../../../src/science/sky/optics.js';
import { SkyError } from '../../../src/science/sky/errors.js';

const BASE: Optics = { apertureMm: 200, focalLengthMm: 1000, pixelSizeUm: 3.76, widthPx: 300, heightPx: 200 };

describe('optics', () => {
  it('pixel scale is pitch / focal length in radians', () => {
    expect(opticsPixelScaleArcsec(BASE)).toBeCloseTo(((3.76e-3 / 1000) * 180 * 3600) / Math.PI, 12);
    expect(opticsPixelScaleArcsec({ pixelSizeUm: 9, focalLengthMm: 530 })).toBeCloseTo(3.5026, 4);
  });

  it('zero point = photon rate × collecting area × throughput (V: 3640 Jy, Δλ/λ = 0.16)', () => {
    expect(V_BAND_PHOTON_RATE_MAG0).toBeCloseTo((3640e-26 * 0.16) / 6.62607015e-34, 0);
    const o = resolveOptics({ ...BASE, obstruction: 0.35, throughput: 0.6 });
    const areaM2 = Math.PI * 0.1 * 0.1 * (1 - 0.35 * 0.35);
    expect(o.zeroPointEPerS / (V_BAND_PHOTON_RATE_MAG0 * areaM2 * 0.6)).toBeCloseTo(1, 12);
    expect(resolveOptics({ ...BASE, zeroPointEPerS: 1234 }).zeroPointEPerS).toBe(1234);
  });

  it('cos⁴ vignetting follows the field angle θ = atan(r / f)', () => {
    const o = resolveOptics({ ...BASE, focalLengthMm: 20, vignetting: { kind: 'cos4' } });
    const map = vignettingMap(o);
    for (const [x, y] of [[149.5, 99.5], [0, 0], [299, 199], [10, 150], [200, 3]]) {
      const rMm = Math.hypot(x - 149.5, y - 99.5) * 3.76e-3;
      const expected = Math.cos(Math.atan(rMm / 20)) ** 4;
      expect(vignettingAt(o, x, y)).toBeCloseTo(expected, 13);
      if (Number.isInteger(x) && Number.isInteger(y)) expect(map[y * 300 + x]).toBeCloseTo(expected, 6);
    }
    expect(map[0]).toBeLessThan(1);
    expect(Math.min(...map)).toBe(map[0]);
  });

  it('polynomial vignetting: 1 + Σ cₖ ρ^(2k), ρ = 1 at the corners; optical centre movable', () => {
    const o = resolveOptics({ ...BASE, vignetting: { kind: 'polynomial', coefficients: [-0.2, 0.05] }, opticalCentrePx: [149.5, 99.5] });
    expect(vignettingAt(o, 0, 0)).toBeCloseTo(1 - 0.2 + 0.05, 14);
    expect(vignettingAt(o, 149.5, 99.5)).toBe(1);
    const rho2 = (100 ** 2 + 50 ** 2) / (149.5 ** 2 + 99.5 ** 2);
    expect(vignettingAt(o, 49.5, 49.5)).toBeCloseTo(1 - 0.2 * rho2 + 0.05 * rho2 * rho2, 14);
    const shifted = resolveOptics({ ...BASE, vignetting: { kind: 'cos4' }, focalLengthMm: 10, opticalCentrePx: [0, 0] });
    expect(vignettingAt(shifted, 0, 0)).toBe(1);
    expect(vignettingAt(shifted, 299, 199)).toBeLessThan(vignettingAt(shifted, 100, 100));
    expect(vignettingAt(resolveOptics({ ...BASE, vignetting: { kind: 'polynomial', coefficients: [-3] } }), 0, 0)).toBe(0);
  });

  it('saturation is the full well or the ADC ceiling, whichever comes first', () => {
    expect(saturationAdu(resolveOptics({ ...BASE, fullWellE: 50000, gainEPerAdu: 1, biasAdu: 500 }))).toBe(50500);
    expect(saturationAdu(resolveOptics({ ...BASE, fullWellE: 100000, gainEPerAdu: 1, biasAdu: 500 }))).toBe(65535);
    expect(maxAdu(resolveOptics({ ...BASE, bitDepth: 12 }))).toBe(4095);
  });

  it('default WCS: chip centre on the pointing, north up, east left, optics scale, rotation as asked', () => {
    const wcs = tanWcsForOptics(BASE, 83.8, -5.4);
    const [ra, dec] = pixToSky(wcs, 149.5, 99.5);
    expect(ra).toBeCloseTo(83.8, 12);
    expect(dec).toBeCloseTo(-5.4, 12);
    expect(pixelScaleArcsec(wcs)).toBeCloseTo(opticsPixelScaleArcsec(BASE), 9);
    expect(pixToSky(wcs, 149.5, 150)[1]).toBeGreaterThan(-5.4);
    expect(pixToSky(wcs, 100, 99.5)[0]).toBeGreaterThan(83.8);
    expect(isFlipped(wcs)).toBe(false);
    for (const rot of [0, 30, -75, 180]) {
      const w = tanWcsForOptics(BASE, 10, 60, { rotationDeg: rot });
      const got = rotationDeg(w);
      expect(Math.abs(((got - rot + 540) % 360) - 180)).toBeLessThan(1e-9);
    }
    expect(isFlipped(tanWcsForOptics(BASE, 10, 60, { flip: true }))).toBe(true);
  });

  it('rejects bad optics with SkyError', () => {
    const cases: Array<[Partial<Optics>, string, string]> = [
      [{ widthPx: 10.5 }, 'optics.widthPx', 'BAD_ARGUMENT'],
      [{ widthPx: 20000, heightPx: 20000 }, 'optics.widthPx', 'TOO_LARGE'],
      [{ throughput: 1.5 }, 'optics.throughput', 'BAD_ARGUMENT'],
      [{ gainEPerAdu: 0 }, 'optics.gainEPerAdu', 'BAD_ARGUMENT'],
      [{ bitDepth: 40 }, 'optics.bitDepth', 'BAD_ARGUMENT'],
      [{ vignetting: { kind: 'fisheye' } as never }, 'optics.vignetting', 'BAD_ARGUMENT'],
      [{ focalLengthMm: -1 }, 'optics.focalLengthMm', 'BAD_ARGUMENT'],
    ];
    for (const [patch, parameter, code] of cases) {
      try {
        resolveOptics({ ...BASE, ...patch });
        expect.unreachable(parameter);
      } catch (e) {
        expect(e).toBeInstanceOf(SkyError);
        expect((e as SkyError).code).toBe(code);
        expect((e as SkyError).location.parameter).toBe(parameter);
      }
    }
  });
});
