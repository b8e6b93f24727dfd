/**
 * Transit-model benchmarks (issue 6): quadratic limb-darkened light curves of 1e5 points,
 * in Mpt/s — a typical light curve (a few transits in a long baseline), one sampled only
 * in transit (every point needs the elliptic integrals), an eccentric orbit, and a
 * long-cadence curve supersampled 15×.
 *
 * Reference: batman (the tool the golden values come from) is not installed here and
 * PyPI is unreachable, so no reference figure is printed; the shared datasets give no
 * batman timing to quote either. If Debian ever ships batman (python3-batman), time
 * `batman.TransitModel(params, t).light_curve(params)` on the same times.
 */
import { transitLightCurve, type TransitParams } from '../src/science/transit/model.js';
import { fitTransitTime } from '../src/science/transit/timing.js';
import { timeIt, type BenchContext } from './harness.js';

const N = 100_000;

export async function run(ctx: BenchContext): Promise<void> {
  const hotJupiter: TransitParams = { t0: 2459000.5, periodDays: 3.0, rp: 0.1, a: 15, incDeg: 89, u: [0.4, 0.26] };
  const out = new Float64Array(N);

  // 27 days of 2-minute-like cadence: ~9 transits, ~4 % of points in transit.
  const longBaseline = Float64Array.from({ length: N }, (_, i) => hotJupiter.t0 - 13.5 + (27 * i) / N);
  record(ctx, 'light curve 1e5 pts, 27 d baseline', longBaseline, hotJupiter, out);

  // Every point inside the transit (worst case: K, E, Π per point).
  const inTransit = Float64Array.from({ length: N }, (_, i) => hotJupiter.t0 - 0.06 + (0.12 * i) / N);
  record(ctx, 'light curve 1e5 pts, all in transit', inTransit, hotJupiter, out);

  const eccentric: TransitParams = { ...hotJupiter, ecc: 0.3, omegaDeg: 45 };
  record(ctx, 'eccentric (e=0.3) 1e5 pts, all in transit', inTransit, eccentric, out);

  const longCadence: TransitParams = { ...hotJupiter, exposureDays: 0.0204, supersample: 15 };
  record(ctx, 'supersampled ×15 1e5 pts, 27 d baseline', longBaseline, longCadence, out);

  // One transit window (2-min cadence, ±0.16 d, deterministic pseudo-noise): tc + linear
  // baseline with the shape held, and with the shape free as well.
  const t = Float64Array.from({ length: 230 }, (_, i) => hotJupiter.t0 - 0.16 + (i * 2) / 1440);
  const flux = transitLightCurve(t, hotJupiter).map((f, i) => f + 1e-3 * Math.sin(i * 12.9898) * Math.cos(i * 78.233));
  const sigma = new Float64Array(t.length).fill(1e-3);
  const shape = { rp: hotJupiter.rp, a: hotJupiter.a, incDeg: hotJupiter.incDeg, u: hotJupiter.u };
  for (const freeShape of [false, true]) {
    const s = timeIt(() => fitTransitTime(t, flux, sigma, { tcGuessDays: hotJupiter.t0 + 0.005, periodDays: 3, shape, freeShape }), 7);
    ctx.record({ name: `transit-time fit (Laplace), shape ${freeShape ? 'free' : 'fixed'}`, unit: 'fits/s', ours: 1 / s, higherIsBetter: true });
  }
}

function record(ctx: BenchContext, name: string, t: Float64Array, params: TransitParams, out: Float64Array): void {
  const s = timeIt(() => transitLightCurve(t, params, out), 7);
  ctx.record({ name, unit: 'Mpt/s', ours: t.length / s / 1e6, higherIsBetter: true });
}
