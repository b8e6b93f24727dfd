/**
 * `openastro lightcurve import|merge|export|plot`, run in-process through the real runner.
 */
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/science/inference/random.js';
import { parseLightCurveCsvText } from '../../src/science/lightcurve/index.js';
import { runCli, type CliResult } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FIX = join(ROOT, 'test/fixtures/lightcurve');
const ARCHIVAL = JSON.parse(readFileSync(join(FIX, 'archival.json'), 'utf8'));

async function cli(...argv: string[]): Promise<CliResult> {
  return runCli(argv, ROOT);
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'openastro-lc-'));

/** Three instruments' CSVs of one slowly varying star with known offsets. */
function writeSites(dir: string): { files: string[]; offsets: Record<string, number> } {
  const rng = new Rng(11);
  const offsets: Record<string, number> = { north: 0, south: 0.312, east: -0.187 };
  const windows: Record<string, [number, number]> = { north: [0, 0.3], south: [0.25, 0.55], east: [0.5, 0.8] };
  const files: string[] = [];
  for (const site of Object.keys(offsets)) {
    const lines = ['t_bjd_tdb,y,dy,band'];
    for (let night = 0; night < 6; night++) {
      for (let x = windows[site][0]; x <= windows[site][1]; x += 4 / 1440) {
        const t = 2461000.2 + night + x;
        const m = 13 + 0.3 * Math.sin((2 * Math.PI * t) / 3.1) + offsets[site] + 0.008 * rng.normal();
        lines.push(`${t.toFixed(8)},${m.toFixed(5)},0.008,V`);
      }
    }
    // One wild point per site.
    lines.push(`${(2461000.2 + windows[site][0] + 0.1).toFixed(8)},${(13 + offsets[site] + 2).toFixed(3)},0.008,V`);
    const f = join(dir, `${site}.csv`);
    writeFileSync(f, lines.join('\n') + '\n');
    files.push(f);
  }
  return { files, offsets };
}

describe('openastro lightcurve', () => {
  it('documents its subcommands and their options', async () => {
    const r = await cli('lightcurve', '--help');
    expect(r.code).toBe(0);
    for (const s of ['import', 'merge', 'export', 'plot']) expect(r.stdout).toContain(s);
    const m = await cli('lightcurve', 'merge', '--help');
    for (const o of ['--band', '--target', '--output', '--period', '--bin-days', '--sigma', '--inflate', '--output-bin-days', '--json']) expect(m.stdout).toContain(o);
  });

  it('merge: recovers the sites’ offsets, rejects the wild points, writes a CSV and one JSON document', async () => {
    const dir = tmp();
    const { files, offsets } = writeSites(dir);
    const out = join(dir, 'merged.csv');
    const r = await cli('lightcurve', 'merge', ...files, '--band', 'V', '--target', 'TEST STAR', '--reference', 'north', '--bin-days', '0.01', '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.reference).toBe('north');
    expect(doc.rejected).toBeGreaterThanOrEqual(3);
    expect(doc.target).toBe('TEST STAR');
    for (const o of doc.offsets) {
      expect(Math.abs(o.offset - offsets[o.site])).toBeLessThan(0.01);
      expect(Object.keys(o).sort()).toEqual(['errorScale', 'fluxRatio', 'offset', 'offsetErr', 'points', 'reference', 'rejected', 'site']);
    }
    const lc = parseLightCurveCsvText(readFileSync(out, 'utf8'));
    expect(lc.t.length).toBe(doc.kept);
    expect(lc.target).toBe('TEST STAR');
    expect(new Set(lc.site)).toEqual(new Set(['north', 'south', 'east']));
    // No steps: every point within 5σ of the injected curve.
    for (let i = 0; i < lc.t.length; i++) expect(Math.abs(lc.y[i] - (13 + 0.3 * Math.sin((2 * Math.PI * lc.t[i]) / 3.1)))).toBeLessThan(0.05);
    // Binned output, human-readable report.
    const binned = join(dir, 'binned.csv');
    const h = await cli('lightcurve', 'merge', ...files, '--bin-days', '0.01', '--output-bin-days', '0.05', '-o', binned);
    expect(h.code, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/reference/);
    expect(parseLightCurveCsvText(readFileSync(binned, 'utf8')).t.length).toBeLessThan(lc.t.length / 5);
  });

  it('merge: periodic model with --period, and usage errors with exit status 2', async () => {
    const dir = tmp();
    const { files } = writeSites(dir);
    const r = await cli('lightcurve', 'merge', ...files, '--period', '3.1', '--nterms', '1', '-o', join(dir, 'p.csv'), '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).model).toEqual({ kind: 'periodic', periodDays: 3.1, nterms: 1 });
    expect((await cli('lightcurve', 'merge', ...files, '--band', 'R', '-o', join(dir, 'x.csv'))).code).toBe(2);
    expect((await cli('lightcurve', 'merge', ...files, '--sigma', '0', '-o', join(dir, 'x.csv'))).code).toBe(2);
    expect((await cli('lightcurve', 'merge', ...files, '--model', 'periodic', '-o', join(dir, 'x.csv'))).code).toBe(2);
    const missing = await cli('lightcurve', 'merge', join(dir, 'nope.csv'), '-o', join(dir, 'x.csv'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nope\.csv: no such file/);
    expect(existsSync(join(dir, 'x.csv'))).toBe(false);
  });

  it('import: AAVSO download → CSV with astropy’s BJD_TDB, TESS FITS → CSV', async () => {
    const dir = tmp();
    const g = ARCHIVAL.aavso;
    const out = join(dir, 'aavso.csv');
    const r = await cli('lightcurve', 'import', join(FIX, 'aavso-download.csv'), '--format', 'aavso', '--ra', String(g.ra), '--dec', String(g.dec), '-o', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.format).toBe('aavso');
    expect(doc.points).toBe(g.bjdTdb.length);
    expect(doc.details.skippedFainterThan).toBe(1);
    const lc = parseLightCurveCsvText(readFileSync(out, 'utf8'));
    for (let i = 0; i < lc.t.length; i++) expect(Math.abs(lc.t[i] - g.bjdTdb[i]) * 86400).toBeLessThan(0.02);
    expect(lc.site).toEqual(g.site);
    // Without coordinates the UTC dates cannot become BJD_TDB.
    const noTarget = await cli('lightcurve', 'import', join(FIX, 'aavso-download.csv'), '-o', join(dir, 'x.csv'));
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toMatch(/--ra\/--dec/);
    const tess = await cli('lightcurve', 'import', join(FIX, 'tess-wasp126-sample.fits'), '--format', 'tess', '-o', join(dir, 'tess.csv'), '--json');
    expect(tess.code, tess.stderr).toBe(0);
    const td = JSON.parse(tess.stdout);
    expect(td.kind).toBe('flux');
    expect(td.firstBjdTdb).toBeGreaterThan(2458327);
  });

  it('export: AAVSO Extended File Format and CSV; plot: an SVG with a legend entry per site', async () => {
    const dir = tmp();
    const g = ARCHIVAL.aavso;
    const csv = join(dir, 'aavso.csv');
    expect((await cli('lightcurve', 'import', join(FIX, 'aavso-download.csv'), '--ra', String(g.ra), '--dec', String(g.dec), '-o', csv)).code).toBe(0);
    const ext = join(dir, 'report.txt');
    const r = await cli('lightcurve', 'export', csv, '--format', 'aavso-extended', '--observer-code', 'OAX', '--ra', String(g.ra), '--dec', String(g.dec), '--band', 'V', '-o', ext, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).points).toBe(g.band.filter((b: string) => b === 'V').length);
    const text = readFileSync(ext, 'utf8');
    expect(text.startsWith('#TYPE=EXTENDED\n#OBSCODE=OAX\n')).toBe(true);
    expect(text).toMatch(/\n#DATE=JD\n/);
    // To standard output without -o.
    const so = await cli('lightcurve', 'export', csv, '--format', 'csv');
    expect(so.code).toBe(0);
    expect(so.stdout).toMatch(/^# OpenAstro light curve/);
    expect((await cli('lightcurve', 'export', csv, '--format', 'aavso-extended', '--ra', '1', '--dec', '2')).code).toBe(2);
    expect((await cli('lightcurve', 'export', csv, '--format', 'aavso-extended', '--observer-code', 'X')).code).toBe(2);
    const svg = join(dir, 'lc.svg');
    const p = await cli('lightcurve', 'plot', csv, '-o', svg, '--band', 'V', '--json');
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout).sites.sort()).toEqual(['DKS', 'HMB', 'PXR']);
    const s = readFileSync(svg, 'utf8');
    expect(s.startsWith('<svg')).toBe(true);
    for (const site of ['DKS', 'HMB', 'PXR']) expect(s).toContain(`>${site} (`);
    expect(readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
  });
});
