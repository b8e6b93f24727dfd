/**
 * One contract for every object store: the local directory store in a temp dir and the
 * S3 store against s3rver (a local S3 implementation) started on a free port. Hashes are
 * checked against the FIPS 180-2 test vector and against a one-shot hash of the same
 * bytes; listing order against S3's documented UTF-8 byte order.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
// @ts-expect-error s3rver ships no type declarations
import S3rverModule from 's3rver';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localStore, s3Store, StorageError, TMP_PREFIX, type ObjectStore } from '../../src/platform/storage/index.js';

const ABC_SHA256 = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'; // FIPS 180-2, "abc"
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer | string>) parts.push(typeof c === 'string' ? Buffer.from(c) : c);
  return Buffer.concat(parts);
}

async function listKeys(store: ObjectStore, prefix?: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

/** Deterministic pseudo-random bytes (xorshift32), `n` bytes in chunks of `chunk`. */
function* pattern(n: number, chunk: number): Generator<Buffer> {
  let s = 0x9e3779b9;
  for (let off = 0; off < n; off += chunk) {
    const b = Buffer.alloc(Math.min(chunk, n - off));
    for (let i = 0; i < b.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      b[i] = s & 0xff;
    }
    yield b;
  }
}

/** A stream that yields some bytes and then fails, like a dropped upload connection. */
function failingStream(): Readable {
  return Readable.from(
    (async function* () {
      yield Buffer.from('partial data that must never become an object');
      throw new Error('connection reset by peer');
    })(),
  );
}

/** The part of s3rver's API used here. */
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
const S3rver = S3rverModule as new (opts: {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
  configureBuckets: Array<{ name: string; configs: string[] }>;
}) => S3rverServer;

interface Backend {
  name: string;
  /**
   * Whether list() order can be checked. AWS S3 documents UTF-8 binary order; s3rver lists
   * folder-first ('a/b' before 'a-c'), so for it only the listed set is checked.
   */
  ordered: boolean;
  make(): Promise<{ store: ObjectStore; leftovers(): Promise<string[]> }>;
}

const tmpRoots: string[] = [];
function tempDir(label: string): string {
  const d = mkdtempSync(path.join(tmpdir(), `openastro-${label}-`));
  tmpRoots.push(d);
  return d;
}

let s3server: S3rverServer | undefined;
let s3endpoint = '';
const S3_BUCKET = 'contract';
let storeCounter = 0;

const backends: Backend[] = [
  {
    name: 'local',
    ordered: true,
    async make() {
      const root = tempDir('store');
      const store = localStore(root);
      const walk = (d: string): string[] =>
        readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : e.name.startsWith(TMP_PREFIX) ? [e.name] : []));
      return { store, leftovers: async () => walk(root) };
    },
  },
  {
    name: 's3 (s3rver)',
    ordered: false,
    async make() {
      // Each test gets its own key prefix in the shared bucket.
      const store = s3Store({
        endpoint: s3endpoint,
        bucket: S3_BUCKET,
        region: 'us-east-1',
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
        keyPrefix: `run${++storeCounter}/`,
      });
      // Abandoned multipart uploads would be the S3 analogue of temp files; s3rver keeps none visible.
      return { store, leftovers: async () => [] };
    },
  },
];

beforeAll(async () => {
  s3server = new S3rver({ port: 0, address: '127.0.0.1', directory: tempDir('s3rver'), silent: true, configureBuckets: [{ name: S3_BUCKET, configs: [] }] });
  const addr = await s3server.run();
  s3endpoint = `http://127.0.0.1:${addr.port}`;
});

afterAll(async () => {
  await s3server?.close();
  for (const d of tmpRoots) rmSync(d, { recursive: true, force: true });
});

describe.each(backends)('object store contract: $name', (backend) => {
  let store: ObjectStore;
  let leftovers: () => Promise<string[]>;

  beforeAll(async () => {
    ({ store, leftovers } = await backend.make());
  }, 30_000);
  afterAll(async () => {
    await store?.close();
  });

  it('put of bytes returns size and SHA-256; get/head read them back', async () => {
    const r = await store.put('frames/abc.txt', new TextEncoder().encode('abc'));
    expect(r).toEqual({ key: 'frames/abc.txt', bytes: 3, sha256: ABC_SHA256 });
    expect((await readAll(await store.get('frames/abc.txt'))).toString()).toBe('abc');
    expect(await store.head('frames/abc.txt')).toEqual({ bytes: 3 });
    expect(await store.head('frames/missing.txt')).toBeNull();
  });

  it('stores an empty object', async () => {
    const r = await store.put('empty', new Uint8Array(0));
    expect(r).toEqual({ key: 'empty', bytes: 0, sha256: EMPTY_SHA256 });
    expect((await readAll(await store.get('empty'))).length).toBe(0);
  });

  it('streams a 12 MiB body (multipart on S3) with the same hash as a one-shot digest', async () => {
    const n = 12 * 1024 * 1024 + 12345;
    const expected = createHash('sha256');
    for (const b of pattern(n, 65536)) expected.update(b);
    const digest = expected.digest('hex');
    const r = await store.put('big/frame.fits', Readable.from(pattern(n, 65536)), { contentType: 'application/fits' });
    expect(r).toEqual({ key: 'big/frame.fits', bytes: n, sha256: digest });
    expect(await store.head('big/frame.fits')).toEqual({ bytes: n });
    const back = createHash('sha256');
    let got = 0;
    for await (const c of (await store.get('big/frame.fits')) as AsyncIterable<Buffer>) {
      back.update(c);
      got += c.length;
    }
    expect(got).toBe(n);
    expect(back.digest('hex')).toBe(digest);
  }, 60_000);

  it('accepts string chunks and non-ASCII keys', async () => {
    const key = 'obs/M31 ü/ObsReq-1_TelID-2_20260101T000000.txt';
    const r = await store.put(key, Readable.from(['a', 'b', 'c']));
    expect(r.sha256).toBe(ABC_SHA256);
    expect((await readAll(await store.get(key))).toString()).toBe('abc');
  });

  it('overwrites, and delete is idempotent', async () => {
    await store.put('k/over', Buffer.from('first version'));
    await store.put('k/over', Buffer.from('second'));
    expect((await readAll(await store.get('k/over'))).toString()).toBe('second');
    await store.delete('k/over');
    await store.delete('k/over');
    expect(await store.head('k/over')).toBeNull();
    await expect(store.get('k/over')).rejects.toMatchObject({ name: 'StorageError', code: 'NOT_FOUND' });
  });

  it('a body that fails midway stores nothing and keeps the previous object', async () => {
    await store.put('atomic/obj', Buffer.from('good'));
    const err = await store.put('atomic/obj', failingStream()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: 'IO_FAILED' });
    expect((err as Error).message).toContain('atomic/obj');
    expect((err as Error).message).toContain('connection reset by peer');
    expect((await readAll(await store.get('atomic/obj'))).toString()).toBe('good');
    await expect(store.put('atomic/new', failingStream())).rejects.toMatchObject({ code: 'IO_FAILED' });
    expect(await store.head('atomic/new')).toBeNull();
    expect(await leftovers()).toEqual([]);
    expect(await listKeys(store, 'atomic/')).toEqual(['atomic/obj']);
  });

  it('lists by string prefix in UTF-8 byte order', async () => {
    // '-' (0x2d) < '/' (0x2f) < 'b' (0x62): 'l/a-c' sorts before the 'l/a/' folder's keys.
    const keys = ['l/b', 'l/a/c/d', 'l/ab', 'l/a-c', 'l/a/b', 'l/é', 'l/z'];
    for (const k of keys) await store.put(k, Buffer.from(k));
    const check = async (prefix: string, expected: string[]) => {
      const got = await listKeys(store, prefix);
      expect(backend.ordered ? got : [...got].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))).toEqual(expected);
    };
    await check('l/', ['l/a-c', 'l/a/b', 'l/a/c/d', 'l/ab', 'l/b', 'l/z', 'l/é']);
    await check('l/a/', ['l/a/b', 'l/a/c/d']);
    await check('l/a', ['l/a-c', 'l/a/b', 'l/a/c/d', 'l/ab']);
    await check('l/a/c', ['l/a/c/d']);
    expect(await listKeys(store, 'nothing/here/')).toEqual([]);
    const sizes: Record<string, number> = {};
    for await (const o of store.list('l/a/')) sizes[o.key] = o.bytes;
    expect(sizes).toEqual({ 'l/a/b': 5, 'l/a/c/d': 7 });
  });

  it.each([
    ['', 'non-empty'],
    ['/etc/passwd', 'absolute'],
    ['../escape', "'..'"],
    ['a/../../escape', "'..'"],
    ['a/./b', "'.'"],
    ['a//b', 'empty segment'],
    ['trailing/', 'empty segment'],
    ['win\\path', 'backslash'],
    ['nul\u0000byte', 'control'],
    ['x'.repeat(1025), 'longer than 1024'],
  ])('rejects key %j with BAD_KEY (%s) on every operation', async (key, why) => {
    for (const op of [() => store.put(key, Buffer.from('x')), () => store.get(key), () => store.head(key), () => store.delete(key)]) {
      const err = await op().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StorageError);
      expect(err).toMatchObject({ code: 'BAD_KEY' });
      expect((err as Error).message).toContain(why);
    }
  });

  it('rejects a bad list prefix', () => {
    expect(() => store.list('/abs')).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
    expect(() => store.list('a/../b')).toThrow(expect.objectContaining({ code: 'BAD_KEY' }));
  });

  it('is unusable after close', async () => {
    const { store: other } = await backend.make();
    await other.close();
    await other.close();
    await expect(other.put('x', Buffer.from('x'))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('local store specifics', () => {
  it('reserves its temp-file names and never lists a crashed put', async () => {
    const root = tempDir('store-tmp');
    const store = localStore(root);
    await store.put('d/real', Buffer.from('x'));
    // What a crash between write and rename leaves behind.
    writeFileSync(path.join(root, 'd', `${TMP_PREFIX}deadbeef`), 'half');
    expect(await listKeys(store)).toEqual(['d/real']);
    await expect(store.put(`d/${TMP_PREFIX}x`, Buffer.from('x'))).rejects.toMatchObject({ code: 'BAD_KEY' });
    expect(await store.head(`d/${TMP_PREFIX}deadbeef`).catch((e: unknown) => e)).toMatchObject({ code: 'BAD_KEY' });
  });

  it('reports a key that collides with a folder of other keys as KEY_CONFLICT', async () => {
    const root = tempDir('store-conflict');
    const store = localStore(root);
    await store.put('a', Buffer.from('file'));
    await expect(store.put('a/b', Buffer.from('x'))).rejects.toMatchObject({ code: 'KEY_CONFLICT' });
    mkdirSync(path.join(root, 'dir', 'sub'), { recursive: true });
    await expect(store.put('dir', Buffer.from('x'))).rejects.toMatchObject({ code: 'KEY_CONFLICT' });
    expect(await store.head('dir')).toBeNull();
    await expect(store.get('dir')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(readdirSync(root).filter((n) => n.startsWith(TMP_PREFIX))).toEqual([]);
  });

  it('refuses an empty root', () => {
    expect(() => localStore('')).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
  });
});

describe('s3 store specifics', () => {
  it('validates its options', () => {
    expect(() => s3Store({ bucket: '', region: 'x' })).toThrow(expect.objectContaining({ code: 'BAD_CONFIG' }));
    expect(() => s3Store({ bucket: 'b', region: 'x', partSizeBytes: 1024 })).toThrow(/partSizeBytes/);
    expect(() => s3Store({ bucket: 'b', region: 'x', accessKeyId: 'a' })).toThrow(/both accessKeyId and secretAccessKey/);
  });

  it('names a missing bucket as BAD_CONFIG', async () => {
    expect(s3endpoint).not.toBe(''); // the contract suite started the server
    const store = s3Store({ endpoint: s3endpoint, bucket: 'no-such-bucket', region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true });
    try {
      await expect(store.put('x', Buffer.from('x'))).rejects.toMatchObject({ code: 'BAD_CONFIG', message: expect.stringContaining('does not exist') });
    } finally {
      await store.close();
    }
  });

  it('sends a long body as sequential parts and aborts the upload when the body fails', async () => {
    const client = new S3Client({ endpoint: s3endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const sent: string[] = [];
    const original = client.send.bind(client);
    client.send = ((command: { constructor: { name: string } }, ...rest: unknown[]) => {
      sent.push(command.constructor.name);
      return (original as (...a: unknown[]) => Promise<unknown>)(command, ...rest);
    }) as typeof client.send;
    const store = s3Store({ bucket: S3_BUCKET, region: 'us-east-1', client, keyPrefix: 'parts/', partSizeBytes: 5 * 1024 * 1024 });
    try {
      await store.put('whole', Readable.from(pattern(11 * 1024 * 1024, 65536)));
      expect(sent).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand']);
      sent.length = 0;
      const failing = Readable.from(
        (async function* () {
          yield* pattern(6 * 1024 * 1024, 65536);
          throw new Error('client went away');
        })(),
      );
      await expect(store.put('broken', failing)).rejects.toMatchObject({ code: 'IO_FAILED' });
      expect(sent).toEqual(['CreateMultipartUploadCommand', 'UploadPartCommand', 'AbortMultipartUploadCommand']);
      expect(await store.head('broken')).toBeNull();
      sent.length = 0;
      await store.put('small', Buffer.from('abc'));
      expect(sent).toEqual(['PutObjectCommand']);
    } finally {
      await store.close();
      client.destroy();
    }
  }, 60_000);

  it('reports an unreachable endpoint as UNAVAILABLE', async () => {
    const store = s3Store({ endpoint: 'http://127.0.0.1:1', bucket: 'b', region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b', forcePathStyle: true });
    try {
      await expect(store.head('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await store.close();
    }
  });
});
