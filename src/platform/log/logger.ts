/**
 * Structured logging on pino: one JSON object per line, which log shippers read as is.
 * Fastify uses the same instance (`loggerInstance`), so request logs and service logs share
 * one stream and one redaction list.
 *
 * Secrets never reach the log: Authorization and Cookie headers, and any field named token,
 * password, secret or secretAccessKey at the top level or one level down (pino's redaction
 * works on explicit paths; these are the shapes our code logs). Database URLs are logged
 * only through redactUrl.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from '../config/config.js';

export type { Logger };

export const REDACTED = '[REDACTED]';

/** Paths pino censors. Exported so a test can check each one. */
export const REDACT_PATHS: readonly string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  'password',
  'secret',
  'secretAccessKey',
  '*.authorization',
  '*.token',
  '*.password',
  '*.secret',
  '*.secretAccessKey',
];

export interface CreateLoggerOptions {
  level?: LogLevel;
  /** Where lines go: a stream (tests), a file path (appended), a file descriptor (2: stderr), or stdout (default). */
  destination?: DestinationStream | NodeJS.WritableStream | string | number;
  /** Fields on every line, e.g. { service: 'openastro' }. */
  base?: Record<string, unknown>;
}

export function createLogger(opts: CreateLoggerOptions = {}): Logger {
  const options: pino.LoggerOptions = {
    level: opts.level ?? 'info',
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    base: { pid: process.pid, ...opts.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Level names ('info') rather than numbers: readable without pino-pretty.
    formatters: { level: (label) => ({ level: label }) },
  };
  const dest = opts.destination;
  if (dest === undefined) return pino(options);
  if (typeof dest === 'string') return pino(options, pino.destination({ dest, append: true, mkdir: true }));
  if (typeof dest === 'number') return pino(options, pino.destination({ dest, sync: true }));
  return pino(options, dest as DestinationStream);
}
