/**
 * Typed errors for everything FITS. A FitsError always says what is wrong and where:
 * the HDU index, the card number (1-based, as a person counts lines in a header) or the
 * byte offset in the file, and for compressed images the tile.
 */

export type FitsErrorCode =
  | 'NOT_FITS' // first card is not SIMPLE = T
  | 'TRUNCATED' // file ends inside a header or data unit
  | 'BAD_CARD' // card that cannot be parsed (bad characters, bad value syntax)
  | 'DUPLICATE_CARD' // a structural keyword that appears twice
  | 'MISSING_CARD' // required keyword absent (END, NAXISn, TFORMn, ...)
  | 'BAD_VALUE' // keyword present but its value is illegal (BITPIX = 12, NAXIS = -1)
  | 'SIZE_MISMATCH' // NAXISn / PCOUNT inconsistent with the data present
  | 'UNSUPPORTED' // legal FITS we do not handle (ZCMPTYPE unknown, random groups)
  | 'TOO_LARGE' // dimensions beyond what we will allocate
  | 'CORRUPT_TILE' // a compressed tile that does not decode
  | 'CHECKSUM' // CHECKSUM / DATASUM verification failed
  | 'BAD_ARGUMENT'; // caller passed something impossible (window outside the image)

export interface FitsLocation {
  /** 0-based HDU index (0 = primary). */
  hdu?: number;
  /** 1-based card number within the HDU's header. */
  card?: number;
  /** Keyword concerned. */
  keyword?: string;
  /** Byte offset from the start of the file. */
  offset?: number;
  /** 0-based tile index of a tile-compressed image. */
  tile?: number;
  /** 0-based row of a table. */
  row?: number;
  /** 1-based column of a table. */
  column?: number;
}

export class FitsError extends Error {
  override readonly name = 'FitsError';
  readonly code: FitsErrorCode;
  readonly location: FitsLocation;

  constructor(code: FitsErrorCode, message: string, location: FitsLocation = {}) {
    super(formatMessage(message, location));
    this.code = code;
    this.location = location;
  }
}

function formatMessage(message: string, loc: FitsLocation): string {
  const where: string[] = [];
  if (loc.hdu !== undefined) where.push(`HDU ${loc.hdu}`);
  if (loc.card !== undefined) where.push(`card ${loc.card}`);
  if (loc.keyword !== undefined) where.push(`'${loc.keyword}'`);
  if (loc.column !== undefined) where.push(`column ${loc.column}`);
  if (loc.row !== undefined) where.push(`row ${loc.row}`);
  if (loc.tile !== undefined) where.push(`tile ${loc.tile}`);
  if (loc.offset !== undefined) where.push(`byte ${loc.offset}`);
  return where.length > 0 ? `${where.join(' ')}: ${message}` : message;
}

/** Largest data unit we agree to allocate in one piece (bytes). Guards absurd NAXISn. */
export const MAX_DATA_BYTES = 2 ** 31;
