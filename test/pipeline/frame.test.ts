/**
 * Frame-level pieces of ingest, without a database: the file-name convention, reading a
 * plain or tile-compressed frame, header metadata against the values the frame was
 * rendered with, the acceptance rules, pointing keywords.
 */
import { describe, expect, it } from 'vitest';
import { formatFrameFileName, frameKey, parseFrameFileName } from '../../src/pipeline/ingest/file-name.js';
import { readFrame } from '../../src/pipeline/ingest/frame.js';
import { frameMetadata, fieldRadiusDeg } from '../../src/pipeline/ingest/metadata.js';
import { parseDecDeg, parseRaDeg } from '../../src/pipeline/ingest/pointing.js';
import { judgeFrame, type MissionTerms } from '../../src/pipeline/ingest/validate.js';
import { PipelineError } from '../../src/pipeline/errors.js';
import { pixToSky } from '../../src/science/wcs/index.js';
import { renderTestFrame, TARGET, TEST_OPTICS } from './helpers.js';

const M = '0b3c9a51-2f5e-4d0a-9a3e-3b1f2c4d5e6f';
const N = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f';

describe('file name convention', () => {
  it('parses ObsReq-{mission}_TelID-{node}_{UTC}.fits and round-trips', () => {
    const t = new Date('2026-03-01T21:04:05Z');
    const name = formatFrameFileName(M, N, t);
    expect(name).toBe(`ObsReq-${M}_TelID-${N}_20260301T210405.fits`);
    const p = parseFrameFileName(name);
    expect(p).toEqual({ missionId: M, nodeId: N, startUtc: t, stamp: '20260301T210405', dateObs: '2026-03-01T21:04:05Z', fpacked: false });
    expect(parseFrameFileName(name.replace('.fits', '.fits.fz')).startUtc).toEqual(t);
    expect(frameKey(M, N, new Date('2026-03-01T21:04:05.873Z'))).toBe(`${M}/${N}/20260301T210405`);
  });

  it.each([
    ['frame.fits', 'does not follow'],
    [`ObsReq-${M}_TelID-${N}_20260231T210405.fits`, 'not a valid UTC date'],
    [`ObsReq-${M}_TelID-${N}_20260301T250405.fits`, 'not a valid UTC date'],
    [`ObsReq-${M}_TelID-${N}_20260301T210405.png`, 'does not follow'],
    [`dir/ObsReq-${M}_TelID-${N}_20260301T210405.fits`, 'not a path'],
  ])('rejects %s', (name, why) => {
    let err: unknown;
    try {
      parseFrameFileName(name);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toMatchObject({ code: 'BAD_FILE_NAME', status: 400 });
    expect((err as Error).message).toContain(why);
  });
});

describe('pointing keywords', () => {
  it('reads degrees and sexagesimal forms', () => {
    expect(parseRaDeg(150.25)).toBe(150.25);
    expect(parseRaDeg('10 01 00.0')).toBeCloseTo(150.25, 10);
    expect(parseRaDeg('10:01:00')).toBeCloseTo(150.25, 10);
    expect(parseRaDeg('150.25')).toBe(150.25);
    expect(parseDecDeg('-05 30 00')).toBeCloseTo(-5.5, 10);
    expect(parseDecDeg('+20:15:36')).toBeCloseTo(20.26, 10);
    expect(parseDecDeg(-0.5)).toBe(-0.5);
    expect(parseDecDeg('-00 30 00')).toBeCloseTo(-0.5, 10);
    expect(parseRaDeg('25 00 00')).toBeUndefined();
    expect(parseDecDeg('95')).toBeUndefined();
    expect(parseDecDeg('12 61 00')).toBeUndefined();
  });
});

describe('frame metadata', () => {
  const start = new Date('2026-03-01T21:04:05.250Z');

  it.each([false, true])('extracts time, exposure, filter, pointing, optics and WCS (compressed: %s)', async (compressed) => {
    const f = renderTestFrame({ startUtc: start, exposureS: 90, filter: 'V', compressed });
    const frame = await readFrame(f.bytes);
    expect(frame.compressed).toBe(compressed);
    expect([frame.width, frame.height]).toEqual([TEST_OPTICS.widthPx, TEST_OPTICS.heightPx]);
    const meta = frameMetadata(frame);
    expect(meta.problems).toEqual([]);
    // DATE-OBS marks the start: mid = start + 45 s.
    expect(meta.midUtc?.toISOString()).toBe('2026-03-01T21:04:50.250Z');
    expect(meta.startUtc?.toISOString()).toBe(start.toISOString());
    expect(meta.exposureS).toBe(90);
    expect(meta.filter).toBe('V');
    expect(meta.hasWcs).toBe(true);
    expect(meta.pointingSource).toBe('WCS');
    const [ra, dec] = pixToSky(f.wcs, (frame.width - 1) / 2, (frame.height - 1) / 2);
    expect(meta.raDeg).toBeCloseTo(ra, 9);
    expect(meta.decDeg).toBeCloseTo(dec, 9);
    expect(meta.optics).toEqual({ focalLengthMm: 1000, pixelSizeUm: 3.76, apertureMm: 200 });
    // Plate scale 206.265 × 3.76 / 1000 = 0.7756″/px.
    expect(meta.pixelScaleArcsec).toBeCloseTo((206.264806 * 3.76) / 1000, 3);
    expect(fieldRadiusDeg(meta)).toBeCloseTo((0.77556 * Math.hypot(256, 256)) / 2 / 3600, 4);
  });

  it('falls back to RA/DEC keywords without a WCS', async () => {
    const f = renderTestFrame({ startUtc: start, withWcs: false, raDeg: 150.1, decDeg: 19.9 });
    const meta = frameMetadata(await readFrame(f.bytes));
    expect(meta.hasWcs).toBe(false);
    expect(meta.pointingSource).toBe('RA/DEC');
    expect(meta.raDeg).toBe(150.1);
    expect(meta.decDeg).toBe(19.9);
    expect(meta.pixelScaleArcsec).toBeCloseTo(0.7756, 3);
  });

  it('reports a missing DATE-OBS as a problem, not a throw', async () => {
    const f = renderTestFrame({ startUtc: start, noDate: true });
    const meta = frameMetadata(await readFrame(f.bytes));
    expect(meta.midUtc).toBeUndefined();
    expect(meta.problems.join(' ')).toMatch(/DATE-OBS/);
  });

  it('turns FITS damage into typed errors', async () => {
    await expect(readFrame(new TextEncoder().encode('not a fits file at all'.padEnd(2880)))).rejects.toMatchObject({ code: 'NOT_FITS' });
    const f = renderTestFrame({ startUtc: start, compressed: true });
    const broken = f.bytes.slice();
    // Overwrite the heap (compressed tiles) with garbage, keeping the headers intact.
    for (let i = 2 * 2880 + 3000; i < broken.length - 100; i++) broken[i] = (i * 131) & 0xff;
    await expect(readFrame(broken)).rejects.toMatchObject({ code: 'CORRUPT_TILE' });
    await expect(readFrame(f.bytes.slice(0, f.bytes.length - 4000))).rejects.toMatchObject({ code: 'BAD_FITS' });
  });
});

describe('acceptance rules', () => {
  const start = new Date('2026-03-01T21:04:05Z');
  const mission: MissionTerms = { filter: 'V', raDeg: TARGET.raDeg, decDeg: TARGET.decDeg, windowStart: null, windowEnd: null };

  async function judge(spec: Parameters<typeof renderTestFrame>[0], terms: MissionTerms = mission) {
    const frame = await readFrame(renderTestFrame(spec).bytes);
    return judgeFrame(frameMetadata(frame), frame.data, terms);
  }

  it('accepts a good frame and treats filter names case-insensitively', async () => {
    expect(await judge({ startUtc: start })).toEqual({ accepted: true, reasons: [], filter: 'V' });
    expect((await judge({ startUtc: start, filter: 'v' })).accepted).toBe(true);
    // No FILTER keyword: the mission's filter is recorded.
    expect(await judge({ startUtc: start, filter: null })).toEqual({ accepted: true, reasons: [], filter: 'V' });
  });

  it('rejects with a reason for each rule broken', async () => {
    const wrongFilter = await judge({ startUtc: start, filter: 'R' });
    expect(wrongFilter.reasons).toEqual(["filter 'R' is not the mission's 'V'"]);

    // 1° away: the field radius is 0.039°.
    const offTarget = await judge({ startUtc: start, raDeg: TARGET.raDeg + 1 / Math.cos((TARGET.decDeg * Math.PI) / 180) });
    expect(offTarget.accepted).toBe(false);
    expect(offTarget.reasons[0]).toMatch(/^the target is 1\.0\d\d° from the field centre \(WCS\), outside the 0\.039° field radius$/);

    const undated = await judge({ startUtc: start, noDate: true });
    expect(undated.reasons[0]).toMatch(/DATE-OBS/);

    const outside = await judge({ startUtc: start }, { ...mission, windowStart: new Date('2026-03-01T22:00:00Z'), windowEnd: new Date('2026-03-01T23:00:00Z') });
    expect(outside.reasons).toEqual(['mid-exposure 2026-03-01T21:04:35.000Z is before the mission window (starts 2026-03-01T22:00:00.000Z)']);
  });

  it('rejects a blank frame', async () => {
    const frame = await readFrame(renderTestFrame({ startUtc: start }).bytes);
    const blank = new Float32Array(frame.data.length).fill(512);
    expect(judgeFrame(frameMetadata(frame), blank, mission).reasons).toEqual(['blank frame: every pixel is 512']);
  });
});
