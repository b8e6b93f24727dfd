/**
 * INDI BLOBs: binary data sent base64-encoded inside <oneBLOB size=".." format="..">.
 * `size` is the byte count of the decoded data after decompression; a format ending in
 * ".z" means the driver zlib-compressed it (compress2), so we inflate — bounded by `size`,
 * so a corrupt or hostile stream cannot blow up memory. ".fits.fz" (tile-compressed FITS)
 * is a FITS file as it is and is returned untouched.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { AgentError } from '../errors.js';

export interface IndiBlob {
  data: Uint8Array;
  /** Decoded (and decompressed) byte count. */
  size: number;
  /** Format without a ".z" suffix, e.g. ".fits", ".fits.fz". */
  format: string;
  /** Whether it travelled zlib-compressed (".z"). */
  compressed: boolean;
}

const BASE64_CHARS = /^[A-Za-z0-9+/=\s]*$/;
const WS = /\s+/g;

export function decodeBlob(text: string, opts: { size: number; format: string }): IndiBlob {
  if (!BASE64_CHARS.test(text)) throw new AgentError('BAD_BLOB', 'BLOB text is not base64');
  const b64 = /\s/.test(text) ? text.replace(WS, '') : text;
  if (b64.length % 4 !== 0) throw new AgentError('BAD_BLOB', `BLOB base64 length ${b64.length} is not a multiple of 4 (truncated?)`);
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  if (b64.slice(0, b64.length - pad).includes('=')) throw new AgentError('BAD_BLOB', "BLOB base64 has '=' before its end");
  const raw = Buffer.from(b64, 'base64');
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  const compressed = opts.format.endsWith('.z');
  const format = compressed ? opts.format.slice(0, -2) : opts.format;
  if (!compressed) {
    if (bytes.length !== opts.size) throw new AgentError('BAD_BLOB', `BLOB holds ${bytes.length} bytes, its size attribute says ${opts.size}`);
    return { data: bytes, size: opts.size, format, compressed };
  }
  let out: Buffer;
  try {
    out = inflateSync(bytes, { maxOutputLength: Math.max(1, opts.size) });
  } catch (e) {
    throw new AgentError('BAD_BLOB', `BLOB ${opts.format} does not inflate to ${opts.size} bytes: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (out.length !== opts.size) throw new AgentError('BAD_BLOB', `BLOB inflated to ${out.length} bytes, its size attribute says ${opts.size}`);
  return { data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength), size: opts.size, format, compressed };
}

/** base64 text (optionally wrapped), and the attributes, of a BLOB to send. */
export function encodeBlob(blob: Pick<IndiBlob, 'data' | 'format'> & { compressed?: boolean }, lineChars?: number): { text: string; size: number; format: string } {
  const size = blob.data.length;
  let payload: Uint8Array = blob.data;
  let format = blob.format;
  if (blob.compressed) {
    const z = deflateSync(blob.data);
    payload = new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
    format += '.z';
  }
  let text = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64');
  if (lineChars !== undefined && lineChars > 0) text = text.replace(new RegExp(`(.{${lineChars}})`, 'g'), '$1\n').trimEnd();
  return { text, size, format };
}
