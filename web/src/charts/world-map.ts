/**
 * The world map of the network: Natural Earth land (world-atlas, 1:110m) in the Equal
 * Earth projection, one dot per node at its site, coloured by state. Several nodes at one
 * site sit on a small ring around it.
 */
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { MultiPolygon, Polygon } from 'geojson';
import land110m from 'world-atlas/land-110m.json';
import { s } from '../lib/dom.js';
import { mapProjector, outlinePath, ringsToPath } from '../lib/projection.js';
import { NODE_STATE_COLOURS } from '../lib/colors.js';
import type { LiveNode } from '../live/state.js';
import type { SiteView } from '../context.js';

function landRings(): Array<ReadonlyArray<readonly number[]>> {
  const topo = land110m as unknown as Topology<{ land: GeometryCollection }>;
  const fc = feature(topo, topo.objects.land);
  const rings: Array<ReadonlyArray<readonly number[]>> = [];
  for (const f of fc.features) {
    const g = f.geometry as Polygon | MultiPolygon;
    const polys = g.type === 'Polygon' ? [g.coordinates] : g.coordinates;
    for (const p of polys) for (const r of p) rings.push(r);
  }
  return rings;
}

let rings: ReturnType<typeof landRings> | null = null;
const pathCache = new Map<number, { land: string; outline: string }>();

function basePaths(width: number, project: (lon: number, lat: number) => [number, number]) {
  let p = pathCache.get(width);
  if (!p) {
    rings ??= landRings();
    p = { land: ringsToPath(rings, project), outline: outlinePath(project) };
    pathCache.set(width, p);
  }
  return p;
}

export interface WorldMapOptions {
  width: number;
  sites: Map<string, SiteView>;
  nodes: readonly LiveNode[];
  selectedNodeId?: string | null;
  onSelect?: (nodeId: string) => void;
}

export function worldMap(opts: WorldMapOptions): SVGSVGElement {
  const proj = mapProjector(opts.width);
  const { land, outline } = basePaths(opts.width, proj.project);
  const clipId = `map-clip-${opts.width}`;
  const dotR = Math.max(3.5, Math.min(7, opts.width / 160));

  const bySite = new Map<string, LiveNode[]>();
  for (const n of opts.nodes) bySite.set(n.siteId, [...(bySite.get(n.siteId) ?? []), n]);

  const markers: SVGElement[] = [];
  for (const [siteId, nodes] of bySite) {
    const site = opts.sites.get(siteId);
    if (!site) continue;
    const [cx, cy] = proj.project(site.longitudeDeg, site.latitudeDeg);
    const ring = nodes.length === 1 ? 0 : dotR * 1.3 + nodes.length * 0.6;
    const g = s('g', { class: 'site', dataset: { siteId, siteName: site.name } }, s('title', null, `${site.name} (${site.latitudeDeg.toFixed(2)}°, ${site.longitudeDeg.toFixed(2)}°)`));
    if (nodes.length > 1) g.appendChild(s('circle', { cx, cy, r: ring, class: 'site-ring' }));
    nodes.forEach((n, i) => {
      const a = (2 * Math.PI * i) / nodes.length - Math.PI / 2;
      const selected = n.id === opts.selectedNodeId;
      g.appendChild(
        s(
          'circle',
          {
            cx: cx + ring * Math.cos(a),
            cy: cy + ring * Math.sin(a),
            r: selected ? dotR * 1.35 : dotR,
            fill: NODE_STATE_COLOURS[n.state],
            class: `node-dot${selected ? ' selected' : ''}`,
            dataset: { nodeId: n.id, state: n.state },
            tabindex: '0',
            role: 'button',
            'aria-label': `${n.name}: ${n.state}`,
            onclick: () => opts.onSelect?.(n.id),
            onkeydown: (e: KeyboardEvent) => {
              if (e.key === 'Enter' || e.key === ' ') opts.onSelect?.(n.id);
            },
          },
          s('title', null, `${n.name} — ${n.state}${n.currentTarget ? ` — ${n.currentTarget}` : ''}`),
        ),
      );
    });
    markers.push(g);
  }

  return s(
    'svg',
    { class: 'world-map', viewBox: `0 0 ${proj.width} ${proj.height}`, width: proj.width, height: proj.height, role: 'img', 'aria-label': 'Map of sites and node states' },
    s('defs', null, s('clipPath', { id: clipId }, s('path', { d: outline }))),
    s('path', { d: outline, class: 'map-sea' }),
    s('path', { d: land, class: 'map-land', 'clip-path': `url(#${clipId})`, 'fill-rule': 'evenodd' }),
    s('path', { d: outline, class: 'map-edge' }),
    ...markers,
  );
}
