/**
 * Typed errors of object storage. The message names the key (never a credential) so an
 * operator can tell a bad upload name from a missing bucket from a full disk.
 */
export type StorageErrorCode =
  | 'BAD_KEY' // empty, absolute, `..`/`.` segments, backslashes, control characters, too long
  | 'NOT_FOUND' // get of a key that holds no object
  | 'KEY_CONFLICT' // local store: the key or one of its parents is a directory/file already
  | 'BAD_CONFIG' // the store cannot work as configured (missing bucket, bad part size)
  | 'UNAVAILABLE' // the backend could not be reached or refused service; retry later
  | 'IO_FAILED'; // reading the body or writing the object failed; nothing was stored

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly code: StorageErrorCode;

  constructor(code: StorageErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Short text of an unknown thrown value. */
export function reasonOf(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code.length > 0 && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
