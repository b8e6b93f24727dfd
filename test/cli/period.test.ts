/**
 * `openastro period`, run in-process. Until the lead registers the command in program.ts,
 * the test adds it to the program itself (and maps errors the way `run` does).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Rng } from '../../src/science/inference/random.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DS1 = join(ROOT, 'test/fixtures/timeseries/ds1_data.csv');
const MULTIBAND = join(ROOT, 'test/fixtures/timeseries/multiband_data.csv');

const cli = (...argv: string[]): Promise<CliResult> => runCli(argv, ROOT);

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'openastro-period-'));
}

describe('openastro period', () => {
  it('documents its options in --help', async () => {
    const r = await cli('period', '--help');
    expect(r.code).toBe(0);
    for (const o of ['--min-period', '--max-period', '--method', '--plot-dir', '--json', '--multiband', '--fap']) expect(r.stdout).toContain(o);
  });

  it('--json prints one document with the best period of ds1 (3.7 d) first and a Baluev FAP', async () => {
    const r = await cli('period', DS1, '--json', '--min-period', '0.5', '--max-period', '50');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(Object.keys(doc).sort()).toEqual(['method', 'peaks', 'seconds']);
    expect(doc.method).toBe('exact');
    expect(doc.seconds).toBeGreaterThanOrEqual(0);
    expect(doc.peaks.length).toBe(5);
    expect(Object.keys(doc.peaks[0]).sort()).toEqual(['fap', 'periodDays', 'power']);
    expect(Math.abs(doc.peaks[0].periodDays / 3.7 - 1)).toBeLessThan(0.01);
    expect(doc.peaks[0].power).toBeGreaterThan(0.7);
    expect(doc.peaks[0].fap).toBeLessThan(1e-40);
    for (let i = 1; i < doc.peaks.length; i++) expect(doc.peaks[i].power).toBeLessThanOrEqual(doc.peaks[i - 1].power);
    for (const p of doc.peaks) expect(p.periodDays).toBeGreaterThanOrEqual(0.5 * 0.999);
  });

  it('--method fast agrees with exact on the best period', async () => {
    const exact = JSON.parse((await cli('period', DS1, '--json', '--method', 'exact')).stdout);
    const fast = JSON.parse((await cli('period', DS1, '--json', '--method', 'fast')).stdout);
    expect(fast.method).toBe('fast');
    expect(fast.peaks[0].periodDays / exact.peaks[0].periodDays - 1).toBeLessThan(1e-4);
    expect(Math.abs(fast.peaks[0].power - exact.peaks[0].power)).toBeLessThan(1e-3);
  });

  it('prints a human table and writes both SVG plots with --plot-dir', async () => {
    const dir = tmp();
    const r = await cli('period', DS1, '--plot-dir', dir, '--top', '3');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/200 points/);
    expect(r.stdout).toMatch(/rank\s+period/);
    expect(r.stdout.split('\n').filter((l) => /^\s+\d\s/.test(l))).toHaveLength(3);
    for (const name of ['ds1_data-periodogram.svg', 'ds1_data-folded.svg']) {
      const svg = readFileSync(join(dir, name), 'utf8');
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trim().endsWith('</svg>')).toBe(true);
      expect(svg.length).toBeLessThan(400_000);
    }
    expect(readFileSync(join(dir, 'ds1_data-folded.svg'), 'utf8')).toMatch(/<circle/);
    expect(readFileSync(join(dir, 'ds1_data-periodogram.svg'), 'utf8')).toMatch(/<path d="M/);
  });

  it('handles bands: refuses mixed bands, selects one with --band, fits all with --multiband', async () => {
    const mixed = await cli('period', MULTIBAND, '--json');
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toMatch(/several bands/);
    const one = await cli('period', MULTIBAND, '--json', '--band', 'g', '--min-period', '0.2', '--max-period', '2');
    expect(one.code, one.stderr).toBe(0);
    const dir = tmp();
    const mb = await cli('period', MULTIBAND, '--json', '--multiband', '--min-period', '0.2', '--max-period', '2', '--plot-dir', dir);
    expect(mb.code, mb.stderr).toBe(0);
    const doc = JSON.parse(mb.stdout);
    // The fixture's injected period (scripts/fixtures/timeseries.py) is 0.6137 d.
    expect(Math.abs(doc.peaks[0].periodDays / 0.6137 - 1)).toBeLessThan(0.005);
    expect(doc.peaks[0].fap).toBeNull();
    expect(existsSync(join(dir, 'multiband_data-folded.svg'))).toBe(true);
    expect((await cli('period', MULTIBAND, '--band', 'x')).stderr).toMatch(/no points in band 'x'/);
  });

  it('bootstrap FAP is reproducible with a seed', async () => {
    const a = JSON.parse((await cli('period', DS1, '--json', '--fap', 'bootstrap', '--bootstraps', '20', '--seed', '3', '--max-period', '20', '--threads', '1')).stdout);
    const b = JSON.parse((await cli('period', DS1, '--json', '--fap', 'bootstrap', '--bootstraps', '20', '--seed', '3', '--max-period', '20', '--threads', '1')).stdout);
    expect(a.peaks.map((p: { fap: number }) => p.fap)).toEqual(b.peaks.map((p: { fap: number }) => p.fap));
    expect(a.peaks[0].fap).toBe(0);
  });

  it('accepts t,y without dy and case-insensitive headers', async () => {
    const dir = tmp();
    const rng = new Rng(8);
    const lines = ['TIME,Flux'];
    for (let i = 0; i < 120; i++) {
      const t = i * 0.731 + rng.uniform() * 0.3;
      lines.push(`${t},${(1 + 0.01 * Math.sin((2 * Math.PI * t) / 1.234) + 0.002 * rng.normal()).toFixed(6)}`);
    }
    writeFileSync(join(dir, 'lc.csv'), lines.join('\n') + '\n');
    const r = await cli('period', join(dir, 'lc.csv'), '--json', '--min-period', '0.3', '--max-period', '10');
    expect(r.code, r.stderr).toBe(0);
    expect(Math.abs(JSON.parse(r.stdout).peaks[0].periodDays / 1.234 - 1)).toBeLessThan(0.005);
  });

  it('rejects bad CSV with the line and column, and bad options, with nothing on stdout', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.csv'), 't,y,dy\n1,2,0.1\n2,3,0.1\n3,x4,0.1\n');
    const r = await cli('period', join(dir, 'bad.csv'));
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/TimeseriesError: .*bad\.csv, line 4, column 2: 'x4' in column 'y' is not a finite number/);
    expect((await cli('period', join(dir, 'missing.csv'))).stderr).toMatch(/no such file/);
    expect((await cli('period', DS1, '--method', 'slow')).code).toBe(2);
    expect((await cli('period', DS1, '--min-period', '5', '--max-period', '1')).stderr).toMatch(/shorter than/);
    expect((await cli('period', DS1, '--min-period', '-1')).code).toBe(2);
  });
});
