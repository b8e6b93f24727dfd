// Worker-thread entry of the general pool (pool.ts). Plain JavaScript on purpose: on
// Node 20 a worker does not inherit the TypeScript loader of vitest/tsx, so this file
// must run as-is both beside the .ts sources (tests) and in dist/ (compiled build).
// A task names a module (file URL) and an exported function; a module ending in `.ts`
// makes the worker register tsx's loader in this thread first (tsx is a dev dependency:
// only tests and benchmarks on the sources need it).
import { parentPort } from 'node:worker_threads';

const modules = new Map();
let tsxRegistered = false;

async function load(url) {
  let mod = modules.get(url);
  if (mod) return mod;
  if (!tsxRegistered && /\.[cm]?ts$/.test(url)) {
    const { register } = await import('tsx/esm/api');
    register();
    tsxRegistered = true;
  }
  mod = await import(url);
  modules.set(url, mod);
  return mod;
}

// Buffers of typed arrays in the result (a few levels deep) are handed back without a
// copy; the worker keeps nothing of a finished task.
function transferables(value, out, depth) {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer && !out.includes(value.buffer)) out.push(value.buffer);
    return;
  }
  if (value instanceof ArrayBuffer) {
    if (!out.includes(value)) out.push(value);
    return;
  }
  const items = Array.isArray(value) ? value : Object.values(value);
  for (const v of items) transferables(v, out, depth + 1);
}

function describe(err) {
  if (err instanceof Error) {
    const e = { name: err.name, message: err.message, stack: err.stack };
    if (typeof err.code === 'string') e.code = err.code;
    if (err.location && typeof err.location === 'object') e.location = { ...err.location };
    return e;
  }
  return { name: 'Error', message: String(err) };
}

parentPort.on('message', async (msg) => {
  const { id, module, fn, args } = msg;
  let result;
  try {
    const mod = await load(module);
    const f = mod[fn];
    if (typeof f !== 'function') throw new Error(`${module} has no exported function '${fn}'`);
    result = await f(...args);
  } catch (err) {
    parentPort.postMessage({ id, ok: false, error: describe(err) });
    return;
  }
  const transfer = [];
  transferables(result, transfer, 0);
  parentPort.postMessage({ id, ok: true, result }, transfer);
});
