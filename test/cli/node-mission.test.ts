/**
 * `openastro node …` and `openastro mission …` against a real service on loopback
 * (embedded PGlite in a temp directory): the CLI talks HTTP only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config/index.js';
import { createLogger } from '../../src/platform/log/index.js';
import { startService, type Service } from '../../src/server/service.js';
import { runCli } from '../helpers/cli.js';

const OPERATOR = 'test-operator-token-0123456789';
let service: Service;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'openastro-cli-net-'));
  const config = await loadConfig({
    env: { OPENASTRO_DATA_DIR: dir, OPENASTRO_OPERATOR_TOKEN: OPERATOR },
    cwd: dir,
    overrides: [
      { path: 'server.host', value: '127.0.0.1', source: 'test' },
      { path: 'server.port', value: 0, source: 'test' },
    ],
  });
  service = await startService({ config, logger: createLogger({ level: 'silent' }), shutdownGraceMs: 1000 });
}, 60_000);

afterAll(async () => {
  await service?.close();
  rmSync(dir, { recursive: true, force: true });
});

const api = () => ['--server', service.url];

describe('openastro node / mission through the API', () => {
  it('registers a node with a new site and lists it; the token works as that node', async () => {
    const reg = await runCli(
      ['node', 'register', ...api(), '--token', OPERATOR, '--name', 'Pic du Midi T1', '--site-name', 'Pic du Midi',
        '--lat', '42.9364', '--lon', '0.1426', '--elevation', '2877', '--aperture', '300', '--focal-length', '2400',
        '--pixel', '3.76', '--sensor', '6248x4176', '--filters', 'L,V,R', '--json'],
    );
    expect(reg.stderr).toBe('');
    expect(reg.code).toBe(0);
    const out = JSON.parse(reg.stdout) as { site: { id: string; latitudeDeg: number }; node: { id: string; siteId: string; sensorWidthPx: number; filters: string[] }; token: string };
    expect(out.site.latitudeDeg).toBeCloseTo(42.9364, 6);
    expect(out.node.siteId).toBe(out.site.id);
    expect(out.node.sensorWidthPx).toBe(6248);
    expect(out.node.filters).toEqual(['L', 'V', 'R']);
    expect(out.token.length).toBeGreaterThan(30);

    const list = await runCli(['node', 'list', ...api(), '--json']);
    expect(list.code).toBe(0);
    const nodes = (JSON.parse(list.stdout) as { nodes: Array<{ id: string; state: string }> }).nodes;
    expect(nodes.map((n) => n.id)).toContain(out.node.id);
    expect(nodes.find((n) => n.id === out.node.id)?.state).toBe('PARKED');

    // The printed token authenticates as the node (heartbeat), and only as it.
    const hb = await fetch(`${service.url}/api/v1/nodes/${out.node.id}/heartbeat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${out.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'ONLINE', weatherOk: true }),
    });
    expect(hb.status).toBe(200);
    const show = await runCli(['node', 'show', out.node.id, ...api(), '--json']);
    expect((JSON.parse(show.stdout) as { state: string }).state).toBe('ONLINE');
  });

  it('creates a mission, lists it and shows its progress with tasks', async () => {
    const created = await runCli(
      ['mission', 'create', ...api(), '--token', OPERATOR, '--name', 'M67 deep', '--ra', '132.825', '--dec', '11.8',
        '--filter', 'V', '--total', '7200', '--sub', '120', '--priority', '10', '--min-altitude', '30', '--json'],
    );
    expect(created.stderr).toBe('');
    const m = JSON.parse(created.stdout) as { id: string; totalExposureS: number; taskCount: number; state: string };
    expect(m.totalExposureS).toBe(7200);
    // At most an hour of whole frames per task: 7200 s → two tasks (decision 0033).
    expect(m.taskCount).toBe(2);

    const list = await runCli(['mission', 'list', ...api(), '--json']);
    const missions = (JSON.parse(list.stdout) as { missions: Array<{ id: string }> }).missions;
    expect(missions.map((x) => x.id)).toContain(m.id);

    const show = await runCli(['mission', 'show', m.id, ...api(), '--json']);
    const p = JSON.parse(show.stdout) as { requiredExposureS: number; deliveredExposureS: number; tasks: Array<{ exposureS: number }> };
    expect(p.requiredExposureS).toBe(7200);
    expect(p.deliveredExposureS).toBe(0);
    expect(p.tasks.reduce((s, t) => s + t.exposureS, 0)).toBe(7200);

    const text = await runCli(['mission', 'show', m.id, ...api()]);
    expect(text.stdout).toMatch(/delivered 0\.0 of 7200\.0 s \(0\.0 %\)/);
  });

  it('says why it failed: no operator token, bad input, unreachable server', async () => {
    const noToken = await runCli(['mission', 'create', ...api(), '--ra', '10', '--dec', '10', '--filter', 'V', '--total', '60', '--sub', '10']);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/401 UNAUTHORIZED/);

    const bad = await runCli(['mission', 'create', ...api(), '--token', OPERATOR, '--ra', '10', '--dec', '95', '--filter', 'V', '--total', '60', '--sub', '10']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/400 BAD_REQUEST/);
    expect(bad.stderr).toMatch(/dec/i);

    const usage = await runCli(['mission', 'create', ...api(), '--token', OPERATOR, '--filter', 'V', '--total', '60', '--sub', '10']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--ra and --dec/);

    const down = await runCli(['node', 'list', '--server', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
