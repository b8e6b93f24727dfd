/**
 * TTV model description, priors, transit-time tables and the likelihood: validation with
 * located errors, prior normalisation and the prior transform checked against analytic
 * values, and the likelihood checked against closed forms on noise-free injected times.
 */
import { describe, expect, it } from 'vitest';
import {
  buildTtvModel,
  formatTransitTimesCsv,
  initialParameters,
  logPrior,
  parameterNames,
  parseTransitTimesCsv,
  parseTtvConfig,
  priorTransform,
  TtvError,
  TtvLikelihood,
  optimizeTtv,
  type TransitTimeData,
  type TtvModelConfig,
} from '../../../src/science/ttv/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { injectTimes } from './inject.js';

const T0 = 2459000;
const TRUTH = [
  { name: 'b', massEarth: 15, periodDays: 8.0, conjunctionDays: T0 + 3.1 },
  { name: 'c', massEarth: 25, periodDays: 16.4, conjunctionDays: T0 + 9.7 },
];
const STEP = 0.4;

function noiseFree(): TransitTimeData {
  return injectTimes(1, T0, TRUTH, { endDays: T0 + 200, sigmaDays: 0, seed: 1, observed: ['b', 'c'], stepDays: STEP });
}

function withSigma(d: TransitTimeData, sigmaDays: number): TransitTimeData {
  return { ...d, sigmaDays: d.sigmaDays.map(() => sigmaDays) };
}

const FREE: TtvModelConfig = {
  stellarMassMsun: 1,
  referenceEpochDays: T0,
  stepDays: STEP,
  planets: [
    { name: 'b', massEarth: { prior: 'log-uniform', min: 1, max: 100, init: 15 }, periodDays: { prior: 'uniform', min: 7.9, max: 8.1, init: 8 }, conjunctionDays: { prior: 'uniform', min: T0 + 3, max: T0 + 3.2, init: T0 + 3.1 } },
    {
      name: 'c',
      massEarth: { prior: 'log-uniform', min: 1, max: 100, init: 25 },
      periodDays: { prior: 'uniform', min: 16, max: 17, init: 16.4 },
      conjunctionDays: { prior: 'uniform', min: T0 + 9, max: T0 + 10, init: T0 + 9.7 },
      eccentricity: { prior: 'uniform-disk', max: 0.25, init: { ecc: 0.01, omegaDeg: 30 } },
    },
  ],
  jitterDays: { prior: 'log-uniform', min: 1e-5, max: 1e-2, init: 1e-4 },
};

describe('transit-time tables', () => {
  it('parses CSV, whitespace and the columns of the transit-fit export; round-trips', () => {
    const d = parseTransitTimesCsv('# comment\nplanet,epoch,time,sigma,oc\nb,0,2459003.1,0.001,0\nb,2,2459019.1,0.0015,0\n');
    expect(d.planet).toEqual(['b', 'b']);
    expect(Array.from(d.epoch)).toEqual([0, 2]);
    expect(Array.from(d.sigmaDays)).toEqual([0.001, 0.0015]);
    const ws = parseTransitTimesCsv('planet epoch tt_d ett_d\nc 5 2459100.25 0.002\n');
    expect(ws.timeDays[0]).toBe(2459100.25);
    expect(parseTransitTimesCsv(formatTransitTimesCsv(d))).toEqual(d);
  });

  it('rejects bad tables whole, naming file and line', () => {
    const bad = (text: string) => () => parseTransitTimesCsv(text, 'times.csv');
    expect(bad('planet,epoch,time\nb,0,1\n')).toThrow(/times\.csv line 1: header has no sigma column/);
    expect(bad('planet,epoch,time,sigma\nb,0,1,0.1\nb,1.5,2,0.1\n')).toThrow(/times\.csv line 3: epoch 1\.5 is not an integer/);
    expect(bad('planet,epoch,time,sigma\nb,0,1,0\n')).toThrow(/line 2: sigma 0 must be positive/);
    expect(bad('planet,epoch,time,sigma\nb,0,x,0.1\n')).toThrow(/line 2: time 'x' is not a finite number/);
    expect(bad('planet,epoch,time,sigma\n')).toThrow(/no transit times/);
    expect(bad('planet,epoch,time,sigma\nb,0\n')).toThrow(TtvError);
  });
});

describe('buildTtvModel', () => {
  it('resolves parameters in θ order, defaults from the observed ephemeris, and a default step', () => {
    const data = withSigma(noiseFree(), 1e-3);
    const m = buildTtvModel({ stellarMassMsun: 1, planets: [{ name: 'b', massEarth: 15 }, { name: 'c', massEarth: { prior: 'log-uniform', min: 1, max: 100 } }] }, data);
    expect(parameterNames(m)).toEqual(['periodDays_b', 'conjunctionDays_b', 'massEarth_c', 'periodDays_c', 'conjunctionDays_c']);
    // Reference epoch: whole days before the first transit by half the longest period.
    const tFirst = Math.min(...data.timeDays);
    expect(m.referenceEpochDays).toBe(Math.floor(tFirst - 0.5 * m.planets[1].ephemeris!.periodDays));
    // Default period prior ±2 % of the linear ephemeris, conjunction the first transit after the epoch.
    const pb = m.parameters[0];
    expect(pb.kind).toBe('log-uniform');
    expect(pb.a / pb.init).toBeCloseTo(0.98, 12);
    const tc = m.parameters[1];
    expect(tc.init).toBeGreaterThan(m.referenceEpochDays);
    expect(tc.init - m.referenceEpochDays).toBeLessThan(8.01);
    // Step: 1/20 of the shortest period allowed (b's prior minimum).
    expect(m.stepDays).toBeCloseTo(pb.a / 20, 12);
    expect(m.endDays).toBeGreaterThan(Math.max(...data.timeDays));
  });

  it('rejects bad configurations with the path of the field', () => {
    const data = withSigma(noiseFree(), 1e-3);
    const build = (c: unknown) => () => buildTtvModel(c as TtvModelConfig, data);
    const base = { stellarMassMsun: 1, planets: [{ name: 'b', massEarth: 10 }, { name: 'c', massEarth: 10 }] };
    expect(build({ ...base, stellarMassMsun: -1 })).toThrow(/'stellarMassMsun': must be a positive number/);
    expect(build({ ...base, planets: [{ name: 'b', massEarth: { prior: 'log-uniform', min: 0, max: 5 } }, { name: 'c', massEarth: 1 }] })).toThrow(/'planets\[0\]\.massEarth\.min': a log-uniform prior needs min > 0/);
    expect(build({ ...base, planets: [{ name: 'b', massEarth: { prior: 'uniform', min: 5, max: 1 } }, { name: 'c', massEarth: 1 }] })).toThrow(/'planets\[0\]\.massEarth\.max': max \(1\) must exceed min \(5\)/);
    expect(build({ ...base, planets: [{ name: 'b', massEarth: { prior: 'cauchy' } }, { name: 'c', massEarth: 1 }] })).toThrow(/'planets\[0\]\.massEarth\.prior': unknown prior "cauchy"/);
    expect(build({ ...base, planets: [{ name: 'b', massEarth: 10, eccentricity: { prior: 'uniform-disk', max: 1.2 } }, { name: 'c', massEarth: 1 }] })).toThrow(/eccentricity\.max': max eccentricity must be in \(0, 1\)/);
    expect(build({ ...base, planets: [{ name: 'c', massEarth: 10 }, { name: 'b', massEarth: 10 }] })).toThrow(/innermost first/);
    expect(build({ ...base, planets: [{ name: 'b', massEarth: 10 }] })).toThrow(/planet 'c' is not in the model \(b\)/);
    expect(build({ ...base, planets: [...base.planets, { name: 'd', massEarth: 10 }] })).toThrow(/'planets\[2\]\.periodDays': planet 'd' has no transit times/);
    expect(build({ ...base, referenceEpochDays: T0 + 50 })).toThrow(/'referenceEpochDays': must be before the first transit/);
    expect(build({ ...base, planets: [{ name: 'b', massEarth: 10, periodDays: 8, conjunctionDays: T0 + 3.1, incDeg: 8, nodeDeg: 0 }, { name: 'c', massEarth: 10, periodDays: 16.4, conjunctionDays: T0 + 9.7 }] })).toThrow(/nothing to infer/);
    expect(build({ ...base, planets: [{ name: 'b b', massEarth: 1 }] })).toThrow(/'planets\[0\]\.name'/);
    const bRows = data.planet.flatMap((p, i) => (p === 'b' ? [i] : []));
    const dup: TransitTimeData = { ...data, epoch: data.epoch.map((e, i) => (i === bRows[1] ? data.epoch[bRows[0]] : e)) };
    expect(() => buildTtvModel(base as TtvModelConfig, dup)).toThrow(/has epoch \d+ twice/);
  });
});

describe('priors', () => {
  const model = buildTtvModel(FREE, withSigma(noiseFree(), 1e-3));

  it('log π is the analytic normalised density and −∞ outside the support', () => {
    const x = initialParameters(model);
    const expected =
      -Math.log(15) - Math.log(Math.log(100)) - Math.log(0.2) - Math.log(0.2) // b
      - Math.log(25) - Math.log(Math.log(100)) - Math.log(1) - Math.log(1) // c
      - Math.log(Math.PI * 0.25) // c's eccentricity disk
      - Math.log(1e-4) - Math.log(Math.log(1000)); // jitter
    // The uniform widths are differences of BJDs (exact to ~1e-10 d), hence 8 digits.
    expect(logPrior(model, x)).toBeCloseTo(expected, 8);
    const names = parameterNames(model);
    const out = x.slice();
    out[names.indexOf('massEarth_b')] = 200;
    expect(logPrior(model, out)).toBe(-Infinity);
    const ecc = x.slice();
    ecc[names.indexOf('sqrtEcosw_c')] = 0.4;
    ecc[names.indexOf('sqrtEsinw_c')] = 0.31; // e = 0.256 > 0.25
    expect(logPrior(model, ecc)).toBe(-Infinity);
  });

  it('the prior transform draws the prior: log-uniform median, uniform e in the disk, uniform ω', () => {
    const names = parameterNames(model);
    const rng = new Rng(4);
    const u = new Float64Array(names.length);
    const th = new Float64Array(names.length);
    const n = 20000;
    const mass: number[] = [];
    const ecc: number[] = [];
    let positiveSin = 0;
    for (let i = 0; i < n; i++) {
      rng.fillUniform(u);
      priorTransform(model, u, th);
      expect(logPrior(model, th)).toBeGreaterThan(-Infinity);
      mass.push(th[names.indexOf('massEarth_b')]);
      const h = th[names.indexOf('sqrtEcosw_c')];
      const k = th[names.indexOf('sqrtEsinw_c')];
      ecc.push(h * h + k * k);
      if (k > 0) positiveSin++;
    }
    mass.sort((a, b) => a - b);
    // Log-uniform on [1, 100]: median √(1·100) = 10.
    expect(mass[n / 2]).toBeGreaterThan(9.5);
    expect(mass[n / 2]).toBeLessThan(10.5);
    // e uniform on [0, 0.25]: mean 0.125, s.d. 0.25/√12 (s.e. of the mean 5e-4).
    const mean = ecc.reduce((a, b) => a + b, 0) / n;
    expect(Math.abs(mean - 0.125)).toBeLessThan(2.5e-3);
    expect(Math.abs(positiveSin / n - 0.5)).toBeLessThan(0.015);
  });
});

describe('TtvLikelihood', () => {
  it('at the truth on noise-free times equals −½ Σ ln(2π s²), with s² = σ² + jitter²', () => {
    const sigma = 1e-3;
    const model = buildTtvModel(FREE, withSigma(noiseFree(), sigma));
    const lik = new TtvLikelihood(model);
    const x = initialParameters(model); // the init values are the truth (e_c = 0.01 aside: fix it)
    const names = parameterNames(model);
    x[names.indexOf('sqrtEcosw_c')] = 0;
    x[names.indexOf('sqrtEsinw_c')] = 0;
    const n = model.data.timeDays.length;
    for (const jitter of [1e-4, 2e-3]) {
      x[names.indexOf('jitterDays')] = jitter;
      const s2 = sigma * sigma + jitter * jitter;
      expect(lik.logLikelihood(x)).toBeCloseTo(-0.5 * n * Math.log(2 * Math.PI * s2), 6);
    }
    // A mass off the truth gives a worse fit; a model that loses transits gives −∞.
    x[names.indexOf('jitterDays')] = 1e-4;
    const off = x.slice();
    off[names.indexOf('massEarth_c')] = 35;
    expect(lik.logLikelihood(off)).toBeLessThan(lik.logLikelihood(x) - 5);
    const shifted = x.slice();
    shifted[names.indexOf('conjunctionDays_b')] = T0 + 3.1 + 4.5; // more than half a period: epochs shift
    expect(lik.logLikelihood(shifted)).toBe(-Infinity);
    expect(lik.logPosterior(off)).toBeCloseTo(lik.logLikelihood(off) + logPrior(model, off), 9);
  });

  it('matches observations by epoch when some epochs are missing, and Levenberg–Marquardt lands on the truth', () => {
    const full = withSigma(noiseFree(), 1e-3);
    const keep = Array.from(full.epoch.keys()).filter((i) => i % 3 !== 1);
    const data: TransitTimeData = {
      planet: keep.map((i) => full.planet[i]),
      epoch: Int32Array.from(keep, (i) => full.epoch[i] + 100), // numbering need not start at 0
      timeDays: Float64Array.from(keep, (i) => full.timeDays[i]),
      sigmaDays: Float64Array.from(keep, (i) => full.sigmaDays[i]),
    };
    const cfg: TtvModelConfig = { ...FREE, jitterDays: undefined, planets: FREE.planets.map((p) => ({ ...p, eccentricity: 0 })) };
    const model = buildTtvModel(cfg, data);
    const lik = new TtvLikelihood(model);
    const truth = initialParameters(model);
    expect(lik.logLikelihood(truth)).toBeCloseTo(-0.5 * keep.length * Math.log(2 * Math.PI * 1e-6), 6);
    // Start 10 % off in the masses: the least-squares fit returns to the truth (χ² → 0).
    const start = truth.slice();
    start[0] *= 1.1;
    start[3] *= 0.9;
    const opt = optimizeTtv(model, lik, [start]);
    expect(opt.chi2).toBeLessThan(1e-3);
    expect(Math.abs(opt.theta[0] - 15)).toBeLessThan(0.05);
    expect(Math.abs(opt.theta[3] - 25)).toBeLessThan(0.05);
    expect(opt.covariance).toBeDefined();
  });
});

describe('parseTtvConfig', () => {
  it('reads JSON and YAML to the same model, with a sampler section', () => {
    const yaml = `
stellarMassMsun: 1.0
jitterDays: { prior: log-uniform, min: 1.0e-5, max: 0.01 }
planets:
  - name: b
    massEarth: { prior: log-uniform, min: 1, max: 300 }
    eccentricity: { prior: uniform-disk, max: 0.3 }
sampler: { kind: nested, nLive: 200, seed: 4 }
`;
    const a = parseTtvConfig(yaml, 'c.yaml');
    const b = parseTtvConfig(JSON.stringify({ ...a.model, sampler: a.sampler }));
    expect(b).toEqual(a);
    expect(a.sampler).toEqual({ kind: 'nested', nLive: 200, seed: 4 });
    expect(a.model.planets[0].eccentricity).toEqual({ prior: 'uniform-disk', max: 0.3 });
  });

  it('rejects unknown keys and bad syntax with the file and path', () => {
    expect(() => parseTtvConfig('stellarMassMsun: 1\nplanets:\n  - name: b\n    masEarth: 3\n', 'c.yaml')).toThrow(/c\.yaml 'planets\[0\]\.masEarth': unknown key/);
    expect(() => parseTtvConfig('{"stellarMassMsun": 1,', 'c.json')).toThrow(/c\.json: not valid JSON/);
    expect(() => parseTtvConfig('planets: 3\n')).toThrow(/'planets': must be a list/);
    expect(() => parseTtvConfig('planets: []\nsampler: { nSteps: 1.5 }\n')).toThrow(/'sampler\.nSteps': must be an integer/);
    expect(() => parseTtvConfig('- 1\n- 2\n')).toThrow(/must be a mapping/);
  });
});
