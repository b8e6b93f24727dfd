/**
 * Parameters of the golden light curves (see test/fixtures/transit/README.md and
 * scripts/fixtures/transit.py; the shared golden-transit-model README for the lc_* set).
 */
export const GOLDEN_LC = [
  { name: 'hotjup', periodDays: 3.0, rp: 0.1, a: 15, incDeg: 90, u: [0.1, 0.3] },
  { name: 'grazing', periodDays: 2.5, rp: 0.1, a: 10, incDeg: 84.5, u: [0.4, 0.26] },
  { name: 'small', periodDays: 10, rp: 0.01, a: 20, incDeg: 89.0, u: [0.45, 0.2] },
  { name: 'big', periodDays: 1.5, rp: 0.3, a: 8, incDeg: 88.0, u: [0.6, -0.1] },
  { name: 'uniform', periodDays: 4.0, rp: 0.15, a: 12, incDeg: 89.5, u: [0, 0] },
  { name: 'linear', periodDays: 7.0, rp: 0.08, a: 25, incDeg: 89.7, u: [0.6, 0] },
] as const;

export const ECCENTRIC_CASES = [
  { name: 'ecc_mild', t0: 0, periodDays: 4.2, rp: 0.1, a: 12, incDeg: 89, ecc: 0.3, omegaDeg: 45, u: [0.4, 0.26] as [number, number] },
  { name: 'ecc_high', t0: 0, periodDays: 21, rp: 0.07, a: 30, incDeg: 89.4, ecc: 0.7, omegaDeg: 250, u: [0.3, 0.2] as [number, number] },
  { name: 'ecc_grazing', t0: 2455000, periodDays: 3.3, rp: 0.12, a: 9, incDeg: 84, ecc: 0.15, omegaDeg: -30, u: [0.5, 0.1] as [number, number] },
];

export const SUPERSAMPLED_CASES = [
  { name: 'ss_longcadence', t0: 0, periodDays: 3, rp: 0.1, a: 15, incDeg: 89, ecc: 0, omegaDeg: 90, u: [0.1, 0.3] as [number, number], exposureDays: 0.0204, supersample: 15 },
  { name: 'ss_ecc', t0: 0, periodDays: 4.2, rp: 0.1, a: 12, incDeg: 89, ecc: 0.3, omegaDeg: 45, u: [0.4, 0.26] as [number, number], exposureDays: 0.0139, supersample: 7 },
];
