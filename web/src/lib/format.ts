/** Formatting for people: durations, ages, periods, sexagesimal coordinates. Pure. */

/** "45 s", "12 min", "1 h 30 min", "2 d 3 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  const sign = seconds < 0 ? '−' : '';
  let s = Math.abs(seconds);
  if (s < 60) return `${sign}${Number.isInteger(s) ? s : s.toFixed(1)} s`;
  s = Math.round(s);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${sign}${d} d${h ? ` ${h} h` : ''}`;
  if (h > 0) return `${sign}${h} h${m ? ` ${m} min` : ''}`;
  return `${sign}${m} min${sec ? ` ${sec} s` : ''}`;
}

/** "12 s ago", "3 min ago", "never" — relative to `nowMs`. */
export function formatAgo(iso: string | null, nowMs: number): string {
  if (iso === null) return 'never';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const ageS = Math.max(0, Math.round((nowMs - t) / 1000));
  if (ageS < 5) return 'just now';
  return `${formatDuration(ageS)} ago`;
}

/** "2026-04-10 21:03:05 UTC". */
export function formatUtc(iso: string | null): string {
  if (iso === null) return '—';
  const d = new Date(iso);
  if (!Number.isFinite(d.getTime())) return '—';
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "21:03" UTC. */
export function formatUtcTime(iso: string): string {
  return new Date(iso).toISOString().slice(11, 16);
}

/** A period in days with 6 significant digits; hours for short periods too. */
export function formatPeriod(days: number): string {
  if (!Number.isFinite(days)) return '—';
  const core = `${days.toPrecision(6)} d`;
  return days < 1 ? `${core} (${(days * 24).toPrecision(5)} h)` : core;
}

export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  const p = fraction * 100;
  return `${p >= 99.95 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

/** Significant digits without trailing noise: 0.000123 → "1.23e-4" style only when tiny/huge. */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return '—';
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

function sexagesimal(value: number, fracDigits: number, secWidth: number): { a: number; b: number; c: string } {
  const scale = 10 ** fracDigits;
  // Round the whole value to the last shown digit first, so 59.999 s carries into the minute.
  let total = Math.round(value * 3600 * scale);
  const a = Math.floor(total / (3600 * scale));
  total -= a * 3600 * scale;
  const b = Math.floor(total / (60 * scale));
  total -= b * 60 * scale;
  const c = (total / scale).toFixed(fracDigits).padStart(secWidth, '0');
  return { a, b, c };
}

/** Right ascension in degrees → "hh:mm:ss.ss" (hours wrap to [0, 24)). */
export function formatRa(raDeg: number, fracDigits = 2): string {
  if (!Number.isFinite(raDeg)) return '—';
  const hours = (((raDeg / 15) % 24) + 24) % 24;
  const { a, b, c } = sexagesimal(hours, fracDigits, fracDigits > 0 ? fracDigits + 3 : 2);
  return `${String(a % 24).padStart(2, '0')}:${String(b).padStart(2, '0')}:${c}`;
}

/** Declination in degrees → "±dd:mm:ss.s". */
export function formatDec(decDeg: number, fracDigits = 1): string {
  if (!Number.isFinite(decDeg)) return '—';
  const sign = decDeg < 0 ? '-' : '+';
  const { a, b, c } = sexagesimal(Math.abs(decDeg), fracDigits, fracDigits > 0 ? fracDigits + 3 : 2);
  return `${sign}${String(a).padStart(2, '0')}:${String(b).padStart(2, '0')}:${c}`;
}

/** Exposure delivered of required: "3 min / 10 min". */
export function formatExposure(deliveredS: number, requiredS: number): string {
  return `${formatDuration(deliveredS)} / ${formatDuration(requiredS)}`;
}
