/**
 * The object store interface (implemented by localStore and s3Store) and what both share:
 * key rules and streaming a body through SHA-256.
 *
 * Keys are slash-separated relative paths, the same on disk and in a bucket, so a store can
 * move from a laptop to S3 by copying files. Both backends enforce the same rules, so a key
 * accepted in the embedded mode is accepted when the network grows.
 */
import { createHash } from 'node:crypto';
import type { ObjectStoreLike } from '../../server/context.js';
import { StorageError } from './errors.js';

export interface PutResult {
  key: string;
  /** Bytes stored. */
  bytes: number;
  /** Lower-case hex SHA-256 of the bytes stored. */
  sha256: string;
}

export interface ObjectInfo {
  key: string;
  bytes: number;
}

export interface ObjectStore extends ObjectStoreLike {
  /** 'local' or 's3' — for logs and /healthz. */
  readonly kind: 'local' | 's3';
  /**
   * Store `body` under `key`, replacing any object there. The object appears whole or not
   * at all: a failed or interrupted put leaves the previous object (or nothing).
   */
  put(key: string, body: Uint8Array | NodeJS.ReadableStream, opts?: { contentType?: string }): Promise<PutResult>;
  /** The object's bytes as a stream; StorageError NOT_FOUND when there is none. */
  get(key: string): Promise<NodeJS.ReadableStream>;
  /** Size of the object, or null when there is none. */
  head(key: string): Promise<{ bytes: number } | null>;
  /** Remove the object; removing a missing key is not an error (as in S3). */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix` (a string prefix, not a folder), in byte order of their keys. */
  list(prefix?: string): AsyncIterable<ObjectInfo>;
  /** Release connections (S3) — the store is unusable afterwards. Idempotent. */
  close(): Promise<void>;
}

/** S3's limit, applied to both backends. */
export const MAX_KEY_BYTES = 1024;

/**
 * Throw StorageError BAD_KEY unless `key` is a clean relative path: non-empty segments, no
 * `.` or `..`, no leading slash, no backslash (a Windows separator), no control
 * characters. `reservedSegmentPrefix` lets a backend keep names for its own temp files.
 */
export function checkKey(key: unknown, reservedSegmentPrefix?: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new StorageError('BAD_KEY', `object key must be a non-empty string, got ${JSON.stringify(key)}`);
  const problem = keyProblem(key, reservedSegmentPrefix);
  if (problem) throw new StorageError('BAD_KEY', `bad object key ${JSON.stringify(key)}: ${problem}`);
}

function keyProblem(key: string, reserved?: string): string | undefined {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) return `longer than ${MAX_KEY_BYTES} bytes`;
  if (key.startsWith('/')) return 'absolute paths are not keys (leading /)';
  if (key.includes('\\')) return 'backslash is not allowed (use / between segments)';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return 'control characters are not allowed';
  for (const segment of key.split('/')) {
    if (segment === '') return 'empty segment (// or trailing /)';
    if (segment === '.' || segment === '..') return `'${segment}' segments are not allowed`;
    if (reserved && segment.startsWith(reserved)) return `segments starting with '${reserved}' are reserved`;
  }
  return undefined;
}

/**
 * A prefix for list(): '' (everything), or the start of a key. Every complete segment
 * (before the last '/') obeys the key rules; the last, partial one may be anything a key
 * segment could start with ('obs/2026-0', 'obs/', 'obs/..x').
 */
export function checkPrefix(prefix: unknown, reservedSegmentPrefix?: string): asserts prefix is string {
  if (typeof prefix !== 'string') throw new StorageError('BAD_KEY', `list prefix must be a string, got ${typeof prefix}`);
  if (prefix === '') return;
  const slash = prefix.lastIndexOf('/');
  const problem = slash < 0 ? undefined : slash === 0 ? 'absolute paths are not keys (leading /)' : keyProblem(prefix.slice(0, slash), reservedSegmentPrefix);
  // eslint-disable-next-line no-control-regex
  const tail = prefix.includes('\\') ? 'backslash is not allowed (use / between segments)' : /[\u0000-\u001f\u007f]/.test(prefix) ? 'control characters are not allowed' : undefined;
  if (problem ?? tail) throw new StorageError('BAD_KEY', `bad list prefix ${JSON.stringify(prefix)}: ${problem ?? tail}`);
}

/** Chunks of a body as Buffers, whatever the stream yields (Buffer, Uint8Array or string). */
export async function* chunksOf(body: Uint8Array | NodeJS.ReadableStream): AsyncGenerator<Buffer> {
  if (body instanceof Uint8Array) {
    yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    return;
  }
  for await (const chunk of body as AsyncIterable<Buffer | Uint8Array | string>) {
    yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
}

export function isReadable(body: unknown): body is NodeJS.ReadableStream {
  return typeof body === 'object' && body !== null && typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}

export function checkBody(key: string, body: unknown): asserts body is Uint8Array | NodeJS.ReadableStream {
  if (!(body instanceof Uint8Array) && !isReadable(body)) {
    throw new StorageError('IO_FAILED', `put ${key}: body must be a Uint8Array or a readable stream`);
  }
}

export const sha256Hasher = () => createHash('sha256');

/** Byte-order comparison of keys (S3 lists in UTF-8 binary order; so must the local store). */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
