/**
 * What a node's optics imply for scheduling: the pixel scale and the field of view of its
 * sensor. The pixel scale is science/sky's opticsPixelScaleArcsec (pitch over focal
 * length, 206.265 · µm / mm); the field of view is the angle the full chip subtends
 * through an ideal (TAN, distortion-free) lens, 2·atan(chip size / 2f), which for small
 * fields is the pixel scale times the pixel count.
 */
import { opticsPixelScaleArcsec } from '../../science/sky/optics.js';

export interface NodeOptics {
  focalLengthMm: number;
  pixelSizeUm: number;
  sensorWidthPx: number;
  sensorHeightPx: number;
}

export interface FieldOfView {
  widthDeg: number;
  heightDeg: number;
}

/** Pixel scale on the optical axis, arcsec per pixel. */
export function nodePixelScaleArcsec(optics: Pick<NodeOptics, 'focalLengthMm' | 'pixelSizeUm'>): number {
  return opticsPixelScaleArcsec({ pixelSizeUm: optics.pixelSizeUm, focalLengthMm: optics.focalLengthMm });
}

/** Full angular extent of the sensor along its width and height, degrees. */
export function nodeFieldOfViewDeg(optics: NodeOptics): FieldOfView {
  const halfAngleDeg = (px: number) => (Math.atan((px * optics.pixelSizeUm * 1e-3) / (2 * optics.focalLengthMm)) * 180) / Math.PI;
  return { widthDeg: 2 * halfAngleDeg(optics.sensorWidthPx), heightDeg: 2 * halfAngleDeg(optics.sensorHeightPx) };
}
