/**
 * Input checks shared by the node, heartbeat and command rules. Each throws
 * NetworkError('BAD_REQUEST') with a message that names the offending field, so the API
 * can return it as is and a caller knows what to fix.
 */
import { NetworkError } from '../errors.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function show(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function bad(field: string, message: string): NetworkError {
  return new NetworkError('BAD_REQUEST', `${field}: ${message}`);
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** Refuse `min` itself (a strictly positive quantity). */
  exclusiveMin?: boolean;
}

/** A finite number within the range, else BAD_REQUEST naming `field`. */
export function requireNumber(value: unknown, field: string, range: NumberRange = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw bad(field, `must be a finite number, got ${show(value)}`);
  const { min, max, exclusiveMin } = range;
  if (min !== undefined && (exclusiveMin ? !(value > min) : !(value >= min))) {
    throw bad(field, `must be ${exclusiveMin ? '>' : '>='} ${min}, got ${value}`);
  }
  if (max !== undefined && !(value <= max)) throw bad(field, `must be <= ${max}, got ${value}`);
  return value;
}

/** An integer within [min, max]. */
export function requireInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw bad(field, `must be an integer, got ${show(value)}`);
  if (value < min || value > max) throw bad(field, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** A string that is not blank, at most `maxLength` characters. */
export function requireText(value: unknown, field: string, maxLength = 200): string {
  if (typeof value !== 'string') throw bad(field, `must be a string, got ${show(value)}`);
  if (value.trim() === '') throw bad(field, 'must not be empty');
  if (value.length > maxLength) throw bad(field, `must be at most ${maxLength} characters, got ${value.length}`);
  return value;
}

/** A UUID (the form of every id in the schema); anything else would be a driver error later. */
export function requireUuid(value: unknown, field: string): string {
  if (typeof value !== 'string' || !UUID_RE.test(value)) throw bad(field, `must be a UUID, got ${show(value)}`);
  return value.toLowerCase();
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** An optional boolean: undefined and null both mean "not reported". */
export function optionalBoolean(value: unknown, field: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'boolean') throw bad(field, `must be true or false, got ${show(value)}`);
  return value;
}

/** A plain JSON object (not an array), whose JSON text is at most `maxBytes`. */
export function requireJsonObject(value: unknown, field: string, maxBytes = 65_536): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(field, `must be a JSON object, got ${show(value)}`);
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw bad(field, `is not serialisable as JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw bad(field, `is ${bytes} bytes of JSON; at most ${maxBytes} allowed`);
  return value as Record<string, unknown>;
}

/** The rules' `now`: a valid Date (a programming slip otherwise, reported the same way). */
export function requireNow(now: unknown, field = 'now'): Date {
  if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw bad(field, `must be a valid Date, got ${show(now)}`);
  return now;
}
