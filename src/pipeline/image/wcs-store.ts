/**
 * Keeping a plate solution: as FITS cards in the database (exposures.wcs, what the API and
 * later stages read) and as a copy of the frame with the WCS written into its header
 * (exposures.solved_object_key, what a person downloads or a stack reads). The copy is
 * made by science/astrometry writeSolvedFits, which changes only the image HDU's header
 * and keeps every other byte.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeSolvedFits } from '../../science/astrometry/frame.js';
import { Header } from '../../science/fits/header.js';
import { wcsFromHeader, wcsToHeader, type Wcs } from '../../science/wcs/wcs.js';

export type WcsCards = Record<string, string | number | boolean>;

/** The WCS as FITS cards (keyword → value). */
export function wcsCards(wcs: Wcs): WcsCards {
  const h = new Header([]);
  wcsToHeader(wcs, h);
  const out: WcsCards = {};
  for (const c of h.cards) {
    if (typeof c.value === 'string' || typeof c.value === 'number' || typeof c.value === 'boolean') out[c.keyword] = c.value;
  }
  return out;
}

/** The WCS of stored cards, or undefined when they hold none. */
export function wcsFromCards(cards: WcsCards | null | undefined): Wcs | undefined {
  if (!cards || typeof cards !== 'object') return undefined;
  return wcsFromHeader({ get: (k: string) => cards[k] });
}

/** `bytes` with `wcs` (and the extra cards) written into the header of HDU `hdu`. */
export async function withSolvedHeader(
  bytes: Uint8Array,
  hdu: number,
  wcs: Wcs,
  extra: { cards?: Array<[string, string | number | boolean, string]>; history?: string } = {},
  scratchDir = tmpdir(),
): Promise<Uint8Array> {
  const dir = await mkdtemp(path.join(scratchDir, 'openastro-solved-'));
  try {
    const input = path.join(dir, 'in.fits');
    const output = path.join(dir, 'out.fits');
    await writeFile(input, bytes);
    await writeSolvedFits(input, output, hdu, wcs, extra);
    return new Uint8Array(await readFile(output));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
