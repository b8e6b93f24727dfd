/**
 * Frames of a stack, staged in a local scratch folder so the co-addition reads windows of
 * them (science/image/coadd reads each frame once per output tile): each frame object is
 * downloaded once; a tile-compressed one is decompressed once into a plain float32 FITS.
 * Memory stays at one decoded frame, whatever the number of frames.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FitsReader } from '../../science/fits/reader.js';
import { readCompressedImage } from '../../science/fits/compression/read-tiles.js';
import { imageHdu, writeFitsFile } from '../../science/fits/writer.js';
import type { FrameProvider } from '../../science/image/coadd.js';
import { wcsFromHeader, type Wcs } from '../../science/wcs/wcs.js';
import type { ObjectStoreLike } from '../../server/context.js';
import { downloadObject } from '../objects.js';

export interface StagedFrame {
  /** Exposure id (the frame's name in messages). */
  name: string;
  path: string;
  hdu: number;
  width: number;
  height: number;
  wcs: Wcs | undefined;
}

export interface Workspace {
  dir: string;
  /** Download (and decompress) one frame; `why` says what is wrong when it cannot be used. */
  stage(name: string, key: string): Promise<StagedFrame | { name: string; why: string }>;
  /** Remove the folder. Idempotent. */
  dispose(): Promise<void>;
}

export async function createWorkspace(storage: ObjectStoreLike, parent = tmpdir()): Promise<Workspace> {
  const dir = await mkdtemp(path.join(parent, 'openastro-stack-'));
  let n = 0;
  return {
    dir,
    async stage(name, key) {
      const file = path.join(dir, `frame-${n++}.fits`);
      await downloadObject(storage, key, file);
      let reader: FitsReader | undefined;
      try {
        reader = await FitsReader.open(file);
        const index = reader.hdus.findIndex(
          (h) => (h.type === 'image' && (h.header.getInt('NAXIS') ?? 0) >= 2 && h.dataByteLength > 0) || h.type === 'compressed-image',
        );
        if (index < 0) return { name, why: 'no 2-D image in the file' };
        const info = reader.hdus[index];
        if (info.type === 'compressed-image') {
          const dec = await readCompressedImage(reader, index);
          const wcs = wcsFromHeader(dec.header);
          const plain = path.join(dir, `frame-${n++}.fits`);
          const data = dec.image.data instanceof Float32Array ? dec.image.data : Float32Array.from(dec.image.data as ArrayLike<number>, Number);
          await writeFitsFile(plain, [imageHdu(data, [dec.image.width, dec.image.height])]);
          await reader.close();
          reader = undefined;
          await rm(file, { force: true });
          return { name, path: plain, hdu: 0, width: dec.image.width, height: dec.image.height, wcs };
        }
        const wcs = wcsFromHeader(info.header);
        return { name, path: file, hdu: index, width: info.header.getInt('NAXIS1') ?? 0, height: info.header.getInt('NAXIS2') ?? 0, wcs };
      } catch (err) {
        return { name, why: `unreadable: ${(err as Error).message}` };
      } finally {
        await reader?.close();
      }
    },
    async dispose() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Frames read window by window from their staged files (as the stack CLI does). */
export function stagedFrames(frames: readonly StagedFrame[]): FrameProvider {
  return {
    count: frames.length,
    name: (i) => frames[i].name,
    wcs: (i) => frames[i].wcs,
    shape: (i) => ({ width: frames[i].width, height: frames[i].height }),
    async read(i, window) {
      const reader = await FitsReader.open(frames[i].path);
      try {
        const img = await reader.readImage(frames[i].hdu, window ? { window } : {});
        const src = img.data;
        return src instanceof Float32Array ? src : Float32Array.from(src as ArrayLike<number | bigint>, Number);
      } finally {
        await reader.close();
      }
    },
  };
}
