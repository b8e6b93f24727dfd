/**
 * The demo's data folder (default ./data): the embedded service's database and objects,
 * each simulated node's state folder, logs, and the demo's own state (how many nights it
 * has simulated, so a re-run continues with the next one).
 *
 * A marker file says the folder is the demo's. The demo writes into a folder only when it
 * is empty, absent, or marked; `--fresh` deletes only a marked folder — never a folder an
 * `openastro serve` or anything else left there — and never the filesystem root, the home
 * folder or the working directory itself.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { DemoError } from './errors.js';
import type { DemoSettings } from './scenario.js';

export const MARKER_FILE = '.openastro-demo';
export const STATE_FILE = 'demo-state.json';

export interface DemoRunRecord {
  /** Real time the run started (ISO). */
  startedAt: string;
  settings: DemoSettings;
  simStart: string;
  simEnd: string;
  nights: number;
  /** Set when the run finished its self-check. */
  passed?: boolean;
}

export interface DemoState {
  format: 'openastro-demo-state';
  version: 1;
  runs: DemoRunRecord[];
}

export interface DemoPaths {
  root: string;
  marker: string;
  state: string;
  logs: string;
  nodes: string;
}

export function demoPaths(root: string): DemoPaths {
  const abs = path.resolve(root);
  return { root: abs, marker: path.join(abs, MARKER_FILE), state: path.join(abs, STATE_FILE), logs: path.join(abs, 'logs'), nodes: path.join(abs, 'nodes') };
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** Refuses paths no demo should ever delete, whatever marker they hold. */
function checkDeletable(dir: string, cwd: string): void {
  const forbidden = [path.parse(dir).root, homedir(), path.resolve(cwd)].map((p) => path.resolve(p));
  if (forbidden.includes(path.resolve(dir))) {
    throw new DemoError('NOT_DEMO_DIR', `${dir} is the filesystem root, the home folder or the working directory; --fresh will not delete it (give --data a folder of its own)`);
  }
}

/**
 * Makes `root` ready: created and marked if absent or empty; with `fresh`, a marked folder
 * is deleted first. Returns the state of previous runs (none for a new folder).
 */
export async function prepareDataDir(root: string, opts: { fresh: boolean; cwd: string }): Promise<{ paths: DemoPaths; state: DemoState }> {
  const paths = demoPaths(root);
  if (await exists(paths.root)) {
    const info = await stat(paths.root);
    if (!info.isDirectory()) throw new DemoError('NOT_DEMO_DIR', `${paths.root} exists and is not a folder`);
    const entries = await readdir(paths.root);
    const marked = entries.includes(MARKER_FILE);
    if (entries.length > 0 && !marked) {
      throw new DemoError(
        'NOT_DEMO_DIR',
        `${paths.root} holds files but no ${MARKER_FILE} marker: it is not a demo folder (perhaps \`openastro serve\` data); the demo will not write into it or delete it — give --data another folder`,
      );
    }
    if (fresh(opts) && marked) {
      checkDeletable(paths.root, opts.cwd);
      await rm(paths.root, { recursive: true, force: true });
    }
  }
  await mkdir(paths.root, { recursive: true });
  if (!(await exists(paths.marker))) {
    await writeFile(paths.marker, `${JSON.stringify({ createdBy: 'openastro demo', note: 'this folder is the demo’s: `openastro demo --fresh` may delete it' }, null, 2)}\n`);
  }
  return { paths, state: await readState(paths) };
}

function fresh(o: { fresh: boolean }): boolean {
  return o.fresh === true;
}

export async function readState(paths: DemoPaths): Promise<DemoState> {
  let text: string;
  try {
    text = await readFile(paths.state, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { format: 'openastro-demo-state', version: 1, runs: [] };
    throw new DemoError('STATE', `cannot read ${paths.state}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const s = JSON.parse(text) as DemoState;
    if (s.format !== 'openastro-demo-state' || s.version !== 1 || !Array.isArray(s.runs)) throw new Error('not a demo state document (format/version/runs)');
    return s;
  } catch (e) {
    throw new DemoError('STATE', `${paths.state} is unreadable (${(e as Error).message}); run with --fresh to start over`, { cause: e });
  }
}

/** Writes the state atomically (temporary file + rename). */
export async function writeState(paths: DemoPaths, state: DemoState): Promise<void> {
  const tmp = `${paths.state}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
  await rename(tmp, paths.state);
}

/** Nights simulated by earlier runs (the next run starts that many days later). */
export function nightsSoFar(state: DemoState): number {
  return state.runs.reduce((n, r) => n + (Number.isInteger(r.nights) && r.nights > 0 ? r.nights : 0), 0);
}
