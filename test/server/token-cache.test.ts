/**
 * The node token cache's spread expiry: with ttlSpread s, an entry loaded at 0 lives
 * ttl·(1 − s·u), u the first 32 bits of its token hash over 2³² — checked entry by entry
 * against that formula for 200 tokens, after revoking every token in the database behind
 * the cache's back (so a live entry answers the node and an expired one answers null).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/index.js';
import { createNodeTokenCache } from '../../src/server/auth.js';
import { hashToken } from '../../src/network/nodes/tokens.js';
import { engineNames, makeEngine, type TestEngine } from '../platform/engines.js';

const TTL_MS = 1000;
const SPREAD = 0.25;
const COUNT = 200;

describe.each(engineNames())('node token cache expiry spread on %s', (engineName) => {
  let engine: TestEngine;
  let database: Database;
  const tokens: Array<{ sha: string; id: string }> = [];

  beforeAll(async () => {
    engine = await makeEngine(engineName);
    database = await openDatabase(engine.url ? { url: engine.url } : { memory: true });
    const site = await database.db.insertInto('sites').values({ name: 'cache', latitude_deg: 0, longitude_deg: 0 }).returning('id').executeTakeFirstOrThrow();
    const rows = Array.from({ length: COUNT }, (_, i) => ({
      site_id: site.id,
      name: `c${i}`,
      token_hash: hashToken(`token-${i}`),
      aperture_mm: 100,
      focal_length_mm: 500,
      pixel_size_um: 3,
      sensor_width_px: 100,
      sensor_height_px: 100,
    }));
    const ids = await database.db.insertInto('nodes').values(rows).returning(['id', 'token_hash']).execute();
    for (const r of ids) tokens.push({ sha: r.token_hash, id: r.id });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await engine?.cleanup();
  });

  it('each entry lives ttl·(1 − spread·u(hash)), spread over the whole range', async () => {
    let now = 0;
    const cache = createNodeTokenCache({ ttlMs: TTL_MS, ttlSpread: SPREAD, nowMs: () => now });
    for (const t of tokens) expect(await cache.lookup(database.db, t.sha)).toBe(t.id);
    expect(cache.size).toBe(COUNT);
    // Revoke every token: from now on only a live cache entry can answer.
    await database.db.updateTable('nodes').set((eb) => ({ token_hash: eb.fn('md5', ['token_hash']) })).execute();

    const life = (sha: string) => TTL_MS * (1 - (SPREAD * Number.parseInt(sha.slice(0, 8), 16)) / 2 ** 32);
    const lives = tokens.map((t) => life(t.sha));
    expect(Math.min(...lives)).toBeGreaterThan(TTL_MS * (1 - SPREAD));
    expect(Math.max(...lives)).toBeLessThanOrEqual(TTL_MS);
    expect(Math.max(...lives) - Math.min(...lives)).toBeGreaterThan(0.9 * SPREAD * TTL_MS); // 200 uniform draws fill the range

    for (const t of [0, 760, 800, 850, 900, 950, 999, 1000]) {
      now = t;
      for (const [i, tok] of tokens.entries()) {
        const alive = lives[i] > t;
        expect(await cache.lookup(database.db, tok.sha), `token ${i} at ${t} ms (life ${lives[i].toFixed(1)} ms)`).toBe(alive ? tok.id : null);
      }
    }
    expect(cache.size).toBe(0);
  });

  it('spread 0 (the default) keeps the exact TTL; a bad spread is refused', async () => {
    let now = 0;
    const cache = createNodeTokenCache({ ttlMs: TTL_MS, nowMs: () => now });
    await database.db.updateTable('nodes').set({ token_hash: hashToken('exact') }).where('id', '=', tokens[0].id).execute();
    expect(await cache.lookup(database.db, hashToken('exact'))).toBe(tokens[0].id);
    await database.db.updateTable('nodes').set({ token_hash: hashToken('exact-revoked') }).where('id', '=', tokens[0].id).execute();
    now = TTL_MS - 0.001;
    expect(await cache.lookup(database.db, hashToken('exact'))).toBe(tokens[0].id);
    now = TTL_MS;
    expect(await cache.lookup(database.db, hashToken('exact'))).toBeNull();
    expect(() => createNodeTokenCache({ ttlSpread: 1 })).toThrow(/ttlSpread/);
    expect(() => createNodeTokenCache({ ttlSpread: -0.1 })).toThrow(/ttlSpread/);
  });
});
