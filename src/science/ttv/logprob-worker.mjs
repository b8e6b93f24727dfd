// Log-posterior factory for the ensemble sampler's worker threads (science/inference
// LogProbPool imports this module in every worker and calls makeLogProb(init)).
// Plain JavaScript on purpose: on Node 20 a worker thread does not inherit the TypeScript
// loader of vitest or tsx. Compiled (dist/, .bench-build/) the likelihood is the sibling
// likelihood.js; on the sources only likelihood.ts exists, and a worker thread registers
// tsx's loader (a dev dependency) before importing it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

let loaded;

async function loadLikelihood() {
  if (loaded) return loaded;
  const js = new URL('./likelihood.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) {
    loaded = await import(js.href);
  } else {
    if (!isMainThread) {
      const { register } = await import('tsx/esm/api');
      register();
    }
    loaded = await import(new URL('./likelihood.ts', import.meta.url).href);
  }
  return loaded;
}

/** init = { model: TtvModel } (structured clone of buildTtvModel's result). */
export async function makeLogProb(init) {
  const { TtvLikelihood } = await loadLikelihood();
  const likelihood = new TtvLikelihood(init.model);
  return (theta) => likelihood.logPosterior(theta);
}
