/**
 * Period recovery on real light curves: the 483 SDSS Stripe 82 RR Lyrae of Sesar et al.
 * (2010) with catalogued periods (../shared/datasets/rrlyrae-sdss-stripe82). A period
 * counts as recovered when it is within 1 % of the catalogue's.
 *
 * Single band (r only, astropy's settings: 0.2–1.2 d, 10 samples per peak): at least
 * astropy's 375/483 (78 %), and the same best period as astropy's for nearly every star.
 * Multi-band (all five bands at once, VanderPlas & Ivezić 2015, two shared Fourier terms
 * and a mean per band): more stars than the single-band periodogram. It runs on every
 * sixth star (81): five bands cost ten times the single band's time, and CI has a
 * 20-minute budget; the whole sample gave 422/483 (87 %) when this test was written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  autoFrequencyGrid,
  lombScargleAsync,
  multibandLombScargleAsync,
  startPeriodogramPool,
  topPeaks,
  type PeriodogramPool,
} from '../../src/science/timeseries/index.js';
import { DATASETS, haveDatasets, readCsv } from './shared.js';

const DIR = join(DATASETS, 'rrlyrae-sdss-stripe82');
const have = haveDatasets && existsSync(join(DIR, 'astropy_lombscargle_rband_reference.csv'));

interface Star {
  id: string;
  periodDays: number;
  astropyPeriodDays: number;
  astropyWithin1pct: boolean;
  t: Float64Array;
  y: Float64Array;
  dy: Float64Array;
  band: string[];
}

function loadStars(): Star[] {
  const ref = readCsv(readFileSync(join(DIR, 'astropy_lombscargle_rband_reference.csv'), 'utf8'));
  return ref.map((r) => {
    const rows = readCsv(readFileSync(join(DIR, 'light-curves', `${r.id}.csv`), 'utf8'));
    return {
      id: r.id,
      periodDays: Number(r.period_sesar2010_d),
      astropyPeriodDays: Number(r.astropy_ls_rband_best_period_d),
      astropyWithin1pct: r.within_1pct === '1',
      t: Float64Array.from(rows, (x) => Number(x.time)),
      y: Float64Array.from(rows, (x) => Number(x.mag)),
      dy: Float64Array.from(rows, (x) => Number(x.magerr)),
      band: rows.map((x) => x.band),
    };
  });
}

const within1pct = (p: number, truth: number): boolean => Math.abs(p / truth - 1) < 0.01;

describe.skipIf(!have)('RR Lyrae periods from SDSS Stripe 82 (483 stars)', () => {
  let stars: Star[] = [];
  let pool: PeriodogramPool;
  /** Ids of the stars the single-band periodogram recovered (undefined: that test did not run). */
  let singleBandRecovered: Set<string> | undefined;

  beforeAll(async () => {
    stars = loadStars();
    pool = await startPeriodogramPool();
  }, 120_000);
  afterAll(async () => {
    await pool?.stop();
  });

  it('single band (r): at least astropy’s recovery rate, and astropy’s best periods', async () => {
    expect(stars).toHaveLength(483);
    let recovered = 0;
    let sameAsAstropy = 0;
    const ids = new Set<string>();
    for (const s of stars) {
      const keep = s.band.map((b, i) => (b === 'r' ? i : -1)).filter((i) => i >= 0);
      const t = Float64Array.from(keep, (i) => s.t[i]);
      const grid = autoFrequencyGrid(t, { minFrequency: 1 / 1.2, maxFrequency: 1 / 0.2, samplesPerPeak: 10 });
      const power = await lombScargleAsync({ t, y: Float64Array.from(keep, (i) => s.y[i]), dy: Float64Array.from(keep, (i) => s.dy[i]) }, grid, { pool });
      // astropy's procedure: the best grid frequency, no refinement.
      const best = topPeaks(power, grid, { count: 1 })[0].periodDays;
      if (within1pct(best, s.periodDays)) {
        recovered++;
        ids.add(s.id);
      }
      if (Math.abs(best / s.astropyPeriodDays - 1) < 1e-4) sameAsAstropy++;
    }
    const astropyRecovered = stars.filter((s) => s.astropyWithin1pct).length;
    console.log(`single band r: ${recovered}/483 within 1 % (astropy ${astropyRecovered}); same best period as astropy for ${sameAsAstropy}`);
    expect(astropyRecovered).toBe(375);
    expect(recovered).toBeGreaterThanOrEqual(astropyRecovered);
    expect(sameAsAstropy).toBeGreaterThanOrEqual(478);
    singleBandRecovered = ids;
  }, 900_000);

  it('multi-band (u, g, r, i, z at once): more stars than single band (every sixth star)', async () => {
    const subset = stars.filter((_, i) => i % 6 === 0);
    expect(subset).toHaveLength(81);
    let recovered = 0;
    for (const s of subset) {
      const grid = autoFrequencyGrid(s.t, { minFrequency: 1 / 1.2, maxFrequency: 1 / 0.2, samplesPerPeak: 10 });
      const power = await multibandLombScargleAsync({ t: s.t, y: s.y, dy: s.dy, band: s.band }, grid, { nbase: 2, nband: 0, pool });
      if (within1pct(topPeaks(power, grid, { count: 1 })[0].periodDays, s.periodDays)) recovered++;
    }
    // Without the single-band run, astropy's r-band recoveries on the same stars.
    const reference = singleBandRecovered ? subset.filter((s) => singleBandRecovered!.has(s.id)).length : subset.filter((s) => s.astropyWithin1pct).length;
    console.log(`multiband (Nbase 2, Nband 0): ${recovered}/${subset.length} within 1 % (single band: ${reference})`);
    expect(recovered).toBeGreaterThan(reference);
    expect(recovered / subset.length).toBeGreaterThanOrEqual(0.8);
  }, 1_800_000);
});
