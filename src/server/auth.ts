/**
 * Who is calling. An onRequest hook reads `Authorization: Bearer <token>` and sets
 * `request.caller`:
 *
 * - no header → anonymous (then, when auth.readsOpen is false, a GET/HEAD under /api is
 *   refused with 401; everything else is left to the route, which knows what it needs);
 * - an operator token from the configuration → operator. Tokens are compared as SHA-256
 *   digests with timingSafeEqual over every configured operator, so the time taken says
 *   nothing about how much of a token matched or which operator it was;
 * - a node token → that node, found by the SHA-256 in nodes.token_hash;
 * - anything else (unknown token, or a header that is not `Bearer <token>`) → 401.
 *
 * Node tokens are looked up through a small cache (token hash → node id, 5 min by default)
 * because every heartbeat authenticates and the database lookup would otherwise double the
 * heartbeat path's queries. The TTL must be longer than the heartbeat interval (15–30 s) or
 * a node's next heartbeat always misses. Only hits are cached, so a newly registered node is known at
 * once. Entries live between (1 − ttlSpread)·TTL and TTL, a fraction drawn from the token's
 * hash: after a restart every node is looked up within one heartbeat interval, and
 * without the spread all those entries would expire together five minutes later and the
 * whole network would pay a second query per heartbeat for that interval, every TTL.
 * A route that revokes a token or deletes a node calls
 * `app.nodeTokens.invalidateNode(id)`; other processes behind the same proxy forget it
 * within the TTL, which bounds how long a revoked token keeps working.
 */
import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Schema } from '../platform/db/schema.js';
import type { OperatorToken } from '../platform/config/config.js';
import { NetworkError } from '../network/errors.js';
import { hashToken } from '../network/nodes/tokens.js';
import type { Caller } from './context.js';

declare module 'fastify' {
  interface FastifyInstance {
    nodeTokens: NodeTokenCache;
  }
}

export interface NodeTokenCacheOptions {
  /** How long a token → node mapping is trusted, ms (default 300 000; 0 disables the cache). */
  ttlMs?: number;
  /**
   * Entries expire between (1 − ttlSpread)·ttlMs and ttlMs after they were loaded, spread
   * by their token hash (default 0: exactly ttlMs; the server uses 0.25).
   */
  ttlSpread?: number;
  /** Most entries kept; the oldest go first (default 100 000, ~10 MB). */
  maxEntries?: number;
  /** Monotonic milliseconds (injectable for tests). */
  nowMs?: () => number;
}

export interface NodeTokenCache {
  /** The node holding the token with this SHA-256 hex, or null. */
  lookup(db: Kysely<Schema>, tokenSha256: string): Promise<string | null>;
  /** Forget every token of this node (call after revoking its token or deleting it). */
  invalidateNode(nodeId: string): void;
  clear(): void;
  readonly size: number;
}

export function createNodeTokenCache(opts: NodeTokenCacheOptions = {}): NodeTokenCache {
  const ttlMs = opts.ttlMs ?? 300_000;
  const maxEntries = opts.maxEntries ?? 100_000;
  const nowMs = opts.nowMs ?? (() => performance.now());
  const ttlSpread = opts.ttlSpread ?? 0;
  if (!(ttlSpread >= 0 && ttlSpread < 1)) throw new RangeError(`createNodeTokenCache: ttlSpread must be in [0, 1), got ${ttlSpread}`);
  // The token hash is uniform, so its first 32 bits are a uniform fraction in [0, 1).
  const lifeMs = (sha: string) => ttlMs * (1 - (ttlSpread * Number.parseInt(sha.slice(0, 8), 16)) / 2 ** 32);
  const entries = new Map<string, { nodeId: string; expiresAt: number }>();
  return {
    async lookup(db, sha) {
      const hit = entries.get(sha);
      if (hit && hit.expiresAt > nowMs()) return hit.nodeId;
      if (hit) entries.delete(sha);
      const row = await db.selectFrom('nodes').select('id').where('token_hash', '=', sha).executeTakeFirst();
      if (!row) return null;
      if (ttlMs > 0) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(sha, { nodeId: row.id, expiresAt: nowMs() + lifeMs(sha) });
      }
      return row.id;
    },
    invalidateNode(nodeId) {
      const id = nodeId.toLowerCase();
      for (const [sha, e] of entries) if (e.nodeId.toLowerCase() === id) entries.delete(sha);
    },
    clear: () => entries.clear(),
    get size() {
      return entries.size;
    },
  };
}

export interface AuthOptions {
  operatorTokens: readonly OperatorToken[];
  /** Anonymous callers may GET under /api. */
  readsOpen: boolean;
  db: Kysely<Schema>;
  cache: NodeTokenCache;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** Decide the caller for a raw Authorization header value; throws NetworkError UNAUTHORIZED. */
export async function authenticate(header: string | undefined, opts: AuthOptions): Promise<Caller> {
  if (header === undefined || header === '') return { kind: 'anonymous' };
  const m = BEARER.exec(header);
  if (!m) throw new NetworkError('UNAUTHORIZED', "the Authorization header must be 'Bearer <token>'");
  const token = m[1];
  if (token.length > 512) throw new NetworkError('UNAUTHORIZED', 'unknown token');
  const sha = hashToken(token);
  const operator = matchOperator(sha, opts.operatorTokens);
  if (operator !== undefined) return { kind: 'operator', name: operator };
  const nodeId = await opts.cache.lookup(opts.db, sha);
  if (nodeId !== null) return { kind: 'node', nodeId };
  throw new NetworkError('UNAUTHORIZED', 'unknown token');
}

/** The name of the operator whose token hashes to `sha`, comparing against all of them. */
export function matchOperator(sha: string, operators: readonly OperatorToken[]): string | undefined {
  const given = Buffer.from(sha, 'hex');
  let found: string | undefined;
  for (const op of operators) {
    const expected = Buffer.from(op.sha256, 'hex');
    if (expected.length === given.length && timingSafeEqual(expected, given) && found === undefined) found = op.name;
  }
  return found;
}

/** Install the auth hook; decorates `request.caller` and `app.nodeTokens`. */
export function installAuth(app: FastifyInstance, opts: AuthOptions): void {
  // null until the hook runs (Fastify 5 refuses object defaults shared between requests).
  app.decorateRequest('caller', null as never);
  app.decorate('nodeTokens', opts.cache);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    request.caller = { kind: 'anonymous' };
    request.caller = await authenticate(request.headers.authorization, opts);
    if (!opts.readsOpen && request.caller.kind === 'anonymous' && (request.method === 'GET' || request.method === 'HEAD') && isApiPath(request.url)) {
      throw new NetworkError('UNAUTHORIZED', 'reading the API needs a token on this service (auth.readsOpen is false)');
    }
  });
}

function isApiPath(url: string): boolean {
  return url === '/api' || url.startsWith('/api/') || url.startsWith('/api?');
}

/** Throws unless the caller is an operator (401 for anonymous, 403 for a node). */
export function requireOperator(caller: Caller): asserts caller is Extract<Caller, { kind: 'operator' }> {
  if (caller.kind === 'anonymous') throw new NetworkError('UNAUTHORIZED', 'an operator token is required (Authorization: Bearer <token>)');
  if (caller.kind !== 'operator') throw new NetworkError('FORBIDDEN', 'only an operator may do this; a node token cannot');
}

/** Throws unless the caller is node `nodeId` itself (401 anonymous, 403 anyone else). */
export function requireNode(caller: Caller, nodeId: string): void {
  if (caller.kind === 'anonymous') throw new NetworkError('UNAUTHORIZED', `node ${nodeId}'s token is required (Authorization: Bearer <token>)`);
  if (caller.kind !== 'node' || caller.nodeId.toLowerCase() !== nodeId.toLowerCase()) {
    throw new NetworkError('FORBIDDEN', `only node ${nodeId} itself may do this`);
  }
}
