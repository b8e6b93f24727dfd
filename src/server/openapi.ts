/**
 * The OpenAPI document, built by @fastify/swagger from the routes' own JSON schemas (so it
 * cannot drift from what the server validates), served as JSON at /docs/json and browsable
 * with Swagger UI at /docs. OpenAPI 3.1, because its Schema Object is JSON Schema: the
 * `type: ['string', 'null']` our schemas use is valid there as written.
 *
 * Must be registered before the routes: @fastify/swagger collects routes as they are added.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export interface OpenApiOptions {
  /** API version shown in the document (the package version). */
  version: string;
  /** Where Swagger UI is served (default /docs; the JSON is at <prefix>/json). */
  routePrefix?: string;
}

export const API_DESCRIPTION = `OpenAstro coordination service: sites and telescope nodes, heartbeats, commands, missions and tonight's plan.

Authentication: \`Authorization: Bearer <token>\` — an operator token from the service configuration, or the node token returned once at node registration. A node token acts only as its node. Reads may be open or need a token, by configuration.

Errors: every error is a JSON body \`{ code, message }\`; \`code\` is stable (BAD_REQUEST, UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, LEASE_EXPIRED, UNAVAILABLE, INTERNAL).

Units: angles in degrees, durations in seconds (fields name their unit: raDeg, exposureS), times ISO-8601 UTC.`;

export function registerOpenApi(app: FastifyInstance, opts: OpenApiOptions): void {
  const routePrefix = opts.routePrefix ?? '/docs';
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'OpenAstro API', version: opts.version, description: API_DESCRIPTION },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'Operator or node token' } },
      },
      security: [{ bearer: [] }],
      tags: [
        { name: 'sites', description: 'Observing locations' },
        { name: 'nodes', description: 'Telescope nodes: registration, heartbeats, commands' },
        { name: 'missions', description: 'Observation requests and their progress' },
        { name: 'scheduler', description: "Work for a node now, and tonight's plan" },
        { name: 'service', description: 'Health and metrics' },
      ],
    },
  });
  void app.register(swaggerUi, { routePrefix, uiConfig: { docExpansion: 'list', deepLinking: true } });
}
