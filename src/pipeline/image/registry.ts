/**
 * The instrument registry (science/photometry InstrumentRegistry) kept in the
 * `colour_terms` table: one row per colour-term measurement, keyed by site + camera +
 * filter + colour index and the frame it came from. A row per measurement (not one JSON
 * document) lets many image workers record at once without a read-modify-write race, and
 * re-measuring a frame replaces its row, so a re-run leaves the registry as it was.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { InstrumentRegistry, type InstrumentKey } from '../../science/photometry/registry.js';
import type { ZeroPointFit } from '../../science/photometry/zeropoint.js';

/** The registry of one instrument, read from the table. */
export async function loadInstrumentRegistry(db: Kysely<Schema>, key: InstrumentKey): Promise<InstrumentRegistry> {
  const rows = await db
    .selectFrom('colour_terms')
    .selectAll()
    .where('site', '=', key.site)
    .where('camera', '=', key.camera)
    .where('filter', '=', key.filter)
    .where('colour_index', '=', key.colourIndex ?? '')
    .orderBy('measurement_id')
    .execute();
  const registry = new InstrumentRegistry();
  for (const r of rows) {
    registry.add(key, {
      id: r.measurement_id,
      value: r.value,
      err: r.err,
      ...(r.stars !== null ? { stars: r.stars } : {}),
      ...(r.observed_at !== null ? { observedAt: new Date(r.observed_at).toISOString() } : {}),
    });
  }
  return registry;
}

/**
 * Record (or replace) a frame's colour term when it was fitted from enough stars, as
 * science/photometry recordColourTerm decides; otherwise remove any earlier record of the
 * frame (its re-run no longer supports one). Returns whether a row was written.
 */
export async function recordInstrumentColourTerm(
  trx: Transaction<Schema>,
  key: InstrumentKey,
  fit: ZeroPointFit,
  measurementId: string,
  observedAt: Date | undefined,
  minStars = 10,
): Promise<boolean> {
  const colourIndex = key.colourIndex ?? '';
  const ok = fit.colourTermSource === 'fit' && fit.used >= minStars && fit.colourTermErr > 0 && Number.isFinite(fit.colourTerm);
  if (!ok) {
    await trx
      .deleteFrom('colour_terms')
      .where('site', '=', key.site)
      .where('camera', '=', key.camera)
      .where('filter', '=', key.filter)
      .where('colour_index', '=', colourIndex)
      .where('measurement_id', '=', measurementId)
      .execute();
    return false;
  }
  const values = { value: fit.colourTerm, err: fit.colourTermErr, stars: fit.used, observed_at: observedAt ?? null };
  await trx
    .insertInto('colour_terms')
    .values({ site: key.site, camera: key.camera, filter: key.filter, colour_index: colourIndex, measurement_id: measurementId, ...values })
    .onConflict((oc) => oc.columns(['site', 'camera', 'filter', 'colour_index', 'measurement_id']).doUpdateSet(values))
    .execute();
  return true;
}
