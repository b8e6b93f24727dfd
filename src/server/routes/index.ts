/**
 * The route plugins buildServer registers, in one list. Each is `(app, ctx, shared)`:
 * the request-independent things a service shares between plugins (one command notifier,
 * so a command written by one plugin wakes the long poll held by another) come in
 * `shared`. Add a plugin here when its file lands.
 */
import type { FastifyInstance } from 'fastify';
import type { CommandNotifier } from '../../network/commands/notifier.js';
import type { ServerContext } from '../context.js';
import { nodesRoutes } from './nodes.js';
import { missionsRoutes } from './missions.js';
import { plannerRoutes } from './planner.js';
import { resultsRoutes } from './results.js';
import { uploadsRoutes } from './uploads.js';
import { jobsRoutes } from './jobs.js';
import { eventsRoutes } from './events.js';
import { webRoutes } from './web.js';

export interface SharedRouteDeps {
  notifier: CommandNotifier;
}

export interface RoutePlugin {
  name: string;
  register(app: FastifyInstance, ctx: ServerContext, shared: SharedRouteDeps): Promise<void>;
}

export const ROUTES: readonly RoutePlugin[] = [
  { name: 'nodes', register: (app, ctx, shared) => nodesRoutes(app, ctx, { notifier: shared.notifier }) },
  { name: 'missions', register: (app, ctx) => missionsRoutes(app, ctx) },
  { name: 'planner', register: (app, ctx) => plannerRoutes(app, ctx) },
  { name: 'uploads', register: (app, ctx) => uploadsRoutes(app, ctx) },
  { name: 'jobs', register: (app, ctx) => jobsRoutes(app, ctx) },
  { name: 'events', register: (app, ctx) => eventsRoutes(app, ctx) },
  { name: 'results', register: (app, ctx) => resultsRoutes(app, ctx) },
  // Last: its catch-all serves the dashboard for every non-API path.
  { name: 'web', register: (app, ctx) => webRoutes(app, ctx) },
];
