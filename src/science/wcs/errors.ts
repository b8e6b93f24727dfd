/**
 * Errors from the WCS layer. A WcsError is a FitsError (same codes, same location fields),
 * so code that catches FitsError while reading a file also catches a malformed WCS.
 * `location.keyword` names the card at fault (e.g. 'CTYPE1', 'CD2_1', 'A_ORDER').
 */
import { FitsError, type FitsErrorCode, type FitsLocation } from '../fits/errors.js';

/** The codes a WcsError uses (a subset of FitsErrorCode). */
export type WcsErrorCode = Extract<FitsErrorCode, 'MISSING_CARD' | 'BAD_VALUE' | 'UNSUPPORTED' | 'BAD_ARGUMENT' | 'TOO_LARGE'>;

export class WcsError extends FitsError {
  declare readonly code: WcsErrorCode;

  constructor(code: WcsErrorCode, message: string, location: FitsLocation = {}) {
    super(code, message, location);
    Object.defineProperty(this, 'name', { value: 'WcsError', enumerable: false, configurable: true, writable: false });
  }
}
