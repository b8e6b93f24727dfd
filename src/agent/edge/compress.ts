/**
 * RICE_1 tile compression of a raw frame before upload (what fpack does by default):
 * integer pixels are compressed losslessly, row by row, the header kept; the result is a
 * FITS file with an empty primary HDU and the compressed image as extension 1, with
 * checksums. Raw 16-bit frames shrink to roughly a third to a half.
 */
import { compressImage, FitsError, FitsReader, imageHdu, writeFits } from '../../science/fits/index.js';
import { AgentError } from '../errors.js';

export async function compressFrame(fits: Uint8Array): Promise<Uint8Array> {
  let reader: FitsReader | undefined;
  try {
    reader = await FitsReader.open(fits);
    const hdu = reader.hdus.find((h) => h.type === 'image' && h.dataByteLength > 0);
    if (!hdu) {
      if (reader.hdus.some((h) => h.type === 'compressed-image')) return fits; // already compressed
      throw new AgentError('BAD_FRAME', 'the FITS file holds no image to compress');
    }
    const image = await reader.readImage(hdu.index, { raw: true });
    if (image.bitpix < 0) throw new AgentError('BAD_FRAME', `RICE_1 is for integer raw frames; this one has BITPIX ${image.bitpix}`);
    return writeFits([imageHdu(new Uint8Array(0), []), compressImage(image, { type: 'RICE_1' }, hdu.header)], { checksum: true });
  } catch (e) {
    if (e instanceof FitsError) throw new AgentError('BAD_FRAME', `cannot compress the frame: ${e.message}`, { cause: e });
    throw e;
  } finally {
    await reader?.close();
  }
}
