/**
 * Random-access byte sources. The reader asks for exactly the byte ranges it needs, so a
 * header scan or an image window never loads a whole file.
 */
import { FitsError } from './errors.js';

export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /**
   * `length` bytes starting at `offset`. The range must lie inside the source (TRUNCATED
   * otherwise). The returned bytes may be a view of the source's own memory: do not modify.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): Promise<void>;
}

function checkRange(size: number, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new FitsError('BAD_ARGUMENT', `invalid byte range (offset ${offset}, length ${length})`);
  }
  if (offset + length > size) {
    throw new FitsError('TRUNCATED', `file ends at byte ${size}, needed bytes ${offset}..${offset + length}`, { offset: size });
  }
}

/** A source over bytes already in memory. Reads are views, not copies. */
export function memorySource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    read(offset: number, length: number): Promise<Uint8Array> {
      try {
        checkRange(bytes.length, offset, length);
      } catch (e) {
        return Promise.reject(e);
      }
      return Promise.resolve(bytes.subarray(offset, offset + length));
    },
    close(): Promise<void> {
      return Promise.resolve();
    },
  };
}

/** A source over a file on disk: each read is one positioned read of just that range. */
export async function fileSource(path: string): Promise<ByteSource> {
  // Imported lazily so that browser bundles of science/fits need no node:fs.
  const { open } = await import('node:fs/promises');
  const handle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (e) {
    await handle.close();
    throw e;
  }
  let closed = false;
  return {
    size,
    async read(offset: number, length: number): Promise<Uint8Array> {
      if (closed) throw new FitsError('BAD_ARGUMENT', `read from closed file ${path}`);
      checkRange(size, offset, length);
      const out = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(out, done, length - done, offset + done);
        if (bytesRead === 0) {
          // The file shrank under us.
          throw new FitsError('TRUNCATED', `file ${path} ended early while reading`, { offset: offset + done });
        }
        done += bytesRead;
      }
      return out;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await handle.close();
    },
  };
}
