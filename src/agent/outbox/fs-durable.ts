/**
 * Durable file operations for the outbox. A file is durable once its bytes and its
 * directory entry are on disk: write to a temporary name, fsync the file, rename it into
 * place, fsync the directory. rename() is atomic, so after a crash at any point the
 * destination holds either the old content or the new, never a torn mix.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { AgentError } from '../errors.js';

/** fsync a directory, so renames and unlinks inside it survive a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `parts` to `tmpPath` (which must not exist), fsyncs it and renames it to
 * `finalPath`; with `syncDirectory`, fsyncs the destination directory too. On failure the
 * temporary file is removed and IO is thrown.
 */
export async function writeDurably(tmpPath: string, finalPath: string, parts: Uint8Array[], syncDirectory?: string): Promise<void> {
  let written = false;
  try {
    const fh = await open(tmpPath, 'wx');
    try {
      for (const p of parts) {
        let off = 0;
        while (off < p.length) {
          const { bytesWritten } = await fh.write(p, off, p.length - off);
          off += bytesWritten;
        }
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    written = true;
    await rename(tmpPath, finalPath);
    if (syncDirectory) await syncDir(syncDirectory);
  } catch (e) {
    if (!written || (e as NodeJS.ErrnoException).syscall === 'rename') await unlink(tmpPath).catch(() => undefined);
    throw new AgentError('IO', `cannot write ${finalPath}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
