/** Fixture loading for the WCS tests (test/fixtures/wcs, made by scripts/fixtures/wcs.py). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Header } from '../../../src/science/fits/header.js';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'wcs');

/** A header stored as text, one 80-character card per line (END last), parsed by our FITS reader. */
export function loadHeader(name: string): Header {
  const text = readFileSync(join(FIXTURES, 'headers', `${name}.hdr`), 'latin1');
  const lines = text.split('\n').filter((l) => l.length > 0);
  const body = lines.map((l) => l.padEnd(80).slice(0, 80)).join('');
  const bytes = new Uint8Array(Math.ceil(body.length / 2880) * 2880).fill(0x20);
  for (let i = 0; i < body.length; i++) bytes[i] = body.charCodeAt(i);
  return Header.parse(bytes, 0, { hdu: 0 }).header;
}

export interface Golden {
  name: string;
  header: string;
  key: string;
  note: string;
  width: number;
  height: number;
  astropy: {
    ctype: string[];
    crpix0: [number, number];
    crval: [number, number];
    cd: [[number, number], [number, number]];
    lonpole: number;
    latpole: number;
    radesys: string;
    equinox: number | null;
  };
  pix: Array<[number, number]>;
  sky: Array<[number, number]>;
  skyIn: Array<[number, number]>;
  pixExact: Array<[number, number]>;
  pixPolynomial?: Array<[number, number]>;
  scale: Array<{ atPx: [number, number]; arcsec: number }>;
  scaleAtCrpixNoDistortion: number;
  rotation?: Array<{ atPx: [number, number]; deg: number }>;
  footprint: Array<[number, number]>;
  fieldOfView: { widthDeg: number; heightDeg: number; centerRaDeg: number; centerDecDeg: number };
}

export function loadGolden(name: string): Golden {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as Golden;
}

export function loadJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURES, name), 'utf8')) as T;
}

/** Every golden case with a header file of the same name. */
export const CASES = [
  'tan_cd',
  'tan_pc_cdelt',
  'tan_crota2',
  'sip_apbp',
  'sip_noapbp',
  'tpv',
  'ra_wrap',
  'pole_north',
  'pole_south',
  'pole_exact',
  'lonpole',
  'swapped',
  'swapped_crota',
  'galactic',
  'altkey',
  'cd_and_pc_ref',
  'feder_sip',
  'horsehead_tan',
] as const;

/**
 * Great-circle distance in arcsec by the haversine formula with plain Math functions
 * (independent of the library's own trigonometry); handles the RA wrap by construction.
 */
export function sepArcsec(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const d2r = Math.PI / 180;
  const s =
    Math.sin(((dec2 - dec1) * d2r) / 2) ** 2 + Math.cos(dec1 * d2r) * Math.cos(dec2 * d2r) * Math.sin(((ra2 - ra1) * d2r) / 2) ** 2;
  return ((2 * Math.asin(Math.min(1, Math.sqrt(s)))) / d2r) * 3600;
}

/** Signed difference of two angles in degrees, wrapped into [-180, 180). */
export function wrapDeg(a: number): number {
  return ((((a + 180) % 360) + 360) % 360) - 180;
}

/** Park–Miller-style seeded generator (deterministic tests), with Box–Muller normals. */
export function rng(seed: number): { uniform(): number; normal(): number } {
  let s = seed >>> 0 || 1;
  const uniform = (): number => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return (s + 0.5) / 4294967296;
  };
  return {
    uniform,
    normal() {
      return Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    },
  };
}
