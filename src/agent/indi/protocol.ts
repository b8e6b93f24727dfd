/**
 * INDI protocol messages (INDI white paper, E. C. Downey, protocol version 1.7) as typed
 * values, decoded from and encoded to the XML elements of xml.ts.
 *
 * A device exposes properties ("vectors") of five kinds — Text, Number, Switch, Light,
 * BLOB — each a named group of elements. The server describes them with def*Vector,
 * reports changes with set*Vector, deletes them with delProperty and sends free-text
 * <message>s; a client asks with getProperties, changes values with new*Vector and opts
 * into binary data with enableBLOB. A vector has a state: Idle, Ok, Busy (working on a
 * request) or Alert (the request failed).
 */
import { AgentError } from '../errors.js';
import { decodeBlob, encodeBlob, type IndiBlob } from './blob.js';
import { escapeXml, type XmlElement } from './xml.js';

export type IndiKind = 'Text' | 'Number' | 'Switch' | 'Light' | 'BLOB';
export type IndiState = 'Idle' | 'Ok' | 'Busy' | 'Alert';
export type IndiPerm = 'ro' | 'wo' | 'rw';
export type IndiRule = 'OneOfMany' | 'AtMostOne' | 'AnyOfMany';
export type BlobMode = 'Never' | 'Also' | 'Only';

export const INDI_PROTOCOL_VERSION = '1.7';
const KINDS: readonly IndiKind[] = ['Text', 'Number', 'Switch', 'Light', 'BLOB'];
const STATES: readonly IndiState[] = ['Idle', 'Ok', 'Busy', 'Alert'];

export type IndiValue = string | number | boolean | IndiState | IndiBlob;

export interface IndiElement {
  name: string;
  label?: string;
  /** Text: string; Number: number; Switch: boolean (On); Light: state; BLOB: the data (set) or undefined (def). */
  value?: IndiValue;
  /** Numbers: printf-style format (%m for sexagesimal) and limits. */
  format?: string;
  min?: number;
  max?: number;
  step?: number;
}

export interface IndiVector {
  kind: IndiKind;
  device: string;
  name: string;
  label?: string;
  group?: string;
  state?: IndiState;
  perm?: IndiPerm;
  rule?: IndiRule;
  /** Worst-case time to apply a new value, seconds. */
  timeoutS?: number;
  timestamp?: string;
  message?: string;
  elements: Map<string, IndiElement>;
}

export type IndiMessage =
  | { type: 'def'; vector: IndiVector }
  | { type: 'set'; vector: IndiVector }
  | { type: 'new'; vector: IndiVector }
  | { type: 'message'; device?: string; timestamp?: string; message: string }
  | { type: 'del'; device?: string; name?: string; timestamp?: string; message?: string }
  | { type: 'getProperties'; device?: string; name?: string; version?: string }
  | { type: 'enableBLOB'; device?: string; name?: string; mode: BlobMode }
  | { type: 'unknown'; element: string };

function bad(msg: string, device?: string, property?: string): AgentError {
  return new AgentError('PROTOCOL', msg, { device, property });
}

/**
 * An INDI number: decimal, or sexagesimal "D:M:S", "D:M" or "D M S" (the %m format), with
 * the sign on the first field applying to all.
 */
export function parseIndiNumber(text: string): number {
  const s = text.trim();
  if (s === '') throw bad('empty number');
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Number(s);
  const m = /^([-+]?)(\d+(?:\.\d*)?)[: ](\d+(?:\.\d*)?)(?:[: ](\d+(?:\.\d*)?))?$/.exec(s);
  if (!m) throw bad(`'${s.slice(0, 40)}' is not a number`);
  const v = Number(m[2]) + Number(m[3]) / 60 + (m[4] !== undefined ? Number(m[4]) / 3600 : 0);
  return m[1] === '-' ? -v : v;
}

function parseState(s: string | undefined, device: string, name: string): IndiState | undefined {
  if (s === undefined) return undefined;
  const v = s.trim();
  if (!(STATES as readonly string[]).includes(v)) throw bad(`bad state '${v}'`, device, name);
  return v as IndiState;
}

function parseSwitch(s: string, device: string, name: string): boolean {
  const v = s.trim();
  if (v === 'On') return true;
  if (v === 'Off') return false;
  throw bad(`switch value must be On or Off, got '${v.slice(0, 20)}'`, device, name);
}

function optionalNumber(s: string | undefined, what: string, device: string, name: string): number | undefined {
  if (s === undefined || s.trim() === '') return undefined;
  try {
    return parseIndiNumber(s);
  } catch {
    throw bad(`attribute ${what} '${s.slice(0, 20)}' is not a number`, device, name);
  }
}

const VECTOR = /^(def|set|new)(Text|Number|Switch|Light|BLOB)Vector$/;

/** Decodes one top-level INDI element. Throws PROTOCOL for a malformed message. */
export function decodeMessage(el: XmlElement): IndiMessage {
  const a = el.attrs;
  const m = VECTOR.exec(el.name);
  if (m) return { type: m[1] as 'def' | 'set' | 'new', vector: decodeVector(el, m[1] as 'def' | 'set' | 'new', m[2] as IndiKind) };
  switch (el.name) {
    case 'message':
      return { type: 'message', ...(a.device !== undefined ? { device: a.device } : {}), ...(a.timestamp !== undefined ? { timestamp: a.timestamp } : {}), message: a.message ?? '' };
    case 'delProperty':
      return {
        type: 'del',
        ...(a.device !== undefined ? { device: a.device } : {}),
        ...(a.name !== undefined ? { name: a.name } : {}),
        ...(a.timestamp !== undefined ? { timestamp: a.timestamp } : {}),
        ...(a.message !== undefined ? { message: a.message } : {}),
      };
    case 'getProperties':
      return { type: 'getProperties', ...(a.device !== undefined ? { device: a.device } : {}), ...(a.name !== undefined ? { name: a.name } : {}), ...(a.version !== undefined ? { version: a.version } : {}) };
    case 'enableBLOB': {
      const mode = el.text.trim();
      if (mode !== 'Never' && mode !== 'Also' && mode !== 'Only') throw bad(`enableBLOB mode must be Never, Also or Only, got '${mode.slice(0, 20)}'`, a.device);
      return { type: 'enableBLOB', ...(a.device !== undefined ? { device: a.device } : {}), ...(a.name !== undefined ? { name: a.name } : {}), mode };
    }
    default:
      return { type: 'unknown', element: el.name };
  }
}

function decodeVector(el: XmlElement, verb: 'def' | 'set' | 'new', kind: IndiKind): IndiVector {
  const a = el.attrs;
  const device = a.device;
  const name = a.name;
  if (!device) throw bad(`<${el.name}> without a device`);
  if (!name) throw bad(`<${el.name}> without a name`, device);
  const v: IndiVector = { kind, device, name, elements: new Map() };
  if (a.label !== undefined) v.label = a.label;
  if (a.group !== undefined) v.group = a.group;
  const state = parseState(a.state, device, name);
  if (state) v.state = state;
  else if (verb === 'def') throw bad(`<${el.name}> without a state`, device, name);
  if (a.perm !== undefined) {
    if (a.perm !== 'ro' && a.perm !== 'wo' && a.perm !== 'rw') throw bad(`bad perm '${a.perm}'`, device, name);
    v.perm = a.perm;
  }
  if (a.rule !== undefined) {
    if (a.rule !== 'OneOfMany' && a.rule !== 'AtMostOne' && a.rule !== 'AnyOfMany') throw bad(`bad rule '${a.rule}'`, device, name);
    v.rule = a.rule;
  }
  const timeoutS = optionalNumber(a.timeout, 'timeout', device, name);
  if (timeoutS !== undefined) v.timeoutS = timeoutS;
  if (a.timestamp !== undefined) v.timestamp = a.timestamp;
  if (a.message !== undefined) v.message = a.message;
  const childName = `${verb === 'def' ? 'def' : 'one'}${kind}`;
  for (const c of el.children) {
    if (c.name !== childName) throw bad(`<${c.name}> inside <${el.name}> (expected <${childName}>)`, device, name);
    const en = c.attrs.name;
    if (!en) throw bad(`<${c.name}> without a name`, device, name);
    if (v.elements.has(en)) throw bad(`element '${en}' repeated`, device, name);
    const e: IndiElement = { name: en };
    if (c.attrs.label !== undefined) e.label = c.attrs.label;
    const where = `${name}.${en}`;
    switch (kind) {
      case 'Text':
        e.value = c.text.trim();
        break;
      case 'Number':
        try {
          e.value = parseIndiNumber(c.text);
        } catch {
          throw bad(`value '${c.text.trim().slice(0, 30)}' is not a number`, device, where);
        }
        if (c.attrs.format !== undefined) e.format = c.attrs.format;
        for (const k of ['min', 'max', 'step'] as const) {
          const x = optionalNumber(c.attrs[k], k, device, where);
          if (x !== undefined) e[k] = x;
        }
        break;
      case 'Switch':
        e.value = parseSwitch(c.text, device, where);
        break;
      case 'Light':
        e.value = parseState(c.text, device, where);
        break;
      case 'BLOB':
        if (verb !== 'def') {
          const size = optionalNumber(c.attrs.size, 'size', device, where);
          if (size === undefined || !Number.isSafeInteger(size) || size < 0) throw bad(`BLOB size '${c.attrs.size ?? ''}' is not a byte count`, device, where);
          const format = c.attrs.format ?? '';
          try {
            e.value = decodeBlob(c.text, { size, format });
          } catch (err) {
            if (err instanceof AgentError) throw new AgentError(err.code, err.message, { device, property: where, cause: err });
            throw err;
          }
        }
        break;
    }
    v.elements.set(en, e);
  }
  return v;
}

// ---------------------------------------------------------------------------------------
// Encoding

function attrs(pairs: Record<string, string | number | undefined>): string {
  let s = '';
  for (const [k, v] of Object.entries(pairs)) if (v !== undefined) s += ` ${k}="${escapeXml(String(v))}"`;
  return s;
}

/** Text for a value of `kind` as INDI writes it. */
export function formatIndiValue(kind: IndiKind, value: IndiValue): string {
  switch (kind) {
    case 'Number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new AgentError('BAD_ARGUMENT', `INDI number must be finite, got ${String(value)}`);
      return String(value);
    case 'Switch':
      if (typeof value !== 'boolean') throw new AgentError('BAD_ARGUMENT', `INDI switch must be true/false, got ${String(value)}`);
      return value ? 'On' : 'Off';
    case 'Light':
      if (!(STATES as readonly unknown[]).includes(value)) throw new AgentError('BAD_ARGUMENT', `INDI light must be a state, got ${String(value)}`);
      return value as string;
    case 'Text':
      if (typeof value !== 'string') throw new AgentError('BAD_ARGUMENT', `INDI text must be a string, got ${String(value)}`);
      return escapeXml(value);
    case 'BLOB':
      throw new AgentError('BAD_ARGUMENT', 'BLOB values are encoded by encodeVector');
  }
}

export function encodeGetProperties(opts: { device?: string; name?: string } = {}): string {
  return `<getProperties${attrs({ version: INDI_PROTOCOL_VERSION, device: opts.device, name: opts.name })}/>\n`;
}

export function encodeEnableBlob(mode: BlobMode, device: string, name?: string): string {
  return `<enableBLOB${attrs({ device, name })}>${mode}</enableBLOB>\n`;
}

/** A def/set/new vector message. For 'def', element limits and labels are written too. */
export function encodeVector(verb: 'def' | 'set' | 'new', v: Pick<IndiVector, 'kind' | 'device' | 'name'> & Partial<IndiVector>, opts: { blobLineChars?: number } = {}): string {
  if (!KINDS.includes(v.kind)) throw new AgentError('BAD_ARGUMENT', `unknown INDI kind '${String(v.kind)}'`);
  const tag = `${verb}${v.kind}Vector`;
  const head = attrs({
    device: v.device,
    name: v.name,
    ...(verb === 'def' ? { label: v.label, group: v.group } : {}),
    ...(verb !== 'new' ? { state: v.state ?? (verb === 'def' ? 'Idle' : undefined) } : {}),
    ...(verb === 'def' && v.kind !== 'Light' ? { perm: v.perm ?? 'rw' } : {}),
    ...(verb === 'def' && v.kind === 'Switch' ? { rule: v.rule ?? 'OneOfMany' } : {}),
    timeout: v.timeoutS,
    timestamp: v.timestamp,
    message: v.message,
  });
  const child = `${verb === 'def' ? 'def' : 'one'}${v.kind}`;
  let body = '';
  for (const e of (v.elements ?? new Map<string, IndiElement>()).values()) {
    const extra = verb === 'def' ? { label: e.label, ...(v.kind === 'Number' ? { format: e.format ?? '%g', min: e.min ?? 0, max: e.max ?? 0, step: e.step ?? 0 } : {}) } : {};
    if (v.kind === 'BLOB') {
      const blob = e.value as IndiBlob | undefined;
      if (verb === 'def' || blob === undefined) body += `  <${child}${attrs({ name: e.name, ...extra })}/>\n`;
      else {
        const enc = encodeBlob(blob, opts.blobLineChars);
        body += `  <${child}${attrs({ name: e.name, size: enc.size, format: enc.format, enclen: enc.text.length })}>\n${enc.text}\n  </${child}>\n`;
      }
      continue;
    }
    if (e.value === undefined) throw new AgentError('BAD_ARGUMENT', `element '${e.name}' of ${v.device}.${v.name} has no value`);
    body += `  <${child}${attrs({ name: e.name, ...extra })}>${formatIndiValue(v.kind, e.value)}</${child}>\n`;
  }
  return `<${tag}${head}>\n${body}</${tag}>\n`;
}

export function encodeMessage(device: string | undefined, message: string, timestamp?: string): string {
  return `<message${attrs({ device, timestamp, message })}/>\n`;
}

export function encodeDelProperty(device: string, name?: string): string {
  return `<delProperty${attrs({ device, name })}/>\n`;
}

/** Elements from a name → value record (in insertion order). */
export function elementsOf(values: Record<string, IndiValue>): Map<string, IndiElement> {
  const m = new Map<string, IndiElement>();
  for (const [name, value] of Object.entries(values)) m.set(name, { name, value });
  return m;
}
