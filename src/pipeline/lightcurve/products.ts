/**
 * Science products as JSON documents: the document is stored under a content-addressed key
 * `products/{missionId}/{kind}-{sha256}.json` and the `products` row (one per mission and
 * kind) points at it, with a small `summary` for listings. The same content gives the same
 * key and the same row, which is what makes the producing stage idempotent; a replaced
 * document is deleted only after the row points at its successor, so a crash leaves either
 * the old product or the new one (plus at worst an orphan the next run overwrites).
 *
 * Shared by the light-curve, period, transit-time and TTV stages and the results API.
 */
import { createHash } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Product, Schema } from '../../platform/db/schema.js';
import type { ObjectStoreLike } from '../../server/context.js';
import { PipelineError } from '../errors.js';
import { readObject } from '../objects.js';

export type ScienceProductKind = 'lightcurve' | 'periodogram' | 'oc' | 'posterior';

export interface StagedProduct {
  kind: string;
  key: string;
  sha256: string;
  bytes: number;
}

/** Serialise `doc` (stable: keys in insertion order, non-finite numbers as null) and store it. */
export async function putJsonProduct(storage: ObjectStoreLike, missionId: string, kind: string, doc: unknown): Promise<StagedProduct> {
  const text = JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v));
  const body = Buffer.from(text, 'utf8');
  const sha256 = createHash('sha256').update(body).digest('hex');
  const key = `products/${missionId}/${kind}-${sha256}.json`;
  await storage.put(key, new Uint8Array(body.buffer, body.byteOffset, body.byteLength), { contentType: 'application/json' });
  return { kind, key, sha256, bytes: body.length };
}

/**
 * Point the (mission, kind) row at a stored document, inside the caller's transaction.
 * Returns the key of the document it replaced (to delete after commit), if any.
 */
export async function upsertProduct(
  trx: Transaction<Schema>,
  missionId: string,
  staged: StagedProduct,
  summary: Record<string, unknown>,
  now: Date,
): Promise<string | undefined> {
  const old = await trx
    .selectFrom('products')
    .select(['object_key'])
    .where('mission_id', '=', missionId)
    .where('kind', '=', staged.kind)
    .forUpdate()
    .executeTakeFirst();
  const text = JSON.stringify(summary);
  await trx
    .insertInto('products')
    .values({ mission_id: missionId, kind: staged.kind, object_key: staged.key, sha256: staged.sha256, summary: text, created_at: now, updated_at: now })
    .onConflict((oc) =>
      oc.columns(['mission_id', 'kind']).doUpdateSet(
        // An unchanged product keeps its row as it was (updated_at too): a re-run changes nothing.
        old?.object_key === staged.key ? { summary: text } : { object_key: staged.key, sha256: staged.sha256, summary: text, updated_at: now },
      ),
    )
    .execute();
  return old && old.object_key !== staged.key ? old.object_key : undefined;
}

/** Delete a replaced document (best effort: an orphan is harmless). */
export async function dropReplaced(storage: ObjectStoreLike, key: string | undefined): Promise<void> {
  if (key !== undefined) await storage.delete(key).catch(() => {});
}

export async function getProduct(db: Kysely<Schema>, missionId: string, kind: string): Promise<Product | undefined> {
  return db.selectFrom('products').selectAll().where('mission_id', '=', missionId).where('kind', '=', kind).executeTakeFirst();
}

/** The JSON document of a product. */
export async function readJsonProduct<T>(storage: ObjectStoreLike, product: Pick<Product, 'object_key' | 'kind' | 'mission_id'>, maxBytes = 256 * 1024 * 1024): Promise<T> {
  const bytes = await readObject(storage, product.object_key, maxBytes);
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as T;
  } catch (err) {
    throw new PipelineError('STAGE_FAILED', `product ${product.kind} of mission ${product.mission_id} (${product.object_key}) is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Short content hash for job keys ('period:{missionId}:{hash}'). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
