/**
 * Telescope pointing from header keywords as acquisition programs write them: RA/DEC as
 * numbers in degrees (N.I.N.A., SGP, MaxIm) or sexagesimal strings, OBJCTRA/OBJCTDEC as
 * 'HH MM SS.s' / '+DD MM SS' (hours for RA). Returns undefined when a value does not parse:
 * a pointing we cannot read is "unknown", not a reason to reject a frame.
 */

const SEXAGESIMAL_RE = /^([+-]?)\s*(\d{1,3})(?:[\s:hd°]+(\d{1,2}(?:\.\d+)?))?(?:[\s:m']+(\d{1,2}(?:\.\d+)?))?\s*[s"]?$/i;

/** 'HH MM SS.s' or 'DD:MM:SS' → decimal units of the first field, or undefined. */
function sexagesimal(text: string): number | undefined {
  const m = SEXAGESIMAL_RE.exec(text.trim());
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1 : 1;
  const a = Number(m[2]);
  const b = m[3] === undefined ? 0 : Number(m[3]);
  const c = m[4] === undefined ? 0 : Number(m[4]);
  if (b >= 60 || c >= 60) return undefined;
  return sign * (a + b / 60 + c / 3600);
}

/**
 * Right ascension in degrees, [0, 360). A number is degrees; a string with separators is
 * sexagesimal hours; a plain numeric string is degrees.
 */
export function parseRaDeg(value: unknown): number | undefined {
  let deg: number | undefined;
  if (typeof value === 'number') deg = value;
  else if (typeof value === 'string') {
    const s = value.trim();
    if (/^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(s)) deg = Number(s);
    else {
      const h = sexagesimal(s);
      deg = h === undefined ? undefined : h * 15;
    }
  }
  if (deg === undefined || !Number.isFinite(deg) || deg < 0 || deg > 360) return undefined;
  return deg === 360 ? 0 : deg;
}

/** Declination in degrees, [−90, 90]: a number, or a decimal or sexagesimal string. */
export function parseDecDeg(value: unknown): number | undefined {
  let deg: number | undefined;
  if (typeof value === 'number') deg = value;
  else if (typeof value === 'string') {
    const s = value.trim();
    deg = /^[+-]?\d+(\.\d*)?([eE][+-]?\d+)?$/.test(s) ? Number(s) : sexagesimal(s);
  }
  if (deg === undefined || !Number.isFinite(deg) || deg < -90 || deg > 90) return undefined;
  return deg;
}
