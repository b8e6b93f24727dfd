/**
 * Photometric zero point and colour term of one frame, from stars matched to a catalog:
 *
 *   catMag − instMag = zp + colourTerm · colour
 *
 * with instMag = −2.5 log10(flux / exposureS) (so zp is the magnitude of 1 count per
 * second), colour a catalog colour index (e.g. B − V, or BP − RP), by weighted least
 * squares with iterative sigma clipping. Weights are 1/σ², σ² = σ_inst² + σ_cat² + floor²;
 * clipping works on the normalised residuals r/σ, with a robust width (1.4826 × MAD, at
 * least 1 when errors are given), so one variable or blended star does not drag the fit
 * nor inflate the clipping threshold.
 * Parameter errors come from the weighted normal equations, scaled up by √χ²_ν when the
 * stars scatter more than their errors say (they usually do: flat-field and aperture
 * errors are not in σ).
 *
 * With a colour term fixed from elsewhere (the instrument registry, for a frame with few
 * comparison stars) only zp is fitted, and the colour term's error is carried into zp's:
 * zp = mean(catMag − instMag − ct·colour), so σ_zp² = σ_stat² + (σ_ct · mean colour)².
 */
import { MAD_TO_SIGMA, medianInPlace } from '../image/stats.js';
import { PhotometryError, requireFinite, requireLength } from './errors.js';

/** 2.5 / ln 10: magnitude error of a relative flux error. */
export const MAG_PER_RELATIVE_FLUX = 2.5 / Math.LN10;

export interface ZeroPointInput {
  /** Instrumental magnitudes, −2.5 log10(flux / exposureS); NaN for unusable stars. */
  instMag: ArrayLike<number>;
  instMagErr?: ArrayLike<number>;
  /** Catalog magnitudes in the band being calibrated. */
  catMag: ArrayLike<number>;
  catMagErr?: ArrayLike<number>;
  /** Catalog colour index of each star; required to fit or apply a colour term. */
  colour?: ArrayLike<number>;
}

export interface ColourTermEstimate {
  value: number;
  /** 1σ error (≥ 0). */
  err: number;
}

export interface ZeroPointOptions {
  /** Clipping threshold in robust standard deviations of the normalised residuals; default 3. */
  sigma?: number;
  /** Clipping rounds at most; default 10. */
  maxIters?: number;
  /** Added in quadrature to every star's error, mag; default 0. */
  errorFloorMag?: number;
  /**
   * 'fit' (default when colours are given), 'none', or a fixed value with its error (e.g.
   * from the instrument registry).
   */
  colourTerm?: 'fit' | 'none' | ColourTermEstimate;
}

export interface ZeroPointFit {
  zp: number;
  zpErr: number;
  /** 0 when no colour term was used. */
  colourTerm: number;
  colourTermErr: number;
  /** Covariance of (zp, colourTerm); 0 off-diagonal for a fixed colour term. */
  covZpColour: number;
  colourTermSource: 'fit' | 'fixed' | 'none';
  /** Robust standard deviation (1.4826 × MAD) of the kept stars' residuals, mag. */
  scatter: number;
  /** χ² of the kept stars over their degrees of freedom (NaN with none). */
  reducedChi2: number;
  /** Stars with finite input (the matched comparison stars). */
  matched: number;
  /** Stars rejected by clipping. */
  clipped: number;
  /** Stars kept in the final fit. */
  used: number;
  /** 1 for each star kept in the final fit. */
  kept: Uint8Array;
  /** catMag − instMag − model for every star (NaN where the input is not finite). */
  residual: Float64Array;
  iterations: number;
}

/** Most stars one fit accepts. */
export const MAX_FIT_STARS = 10_000_000;

/** Instrumental magnitudes −2.5 log10(flux / exposureS) and their errors; NaN for flux ≤ 0. */
export function instrumentalMag(flux: ArrayLike<number>, fluxErr: ArrayLike<number> | undefined, exposureS: number): { mag: Float64Array; magErr: Float64Array } {
  requireFinite(exposureS, 'exposureS', 0);
  if (!(exposureS > 0)) throw new PhotometryError('BAD_ARGUMENT', 'must be > 0 seconds', { parameter: 'exposureS' });
  const n = flux.length;
  if (fluxErr !== undefined) requireLength(fluxErr, n, 'fluxErr');
  const mag = new Float64Array(n);
  const magErr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = flux[i];
    if (!(f > 0) || !Number.isFinite(f)) {
      mag[i] = NaN;
      magErr[i] = NaN;
      continue;
    }
    mag[i] = -2.5 * Math.log10(f / exposureS);
    magErr[i] = fluxErr === undefined ? NaN : (MAG_PER_RELATIVE_FLUX * fluxErr[i]) / f;
  }
  return { mag, magErr };
}

/** Robust sigma-clipped fit of zp (and the colour term) to matched stars. */
export function fitZeroPoint(input: ZeroPointInput, options: ZeroPointOptions = {}): ZeroPointFit {
  if (input === null || typeof input !== 'object') throw new PhotometryError('BAD_ARGUMENT', 'must be { instMag, catMag, … }', { parameter: 'input' });
  const n = input.instMag?.length;
  requireLength(input.instMag, n, 'instMag');
  requireLength(input.catMag, n, 'catMag');
  if (input.instMagErr !== undefined) requireLength(input.instMagErr, n, 'instMagErr');
  if (input.catMagErr !== undefined) requireLength(input.catMagErr, n, 'catMagErr');
  if (input.colour !== undefined) requireLength(input.colour, n, 'colour');
  if (n > MAX_FIT_STARS) throw new PhotometryError('BAD_ARGUMENT', `${n} stars exceed the limit of ${MAX_FIT_STARS}`, { parameter: 'instMag' });
  const sigma = requireFinite(options.sigma ?? 3, 'sigma', 0);
  if (!(sigma > 0)) throw new PhotometryError('BAD_ARGUMENT', 'must be > 0', { parameter: 'sigma' });
  const maxIters = requireFinite(options.maxIters ?? 10, 'maxIters', 0, 1000);
  const floor = requireFinite(options.errorFloorMag ?? 0, 'errorFloorMag', 0, 10);
  const mode = resolveColourMode(options.colourTerm, input.colour !== undefined);
  if (mode.kind !== 'none' && input.colour === undefined) {
    throw new PhotometryError('BAD_ARGUMENT', 'a colour term needs catalog colours', { parameter: 'colour' });
  }

  // y = catMag − instMag (− ct·colour when the colour term is fixed), σ² per star.
  const y = new Float64Array(n);
  const c = new Float64Array(n);
  const s2 = new Float64Array(n);
  const finite = new Uint8Array(n);
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const dm = input.catMag[i] - input.instMag[i];
    const col = input.colour ? input.colour[i] : 0;
    const ei = input.instMagErr ? input.instMagErr[i] : 0;
    const ec = input.catMagErr ? input.catMagErr[i] : 0;
    const e2 = (Number.isFinite(ei) ? ei * ei : 0) + (Number.isFinite(ec) ? ec * ec : 0) + floor * floor;
    const usable = Number.isFinite(dm) && (mode.kind === 'none' || Number.isFinite(col));
    if (!usable) {
      y[i] = NaN;
      continue;
    }
    finite[i] = 1;
    matched++;
    y[i] = mode.kind === 'fixed' ? dm - mode.value * col : dm;
    c[i] = col;
    s2[i] = e2;
  }
  // Without any error information every star weighs the same.
  let anyErr = false;
  for (let i = 0; i < n; i++) if (finite[i] && s2[i] > 0) anyErr = true;
  for (let i = 0; i < n; i++) {
    if (!finite[i]) continue;
    if (!anyErr) s2[i] = 1;
    else if (!(s2[i] > 0)) throw new PhotometryError('BAD_ARGUMENT', 'a star with a zero error among stars with errors; give errorFloorMag > 0', { parameter: 'instMagErr', index: i });
  }
  const nParams = mode.kind === 'fit' ? 2 : 1;
  if (matched < nParams + (nParams === 2 ? 1 : 0)) {
    throw new PhotometryError('TOO_FEW_STARS', `${matched} usable star(s); a ${nParams === 2 ? 'zero point with a colour term needs 3' : 'zero point needs 1'}`, {
      parameter: 'catMag',
    });
  }

  let kept = Uint8Array.from(finite);
  let sol = solve(y, c, s2, kept, nParams);
  let iterations = 0;
  const z = new Float64Array(n);
  for (; iterations < maxIters; iterations++) {
    let m = 0;
    for (let i = 0; i < n; i++) if (kept[i]) z[m++] = (y[i] - sol.a - sol.b * c[i]) / Math.sqrt(s2[i]);
    if (m < nParams + 2) break;
    const zs = z.subarray(0, m);
    const med = medianInPlace(zs, m);
    for (let i = 0; i < m; i++) zs[i] = Math.abs(zs[i] - med);
    // Never clip a star within κ of its own quoted error: a MAD of a handful of stars can
    // be far below 1 by chance, and would then reject good stars.
    const width = Math.max(MAD_TO_SIGMA * medianInPlace(zs, m), anyErr ? 1 : 0);
    if (!(width > 0)) break;
    const next = new Uint8Array(n);
    let count = 0;
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (!finite[i]) continue;
      const zi = (y[i] - sol.a - sol.b * c[i]) / Math.sqrt(s2[i]);
      if (Math.abs(zi - med) <= sigma * width) {
        next[i] = 1;
        count++;
      }
      if (next[i] !== kept[i]) changed = true;
    }
    if (!changed || count < nParams + 1) break;
    kept = next;
    sol = solve(y, c, s2, kept, nParams);
  }

  const residual = new Float64Array(n);
  const absRes: number[] = [];
  let chi2 = 0;
  let used = 0;
  for (let i = 0; i < n; i++) {
    if (!finite[i]) {
      residual[i] = NaN;
      continue;
    }
    const r = y[i] - sol.a - sol.b * c[i];
    residual[i] = r;
    if (kept[i]) {
      used++;
      chi2 += (r * r) / s2[i];
      absRes.push(r);
    }
  }
  const dof = used - nParams;
  const reducedChi2 = dof > 0 ? chi2 / dof : NaN;
  // Errors from σ alone when the stars agree with them, from their scatter when they do not.
  const scale = anyErr ? (dof > 0 ? Math.sqrt(Math.max(1, reducedChi2)) : 1) : dof > 0 ? Math.sqrt(reducedChi2) : NaN;
  const scatter = robustStd(Float64Array.from(absRes));
  let zpErr = Math.sqrt(sol.varA) * scale;
  let colourTermErr = nParams === 2 ? Math.sqrt(sol.varB) * scale : 0;
  let cov = nParams === 2 ? sol.covAB * scale * scale : 0;
  let colourTerm = sol.b;
  if (mode.kind === 'fixed') {
    // zp absorbs ct·(weighted mean colour): its error inherits the colour term's.
    let sw = 0;
    let swc = 0;
    for (let i = 0; i < n; i++) {
      if (!kept[i]) continue;
      sw += 1 / s2[i];
      swc += c[i] / s2[i];
    }
    const meanColour = swc / sw;
    zpErr = Math.hypot(zpErr, mode.err * meanColour);
    colourTerm = mode.value;
    colourTermErr = mode.err;
    cov = -mode.err * mode.err * meanColour;
  }
  return {
    zp: sol.a,
    zpErr,
    colourTerm: mode.kind === 'none' ? 0 : colourTerm,
    colourTermErr,
    covZpColour: cov,
    colourTermSource: mode.kind,
    scatter,
    reducedChi2,
    matched,
    clipped: matched - used,
    used,
    kept,
    residual,
    iterations,
  };
}

/**
 * Calibrated magnitudes instMag + zp + ct·colour, with errors from the star's own error and
 * the fit's (zp, ct) covariance. Without colours, the colour term must be 0.
 */
export function applyZeroPoint(
  instMag: ArrayLike<number>,
  instMagErr: ArrayLike<number> | undefined,
  colour: ArrayLike<number> | undefined,
  fit: Pick<ZeroPointFit, 'zp' | 'zpErr' | 'colourTerm' | 'colourTermErr' | 'covZpColour'>,
): { mag: Float64Array; magErr: Float64Array } {
  const n = instMag.length;
  if (instMagErr !== undefined) requireLength(instMagErr, n, 'instMagErr');
  if (colour !== undefined) requireLength(colour, n, 'colour');
  if (colour === undefined && fit.colourTerm !== 0) throw new PhotometryError('BAD_ARGUMENT', 'the fit has a colour term: give the stars’ colours', { parameter: 'colour' });
  const mag = new Float64Array(n);
  const magErr = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const col = colour ? colour[i] : 0;
    mag[i] = instMag[i] + fit.zp + fit.colourTerm * col;
    const e = instMagErr ? instMagErr[i] : 0;
    const v = e * e + fit.zpErr * fit.zpErr + col * col * fit.colourTermErr * fit.colourTermErr + 2 * col * fit.covZpColour;
    magErr[i] = Math.sqrt(Math.max(0, v));
  }
  return { mag, magErr };
}

type ColourMode = { kind: 'fit' } | { kind: 'none' } | { kind: 'fixed'; value: number; err: number };

function resolveColourMode(opt: ZeroPointOptions['colourTerm'], haveColours: boolean): ColourMode {
  if (opt === undefined) return haveColours ? { kind: 'fit' } : { kind: 'none' };
  if (opt === 'fit') return { kind: 'fit' };
  if (opt === 'none') return { kind: 'none' };
  if (opt === null || typeof opt !== 'object') throw new PhotometryError('BAD_ARGUMENT', `must be 'fit', 'none' or { value, err }, got ${String(opt)}`, { parameter: 'colourTerm' });
  return { kind: 'fixed', value: requireFinite(opt.value, 'colourTerm.value', -10, 10), err: requireFinite(opt.err, 'colourTerm.err', 0, 10) };
}

interface LinearSolution {
  a: number;
  b: number;
  varA: number;
  varB: number;
  covAB: number;
}

/** Weighted least squares y = a + b·c over the kept stars (b = 0 with one parameter). */
function solve(y: Float64Array, c: Float64Array, s2: Float64Array, kept: Uint8Array, nParams: number): LinearSolution {
  let sw = 0;
  let swc = 0;
  let swy = 0;
  for (let i = 0; i < y.length; i++) {
    if (!kept[i]) continue;
    const w = 1 / s2[i];
    sw += w;
    swc += w * c[i];
    swy += w * y[i];
  }
  if (nParams === 1) return { a: swy / sw, b: 0, varA: 1 / sw, varB: 0, covAB: 0 };
  // Centre the colours for a well-conditioned 2 × 2 system.
  const cbar = swc / sw;
  const ybar = swy / sw;
  let scc = 0;
  let scy = 0;
  for (let i = 0; i < y.length; i++) {
    if (!kept[i]) continue;
    const w = 1 / s2[i];
    const dc = c[i] - cbar;
    scc += w * dc * dc;
    scy += w * dc * (y[i] - ybar);
  }
  if (!(scc > 1e-12 * sw)) {
    throw new PhotometryError('DEGENERATE', 'the comparison stars all have the same colour: the colour term is undetermined (fix it from the instrument registry or fit zp only)', {
      parameter: 'colour',
    });
  }
  const b = scy / scc;
  const varB = 1 / scc;
  const a = ybar - b * cbar;
  return { a, b, varA: 1 / sw + cbar * cbar * varB, varB, covAB: -cbar * varB };
}

function robustStd(values: Float64Array): number {
  const n = values.length;
  if (n === 0) return NaN;
  const med = medianInPlace(values, n);
  for (let i = 0; i < n; i++) values[i] = Math.abs(values[i] - med);
  return MAD_TO_SIGMA * medianInPlace(values, n);
}
