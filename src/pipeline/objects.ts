/**
 * Moving objects between the store and memory or local scratch files, for stages that need
 * a whole frame (FITS decoding wants random access).
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import type { ObjectStoreLike } from '../server/context.js';
import { PipelineError } from './errors.js';

/** The whole object in memory; refuses objects over `maxBytes` (default 2 GiB, the FITS reader's limit). */
export async function readObject(storage: ObjectStoreLike, key: string, maxBytes = 2 ** 31 - 1): Promise<Uint8Array> {
  const stream = await storage.get(key);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | Uint8Array | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    n += b.length;
    if (n > maxBytes) {
      (stream as Readable).destroy?.();
      throw new PipelineError('TOO_LARGE', `object ${key} is larger than ${maxBytes} bytes`);
    }
    parts.push(b);
  }
  const out = Buffer.concat(parts, n);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Copy an object to a local file. */
export async function downloadObject(storage: ObjectStoreLike, key: string, path: string): Promise<void> {
  const stream = await storage.get(key);
  await pipeline(stream as Readable, createWriteStream(path));
}
