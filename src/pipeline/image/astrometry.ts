/**
 * The celestial WCS of one frame: the header's, when the catalog confirms it, else a
 * hinted plate solution (science/astrometry solveHinted) around the pointing the header
 * or the mission gives, at the pixel scale of the header or the node's optics.
 *
 * "Confirms": of the brightest catalog stars that fall on the chip, at least
 * `minConfirmFraction` have a detected source within the match radius, and at least
 * `minMatched` in all. A WCS off by more than the radius (a mount's pointing written as a
 * WCS, a stale solution) fails this and the frame is solved instead.
 */
import { solveHinted, type SourceXY } from '../../science/astrometry/solve.js';
import type { CatalogStars } from '../../science/astrometry/catalog.js';
import { crossMatch } from '../../science/photometry/crossmatch.js';
import { angularSeparationDeg, pixelScaleArcsec, rotationDeg } from '../../science/wcs/geometry.js';
import { pixToSky, skyToPixBatch } from '../../science/wcs/transform.js';
import type { Wcs } from '../../science/wcs/wcs.js';
import type { FrameAstrometry } from '../../platform/db/schema.js';
import { brightest, type ReferenceStars } from '../catalog.js';

export interface AstrometryOptions {
  /** How far the image centre may be from the pointing hint, degrees (default 0.25). */
  hintRadiusDeg?: number;
  /** Fractional tolerance on the expected pixel scale (default 0.1). */
  scaleTolerance?: number;
  /** Give up solving after this many seconds (default 30). */
  solveTimeLimitS?: number;
  /** Fewest confirmed stars for a header WCS (default 6). */
  minMatched?: number;
  /** Fraction of the brightest on-chip catalog stars that must be found (default 0.4). */
  minConfirmFraction?: number;
}

export interface AstrometryHint {
  raDeg: number;
  decDeg: number;
  /** Where the hint came from, for messages. */
  from: string;
  /** Expected pixel scale, ″/px, and its source. */
  scaleArcsecPerPx?: number;
  scaleFrom?: string;
}

export type AstrometryResult =
  | { ok: true; wcs: Wcs; summary: FrameAstrometry & { source: 'header' | 'solved' }; note?: string }
  | { ok: false; reason: string; note?: string };

/** Sources usable for astrometry: finite, positive flux, not saturated (flag 4). */
export function astrometricSources(sources: ReadonlyArray<SourceXY & { flags?: number }>): SourceXY[] {
  return sources.filter((s) => Number.isFinite(s.x) && Number.isFinite(s.y) && s.flux > 0 && ((s.flags ?? 0) & 4) === 0);
}

/** How well `wcs` puts the catalog on the detected sources. */
export function confirmWcs(
  wcs: Wcs,
  sources: readonly SourceXY[],
  stars: ReferenceStars,
  width: number,
  height: number,
  opts: { radiusArcsec: number; consider?: number },
): { matched: number; considered: number; rmsArcsec: number } {
  const consider = opts.consider ?? 30;
  const { xPx: px, yPx: py } = skyToPixBatch(wcs, stars.raDeg, stars.decDeg);
  const onChip: number[] = [];
  for (let i = 0; i < px.length; i++) if (px[i] >= 0 && py[i] >= 0 && px[i] <= width - 1 && py[i] <= height - 1) onChip.push(i);
  onChip.sort((a, b) => stars.mag[a] - stars.mag[b] || a - b);
  const ref = onChip.slice(0, consider);
  const bright = [...sources].sort((a, b) => b.flux - a.flux).slice(0, Math.max(3 * consider, 100));
  if (ref.length === 0 || bright.length === 0) return { matched: 0, considered: ref.length, rmsArcsec: NaN };
  const m = crossMatch(
    { xPx: bright.map((s) => s.x), yPx: bright.map((s) => s.y) },
    { raDeg: Float64Array.from(ref, (i) => stars.raDeg[i]), decDeg: Float64Array.from(ref, (i) => stars.decDeg[i]) },
    wcs,
    { radiusArcsec: opts.radiusArcsec },
  );
  let ss = 0;
  for (const d of m.separationArcsec) ss += d * d;
  const matched = m.sourceIndex.length;
  return { matched, considered: ref.length, rmsArcsec: matched > 0 ? Math.sqrt(ss / matched) : NaN };
}

function describe(wcs: Wcs, width: number, height: number): Required<Pick<FrameAstrometry, 'raDeg' | 'decDeg' | 'scaleArcsecPerPx' | 'rotationDeg'>> {
  const c: [number, number] = [(width - 1) / 2, (height - 1) / 2];
  const [raDeg, decDeg] = pixToSky(wcs, c[0], c[1]);
  return { raDeg, decDeg, scaleArcsecPerPx: pixelScaleArcsec(wcs, c), rotationDeg: rotationDeg(wcs, c) };
}

/**
 * The frame's WCS: `headerWcs` if confirmed, else solved. `stars` must cover the hint
 * cone widened by the field (see solveConeRadiusDeg); the caller queries them once.
 */
export function frameWcs(
  input: { width: number; height: number; sources: readonly SourceXY[]; headerWcs?: Wcs; hint?: AstrometryHint; stars: ReferenceStars; epochYr: number },
  opts: AstrometryOptions = {},
): AstrometryResult {
  const { width, height } = input;
  const sources = astrometricSources(input.sources);
  const minMatched = opts.minMatched ?? 6;
  const minFraction = opts.minConfirmFraction ?? 0.4;
  let note: string | undefined;
  if (input.headerWcs) {
    const scale = pixelScaleArcsec(input.headerWcs, [(width - 1) / 2, (height - 1) / 2]);
    const radiusArcsec = Math.max(3, 2 * scale);
    const c = confirmWcs(input.headerWcs, sources, input.stars, width, height, { radiusArcsec });
    if (c.matched >= minMatched && c.matched >= minFraction * c.considered) {
      return { ok: true, wcs: input.headerWcs, summary: { source: 'header', ...describe(input.headerWcs, width, height), matched: c.matched, rmsArcsec: c.rmsArcsec } };
    }
    note = `header WCS not confirmed by the catalog (${c.matched} of the ${c.considered} brightest catalog stars on the chip found within ${radiusArcsec.toFixed(1)}″)`;
  }
  if (!input.hint) return { ok: false, reason: `solve_failed: no pointing hint (no RA/DEC or WCS in the header, no mission coordinates)`, note };
  if (!input.hint.scaleArcsecPerPx) return { ok: false, reason: `solve_failed: no pixel scale (no FOCALLEN/XPIXSZ in the header, no node optics)`, note };
  const tol = opts.scaleTolerance ?? 0.1;
  const s = input.hint.scaleArcsecPerPx;
  const cat = brightest(input.stars, 20000);
  const catalog: CatalogStars = { raDeg: cat.raDeg, decDeg: cat.decDeg, mag: Float32Array.from(cat.mag), epochYr: input.epochYr };
  const r = solveHinted(sources, catalog, {
    imageWidth: width,
    imageHeight: height,
    hint: { raDeg: input.hint.raDeg, decDeg: input.hint.decDeg, radiusDeg: opts.hintRadiusDeg ?? 0.25 },
    scaleLowArcsecPerPx: s * (1 - tol),
    scaleHighArcsecPerPx: s * (1 + tol),
    timeLimitS: opts.solveTimeLimitS ?? 30,
  });
  if (!r.solved) return { ok: false, reason: `${r.reason} (hint ${input.hint.from} at RA ${input.hint.raDeg.toFixed(4)}°, Dec ${input.hint.decDeg.toFixed(4)}°, scale ${s.toFixed(3)}″/px from ${input.hint.scaleFrom ?? '?'}; ${sources.length} sources, ${cat.raDeg.length} catalog stars)`, note };
  const offDeg = angularSeparationDeg(r.raDeg, r.decDeg, input.hint.raDeg, input.hint.decDeg);
  return {
    ok: true,
    wcs: r.wcs,
    summary: { source: 'solved', ...describe(r.wcs, width, height), matched: r.matched, rmsArcsec: r.rmsArcsec },
    note: [note, `solved ${(offDeg * 60).toFixed(2)}′ from the ${input.hint.from} hint`].filter(Boolean).join('; '),
  };
}
