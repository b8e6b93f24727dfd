/**
 * One entry point for every archival light-curve format, from the file's bytes: the
 * format is named or detected (FITS → Kepler/TESS by TELESCOP; '#TYPE=EXTENDED' or an
 * AAVSO download header → AAVSO; anything else with a header → plain CSV). ETD and
 * ExoClock tables look like any CSV and must be named.
 */
import { parseAavso, looksLikeAavsoDownload, type AavsoImportOptions } from './aavso.js';
import { parseLightCurveCsvText } from './csv.js';
import { LightCurveError } from './errors.js';
import type { LightCurve, ValueKind } from './lightcurve.js';
import { readMissionLightCurve, type Mission } from './mission-fits.js';
import { readTextTable } from './table.js';
import type { TimeContext, TimeReference } from './times.js';
import { parseTransitTable } from './transit-table.js';

export type LightCurveFormat = 'csv' | 'aavso' | 'etd' | 'exoclock' | 'kepler' | 'tess';
export const LIGHTCURVE_FORMATS: readonly LightCurveFormat[] = ['csv', 'aavso', 'etd', 'exoclock', 'kepler', 'tess'];

export interface ImportOptions extends TimeContext {
  /** Default 'auto'. */
  format?: LightCurveFormat | 'auto';
  /** Keep only this band (AAVSO). */
  band?: string;
  /** How times are expressed (CSV, ETD, ExoClock); default from the file or the format. */
  timeReference?: TimeReference;
  /** ETD/ExoClock: which instant of the exposure is stamped, and the exposure. */
  timeStamp?: 'start' | 'mid' | 'end';
  exposureS?: number;
  /** Magnitude or flux (CSV, ETD, ExoClock). */
  kind?: ValueKind;
  /** Site label for files without one (ETD, ExoClock). */
  siteLabel?: string;
  /** Kepler/TESS: flux column (default PDCSAP_FLUX), keep flagged cadences, normalise by the median. */
  fluxColumn?: string;
  keepFlagged?: boolean;
  normalize?: boolean;
  /** AAVSO: keep discrepant data; error for rows without one. */
  includeDiscrepant?: boolean;
  missingErrorMag?: number;
}

export interface ImportReport {
  lightCurve: LightCurve;
  format: LightCurveFormat;
  /** Format-specific counts (rows read, skipped, …) for the user. */
  details: Record<string, number | string>;
  /** Target position read from the file, when it has one (Kepler/TESS). */
  raDeg?: number;
  decDeg?: number;
}

const FITS_MAGIC = 'SIMPLE  =';

/** The format of a file from its first bytes (never ETD/ExoClock: they must be named). */
export function detectLightCurveFormat(bytes: Uint8Array, source?: string): LightCurveFormat | 'fits' {
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 65536)));
  if (head.startsWith(FITS_MAGIC)) return 'fits';
  if (/^\s*#\s*TYPE\s*=\s*EXTENDED\b/im.test(head)) return 'aavso';
  try {
    const t = readTextTable(head.split(/\r?\n/).slice(0, 200).join('\n'), { source, header: 'yes' });
    if (t.header && looksLikeAavsoDownload(t.header)) return 'aavso';
  } catch {
    // Not a table we can sniff: let the CSV reader give the detailed error.
  }
  return 'csv';
}

export async function importLightCurve(bytes: Uint8Array, options: ImportOptions = {}): Promise<ImportReport> {
  if (!(bytes instanceof Uint8Array)) throw new LightCurveError('BAD_ARGUMENT', 'file contents must be bytes', { source: options.source });
  const requested = options.format ?? 'auto';
  if (requested !== 'auto' && !LIGHTCURVE_FORMATS.includes(requested)) {
    throw new LightCurveError('BAD_ARGUMENT', `'${String(requested)}' is not a format (auto, ${LIGHTCURVE_FORMATS.join(', ')})`, { parameter: 'format' });
  }
  const detected = detectLightCurveFormat(bytes, options.source);
  if ((requested === 'kepler' || requested === 'tess') && detected !== 'fits') {
    throw new LightCurveError('BAD_FORMAT', `not a FITS file, so not a ${requested === 'kepler' ? 'Kepler' : 'TESS'} light curve`, { source: options.source });
  }
  if (detected === 'fits' && requested !== 'auto' && requested !== 'kepler' && requested !== 'tess') {
    throw new LightCurveError('BAD_FORMAT', `a FITS file cannot be read as ${requested}; use kepler, tess or auto`, { source: options.source });
  }
  if (detected === 'fits') {
    const r = await readMissionLightCurve(bytes, {
      mission: requested === 'auto' ? undefined : (requested as Mission),
      fluxColumn: options.fluxColumn,
      keepFlagged: options.keepFlagged,
      normalize: options.normalize,
      source: options.source,
    });
    return {
      lightCurve: r.lightCurve,
      format: r.mission,
      details: { rows: r.rows, kept: r.lightCurve.t.length, skippedNaN: r.skippedNaN, skippedFlagged: r.skippedFlagged, bjdReference: r.bjdReference, normalisation: r.normalisation },
      raDeg: r.raDeg,
      decDeg: r.decDeg,
    };
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  const format: LightCurveFormat = requested === 'auto' ? (detected as LightCurveFormat) : requested;
  if (format === 'aavso') {
    const r = parseAavso(text, options as AavsoImportOptions);
    return {
      lightCurve: r.lightCurve,
      format,
      details: {
        rows: r.rows,
        kept: r.lightCurve.t.length,
        skippedFainterThan: r.skippedFainterThan,
        skippedDiscrepant: r.skippedDiscrepant,
        skippedNoError: r.skippedNoError,
        skippedOtherBand: r.skippedOtherBand,
        uncertain: r.uncertain,
      },
    };
  }
  if (format === 'etd' || format === 'exoclock') {
    const lc = parseTransitTable(text, { ...options, format, band: options.band });
    return { lightCurve: lc, format, details: { rows: lc.t.length, kept: lc.t.length } };
  }
  const lc = parseLightCurveCsvText(text, options);
  return { lightCurve: lc, format: 'csv', details: { rows: lc.t.length, kept: lc.t.length } };
}
