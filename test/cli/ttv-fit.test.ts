/**
 * `openastro ttv fit` and `ttv predict`, in-process, on transit times injected with our
 * forward model: the files written (samples, summary, O−C and corner SVG) are checked for
 * structure and values, checkpoints resume, failures leave nothing behind.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatTransitTimesCsv } from '../../src/science/ttv/index.js';
import { injectTimes } from '../science/ttv/inject.js';
import { runCli } from '../helpers/cli.js';

const T0 = 2459000;
const TRUTH = [
  { name: 'b', massEarth: 15, periodDays: 8.0, conjunctionDays: T0 + 3.1 },
  { name: 'c', massEarth: 25, periodDays: 16.4, conjunctionDays: T0 + 9.7 },
];
const CONFIG = `# injected two-planet system
stellarMassMsun: 1.0
referenceEpochDays: ${T0}
stepDays: 0.4
planets:
  - name: b
    massEarth: { prior: log-uniform, min: 0.5, max: 300 }
  - name: c
    massEarth: { prior: log-uniform, min: 0.5, max: 300 }
sampler: { nWalkers: 16, burnIn: 10, seed: 3 }
`;

function countClass(svg: string, cls: string): number {
  return (svg.match(new RegExp(`class="${cls}"`, 'g')) ?? []).length;
}

describe('openastro ttv fit / predict', () => {
  let dir: string;
  let nB = 0;
  let nC = 0;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'openastro-ttvfit-'));
    const data = injectTimes(1, T0, TRUTH, { endDays: T0 + 130, sigmaDays: 1 / 1440, seed: 1, observed: ['b', 'c'], stepDays: 0.4 });
    nB = data.planet.filter((p) => p === 'b').length;
    nC = data.planet.length - nB;
    writeFileSync(join(dir, 'times.csv'), formatTransitTimesCsv(data));
    writeFileSync(join(dir, 'model.yaml'), CONFIG);
  });

  it('writes samples, summary and plots; prints one JSON document', async () => {
    const r = await runCli(['ttv', 'fit', 'times.csv', '--config', 'model.yaml', '--steps', '30', '--out-dir', 'out', '--plot-dir', 'plots', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout) as {
      sampler: string;
      nSamples: number;
      parameters: Array<{ name: string; median: number; lo95: number; hi95: number }>;
      bestFit: { values: Record<string, number> };
      diagnostics: { nWalkers: number; nSteps: number };
      files: Record<string, string>;
    };
    expect(doc.sampler).toBe('ensemble');
    expect(doc.diagnostics).toMatchObject({ nWalkers: 16, nSteps: 30 });
    expect(doc.nSamples).toBe(20 * 16);
    expect(doc.parameters.map((p) => p.name)).toEqual(['massEarth_b', 'periodDays_b', 'conjunctionDays_b', 'massEarth_c', 'periodDays_c', 'conjunctionDays_c']);
    // Short run, but the optimiser start already sits at the truth: periods within 1e-3 d.
    expect(Math.abs(doc.bestFit.values.periodDays_c - 16.4)).toBeLessThan(1e-2);
    expect(JSON.parse(readFileSync(join(dir, 'out/ttv-summary.json'), 'utf8'))).toEqual(doc);
    const samples = readFileSync(join(dir, 'out/ttv-samples.csv'), 'utf8').trim().split('\n');
    expect(samples[0]).toBe('massEarth_b,periodDays_b,conjunctionDays_b,massEarth_c,periodDays_c,conjunctionDays_c,log_posterior');
    expect(samples).toHaveLength(1 + 320);

    const oc = readFileSync(join(dir, 'plots/oc.svg'), 'utf8');
    expect(oc.startsWith('<svg')).toBe(true);
    expect(countClass(oc, 'panel')).toBe(2);
    // Every observed transit as a point with an error bar, and a model band per planet.
    expect(countClass(oc, 'point')).toBe(nB + nC);
    expect(countClass(oc, 'error-bar')).toBe(nB + nC);
    expect(countClass(oc, 'band band-95')).toBe(2);
    expect(countClass(oc, 'band band-68')).toBe(2);
    const panelPoints = [...oc.matchAll(/data-points="(\d+)"/g)].map((m) => Number(m[1]));
    expect(panelPoints).toEqual([nB, nC]);
    // O−C in minutes: the injected TTVs are minutes, so the y range is of that order.
    const yMax = [...oc.matchAll(/data-y-max="([^"]+)"/g)].map((m) => Number(m[1]));
    expect(Math.max(...yMax)).toBeGreaterThan(1);
    expect(Math.max(...yMax)).toBeLessThan(200);
    const corner = readFileSync(join(dir, 'plots/corner.svg'), 'utf8');
    expect(countClass(corner, 'panel diagonal')).toBe(6);
    expect(countClass(corner, 'panel pair')).toBe(15);
  });

  it('checkpoints, resumes to more steps, and refuses a checkpoint of another model', async () => {
    const first = await runCli(['ttv', 'fit', 'times.csv', '--config', 'model.yaml', '--steps', '20', '--checkpoint', 'ck/run.bin', '--checkpoint-every', '5', '--out-dir', 'a', '--json'], dir);
    expect(first.code, first.stderr).toBe(0);
    expect(existsSync(join(dir, 'ck/run.bin'))).toBe(true);
    expect(existsSync(join(dir, 'ck/run.bin.meta.json'))).toBe(true);
    const more = await runCli(['ttv', 'fit', 'times.csv', '--config', 'model.yaml', '--steps', '30', '--checkpoint', 'ck/run.bin', '--resume', '--out-dir', 'b', '--json'], dir);
    expect(more.code, more.stderr).toBe(0);
    const doc = JSON.parse(more.stdout) as { diagnostics: { nSteps: number } };
    expect(doc.diagnostics.nSteps).toBe(30);
    writeFileSync(join(dir, 'other.yaml'), CONFIG.replace('min: 0.5, max: 300 }\n  - name: c', 'min: 1, max: 300 }\n  - name: c'));
    const wrong = await runCli(['ttv', 'fit', 'times.csv', '--config', 'other.yaml', '--steps', '30', '--checkpoint', 'ck/run.bin', '--resume', '--out-dir', 'c'], dir);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^openastro: checkpoint '.*run\.bin' belongs to another model/);
    expect(existsSync(join(dir, 'c'))).toBe(false);
  });

  it('predicts future transits with bands as CSV and JSON', async () => {
    const r = await runCli(['ttv', 'predict', 'times.csv', '--config', 'model.yaml', '--samples', 'out/ttv-samples.csv', '--days', '40', '--planet', 'b', '--draws', '50'], dir);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toBe('planet,epoch,median,lo68,hi68,lo95,hi95,sigma,n_draws');
    // 40 days after the last observed transit: 4 or 5 transits of b (P = 8 d).
    expect(rows.length - 1).toBeGreaterThanOrEqual(4);
    expect(rows.length - 1).toBeLessThanOrEqual(5);
    for (const row of rows.slice(1)) {
      const [planet, , med, lo68, hi68, lo95, hi95, , n] = row.split(',');
      expect(planet).toBe('b');
      expect(Number(lo95)).toBeLessThanOrEqual(Number(lo68));
      expect(Number(lo68)).toBeLessThanOrEqual(Number(med));
      expect(Number(med)).toBeLessThanOrEqual(Number(hi68));
      expect(Number(hi68)).toBeLessThanOrEqual(Number(hi95));
      expect(Number(n)).toBe(50);
    }
    const j = await runCli(['ttv', 'predict', 'times.csv', '--config', 'model.yaml', '--samples', 'out/ttv-samples.csv', '--days', '40', '--json', '--draws', '20'], dir);
    const doc = JSON.parse(j.stdout) as { transits: Array<{ planet: string }> };
    expect(new Set(doc.transits.map((t) => t.planet))).toEqual(new Set(['b', 'c']));
  });

  it('fails with one line naming the problem, writing nothing', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'openastro-ttvfit-bad-'));
    writeFileSync(join(bad, 'times.csv'), readFileSync(join(dir, 'times.csv')));
    writeFileSync(join(bad, 'typo.yaml'), CONFIG.replace('massEarth: { prior: log-uniform, min: 0.5, max: 300 }\n  - name: c', 'masEarth: 3\n  - name: c'));
    const typo = await runCli(['ttv', 'fit', 'times.csv', '--config', 'typo.yaml', '--out-dir', 'o'], bad);
    expect(typo.code).toBe(1);
    expect(typo.stderr.trim().split('\n')).toHaveLength(1);
    expect(typo.stderr).toMatch(/^openastro: TtvError: .*typo\.yaml 'planets\[0\]\.masEarth': unknown key/);
    writeFileSync(join(bad, 'prior.yaml'), CONFIG.replace('min: 0.5, max: 300', 'min: 0, max: 300'));
    const prior = await runCli(['ttv', 'fit', 'times.csv', '--config', 'prior.yaml'], bad);
    expect(prior.stderr).toMatch(/prior\.yaml 'planets\[0\]\.massEarth\.min': a log-uniform prior needs min > 0/);
    const noCfg = await runCli(['ttv', 'fit', 'times.csv', '--config', 'none.yaml'], bad);
    expect(noCfg.stderr).toMatch(/^openastro: configuration '.*none\.yaml' does not exist/);
    const sampler = await runCli(['ttv', 'fit', 'times.csv', '--config', 'typo.yaml', '--sampler', 'gibbs'], bad);
    expect(sampler.code).toBe(2);
    const resume = await runCli(['ttv', 'fit', 'times.csv', '--config', 'typo.yaml', '--resume'], bad);
    expect(resume.stderr).toMatch(/--resume needs --checkpoint/);
    writeFileSync(join(bad, 'times2.csv'), 'planet,epoch,time,sigma\nb,0,2459003.1,0.001\nb,1,2459011.1,-1\n');
    const times = await runCli(['ttv', 'fit', 'times2.csv', '--config', 'typo.yaml'], bad);
    expect(times.stderr).toMatch(/times2\.csv line 3: sigma -1 must be positive/);
    expect(readdirSync(bad).sort()).toEqual(['prior.yaml', 'times.csv', 'times2.csv', 'typo.yaml']);
  });

  it('prints help for fit and predict', async () => {
    const r = await runCli(['ttv', 'fit', '--help']);
    expect(r.stdout).toMatch(/Usage: openastro ttv fit \[options\] <times>/);
    expect(r.stdout).toMatch(/--warm-start <samples>/);
    expect((await runCli(['ttv', 'predict', '--help'])).stdout).toMatch(/--samples <file>/);
  });
});
