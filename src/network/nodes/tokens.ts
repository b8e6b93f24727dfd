/**
 * Node tokens. A token is 32 random bytes (base64url, 43 characters) shown once at
 * registration; the database keeps only its SHA-256, so a leaked database does not let
 * anyone act as a node. The token has full entropy, so an unsalted hash is enough: there
 * is nothing to guess by dictionary.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';

const TOKEN_BYTES = 32;

/** A fresh node token. `random` is injectable so tests can fix it. */
export function generateNodeToken(random: (bytes: number) => Buffer = randomBytes): string {
  const bytes = random(TOKEN_BYTES);
  if (bytes.length !== TOKEN_BYTES) throw new RangeError(`token source returned ${bytes.length} bytes, expected ${TOKEN_BYTES}`);
  return bytes.toString('base64url');
}

/** Lower-case hex SHA-256 of the token's UTF-8 text: what nodes.token_hash holds. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The id of the node holding `token`, or null when no node does (unknown or malformed token). */
export async function nodeIdForToken(db: Kysely<Schema>, token: string): Promise<string | null> {
  if (typeof token !== 'string' || token.length === 0 || token.length > 256) return null;
  const row = await db.selectFrom('nodes').select('id').where('token_hash', '=', hashToken(token)).executeTakeFirst();
  return row?.id ?? null;
}
