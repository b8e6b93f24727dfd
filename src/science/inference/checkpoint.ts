/**
 * Checkpoints of an ensemble run: the state (walkers, their log-probabilities, acceptance
 * counts, moves, the generator state and optionally the chain so far) as JSON or as a
 * compact binary file. Both are exact: float arrays are stored as their IEEE-754 bytes
 * (base64 in JSON), so −Infinity and every last bit survive, and a resumed run is
 * bit-identical to an uninterrupted one.
 *
 * Binary layout (little-endian):
 *   bytes 0–7    magic "OAENSMB1"
 *   bytes 8–11   uint32 length L of the UTF-8 JSON header
 *   bytes 12–…   header: the state's scalars, moves, generator and array lengths
 *   then zero padding to a multiple of 8, then the float64 arrays in header order.
 *
 * `saveStateFile` writes to a temporary file and renames it, so a crash while saving never
 * leaves a half-written checkpoint in place of the previous one.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { InferenceError } from './errors.js';
import type { EnsembleState } from './ensemble.js';

const MAGIC = 'OAENSMB1';
const ARRAYS = ['positions', 'logProb', 'accepted', 'chain', 'chainLogProb'] as const;
type ArrayField = (typeof ARRAYS)[number];
/** Largest header we parse (bytes); a real one is a few hundred bytes. */
const MAX_HEADER_BYTES = 1 << 20;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type Header = Omit<EnsembleState, ArrayField> & { lengths: Partial<Record<ArrayField, number>> };

function header(state: EnsembleState): Header {
  const lengths: Partial<Record<ArrayField, number>> = {};
  for (const f of ARRAYS) if (state[f] !== undefined) lengths[f] = state[f]!.length;
  return {
    kind: state.kind,
    version: state.version,
    nWalkers: state.nWalkers,
    nDim: state.nDim,
    step: state.step,
    nSteps: state.nSteps,
    seed: state.seed,
    moves: state.moves,
    rng: state.rng,
    lengths,
  };
}

function f64ToBytes(a: Float64Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 8);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat64(i * 8, a[i], true);
  return out;
}

function bytesToF64(bytes: Uint8Array, offset: number, count: number): Float64Array {
  const out = new Float64Array(count);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 8));
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, count * 8);
    for (let i = 0; i < count; i++) out[i] = dv.getFloat64(i * 8, true);
  }
  return out;
}

/** JSON text of the state (arrays as base64 of little-endian float64). */
export function encodeStateJson(state: EnsembleState): string {
  const doc: Record<string, unknown> = { ...header(state) };
  delete doc.lengths;
  for (const f of ARRAYS) {
    const a = state[f];
    if (a !== undefined) doc[f] = { dtype: 'float64le', length: a.length, base64: Buffer.from(f64ToBytes(a)).toString('base64') };
  }
  return JSON.stringify(doc);
}

export function decodeStateJson(text: string): EnsembleState {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    throw new InferenceError('BAD_STATE', `checkpoint is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!doc || typeof doc !== 'object') throw new InferenceError('BAD_STATE', 'checkpoint JSON is not an object');
  const arrays: Partial<Record<ArrayField, Float64Array>> = {};
  for (const f of ARRAYS) {
    const v = doc[f] as { dtype?: unknown; length?: unknown; base64?: unknown } | undefined;
    if (v === undefined) continue;
    if (!v || v.dtype !== 'float64le' || typeof v.base64 !== 'string' || !Number.isInteger(v.length)) {
      throw new InferenceError('BAD_STATE', 'array must be {dtype: "float64le", length, base64}', { field: f });
    }
    const bytes = Buffer.from(v.base64, 'base64');
    if (bytes.length !== (v.length as number) * 8) {
      throw new InferenceError('BAD_STATE', `array holds ${bytes.length} bytes, expected ${(v.length as number) * 8}`, { field: f });
    }
    arrays[f] = bytesToF64(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), 0, v.length as number);
  }
  return assemble(doc, arrays);
}

/** Compact binary form of the state. */
export function encodeStateBinary(state: EnsembleState): Uint8Array {
  const head = new TextEncoder().encode(JSON.stringify(header(state)));
  const headEnd = 12 + head.length;
  const dataStart = Math.ceil(headEnd / 8) * 8;
  let total = dataStart;
  for (const f of ARRAYS) if (state[f] !== undefined) total += state[f]!.length * 8;
  const out = new Uint8Array(total);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  new DataView(out.buffer).setUint32(8, head.length, true);
  out.set(head, 12);
  let o = dataStart;
  for (const f of ARRAYS) {
    const a = state[f];
    if (a === undefined) continue;
    out.set(f64ToBytes(a), o);
    o += a.length * 8;
  }
  return out;
}

export function decodeStateBinary(bytes: Uint8Array): EnsembleState {
  if (bytes.length < 12) throw new InferenceError('BAD_STATE', `checkpoint is ${bytes.length} bytes, too short for a header`, { offset: 0 });
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw new InferenceError('BAD_STATE', `not an ensemble checkpoint (magic ${MAGIC} missing)`, { offset: i });
  }
  const len = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (len > MAX_HEADER_BYTES || 12 + len > bytes.length) {
    throw new InferenceError('BAD_STATE', `header length ${len} exceeds the file (${bytes.length} bytes)`, { offset: 8 });
  }
  let doc: Header;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(12, 12 + len))) as Header;
  } catch (err) {
    throw new InferenceError('BAD_STATE', `header is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { offset: 12 });
  }
  if (!doc || typeof doc !== 'object' || !doc.lengths || typeof doc.lengths !== 'object') {
    throw new InferenceError('BAD_STATE', 'header lacks array lengths', { offset: 12 });
  }
  let o = Math.ceil((12 + len) / 8) * 8;
  const arrays: Partial<Record<ArrayField, Float64Array>> = {};
  for (const f of ARRAYS) {
    const n = doc.lengths[f];
    if (n === undefined) continue;
    if (!Number.isInteger(n) || n < 0 || o + n * 8 > bytes.length) {
      throw new InferenceError('BAD_STATE', `array of ${n} values runs past the end of the file (${bytes.length} bytes)`, { field: f, offset: o });
    }
    arrays[f] = bytesToF64(bytes, o, n);
    o += n * 8;
  }
  if (o !== bytes.length) throw new InferenceError('BAD_STATE', `${bytes.length - o} unexpected trailing bytes`, { offset: o });
  return assemble(doc as unknown as Record<string, unknown>, arrays);
}

function assemble(doc: Record<string, unknown>, arrays: Partial<Record<ArrayField, Float64Array>>): EnsembleState {
  const need = <T>(field: string, ok: (v: unknown) => boolean): T => {
    const v = doc[field];
    if (!ok(v)) throw new InferenceError('BAD_STATE', `missing or invalid field`, { field });
    return v as T;
  };
  const int = (v: unknown) => Number.isSafeInteger(v);
  if (doc.kind !== 'ensemble' || doc.version !== 1) throw new InferenceError('BAD_STATE', `not an ensemble state of version 1 (kind ${String(doc.kind)}, version ${String(doc.version)})`, { field: 'kind' });
  const state: EnsembleState = {
    kind: 'ensemble',
    version: 1,
    nWalkers: need('nWalkers', int),
    nDim: need('nDim', int),
    step: need('step', int),
    nSteps: need('nSteps', int),
    seed: need('seed', int),
    moves: need('moves', Array.isArray),
    rng: need('rng', (v) => !!v && typeof v === 'object'),
    positions: arrays.positions ?? missing('positions'),
    logProb: arrays.logProb ?? missing('logProb'),
    accepted: arrays.accepted ?? missing('accepted'),
  };
  if (arrays.chain) state.chain = arrays.chain;
  if (arrays.chainLogProb) state.chainLogProb = arrays.chainLogProb;
  return state;
}

function missing(field: string): never {
  throw new InferenceError('BAD_STATE', 'array missing', { field });
}

/** Writes the state atomically (temporary file + rename); binary unless the name ends in .json. */
export async function saveStateFile(path: string, state: EnsembleState): Promise<void> {
  const data = path.endsWith('.json') ? encodeStateJson(state) : encodeStateBinary(state);
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Reads a state written by saveStateFile (format recognised by its magic bytes). */
export async function loadStateFile(path: string): Promise<EnsembleState> {
  const bytes = await readFile(path);
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (u8.length >= 8 && Buffer.from(u8.subarray(0, 8)).toString('latin1') === MAGIC) return decodeStateBinary(u8);
  return decodeStateJson(bytes.toString('utf8'));
}
