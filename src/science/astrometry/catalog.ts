/**
 * A compact star catalog: positions, one magnitude, optional proper motion, sorted into
 * declination zones (and by RA inside each zone) so a cone query touches only the zones
 * it overlaps and, inside each, a binary-searched RA interval.
 *
 * On disk (little-endian, `.oacat`):
 *   0  "OACAT001"                       8 bytes magic
 *   8  u32 flags (bit 0: proper motion) 12 u32 number of stars
 *   16 f64 epoch (Julian year)          24 f64 zone height (deg)
 *   32 u32 number of zones Z            36 u32 reserved (0)
 *   40 (Z + 1) × u32 first star of each zone (the last entry = number of stars)
 *   then one record per star: u32 RA (2³² units per 360°), i32 Dec (2³¹−1 units per 90°),
 *   i16 magnitude (millimag), and with proper motion f32 μα* = μα cos δ and f32 μδ (mas/yr).
 * The quantisation (0.3 mas in RA, 0.15 mas in Dec) is applied when a catalog is built, so a
 * catalog in memory and the same catalog read back are identical.
 */
import { open } from 'node:fs/promises';
import { angularSeparationDeg } from '../wcs/geometry.js';
import { AstrometryError, requireFinite } from './errors.js';

export interface CatalogStars {
  raDeg: Float64Array;
  decDeg: Float64Array;
  mag: Float32Array;
  /** μα* = μα cos δ, mas/yr (Gaia's pmra); absent when the catalog has no proper motion. */
  pmRaMasYr?: Float32Array;
  pmDecMasYr?: Float32Array;
  /** Epoch of the positions, Julian year (e.g. 2016.0 for Gaia DR3). */
  epochYr: number;
}

export interface StarCatalog extends CatalogStars {
  zoneHeightDeg: number;
  /** zoneStart[z] … zoneStart[z + 1] − 1 are the stars of zone z (Dec from −90 + z·h). */
  zoneStart: Uint32Array;
}

export interface CatalogInput {
  raDeg: ArrayLike<number>;
  decDeg: ArrayLike<number>;
  mag: ArrayLike<number>;
  pmRaMasYr?: ArrayLike<number>;
  pmDecMasYr?: ArrayLike<number>;
  epochYr: number;
}

const MAGIC = 'OACAT001';
const HEADER_BYTES = 40;
const RA_UNITS = 2 ** 32 / 360;
const DEC_UNITS = (2 ** 31 - 1) / 90;
/** Catalogs larger than this are refused (≈ 1.8 GB of records with proper motion). */
export const MAX_CATALOG_STARS = 100_000_000;

function quantRa(ra: number): number {
  const r = ((ra % 360) + 360) % 360;
  return Math.round(r * RA_UNITS) % 2 ** 32;
}
const quantDec = (dec: number): number => Math.round(dec * DEC_UNITS);
const quantMag = (m: number): number => Math.round(m * 1000);

function zoneCount(h: number): number {
  return Math.ceil(180 / h - 1e-9);
}
function zoneOf(decDeg: number, h: number, nZones: number): number {
  return Math.min(nZones - 1, Math.max(0, Math.floor((decDeg + 90) / h)));
}

/** Builds the zone-sorted, quantised catalog from any star list. */
export function buildCatalog(input: CatalogInput, opts: { zoneHeightDeg?: number } = {}): StarCatalog {
  const n = input.raDeg.length;
  if (n > MAX_CATALOG_STARS) throw new AstrometryError('TOO_LARGE', `${n} stars exceed the ${MAX_CATALOG_STARS}-star limit`);
  if (input.decDeg.length !== n || input.mag.length !== n) throw new AstrometryError('BAD_ARGUMENT', 'raDeg, decDeg and mag must have the same length');
  const hasPm = input.pmRaMasYr !== undefined || input.pmDecMasYr !== undefined;
  if (hasPm && (input.pmRaMasYr?.length !== n || input.pmDecMasYr?.length !== n)) {
    throw new AstrometryError('BAD_ARGUMENT', 'pmRaMasYr and pmDecMasYr must both be given, one value per star');
  }
  const h = requireFinite(opts.zoneHeightDeg ?? 1, 'zoneHeightDeg', 0.01, 180);
  requireFinite(input.epochYr, 'epochYr', -10000, 10000);
  const nZones = zoneCount(h);
  const raQ = new Float64Array(n);
  const decQ = new Float64Array(n);
  const zone = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const ra = input.raDeg[i];
    const dec = input.decDeg[i];
    const m = input.mag[i];
    if (!Number.isFinite(ra) || !(dec >= -90 && dec <= 90) || !(Math.abs(m) < 32.7)) {
      throw new AstrometryError('BAD_ARGUMENT', `star ${i}: RA ${ra}, Dec ${dec}, mag ${m} out of range`);
    }
    raQ[i] = quantRa(ra) / RA_UNITS;
    decQ[i] = quantDec(dec) / DEC_UNITS;
    zone[i] = zoneOf(decQ[i], h, nZones);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => zone[a] - zone[b] || raQ[a] - raQ[b] || decQ[a] - decQ[b]);
  const out: StarCatalog = {
    raDeg: new Float64Array(n),
    decDeg: new Float64Array(n),
    mag: new Float32Array(n),
    epochYr: input.epochYr,
    zoneHeightDeg: h,
    zoneStart: new Uint32Array(nZones + 1),
  };
  if (hasPm) {
    out.pmRaMasYr = new Float32Array(n);
    out.pmDecMasYr = new Float32Array(n);
  }
  for (let k = 0; k < n; k++) {
    const i = order[k];
    out.raDeg[k] = raQ[i];
    out.decDeg[k] = decQ[i];
    out.mag[k] = quantMag(input.mag[i]) / 1000;
    if (hasPm) {
      out.pmRaMasYr![k] = input.pmRaMasYr![i];
      out.pmDecMasYr![k] = input.pmDecMasYr![i];
    }
    out.zoneStart[zone[i] + 1]++;
  }
  for (let z = 0; z < nZones; z++) out.zoneStart[z + 1] += out.zoneStart[z];
  return out;
}

/** Serialises a catalog built by buildCatalog. */
export function encodeCatalog(cat: StarCatalog): Uint8Array {
  const n = cat.raDeg.length;
  const hasPm = cat.pmRaMasYr !== undefined;
  const rec = hasPm ? 18 : 10;
  const nZones = cat.zoneStart.length - 1;
  const dataStart = HEADER_BYTES + 4 * (nZones + 1);
  const bytes = new Uint8Array(dataStart + rec * n);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
  dv.setUint32(8, hasPm ? 1 : 0, true);
  dv.setUint32(12, n, true);
  dv.setFloat64(16, cat.epochYr, true);
  dv.setFloat64(24, cat.zoneHeightDeg, true);
  dv.setUint32(32, nZones, true);
  for (let z = 0; z <= nZones; z++) dv.setUint32(HEADER_BYTES + 4 * z, cat.zoneStart[z], true);
  for (let i = 0, o = dataStart; i < n; i++, o += rec) {
    dv.setUint32(o, quantRa(cat.raDeg[i]), true);
    dv.setInt32(o + 4, quantDec(cat.decDeg[i]), true);
    dv.setInt16(o + 8, quantMag(cat.mag[i]), true);
    if (hasPm) {
      dv.setFloat32(o + 10, cat.pmRaMasYr![i], true);
      dv.setFloat32(o + 14, cat.pmDecMasYr![i], true);
    }
  }
  return bytes;
}

interface CatalogHeader {
  hasPm: boolean;
  nStars: number;
  epochYr: number;
  zoneHeightDeg: number;
  zoneStart: Uint32Array;
  dataStart: number;
  recordBytes: number;
}

function parseHeader(head: Uint8Array, fileBytes: number, file?: string): { nZones: number; hasPm: boolean; nStars: number; epochYr: number; zoneHeightDeg: number } {
  if (head.length < HEADER_BYTES) throw new AstrometryError('BAD_CATALOG', `${head.length} bytes: too short for a catalog header`, { file, offset: 0 });
  for (let i = 0; i < 8; i++) {
    if (head[i] !== MAGIC.charCodeAt(i)) throw new AstrometryError('BAD_CATALOG', `not an OpenAstro star catalog (magic ${JSON.stringify(String.fromCharCode(...head.subarray(0, 8)))})`, { file, offset: 0 });
  }
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const flags = dv.getUint32(8, true);
  const nStars = dv.getUint32(12, true);
  const epochYr = dv.getFloat64(16, true);
  const zoneHeightDeg = dv.getFloat64(24, true);
  const nZones = dv.getUint32(32, true);
  if (flags > 1) throw new AstrometryError('BAD_CATALOG', `unknown flags ${flags}`, { file, offset: 8 });
  if (!(zoneHeightDeg >= 0.01 && zoneHeightDeg <= 180) || nZones !== zoneCount(zoneHeightDeg)) {
    throw new AstrometryError('BAD_CATALOG', `zone height ${zoneHeightDeg}° and ${nZones} zones are inconsistent`, { file, offset: 24 });
  }
  if (!Number.isFinite(epochYr)) throw new AstrometryError('BAD_CATALOG', `epoch ${epochYr} is not finite`, { file, offset: 16 });
  const rec = flags & 1 ? 18 : 10;
  const expected = HEADER_BYTES + 4 * (nZones + 1) + rec * nStars;
  if (nStars > MAX_CATALOG_STARS || expected !== fileBytes) {
    throw new AstrometryError('BAD_CATALOG', `${nStars} stars need ${expected} bytes, the file has ${fileBytes}`, { file, offset: 12 });
  }
  return { nZones, hasPm: (flags & 1) === 1, nStars, epochYr, zoneHeightDeg };
}

function checkZones(zoneStart: Uint32Array, nStars: number, file?: string): void {
  if (zoneStart[0] !== 0 || zoneStart[zoneStart.length - 1] !== nStars) throw new AstrometryError('BAD_CATALOG', 'zone table does not span the stars', { file, offset: HEADER_BYTES });
  for (let z = 1; z < zoneStart.length; z++) {
    if (zoneStart[z] < zoneStart[z - 1]) throw new AstrometryError('BAD_CATALOG', `zone table decreases at zone ${z}`, { file, offset: HEADER_BYTES + 4 * z });
  }
}

function decodeRecords(bytes: Uint8Array, hasPm: boolean, n: number): { raDeg: Float64Array; decDeg: Float64Array; mag: Float32Array; pmRaMasYr?: Float32Array; pmDecMasYr?: Float32Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const rec = hasPm ? 18 : 10;
  const raDeg = new Float64Array(n);
  const decDeg = new Float64Array(n);
  const mag = new Float32Array(n);
  const pmRa = hasPm ? new Float32Array(n) : undefined;
  const pmDec = hasPm ? new Float32Array(n) : undefined;
  for (let i = 0, o = 0; i < n; i++, o += rec) {
    raDeg[i] = dv.getUint32(o, true) / RA_UNITS;
    decDeg[i] = dv.getInt32(o + 4, true) / DEC_UNITS;
    mag[i] = dv.getInt16(o + 8, true) / 1000;
    if (pmRa && pmDec) {
      pmRa[i] = dv.getFloat32(o + 10, true);
      pmDec[i] = dv.getFloat32(o + 14, true);
    }
  }
  return { raDeg, decDeg, mag, pmRaMasYr: pmRa, pmDecMasYr: pmDec };
}

/** Reads a whole serialised catalog. */
export function decodeCatalog(bytes: Uint8Array, file?: string): StarCatalog {
  const h = parseHeader(bytes.subarray(0, HEADER_BYTES), bytes.length, file);
  const zoneStart = new Uint32Array(h.nZones + 1);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let z = 0; z <= h.nZones; z++) zoneStart[z] = dv.getUint32(HEADER_BYTES + 4 * z, true);
  checkZones(zoneStart, h.nStars, file);
  const recs = decodeRecords(bytes.subarray(HEADER_BYTES + 4 * (h.nZones + 1)), h.hasPm, h.nStars);
  const cat: StarCatalog = { raDeg: recs.raDeg, decDeg: recs.decDeg, mag: recs.mag, epochYr: h.epochYr, zoneHeightDeg: h.zoneHeightDeg, zoneStart };
  if (recs.pmRaMasYr) {
    cat.pmRaMasYr = recs.pmRaMasYr;
    cat.pmDecMasYr = recs.pmDecMasYr;
  }
  return cat;
}

/** Zones and RA half-width that a cone can touch (conservative; the exact test follows). */
function coneBounds(raDeg: number, decDeg: number, radiusDeg: number, h: number, nZones: number): { z0: number; z1: number; raHalfDeg: number } {
  requireFinite(raDeg, 'raDeg');
  requireFinite(decDeg, 'decDeg', -90, 90);
  requireFinite(radiusDeg, 'radiusDeg', 0, 180);
  const z0 = zoneOf(decDeg - radiusDeg, h, nZones);
  const z1 = zoneOf(decDeg + radiusDeg, h, nZones);
  const d2r = Math.PI / 180;
  // Largest |ΔRA| inside a cone: sin Δα = sin r / cos δ0 (when the cone holds no pole).
  let raHalfDeg = 360;
  if (Math.abs(decDeg) + radiusDeg < 89.999 && radiusDeg < 90) {
    raHalfDeg = Math.asin(Math.min(1, Math.sin(radiusDeg * d2r) / Math.cos(decDeg * d2r))) / d2r + 1e-7;
  }
  return { z0, z1, raHalfDeg };
}

/** [lo, hi) of the sorted RA values in a[from, to) that are ≥ raLo and < raHi. */
function raRange(get: (i: number) => number, from: number, to: number, raLo: number, raHi: number): [number, number] {
  const lower = (v: number): number => {
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (get(mid) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  return [lower(raLo), lower(raHi)];
}

/** RA intervals [lo, hi) inside [0, 360) covering ra ± half. */
function raIntervals(raDeg: number, half: number): Array<[number, number]> {
  if (half >= 180) return [[0, 361]];
  const ra = ((raDeg % 360) + 360) % 360;
  const lo = ra - half;
  const hi = ra + half;
  if (lo < 0) return [[0, hi + 1e-12], [lo + 360, 361]];
  if (hi >= 360) return [[0, hi - 360 + 1e-12], [lo, 361]];
  return [[lo, hi + 1e-12]];
}

export interface ConeOptions {
  /** Move stars with proper motion to this epoch (Julian year); default: the catalog's epoch. */
  epochYr?: number;
}

function pickInCone(cat: CatalogStars, idx: number[], raDeg: number, decDeg: number, radiusDeg: number, opts: ConeOptions): CatalogStars {
  const keep = idx.filter((i) => angularSeparationDeg(cat.raDeg[i], cat.decDeg[i], raDeg, decDeg) <= radiusDeg);
  const out: CatalogStars = {
    raDeg: Float64Array.from(keep, (i) => cat.raDeg[i]),
    decDeg: Float64Array.from(keep, (i) => cat.decDeg[i]),
    mag: Float32Array.from(keep, (i) => cat.mag[i]),
    epochYr: cat.epochYr,
  };
  if (cat.pmRaMasYr && cat.pmDecMasYr) {
    out.pmRaMasYr = Float32Array.from(keep, (i) => cat.pmRaMasYr![i]);
    out.pmDecMasYr = Float32Array.from(keep, (i) => cat.pmDecMasYr![i]);
  }
  return opts.epochYr === undefined ? out : applyProperMotion(out, opts.epochYr);
}

/**
 * Stars within radiusDeg of (raDeg, decDeg) (selected at the catalog epoch, then moved to
 * opts.epochYr), in catalog order.
 */
export function coneQuery(cat: StarCatalog, raDeg: number, decDeg: number, radiusDeg: number, opts: ConeOptions = {}): CatalogStars {
  const nZones = cat.zoneStart.length - 1;
  const { z0, z1, raHalfDeg } = coneBounds(raDeg, decDeg, radiusDeg, cat.zoneHeightDeg, nZones);
  const idx: number[] = [];
  const get = (i: number): number => cat.raDeg[i];
  for (let z = z0; z <= z1; z++) {
    for (const [lo, hi] of raIntervals(raDeg, raHalfDeg)) {
      const [a, b] = raRange(get, cat.zoneStart[z], cat.zoneStart[z + 1], lo, hi);
      for (let i = a; i < b; i++) idx.push(i);
    }
  }
  return pickInCone(cat, idx, raDeg, decDeg, radiusDeg, opts);
}

/**
 * Moves stars along great circles at their proper motion from the catalog epoch to
 * epochYr (no parallax or radial velocity: the space motion is tangential and uniform).
 * The direction p moves towards the unit tangent t = (μα* ê + μδ n̂)/μ:
 *   p(Δt) = p cos(μΔt) + t sin(μΔt).
 */
export function applyProperMotion(stars: CatalogStars, epochYr: number): CatalogStars {
  requireFinite(epochYr, 'epochYr', -10000, 10000);
  const n = stars.raDeg.length;
  const raDeg = Float64Array.from(stars.raDeg);
  const decDeg = Float64Array.from(stars.decDeg);
  const out: CatalogStars = { ...stars, raDeg, decDeg, epochYr };
  const pa = stars.pmRaMasYr;
  const pd = stars.pmDecMasYr;
  if (!pa || !pd) return out;
  const dt = epochYr - stars.epochYr;
  const d2r = Math.PI / 180;
  const masToRad = d2r / 3.6e6;
  for (let i = 0; i < n; i++) {
    const mu = Math.hypot(pa[i], pd[i]) * masToRad;
    if (!(mu > 0) || dt === 0) continue;
    const a = raDeg[i] * d2r;
    const d = decDeg[i] * d2r;
    const ca = Math.cos(a);
    const sa = Math.sin(a);
    const cd = Math.cos(d);
    const sd = Math.sin(d);
    const p = [cd * ca, cd * sa, sd];
    const east = [-sa, ca, 0];
    const north = [-sd * ca, -sd * sa, cd];
    const ue = (pa[i] * masToRad) / mu;
    const un = (pd[i] * masToRad) / mu;
    const c = Math.cos(mu * dt);
    const s = Math.sin(mu * dt);
    const v = [0, 1, 2].map((k) => p[k] * c + (ue * east[k] + un * north[k]) * s);
    raDeg[i] = ((Math.atan2(v[1], v[0]) / d2r) % 360 + 360) % 360;
    decDeg[i] = Math.asin(Math.max(-1, Math.min(1, v[2]))) / d2r;
  }
  return out;
}

export interface CatalogInfo {
  stars: number;
  epochYr: number;
  zoneHeightDeg: number;
  zones: number;
  hasProperMotion: boolean;
  fileBytes: number;
}

/** A catalog file opened for cone queries: only the header and zone table are read up front. */
export class CatalogFile {
  private constructor(
    private readonly path: string,
    private readonly header: CatalogHeader,
    readonly fileBytes: number,
  ) {}

  static async open(path: string): Promise<CatalogFile> {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      const head = new Uint8Array(Math.min(size, HEADER_BYTES));
      await fh.read(head, 0, head.length, 0);
      const h = parseHeader(head, size, path);
      const table = new Uint8Array(4 * (h.nZones + 1));
      await fh.read(table, 0, table.length, HEADER_BYTES);
      const dv = new DataView(table.buffer);
      const zoneStart = new Uint32Array(h.nZones + 1);
      for (let z = 0; z <= h.nZones; z++) zoneStart[z] = dv.getUint32(4 * z, true);
      checkZones(zoneStart, h.nStars, path);
      const header: CatalogHeader = {
        hasPm: h.hasPm,
        nStars: h.nStars,
        epochYr: h.epochYr,
        zoneHeightDeg: h.zoneHeightDeg,
        zoneStart,
        dataStart: HEADER_BYTES + table.length,
        recordBytes: h.hasPm ? 18 : 10,
      };
      return new CatalogFile(path, header, size);
    } finally {
      await fh.close();
    }
  }

  info(): CatalogInfo {
    const h = this.header;
    return { stars: h.nStars, epochYr: h.epochYr, zoneHeightDeg: h.zoneHeightDeg, zones: h.zoneStart.length - 1, hasProperMotion: h.hasPm, fileBytes: this.fileBytes };
  }

  /** Reads only the zones the cone overlaps (one read for the whole band of zones). */
  async cone(raDeg: number, decDeg: number, radiusDeg: number, opts: ConeOptions = {}): Promise<CatalogStars> {
    const h = this.header;
    const { z0, z1 } = coneBounds(raDeg, decDeg, radiusDeg, h.zoneHeightDeg, h.zoneStart.length - 1);
    const first = h.zoneStart[z0];
    const count = h.zoneStart[z1 + 1] - first;
    const bytes = new Uint8Array(count * h.recordBytes);
    const fh = await open(this.path, 'r');
    try {
      const { bytesRead } = await fh.read(bytes, 0, bytes.length, h.dataStart + first * h.recordBytes);
      if (bytesRead !== bytes.length) throw new AstrometryError('BAD_CATALOG', 'file shorter than its header says', { file: this.path, offset: h.dataStart + first * h.recordBytes + bytesRead });
    } finally {
      await fh.close();
    }
    const band: StarCatalog = { ...decodeRecords(bytes, h.hasPm, count), epochYr: h.epochYr, zoneHeightDeg: h.zoneHeightDeg, zoneStart: h.zoneStart.map((s) => Math.max(0, Math.min(count, s - first))) };
    return coneQuery(band, raDeg, decDeg, radiusDeg, opts);
  }

  /** The whole catalog in memory. */
  async readAll(): Promise<StarCatalog> {
    const { readFile } = await import('node:fs/promises');
    return decodeCatalog(new Uint8Array(await readFile(this.path)), this.path);
  }
}
