/**
 * Hinted solving over a seeded survey of 100 small frames of real Tycho-2 stars (committed
 * cones): random pointing, rotation and parity, hint up to the search radius off, a ±15 %
 * scale range, SIP distortion of 0.05-0.25 % at the corners, stars the catalog lacks and colour scatter. At least
 * 99 % must solve with the centre within 1″, the scale within 0.1 % and a matched-star RMS
 * under 0.2 px; none may be wrong.
 */
import { describe, expect, it } from 'vitest';
import { coneQuery, solveConeRadiusDeg, solveHinted, type SolveOptions } from '../../../src/science/astrometry/index.js';
import { Rng } from '../../../src/science/inference/random.js';
import { loadCones, pointingIn, renderTestFrame, solutionErrors, type FrameSpec } from './frames.js';

const SIZE = 512;
const { cones, catalog } = loadCones();

describe('solveHinted survey', () => {
  it('solves ≥ 99 of 100 seeded frames correctly and none wrongly', () => {
    const rng = new Rng(4711);
    let ok = 0;
    const wrong: string[] = [];
    const inaccurate: string[] = [];
    const failed: string[] = [];
    let maxRms = 0;
    let maxCentre = 0;
    let maxScale = 0;
    let seconds = 0;
    for (let k = 0; k < 100; k++) {
      const cone = cones[k % cones.length];
      const scale = 6 + 4 * rng.uniform();
      const p = pointingIn(cone, (scale * SIZE) / 3600, rng);
      const spec: FrameSpec = { size: SIZE, scale, rotDeg: 360 * rng.uniform(), flip: rng.uniform() < 0.3, ...p, distortionPx: (((0.05 + 0.2 * rng.uniform()) / 100) * SIZE * Math.SQRT1_2) / 3, seed: 300 + k };
      const f = renderTestFrame(catalog, spec);
      const radiusDeg = 0.2 + 0.8 * rng.uniform();
      const off = radiusDeg * Math.sqrt(rng.uniform());
      const pa = 2 * Math.PI * rng.uniform();
      const hintDec = Math.max(-90, Math.min(90, p.decDeg + off * Math.cos(pa)));
      const opts: SolveOptions = {
        imageWidth: SIZE,
        imageHeight: SIZE,
        hint: { raDeg: p.raDeg + (off * Math.sin(pa)) / Math.max(0.05, Math.cos((p.decDeg * Math.PI) / 180)), decDeg: hintDec, radiusDeg: radiusDeg * 1.05 + 0.05 },
        scaleLowArcsecPerPx: scale / 1.15,
        scaleHighArcsecPerPx: scale * 1.15,
      };
      const r = solveHinted(f.sources, coneQuery(catalog, opts.hint.raDeg, opts.hint.decDeg, solveConeRadiusDeg(opts)), opts);
      seconds += r.seconds;
      if (!r.solved) {
        failed.push(`${k} ${cone.name}: ${r.reason}`);
        continue;
      }
      const e = solutionErrors(f.truth, r.wcs, SIZE);
      const line = `${k} ${cone.name}: centre ${e.centreArcsec.toFixed(3)}″ scale ${e.scaleRel.toExponential(2)} rms ${r.rmsPx.toFixed(3)} px`;
      // Wrong: another place or scale altogether; inaccurate: right, but outside the limits.
      if (e.centreArcsec > 2 * scale || Math.abs(e.scaleRel) > 0.01) wrong.push(line);
      else if (e.centreArcsec < 1 && Math.abs(e.scaleRel) < 1e-3 && r.rmsPx < 0.2) ok++;
      else inaccurate.push(line);
      maxRms = Math.max(maxRms, r.rmsPx);
      maxCentre = Math.max(maxCentre, e.centreArcsec);
      maxScale = Math.max(maxScale, Math.abs(e.scaleRel));
    }
    console.log(
      `hinted: ${ok}/100 correct; worst centre ${maxCentre.toFixed(3)}″, scale ${maxScale.toExponential(2)}, matched-star RMS ${maxRms.toFixed(3)} px; mean solve ${(seconds / 100).toFixed(3)} s; failed: ${failed.join(' | ') || 'none'}; inaccurate: ${inaccurate.join(' | ') || 'none'}`,
    );
    expect(wrong).toEqual([]);
    expect(ok).toBeGreaterThanOrEqual(99);
  }, 300_000);
});
