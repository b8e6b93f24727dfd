/**
 * TDB − TT at the geocentre: the leading terms of the analytical series of Fairhead &
 * Bretagnon (1990, A&A 229, 240), "FB90".
 *
 *   TDB − TT = Σ_k T^k Σ_i A_ki sin(ω_ki T + φ_ki)      T = (JD_TT − 2451545) / 365250
 *
 * (Julian millennia; A in µs, ω in rad per millennium, φ in rad). We keep the 40 largest
 * periodic terms and the leading T¹, T², T³ terms (the full series has ~800). Against the
 * complete series (as implemented in ERFA `dtdb`, used by astropy) this truncation is
 * within 0.5 µs (rms 0.13 µs) over 1990–2030 — measured by the golden tests.
 *
 * TT is used as the argument where FB90 wants TDB: they differ by < 2 ms, which moves
 * the result by < 1e-10 s.
 *
 * The site-dependent part of TDB − TT (≤ 2.1 µs, the observer's geocentric position
 * dotted with the Earth's barycentric velocity, / c²) is not here: it needs the
 * ephemeris; see `topocentricTdbTermS` in earth.ts.
 */
import { J2000_JD, type JulianDate } from './julian.js';

// [amplitude µs, frequency rad/millennium, phase rad]
const T0_TERMS: readonly (readonly [number, number, number])[] = [
  [1656.674564, 6283.075849991, 6.240054195],
  [22.417471, 5753.384884897, 4.296977442],
  [13.839792, 12566.151699983, 6.196904410],
  [4.770086, 529.690965095, 0.444401603],
  [4.676740, 6069.776754553, 4.021195093],
  [2.256707, 213.299095438, 5.543113262],
  [1.694205, -3.523118349, 5.025132748],
  [1.554905, 77713.771467920, 5.198467090],
  [1.276839, 7860.419392439, 5.988822341],
  [1.193379, 5223.693919802, 3.649823730],
  [1.115322, 3930.209696220, 1.422745069],
  [0.794185, 11506.769769794, 2.322313077],
  [0.447061, 26.298319800, 3.615796498],
  [0.435206, -398.149003408, 4.349338347],
  [0.600309, 1577.343542448, 2.678271909],
  [0.496817, 6208.294251424, 5.696701824],
  [0.486306, 5884.926846583, 0.520007179],
  [0.432392, 74.781598567, 2.435898309],
  [0.468597, 6244.942814354, 5.866398759],
  [0.375510, 5507.553238667, 4.103476804],
  [0.243085, -775.522611324, 3.651837925],
  [0.173435, 18849.227549974, 6.153743485],
  [0.230685, 5856.477659115, 4.773852582],
  [0.203747, 12036.460734888, 4.333987818],
  [0.143935, -796.298006816, 5.957517795],
  [0.159080, 10977.078804699, 1.890075226],
  [0.119979, 38.133035638, 4.551585768],
  [0.118971, 5486.777843175, 1.914547226],
  [0.116120, 1059.381930189, 0.873504123],
  [0.137927, 11790.629088659, 1.135934669],
  [0.098358, 2544.314419883, 0.092793886],
  [0.101868, -5573.142801634, 5.984503847],
  [0.080164, 206.185548437, 2.095377709],
  [0.079645, 4694.002954708, 2.949233637],
  [0.062617, 20.775395492, 2.654394814],
  [0.075019, 2942.463423292, 4.980931759],
  [0.064397, 5746.271337896, 1.280308748],
  [0.063814, 5760.498431898, 4.167901731],
  [0.048042, 2146.165416475, 1.495846011],
  [0.048373, 155.420399434, 2.251573730],
];
const T1_TERMS: readonly (readonly [number, number, number])[] = [
  [102.156724, 6283.075849991, 4.249032005],
  [1.706807, 12566.151699983, 4.205904248],
  [0.269668, 213.299095438, 3.400290479],
  [0.265919, 529.690965095, 5.836047367],
  [0.210568, -3.523118349, 6.262738348],
  [0.077996, 5223.693919802, 4.670344204],
];
const T2_TERMS: readonly (readonly [number, number, number])[] = [
  [4.322990, 6283.075849991, 2.642893748],
  [0.406495, 0, 4.712388980],
  [0.122605, 12566.151699983, 2.438140634],
];
const T3_TERMS: readonly (readonly [number, number, number])[] = [
  [0.143388, 6283.075849991, 1.131453581],
];

function sumTerms(terms: readonly (readonly [number, number, number])[], t: number): number {
  let s = 0;
  // smallest first, for a slightly better rounded sum
  for (let i = terms.length - 1; i >= 0; i--) {
    const term = terms[i];
    s += term[0] * Math.sin(term[1] * t + term[2]);
  }
  return s;
}

/** Geocentric TDB − TT in seconds at TT `jdTt` (two parts, or one number: the series is smooth). */
export function tdbMinusTtGeocentricS(jdTt: JulianDate | number): number {
  const days = typeof jdTt === 'number' ? jdTt - J2000_JD : jdTt.jd1 - J2000_JD + jdTt.jd2;
  const t = days / 365250;
  const us = sumTerms(T0_TERMS, t) + t * (sumTerms(T1_TERMS, t) + t * (sumTerms(T2_TERMS, t) + t * sumTerms(T3_TERMS, t)));
  return us * 1e-6;
}
