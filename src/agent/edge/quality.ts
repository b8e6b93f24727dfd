/**
 * Whether a frame is worth uploading: star count and sharpness from science/image's
 * frameQuality (detections above 5σ that are unsaturated, unblended, SNR ≥ 20; FWHM from
 * adaptive moments). A frame without stars — clouds, dew, a closed roof — is not
 * uploaded; it is reported, with the numbers that show why.
 */
import { frameQuality, judgeQuality, type FrameQuality, type QualityLimits } from '../../science/image/index.js';
import type { Image2D } from '../../science/image/index.js';

export interface QualityDecision {
  quality: FrameQuality;
  upload: boolean;
  reasons: string[];
}

export interface EdgeQualityOptions extends QualityLimits {
  saturationAdu?: number;
  mask?: Uint8Array;
}

/** Default limits: at least one star; no FWHM, ellipticity or sky limit unless given. */
export function assessFrame(image: Image2D, opts: EdgeQualityOptions = {}): QualityDecision {
  const quality = frameQuality(image, { saturationAdu: opts.saturationAdu, mask: opts.mask });
  const limits: QualityLimits = { minStars: opts.minStars ?? 1, maxFwhmPx: opts.maxFwhmPx, maxEllipticity: opts.maxEllipticity, maxSkyLevel: opts.maxSkyLevel };
  const { ok, reasons } = judgeQuality(quality, limits);
  return { quality, upload: ok, reasons };
}
