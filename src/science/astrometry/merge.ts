/**
 * Merging star lists that overlap (e.g. the astrometry.net index files of one catalog at
 * several scales, which repeat the same bright stars): later copies of a star within
 * `dedupArcsec` of one already kept are dropped.
 */
import type { CatalogInput } from './catalog.js';
import { angularSeparationDeg } from '../wcs/geometry.js';
import { AstrometryError, requireFinite } from './errors.js';

export function mergeStarLists(lists: readonly CatalogInput[], opts: { dedupArcsec?: number } = {}): CatalogInput & { duplicates: number } {
  if (lists.length === 0) throw new AstrometryError('BAD_ARGUMENT', 'no star lists to merge');
  const tolDeg = requireFinite(opts.dedupArcsec ?? 0.01, 'dedupArcsec', 0, 3600) / 3600;
  const epochYr = lists[0].epochYr;
  const hasPm = lists[0].pmRaMasYr !== undefined;
  for (const l of lists) {
    if (l.epochYr !== epochYr) throw new AstrometryError('BAD_ARGUMENT', `star lists at epochs ${epochYr} and ${l.epochYr} cannot be merged`);
    if ((l.pmRaMasYr !== undefined) !== hasPm) throw new AstrometryError('BAD_ARGUMENT', 'star lists with and without proper motion cannot be merged');
  }
  const n = lists.reduce((a, l) => a + l.raDeg.length, 0);
  const ra = new Float64Array(n);
  const dec = new Float64Array(n);
  const mag = new Float64Array(n);
  const pmRa = hasPm ? new Float64Array(n) : undefined;
  const pmDec = hasPm ? new Float64Array(n) : undefined;
  let k = 0;
  for (const l of lists) {
    for (let i = 0; i < l.raDeg.length; i++, k++) {
      ra[k] = l.raDeg[i];
      dec[k] = l.decDeg[i];
      mag[k] = l.mag[i];
      if (pmRa && pmDec) {
        pmRa[k] = l.pmRaMasYr![i];
        pmDec[k] = l.pmDecMasYr![i];
      }
    }
  }
  // Sweep in declination: duplicates are within tolDeg in Dec.
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => dec[a] - dec[b] || a - b);
  const drop = new Uint8Array(n);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    if (drop[i]) continue;
    for (let q = p + 1; q < n && dec[order[q]] - dec[i] <= tolDeg; q++) {
      const j = order[q];
      if (drop[j]) continue;
      // Keep the copy that came first in the input.
      if (angularSeparationDeg(ra[i], dec[i], ra[j], dec[j]) <= tolDeg) drop[Math.max(i, j)] = 1;
      if (drop[i]) break;
    }
  }
  const keep: number[] = [];
  for (let i = 0; i < n; i++) if (!drop[i]) keep.push(i);
  const out: CatalogInput & { duplicates: number } = {
    raDeg: Float64Array.from(keep, (i) => ra[i]),
    decDeg: Float64Array.from(keep, (i) => dec[i]),
    mag: Float64Array.from(keep, (i) => mag[i]),
    epochYr,
    duplicates: n - keep.length,
  };
  if (pmRa && pmDec) {
    out.pmRaMasYr = Float64Array.from(keep, (i) => pmRa[i]);
    out.pmDecMasYr = Float64Array.from(keep, (i) => pmDec[i]);
  }
  return out;
}
