/**
 * Tile-compressed FITS images (FITS Standard 4.0 §10): RICE_1, GZIP_1, GZIP_2 and
 * NOCOMPRESS read and write; HCOMPRESS_1 and PLIO_1 read; quantized floats with
 * NO_DITHER, SUBTRACTIVE_DITHER_1 and SUBTRACTIVE_DITHER_2.
 */
export {
  compressImage,
  decompressImage,
  isCompressedImage,
  uncompressedHeader,
  writeCompressedFits,
  type CompressionType,
  type CompressOptions,
  type DecompressedImage,
  type DecompressOptions,
  type QuantizeMethod,
} from './compressed-image.js';
export { readCompressedImage, readCompressedRegion, readCompressedTiles } from './read-tiles.js';
export { riceDecode, riceDecodeInto, riceEncode, riceEncodeInto, riceMaxBytes } from './rice.js';
export { gzipDecode, gzipEncode, shuffleBytes, unshuffleBytes } from './gzip.js';
export { hcompressDecode, type HcompressTile } from './hcompress.js';
export { plioDecode, plioWords } from './plio.js';
export {
  ditherSequence,
  dequantizeTile,
  estimateNoise,
  quantizeTile,
  NULL_VALUE,
  ZERO_VALUE,
  N_RANDOM,
  type NoiseEstimate,
  type QuantizeParams,
  type QuantizedTile,
  type DequantizeParams,
} from './quantize.js';
export { tileGrid, tileBox, tilesBoundingBox, rowTiles, forEachTileRow, type TileGrid, type TileBox } from './tiles.js';
