/**
 * Where the demo's simulated telescopes stand, and what they are.
 *
 * Sites are real observatories. Coordinates (geodetic latitude, east longitude, height)
 * are copied from astropy-data's `coordinates/sites.json`
 * (https://github.com/astropy/astropy-data/blob/gh-pages/coordinates/sites.json), the
 * registry behind astropy's `EarthLocation.of_site`; each line names the registry key and
 * the source that registry cites for it. Longitudes given there as 0–360° east are
 * converted to −180…180°.
 *
 * Instruments are typical amateur set-ups (refractors, Newtonians, SCTs with CMOS or CCD
 * cameras): apertures 80–280 mm, pixel scales 1.1–2.4″. The simulated sensor is a
 * region of interest of a few hundred pixels a side — the demo renders and solves every
 * frame on one machine, so frames stay small; fields are still 10–20′ wide.
 */
import type { Optics } from '../science/sky/index.js';

export interface ObservatorySite {
  /** Short stable name: node names and state folders derive from it. */
  key: string;
  name: string;
  continent: string;
  latDeg: number;
  /** East positive, −180 … 180. */
  lonDeg: number;
  elevationM: number;
  /** astropy-data sites.json key, and the source that file gives. */
  source: string;
}

/** In the order nodes are added: a dozen spread in longitude first, then extras. */
export const OBSERVATORIES: readonly ObservatorySite[] = [
  { key: 'ctio', name: 'Cerro Tololo', continent: 'South America', latDeg: -30.165277777777778, lonDeg: 289.185 - 360, elevationM: 2215, source: "sites.json 'ctio' (IRAF Observatory Database)" },
  { key: 'kpno', name: 'Kitt Peak', continent: 'North America', latDeg: 31.96333333333333, lonDeg: 248.4 - 360, elevationM: 2120, source: "sites.json 'kpno' (IRAF Observatory Database)" },
  { key: 'maunakea', name: 'Mauna Kea', continent: 'Oceania (Hawaii)', latDeg: 19.823801447222223, lonDeg: -155.4690467527778, elevationM: 4213, source: "sites.json 'gemini_north' (CTIO website)" },
  { key: 'lapalma', name: 'La Palma (ORM)', continent: 'Europe (Canary Islands)', latDeg: 28.758333333333333, lonDeg: 342.12 - 360, elevationM: 2327, source: "sites.json 'lapalma' (IRAF Observatory Database)" },
  { key: 'sutherland', name: 'SAAO Sutherland', continent: 'Africa', latDeg: -32.375823, lonDeg: 20.810808, elevationM: 1798, source: "sites.json 'salt' (SALT website & google maps)" },
  { key: 'sidingspring', name: 'Siding Spring', continent: 'Australia', latDeg: -31.27336111111111, lonDeg: 149.06119444444445, elevationM: 1149, source: "sites.json 'sso' (IRAF Observatory Database)" },
  { key: 'xinglong', name: 'Xinglong', continent: 'Asia', latDeg: 40.39333333333333, lonDeg: 117.575, elevationM: 950, source: "sites.json 'BAO' (IRAF Observatory Database)" },
  { key: 'hanle', name: 'Hanle (IAO)', continent: 'Asia', latDeg: 32.779444444444444, lonDeg: 78.96416666666667, elevationM: 4500, source: "sites.json 'iao' (www.iiap.res.in)" },
  { key: 'ohp', name: 'Haute-Provence', continent: 'Europe', latDeg: 43.93083333333333, lonDeg: 5.713333333333333, elevationM: 650, source: "sites.json 'ohp' (OHP website)" },
  { key: 'tug', name: 'TÜBİTAK (Bakırlıtepe)', continent: 'Asia (Anatolia)', latDeg: 36.824166, lonDeg: 30.335555, elevationM: 2500, source: "sites.json 'tug' (TUG website)" },
  { key: 'mtjohn', name: 'Mt John', continent: 'Oceania (New Zealand)', latDeg: -43.98574085, lonDeg: 170.46506246, elevationM: 1029, source: "sites.json 'Otehiwai Observatory' (LINZ geodetic database)" },
  { key: 'catalina', name: 'Catalina (Mt Bigelow)', continent: 'North America', latDeg: 32.416666666666664, lonDeg: 249.26833333333335 - 360, elevationM: 2510, source: "sites.json 'mtbigelow' (IRAF Observatory Database)" },
  { key: 'calaralto', name: 'Calar Alto', continent: 'Europe', latDeg: 37.22361111, lonDeg: 357.453889 - 360, elevationM: 2168, source: "sites.json 'CAHA' (Wikipedia)" },
  { key: 'okayama', name: 'Okayama', continent: 'Asia', latDeg: 34.577075, lonDeg: 133.5939556, elevationM: 370, source: "sites.json 'OAO' (OAO website)" },
  { key: 'tno', name: 'Doi Inthanon (TNO)', continent: 'Asia', latDeg: 18.59055556, lonDeg: 98.48666667, elevationM: 2457, source: "sites.json 'TNO' (Wikipedia)" },
  { key: 'paranal', name: 'Paranal', continent: 'South America', latDeg: -24.62743941, lonDeg: -70.40498688, elevationM: 2669, source: "sites.json 'paranal' (VLTI raw data products)" },
];

export const MAX_NODES = OBSERVATORIES.length;

/** A telescope + camera, as the simulator renders it and the node registers it. */
export interface Instrument {
  label: string;
  optics: Optics;
  /** Zenith seeing at the site with this telescope, arcsec. */
  seeingArcsec: number;
  filters: string[];
}

const SENSOR = { gainEPerAdu: 1, readNoiseE: 3, darkCurrentEPerS: 0.01, biasAdu: 500, fullWellE: 50_000 } as const;

/** A dozen set-ups, reused in turn when there are more nodes. */
export const INSTRUMENTS: readonly Instrument[] = [
  { label: '200 mm f/5 Newtonian + CMOS', seeingArcsec: 2.2, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 200, focalLengthMm: 1000, obstruction: 0.25, pixelSizeUm: 7.52, widthPx: 400, heightPx: 300, throughput: 0.5 } },
  { label: '130 mm f/7 refractor + CMOS', seeingArcsec: 2.5, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 130, focalLengthMm: 910, pixelSizeUm: 9.26, widthPx: 360, heightPx: 270, readNoiseE: 2, throughput: 0.55 } },
  { label: '280 mm f/6.3 SCT + CCD', seeingArcsec: 2.0, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 280, focalLengthMm: 1764, obstruction: 0.34, pixelSizeUm: 10.8, widthPx: 384, heightPx: 256, gainEPerAdu: 1.4, readNoiseE: 8, throughput: 0.45 } },
  { label: '106 mm f/5 refractor + CCD', seeingArcsec: 2.6, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 106, focalLengthMm: 530, pixelSizeUm: 5.4, widthPx: 420, heightPx: 320, gainEPerAdu: 0.9, readNoiseE: 9, throughput: 0.5 } },
  { label: '254 mm f/4.8 Newtonian + CMOS', seeingArcsec: 2.3, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 254, focalLengthMm: 1200, obstruction: 0.22, pixelSizeUm: 9.4, widthPx: 380, heightPx: 300, throughput: 0.5 } },
  { label: '150 mm f/4 Newtonian + CMOS', seeingArcsec: 2.4, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 150, focalLengthMm: 600, obstruction: 0.3, pixelSizeUm: 4.8, widthPx: 440, heightPx: 330, readNoiseE: 1.8, throughput: 0.5 } },
  { label: '80 mm f/6 refractor + CMOS', seeingArcsec: 2.8, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 80, focalLengthMm: 480, pixelSizeUm: 5.64, widthPx: 400, heightPx: 300, readNoiseE: 1.5, throughput: 0.55 } },
  { label: '203 mm f/10 SCT (reduced f/6.3) + CMOS', seeingArcsec: 2.1, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 203, focalLengthMm: 1280, obstruction: 0.34, pixelSizeUm: 11.28, widthPx: 360, heightPx: 270, throughput: 0.45 } },
  { label: '180 mm f/7 refractor + CCD', seeingArcsec: 2.3, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 180, focalLengthMm: 1260, pixelSizeUm: 12, widthPx: 340, heightPx: 256, gainEPerAdu: 1.2, readNoiseE: 7, throughput: 0.5 } },
  { label: '300 mm f/4 Newtonian + CMOS', seeingArcsec: 2.2, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 300, focalLengthMm: 1200, obstruction: 0.25, pixelSizeUm: 7.52, widthPx: 420, heightPx: 320, throughput: 0.5 } },
  { label: '120 mm f/7.5 refractor + CMOS', seeingArcsec: 2.7, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 120, focalLengthMm: 900, pixelSizeUm: 7.52, widthPx: 400, heightPx: 300, throughput: 0.55 } },
  { label: '250 mm f/8 Ritchey–Chrétien (reduced) + CCD', seeingArcsec: 2.0, filters: ['L', 'V', 'R'], optics: { ...SENSOR, apertureMm: 250, focalLengthMm: 1500, obstruction: 0.4, pixelSizeUm: 10.8, widthPx: 380, heightPx: 280, gainEPerAdu: 1.3, readNoiseE: 8, throughput: 0.45 } },
];

/** Arcseconds per pixel of an instrument. */
export function pixelScaleArcsec(o: Pick<Optics, 'pixelSizeUm' | 'focalLengthMm'>): number {
  return (206.264806 * o.pixelSizeUm) / o.focalLengthMm;
}
