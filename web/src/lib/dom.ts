/**
 * A few lines instead of a UI framework: build elements from a tag, attributes and
 * children. Event handlers are `on<event>` attributes; `dataset` and `style` take objects.
 */
export type Child = Node | string | number | null | undefined | false | Child[];

export interface Attrs {
  class?: string;
  style?: Partial<CSSStyleDeclaration> | string;
  dataset?: Record<string, string | number>;
  [name: string]: unknown;
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
}

function setAttrs(el: Element, attrs: Attrs | undefined): void {
  if (!attrs) return;
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'style') {
      if (typeof value === 'string') el.setAttribute('style', value);
      else Object.assign((el as HTMLElement).style, value);
    } else if (name === 'dataset') {
      for (const [k, v] of Object.entries(value as Record<string, string | number>)) (el as HTMLElement).dataset[k] = String(v);
    } else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    } else if (name === 'class') {
      el.setAttribute('class', String(value));
    } else if (value === true) {
      el.setAttribute(name, '');
    } else if (name in el && !(el instanceof SVGElement)) {
      (el as unknown as Record<string, unknown>)[name] = value;
    } else {
      el.setAttribute(name, String(value));
    }
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs ?? undefined);
  append(el, children);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs ?? undefined);
  append(el, children);
  return el;
}

/** Replace every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** Call `fn` with the element's width whenever it changes (and once now); returns the stop function. */
export function onResize(el: Element, fn: (widthPx: number) => void): () => void {
  let last = -1;
  const ro = new ResizeObserver((entries) => {
    const w = Math.floor(entries[0].contentRect.width);
    if (w !== last && w > 0) {
      last = w;
      fn(w);
    }
  });
  ro.observe(el);
  return () => ro.disconnect();
}
