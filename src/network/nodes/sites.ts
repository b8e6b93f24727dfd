/**
 * Sites: where nodes stand. A site fixes the observer's geodetic position and its horizon:
 * a flat minimum altitude, optionally raised per azimuth by a horizon profile of
 * [azDeg, minAltDeg] points (trees, houses), kept sorted by azimuth.
 */
import type { Kysely } from 'kysely';
import type { Schema, Site } from '../../platform/db/schema.js';
import { NetworkError } from '../errors.js';
import { requireNow, requireNumber, requireText, requireUuid, isUuid } from './validate.js';

export interface SiteInput {
  name: string;
  /** Geodetic latitude, degrees north, −90 … 90. */
  latitudeDeg: number;
  /** Longitude, degrees east, −180 … 180. */
  longitudeDeg: number;
  /** Height above sea level, metres (default 0). */
  elevationM?: number;
  /** Lowest altitude worth observing anywhere at the site, degrees (default 20). */
  minAltitudeDeg?: number;
  /** [azDeg, minAltDeg] points; azimuth 0 … <360 from north through east. */
  horizonProfile?: Array<[number, number]> | null;
}

export interface SiteInfo {
  id: string;
  name: string;
  latitudeDeg: number;
  longitudeDeg: number;
  elevationM: number;
  minAltitudeDeg: number;
  horizonProfile: Array<[number, number]> | null;
  createdAt: Date;
  updatedAt: Date;
}

const DEFAULT_MIN_ALTITUDE_DEG = 20;

/** Checked, normalised site input (horizon profile sorted by azimuth). */
export function validateSiteInput(input: SiteInput): Required<SiteInput> {
  if (input === null || typeof input !== 'object') throw new NetworkError('BAD_REQUEST', 'site: must be an object');
  const name = requireText(input.name, 'name');
  const latitudeDeg = requireNumber(input.latitudeDeg, 'latitudeDeg', { min: -90, max: 90 });
  const longitudeDeg = requireNumber(input.longitudeDeg, 'longitudeDeg', { min: -180, max: 180 });
  // Dead Sea shore to above the highest observatories: anything else is a unit slip.
  const elevationM = requireNumber(input.elevationM ?? 0, 'elevationM', { min: -500, max: 9000 });
  const minAltitudeDeg = requireNumber(input.minAltitudeDeg ?? DEFAULT_MIN_ALTITUDE_DEG, 'minAltitudeDeg', { min: 0, max: 90 });
  const horizonProfile = validateHorizonProfile(input.horizonProfile ?? null);
  return { name, latitudeDeg, longitudeDeg, elevationM, minAltitudeDeg, horizonProfile };
}

function validateHorizonProfile(profile: unknown): Array<[number, number]> | null {
  if (profile === null) return null;
  if (!Array.isArray(profile)) throw new NetworkError('BAD_REQUEST', 'horizonProfile: must be an array of [azDeg, minAltDeg] pairs');
  if (profile.length > 360) throw new NetworkError('BAD_REQUEST', `horizonProfile: at most 360 points, got ${profile.length}`);
  const points = profile.map((pair: unknown, i): [number, number] => {
    if (!Array.isArray(pair) || pair.length !== 2) {
      throw new NetworkError('BAD_REQUEST', `horizonProfile[${i}]: must be a pair [azDeg, minAltDeg]`);
    }
    const az = requireNumber(pair[0], `horizonProfile[${i}][0] (azDeg)`, { min: 0, max: 360 });
    if (az === 360) throw new NetworkError('BAD_REQUEST', `horizonProfile[${i}][0] (azDeg): must be < 360 (use 0), got 360`);
    const alt = requireNumber(pair[1], `horizonProfile[${i}][1] (minAltDeg)`, { min: -90, max: 90 });
    return [az, alt];
  });
  points.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < points.length; i++) {
    if (points[i][0] === points[i - 1][0]) {
      throw new NetworkError('BAD_REQUEST', `horizonProfile: azimuth ${points[i][0]} appears twice`);
    }
  }
  return points;
}

export function siteInfo(row: Site): SiteInfo {
  return {
    id: row.id,
    name: row.name,
    latitudeDeg: row.latitude_deg,
    longitudeDeg: row.longitude_deg,
    elevationM: row.elevation_m,
    minAltitudeDeg: row.min_altitude_deg,
    horizonProfile: row.horizon_profile,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function createSite(db: Kysely<Schema>, input: SiteInput, now: Date): Promise<SiteInfo> {
  requireNow(now);
  const s = validateSiteInput(input);
  const row = await db
    .insertInto('sites')
    .values({
      name: s.name,
      latitude_deg: s.latitudeDeg,
      longitude_deg: s.longitudeDeg,
      elevation_m: s.elevationM,
      min_altitude_deg: s.minAltitudeDeg,
      horizon_profile: s.horizonProfile === null ? null : JSON.stringify(s.horizonProfile),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return siteInfo(row);
}

/** The site, or NOT_FOUND. */
export async function getSite(db: Kysely<Schema>, siteId: string): Promise<SiteInfo> {
  const row = isUuid(siteId) ? await db.selectFrom('sites').selectAll().where('id', '=', siteId).executeTakeFirst() : undefined;
  if (!row) throw new NetworkError('NOT_FOUND', `no site with id '${String(siteId)}'`);
  return siteInfo(row);
}

/** All sites by name. */
export async function listSites(db: Kysely<Schema>): Promise<SiteInfo[]> {
  const rows = await db.selectFrom('sites').selectAll().orderBy('name').orderBy('id').execute();
  return rows.map(siteInfo);
}

/** Throws BAD_REQUEST naming `field` when the site does not exist (a reference inside a body). */
export async function requireSiteExists(db: Kysely<Schema>, siteId: unknown, field = 'siteId'): Promise<string> {
  const id = requireUuid(siteId, field);
  const row = await db.selectFrom('sites').select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw new NetworkError('BAD_REQUEST', `${field}: no site with id '${id}'`);
  return id;
}
