/**
 * The Equal Earth map projection (Šavrič, Patterson & Jenny 2018, Int. J. Geogr. Inf. Sci.
 * 33:3): equal-area, with straight parallels and meridians that curve gently, so a world
 * of observatories looks like the world. Radians inside, degrees at the edge.
 */
const A1 = 1.340264;
const A2 = -0.081106;
const A3 = 0.000893;
const A4 = 0.003796;
const M = Math.sqrt(3) / 2;

/** Projected (x, y) on the unit sphere; y grows northwards. */
export function equalEarth(lonDeg: number, latDeg: number): [number, number] {
  const lambda = (lonDeg * Math.PI) / 180;
  const phi = (latDeg * Math.PI) / 180;
  const theta = Math.asin(M * Math.sin(phi));
  const t2 = theta * theta;
  const t6 = t2 * t2 * t2;
  const x = (lambda * Math.cos(theta)) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)));
  const y = theta * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
  return [x, y];
}

/** Half-width and half-height of the whole map (λ = ±180°, φ = ±90°). */
export const EQUAL_EARTH_X_MAX = equalEarth(180, 0)[0];
export const EQUAL_EARTH_Y_MAX = equalEarth(0, 90)[1];

/** A projection onto an SVG box `width` wide (height follows the map's aspect), y down. */
export function mapProjector(width: number, padPx = 4): { width: number; height: number; project(lonDeg: number, latDeg: number): [number, number] } {
  const inner = width - 2 * padPx;
  const k = inner / (2 * EQUAL_EARTH_X_MAX);
  const height = Math.ceil(2 * EQUAL_EARTH_Y_MAX * k + 2 * padPx);
  return {
    width,
    height,
    project(lonDeg, latDeg) {
      const [x, y] = equalEarth(lonDeg, latDeg);
      return [padPx + (x + EQUAL_EARTH_X_MAX) * k, padPx + (EQUAL_EARTH_Y_MAX - y) * k];
    },
  };
}

type Project = (lonDeg: number, latDeg: number) => [number, number];

/**
 * Make longitudes continuous along a ring (no ±360° jumps where it crosses the
 * antimeridian). A ring that goes once around the pole (net 360°) is closed through that
 * pole, which Equal Earth draws as a straight line.
 */
export function unwrapRing(ring: ReadonlyArray<readonly number[]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let prev = ring[0][0];
  let latSum = 0;
  for (const p of ring) {
    let lon = p[0];
    while (lon - prev > 180) lon -= 360;
    while (lon - prev < -180) lon += 360;
    out.push([lon, p[1]]);
    latSum += p[1];
    prev = lon;
  }
  const net = out[out.length - 1][0] - out[0][0];
  if (Math.abs(net) > 180) {
    const pole = latSum < 0 ? -90 : 90;
    out.push([out[out.length - 1][0], pole], [out[0][0], pole]);
  }
  return out;
}

const fmt = (v: number) => (Math.round(v * 10) / 10).toString();

/**
 * SVG path data for polygon rings. A ring reaching past ±180° after unwrapping is drawn
 * again shifted by ∓360°; clip the result with `outlinePath` and each piece shows on its
 * side of the map. (Equal Earth's x is linear in longitude at fixed latitude, so the
 * overhang lies exactly outside the outline.)
 */
export function ringsToPath(rings: Iterable<ReadonlyArray<readonly number[]>>, project: Project): string {
  const parts: string[] = [];
  for (const ring of rings) {
    if (ring.length < 3) continue;
    const u = unwrapRing(ring);
    let min = Infinity;
    let max = -Infinity;
    for (const [lon] of u) {
      if (lon < min) min = lon;
      if (lon > max) max = lon;
    }
    const shifts = [0];
    if (max > 180) shifts.push(-360);
    if (min < -180) shifts.push(360);
    for (const shift of shifts) {
      parts.push(
        u
          .map(([lon, lat], i) => {
            const [x, y] = project(lon + shift, lat);
            return `${i === 0 ? 'M' : 'L'}${fmt(x)} ${fmt(y)}`;
          })
          .join('') + 'Z',
      );
    }
  }
  return parts.join('');
}

/** The map's outline: the ±180° meridians from pole to pole. */
export function outlinePath(project: Project, stepDeg = 2): string {
  const pts: Array<[number, number]> = [];
  for (let lat = -90; lat <= 90; lat += stepDeg) pts.push(project(-180, lat));
  for (let lat = 90; lat >= -90; lat -= stepDeg) pts.push(project(180, lat));
  return pts.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${fmt(x)} ${fmt(y)}`).join('') + 'Z';
}
