/** Synthetic frames for the co-addition tests: pixel-integrated Gaussian stars + flat sky + Gaussian noise. */
import { Rng } from '../../../src/science/inference/random.js';
import { erf } from '../../../src/science/sky/index.js';
import { createWcs, skyToPix, type Wcs } from '../../../src/science/wcs/index.js';

export const RA0 = 150;
export const DEC0 = 20;

/** A TAN WCS centred on (RA0 + dRa, DEC0 + dDec) with the given scale, rotation (deg E of N) and optional flip. */
export function tanWcs(width: number, height: number, scaleArcsec: number, rotDeg = 0, opts: { dRaDeg?: number; dDecDeg?: number; flip?: boolean } = {}): Wcs {
  const s = scaleArcsec / 3600;
  const t = (rotDeg * Math.PI) / 180;
  const c = Math.cos(t);
  const sn = Math.sin(t);
  const fx = opts.flip ? -1 : 1;
  // North up east left, rotated: +y axis at PA rot.
  const cd: [number, number, number, number] = [-s * c * fx, -s * sn, -s * sn * fx, s * c];
  return createWcs({ crpix: [(width - 1) / 2, (height - 1) / 2], crval: [RA0 + (opts.dRaDeg ?? 0), DEC0 + (opts.dDecDeg ?? 0)], cd });
}

export interface Star {
  raDeg: number;
  decDeg: number;
  flux: number;
}

function pixelIntegral(x: number, x0: number, sig: number): number {
  const k = 1 / (Math.SQRT2 * sig);
  return 0.5 * (erf((x + 0.5 - x0) * k) - erf((x - 0.5 - x0) * k));
}

/** Noise-free image: sky + pixel-integrated circular Gaussians of FWHM fwhmArcsec. */
export function renderModel(wcs: Wcs, width: number, height: number, stars: readonly Star[], sky: number, fwhmArcsec: number, scaleArcsec: number, fluxFactor = 1): Float32Array {
  const img = new Float32Array(width * height).fill(sky);
  const sig = fwhmArcsec / scaleArcsec / 2.3548;
  const r = Math.ceil(6 * sig);
  const gx = new Float64Array(2 * r + 1);
  const gy = new Float64Array(2 * r + 1);
  for (const st of stars) {
    const [x0, y0] = skyToPix(wcs, st.raDeg, st.decDeg);
    if (!(x0 > -r && y0 > -r && x0 < width + r && y0 < height + r)) continue;
    const cx = Math.round(x0);
    const cy = Math.round(y0);
    for (let k = -r; k <= r; k++) {
      gx[k + r] = pixelIntegral(cx + k, x0, sig);
      gy[k + r] = pixelIntegral(cy + k, y0, sig);
    }
    for (let dy = -r; dy <= r; dy++) {
      const y = cy + dy;
      if (y < 0 || y >= height) continue;
      for (let dx = -r; dx <= r; dx++) {
        const x = cx + dx;
        if (x < 0 || x >= width) continue;
        img[y * width + x] += st.flux * fluxFactor * gx[dx + r] * gy[dy + r];
      }
    }
  }
  return img;
}

export function addNoise(img: Float32Array, sigma: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(img.length);
  for (let i = 0; i < img.length; i++) out[i] = img[i] + sigma * rng.normal();
  return out;
}

export function randomStars(n: number, radiusDeg: number, fluxMin: number, fluxMax: number, seed: number): Star[] {
  const rng = new Rng(seed);
  const stars: Star[] = [];
  for (let i = 0; i < n; i++) {
    stars.push({
      raDeg: RA0 + ((rng.uniform() * 2 - 1) * radiusDeg) / Math.cos((DEC0 * Math.PI) / 180),
      decDeg: DEC0 + (rng.uniform() * 2 - 1) * radiusDeg,
      flux: fluxMin * (fluxMax / fluxMin) ** rng.uniform(),
    });
  }
  return stars;
}
