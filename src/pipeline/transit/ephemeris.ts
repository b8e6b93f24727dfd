/**
 * What a transit mission knows about its planet (table transit_ephemerides): the linear
 * ephemeris (BJD_TDB) that numbers the transits and places the fit windows, what is known
 * of the transit shape, and optionally the TTV model to infer (the same document as
 * `openastro ttv --config`: science/ttv TtvModelConfig keys + a `sampler` section). A
 * mission with such a row is a transit mission (docs/decisions/0039): the light-curve stage
 * then queues transit times.
 *
 * Archival mid-transit times (ETD, ExoClock, literature) are kept in archival_transit_times
 * and join the pipeline's own times in the O−C diagram and the TTV fit.
 *
 * Every write validates first and writes in one statement or transaction, so bad input
 * leaves nothing behind.
 */
import type { Kysely } from 'kysely';
import type { Schema } from '../../platform/db/schema.js';
import { TtvError } from '../../science/ttv/errors.js';
import { parseTtvConfig, type TtvFileConfig } from '../../science/ttv/config.js';
import { PipelineError } from '../errors.js';

export interface TransitShapeInput {
  /** Rp/R*. */
  rp?: number;
  /** a/R*. */
  a?: number;
  incDeg?: number;
  /** Quadratic limb darkening. */
  u?: [number, number];
}

export interface TransitEphemerisInput {
  /** Planet name as used in the TTV model and transit-time tables (default 'b'). */
  planet?: string;
  periodDays: number;
  /** A mid-transit time, BJD_TDB, numbering epoch 0. */
  t0BjdTdb: number;
  shape?: TransitShapeInput;
  /** TTV model + sampler, as `openastro ttv --config` reads it; absent: no TTV inference. */
  ttv?: Record<string, unknown>;
}

export interface TransitEphemeris {
  missionId: string;
  planet: string;
  periodDays: number;
  t0BjdTdb: number;
  shape: TransitShapeInput;
  ttv?: TtvFileConfig;
}

export interface ArchivalTransitTime {
  bjdTdb: number;
  sigmaDays: number;
  /** Where it came from (e.g. 'ETD', 'ExoClock', 'Holman et al. 2010'). */
  source: string;
  /** Default: the mission's planet. */
  planet?: string;
}

const bad = (field: string, message: string): never => {
  throw new PipelineError('BAD_REQUEST', `${field}: ${message}`);
};

function finite(v: unknown, field: string, check?: (x: number) => boolean, what = 'a finite number'): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (check && !check(v))) bad(field, `must be ${what}, got ${JSON.stringify(v)}`);
  return v as number;
}

function checkPlanet(name: unknown, field: string): string {
  if (typeof name !== 'string' || name.trim() === '' || /[\s,]/.test(name) || name.length > 32) bad(field, 'must be a name of 1–32 characters without spaces or commas');
  return (name as string).trim();
}

/** Validate and store (replace) the ephemeris of a mission. NOT_FOUND for an unknown mission. */
export async function setTransitEphemeris(db: Kysely<Schema>, missionId: string, input: TransitEphemerisInput, now: Date): Promise<TransitEphemeris> {
  if (input === null || typeof input !== 'object') bad('ephemeris', 'must be an object { periodDays, t0BjdTdb, … }');
  const planet = checkPlanet(input.planet ?? 'b', 'planet');
  const periodDays = finite(input.periodDays, 'periodDays', (x) => x > 0 && x < 1e5, 'a positive number of days');
  const t0BjdTdb = finite(input.t0BjdTdb, 't0BjdTdb', (x) => x > 2_000_000 && x < 3_000_000, 'a BJD_TDB (2 000 000 … 3 000 000)');
  const shape: TransitShapeInput = {};
  const s = input.shape ?? {};
  if (s === null || typeof s !== 'object') bad('shape', 'must be an object { rp, a, incDeg, u }');
  if (s.rp !== undefined) shape.rp = finite(s.rp, 'shape.rp', (x) => x > 0 && x < 1.5, 'Rp/R* in (0, 1.5)');
  if (s.a !== undefined) shape.a = finite(s.a, 'shape.a', (x) => x > 1, 'a/R* > 1');
  if (s.incDeg !== undefined) shape.incDeg = finite(s.incDeg, 'shape.incDeg', (x) => x > 0 && x <= 90, 'an inclination in (0, 90] degrees');
  if (s.u !== undefined) {
    if (!Array.isArray(s.u) || s.u.length !== 2) bad('shape.u', 'must be [u1, u2]');
    shape.u = [finite(s.u[0], 'shape.u[0]'), finite(s.u[1], 'shape.u[1]')];
  }
  let ttv: TtvFileConfig | undefined;
  if (input.ttv !== undefined) {
    try {
      ttv = parseTtvConfig(JSON.stringify(input.ttv), 'ttv');
    } catch (err) {
      if (err instanceof TtvError) bad('ttv', err.message);
      throw err;
    }
    if (!ttv!.model.planets.some((p) => p.name === planet)) bad('ttv.planets', `must include the transiting planet '${planet}'`);
  }
  const mission = await db.selectFrom('missions').select('id').where('id', '=', missionId).executeTakeFirst();
  if (!mission) throw new PipelineError('NOT_FOUND', `mission ${missionId} does not exist`);
  const values = {
    planet,
    period_days: periodDays,
    t0_bjd_tdb: t0BjdTdb,
    shape: JSON.stringify(shape),
    ttv: input.ttv === undefined ? null : JSON.stringify(input.ttv),
    updated_at: now,
  };
  await db
    .insertInto('transit_ephemerides')
    .values({ mission_id: missionId, ...values, created_at: now })
    .onConflict((oc) => oc.column('mission_id').doUpdateSet(values))
    .execute();
  return { missionId, planet, periodDays, t0BjdTdb, shape, ...(ttv ? { ttv } : {}) };
}

/** The mission's ephemeris, or undefined for a mission that is not a transit mission. */
export async function getTransitEphemeris(db: Kysely<Schema>, missionId: string): Promise<TransitEphemeris | undefined> {
  const row = await db.selectFrom('transit_ephemerides').selectAll().where('mission_id', '=', missionId).executeTakeFirst();
  if (!row) return undefined;
  let ttv: TtvFileConfig | undefined;
  if (row.ttv !== null) {
    try {
      ttv = parseTtvConfig(JSON.stringify(row.ttv), 'transit_ephemerides.ttv');
    } catch (err) {
      if (err instanceof TtvError) throw new PipelineError('BAD_REQUEST', `the stored TTV model of mission ${missionId} is invalid: ${err.message}`);
      throw err;
    }
  }
  return { missionId, planet: row.planet, periodDays: row.period_days, t0BjdTdb: row.t0_bjd_tdb, shape: row.shape as TransitShapeInput, ...(ttv ? { ttv } : {}) };
}

/**
 * Add archival transit times to a mission (a time already there for the same planet is
 * replaced). All rows are checked before any is written; returns the number stored.
 */
export async function addArchivalTransitTimes(db: Kysely<Schema>, missionId: string, times: readonly ArchivalTransitTime[]): Promise<number> {
  if (!Array.isArray(times)) bad('times', 'must be an array of { bjdTdb, sigmaDays, source }');
  const eph = await getTransitEphemeris(db, missionId);
  if (!eph) throw new PipelineError('BAD_REQUEST', `mission ${missionId} has no transit ephemeris: set one before adding transit times`);
  const rows = times.map((t, i) => {
    if (t === null || typeof t !== 'object') bad(`times[${i}]`, 'must be { bjdTdb, sigmaDays, source }');
    const source = typeof t.source === 'string' && t.source.trim() !== '' && t.source.length <= 200 ? t.source.trim() : bad(`times[${i}].source`, 'must be a non-empty text of ≤ 200 characters');
    return {
      mission_id: missionId,
      planet: checkPlanet(t.planet ?? eph.planet, `times[${i}].planet`),
      bjd_tdb: finite(t.bjdTdb, `times[${i}].bjdTdb`, (x) => x > 2_000_000 && x < 3_000_000, 'a BJD_TDB (2 000 000 … 3 000 000)'),
      sigma_days: finite(t.sigmaDays, `times[${i}].sigmaDays`, (x) => x > 0 && x < 1, 'a positive number of days below 1'),
      source: source as string,
    };
  });
  if (rows.length === 0) return 0;
  // One row per (planet, time): a later duplicate in the input wins, as it would in the table.
  const unique = [...new Map(rows.map((r) => [`${r.planet} ${r.bjd_tdb}`, r])).values()];
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < unique.length; i += 1000) {
      await trx
        .insertInto('archival_transit_times')
        .values(unique.slice(i, i + 1000))
        .onConflict((oc) => oc.columns(['mission_id', 'planet', 'bjd_tdb']).doUpdateSet((eb) => ({ sigma_days: eb.ref('excluded.sigma_days'), source: eb.ref('excluded.source') })))
        .execute();
    }
  });
  return rows.length;
}

export async function listArchivalTransitTimes(db: Kysely<Schema>, missionId: string): Promise<Required<ArchivalTransitTime>[]> {
  const rows = await db.selectFrom('archival_transit_times').selectAll().where('mission_id', '=', missionId).orderBy('bjd_tdb').execute();
  return rows.map((r) => ({ planet: r.planet, bjdTdb: r.bjd_tdb, sigmaDays: r.sigma_days, source: r.source }));
}
