/**
 * Objects as files under a root directory (the embedded default: ./data/objects).
 *
 * A put streams into a temporary file in the target's own directory, fsyncs it, renames it
 * over the target and fsyncs the directory: rename within one directory is atomic on
 * POSIX file systems, so a reader or a crash sees the old object or the new one, never a
 * half-written file. Temporary names start with TMP_PREFIX, which keys may not use, and
 * list() skips them. contentType is not kept (files have none).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { StorageError, reasonOf } from './errors.js';
import { checkBody, checkKey, checkPrefix, chunksOf, compareKeys, sha256Hasher, type ObjectInfo, type ObjectStore, type PutResult } from './store.js';

/** Segment prefix of in-flight temporary files; reserved, keys cannot start a segment with it. */
export const TMP_PREFIX = '.openastro-tmp-';

export interface LocalStoreOptions {
  /** fsync file and directory on put (default true). Off only for throw-away stores in tests. */
  fsync?: boolean;
}

export function localStore(rootDir: string, opts: LocalStoreOptions = {}): ObjectStore {
  if (typeof rootDir !== 'string' || rootDir === '') throw new StorageError('BAD_CONFIG', 'local store: root directory must be a non-empty path');
  const root = path.resolve(rootDir);
  const fsync = opts.fsync ?? true;
  let closed = false;

  const fileOf = (key: string) => path.join(root, ...key.split('/'));
  const assertOpen = () => {
    if (closed) throw new StorageError('UNAVAILABLE', `local store ${root} has been closed`);
  };

  return {
    kind: 'local',

    async put(key, body): Promise<PutResult> {
      assertOpen();
      checkKey(key, TMP_PREFIX);
      checkBody(key, body);
      const target = fileOf(key);
      const dir = path.dirname(target);
      try {
        await mkdir(dir, { recursive: true });
      } catch (err) {
        throw fsError(err, key, 'create its folder');
      }
      const tmp = path.join(dir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}`);
      let fh: FileHandle | undefined;
      try {
        fh = await open(tmp, 'wx', 0o644);
        const hash = sha256Hasher();
        let bytes = 0;
        for await (const chunk of chunksOf(body)) {
          hash.update(chunk);
          await writeAll(fh, chunk);
          bytes += chunk.length;
        }
        if (fsync) await fh.sync();
        await fh.close();
        fh = undefined;
        await rename(tmp, target);
        if (fsync) await syncDir(dir);
        return { key, bytes, sha256: hash.digest('hex') };
      } catch (err) {
        await fh?.close().catch(() => {});
        await unlink(tmp).catch(() => {});
        throw fsError(err, key, 'write');
      }
    },

    async get(key) {
      assertOpen();
      checkKey(key, TMP_PREFIX);
      let fh: FileHandle;
      try {
        fh = await open(fileOf(key), 'r');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') throw new StorageError('NOT_FOUND', `no object ${JSON.stringify(key)}`, { cause: err });
        throw fsError(err, key, 'read');
      }
      // open() succeeds on a directory on Linux; only files are objects.
      if (!(await fh.stat()).isFile()) {
        await fh.close();
        throw new StorageError('NOT_FOUND', `no object ${JSON.stringify(key)}`);
      }
      return fh.createReadStream();
    },

    async head(key) {
      assertOpen();
      checkKey(key, TMP_PREFIX);
      try {
        const s = await stat(fileOf(key));
        return s.isFile() ? { bytes: s.size } : null;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw fsError(err, key, 'stat');
      }
    },

    async delete(key) {
      assertOpen();
      checkKey(key, TMP_PREFIX);
      try {
        await unlink(fileOf(key));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // A missing key (or a folder of other keys) holds no object: nothing to delete.
        if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EPERM') return;
        throw fsError(err, key, 'delete');
      }
    },

    list(prefix = ''): AsyncIterable<ObjectInfo> {
      assertOpen();
      checkPrefix(prefix, TMP_PREFIX);
      const base = prefix.slice(0, prefix.lastIndexOf('/') + 1);
      return walk(path.join(root, ...base.split('/').filter((s) => s !== '')), base, prefix);
    },

    async close() {
      closed = true;
    },
  };
}

/**
 * Files under `dir` (whose keys start with `rel`) matching `prefix`, in key byte order:
 * entries sort by name with '/' appended to folders, which is the order their keys take.
 */
async function* walk(dir: string, rel: string, prefix: string): AsyncGenerator<ObjectInfo> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return;
    throw new StorageError('IO_FAILED', `list ${JSON.stringify(prefix)}: ${reasonOf(err)}`, { cause: err });
  }
  const named = entries
    .filter((e) => !e.name.startsWith(TMP_PREFIX) && (e.isFile() || e.isDirectory()))
    .map((e) => ({ e, sortKey: e.isDirectory() ? `${e.name}/` : e.name }))
    .sort((a, b) => compareKeys(a.sortKey, b.sortKey));
  for (const { e } of named) {
    const key = rel + e.name;
    if (e.isDirectory()) {
      const sub = `${key}/`;
      if (sub.startsWith(prefix) || prefix.startsWith(sub)) yield* walk(path.join(dir, e.name), sub, prefix);
    } else if (key.startsWith(prefix)) {
      try {
        yield { key, bytes: (await stat(path.join(dir, e.name))).size };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted meanwhile
      }
    }
  }
}

async function writeAll(fh: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await fh.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

/** Make a rename durable: fsync the directory that holds the new name. */
async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function fsError(err: unknown, key: string, doing: string): StorageError {
  if (err instanceof StorageError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR' || code === 'EEXIST' || code === 'EISDIR' || code === 'ENOTEMPTY') {
    return new StorageError('KEY_CONFLICT', `cannot ${doing} object ${JSON.stringify(key)}: the key, or a folder on its path, is taken by another object`, { cause: err });
  }
  return new StorageError('IO_FAILED', `cannot ${doing} object ${JSON.stringify(key)}: ${reasonOf(err)}`, { cause: err });
}
