/**
 * Solver backends: the native backend on the committed frame (hinted, blind fallback, no
 * hint); the astrometry.net and ASTAP adapters with a fake command runner that writes the
 * tools' documented output files (solve-field's .wcs/.corr; ASTAP's .ini/.wcs, samples written
 * from its documented format in test/fixtures/astrometry/astap-*.{ini,wcs}); their command
 * lines; and typed errors when a tool is missing or writes nothing.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AstrometryError,
  astapArgs,
  astapBackend,
  astrometryNetBackend,
  buildCatalog,
  buildSkyIndex,
  encodeCatalog,
  encodeSkyIndex,
  nativeBackend,
  parseAstapIni,
  parseCatalogCsv,
  parseHeaderText,
  solveFieldArgs,
  type CommandRunner,
} from '../../../src/science/astrometry/index.js';
import { buildBinTable } from '../../../src/science/fits/bintable.js';
import { Header } from '../../../src/science/fits/header.js';
import { writeFits } from '../../../src/science/fits/writer.js';
import { angularSeparationDeg, createWcs, pixToSky, skyToPix, wcsFromHeader, wcsToHeader } from '../../../src/science/wcs/index.js';
import { ROOT } from './frames.js';

const FIX = join(ROOT, 'test/fixtures/astrometry');
const FRAME = join(FIX, 'frame-m67.fits');
const T = JSON.parse(readFileSync(join(FIX, 'frame-m67.truth.json'), 'utf8')) as { crpix: [number, number]; crval: [number, number]; cd: [number, number, number, number]; size: number };
const truth = createWcs({ crpix: T.crpix, crval: T.crval, cd: T.cd });
const centre = pixToSky(truth, (T.size - 1) / 2, (T.size - 1) / 2);

let dir: string;
let catPath: string;
let idxPath: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'oa-backends-'));
  const cat = buildCatalog(parseCatalogCsv(readFileSync(join(FIX, 'cones/m67.csv'), 'utf8')));
  catPath = join(dir, 'm67.oacat');
  writeFileSync(catPath, encodeCatalog(cat));
  idxPath = join(dir, 'm67.oaidx');
  writeFileSync(idxPath, encodeSkyIndex(buildSkyIndex(cat, { quadSizeDeg: [0.2, 1.3] })));
});

function nearTruth(raDeg: number | undefined, decDeg: number | undefined, arcsec: number): void {
  expect(angularSeparationDeg(raDeg!, decDeg!, centre[0], centre[1]) * 3600).toBeLessThan(arcsec);
}

describe('native backend', () => {
  it('solves hinted, falls back to blind, and says why when it cannot', async () => {
    const b = nativeBackend({ catalogPath: catPath, indexPath: idxPath });
    const hinted = await b.solve(FRAME, { hint: { raDeg: 132.9, decDeg: 11.6, radiusDeg: 0.5 }, scaleLowArcsecPerPx: 10, scaleHighArcsecPerPx: 14 });
    expect(hinted).toMatchObject({ backend: 'native', solved: true, mode: 'hinted', hdu: 0, imageWidth: 320, imageHeight: 320 });
    nearTruth(hinted.raDeg, hinted.decDeg, 1);
    const blind = await b.solve(FRAME, { hint: { raDeg: 300, decDeg: -20, radiusDeg: 0.5 }, scaleLowArcsecPerPx: 10, scaleHighArcsecPerPx: 14 });
    expect(blind).toMatchObject({ solved: true, mode: 'blind' });
    nearTruth(blind.raDeg, blind.decDeg, 1);
    const none = await nativeBackend({ catalogPath: catPath }).solve(FRAME, {});
    expect(none.solved).toBe(false);
    expect(none.reason).toMatch(/^solve_failed: no position hint and no sky index/);
    const wrong = await nativeBackend({ catalogPath: catPath }).solve(FRAME, { hint: { raDeg: 300, decDeg: -20, radiusDeg: 0.5 }, scaleLowArcsecPerPx: 10, scaleHighArcsecPerPx: 14 });
    expect(wrong.solved).toBe(false);
    expect(wrong.reason).toMatch(/^solve_failed: (no quad match|too few|only \d+ catalog stars|verification)/i);
  });
});

/** A fake command runner: records the call and writes files as the tool would. */
function fakeRunner(write: (args: string[]) => void, result: { code: number | null; notFound?: boolean } = { code: 0 }): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run: CommandRunner = async (_cmd, args) => {
    calls.push(args);
    if (!result.notFound) write(args);
    return Promise.resolve({ code: result.code, stdout: '', stderr: result.code === 0 ? '' : 'solve-field: something broke\n', notFound: result.notFound });
  };
  return Object.assign(run, { calls });
}

describe('astrometry.net backend', () => {
  it('builds the solve-field command line', () => {
    const a = solveFieldArgs('/f.fits', '/tmp/d', { hint: { raDeg: 10, decDeg: -5, radiusDeg: 2 }, scaleLowArcsecPerPx: 1, scaleHighArcsecPerPx: 2, timeLimitS: 30 });
    const s = a.join(' ');
    expect(a[0]).toBe('/f.fits');
    for (const part of ['--dir /tmp/d', '--no-plots', '--new-fits none', '--scale-units arcsecperpix', '--scale-low 1', '--scale-high 2', '--ra 10', '--dec -5', '--radius 2', '--cpulimit 30', '--wcs /tmp/d/solve.wcs']) expect(s).toContain(part);
    expect(solveFieldArgs('/f.fits', '/d', {}).join(' ')).not.toMatch(/--ra|--scale-units/);
  });

  it('reads the .wcs and .corr solve-field writes into --dir', async () => {
    const run = fakeRunner((args) => {
      const d = args[args.indexOf('--dir') + 1];
      const h = new Header([{ keyword: 'SIMPLE', value: true }, { keyword: 'BITPIX', value: 8 }, { keyword: 'NAXIS', value: 0 }]);
      wcsToHeader(truth, h);
      writeFileSync(join(d, 'solve.wcs'), writeFits([{ header: h }]));
      // Three matched stars, exactly on the truth.
      const ra = [132.9, 133.0, 132.8];
      const dec = [11.7, 11.8, 11.6];
      const xy = ra.map((r, i) => skyToPix(truth, r, dec[i]));
      const t = buildBinTable([
        { name: 'field_x', format: 'D', values: Float64Array.from(xy, (p) => p[0] + 1) },
        { name: 'field_y', format: 'D', values: Float64Array.from(xy, (p) => p[1] + 1) },
        { name: 'index_ra', format: 'D', values: Float64Array.from(ra) },
        { name: 'index_dec', format: 'D', values: Float64Array.from(dec) },
      ]);
      writeFileSync(join(d, 'solve.corr'), writeFits([{ header: new Header([{ keyword: 'SIMPLE', value: true }, { keyword: 'BITPIX', value: 8 }, { keyword: 'NAXIS', value: 0 }, { keyword: 'EXTEND', value: true }]) }, t]));
    });
    const r = await astrometryNetBackend({ run }).solve(FRAME, { hint: { raDeg: 132.9, decDeg: 11.6, radiusDeg: 1 } });
    expect(r).toMatchObject({ backend: 'astrometry.net', solved: true, matched: 3, imageWidth: 320, hdu: 0 });
    expect(r.rmsArcsec!).toBeLessThan(1e-6);
    nearTruth(r.raDeg, r.decDeg, 1e-6);
    expect(run.calls[0]).toContain('--ra');
  });

  it('reports no solution, a failed run and a missing tool distinctly', async () => {
    const nothing = await astrometryNetBackend({ run: fakeRunner(() => undefined) }).solve(FRAME, {});
    expect(nothing).toMatchObject({ solved: false, reason: 'solve_failed: solve-field found no solution' });
    await expect(astrometryNetBackend({ run: fakeRunner(() => undefined, { code: 3 }) }).solve(FRAME, {})).rejects.toThrow(/exited with status 3: solve-field: something broke/);
    const missing = astrometryNetBackend({ run: fakeRunner(() => undefined, { code: null, notFound: true }) }).solve(FRAME, {});
    await expect(missing).rejects.toBeInstanceOf(AstrometryError);
    await expect(missing).rejects.toThrow(/not found \(install astrometry.net/);
  });
});

describe('ASTAP backend', () => {
  it('parses the documented .ini and .wcs output', () => {
    const ini = parseAstapIni(readFileSync(join(FIX, 'astap-sample.ini'), 'latin1'));
    expect(ini.solved).toBe(true);
    const fromIni = wcsFromHeader(ini.header!)!;
    const fromWcs = wcsFromHeader(parseHeaderText(readFileSync(join(FIX, 'astap-sample.wcs'), 'latin1')))!;
    for (const w of [fromIni, fromWcs]) {
      const [ra, dec] = pixToSky(w, (T.size - 1) / 2, (T.size - 1) / 2);
      expect(angularSeparationDeg(ra, dec, centre[0], centre[1]) * 3600).toBeLessThan(1e-6);
      expect(w.crpix[0]).toBeCloseTo(T.crpix[0], 12);
    }
    const failed = parseAstapIni(readFileSync(join(FIX, 'astap-failed-sample.ini'), 'latin1'));
    expect(failed).toMatchObject({ solved: false, error: 'No solution found!', warning: 'Few stars detected' });
    expect(() => parseAstapIni('PLTSOLVD=T\nCRVAL1=abc\n')).toThrow(/CRVAL1=abc is not a number/);
  });

  it('passes RA in hours, Dec as south-pole distance and the field height', () => {
    const a = astapArgs('/f.fits', '/d/f', { hint: { raDeg: 150, decDeg: -30, radiusDeg: 2 }, scaleLowArcsecPerPx: 1, scaleHighArcsecPerPx: 4 }, 1800);
    expect(a.join(' ')).toBe('-f /f.fits -o /d/f -wcs -ra 10 -spd 60 -r 2 -fov 1');
    expect(astapArgs('/f.fits', '/d/f', {}, 1000).join(' ')).toBe('-f /f.fits -o /d/f -wcs -r 180 -fov 0');
  });

  it('runs astap and reads its result files; failures give a reason or a typed error', async () => {
    const ok = fakeRunner((args) => {
      const out = args[args.indexOf('-o') + 1];
      copyFileSync(join(FIX, 'astap-sample.ini'), `${out}.ini`);
      copyFileSync(join(FIX, 'astap-sample.wcs'), `${out}.wcs`);
    });
    const r = await astapBackend({ run: ok }).solve(FRAME, { hint: { raDeg: 132.9, decDeg: 11.6, radiusDeg: 1 } });
    expect(r).toMatchObject({ backend: 'astap', solved: true, imageWidth: 320 });
    nearTruth(r.raDeg, r.decDeg, 1e-6);
    const no = fakeRunner((args) => copyFileSync(join(FIX, 'astap-failed-sample.ini'), `${args[args.indexOf('-o') + 1]}.ini`));
    expect(await astapBackend({ run: no }).solve(FRAME, {})).toMatchObject({ solved: false, reason: 'solve_failed: ASTAP found no solution (No solution found!)' });
    await expect(astapBackend({ run: fakeRunner(() => undefined, { code: 1 }) }).solve(FRAME, {})).rejects.toThrow(/wrote no result file/);
    await expect(astapBackend({ run: fakeRunner(() => undefined, { code: null, notFound: true }) }).solve(FRAME, {})).rejects.toThrow(/'astap' not found/);
  });
});
