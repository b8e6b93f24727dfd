/**
 * `npm run bench [name...]`: runs the benchmark modules and prints every figure beside the
 * reference tool's figure from the same run, with the ratio (×>1 means we are faster or
 * better). Modules: bench/<name>.ts exporting `run(ctx)`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFigure, type BenchContext, type Figure } from './harness.js';

const MODULES: Record<string, () => Promise<{ run(ctx: BenchContext): Promise<void> }>> = {
  fits: () => import('./fits.js'),
  wcs: () => import('./wcs.js'),
  transit: () => import('./transit.js'),
  inference: () => import('./inference.js'),
  dynamics: () => import('./dynamics.js'),
  timeseries: () => import('./timeseries.js'),
  'image-background': () => import('./image-background.js'),
  'image-detect': () => import('./image-detect.js'),
  'image-reproject': () => import('./image-reproject.js'),
  'image-coadd': () => import('./image-coadd.js'),
  astrometry: () => import('./astrometry.js'),
  pipeline: () => import('./pipeline.js'),
  server: () => import('./server.js'),
};

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(MODULES);
  const json = process.argv.includes('--json');
  const all: Array<Figure & { module: string }> = [];
  for (const name of names) {
    const load = MODULES[name];
    if (!load) throw new Error(`unknown benchmark '${name}' (have: ${Object.keys(MODULES).join(', ')})`);
    const tmpDir = mkdtempSync(join(tmpdir(), `openastro-bench-${name}-`));
    try {
      if (!json) console.log(`\n== ${name}`);
      const mod = await load();
      await mod.run({
        tmpDir,
        record(f) {
          all.push({ ...f, module: name });
          if (!json) console.log(formatFigure(f));
        },
      });
    } finally {
      rmSync(tmpDir, { recursive: true, force: true });
    }
  }
  if (json) console.log(JSON.stringify(all, null, 2));
}

main().catch((err: unknown) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
