/**
 * A small built-in table of named targets for demos and quick tests. The service has no
 * name resolver (no network access to SIMBAD/Sesame is assumed): any other target must be
 * given as raDeg/decDeg.
 *
 * Coordinates are SIMBAD's ICRS (epoch and equinox J2000) positions as listed there:
 * the bright stars from the Hipparcos new reduction (van Leeuwen 2007), M31 from 2MASS,
 * M42 (the Orion Nebula's catalogued centre) at SIMBAD's 0.1 s / 1″ precision, and
 * HD 209458 from Gaia DR3. Sexagesimal strings are kept verbatim so they can be checked.
 */
export interface NamedTarget {
  /** Canonical spelling. */
  name: string;
  raDeg: number;
  decDeg: number;
  /** Where the coordinates come from. */
  source: string;
}

const TABLE: ReadonlyArray<{ name: string; aliases: string[]; ra: string; dec: string; source: string }> = [
  { name: 'Vega', aliases: ['alf Lyr', 'alpha Lyr', 'HD 172167'], ra: '18 36 56.33635', dec: '+38 47 01.2802', source: 'SIMBAD (Hipparcos 2007)' },
  { name: 'Betelgeuse', aliases: ['alf Ori', 'alpha Ori', 'HD 39801'], ra: '05 55 10.30536', dec: '+07 24 25.4304', source: 'SIMBAD (Hipparcos 2007)' },
  { name: 'Sirius', aliases: ['alf CMa', 'alpha CMa', 'HD 48915'], ra: '06 45 08.91728', dec: '-16 42 58.0171', source: 'SIMBAD (Hipparcos 2007)' },
  { name: 'M31', aliases: ['Andromeda Galaxy', 'NGC 224'], ra: '00 42 44.330', dec: '+41 16 07.50', source: 'SIMBAD (2MASS)' },
  { name: 'M42', aliases: ['Orion Nebula', 'NGC 1976'], ra: '05 35 17.3', dec: '-05 23 28', source: 'SIMBAD' },
  { name: 'HD 209458', aliases: ['V376 Peg'], ra: '22 03 10.77275', dec: '+18 53 03.5494', source: 'SIMBAD (Gaia DR3)' },
];

/** Sexagesimal "hh mm ss.s" → degrees. */
function hoursToDeg(text: string): number {
  const [h, m, s] = text.split(' ').map(Number);
  return 15 * (h + m / 60 + s / 3600);
}

/** Sexagesimal "±dd mm ss.s" → degrees. */
function dmsToDeg(text: string): number {
  const sign = text.startsWith('-') ? -1 : 1;
  const [d, m, s] = text.replace(/^[+-]/, '').split(' ').map(Number);
  return sign * (d + m / 60 + s / 3600);
}

/** Case-, space- and hyphen-insensitive key. */
function key(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, '');
}

const BY_KEY = new Map<string, NamedTarget>();
for (const row of TABLE) {
  const target: NamedTarget = { name: row.name, raDeg: hoursToDeg(row.ra), decDeg: dmsToDeg(row.dec), source: row.source };
  for (const alias of [row.name, ...row.aliases]) BY_KEY.set(key(alias), target);
}

/** The built-in target of that name (or alias), or undefined. */
export function resolveTargetName(name: string): NamedTarget | undefined {
  return BY_KEY.get(key(name));
}

/** Canonical names of the built-in targets (for error messages and docs). */
export function knownTargetNames(): string[] {
  return TABLE.map((row) => row.name);
}
