/**
 * The celestial WCS model and its FITS header form (Greisen & Calabretta 2002, "Paper I";
 * Calabretta & Greisen 2002, "Paper II"; SIP: Shupe et al. 2005; TPV convention).
 *
 * Supported: RA---TAN / DEC--TAN (and the other celestial pairs GLON/GLAT, ELON/ELAT, …),
 * with -SIP distortion or as TPV; linear part from CDi_j, PCi_j + CDELTi, or legacy CROTA2
 * + CDELTi; either axis order; alternate WCS letters (CTYPE1A …).
 *
 * Conventions of the model (the one place FITS's 1-based pixels are converted):
 * - `crpix` is 0-based: FITS CRPIXj − 1, so pixel (0, 0) is the centre of the first pixel.
 * - Axis 1 of the model is always the longitude axis; a header with latitude first
 *   (CTYPE1 = 'DEC--TAN') is read with its CD rows swapped, which describes the same
 *   mapping, and is written back longitude-first.
 * - Linear part precedence when a header mixes conventions (the standard forbids it):
 *   CDi_j, then PCi_j × CDELTi, then CROTA + CDELTi. Note wcslib (astropy) prefers PC over
 *   CD; we follow the files we meet, where a CD matrix written by a solver is the newer
 *   description and a leftover PC block is stale (see README.md in this folder).
 */
import type { Header, HeaderLike } from '../fits/header.js';
import { WcsError } from './errors.js';
import { keywordReader, type KeywordReader } from './keywords.js';
import { defaultLonpoleDeg } from './rotation.js';
import { MAX_SIP_ORDER, readSip, type Sip, type SipPolynomial } from './sip.js';
import { readTpv, TPV_TERMS, type Tpv } from './tpv.js';

export interface Wcs {
  /** CTYPE of the longitude and latitude axes, e.g. ['RA---TAN-SIP', 'DEC--TAN-SIP']. */
  readonly ctype: readonly [string, string];
  /** Reference pixel, 0-based (FITS CRPIXj − 1). */
  readonly crpix: readonly [number, number];
  /** Reference point (longitude, latitude) in degrees: CRVAL1, CRVAL2. */
  readonly crval: readonly [number, number];
  /**
   * Linear transformation in degrees per pixel, row-major [CD1_1, CD1_2, CD2_1, CD2_2]:
   * row 1 gives the longitude intermediate coordinate, columns are pixel axes x, y.
   */
  readonly cd: readonly [number, number, number, number];
  /** Native longitude of the celestial pole φp, degrees (LONPOLE). */
  readonly lonpole: number;
  /** LATPOLE, degrees: recorded; it has no effect for zenithal projections such as TAN. */
  readonly latpole: number;
  /** Reference frame: 'ICRS', 'FK5', 'FK4', 'FK4-NO-E', 'GAPPT'; '' for non-equatorial axes. */
  readonly radesys: string;
  /** Equinox in years (Julian for FK5, Besselian for FK4); undefined for ICRS and GAPPT. */
  readonly equinox: number | undefined;
  readonly sip?: Sip;
  readonly tpv?: Tpv;
}

/** Parameters for createWcs; everything but crpix, crval and cd has a default. */
export interface WcsParams {
  /** Axis types; only the coordinate names are used ('RA', 'DEC', 'GLON', …); default RA/DEC. */
  ctype?: readonly [string, string];
  crpix: readonly [number, number];
  crval: readonly [number, number];
  cd: readonly [number, number, number, number];
  lonpole?: number;
  latpole?: number;
  radesys?: string;
  equinox?: number;
  sip?: Sip;
  tpv?: Tpv;
}

/** Celestial coordinate pairs we recognise, longitude name → latitude name. */
const PAIRS: Record<string, string> = { RA: 'DEC', GLON: 'GLAT', ELON: 'ELAT', SLON: 'SLAT', HLON: 'HLAT', HPLN: 'HPLT', HGLN: 'HGLT' };
const LAT_NAMES = new Set(Object.values(PAIRS));
const CTYPE_RE = /^([A-Z]{1,4}?)-*-([A-Z0-9]{3})(?:-([A-Z]{3}))?$/;
const RADESYS_VALUES = new Set(['ICRS', 'FK5', 'FK4', 'FK4-NO-E', 'GAPPT']);

/**
 * A validated, frozen Wcs. Fills defaults (LONPOLE per Paper II §2.4, LATPOLE 90°,
 * RADESYS/EQUINOX per Paper II §3.1) and derives CTYPE's projection part from sip/tpv.
 */
export function createWcs(params: WcsParams): Wcs {
  const bad = (what: string, message: string): never => {
    throw new WcsError('BAD_ARGUMENT', `${what}: ${message}`);
  };
  const finite = (what: string, values: readonly number[]): void => {
    for (const v of values) if (!Number.isFinite(v)) bad(what, `${v} is not a finite number`);
  };
  finite('crpix', params.crpix);
  finite('crval', params.crval);
  finite('cd', params.cd);
  if (Math.abs(params.crval[1]) > 90) bad('crval', `latitude ${params.crval[1]} is outside [-90, 90]`);
  const [c00, c01, c10, c11] = params.cd;
  const det = c00 * c11 - c01 * c10;
  if (!(det !== 0 && Number.isFinite(1 / det))) bad('cd', 'matrix is singular');
  if (params.sip && params.tpv) bad('sip/tpv', 'a WCS has SIP or TPV distortion, not both');
  if (params.sip) validateSip(params.sip, bad);
  if (params.tpv) {
    if (params.tpv.pv1.length !== TPV_TERMS || params.tpv.pv2.length !== TPV_TERMS) bad('tpv', `pv1 and pv2 need ${TPV_TERMS} entries`);
    finite('tpv.pv1', params.tpv.pv1);
    finite('tpv.pv2', params.tpv.pv2);
  }
  const lonName = params.ctype ? axisName(params.ctype[0]) : 'RA';
  const latName = params.ctype ? axisName(params.ctype[1]) : 'DEC';
  if (PAIRS[lonName] !== latName) bad('ctype', `'${lonName}' and '${latName}' are not a celestial longitude/latitude pair`);
  const proj = params.tpv ? 'TPV' : params.sip ? 'TAN-SIP' : 'TAN';
  const lonpole = params.lonpole ?? defaultLonpoleDeg(params.crval[1]);
  const latpole = params.latpole ?? 90;
  finite('lonpole', [lonpole]);
  finite('latpole', [latpole]);
  if (Math.abs(latpole) > 90) bad('latpole', `${latpole} is outside [-90, 90]`);
  const equatorial = lonName === 'RA';
  let radesys = equatorial ? (params.radesys ?? '').trim().toUpperCase() : '';
  let equinox = equatorial ? params.equinox : undefined;
  if (equatorial) {
    if (radesys === '') radesys = equinox === undefined ? 'ICRS' : equinox < 1984 ? 'FK4' : 'FK5';
    if (!RADESYS_VALUES.has(radesys)) bad('radesys', `'${radesys}' is not one of ${[...RADESYS_VALUES].join(', ')}`);
    if (equinox === undefined && (radesys === 'FK4' || radesys === 'FK4-NO-E')) equinox = 1950;
    if (equinox === undefined && radesys === 'FK5') equinox = 2000;
    if (radesys === 'ICRS' || radesys === 'GAPPT') equinox = undefined;
    if (equinox !== undefined) finite('equinox', [equinox]);
  }
  const wcs: Wcs = {
    ctype: Object.freeze([ctypeString(lonName, proj), ctypeString(latName, proj)]) as readonly [string, string],
    crpix: Object.freeze([params.crpix[0], params.crpix[1]]) as readonly [number, number],
    crval: Object.freeze([params.crval[0], params.crval[1]]) as readonly [number, number],
    cd: Object.freeze([c00, c01, c10, c11]) as readonly [number, number, number, number],
    lonpole,
    latpole,
    radesys,
    equinox,
    ...(params.sip ? { sip: freezeSip(params.sip) } : {}),
    ...(params.tpv ? { tpv: Object.freeze({ pv1: Object.freeze([...params.tpv.pv1]), pv2: Object.freeze([...params.tpv.pv2]) }) } : {}),
  };
  return Object.freeze(wcs);
}

function axisName(ctype: string): string {
  const m = CTYPE_RE.exec(ctype.trim().toUpperCase());
  return m ? m[1] : ctype.trim().toUpperCase();
}

/** 'RA' + 'TAN' → 'RA---TAN' (name padded with '-' to 4 characters, then '-', then the code). */
function ctypeString(name: string, proj: string): string {
  return `${name.padEnd(4, '-')}-${proj}`;
}

function validateSip(sip: Sip, bad: (what: string, message: string) => never): void {
  const check = (name: string, poly: SipPolynomial | undefined): void => {
    if (!poly) return;
    if (!Number.isInteger(poly.order) || poly.order < 0 || poly.order > MAX_SIP_ORDER) bad(`sip.${name}`, `order ${poly.order} is outside 0..${MAX_SIP_ORDER}`);
    for (const t of poly.terms) {
      if (!Number.isInteger(t.p) || !Number.isInteger(t.q) || t.p < 0 || t.q < 0 || t.p + t.q > poly.order) {
        bad(`sip.${name}`, `term (${t.p}, ${t.q}) is not within order ${poly.order}`);
      }
      if (!Number.isFinite(t.value)) bad(`sip.${name}`, `coefficient ${t.p}_${t.q} is not finite`);
    }
  };
  check('a', sip.a);
  check('b', sip.b);
  if (!sip.a || !sip.b) bad('sip', 'needs both A and B polynomials');
  if (Boolean(sip.ap) !== Boolean(sip.bp)) bad('sip', 'needs both AP and BP, or neither');
  check('ap', sip.ap);
  check('bp', sip.bp);
}

function freezePoly(p: SipPolynomial): SipPolynomial {
  return Object.freeze({ order: p.order, terms: Object.freeze(p.terms.map((t) => Object.freeze({ p: t.p, q: t.q, value: t.value }))) });
}

function freezeSip(sip: Sip): Sip {
  return Object.freeze({
    a: freezePoly(sip.a),
    b: freezePoly(sip.b),
    ...(sip.ap && sip.bp ? { ap: freezePoly(sip.ap), bp: freezePoly(sip.bp) } : {}),
  });
}

// ---------------------------------------------------------------------------------------
// Reading

export interface WcsFromHeaderOptions {
  /** HDU index, for error locations. */
  hdu?: number;
  /** Alternate WCS letter 'A'..'Z' (CTYPE1A, …); default the primary description. */
  key?: string;
}

interface CelestialAxes {
  lon: number;
  lat: number;
  lonName: string;
  proj: string;
  distortion: string | undefined;
}

/**
 * The celestial WCS of a header, or undefined when it has none (no celestial CTYPE pair).
 * Throws WcsError (code + keyword) when the description is malformed or uses a projection
 * or convention we do not support.
 */
export function wcsFromHeader(header: HeaderLike, opts: WcsFromHeaderOptions = {}): Wcs | undefined {
  const key = (opts.key ?? '').trim().toUpperCase();
  if (!/^[A-Z]?$/.test(key)) throw new WcsError('BAD_ARGUMENT', `alternate WCS key '${opts.key}' is not a single letter A-Z`);
  const kw = keywordReader(header, opts.hdu);
  const axes = findCelestialAxes(kw, key);
  if (!axes) return undefined;
  const { lon, lat } = axes;
  const k = (base: string): string => `${base}${key}`;

  for (const axis of [lon, lat]) {
    const unit = kw.string(k(`CUNIT${axis}`));
    if (unit !== undefined && !/^(deg|degree|degrees)?$/i.test(unit.trim())) {
      throw kw.error('UNSUPPORTED', k(`CUNIT${axis}`), `celestial axis unit '${unit}' (only degrees are supported)`);
    }
  }

  // CRPIXj is indexed by pixel axis (x = 1, y = 2), whatever the world axis order. FITS → 0-based here.
  const crpix: [number, number] = [(kw.number(k('CRPIX1')) ?? 0) - 1, (kw.number(k('CRPIX2')) ?? 0) - 1];
  const crval: [number, number] = [kw.number(k(`CRVAL${lon}`)) ?? 0, kw.number(k(`CRVAL${lat}`)) ?? 0];
  if (Math.abs(crval[1]) > 90) throw kw.error('BAD_VALUE', k(`CRVAL${lat}`), `latitude ${crval[1]} is outside [-90, 90]`);

  const cd = readLinear(kw, key, lon, lat);
  const det = cd[0] * cd[3] - cd[1] * cd[2];
  if (!(det !== 0 && Number.isFinite(1 / det))) {
    throw kw.error('BAD_VALUE', k(`CD${lon}_1`), 'the linear transformation (CD, or PC × CDELT) is singular');
  }

  let lonpole = kw.number(k('LONPOLE'));
  let latpole = kw.number(k('LATPOLE'));
  let sip: Sip | undefined;
  let tpv: Tpv | undefined;
  if (axes.proj === 'TAN') {
    // On a zenithal longitude axis PVi_1, PVi_2 are (φ0, θ0) and PVi_3, PVi_4 LONPOLE, LATPOLE.
    const phi0 = kw.number(k(`PV${lon}_1`));
    const theta0 = kw.number(k(`PV${lon}_2`));
    if ((phi0 !== undefined && phi0 !== 0) || (theta0 !== undefined && theta0 !== 90)) {
      const kwd = phi0 !== undefined && phi0 !== 0 ? `PV${lon}_1` : `PV${lon}_2`;
      throw kw.error(
        'UNSUPPORTED',
        k(kwd),
        'TAN with a non-default fiducial point (φ0, θ0); if these are SCAMP distortion terms, the CTYPE should say TPV',
      );
    }
    lonpole ??= kw.number(k(`PV${lon}_3`));
    latpole ??= kw.number(k(`PV${lon}_4`));
    if (axes.distortion === 'SIP') sip = readSip(kw);
  } else if (axes.proj === 'TPV') {
    if (lon !== 1) throw kw.error('UNSUPPORTED', k('CTYPE1'), 'TPV with the latitude axis first');
    tpv = readTpv(kw, key, lon, lat);
  }
  if (latpole !== undefined && Math.abs(latpole) > 90) throw kw.error('BAD_VALUE', k('LATPOLE'), `${latpole} is outside [-90, 90]`);

  let radesys: string | undefined;
  let equinox: number | undefined;
  if (axes.lonName === 'RA') {
    radesys = kw.string(k('RADESYS')) ?? (key === '' ? kw.string('RADECSYS') : undefined);
    equinox = kw.number(k('EQUINOX')) ?? (key === '' ? kw.number('EPOCH') : undefined);
    if (radesys !== undefined) {
      radesys = radesys.trim().toUpperCase();
      if (radesys !== '' && !RADESYS_VALUES.has(radesys)) {
        throw kw.error('UNSUPPORTED', k('RADESYS'), `reference frame '${radesys}' (expected ICRS, FK5, FK4, FK4-NO-E or GAPPT)`);
      }
    }
  }
  try {
    return createWcs({
      ctype: [axes.lonName, PAIRS[axes.lonName]],
      crpix,
      crval,
      cd,
      lonpole,
      latpole,
      radesys,
      equinox,
      sip,
      tpv,
    });
  } catch (err) {
    // createWcs reports argument names; re-locate at the HDU.
    if (err instanceof WcsError) throw new WcsError('BAD_VALUE', err.message, { hdu: opts.hdu });
    throw err;
  }
}

function findCelestialAxes(kw: KeywordReader, key: string): CelestialAxes | undefined {
  const nAxes = Math.min(99, Math.max(2, kw.int(`WCSAXES${key}`) ?? 0, kw.int('NAXIS') ?? 0));
  let lon: { axis: number; name: string; proj: string; dist?: string } | undefined;
  let lat: { axis: number; name: string; proj: string; dist?: string } | undefined;
  for (let axis = 1; axis <= nAxes; axis++) {
    const keyword = `CTYPE${axis}${key}`;
    const raw = kw.string(keyword);
    if (raw === undefined) continue;
    const ctype = raw.trim().toUpperCase();
    const m = CTYPE_RE.exec(ctype);
    if (!m) continue;
    const name = m[1];
    const isLon = PAIRS[name] !== undefined;
    const isLat = LAT_NAMES.has(name);
    if (!isLon && !isLat) continue;
    const entry = { axis, name, proj: m[2], dist: m[3] };
    if (isLon) {
      if (lon) throw kw.error('BAD_VALUE', keyword, `second celestial longitude axis (CTYPE${lon.axis}${key} is already '${lon.name}')`);
      lon = entry;
    } else {
      if (lat) throw kw.error('BAD_VALUE', keyword, `second celestial latitude axis (CTYPE${lat.axis}${key} is already '${lat.name}')`);
      lat = entry;
    }
  }
  if (!lon && !lat) return undefined;
  if (!lon || !lat) {
    const have = (lon ?? lat)!;
    throw kw.error('MISSING_CARD', `CTYPE${have.axis === 1 ? 2 : 1}${key}`, `CTYPE${have.axis}${key} is celestial ('${have.name}') but its pair axis is missing`);
  }
  if (PAIRS[lon.name] !== lat.name) {
    throw kw.error('BAD_VALUE', `CTYPE${lat.axis}${key}`, `'${lat.name}' does not pair with '${lon.name}'`);
  }
  const lonKey = `CTYPE${lon.axis}${key}`;
  if (lon.proj !== lat.proj || lon.dist !== lat.dist) {
    throw kw.error('BAD_VALUE', `CTYPE${lat.axis}${key}`, 'the two celestial axes have different projection codes');
  }
  if (!((lon.axis === 1 && lat.axis === 2) || (lon.axis === 2 && lat.axis === 1))) {
    throw kw.error('UNSUPPORTED', lonKey, `celestial axes ${lon.axis} and ${lat.axis}: only axes 1 and 2 (the image plane) are supported`);
  }
  if (lon.proj !== 'TAN' && lon.proj !== 'TPV') {
    throw kw.error('UNSUPPORTED', lonKey, `projection '${lon.proj}' (supported: TAN, TAN-SIP, TPV)`);
  }
  if (lon.dist !== undefined && !(lon.dist === 'SIP' && lon.proj === 'TAN')) {
    throw kw.error('UNSUPPORTED', lonKey, `'${lon.proj}-${lon.dist}' (supported distortions: TAN-SIP, TPV)`);
  }
  return { lon: lon.axis, lat: lat.axis, lonName: lon.name, proj: lon.proj, distortion: lon.dist };
}

/** The CD matrix in model order (row 0 = longitude), from CD, PC + CDELT or CROTA + CDELT. */
function readLinear(kw: KeywordReader, key: string, lon: number, lat: number): [number, number, number, number] {
  const k = (base: string): string => `${base}${key}`;
  const rows = [lon, lat];
  const anyOf = (prefix: string): boolean => {
    for (const i of rows) for (let j = 1; j <= 2; j++) if (kw.has(k(`${prefix}${i}_${j}`))) return true;
    return false;
  };
  if (anyOf('CD')) {
    // Paper I: once any CDi_j is given, the missing ones are zero.
    return [
      kw.number(k(`CD${lon}_1`)) ?? 0,
      kw.number(k(`CD${lon}_2`)) ?? 0,
      kw.number(k(`CD${lat}_1`)) ?? 0,
      kw.number(k(`CD${lat}_2`)) ?? 0,
    ];
  }
  const cdeltLon = kw.number(k(`CDELT${lon}`)) ?? 1;
  const cdeltLat = kw.number(k(`CDELT${lat}`)) ?? 1;
  if (anyOf('PC')) {
    // PCi_j defaults to the unit matrix; pixel axis j is column j.
    const pc = (i: number, j: number): number => kw.number(k(`PC${i}_${j}`)) ?? (i === j ? 1 : 0);
    return [cdeltLon * pc(lon, 1), cdeltLon * pc(lon, 2), cdeltLat * pc(lat, 1), cdeltLat * pc(lat, 2)];
  }
  const rotKey = kw.has(k(`CROTA${lat}`)) ? k(`CROTA${lat}`) : k(`CROTA${lon}`);
  const rho = kw.number(rotKey) ?? 0;
  const c = Math.cos((rho * Math.PI) / 180);
  const s = Math.sin((rho * Math.PI) / 180);
  // Paper II eq. 188 (for pixel axes matching world axes):
  //   CD_lon,lon = CDELT_lon cos ρ, CD_lon,lat = −CDELT_lat sin ρ, CD_lat,lon = CDELT_lon sin ρ, CD_lat,lat = CDELT_lat cos ρ.
  const m = [
    [cdeltLon * c, -cdeltLat * s],
    [cdeltLon * s, cdeltLat * c],
  ];
  // m is indexed [world lon/lat][pixel axis lon/lat]; reorder columns to pixel axes x, y.
  const lonCol = lon === 1 ? 0 : 1;
  return lonCol === 0 ? [m[0][0], m[0][1], m[1][0], m[1][1]] : [m[0][1], m[0][0], m[1][1], m[1][0]];
}

// ---------------------------------------------------------------------------------------
// Writing

const STALE_PATTERNS: RegExp[] = [
  /^CDELT[12]$/,
  /^CROTA[12]$/,
  /^PC[12]_[12]$/,
  /^PC0*[12]0*[12]$/, // old-style PC001002
  /^CD[12]_[12]$/,
  /^(A|B|AP|BP)_ORDER$/,
  /^(A|B|AP|BP)_\d+_\d+$/,
  /^(A|B)_DMAX$/,
  /^PV[12]_\d+$/,
  /^RADECSYS$/,
  /^EPOCH$/,
  /^(LONPOLE|LATPOLE|RADESYS|EQUINOX)$/,
  /^CUNIT[12]$/,
];

/**
 * Writes the WCS into `header` (primary description, longitude axis first): CTYPE, CRPIX
 * (1-based), CRVAL, CUNIT, CD, SIP (A_/B_/AP_/BP_) or TPV (PVi_j), RADESYS, EQUINOX,
 * LONPOLE, LATPOLE. Removes stale WCS cards first (CDELT, CROTA, PC, old SIP and PV
 * terms, RADECSYS, EPOCH). Values are written with shortest round-trip precision, so
 * reading them back gives the same numbers.
 */
export function wcsToHeader(wcs: Wcs, header: Header): void {
  for (let i = header.cards.length - 1; i >= 0; i--) {
    const kwd = header.cards[i].keyword;
    if (header.cards[i].value !== undefined && STALE_PATTERNS.some((re) => re.test(kwd))) header.cards.splice(i, 1);
  }
  // Keep the CTYPE/CRPIX/CRVAL cards where they are if present; the rest goes after them.
  header.set('CTYPE1', wcs.ctype[0], 'TAN (gnomonic) projection' + (wcs.sip ? ' + SIP distortion' : wcs.tpv ? ' + TPV distortion' : ''));
  header.set('CTYPE2', wcs.ctype[1], 'TAN (gnomonic) projection' + (wcs.sip ? ' + SIP distortion' : wcs.tpv ? ' + TPV distortion' : ''));
  header.set('CRPIX1', wcs.crpix[0] + 1, 'reference pixel x (1-based)');
  header.set('CRPIX2', wcs.crpix[1] + 1, 'reference pixel y (1-based)');
  header.set('CRVAL1', wcs.crval[0], '[deg] longitude of reference point');
  header.set('CRVAL2', wcs.crval[1], '[deg] latitude of reference point');
  header.set('CUNIT1', 'deg', 'unit of CRVAL1 and CD1_j');
  header.set('CUNIT2', 'deg', 'unit of CRVAL2 and CD2_j');
  header.set('CD1_1', wcs.cd[0], '[deg/px] linear transformation matrix');
  header.set('CD1_2', wcs.cd[1], '[deg/px] linear transformation matrix');
  header.set('CD2_1', wcs.cd[2], '[deg/px] linear transformation matrix');
  header.set('CD2_2', wcs.cd[3], '[deg/px] linear transformation matrix');
  header.set('LONPOLE', wcs.lonpole, '[deg] native longitude of celestial pole');
  header.set('LATPOLE', wcs.latpole, '[deg] native latitude of celestial pole');
  if (wcs.radesys !== '') header.set('RADESYS', wcs.radesys, 'reference frame');
  if (wcs.equinox !== undefined) header.set('EQUINOX', wcs.equinox, '[yr] equinox of the reference frame');
  if (wcs.sip) {
    const write = (prefix: string, poly: SipPolynomial, what: string): void => {
      header.set(`${prefix}_ORDER`, poly.order, what);
      for (const t of poly.terms) header.set(`${prefix}_${t.p}_${t.q}`, t.value);
    };
    write('A', wcs.sip.a, 'SIP polynomial order, axis 1');
    write('B', wcs.sip.b, 'SIP polynomial order, axis 2');
    if (wcs.sip.ap && wcs.sip.bp) {
      write('AP', wcs.sip.ap, 'SIP inverse polynomial order, axis 1');
      write('BP', wcs.sip.bp, 'SIP inverse polynomial order, axis 2');
    }
  }
  if (wcs.tpv) {
    for (let j = 0; j < TPV_TERMS; j++) if (wcs.tpv.pv1[j] !== 0 || j === 1) header.set(`PV1_${j}`, wcs.tpv.pv1[j]);
    for (let j = 0; j < TPV_TERMS; j++) if (wcs.tpv.pv2[j] !== 0 || j === 1) header.set(`PV2_${j}`, wcs.tpv.pv2[j]);
  }
}
