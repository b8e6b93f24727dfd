// Task functions for pool.test.ts (imported by the workers through tsx).
import { ImageError } from '../../../src/science/image/errors.js';

/** Squares every value; returns a fresh array (its buffer is moved back). */
export function squares(values: Float64Array): Float64Array {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * values[i];
  return out;
}

export async function delayed(ms: number, value: number): Promise<number> {
  await new Promise((r) => setTimeout(r, ms));
  return value;
}

export function fails(what: string): never {
  throw new ImageError('BAD_ARGUMENT', `bad ${what}`, { parameter: what });
}

/** Kills the worker thread with an uncaught asynchronous error. */
export function crashes(): Promise<never> {
  setTimeout(() => {
    throw new Error('worker blown up');
  }, 0);
  return new Promise(() => {});
}

export function threadId(): Promise<number> {
  return import('node:worker_threads').then((m) => m.threadId);
}
