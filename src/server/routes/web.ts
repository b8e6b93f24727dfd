/**
 * Serves the built dashboard (web/, built by `npm run build:web` into dist/web) at `/`.
 *
 * - A file under the root is sent as is; Vite's content-hashed files under /assets/ are
 *   cached for a year, everything else (index.html) is revalidated on every load, so a
 *   new build shows at once.
 * - Any other GET outside /api is a page of the single-page app (/missions/…, /science/…):
 *   it gets index.html and the app routes in the browser. A path that names a file (has
 *   an extension) and is not there is a real 404, so a missing script fails loudly instead
 *   of loading HTML.
 * - /api/… never falls back: an unknown API path keeps the service's JSON 404.
 *
 * When the dashboard is not built, pages answer 503 with how to build it and the API
 * keeps working: a missing front end must not stop the service.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';

export interface WebRoutesOptions {
  /** Directory holding the built dashboard (index.html, assets/). Default: defaultWebRoot(). */
  root?: string;
}

/**
 * <package>/dist/web, from this module whether it runs compiled (dist/server/routes) or
 * from source (src/server/routes): both sit three levels below the package root.
 */
export function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../../dist/web', import.meta.url));
}

const IMMUTABLE_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

function isApiPath(p: string): boolean {
  return p === '/api' || p.startsWith('/api/');
}

/** The file under root a URL path names, or null (outside root, not a file, undecodable). */
export function fileUnderRoot(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = path.posix.normalize(decoded).replace(/^\/+/, '');
  if (rel === '' || rel.startsWith('..')) return null;
  const abs = path.resolve(root, rel);
  if (!abs.startsWith(path.resolve(root) + path.sep)) return null;
  try {
    return statSync(abs).isFile() ? rel : null;
  } catch {
    return null;
  }
}

export async function webRoutes(app: FastifyInstance, _ctx: ServerContext, opts: WebRoutesOptions = {}): Promise<void> {
  const root = path.resolve(opts.root ?? defaultWebRoot());
  const built = existsSync(path.join(root, 'index.html'));

  if (!built) {
    app.log.warn({ root }, 'dashboard not built (no index.html): pages answer 503; run `npm run build:web`');
    app.get('/*', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
      const p = request.url.split('?')[0];
      if (isApiPath(p)) return reply.callNotFound();
      return reply
        .code(503)
        .send({ code: 'UNAVAILABLE', message: `the dashboard is not built (no index.html in ${root}); run \`npm run build:web\`` });
    });
    return;
  }

  // serve: false — we route ourselves (below), @fastify/static only sends files safely.
  await app.register(fastifyStatic, { root, serve: false });

  app.get('/*', { schema: { hide: true } }, async (request: FastifyRequest, reply: FastifyReply) => {
    const p = request.url.split('?')[0];
    if (isApiPath(p)) return reply.callNotFound();
    const file = fileUnderRoot(root, p);
    if (file !== null && file !== 'index.html') {
      if (file.startsWith('assets/')) return reply.sendFile(file, { maxAge: IMMUTABLE_MAX_AGE_MS, immutable: true });
      void reply.header('cache-control', 'no-cache');
      return reply.sendFile(file, { cacheControl: false });
    }
    if (file === null && /\.[A-Za-z0-9]+$/.test(path.posix.basename(p))) return reply.callNotFound();
    void reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  });
}
