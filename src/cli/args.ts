import { CliError } from './errors.js';

/** Parse a finite number from a command-line argument, naming the argument when it is not one. */
export function parseFiniteNumber(text: string, what: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new CliError(`${what}: '${text}' is not a number`, 2);
  return v;
}

export function parseInteger(text: string, what: string, min = -Infinity, max = Infinity): number {
  const v = parseFiniteNumber(text, what);
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new CliError(`${what}: '${text}' must be an integer in [${min}, ${max}]`, 2);
  }
  return v;
}

/** Numbers given as a flat list of pairs: `X Y [X Y ...]`. */
export function parsePairs(values: string[], names: [string, string]): Array<[number, number]> {
  if (values.length === 0 || values.length % 2 !== 0) {
    throw new CliError(`expected pairs of ${names[0]} ${names[1]}, got ${values.length} number(s)`, 2);
  }
  const out: Array<[number, number]> = [];
  for (let i = 0; i < values.length; i += 2) {
    out.push([parseFiniteNumber(values[i], `${names[0]} #${i / 2 + 1}`), parseFiniteNumber(values[i + 1], `${names[1]} #${i / 2 + 1}`)]);
  }
  return out;
}

/** Comma-separated positive integers, e.g. a tile shape '100,1'. */
export function parseIntList(text: string, what: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  return parts.map((p, i) => parseInteger(p, `${what}[${i}]`, 1));
}
