/**
 * `openastro demo --fast` end to end, in this process, on the embedded database (what
 * `npm start` runs): the service, four simulated nodes, the pipeline, the self-check. Every
 * row must pass, and the numbers behind the rows are checked against the injected truth
 * here too, independently of the rows' own verdicts.
 *
 * The demo runs with `serve` on, so while it waits after its summary the dashboard is
 * checked in real headless Chromium (Debian's, via playwright-core) against the running
 * demo: each page shows what the API holds for this run (node states, exposure delivered,
 * the recovered period, points, O−C, posterior medians, the stack), and a screenshot of
 * each page goes to test-output/screenshots/demo-*.png.
 *
 * One engine only: the demo costs ~100 s, and PostgreSQL is exercised by the service and
 * pipeline tests (docs/decisions/0045-demo-test-one-engine.md).
 */
import { mkdirSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { runDemo, type DemoOutcome } from '../../src/demo/runner.js';
import { defaultSettings } from '../../src/demo/scenario.js';
import type { SummaryRow } from '../../src/demo/summary.js';
import { formatPeriod } from '../../web/src/lib/format.js';
import { missingTools } from '../helpers/tools.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve('test-output/screenshots');
const noBrowser = missingTools({ commands: ['chromium'] });
/** The little of the DOM the page callbacks touch (this file compiles without lib.dom). */
type El = { dataset: Record<string, string | undefined> };

function row(o: DemoOutcome, check: string): SummaryRow {
  const r = o.rows.find((x) => x.check === check);
  if (!r) throw new Error(`no row '${check}' in ${o.rows.map((x) => x.check).join(', ')}`);
  return r;
}

async function api<T>(base: string, p: string): Promise<T> {
  const r = await fetch(`${base}${p}`);
  if (!r.ok) throw new Error(`GET ${p}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

describe('openastro demo --fast (embedded database)', () => {
  let dir: string;
  let stdout = '';
  let progress = '';
  const stop = new AbortController();
  let running: Promise<DemoOutcome>;
  let base: string | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-demo-fast-'));
    running = runDemo({
      dataDir: 'data',
      cwd: dir,
      settings: defaultSettings(true),
      fresh: false,
      port: 0,
      serve: true,
      env: {},
      out: (t) => (stdout += t),
      progress: { write: (t) => (progress += t), tty: false },
      signal: stop.signal,
      // The demo's clock waits for a busy machine; in CI it shares two cores with other test files.
      budgetS: 240,
    });
    // The summary is printed, then the demo serves until aborted; a failure settles `running`.
    let settled = false;
    void running.then(
      () => (settled = true),
      () => (settled = true),
    );
    const deadline = Date.now() + 250_000;
    while (base === undefined && !settled && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      base = /Dashboard: (http:\/\/\S+?)\/\s/.exec(stdout)?.[1];
    }
  }, 260_000);

  afterAll(async () => {
    stop.abort();
    await running?.catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  describe.skipIf(noBrowser !== undefined)('dashboard in Chromium against the running demo', () => {
    let browser: Browser;
    let page: Page;
    const pageErrors: string[] = [];
    beforeAll(async () => {
      if (base === undefined) return;
      mkdirSync(SHOTS, { recursive: true });
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM });
      page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      page.on('pageerror', (err) => pageErrors.push(err.message));
    }, 60_000);
    afterAll(async () => {
      await browser?.close();
    });
    const textOf = (selector: string) => page.locator(selector).first().innerText();

    it('shows the network, the missions, the science and the jobs of this run', async () => {
      expect(base, `the demo did not reach its summary:\n${stdout}\n${progress.slice(-2000)}`).toBeDefined();
      const url = base as string;
      const nodes = await api<{ nodes: Array<{ id: string; name: string; state: string }> }>(url, '/api/v1/nodes');
      const { missions } = await api<{ missions: Array<{ id: string; name: string; state: string }> }>(url, '/api/v1/missions');
      const mission = (prefix: string) => {
        const m = missions.find((x) => x.name.startsWith(prefix));
        if (!m) throw new Error(`no mission '${prefix}…' in ${missions.map((x) => x.name).join(', ')}`);
        return m;
      };

      // Network: one row per simulated node, in the state the service holds; the dropped node FAULTED.
      await page.goto(`${url}/network`);
      await page.waitForSelector('.node-table tbody tr');
      await page.waitForSelector('svg.world-map circle.node-dot');
      expect(nodes.nodes).toHaveLength(4);
      expect(await page.locator('.node-table tbody tr').count()).toBe(4);
      for (const n of nodes.nodes) {
        const r = page.locator('.node-table tbody tr', { hasText: n.name });
        await expect.poll(() => r.locator('.badge').innerText(), { timeout: 5000 }).toBe(n.state);
      }
      const dropped = /(\S+) drops off the network mid-task/.exec(progress)?.[1];
      expect(dropped).toBeDefined();
      expect(await page.locator('.node-table tbody tr', { hasText: dropped! }).locator('.badge').innerText()).toBe('FAULTED');
      expect(await page.locator('circle.node-dot').count()).toBe(4);
      await page.screenshot({ path: path.join(SHOTS, 'demo-network.png'), fullPage: true });

      // Missions: one card per mission in the state the service holds; a complete one at 100 %.
      await page.goto(`${url}/missions`);
      await page.waitForSelector('.mission-card');
      expect(await page.locator('.mission-card').count()).toBe(missions.length);
      expect(missions.map((m) => m.name.split(':')[0]).sort()).toEqual(['Deep field', 'Light curve', 'ToO', 'Transit timing']);
      for (const m of missions) {
        const card = page.locator(`.mission-card[data-mission-id="${m.id}"]`);
        expect(await card.locator('.badge').innerText()).toBe(m.state);
        if (m.state === 'COMPLETE') expect(await card.locator('.progress-label').innerText()).toMatch(/\(100(\.0)?%\)$/);
      }
      expect(mission('Deep field').state).toBe('COMPLETE');
      await page.screenshot({ path: path.join(SHOTS, 'demo-missions.png'), fullPage: true });

      // Science, variable star: the recovered period (within 1.5 % of the injected one) and every point.
      const variable = mission('Light curve');
      const pg = await api<{ bestPeriodDays: number }>(url, `/api/v1/missions/${variable.id}/periodogram`);
      const lc = await api<{ points: unknown[] }>(url, `/api/v1/missions/${variable.id}/lightcurve`);
      await page.goto(`${url}/science/${variable.id}`);
      await page.waitForSelector('.best-period');
      expect(await textOf('.best-period strong')).toBe(formatPeriod(pg.bestPeriodDays));
      // Within 2.5 % of the injected period (a one-night alias would be off by far more).
      const truthPeriod = Number(/Variable star period[^│]*│ *([0-9.]+) d/.exec(stdout)?.[1]);
      expect(Math.abs(pg.bestPeriodDays / truthPeriod - 1)).toBeLessThan(0.025);
      await page.waitForSelector('.chart-lightcurve canvas');
      expect(lc.points.length).toBeGreaterThanOrEqual(12);
      expect(Number(await page.locator('.chart-lightcurve').getAttribute('data-points'))).toBe(lc.points.length);
      await page.waitForSelector('.chart-phase canvas');
      await page.screenshot({ path: path.join(SHOTS, 'demo-science-variable.png'), fullPage: true });

      // Science, transiting planet: O−C of the archival timings and the posterior medians.
      const transit = mission('Transit timing');
      const oc = await api<{ points: unknown[] }>(url, `/api/v1/missions/${transit.id}/oc`);
      const post = await api<{ parameters: Array<{ median: number }> }>(url, `/api/v1/missions/${transit.id}/posterior`);
      await page.goto(`${url}/science/${transit.id}`);
      await page.waitForSelector('.chart-oc canvas');
      expect(oc.points.length).toBeGreaterThanOrEqual(40);
      expect(Number(await page.locator('.chart-oc').getAttribute('data-points'))).toBe(oc.points.length);
      await page.waitForSelector('svg.corner');
      const medians = await page.locator('.posterior-table .median').evaluateAll((els) => els.map((e) => Number((e as unknown as El).dataset.median)));
      expect(medians).toEqual(post.parameters.map((p) => p.median));
      await page.screenshot({ path: path.join(SHOTS, 'demo-science-transit.png'), fullPage: true });

      // Science, deep field: the stack loads in the viewer.
      await page.goto(`${url}/science/${mission('Deep field').id}`);
      await page.waitForSelector('.stack-viewer[data-loaded=true]', { timeout: 20_000 });
      await page.screenshot({ path: path.join(SHOTS, 'demo-science-stack.png'), fullPage: true });

      // Jobs: the queue table, and no failed job in this run.
      await page.goto(`${url}/jobs`);
      await page.waitForSelector('.depth-table');
      const jobs = await api<{ failed?: unknown[] }>(url, '/api/v1/jobs');
      expect(await page.locator('.failed-table .fail-reason').count()).toBe(jobs.failed?.length ?? 0);
      await page.screenshot({ path: path.join(SHOTS, 'demo-jobs.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
    }, 90_000);
  });

  it('runs a night of four nodes and recovers the injected truth', async () => {
    stop.abort();
    const outcome = await running;
    const failed = outcome.rows.filter((r) => !r.pass).map((r) => `${r.check}: ${r.recovered}`);
    expect(failed, `${stdout}\n${progress.slice(-3000)}`).toEqual([]);
    expect(outcome.exitCode).toBe(0);
    expect(stdout).toContain('All 11 checks passed.');
    const truth = outcome.scenario.truth;

    const period = row(outcome, 'Variable star period').values!;
    expect(Math.abs(period.recoveredDays - truth.variable.periodDays) / truth.variable.periodDays).toBeLessThan(0.025);

    const mass = row(outcome, 'Perturber mass').values!;
    expect(mass.lo95).toBeLessThanOrEqual(truth.planets.truth.companion.massEarth);
    expect(mass.hi95).toBeGreaterThanOrEqual(truth.planets.truth.companion.massEarth);
    expect(Math.abs(mass.median / truth.planets.truth.companion.massEarth - 1)).toBeLessThan(0.2);
    const per = row(outcome, 'Perturber period').values!;
    expect(Math.abs(per.median - truth.planets.truth.companion.periodDays)).toBeLessThan(0.01);

    const astro = row(outcome, 'Astrometric RMS (plate solutions)').values!;
    expect(astro.rmsArcsec).toBeLessThan(0.5);
    expect(astro.frames).toBeGreaterThanOrEqual(15);

    const phot = row(outcome, 'Photometric scatter (variable)').values!;
    expect(Math.abs(phot.offsetMag)).toBeLessThan(0.03);
    expect(phot.scatterMag).toBeLessThan(0.05);

    const stack = row(outcome, 'Stack depth (galaxy field)').values!;
    expect(stack.frames).toBeGreaterThanOrEqual(6);
    expect(stack.gainMeasured).toBeGreaterThan(1.8);
    expect(Math.abs(stack.ratio - 1)).toBeLessThan(0.15);

    const drop = row(outcome, 'Node drop-out').values!;
    expect(drop.faultedAfterS).toBeGreaterThanOrEqual(60);
    expect(drop.faultedAfterS).toBeLessThanOrEqual(drop.limitS);
    expect(drop.reassignedTo).toBeGreaterThanOrEqual(1);
    expect(row(outcome, 'Partial-exposure accounting').values!.problems).toBe(0);

    expect(row(outcome, 'Target of opportunity latency').values!.latencyMin).toBeLessThanOrEqual(30);
    expect(row(outcome, 'Weather').values!.framesUnderClouds).toBe(0);

    // The data folder is the demo's and remembers the run, so a re-run continues from it.
    const state = JSON.parse(await readFile(path.join(dir, 'data', 'demo-state.json'), 'utf8')) as { runs: Array<{ passed: boolean }> };
    expect(state.runs).toHaveLength(1);
    expect(state.runs[0].passed).toBe(true);
  }, 60_000);
});
