/**
 * 0005 — the science stages of the pipeline (issue 8): plate solutions and per-frame
 * calibration, the instrument registry's colour terms, light-curve points, and what a
 * transit mission knows about its planet (ephemeris, archival transit times, TTV model).
 *
 * Kept out of `products` on purpose: products are whole results (one object per mission
 * and kind); these are rows the stages query and upsert one by one.
 */
import type { Migration } from '../migrations.js';

export const scienceTables: Migration = {
  version: 5,
  name: 'science_tables',
  statements: [
    // The plate solution of a frame. solve_status: 'header' (the uploaded WCS was checked
    // against the catalog and kept) | 'solved' (we solved it) | 'failed' (solve_reason says
    // why). wcs: the celestial WCS as FITS cards {"CTYPE1": "RA---TAN", …}.
    // solved_object_key: a copy of the frame with the solved WCS in its header.
    `ALTER TABLE exposures
      ADD COLUMN solve_status text,
      ADD COLUMN solve_reason text,
      ADD COLUMN wcs jsonb,
      ADD COLUMN solved_object_key text,
      ADD COLUMN calibrated_at timestamptz`,
    // One row per processed frame, written by the 'image' stage (upsert by exposure).
    // status: 'calibrated' | 'solve_failed' | 'failed' (reason says why). astrometry:
    // {source, raDeg, decDeg, scaleArcsecPerPx, rotationDeg, matched, rmsArcsec}. The
    // target measurement (target_*) is on the catalog's magnitude system; bjd_tdb is the
    // mid-exposure time for the mission target at the node's site.
    `CREATE TABLE frame_calibrations (
      exposure_id uuid PRIMARY KEY REFERENCES exposures(id) ON DELETE CASCADE,
      mission_id uuid NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
      node_id uuid NOT NULL REFERENCES nodes(id),
      filter text NOT NULL,
      status text NOT NULL,
      reason text,
      astrometry jsonb NOT NULL DEFAULT '{}',
      zp double precision,
      zp_err double precision,
      colour_term double precision,
      colour_term_err double precision,
      colour_term_source text,
      scatter double precision,
      matched integer,
      used integer,
      fwhm_px double precision,
      aperture_radius_px double precision,
      target_mag double precision,
      target_mag_err double precision,
      target_x_px double precision,
      target_y_px double precision,
      target_flags integer,
      mid_utc timestamptz,
      bjd_tdb double precision,
      details jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`,
    `CREATE INDEX frame_calibrations_mission_idx ON frame_calibrations (mission_id, status)`,
    // The instrument registry (science/photometry InstrumentRegistry), one row per
    // colour-term measurement; re-measuring a frame replaces its row.
    `CREATE TABLE colour_terms (
      site text NOT NULL,
      camera text NOT NULL,
      filter text NOT NULL,
      colour_index text NOT NULL DEFAULT '',
      measurement_id text NOT NULL,
      value double precision NOT NULL,
      err double precision NOT NULL,
      stars integer,
      observed_at timestamptz,
      PRIMARY KEY (site, camera, filter, colour_index, measurement_id)
    )`,
    // The merged light curve of a mission, rewritten whole by the 'lightcurve' stage.
    // site: the site's name; offset_mag: the instrument (node) offset removed; kept: false
    // for points rejected as outliers.
    `CREATE TABLE lightcurve_points (
      mission_id uuid NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
      exposure_id uuid NOT NULL REFERENCES exposures(id) ON DELETE CASCADE,
      node_id uuid NOT NULL,
      band text NOT NULL,
      site text NOT NULL,
      bjd_tdb double precision NOT NULL,
      mag double precision NOT NULL,
      err double precision NOT NULL,
      offset_mag double precision NOT NULL DEFAULT 0,
      kept boolean NOT NULL,
      PRIMARY KEY (mission_id, exposure_id)
    )`,
    // A transit mission: the planet's linear ephemeris (BJD_TDB) and what is known of its
    // shape (JSON, science/transit TransitShape fields), and optionally the TTV model to
    // infer (science/ttv TtvModelConfig + sampler settings). Its presence is what makes a
    // mission a transit mission (docs/decisions/0039).
    `CREATE TABLE transit_ephemerides (
      mission_id uuid PRIMARY KEY REFERENCES missions(id) ON DELETE CASCADE,
      planet text NOT NULL,
      period_days double precision NOT NULL,
      t0_bjd_tdb double precision NOT NULL,
      shape jsonb NOT NULL DEFAULT '{}',
      ttv jsonb,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL
    )`,
    // Mid-transit times from elsewhere (ETD, ExoClock, literature), used with the
    // pipeline's own times for O−C and TTV inference.
    `CREATE TABLE archival_transit_times (
      mission_id uuid NOT NULL REFERENCES missions(id) ON DELETE CASCADE,
      planet text NOT NULL,
      bjd_tdb double precision NOT NULL,
      sigma_days double precision NOT NULL,
      source text NOT NULL,
      PRIMARY KEY (mission_id, planet, bjd_tdb)
    )`,
  ],
};
