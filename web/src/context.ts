/** What every page gets: the live store, the router, cached sites. */
import type { LiveStore } from './live/client.js';
import { getJson, listOf } from './lib/api.js';

export interface SiteView {
  id: string;
  name: string;
  latitudeDeg: number;
  longitudeDeg: number;
  elevationM: number;
}

export interface PageContext {
  live: LiveStore;
  /** Path parameters of the route (e.g. { id }). */
  params: Record<string, string>;
  navigate(path: string): void;
  sites: SiteCache;
}

/** Mounts into `root`; returns the unmount (timers, subscriptions, charts). */
export type Page = (root: HTMLElement, ctx: PageContext) => () => void;

export interface SiteCache {
  /** Sites by id; fetched once, again when an unknown id turns up. */
  get(knownIds?: Iterable<string>): Promise<Map<string, SiteView>>;
}

export function createSiteCache(): SiteCache {
  let cached: Promise<Map<string, SiteView>> | null = null;
  const load = () =>
    getJson<unknown>('/api/v1/sites').then((body) => new Map(listOf<SiteView>(body, 'sites').map((s) => [s.id, s])));
  return {
    async get(knownIds) {
      cached ??= load();
      let sites: Map<string, SiteView>;
      try {
        sites = await cached;
      } catch (err) {
        cached = null;
        throw err;
      }
      if (knownIds) {
        for (const id of knownIds) {
          if (!sites.has(id)) {
            cached = load();
            return cached;
          }
        }
      }
      return sites;
    },
  };
}
