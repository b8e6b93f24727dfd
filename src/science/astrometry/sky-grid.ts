/**
 * A near-uniform tiling of the sphere into cells of about `cellDeg` on a side: declination
 * zones of height cellDeg, each cut into ⌊360° cos δ / cellDeg⌋ (at least 1) equal RA cells,
 * δ taken at the zone's edge nearest the equator. Cell ids run zone by zone, RA increasing.
 */
import { requireFinite } from './errors.js';

const D2R = Math.PI / 180;

export class SkyGrid {
  readonly cellDeg: number;
  readonly zones: number;
  /** Cells in zone z, and the id of its first cell (zoneFirst[zones] = number of cells). */
  readonly zoneCells: Int32Array;
  readonly zoneFirst: Int32Array;

  constructor(cellDeg: number) {
    this.cellDeg = requireFinite(cellDeg, 'cellDeg', 1e-3, 180);
    this.zones = Math.ceil(180 / cellDeg - 1e-9);
    this.zoneCells = new Int32Array(this.zones);
    this.zoneFirst = new Int32Array(this.zones + 1);
    for (let z = 0; z < this.zones; z++) {
      const lo = -90 + z * cellDeg;
      const hi = Math.min(90, lo + cellDeg);
      const nearEq = lo <= 0 && hi >= 0 ? 0 : Math.min(Math.abs(lo), Math.abs(hi));
      this.zoneCells[z] = Math.max(1, Math.floor((360 * Math.cos(nearEq * D2R)) / cellDeg));
      this.zoneFirst[z + 1] = this.zoneFirst[z] + this.zoneCells[z];
    }
  }

  get cells(): number {
    return this.zoneFirst[this.zones];
  }

  zoneOf(decDeg: number): number {
    return Math.min(this.zones - 1, Math.max(0, Math.floor((decDeg + 90) / this.cellDeg)));
  }

  cellOf(raDeg: number, decDeg: number): number {
    const z = this.zoneOf(decDeg);
    const n = this.zoneCells[z];
    const ra = ((raDeg % 360) + 360) % 360;
    return this.zoneFirst[z] + Math.min(n - 1, Math.floor((ra / 360) * n));
  }

  /** Centre of a cell, degrees. */
  cellCentre(id: number): [number, number] {
    let lo = 0;
    let hi = this.zones - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.zoneFirst[mid] <= id) lo = mid;
      else hi = mid - 1;
    }
    const z = lo;
    const n = this.zoneCells[z];
    const i = id - this.zoneFirst[z];
    const decLo = -90 + z * this.cellDeg;
    const decHi = Math.min(90, decLo + this.cellDeg);
    return [((i + 0.5) / n) * 360, (decLo + decHi) / 2];
  }

  /** Calls visit(id) for every cell that may hold a point within radiusDeg of (ra, dec) (each once). */
  cellsNear(raDeg: number, decDeg: number, radiusDeg: number, visit: (id: number) => void): void {
    const z0 = this.zoneOf(decDeg - radiusDeg);
    const z1 = this.zoneOf(decDeg + radiusDeg);
    let half = 180;
    if (Math.abs(decDeg) + radiusDeg < 89.999 && radiusDeg < 90) {
      half = Math.asin(Math.min(1, Math.sin(radiusDeg * D2R) / Math.cos(decDeg * D2R))) / D2R;
    }
    const ra = ((raDeg % 360) + 360) % 360;
    for (let z = z0; z <= z1; z++) {
      const n = this.zoneCells[z];
      const first = this.zoneFirst[z];
      if (half >= 180 || 2 * half * (n / 360) >= n - 1) {
        for (let i = 0; i < n; i++) visit(first + i);
        continue;
      }
      const i0 = Math.floor(((ra - half) / 360) * n);
      const i1 = Math.floor(((ra + half) / 360) * n);
      for (let i = i0; i <= i1; i++) visit(first + (((i % n) + n) % n));
    }
  }
}
