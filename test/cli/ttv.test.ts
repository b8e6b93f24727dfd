/**
 * `openastro ttv simulate`, run in-process on TTVFast's input files from the dynamics
 * fixtures; results are checked against the IAS15 transit times.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseTransitsTable } from '../../src/science/dynamics/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/dynamics');
const KEPLER9_SETUP = 'test/fixtures/dynamics/kepler9_like/setup';
const TRUTH = parseTransitsTable(readFileSync(join(FIX, 'kepler9_like/ias15_transits.csv'), 'utf8'));

const cli = (cwd: string, ...argv: string[]): Promise<CliResult> => runCli(argv, cwd);

function worstSeconds(csvText: string): { count: number; worst: number } {
  const t = parseTransitsTable(csvText);
  const idx = new Map<string, number>();
  for (let i = 0; i < t.count; i++) idx.set(`${t.planet[i]},${t.epoch[i]}`, i);
  let worst = 0;
  for (let j = 0; j < TRUTH.count; j++) {
    const i = idx.get(`${TRUTH.planet[j]},${TRUTH.epoch[j]}`);
    if (i === undefined) return { count: t.count, worst: Infinity };
    worst = Math.max(worst, Math.abs(t.timeDays[i] - TRUTH.timeDays[j]) * 86400);
  }
  return { count: t.count, worst };
}

describe('openastro ttv simulate', () => {
  it('writes planet,epoch,time,rsky,vsky CSV to stdout, within 1 s of IAS15 (params found beside the setup)', async () => {
    const r = await cli(ROOT, 'ttv', 'simulate', KEPLER9_SETUP);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('planet,epoch,time,rsky,vsky');
    const { count, worst } = worstSeconds(r.stdout);
    expect(count).toBe(114);
    expect(worst).toBeLessThan(1);
  });

  it('-o writes the file (and nothing to stdout); --step overrides the setup step', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-ttv-'));
    const r = await cli(dir, 'ttv', 'simulate', join(FIX, 'kepler9_like/setup'), '-o', 'out.csv', '--step', '0.96');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/114 transits of 2 planet\(s\) written to .*out\.csv/);
    expect(worstSeconds(readFileSync(join(dir, 'out.csv'), 'utf8')).worst).toBeLessThan(1);
    expect(readdirSync(dir)).toEqual(['out.csv']);
  });

  it('--json --repeat N prints exactly one JSON document with the transits and secondsPerCall', async () => {
    const r = await cli(ROOT, 'ttv', 'simulate', KEPLER9_SETUP, '--json', '--repeat', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const doc = JSON.parse(r.stdout) as { transits: Array<Record<string, number>>; secondsPerCall: number };
    expect(Object.keys(doc).sort()).toEqual(['secondsPerCall', 'transits']);
    expect(doc.transits).toHaveLength(114);
    expect(Object.keys(doc.transits[0]).sort()).toEqual(['epoch', 'planet', 'rsky', 'time', 'vsky']);
    expect(doc.transits[0]).toMatchObject({ planet: 0, epoch: 0 });
    expect(Math.abs(doc.transits[0].time - TRUTH.timeDays[0]) * 86400).toBeLessThan(1);
    expect(doc.secondsPerCall).toBeGreaterThan(0);
    expect(doc.secondsPerCall).toBeLessThan(1);
  });

  it('reads the three KOI-142 conventions (flags 0, 1, 2) to the same transits', async () => {
    const outs = await Promise.all(
      ['setup_file', 'setup_file_astro_elements', 'setup_file_astro_cartesian'].map((f) => cli(ROOT, 'ttv', 'simulate', join(FIX, 'koi142', f), '--json')),
    );
    const docs = outs.map((o) => {
      expect(o.code, o.stderr).toBe(0);
      return JSON.parse(o.stdout) as { transits: Array<{ time: number }> };
    });
    expect(docs[0].transits).toHaveLength(375);
    docs[0].transits.forEach((t, i) => {
      expect(Math.abs(docs[1].transits[i].time - t.time) * 86400).toBeLessThan(1e-3);
      expect(Math.abs(docs[2].transits[i].time - t.time) * 86400).toBeLessThan(1e-3);
    });
  });

  it('fails with one line naming the problem: missing setup, missing params, malformed params, bad --repeat', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openastro-ttv-'));
    const missing = await cli(dir, 'ttv', 'simulate', 'nope.setup');
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^openastro: setup file '.*nope\.setup' does not exist/);

    writeFileSync(join(dir, 'setup'), 'elsewhere.in 0 0.5 100 2 0\n');
    const noParams = await cli(dir, 'ttv', 'simulate', 'setup');
    expect(noParams.code).not.toBe(0);
    expect(noParams.stderr).toMatch(/^openastro: parameter file '.*elsewhere\.in' does not exist/);

    copyFileSync(join(FIX, 'kepler9_like/params.in'), join(dir, 'elsewhere.in'));
    const text = readFileSync(join(dir, 'elsewhere.in'), 'utf8').split('\n');
    text[3] = text[3].replace('0.06', '0.06.1');
    writeFileSync(join(dir, 'elsewhere.in'), text.join('\n'));
    const bad = await cli(dir, 'ttv', 'simulate', 'setup', '-o', 'out.csv');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^openastro: DynamicsError: .*elsewhere\.in line 4 token 2: planet 0 eccentricity: '0\.06\.1' is not a number/);
    expect(existsSync(join(dir, 'out.csv'))).toBe(false);

    const rep = await cli(ROOT, 'ttv', 'simulate', KEPLER9_SETUP, '--repeat', 'x');
    expect(rep.code).toBe(2);
    expect(rep.stderr).toMatch(/--repeat/);
  });

  it('prints help', async () => {
    const r = await cli(ROOT, 'ttv', 'simulate', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: openastro ttv simulate \[options\] <setup>/);
    expect(r.stdout).toMatch(/--repeat <n>/);
  });
});
