/** The unrolled polynomial evaluators and derivative polynomials against the generic loop. */
import { describe, expect, it } from 'vitest';
import { derivativeU, derivativeV, emptyPoly, evalPoly, polyEvaluator } from '../../../src/science/wcs/poly.js';
import { rng } from './helpers.js';

describe.each([0, 1, 2, 3, 4, 5, 6, 7, 8])('order %i', (order) => {
  const r = rng(100 + order);
  const p = emptyPoly(order);
  const stride = order + 1;
  for (let a = 0; a <= order; a++) for (let b = 0; b <= order - a; b++) p.c[a * stride + b] = r.normal();

  it('polyEvaluator equals the Horner loop and the plain sum', () => {
    const f = polyEvaluator(order);
    for (let i = 0; i < 50; i++) {
      const u = r.uniform() * 4 - 2;
      const v = r.uniform() * 4 - 2;
      let sum = 0;
      for (let a = 0; a <= order; a++) for (let b = 0; b <= order - a; b++) sum += p.c[a * stride + b] * u ** a * v ** b;
      const loop = evalPoly(p, u, v);
      expect(Math.abs(f(p.c, u, v) - loop)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(loop)));
      expect(Math.abs(loop - sum)).toBeLessThanOrEqual(1e-11 * (1 + Math.abs(sum)));
    }
  });

  it('derivative polynomials match central differences', () => {
    const du = derivativeU(p);
    const dv = derivativeV(p);
    for (let i = 0; i < 20; i++) {
      const u = r.uniform() * 2 - 1;
      const v = r.uniform() * 2 - 1;
      const h = 1e-5;
      const nu = (evalPoly(p, u + h, v) - evalPoly(p, u - h, v)) / (2 * h);
      const nv = (evalPoly(p, u, v + h) - evalPoly(p, u, v - h)) / (2 * h);
      expect(evalPoly(du, u, v)).toBeCloseTo(nu, 5);
      expect(evalPoly(dv, u, v)).toBeCloseTo(nv, 5);
    }
  });
});
