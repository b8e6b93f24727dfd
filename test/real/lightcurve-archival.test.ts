/**
 * The full mission light curves in ../shared/datasets through our importer: the cadence
 * counts the datasets' READMEs give (astropy helper: 18 103 TESS and 13 203 Kepler points
 * with quality 0) and the transits where the published ephemerides put them — which they
 * only are if TIME + BJDREFI was read right (a 2454833/2457000 mix-up or a day's error
 * would fold the dip away).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMissionLightCurve, type LightCurve } from '../../src/science/lightcurve/index.js';
import { DATASETS, haveDatasets } from './shared.js';

const TESS = join(DATASETS, 'tess-wasp126-transits', 'hlsp_tess-data-alerts_tess_phot_00025155310-s01_tess_v1_lc.fits');
const KEPLER = join(DATASETS, 'kepler-hatp7-transits', 'kplr010666592-2009131110544_slc.fits');
const have = haveDatasets && existsSync(TESS) && existsSync(KEPLER);

/** Mean flux within ±halfWidth (days) of mid-transit over the mean outside 1.5× the duration. */
function foldedDepth(lc: LightCurve, periodDays: number, t0: number, durationDays: number): number {
  let inSum = 0;
  let inN = 0;
  let outSum = 0;
  let outN = 0;
  for (let i = 0; i < lc.t.length; i++) {
    const dt = lc.t[i] - t0 - Math.round((lc.t[i] - t0) / periodDays) * periodDays;
    if (Math.abs(dt) < 0.3 * durationDays) {
      inSum += lc.y[i];
      inN++;
    } else if (Math.abs(dt) > 0.75 * durationDays) {
      outSum += lc.y[i];
      outN++;
    }
  }
  return 1 - inSum / inN / (outSum / outN);
}

describe.skipIf(!have)('mission light curves in ../shared/datasets', () => {
  it('TESS S1 WASP-126: 20 076 rows, 18 103 good cadences, the 0.67 % transit at BJD 2458327.51665 + n × 3.2894 d', async () => {
    const r = await readMissionLightCurve(new Uint8Array(readFileSync(TESS)), { normalize: true });
    expect(r.mission).toBe('tess');
    expect(r.rows).toBe(20076);
    expect(r.lightCurve.t.length).toBe(18103);
    expect(r.lightCurve.t[0]).toBeGreaterThan(2457000 + 1325.29);
    expect(r.lightCurve.t[r.lightCurve.t.length - 1]).toBeLessThan(2457000 + 1353.18);
    const depth = foldedDepth(r.lightCurve, 3.2894, 2458327.51665, 0.12);
    const off = foldedDepth(r.lightCurve, 3.2894, 2458327.51665 + 1, 0.12);
    console.info(`TESS WASP-126: ${r.lightCurve.t.length} cadences, folded depth ${(depth * 100).toFixed(3)} % (1 d off-ephemeris: ${(off * 100).toFixed(3)} %)`);
    expect(depth).toBeGreaterThan(0.0067 * 0.8);
    expect(depth).toBeLessThan(0.0067 * 1.2);
    expect(Math.abs(off)).toBeLessThan(0.001);
  });

  it('Kepler Q0 HAT-P-7: 14 280 rows, 13 203 good cadences, the transit at BJD 2454954.35853 + n × 2.2047354 d', async () => {
    const r = await readMissionLightCurve(new Uint8Array(readFileSync(KEPLER)), { normalize: true });
    expect(r.mission).toBe('kepler');
    expect(r.rows).toBe(14280);
    expect(r.lightCurve.t.length).toBe(13203);
    // Published ephemeris (exoplanets.org compilation quoted in the dataset's README).
    const depth = foldedDepth(r.lightCurve, 2.2047354, 2454954.35853, 0.1643);
    console.info(`Kepler HAT-P-7: ${r.lightCurve.t.length} cadences, folded depth ${(depth * 100).toFixed(3)} % ((Rp/R*)² = 0.601 %, limb darkening deepens the centre)`);
    expect(depth).toBeGreaterThan(0.00601 * 0.9);
    expect(depth).toBeLessThan(0.00601 * 1.35);
  });
});
