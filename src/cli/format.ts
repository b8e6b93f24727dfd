/** Human-readable sexagesimal angles for CLI output. */
export function formatRa(raDeg: number): string {
  const h = (((raDeg % 360) + 360) % 360) / 15;
  return sexagesimal(h, 3, 'h', 'm', 's', 2);
}

export function formatDec(decDeg: number): string {
  const sign = decDeg < 0 ? '-' : '+';
  return sign + sexagesimal(Math.abs(decDeg), 2, 'd', "'", '"', 1);
}

function sexagesimal(v: number, decimals: number, a: string, b: string, c: string, pad: number): string {
  const scale = 10 ** decimals;
  let total = Math.round(v * 3600 * scale);
  const whole = Math.floor(total / (3600 * scale));
  total -= whole * 3600 * scale;
  const min = Math.floor(total / (60 * scale));
  total -= min * 60 * scale;
  const sec = total / scale;
  return `${String(whole).padStart(pad, '0')}${a}${String(min).padStart(2, '0')}${b}${sec.toFixed(decimals).padStart(3 + decimals, '0')}${c}`;
}
