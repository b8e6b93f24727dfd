/**
 * What every route plugin receives: the service's dependencies, injected (tests pass a
 * manual clock, an in-memory database, a temporary store). Route plugins live in
 * src/server/routes/<concept>.ts and export `async function <concept>Routes(app:
 * FastifyInstance, ctx: ServerContext)`; they call the pure rules in src/network and never
 * hold state of their own.
 */
import type { Database } from '../platform/db/database.js';
import type { Jobs } from '../platform/jobs/boss.js';
import type { Clock } from '../network/clock.js';
import type {} from 'fastify';

/** Who is calling, established by the auth hook from the `Authorization: Bearer` header. */
export type Caller =
  | { kind: 'node'; nodeId: string }
  | { kind: 'operator'; name: string }
  | { kind: 'anonymous' };

/**
 * Object storage as routes see it (implemented in src/platform/storage). Keys are
 * slash-separated relative paths.
 */
export interface ObjectStoreLike {
  put(key: string, body: Uint8Array | NodeJS.ReadableStream, opts?: { contentType?: string }): Promise<{ key: string; bytes: number; sha256: string }>;
  get(key: string): Promise<NodeJS.ReadableStream>;
  head(key: string): Promise<{ bytes: number } | null>;
  delete(key: string): Promise<void>;
}

export interface ServerContext {
  database: Database;
  clock: Clock;
  /** Present when the process runs the job system (embedded default and `serve`). */
  jobs?: Jobs;
  storage?: ObjectStoreLike;
  /** Node heartbeat interval the service asks for (15–30 s); FAULTED after three missed. */
  heartbeatIntervalS: number;
  /** Command/task lease length in seconds. */
  leaseS: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    caller: Caller;
  }
}
