/**
 * The dashboard in real headless Chromium (Debian's, via playwright-core) against a real
 * server on loopback: buildServer over an in-memory PGlite seeded through the network
 * rules, the jobs and events routes, fixture routes for the results API, and the web
 * routes serving a fresh Vite build. Each page is checked on the values it shows (node
 * states and their colours, node positions on the map, delivered/required exposure, the
 * best period, points drawn, posterior medians, stretch limits against numpy, RA/Dec under
 * the cursor against astropy, coverage under the cursor, queue depths, failure reasons),
 * on live updates arriving over SSE, and on a phone-sized screen; a screenshot of each
 * page goes to test-output/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { manualClock, type ManualClock } from '../../src/network/clock.js';
import { recordHeartbeat } from '../../src/network/heartbeats/heartbeats.js';
import { creditFrame } from '../../src/network/missions/index.js';
import { assignWork, planNight } from '../../src/network/scheduler/index.js';
import { createRegistry } from '../../src/platform/metrics/registry.js';
import { buildServer } from '../../src/server/app.js';
import { ROUTES } from '../../src/server/routes/index.js';
import { jobsRoutes } from '../../src/server/routes/jobs.js';
import { eventsRoutes } from '../../src/server/routes/events.js';
import { webRoutes } from '../../src/server/routes/web.js';
import type { ServerContext } from '../../src/server/context.js';
import { mapProjector } from '../../web/src/lib/projection.js';
import { fitView, pixelToScreen } from '../../web/src/lib/image-view.js';
import { formatPeriod } from '../../web/src/lib/format.js';
import { missingTools } from '../helpers/tools.js';
import { fixtureRoutes, makeScience, seedNetwork, SITES, T0, TRUE_PERIOD_DAYS, type Science, type Seeded } from './fixtures.js';
import { python } from './python.js';

const CHROMIUM = '/usr/bin/chromium';

/** The little of the DOM the page callbacks touch (this file compiles without lib.dom). */
type El = { dataset: Record<string, string | undefined>; textContent: string | null };
type Win = { getComputedStyle(el: unknown): { backgroundColor: string }; document: { documentElement: { scrollWidth: number } } };
const skip = missingTools({ commands: ['chromium'] });
const SHOTS = path.resolve('test-output/screenshots');

describe.skipIf(skip !== undefined)('dashboard in Chromium', () => {
  let database: Database;
  let clock: ManualClock;
  let ctx: ServerContext;
  let app: FastifyInstance;
  let browser: Browser;
  let page: Page;
  let base: string;
  let outDir: string;
  let seeded: Seeded;
  let science: Science;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(tmpdir(), 'oa-dashboard-'));
    mkdirSync(SHOTS, { recursive: true });
    const { build } = await import('vite');
    const { chromium } = await import('playwright-core');
    // The build and the database start side by side: both take seconds.
    const [db] = await Promise.all([
      openDatabase({ memory: true }),
      build({
        configFile: path.resolve('web/vite.config.ts'),
        logLevel: 'warn',
        build: { outDir: path.join(outDir, 'web'), emptyOutDir: true, sourcemap: false },
      }),
    ]);
    database = db;
    clock = manualClock(T0);
    ctx = { database, clock, heartbeatIntervalS: 20, leaseS: 120 };
    seeded = await seedNetwork(database);
    science = makeScience(seeded.missions.rrlyr);
    app = buildServer(ctx, {
      config: { auth: { operatorTokens: [], readsOpen: true } },
      logger: pino({ level: 'silent' }),
      metrics: createRegistry(),
      routes: [
        ...ROUTES.filter((r) => r.name === 'nodes'),
        { name: 'jobs', register: (a, c) => jobsRoutes(a, c) },
        { name: 'fixtures', register: (a) => fixtureRoutes(ctx, science, seeded.missions.rrlyr)(a) },
        { name: 'events', register: (a, c) => eventsRoutes(a, c, { intervalMs: 200 }) },
        { name: 'web', register: (a, c) => webRoutes(a, c, { root: path.join(outDir, 'web') }) },
      ],
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') pageErrors.push(msg.text());
    });
  }, 120_000);

  afterEach(() => {
    // No script error on any page (a failed fetch the page handles is not one).
    expect(pageErrors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  const textOf = (selector: string) => page.locator(selector).first().innerText();

  it('network: states with their colours, map positions, tonight’s plan, live updates, phone layout', async () => {
    await page.goto(`${base}/network`);
    await page.waitForSelector('.node-table tbody tr');
    await page.waitForSelector('svg.world-map circle.node-dot');
    await expect.poll(() => page.locator('#live-status').getAttribute('data-status')).toBe('live');

    const rows = page.locator('.node-table tbody tr');
    expect(await rows.count()).toBe(6);
    const row = (name: string) => page.locator('.node-table tbody tr', { hasText: name });
    const cellTexts = async (name: string) => (await row(name).locator('td').allInnerTexts()).map((s) => s.trim());
    expect(await cellTexts('lasilla-1')).toEqual(['lasilla-1', 'La Silla', 'FAULTED', expect.stringMatching(/ago$/), 'NGC 300', 'ok']);
    expect(await cellTexts('saao-1')).toEqual(['saao-1', 'Sutherland', 'PARKED', 'never', '—', '—']);
    expect((await cellTexts('ohp-t1')).slice(1, 5)).toEqual(['Observatoire de Haute-Provence', 'BUSY', expect.stringMatching(/ago$|just now/), 'Vega']);
    const colour = (name: string) => row(name).locator('.badge').evaluate((el) => (globalThis as unknown as Win).getComputedStyle(el).backgroundColor);
    expect(await colour('lasilla-1')).toBe('rgb(214, 59, 47)');
    expect(await colour('ohp-t1')).toBe('rgb(47, 111, 214)');
    expect(await colour('sso-c14')).toBe('rgb(46, 158, 68)');
    expect(await colour('mk-rc')).toBe('rgb(138, 143, 152)');
    const count = (state: string) => textOf(`.count[data-state=${state}] .count-n`);
    expect([await count('ONLINE'), await count('BUSY'), await count('PARKED'), await count('FAULTED')]).toEqual(['2', '1', '2', '1']);

    // The map: one dot per node, in its state's colour, at its site's projected position.
    expect(await page.locator('circle.node-dot').count()).toBe(6);
    const dot = (id: string) => page.locator(`circle.node-dot[data-node-id="${id}"]`);
    expect(await dot(seeded.nodes['lasilla-1']).getAttribute('fill')).toBe('#d63b2f');
    const width = Number(await page.locator('svg.world-map').getAttribute('width'));
    const proj = mapProjector(width);
    for (const [node, key] of [
      ['sso-c14', 'sso'],
      ['mk-rc', 'mk'],
      ['lasilla-1', 'ls'],
    ] as const) {
      const site = SITES.find((s) => s.key === key)!;
      const [x, y] = proj.project(site.longitudeDeg, site.latitudeDeg);
      expect(Number(await dot(seeded.nodes[node]).getAttribute('cx'))).toBeCloseTo(x, 6);
      expect(Number(await dot(seeded.nodes[node]).getAttribute('cy'))).toBeCloseTo(y, 6);
    }

    // Tonight's plan of a node picked on the map: what the planner says for that node now.
    const plan = await planNight(database.db, seeded.nodes['ohp-t2'], clock.now());
    expect(plan.entries.length).toBeGreaterThan(0);
    await dot(seeded.nodes['ohp-t2']).click();
    await page.waitForSelector('.plan-table');
    expect(Number(await page.locator('.plan-table').getAttribute('data-entries'))).toBe(plan.entries.length);
    expect(await page.locator('.plan-table tbody tr').count()).toBe(plan.entries.length);
    const firstPlanRow = await page.locator('.plan-table tbody tr').first().locator('td').allInnerTexts();
    expect(firstPlanRow[1]).toBe(plan.entries[0].missionName);
    expect(firstPlanRow[0]).toBe(`${plan.entries[0].startUtc.toISOString().slice(11, 16)}–${plan.entries[0].endUtc.toISOString().slice(11, 16)}`);
    expect(page.url()).toBe(`${base}/network/${seeded.nodes['ohp-t2']}`);
    await page.screenshot({ path: path.join(SHOTS, 'network.png'), fullPage: true });

    // Live: Mauna Kea opens and slews to M 31; La Silla comes back.
    clock.advance(10_000);
    await recordHeartbeat(database.db, seeded.nodes['mk-rc'], { state: 'BUSY', currentTarget: 'M 31', weatherOk: true }, clock.now());
    await recordHeartbeat(database.db, seeded.nodes['lasilla-1'], { state: 'ONLINE', currentTarget: null, weatherOk: true }, clock.now());
    await expect.poll(() => row('mk-rc').locator('.badge').innerText(), { timeout: 5000 }).toBe('BUSY');
    expect(await row('mk-rc').locator('td.target').innerText()).toBe('M 31');
    await expect.poll(() => count('FAULTED'), { timeout: 5000 }).toBe('0');
    expect(await dot(seeded.nodes['lasilla-1']).getAttribute('fill')).toBe('#2e9e44');
    expect(await colour('mk-rc')).toBe('rgb(47, 111, 214)');

    // A phone: everything fits the width.
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.goto(`${base}/network`);
    await phone.waitForSelector('svg.world-map circle.node-dot');
    expect(await phone.evaluate(() => (globalThis as unknown as Win).document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await phone.locator('circle.node-dot').count()).toBe(6);
    await phone.screenshot({ path: path.join(SHOTS, 'network-phone.png'), fullPage: true });
    await phone.close();
  });

  it('missions: delivered vs required, tasks and nodes, the task cut short and its remainder, live credit', async () => {
    // Client-side navigation from the network page.
    await page.click('#nav a[data-page=missions]');
    await page.waitForSelector('.mission-card');
    expect(new URL(page.url()).pathname).toBe('/missions');
    const card = page.locator(`.mission-card[data-mission-id="${seeded.missions.vega}"]`);
    expect(await card.locator('.mission-numbers').innerText()).toBe('180 s of 600 s delivered');
    expect(await card.locator('.progress-label').innerText()).toBe('3 min / 10 min (30.0%)');
    expect(await card.locator('.badge').innerText()).toBe('ACTIVE');
    expect(await card.locator('.chip').allInnerTexts()).toEqual(['1 pending', '1 partial']);
    expect(await page.locator('.mission-card').count()).toBe(3);

    await card.click();
    await page.waitForSelector('.task-table');
    expect(await textOf('dd[data-field=delivered]')).toBe('180 s');
    expect(await textOf('dd[data-field=required]')).toBe('600 s');
    expect(await textOf('dd[data-field=remaining]')).toBe('420 s');
    expect(await textOf('dd[data-field=reassignments]')).toBe('1');
    const tasks = await page.locator('.task-table tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim())));
    expect(tasks).toEqual([
      ['#1', 'PARTIAL', 'ohp-t1', '3 min / 10 min (30.0%)', '600 s', 'any time', ''],
      ['#2', 'PENDING', '—', '0 s / 7 min (0%)', '420 s', 'any time', '#1'],
    ]);
    expect(await page.locator('.partial-table tbody tr td').allInnerTexts()).toEqual(['#1', 'ohp-t1', '180 s of 600 s', '#2']);
    expect(await page.locator('.contrib-table tbody tr td').allInnerTexts()).toEqual(['ohp-t1', '3 min', '3', '0', '0', '1']);

    // Live: ohp-t2 takes the remainder and delivers one frame.
    clock.advance(5000);
    const work = (await assignWork(database.db, seeded.nodes['ohp-t2'], clock.now(), { leaseS: 600 }))!;
    expect(work.task.id).toBe(seeded.remainderTaskId);
    await creditFrame(database.db, { missionId: seeded.missions.vega, taskId: work.task.id, nodeId: seeded.nodes['ohp-t2'], frame: { startedAt: clock.now() }, exposureS: 60, accepted: true }, clock.now());
    await expect.poll(() => card.locator('.mission-numbers').innerText(), { timeout: 5000 }).toBe('240 s of 600 s delivered');
    await expect.poll(() => textOf('dd[data-field=delivered]'), { timeout: 5000 }).toBe('240 s');
    expect(await page.locator('.task-table tbody tr').nth(1).locator('td').nth(1).innerText()).toBe('RUNNING');
    expect(await page.locator('.task-table tbody tr').nth(1).locator('td').nth(2).innerText()).toBe('ohp-t2');
    await page.screenshot({ path: path.join(SHOTS, 'missions.png'), fullPage: true });
  });

  it('science: light curve, periodogram, folding, O−C, posterior, stack viewer (astropy, numpy), alerts', async () => {
    await page.goto(`${base}/science/${seeded.missions.rrlyr}`);
    await page.waitForSelector('.best-period');
    const pg = science.periodogram;
    expect(Math.abs(pg.bestPeriodDays - TRUE_PERIOD_DAYS) / TRUE_PERIOD_DAYS).toBeLessThan(1e-3);
    expect(await textOf('.best-period strong')).toBe(formatPeriod(pg.bestPeriodDays));
    expect(Number(await page.locator('.chart-periodogram').getAttribute('data-points'))).toBe(pg.periodsDays.length);
    expect(await page.locator('.peak-table tbody tr').count()).toBe(5);

    const n = science.lightcurve.points.length;
    await page.waitForSelector('.chart-lightcurve canvas');
    expect(Number(await page.locator('.chart-lightcurve').getAttribute('data-points'))).toBe(n);
    expect(await textOf('.chart-lightcurve .chart-summary')).toBe(`${n} points from 3 sites · band V`);
    expect(await page.locator('.chart-lightcurve .legend-item').evaluateAll((els) => els.map((e) => [(e as unknown as El).dataset.site, (e as unknown as El).dataset.points]))).toEqual([
      ['Mauna Kea', '72'],
      ['Observatoire de Haute-Provence', '72'],
      ['Siding Spring', '72'],
    ]);
    await page.waitForSelector('.chart-phase canvas');
    expect(Number(await page.locator('.chart-phase').getAttribute('data-points'))).toBe(n);
    expect(await textOf('.chart-phase .chart-summary')).toContain(`Folded on P = ${formatPeriod(pg.bestPeriodDays)}`);
    await page.locator('.peak-table tbody tr').nth(1).locator('button').click();
    expect(await textOf('.chart-phase .chart-summary')).toContain(`Folded on P = ${formatPeriod(pg.peaks[1].periodDays)}`);

    await page.waitForSelector('.chart-oc canvas');
    expect(Number(await page.locator('.chart-oc').getAttribute('data-points'))).toBe(science.oc.points.length);
    expect(await textOf('.chart-oc .chart-summary')).toBe('WASP-Test b: 21 transit times · model median with 68 % and 95 % bands (61 epochs)');

    await page.waitForSelector('svg.corner');
    const post = science.posterior;
    expect(await page.locator('.posterior-table .median').evaluateAll((els) => els.map((e) => Number((e as unknown as El).dataset.median)))).toEqual(post.parameters.map((p) => p.median));
    expect(await page.locator('svg.corner g.corner-cell').count()).toBe(6);
    expect(await page.locator('svg.corner g.corner-diag').count()).toBe(3);
    const titles = await page.locator('svg.corner text.corner-title').allTextContents();
    expect(titles.map((t) => t.split(' = ')[0])).toEqual(['mass', 'period', 'eccentricity']);
    // Each diagonal histogram holds the draws inside its 0.5–99.5 % range (+5 % pad): ≥ 99 %.
    for (const counts of await page.locator('svg.corner path.corner-hist').evaluateAll((els) => els.map((e) => (e as unknown as El).dataset.counts!))) {
      const total = counts.split(',').map(Number).reduce((a: number, b: number) => a + b, 0);
      expect(total).toBeGreaterThanOrEqual(0.99 * post.samples.length);
      expect(total).toBeLessThanOrEqual(post.samples.length);
    }

    expect(await page.locator('.alerts li').count()).toBe(2);
    expect(await page.locator('.alerts li .alert-message').allInnerTexts()).toEqual(['RR Lyr period recovered: 0.56684 d', 'New source at RA 10.70°, Dec +41.30°, 17.8 mag']);

    // The stack viewer: limits against numpy, RA/Dec under the cursor against astropy.
    await page.waitForSelector('.stack-viewer[data-loaded=true]');
    const fitsPath = path.join(outDir, 'stack.fits');
    writeFileSync(fitsPath, science.stack.fits);
    const limits = async () => [Number(await page.locator('.limits-label').getAttribute('data-lo')), Number(await page.locator('.limits-label').getAttribute('data-hi'))];
    const canvas = page.locator('canvas.stack-canvas');
    await canvas.scrollIntoViewIfNeeded();
    const box = (await canvas.boundingBox())!;
    const readout = async () =>
      page.locator('.readout').evaluate((el) => {
        const d = (el as unknown as El).dataset;
        return { x: Number(d.x), y: Number(d.y), ra: Number(d.raDeg), dec: Number(d.decDeg), coverage: d.coverage === undefined ? null : Number(d.coverage), text: el.textContent ?? '' };
      });
    // Whole CSS pixels: Chromium reports wheel positions rounded.
    const sx = Math.round(box.x + 0.37 * box.width);
    const sy = Math.round(box.y + 0.61 * box.height);
    await page.mouse.move(sx, sy);
    const r1 = await readout();
    const [lo99, hi99] = await limits();
    await page.selectOption('select.limits', { label: 'min–max' });
    const [loAll, hiAll] = await limits();
    const golden = python<{ p: number[]; min: number; max: number; sky: number[] }>(
      `
import sys, json, warnings, numpy as np
from astropy.io import fits
from astropy.wcs import WCS
d = json.load(sys.stdin)
with fits.open(d['path']) as f:
    data = f[0].data.astype(np.float64); hdr = f[0].header
warnings.simplefilter('ignore')
sky = WCS(hdr).all_pix2world([[d['x'], d['y']]], 0)[0]
print(json.dumps({'p': [float(v) for v in np.nanpercentile(data, [0.5, 99.5])], 'min': float(np.nanmin(data)), 'max': float(np.nanmax(data)), 'sky': [float(sky[0]), float(sky[1])]}))
`,
      { path: fitsPath, x: r1.x, y: r1.y },
    );
    expect(lo99).toBeCloseTo(golden.p[0], 6);
    expect(hi99).toBeCloseTo(golden.p[1], 6);
    expect(loAll).toBeCloseTo(golden.min, 6);
    expect(hiAll).toBeCloseTo(golden.max, 6);
    const dRaArcsec = (r1.ra - golden.sky[0]) * Math.cos((golden.sky[1] * Math.PI) / 180) * 3600;
    expect(Math.abs(dRaArcsec)).toBeLessThan(1e-4);
    expect(Math.abs((r1.dec - golden.sky[1]) * 3600)).toBeLessThan(1e-4);
    expect(r1.text).toMatch(/RA 00:42:\d\d\.\d\d {2}Dec \+41:\d\d:\d\d\.\d/);
    const idx = Math.round(r1.y) * science.stack.width + Math.round(r1.x);
    expect(r1.text).toContain(`value ${Number(science.stack.image[idx].toPrecision(6))}`);

    // Zoom about the cursor keeps the pixel under it; a drag carries the pixel with it.
    const scale0 = Number(await page.locator('.zoom-label').getAttribute('data-scale'));
    await page.mouse.move(sx, sy);
    await page.mouse.wheel(0, -400);
    await expect.poll(async () => Number(await page.locator('.zoom-label').getAttribute('data-scale'))).toBeGreaterThan(scale0 * 1.5);
    const r2 = await readout();
    expect(r2.x).toBeCloseTo(r1.x, 4);
    expect(r2.y).toBeCloseTo(r1.y, 4);
    await page.mouse.down();
    await page.mouse.move(sx + 40, sy + 25, { steps: 5 });
    await page.mouse.up();
    const r3 = await readout();
    expect(r3.x).toBeCloseTo(r1.x, 4);
    expect(r3.y).toBeCloseTo(r1.y, 4);

    // Coverage overlay: frames per pixel under the cursor, as in the coverage map.
    await page.locator('input.coverage-toggle').check();
    await page.waitForSelector('.stack-viewer[data-coverage=on]');
    await page.mouse.move(sx + 40, sy + 25);
    const r4 = await readout();
    const cidx = Math.round(r4.y) * science.stack.width + Math.round(r4.x);
    expect(r4.coverage).toBe(science.stack.coverage[cidx]);
    expect(r4.text).toContain(`coverage ${science.stack.coverage[cidx]} frames`);
    expect(r4.coverage).toBe(12);
    // Back to the whole image: pixel (10, 150) lies in the 4-frame corner.
    await page.click('.stack-viewer button[title="Whole image"]');
    const [cx, cy] = pixelToScreen(fitView(science.stack.width, science.stack.height, box.width, box.height), science.stack.height, 10, 150);
    await page.mouse.move(box.x + cx, box.y + cy);
    const r5 = await readout();
    expect(r5.x).toBeCloseTo(10, 1);
    expect(r5.y).toBeCloseTo(150, 1);
    expect(r5.coverage).toBe(4);
    await page.mouse.move(box.x - 5, box.y - 5);
    await page.locator('input.coverage-toggle').uncheck();
    await page.locator('.peak-table tbody tr').first().locator('button').click();
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: path.join(SHOTS, 'science.png'), fullPage: true });

    // Another mission without results: each panel says so.
    await page.selectOption('select.mission-picker', seeded.missions.m31);
    await expect.poll(() => textOf('.lc-box')).toBe('No light curve for this yet.');
    expect(await textOf('.stack-box')).toBe('No stacked image for this yet.');
    expect(new URL(page.url()).pathname).toBe(`/science/${seeded.missions.m31}`);
  });

  it('jobs: queue depths, running progress (live), failures with reasons', async () => {
    await page.goto(`${base}/jobs`);
    await page.waitForSelector('.depth-table');
    const depth = (q: string, s: string) => textOf(`.depth[data-queue=${q}][data-state=${s}]`);
    expect([await depth('ingest', 'queued'), await depth('stack', 'active'), await depth('image', 'failed'), await depth('science', 'failed'), await depth('inference', 'queued')]).toEqual(['3', '1', '1', '1', '0']);
    expect(await textOf('.running-table .progress-label')).toBe('co-adding frame 8 of 20 (40.0%)');
    await page.waitForSelector('.failed-table');
    const reasons = await page.locator('.failed-table .fail-reason').allInnerTexts();
    expect(reasons.sort()).toEqual(['light curve has 3 points; a period search needs 10', 'plate solve failed: no match for 40 stars within 2° of the hint']);

    await database.db.updateTable('pipeline_jobs').set({ progress: 0.75, message: 'co-adding frame 15 of 20' }).where('id', '=', seeded.activeJobId).execute();
    await expect.poll(() => textOf('.running-table .progress-label'), { timeout: 5000 }).toBe('co-adding frame 15 of 20 (75.0%)');
    await page.screenshot({ path: path.join(SHOTS, 'jobs.png'), fullPage: true });
  });

  it('deep links load any page; an unknown page says so', async () => {
    await page.goto(`${base}/missions/${seeded.missions.m31}`);
    await page.waitForSelector('.task-table');
    expect(await page.locator('h3.detail-title').innerText()).toContain('M 31 deep L');
    await page.goto(`${base}/no/such/page`);
    expect(await textOf('main h2')).toBe('Not found');
  });
});
