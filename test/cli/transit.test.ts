/**
 * `openastro transit fit`, in-process on a synthetic light curve (our transit model,
 * injected mid-times, seeded white noise): the exported times, the ephemeris, the partial
 * flag and the SVG plots are checked against the injection. The command runs under a root
 * built like program.ts's (the lead registers transitCommand there).
 */
import { Command, CommanderError } from 'commander';
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transitCommand } from '../../src/cli/commands/transit.js';
import { CliError, oneLineReason } from '../../src/cli/errors.js';
import type { CliIo } from '../../src/cli/io.js';
import { Rng } from '../../src/science/inference/random.js';
import { parseTransitTimesCsv } from '../../src/science/ttv/index.js';
import { transitLightCurve } from '../../src/science/transit/index.js';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTty: false, cwd };
  const root = new Command('openastro').exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  root.addCommand(transitCommand(io));
  const all = (c: Command): Command[] => c.commands.flatMap((k) => [k, ...all(k)]);
  for (const c of all(root)) c.exitOverride().configureOutput({ writeOut: (s) => io.stdout(s), writeErr: (s) => io.stderr(s) });
  try {
    await root.parseAsync(argv, { from: 'user' });
    return { code: 0, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.code === 'commander.helpDisplayed' ? 0 : 2, stdout, stderr };
    stderr += `openastro: ${oneLineReason(err)}\n`;
    return { code: err instanceof CliError ? err.exitCode : 1, stdout, stderr };
  }
}

const P = 2.2047354;
const T0 = 2454954.35853;
const SHAPE = { rp: 0.0776, a: 4.15, incDeg: 83.1, u: [0.35, 0.25] as [number, number] };
const NOISE = 4e-4;

describe('openastro transit fit', () => {
  let dir: string;
  const tcTrue: number[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'openastro-transit-'));
    const rng = new Rng(21);
    const rows = ['bjd_tdb,flux,flux_err'];
    const one = new Float64Array(1);
    const out = new Float64Array(1);
    for (let e = 0; e < 6; e++) tcTrue.push(T0 + e * P + 2e-3 * Math.sin(e));
    // Six nights of 1-minute data, ±0.3 d around each transit; the last night ends at mid-transit.
    for (let e = 0; e < 6; e++) {
      for (let x = -0.3; x < (e === 5 ? 0 : 0.3); x += 1 / 1440) {
        one[0] = T0 + e * P + x;
        transitLightCurve(one, { t0: tcTrue[e], periodDays: P, ...SHAPE }, out);
        rows.push(`${one[0]},${out[0] * (1 + 1e-3 * x) + NOISE * rng.normal()},${NOISE}`);
      }
    }
    writeFileSync(join(dir, 'lc.csv'), rows.join('\n') + '\n');
  });

  it('exports the times (ttv-ready CSV), flags the partial transit, and writes both plots', async () => {
    const r = await cli(dir, 'transit', 'fit', 'lc.csv', '--period', String(P), '--t0', String(T0), '--u1', '0.35', '--u2', '0.25', '--mcmc-steps', '300', '-o', 'times.csv', '--plot-dir', 'plots', '--json');
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { shape: { rp: number }; ephemeris: { periodDays: number; sigmaPeriod: number; dof: number }; windows: Array<{ epoch: number; tcDays: number; sigmaDays: number; sigmaLaplaceDays: number; partial: boolean; mcmc?: { tcDays: number } }> };
    expect(doc.windows.map((w) => w.epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(doc.windows.map((w) => w.partial)).toEqual([false, false, false, false, false, true]);
    expect(Math.abs(doc.shape.rp - SHAPE.rp)).toBeLessThan(0.003);
    for (const w of doc.windows) {
      expect(w.mcmc).toBeDefined();
      expect(Math.abs(w.tcDays - tcTrue[w.epoch]) / w.sigmaDays, `epoch ${w.epoch}`).toBeLessThan(3.5);
    }
    // Ephemeris from the 5 complete transits.
    expect(doc.ephemeris.dof).toBe(3);
    expect(Math.abs(doc.ephemeris.periodDays - P)).toBeLessThan(2e-3);
    // The CSV is readable as ttv input and carries the same times.
    const times = parseTransitTimesCsv(readFileSync(join(dir, 'times.csv'), 'utf8'));
    expect(times.planet).toEqual(['b', 'b', 'b', 'b', 'b', 'b']);
    expect(Array.from(times.timeDays)).toEqual(doc.windows.map((w) => w.tcDays));
    const lc = readFileSync(join(dir, 'plots/transit-lc.svg'), 'utf8');
    expect(lc.startsWith('<svg')).toBe(true);
    expect(lc).toMatch(/6 transits/);
    expect((lc.match(/<circle /g) ?? []).length).toBeGreaterThan(2000);
    expect(lc).toMatch(/<path d="M/);
    const oc = readFileSync(join(dir, 'plots/transit-oc.svg'), 'utf8');
    expect((oc.match(/class="point"/g) ?? []).length).toBe(5);
    expect((oc.match(/class="point hollow"/g) ?? []).length).toBe(1);
    expect((oc.match(/class="error-bar"/g) ?? []).length).toBe(6);
  }, 120_000);

  it('prints a table without --json, estimates σ when the file has none (Laplace only)', async () => {
    const text = readFileSync(join(dir, 'lc.csv'), 'utf8')
      .split('\n')
      .map((l) => l.split(',').slice(0, 2).join(','))
      .join('\n');
    writeFileSync(join(dir, 'nosigma.csv'), text);
    const r = await cli(dir, 'transit', 'fit', 'nosigma.csv', '--period', String(P), '--t0', String(T0), '--rp', '0.0776', '--a', '4.15', '--inc', '83.1', '--no-mcmc');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no flux-error column: every point gets the flux scatter 0\.000(39|40|41)\d\n/);
    expect(r.stdout).toMatch(/ephemeris \(b\): T0 = /);
    expect(r.stdout).toMatch(/\n {4}5 .* yes\n/);
    expect(r.stdout).toMatch(/planet,epoch,time,sigma/);
  });

  it('fails with one line and writes nothing on bad input', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'openastro-transit-bad-'));
    writeFileSync(join(bad, 'lc.csv'), 'time,flux\n1,1\n2,x\n');
    const cell = await cli(bad, 'transit', 'fit', 'lc.csv', '--period', '2', '--t0', '1', '-o', 'out.csv');
    expect(cell.code).toBe(1);
    expect(cell.stderr.trim().split('\n')).toHaveLength(1);
    expect(cell.stderr).toMatch(/lc\.csv.*line 3/);
    const missing = await cli(bad, 'transit', 'fit', 'none.csv', '--period', '2', '--t0', '1');
    expect(missing.stderr).toMatch(/^openastro: light curve '.*none\.csv' does not exist/);
    const period = await cli(bad, 'transit', 'fit', 'lc.csv', '--period', '-2', '--t0', '1');
    expect(period.code).toBe(2);
    const noPeriod = await cli(bad, 'transit', 'fit', 'lc.csv', '--t0', '1');
    expect(noPeriod.code).toBe(2);
    expect(noPeriod.stderr).toMatch(/--period/);
    writeFileSync(join(bad, 'flat.csv'), readFileSync(join(dir, 'lc.csv'), 'utf8'));
    const off = await cli(bad, 'transit', 'fit', 'flat.csv', '--period', String(P), '--t0', String(T0 + P / 2), '-o', 'out.csv');
    expect(off.code).toBe(1);
    expect(off.stderr).toMatch(/TransitError/);
    expect(readdirSync(bad).sort()).toEqual(['flat.csv', 'lc.csv']);
    expect(existsSync(join(bad, 'out.csv'))).toBe(false);
  });

  it('prints help', async () => {
    const r = await cli(dir, 'transit', 'fit', '--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: openastro transit fit \[options\] <lc>/);
    expect(r.stdout).toMatch(/--free-shape/);
  });
});
