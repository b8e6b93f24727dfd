import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The repository root, found by walking up to openastro's package.json, so benchmark files
 * find their reference scripts and fixtures whether they run from bench/ (tsx) or from the
 * compiled copy in .bench-build/ (plain node, see decision 0008).
 */
export const REPO_ROOT = findRoot(import.meta.dirname);

function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'openastro') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`bench: cannot find the openastro repository above ${start}`);
    dir = up;
  }
}
