import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MARKER_FILE, nightsSoFar, prepareDataDir, writeState } from '../../src/demo/data-dir.js';
import { DemoError } from '../../src/demo/errors.js';
import { defaultSettings } from '../../src/demo/scenario.js';

describe('demo data folder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'openastro-demo-dir-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates and marks a new folder, and remembers the runs', async () => {
    const root = path.join(dir, 'data');
    const { paths, state } = await prepareDataDir(root, { fresh: false, cwd: dir });
    expect(state.runs).toEqual([]);
    expect(await readdir(root)).toContain(MARKER_FILE);
    state.runs.push({ startedAt: 'x', settings: defaultSettings(true), simStart: 'a', simEnd: 'b', nights: 2 });
    await writeState(paths, state);
    const again = await prepareDataDir(root, { fresh: false, cwd: dir });
    expect(again.state.runs).toHaveLength(1);
    expect(nightsSoFar(again.state)).toBe(2);
  });

  it('--fresh deletes a marked folder and starts over', async () => {
    const root = path.join(dir, 'data');
    const { paths, state } = await prepareDataDir(root, { fresh: false, cwd: dir });
    state.runs.push({ startedAt: 'x', settings: defaultSettings(true), simStart: 'a', simEnd: 'b', nights: 1 });
    await writeState(paths, state);
    await writeFile(path.join(root, 'leftover'), 'x');
    const fresh = await prepareDataDir(root, { fresh: true, cwd: dir });
    expect(fresh.state.runs).toEqual([]);
    expect(await readdir(root)).toEqual([MARKER_FILE]);
  });

  it('will not write into, nor delete, a folder it did not create', async () => {
    const root = path.join(dir, 'serve-data');
    await mkdir(root);
    await writeFile(path.join(root, 'db'), 'someone else’s database');
    for (const fresh of [false, true]) {
      await expect(prepareDataDir(root, { fresh, cwd: dir })).rejects.toMatchObject({ code: 'NOT_DEMO_DIR' });
      expect(await readdir(root)).toEqual(['db']);
    }
  });

  it('will not delete the working directory even when marked', async () => {
    await writeFile(path.join(dir, MARKER_FILE), '{}');
    await expect(prepareDataDir(dir, { fresh: true, cwd: dir })).rejects.toThrow(DemoError);
    expect(await readdir(dir)).toContain(MARKER_FILE);
  });

  it('reports an unreadable state file instead of starting over silently', async () => {
    const root = path.join(dir, 'data');
    const { paths } = await prepareDataDir(root, { fresh: false, cwd: dir });
    await writeFile(paths.state, '{ not json');
    await expect(prepareDataDir(root, { fresh: false, cwd: dir })).rejects.toMatchObject({ code: 'STATE' });
  });
});
