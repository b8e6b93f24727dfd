/**
 * WCS benchmarks: pixel ↔ sky throughput (million points per second, one core) for TAN,
 * TAN-SIP (order 3, AP/BP order 4) and TPV, beside astropy.wcs (wcslib) on the same
 * headers and the same points in the same run. astropy is timed inside Python, so process
 * start-up and file I/O are not counted for either side.
 *
 * Reference calls: all_pix2world for pixel → sky; all_world2pix (tolerance 1e-10 px, like
 * our Newton) for the exact sky → pixel; wcs_world2pix + sip_foc2pix for the AP/BP path.
 */
import { REPO_ROOT } from './paths.js';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Header } from '../src/science/fits/header.js';
import { pixToSkyBatch, skyToPixBatch, wcsFromHeader, type Wcs } from '../src/science/wcs/index.js';
import { DEBIAN_PYTHON, hasPythonModule, timeIt, type BenchContext } from './harness.js';

const N = 2_000_000;
const REPEATS = 5;
const HEADERS = join(REPO_ROOT, 'test/fixtures/wcs/headers') + '/';

interface Case {
  label: string;
  header: string;
  width: number;
  height: number;
}

const CASES: Case[] = [
  { label: 'TAN', header: 'tan_cd', width: 2048, height: 1536 },
  { label: 'TAN-SIP', header: 'sip_apbp', width: 4096, height: 4096 },
  { label: 'TPV', header: 'tpv', width: 2048, height: 4096 },
];

const PYTHON = String.raw`
import json, sys, time
import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
import warnings
warnings.simplefilter('ignore')
hdr_path, xy_path, sky_path, repeats, sip = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == '1'
w = WCS(fits.Header.fromstring(open(hdr_path).read(), sep='\n'))
pix = np.fromfile(xy_path, dtype='<f8').reshape(-1, 2)
sky = np.fromfile(sky_path, dtype='<f8').reshape(-1, 2)
def med(f):
    f()
    t = []
    for _ in range(repeats):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return sorted(t)[len(t) // 2]
out = {
    'pix2sky': med(lambda: w.all_pix2world(pix, 0)),
    'sky2pix_exact': med(lambda: w.all_world2pix(sky, 0, tolerance=1e-10, maxiter=50)),
}
if sip:
    out['sky2pix_poly'] = med(lambda: w.sip_foc2pix(w.wcs_world2pix(sky, 0) - w.wcs.crpix, 0))
print(json.dumps(out))
`;

function loadHeaderText(name: string): { text: string; wcs: Wcs } {
  const text = readFileSync(join(HEADERS, `${name}.hdr`), 'latin1');
  const body = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => l.padEnd(80).slice(0, 80))
    .join('');
  const bytes = new Uint8Array(Math.ceil(body.length / 2880) * 2880).fill(0x20);
  for (let i = 0; i < body.length; i++) bytes[i] = body.charCodeAt(i);
  const wcs = wcsFromHeader(Header.parse(bytes).header);
  if (!wcs) throw new Error(`${name}: no WCS`);
  return { text, wcs };
}

/** Deterministic pseudo-random pixel positions over the image (xorshift32). */
function points(width: number, height: number): { x: Float64Array; y: Float64Array } {
  let s = 12345;
  const next = (): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  const x = new Float64Array(N);
  const y = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    x[i] = next() * width - 0.5;
    y[i] = next() * height - 0.5;
  }
  return { x, y };
}

function interleave(a: Float64Array, b: Float64Array): Buffer {
  const out = new Float64Array(a.length * 2);
  for (let i = 0; i < a.length; i++) {
    out[2 * i] = a[i];
    out[2 * i + 1] = b[i];
  }
  return Buffer.from(out.buffer);
}

export async function run(ctx: BenchContext): Promise<void> {
  const havePython = hasPythonModule('astropy');
  for (const c of CASES) {
    const { text, wcs } = loadHeaderText(c.header);
    const { x, y } = points(c.width, c.height);
    const sky = { raDeg: new Float64Array(N), decDeg: new Float64Array(N) };
    const pix = { xPx: new Float64Array(N), yPx: new Float64Array(N) };
    const p2s = timeIt(() => pixToSkyBatch(wcs, x, y, sky), REPEATS);
    const s2pExact = timeIt(() => skyToPixBatch(wcs, sky.raDeg, sky.decDeg, pix, { sipInverse: 'exact' }), REPEATS);
    const hasApBp = Boolean(wcs.sip?.ap);
    const s2pPoly = hasApBp ? timeIt(() => skyToPixBatch(wcs, sky.raDeg, sky.decDeg, pix, { sipInverse: 'polynomial' }), REPEATS) : undefined;

    let ref: { pix2sky: number; sky2pix_exact: number; sky2pix_poly?: number } | undefined;
    if (havePython) {
      const hdr = join(ctx.tmpDir, `${c.header}.hdr`);
      const xy = join(ctx.tmpDir, `${c.header}.xy`);
      const rd = join(ctx.tmpDir, `${c.header}.sky`);
      const script = join(ctx.tmpDir, 'wcs_bench.py');
      writeFileSync(hdr, text);
      writeFileSync(xy, interleave(x, y));
      writeFileSync(rd, interleave(sky.raDeg, sky.decDeg));
      writeFileSync(script, PYTHON);
      const out = execFileSync(DEBIAN_PYTHON, [script, hdr, xy, rd, String(REPEATS), hasApBp ? '1' : '0'], { encoding: 'utf8', maxBuffer: 1 << 20 });
      ref = JSON.parse(out) as typeof ref;
    }
    const mpts = (seconds: number): number => N / seconds / 1e6;
    const tool = 'astropy.wcs';
    const n = `${(N / 1e6).toFixed(0)}M pts`;
    ctx.record({ name: `${c.label} pix→sky ${n}`, unit: 'Mpt/s', ours: mpts(p2s), reference: ref && { tool, value: mpts(ref.pix2sky) }, higherIsBetter: true });
    if (s2pPoly !== undefined) {
      ctx.record({
        name: `${c.label} sky→pix AP/BP ${n}`,
        unit: 'Mpt/s',
        ours: mpts(s2pPoly),
        reference: ref?.sky2pix_poly === undefined ? undefined : { tool, value: mpts(ref.sky2pix_poly) },
        higherIsBetter: true,
      });
    }
    ctx.record({
      name: `${c.label} sky→pix${wcs.sip || wcs.tpv ? ' exact' : ''} ${n}`,
      unit: 'Mpt/s',
      ours: mpts(s2pExact),
      reference: ref && { tool, value: mpts(ref.sky2pix_exact) },
      higherIsBetter: true,
    });
  }
}
