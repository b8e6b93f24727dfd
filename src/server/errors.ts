/**
 * Every error leaves the API as JSON `{ code, message }` with one status per code, so an
 * agent or script branches on `code` and shows `message` to a person:
 *
 * | thrown                                   | status | code                       |
 * |------------------------------------------|--------|----------------------------|
 * | NetworkError                             | its own (400/401/403/404/409) | its code |
 * | schema validation (body, query, params)  | 400    | BAD_REQUEST (names the field) |
 * | Fastify request errors (bad JSON, 413, 415…) | theirs | BAD_REQUEST, PAYLOAD_TOO_LARGE, … |
 * | StorageError NOT_FOUND / BAD_KEY         | 404 / 400 | NOT_FOUND / BAD_REQUEST |
 * | DbError CONNECT_FAILED, LOCK_TIMEOUT, CLOSED; lost PostgreSQL connection; StorageError UNAVAILABLE | 503 | UNAVAILABLE (Retry-After) |
 * | anything else                            | 500    | INTERNAL, message 'internal error' |
 *
 * A 500 never shows its cause (it may hold SQL or paths): the cause is logged with the
 * request id, which the body carries so an operator can find the log line.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NetworkError } from '../network/errors.js';
import { DbError } from '../platform/db/errors.js';
import { StorageError } from '../platform/storage/errors.js';

export interface ApiErrorBody {
  code: string;
  message: string;
  /** Present on 5xx: the id of the request in the service log. */
  requestId?: string;
}

/** JSON schema of an error body (for route response schemas and the OpenAPI document). */
export const errorBodySchema = {
  $id: 'ApiError',
  type: 'object',
  description: 'An error: a stable machine-readable code and a message for people.',
  properties: {
    code: { type: 'string', description: 'e.g. BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, UNAVAILABLE, INTERNAL' },
    message: { type: 'string' },
    requestId: { type: 'string', description: 'Present on server errors: quote it when reporting.' },
  },
  required: ['code', 'message'],
} as const;

/** Seconds a client should wait before retrying a 503. */
export const RETRY_AFTER_S = 5;

const FASTIFY_STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  411: 'LENGTH_REQUIRED',
  413: 'PAYLOAD_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  431: 'HEADERS_TOO_LARGE',
};

/** PostgreSQL SQLSTATE classes/codes meaning "the database is not there right now". */
function isDatabaseUnavailable(err: unknown): boolean {
  if (err instanceof DbError) return err.code === 'CONNECT_FAILED' || err.code === 'LOCK_TIMEOUT' || err.code === 'CLOSED';
  const code = (err as { code?: unknown })?.code;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('08') || // connection exception
    code === '57P01' || // admin shutdown
    code === '57P02' || // crash shutdown
    code === '57P03' || // cannot connect now
    code === '53300' || // too many connections
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'ETIMEDOUT'
  );
}

export interface ErrorReply {
  status: number;
  body: ApiErrorBody;
  /** Log it as a server fault (with the cause). */
  fault: boolean;
}

/** The status and body for a thrown value. Pure, so each mapping is testable alone. */
export function errorReply(err: unknown, requestId: string): ErrorReply {
  if (err instanceof NetworkError) return { status: err.status, body: { code: err.code, message: err.message }, fault: false };

  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (Array.isArray(fe.validation)) {
    return { status: 400, body: { code: 'BAD_REQUEST', message: validationMessage(fe.validation, fe.validationContext ?? 'request') }, fault: false };
  }

  if (err instanceof StorageError) {
    if (err.code === 'NOT_FOUND') return { status: 404, body: { code: 'NOT_FOUND', message: err.message }, fault: false };
    if (err.code === 'BAD_KEY') return { status: 400, body: { code: 'BAD_REQUEST', message: err.message }, fault: false };
    if (err.code === 'UNAVAILABLE') return unavailable('object storage is unavailable; retry later', requestId);
  }

  if (isDatabaseUnavailable(err)) return unavailable('the database is unavailable; retry later', requestId);

  // Fastify's own request errors (malformed JSON, body too large, wrong media type) carry a
  // 4xx statusCode and a safe message.
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : undefined;
  if (status !== undefined && status >= 400 && status < 500 && typeof fe.code === 'string' && fe.code.startsWith('FST_')) {
    return { status, body: { code: FASTIFY_STATUS_CODES[status] ?? 'BAD_REQUEST', message: fe.message ?? 'bad request' }, fault: false };
  }

  return { status: 500, body: { code: 'INTERNAL', message: 'internal error', requestId }, fault: true };
}

function unavailable(message: string, requestId: string): ErrorReply {
  return { status: 503, body: { code: 'UNAVAILABLE', message, requestId }, fault: true };
}

interface AjvError {
  keyword: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/**
 * 'body.state: must be one of ONLINE, BUSY, PARKED' — the field as a dotted path under
 * where it was sent (body, querystring, params, headers), then what is wrong.
 */
export function validationMessage(errors: readonly AjvError[], context: string): string {
  return errors
    .map((e) => {
      const parts = (e.instancePath ?? '')
        .split('/')
        .filter((s) => s !== '')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
      const params = e.params ?? {};
      let problem = e.message ?? 'is invalid';
      if (e.keyword === 'required' && typeof params.missingProperty === 'string') {
        parts.push(params.missingProperty);
        problem = 'is required';
      } else if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
        parts.push(params.additionalProperty);
        problem = 'is not a known field';
      } else if (e.keyword === 'enum' && Array.isArray(params.allowedValues)) {
        problem = `must be one of ${params.allowedValues.map(String).join(', ')}`;
      }
      return `${[context, ...parts].join('.')}: ${problem}`;
    })
    .join('; ');
}

/** Install the JSON error handler and the JSON 404 handler on the root instance. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const r = errorReply(err, String(request.id));
    if (r.fault) request.log.error({ err }, `${r.status} ${r.body.code}: ${request.method} ${request.url}`);
    if (r.status === 503) void reply.header('retry-after', String(RETRY_AFTER_S));
    if (r.status === 401) void reply.header('www-authenticate', 'Bearer');
    return reply.code(r.status).send(r.body);
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0];
    return reply.code(404).send({ code: 'NOT_FOUND', message: `no route for ${request.method} ${path}` } satisfies ApiErrorBody);
  });
}
