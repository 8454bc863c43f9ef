// RED metrics for the HTTP API and GET /metrics, as a Fastify 5 plugin. It decorates the root
// instance (skip-override, like fastify-plugin) so its hooks see every route registered anywhere.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { registry, tenantLabels, type BoundedLabel } from './registry.ts';

export const httpRequestsTotal = new Counter({
  name: 'fleetplane_http_requests_total',
  help: 'HTTP requests served by the Fleetplane API, by route pattern, status class and tenant.',
  labelNames: ['method', 'route', 'status_class', 'tenant'] as const,
  registers: [registry],
});

export const httpRequestDuration = new Histogram({
  name: 'fleetplane_http_request_duration_seconds',
  help: 'HTTP request duration of the Fleetplane API, by route pattern and tenant.',
  labelNames: ['method', 'route', 'tenant'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const START = Symbol('fleetplane.metrics.start');

export interface MetricsPluginOptions {
  /** Path of the metrics endpoint; default /metrics. Set to false to not register it. */
  path?: string | false;
  /** Tenant of the request; default: params.tenant, else the caller's token tenant. */
  tenantOf?: (req: FastifyRequest) => string | null | undefined;
  /** Labeler bounding distinct tenants; default the shared one (FLEETPLANE_METRICS_MAX_TENANTS). */
  tenants?: BoundedLabel;
}

/**
 * Default tenant lookup: the `tenant` route param, else `request.auth.tenant` / `request.principal.tenant`
 * (whichever the API's auth hook sets for tenant-scoped tokens).
 */
export function defaultTenantOf(req: FastifyRequest): string | null {
  const params = req.params as Record<string, unknown> | undefined;
  if (params && typeof params.tenant === 'string') return params.tenant;
  const r = req as unknown as Record<string, { tenant?: unknown } | undefined>;
  for (const key of ['auth', 'principal', 'token']) {
    const t = r[key]?.tenant;
    if (typeof t === 'string') return t;
  }
  return null;
}

export function statusClass(code: number): string {
  return code >= 100 && code < 600 ? `${Math.floor(code / 100)}xx` : 'unknown';
}

// A tenant slug from a URL only earns its own series when the request succeeded (or the token is
// scoped to it); 4xx on made-up slugs cannot fill the cap.
function tenantLabel(req: FastifyRequest, code: number, opts: Required<Pick<MetricsPluginOptions, 'tenantOf' | 'tenants'>>): string {
  return opts.tenants.label(opts.tenantOf(req), code < 400);
}

/**
 * A route's pattern as people write it: find-my-way URLs carry parameter regexes and escape a literal
 * colon by doubling it (`/v1/tenants/:tenant/environments/:env(^[a-z0-9-]+)::hibernate`); labels and
 * audit actions read `/v1/tenants/:tenant/environments/:env:hibernate`.
 */
export function routePattern(url: string): string {
  let out = '';
  let depth = 0;
  for (let i = 0; i < url.length; i++) {
    const c = url[i]!;
    if (depth > 0 && c === '\\') i++; // an escaped character inside the regex, parentheses included
    else if (c === '(') depth++;
    else if (c === ')' && depth > 0) depth--;
    else if (depth === 0) out += c;
  }
  return out.replace(/::/g, ':');
}

export function routeLabel(req: FastifyRequest): string {
  const url = req.routeOptions?.url;
  return url === undefined ? 'unmatched' : routePattern(url);
}

async function metricsPluginImpl(app: FastifyInstance, options: MetricsPluginOptions): Promise<void> {
  const opts = { tenantOf: options.tenantOf ?? defaultTenantOf, tenants: options.tenants ?? tenantLabels };
  app.addHook('onRequest', async (req) => {
    (req as unknown as Record<symbol, bigint>)[START] = process.hrtime.bigint();
  });
  app.addHook('onResponse', async (req: FastifyRequest, reply: FastifyReply) => {
    const start = (req as unknown as Record<symbol, bigint | undefined>)[START];
    const method = KNOWN_METHODS.has(req.method) ? req.method : 'OTHER';
    const route = routeLabel(req);
    const tenant = tenantLabel(req, reply.statusCode, opts);
    httpRequestsTotal.inc({ method, route, status_class: statusClass(reply.statusCode), tenant });
    if (start !== undefined) {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      httpRequestDuration.observe({ method, route, tenant }, seconds);
    }
  });
  if (options.path !== false) {
    app.get(options.path ?? '/metrics', {
      // Scrapers carry no API token: the API's auth hook lets `auth: 'public'` routes through.
      config: { auth: 'public' },
      schema: {
        tags: ['meta'],
        summary: 'Prometheus metrics of the control plane (text exposition format)',
        security: [],
        response: { 200: { description: 'Prometheus text format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
      },
    }, async (_req, reply) => {
      reply.header('content-type', registry.contentType);
      return registry.metrics();
    });
  }
}

/** Fastify plugin: `app.register(metricsPlugin)`; applies to all routes of the root instance. */
export const metricsPlugin = Object.assign(metricsPluginImpl, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: 'fleetplane-metrics',
});
