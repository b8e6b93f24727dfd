/**
 * The stacked-image viewer: reads the stack's FITS in the browser with the project's own
 * FITS reader and WCS (src/science/fits, src/science/wcs — the same code the pipeline
 * uses), shows it with a choice of stretch and limits, zooms (wheel, buttons, pinch) and
 * pans (drag) with nearest-neighbour pixels, reads out pixel, value and RA/Dec under the
 * cursor, and overlays the coverage map (frames per pixel) on request.
 */
import { FitsReader } from '../../../src/science/fits/reader.js';
import type { FitsImage } from '../../../src/science/fits/image.js';
import type { HduInfo } from '../../../src/science/fits/hdu.js';
import { wcsFromHeader, type Wcs } from '../../../src/science/wcs/wcs.js';
import { pixToSky } from '../../../src/science/wcs/transform.js';
import { h, replaceChildren } from '../lib/dom.js';
import { getBytes } from '../lib/api.js';
import { formatDec, formatNumber, formatRa } from '../lib/format.js';
import {
  fitView,
  panBy,
  percentileLimits,
  pixelIndex,
  renderCoverage,
  renderGrey,
  screenToPixel,
  STRETCHES,
  zoomAbout,
  type StretchKind,
  type View,
} from '../lib/image-view.js';

export interface StackInfo {
  productId: string;
  width: number;
  height: number;
  depthFrames: number;
  url: string;
  coverageUrl?: string;
}

export interface LoadedImage {
  width: number;
  height: number;
  data: Float32Array | Float64Array;
  wcs: Wcs | undefined;
  wcsProblem?: string;
}

const LIMITS: Array<{ label: string; lo: number; hi: number }> = [
  { label: '99.5 %', lo: 0.25, hi: 99.75 },
  { label: '99 %', lo: 0.5, hi: 99.5 },
  { label: '98 %', lo: 1, hi: 99 },
  { label: '95 %', lo: 2.5, hi: 97.5 },
  { label: 'min–max', lo: 0, hi: 100 },
];

function toFloat(img: FitsImage): Float32Array | Float64Array {
  const d = img.data;
  if (d instanceof Float32Array || d instanceof Float64Array) return d;
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(d[i]);
  return out;
}

/** The first 2-D image HDU of a FITS file, with its WCS when it has a usable one. */
export async function readFitsImage(bytes: Uint8Array): Promise<LoadedImage> {
  const reader = await FitsReader.open(bytes);
  const hdu: HduInfo | undefined = reader.hdus.find((x) => x.type === 'image' && (x.header.getInt('NAXIS') ?? 0) >= 2 && x.dataByteLength > 0);
  if (!hdu) {
    const compressed = reader.hdus.some((x) => x.type === 'compressed-image');
    throw new Error(compressed ? 'the stack is tile-compressed; the browser viewer reads plain FITS images only' : 'the file holds no 2-D image');
  }
  const img = await reader.readImage(hdu.index);
  let wcs: Wcs | undefined;
  let wcsProblem: string | undefined;
  try {
    wcs = wcsFromHeader(hdu.header, { hdu: hdu.index });
    if (!wcs) wcsProblem = 'no celestial WCS in the header';
  } catch (err) {
    wcsProblem = (err as Error).message;
  }
  return { width: img.width, height: img.height, data: toFloat(img), wcs, wcsProblem };
}

export interface StackViewerHandle {
  element: HTMLElement;
  destroy(): void;
}

export function stackViewer(info: StackInfo): StackViewerHandle {
  const stretchSel = h('select', { 'aria-label': 'Stretch', class: 'stretch' }, STRETCHES.map((k) => h('option', { value: k, selected: k === 'asinh' }, k)));
  const limitSel = h('select', { 'aria-label': 'Limits', class: 'limits' }, LIMITS.map((l, i) => h('option', { value: String(i), selected: i === 1 }, l.label)));
  const coverageBox = h('input', { type: 'checkbox', class: 'coverage-toggle', disabled: !info.coverageUrl });
  const zoomLabel = h('span', { class: 'zoom-label' }, '');
  const limitsLabel = h('span', { class: 'limits-label' }, '');
  const canvas = h('canvas', { class: 'stack-canvas', tabindex: '0', 'aria-label': 'Stacked image; drag to pan, wheel or pinch to zoom' });
  const stage = h('div', { class: 'stack-stage' }, canvas);
  const readout = h('div', { class: 'readout' }, 'Move over the image to read pixel and sky coordinates.');
  const status = h('p', { class: 'note note-loading' }, `Loading the stack (${info.width} × ${info.height}, ${info.depthFrames} frames)…`);
  const zoomBtn = (label: string, title: string, fn: () => void) => h('button', { type: 'button', title, onclick: fn }, label);
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    h('label', null, 'Stretch ', stretchSel),
    h('label', null, 'Limits ', limitSel),
    zoomBtn('−', 'Zoom out', () => zoomCentre(1 / 1.5)),
    zoomBtn('+', 'Zoom in', () => zoomCentre(1.5)),
    zoomBtn('Fit', 'Whole image', () => fit()),
    zoomLabel,
    h('label', { class: info.coverageUrl ? '' : 'disabled' }, coverageBox, ' Coverage'),
  );
  const element = h(
    'div',
    { class: 'stack-viewer', dataset: { productId: info.productId, depth: info.depthFrames } },
    h('p', { class: 'chart-summary' }, `Stack ${info.width} × ${info.height} px, depth ${info.depthFrames} frames · `, h('a', { href: info.url, download: `${info.productId}.fits` }, 'FITS'), ' · ', limitsLabel),
    toolbar,
    stage,
    readout,
    status,
  );

  let image: LoadedImage | null = null;
  let coverage: { data: ArrayLike<number>; max: number; canvas: HTMLCanvasElement } | null = null;
  const imageCanvas = document.createElement('canvas');
  let view: View = { scale: 1, offsetX: 0, offsetY: 0 };
  let cssW = 0;
  let cssH = 0;
  let destroyed = false;
  const abort = new AbortController();
  let lastPointer: { x: number; y: number } | null = null;

  function renderImage() {
    if (!image) return;
    const kind = stretchSel.value as StretchKind;
    const lim = LIMITS[Number(limitSel.value)];
    const [lo, hi] = percentileLimits(image.data, lim.lo, lim.hi);
    limitsLabel.textContent = `limits ${formatNumber(lo, 6)} … ${formatNumber(hi, 6)}`;
    limitsLabel.dataset.lo = String(lo);
    limitsLabel.dataset.hi = String(hi);
    const rgba = renderGrey(image.data, image.width, image.height, lo, hi, kind);
    imageCanvas.width = image.width;
    imageCanvas.height = image.height;
    imageCanvas.getContext('2d')!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, image.width, image.height), 0, 0);
    draw();
  }

  function draw() {
    if (!image || cssW === 0) return;
    const dpr = window.devicePixelRatio || 1;
    const c = canvas.getContext('2d')!;
    c.setTransform(1, 0, 0, 1, 0, 0);
    c.clearRect(0, 0, canvas.width, canvas.height);
    c.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.offsetX, dpr * view.offsetY);
    c.imageSmoothingEnabled = false;
    c.drawImage(imageCanvas, 0, 0);
    if (coverage && coverageBox.checked) c.drawImage(coverage.canvas, 0, 0);
    zoomLabel.textContent = `${Math.round(view.scale * 100)}%`;
    zoomLabel.dataset.scale = String(view.scale);
    if (lastPointer) showReadout(lastPointer.x, lastPointer.y);
  }

  function sizeCanvas() {
    if (!image) return;
    const w = stage.clientWidth;
    if (w === 0) return;
    const h0 = Math.round(Math.min(window.innerHeight * 0.7, Math.max(200, (w * image.height) / image.width)));
    const first = cssW === 0;
    const dpr = window.devicePixelRatio || 1;
    cssW = w;
    cssH = h0;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h0}px`;
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h0 * dpr);
    if (first) view = fitView(image.width, image.height, cssW, cssH);
    draw();
  }

  function fit() {
    if (!image) return;
    view = fitView(image.width, image.height, cssW, cssH);
    draw();
  }

  function zoomCentre(factor: number) {
    view = zoomAbout(view, factor, cssW / 2, cssH / 2);
    draw();
  }

  function showReadout(sx: number, sy: number) {
    if (!image) return;
    const [x, y] = screenToPixel(view, image.height, sx, sy);
    const idx = pixelIndex(x, y, image.width, image.height);
    for (const k of Object.keys(readout.dataset)) delete readout.dataset[k];
    if (idx === null) {
      readout.textContent = 'outside the image';
      return;
    }
    const parts: string[] = [`x ${x.toFixed(2)}  y ${y.toFixed(2)}`, `value ${formatNumber(image.data[idx], 6)}`];
    readout.dataset.x = String(x);
    readout.dataset.y = String(y);
    if (image.wcs) {
      const [ra, dec] = pixToSky(image.wcs, x, y);
      readout.dataset.raDeg = String(ra);
      readout.dataset.decDeg = String(dec);
      parts.push(`RA ${formatRa(ra)}  Dec ${formatDec(dec)}  (${ra.toFixed(6)}°, ${dec >= 0 ? '+' : ''}${dec.toFixed(6)}°)`);
    } else {
      parts.push(`no sky coordinates: ${image.wcsProblem ?? 'no WCS'}`);
    }
    if (coverage && coverageBox.checked) {
      const c = coverage.data[idx];
      readout.dataset.coverage = String(c);
      parts.push(`coverage ${c} frame${c === 1 ? '' : 's'}`);
    }
    readout.textContent = parts.join(' · ');
  }

  // Pointer handling: one pointer pans, two pinch-zoom about their midpoint.
  const pointers = new Map<number, { x: number; y: number }>();
  const local = (e: PointerEvent | WheelEvent) => {
    const r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  };
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, local(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    const p = local(e);
    lastPointer = p;
    const prev = pointers.get(e.pointerId);
    if (prev && pointers.size === 1) {
      view = panBy(view, p.x - prev.x, p.y - prev.y);
      pointers.set(e.pointerId, p);
      draw();
      return;
    }
    if (prev && pointers.size === 2) {
      const other = [...pointers.entries()].find(([id]) => id !== e.pointerId)![1];
      const before = Math.hypot(prev.x - other.x, prev.y - other.y);
      const after = Math.hypot(p.x - other.x, p.y - other.y);
      pointers.set(e.pointerId, p);
      if (before > 0) {
        view = zoomAbout(view, after / before, (p.x + other.x) / 2, (p.y + other.y) / 2);
        draw();
      }
      return;
    }
    showReadout(p.x, p.y);
  });
  const release = (e: PointerEvent) => void pointers.delete(e.pointerId);
  canvas.addEventListener('pointerup', release);
  canvas.addEventListener('pointercancel', release);
  canvas.addEventListener('pointerleave', () => {
    lastPointer = null;
  });
  canvas.addEventListener(
    'wheel',
    (e) => {
      e.preventDefault();
      const p = local(e);
      view = zoomAbout(view, Math.pow(1.0015, -e.deltaY), p.x, p.y);
      draw();
    },
    { passive: false },
  );
  canvas.addEventListener('keydown', (e) => {
    if (e.key === '+' || e.key === '=') zoomCentre(1.5);
    else if (e.key === '-') zoomCentre(1 / 1.5);
    else if (e.key === '0') fit();
  });
  stretchSel.addEventListener('change', renderImage);
  limitSel.addEventListener('change', renderImage);
  coverageBox.addEventListener('change', async () => {
    if (coverageBox.checked && !coverage && info.coverageUrl) {
      try {
        const cov = await readFitsImage(await getBytes(info.coverageUrl, abort.signal));
        if (image && (cov.width !== image.width || cov.height !== image.height)) throw new Error(`coverage map is ${cov.width} × ${cov.height}, the stack ${image.width} × ${image.height}`);
        const { rgba, max } = renderCoverage(cov.data, cov.width, cov.height);
        const cc = document.createElement('canvas');
        cc.width = cov.width;
        cc.height = cov.height;
        cc.getContext('2d')!.putImageData(new ImageData(rgba as Uint8ClampedArray<ArrayBuffer>, cov.width, cov.height), 0, 0);
        coverage = { data: cov.data, max, canvas: cc };
      } catch (err) {
        if (destroyed) return;
        coverageBox.checked = false;
        replaceChildren(status, `coverage map: ${(err as Error).message}`);
        status.className = 'note note-error';
        status.hidden = false;
        return;
      }
    }
    element.dataset.coverage = coverageBox.checked ? 'on' : 'off';
    draw();
  });

  const ro = new ResizeObserver(() => sizeCanvas());
  ro.observe(stage);

  void (async () => {
    try {
      image = await readFitsImage(await getBytes(info.url, abort.signal));
      if (destroyed) return;
      status.hidden = true;
      element.dataset.loaded = 'true';
      renderImage();
      sizeCanvas();
    } catch (err) {
      if (destroyed || (err as Error).name === 'AbortError') return;
      replaceChildren(status, `stack: ${(err as Error).message}`);
      status.className = 'note note-error';
    }
  })();

  return {
    element,
    destroy() {
      destroyed = true;
      abort.abort();
      ro.disconnect();
    },
  };
}
