/**
 * The dashboard: four pages (network, missions, science, jobs) over the service's API,
 * routed in the browser (the server sends index.html for every page path), kept current
 * by one live event stream shared by all pages.
 */
import './style.css';
import 'uplot/dist/uPlot.min.css';
import { connectLive } from './live/client.js';
import { createSiteCache, type Page, type PageContext } from './context.js';
import { h, replaceChildren } from './lib/dom.js';
import { getToken, setToken } from './lib/api.js';
import { networkPage } from './pages/network.js';
import { missionsPage } from './pages/missions.js';
import { sciencePage } from './pages/science.js';
import { jobsPage } from './pages/jobs.js';

interface Route {
  pattern: RegExp;
  names: string[];
  page: Page;
  nav: string;
}

const ROUTES: Route[] = [
  { pattern: /^\/(?:network)?\/?$/, names: [], page: networkPage, nav: 'network' },
  { pattern: /^\/network\/([^/]+)\/?$/, names: ['nodeId'], page: networkPage, nav: 'network' },
  { pattern: /^\/missions\/?$/, names: [], page: missionsPage, nav: 'missions' },
  { pattern: /^\/missions\/([^/]+)\/?$/, names: ['id'], page: missionsPage, nav: 'missions' },
  { pattern: /^\/science\/?$/, names: [], page: sciencePage, nav: 'science' },
  { pattern: /^\/science\/([^/]+)\/?$/, names: ['missionId'], page: sciencePage, nav: 'science' },
  { pattern: /^\/jobs\/?$/, names: [], page: jobsPage, nav: 'jobs' },
];

// A token handed over in the URL (?token=…) is kept and taken out of the address bar.
const params = new URLSearchParams(location.search);
const handed = params.get('token');
if (handed) {
  setToken(handed);
  params.delete('token');
  history.replaceState(null, '', location.pathname + (params.size ? `?${params}` : '') + location.hash);
}

const root = document.getElementById('app') as HTMLElement;
const statusEl = document.getElementById('live-status') as HTMLElement;
const banner = document.getElementById('banner') as HTMLElement;
const live = connectLive();
const sites = createSiteCache();
let unmount: (() => void) | null = null;

live.onStatus((status, detail) => {
  statusEl.dataset.status = status;
  statusEl.textContent = status === 'live' ? 'live' : status === 'connecting' ? 'connecting…' : 'offline';
  statusEl.title = detail || 'Live updates';
  if (status === 'offline' && /token|UNAUTHORIZED|401/i.test(detail)) showTokenBanner(detail);
});

function showTokenBanner(reason: string): void {
  const input = h('input', { type: 'password', placeholder: 'API token', autocomplete: 'off', value: getToken() ?? '' });
  replaceChildren(
    banner,
    h('span', null, reason, ' '),
    h(
      'form',
      {
        onsubmit: (e: Event) => {
          e.preventDefault();
          setToken(input.value.trim() || null);
          location.reload();
        },
      },
      input,
      h('button', { type: 'submit' }, 'Use token'),
    ),
  );
  banner.hidden = false;
}

function navigate(path: string): void {
  if (path !== location.pathname) history.pushState(null, '', path);
  render();
}

function render(): void {
  unmount?.();
  unmount = null;
  const path = location.pathname;
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const routeParams: Record<string, string> = {};
    route.names.forEach((n, i) => (routeParams[n] = decodeURIComponent(m[i + 1])));
    for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) a.classList.toggle('active', a.dataset.page === route.nav);
    document.title = `OpenAstro — ${route.nav[0].toUpperCase()}${route.nav.slice(1)}`;
    root.replaceChildren();
    root.dataset.page = route.nav;
    const ctx: PageContext = { live, params: routeParams, navigate, sites };
    unmount = route.page(root, ctx);
    return;
  }
  root.dataset.page = 'not-found';
  replaceChildren(root, h('section', { class: 'panel' }, h('h2', null, 'Not found'), h('p', null, `No page at ${path}. `, h('a', { href: '/', dataset: { link: '' } }, 'Network'))));
}

// Same-origin links route here instead of reloading the page.
document.addEventListener('click', (e) => {
  const a = (e.target as Element).closest?.('a');
  if (!a || a.target || a.hasAttribute('download') || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname.startsWith('/docs')) return;
  e.preventDefault();
  navigate(url.pathname);
});
window.addEventListener('popstate', render);
render();
