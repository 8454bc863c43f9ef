// Builds the Fastify app: strict validation (bodies are never coerced), one problem+json error
// handler, bearer auth, OpenAPI 3.1 from the same TypeBox schemas, and the route modules listed in
// routes/index.ts. Listening and shutdown live in the CLI's serve command.
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import YAML from 'yaml';
import type { Logger } from 'pino';
import { ajvWithFormats } from '../domain/validation.ts';
import { InputError, StoreUnavailableError, coerceError } from '../domain/errors.ts';
import { metricsPlugin } from '../metrics/http.ts';
import { authHook } from './auth.ts';
import { auditRequests } from './audit.ts';
import type { Api, ApiDeps, RegisteredRoute } from './context.ts';
import { ProblemError, PROBLEM_BASE, PROBLEM_CONTENT_TYPE, methodNotAllowed, toProblem } from './problem.ts';
import { flowDepth, scanJson, scanValue } from './body-guard.ts';
import { API_LIMITS, registerLimits, type ApiLimits } from './limits.ts';
import type { Duplex } from 'node:stream';
import type { ServerOptions } from 'node:http';
import { matchRoute, routeSpecificity } from './route-match.ts';
import * as routeModules from './routes/index.ts';

export const BODY_LIMIT = API_LIMITS.bodyLimit;

export interface BuildAppOptions {
  logger?: Logger | false;
  bodyLimit?: number;
  /** Rate limit, timeouts, body size and depth (defaults API_LIMITS; docs/configuration.md). */
  limits?: Partial<ApiLimits>;
  /** The process's cluster clients, shared with the engine (ApiDeps.connections). */
  connections?: ApiDeps['connections'];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, in order (HEAD/OPTIONS left out). */
    fleetRoutes: RegisteredRoute[];
  }
}

function validators() {
  // Bodies: no type coercion and unknown fields are errors (schemas are closed); a schema's declared
  // `default` fills a missing property.
  const body = ajvWithFormats({ strict: true, allErrors: true, coerceTypes: false, useDefaults: true, removeAdditional: false });
  // Query strings, params and headers arrive as text: those may be coerced to their declared types.
  const text = ajvWithFormats({ strict: true, allErrors: true, coerceTypes: true, useDefaults: true, removeAdditional: false });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? body : text).compile(schema);
}

/** The app over deps wired by the caller (`serve`, the test harness). */
export async function buildApp(deps: ApiDeps, opts: BuildAppOptions = {}): Promise<Api> {
  const limits: ApiLimits = { ...API_LIMITS, ...opts.limits, ...(opts.bodyLimit ? { bodyLimit: opts.bodyLimit } : {}) };
  // `http` is passed to http.createServer (Fastify does; its types leave it out).
  const serverOpts: FastifyServerOptions & { http?: ServerOptions } = {
    bodyLimit: limits.bodyLimit,
    logger: false,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks request deadlines on this interval (default 30 s): a tenth of the timeout keeps
    // the cut-off close to the configured value.
    http: { headersTimeout: limits.headersTimeoutMs, connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(limits.requestTimeoutMs / 10))) },
    clientErrorHandler,
    // Errors the router raises before any route runs (a path parameter over 256 characters: 414; a
    // path that is not valid percent-encoding: 400) go through the one problem+json handler too.
    frameworkErrors: (err, req, reply) => errorHandler.call(app, err, req, reply),
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
    // Above every path parameter's declared maxLength (at most 128), so an over-long one is the
    // schema's 400 naming the parameter; the router's own 414 only beyond that.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
  };
  if (opts.logger) serverOpts.loggerInstance = opts.logger;
  const app = Fastify(serverOpts).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;

  app.setValidatorCompiler(validators());
  // Response schemas document the answers (OpenAPI, Schemathesis, the tests' conformance hook); they
  // never serialise them. fast-json-stringify would drop any property a schema does not list and
  // coerce types without a word: plain JSON.stringify sends exactly what the handler returned
  // (ADR 0320).
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.decorate('fleetRoutes', [] as RegisteredRoute[]);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      app.fleetRoutes.push({ method, url: r.url, auth: r.config?.auth ?? 'authenticated' });
    }
  });
  addBodyParsers(app, limits.maxBodyDepth);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => notFound(app, req, reply));
  app.addHook('onRequest', authHook(deps.store, deps.now));
  app.addHook('preValidation', async (req) => refuseNulInUrl(req));
  app.addHook('onResponse', auditRequests(deps.store));
  // Several replicas share one PostgreSQL: they share its counters too.
  await registerLimits(app, limits, deps.store.kind === 'postgres' ? deps.store.rateLimits : undefined);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Fleetplane API', version: '1', description: 'Control plane for per-customer Kubernetes environments.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      // Relative to where the document is served from: every `serve` answers on its own address.
      servers: [{ url: '/', description: 'this server' }],
      tags: OPENAPI_TAGS,
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    // Every operation documents its refusals: 4XX and 5XX are RFC 9457 problem+json (issue #14), and
    // each route its own success statuses with their schemas (api-openapi.test.ts requires one).
    // Each operation gets a stable operationId from its method and path (a route may set its own).
    transform: ({ schema, url, route }) => ({
      schema: {
        operationId: operationId([route.method].flat()[0] ?? 'GET', url), ...schema,
        response: { ...(schema?.response as object | undefined), '4XX': PROBLEM_RESPONSE, '5XX': PROBLEM_RESPONSE },
      } as typeof schema,
      url,
    }),
  });
  await app.register(metricsPlugin);
  for (const register of Object.values(routeModules)) await register(app, deps);
  return app;
}

/** The tags routes group their operations under (each route's `tags`; redocly lint checks they are declared). */
const OPENAPI_TAGS = [
  { name: 'tenants', description: 'Customers: create (onboards every environment), change, offboard.' },
  { name: 'environments', description: 'One customer environment: status, upgrades, patches, scale, rollback, revisions, bundles.' },
  { name: 'operations', description: 'Durable operations (onboard, upgrade, offboard, ...) with their steps.' },
  { name: 'blueprints', description: 'Versioned blueprint releases environments are rendered from.' },
  { name: 'clusters', description: 'Registered clusters, cordon, evacuation plans, Kubernetes upgrades in waves.' },
  { name: 'placement', description: 'Where a new environment would be placed, every cluster explained.' },
  { name: 'fleet', description: 'Fleet-wide health, counts, capacity and Kubernetes versions.' },
  { name: 'rollouts', description: 'Fleet rollouts of a blueprint release in waves, with previews and gates.' },
  { name: 'ai-workloads', description: 'Hibernation schedules and savings, training-job runs of AI components.' },
  { name: 'scaling', description: 'Predictive scaling policies, pre-scaler decisions, VPA recommendations.' },
  { name: 'observability', description: 'Grafana dashboards and SLO status per environment.' },
  { name: 'metering', description: 'Hourly usage records, corrections and exports.' },
  { name: 'marketplace', description: 'Which cloud marketplace bills a tenant, and what was sent to it.' },
  { name: 'self-managed', description: 'Licenses, install reports and the release train of self-managed environments.' },
  { name: 'tokens', description: 'API tokens: create, list, rotate, revoke.' },
  { name: 'audit', description: 'The append-only audit log of mutating calls.' },
  { name: 'events', description: 'Incoming CloudEvents and the server-sent change stream.' },
  { name: 'health', description: 'Liveness and readiness probes.' },
  { name: 'meta', description: 'The OpenAPI document, Prometheus metrics and alert runbooks.' },
  { name: 'console', description: 'The web console (HTML and its assets).' },
];

/**
 * `GET /v1/tenants/:tenant/environments/:env:patch` -> `getV1TenantsTenantEnvironmentsEnvPatch`: the
 * path's words (parameters by name) in camelCase after the method, so it is unique per method and path.
 */
export function operationId(method: string, url: string): string {
  const words = url.replace(/::/g, '/').replace(/:(\w+)(\([^)]*\))?/g, '/$1').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return method.toLowerCase() + (words.length ? words : ['root']).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}

/**
 * JSON (application/json, CloudEvents) and YAML bodies, each checked before parsing for depth,
 * duplicate keys and NUL characters (body-guard.ts). text/plain is not accepted (415).
 */
const PROBLEM_RESPONSE = {
  description: 'RFC 9457 problem: type, title, status, detail, instance; errors[] names the offending fields',
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' },
          requestId: { type: 'string' },
          errors: { type: 'array', items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  },
};

function addBodyParsers(app: Api, maxDepth: number): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  const guardedJson = (req: FastifyRequest, body: string | Buffer, done: (err: Error | null, body?: unknown) => void): void => {
    const issue = scanJson(String(body), maxDepth);
    if (issue) return done(new InputError(`${issue.field}: ${issue.message}`, [issue]));
    parseJson(req, String(body), done);
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'application/cloudevents+json'], { parseAs: 'string' }, guardedJson);
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      const text = String(body);
      if (flowDepth(text, maxDepth) > maxDepth) throw new InputError(`/: nested deeper than ${maxDepth} levels`, [{ field: '/', message: `nested deeper than ${maxDepth} levels` }]);
      const doc: unknown = YAML.parse(text, { prettyErrors: false, uniqueKeys: true, maxAliasCount: 100 });
      const issue = scanValue(doc, maxDepth);
      if (issue) throw new InputError(`${issue.field}: ${issue.message}`, [issue]);
      done(null, doc ?? {});
    } catch (err) {
      if (err instanceof InputError) return done(err as unknown as FastifyError, undefined);
      const e = new SyntaxError(`YAML: ${coerceError(err).message.split('\n')[0]}`);
      done(e as unknown as FastifyError, undefined);
    }
  });
}

/** A NUL in the path or query string is refused (PostgreSQL cannot store or compare it). */
function refuseNulInUrl(req: FastifyRequest): void {
  for (const [part, values] of [['path', req.params], ['query', req.query]] as const) {
    for (const [k, v] of Object.entries((values ?? {}) as Record<string, unknown>)) {
      if ([v].flat().some((x) => typeof x === 'string' && x.includes('\u0000'))) {
        throw new InputError(`${part}:/${k}: contains a NUL character`, [{ field: `${part}:/${k}`, message: 'contains a NUL character' }]);
      }
    }
  }
}

/** Errors Node answers before Fastify sees a request (431 headers too large, 408, 400) as problem+json. */
function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const [status, reason, detail] = err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large', 'request headers are larger than the limit']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout', 'the request did not arrive within the time limit']
      : [400, 'Bad Request', 'malformed HTTP request'];
  const type = status === 431 ? 'headers-too-large' : status === 408 ? 'request-timeout' : 'malformed-request';
  const body = JSON.stringify({ type: `${PROBLEM_BASE}${type}`, title: reason, status, detail, instance: '' });
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

function errorHandler(this: Api, err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A request no route matched fails body parsing first when its method carries a body (QUERY
  // without Content-Type was a 400): the route's absence is the answer, 404 or 405 with Allow.
  if (req.is404 && (err instanceof SyntaxError || err.code?.startsWith('FST_ERR_CTP_') || err.code === 'FST_ERR_ROUTE_MISSING_CONTENT_TYPE')) return notFound(this, req, reply);
  const problem = toProblem(err, req.url);
  if (problem.status >= 500) req.log.error({ err, reqId: req.id }, 'request failed');
  else req.log.info({ status: problem.status, type: problem.type, detail: problem.detail }, 'request refused');
  if (err instanceof ProblemError) reply.headers(err.headers);
  if (err instanceof StoreUnavailableError) reply.header('retry-after', String(err.retryAfterSeconds));
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="fleetplane"');
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send({ ...problem, requestId: req.id });
}

/** Unknown path → 404; a known path with the wrong method → 405 with Allow. */
function notFound(app: Api, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = new URL(req.url, 'http://placeholder').pathname;
  const matching = app.fleetRoutes.filter((r) => matchRoute(r.url, path));
  const best = Math.max(0, ...matching.map((r) => routeSpecificity(r.url)));
  const allowed = [...new Set(matching.filter((r) => routeSpecificity(r.url) === best).map((r) => r.method))];
  // The matcher ignores param regexes, so a listed method means the path itself is unknown.
  const err = allowed.length > 0 && !allowed.includes(req.method)
    ? methodNotAllowed(req.method, allowed)
    : new ProblemError('not-found', 404, `no route ${req.method} ${path}`);
  return errorHandler.call(app, err as unknown as FastifyError, req, reply);
}
