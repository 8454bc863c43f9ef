// Builds the Fastify app: strict validation (bodies are never coerced), one problem+json error
// handler, bearer auth, OpenAPI 3.1 from the same TypeBox schemas, and the route modules listed in
// routes/index.ts. Listening and shutdown live in the CLI's serve command.
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import YAML from 'yaml';
import type { Logger } from 'pino';
import { ajvWithFormats } from '../domain/validation.ts';
import { coerceError } from '../domain/errors.ts';
import { metricsPlugin } from '../metrics/http.ts';
import { authHook } from './auth.ts';
import type { Api, ApiDeps, RegisteredRoute } from './context.ts';
import { ProblemError, PROBLEM_CONTENT_TYPE, methodNotAllowed, toProblem } from './problem.ts';
import { matchRoute } from './route-match.ts';
import * as routeModules from './routes/index.ts';

export const BODY_LIMIT = 1024 * 1024;

export interface BuildAppOptions {
  logger?: Logger | false;
  bodyLimit?: number;
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
  const serverOpts: FastifyServerOptions = {
    bodyLimit: opts.bodyLimit ?? BODY_LIMIT,
    logger: false,
    requestIdHeader: 'x-request-id',
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true },
  };
  if (opts.logger) serverOpts.loggerInstance = opts.logger;
  const app = Fastify(serverOpts).withTypeProvider<TypeBoxTypeProvider>() as unknown as Api;

  app.setValidatorCompiler(validators());
  app.decorate('fleetRoutes', [] as RegisteredRoute[]);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) {
      if (method === 'HEAD' || method === 'OPTIONS') continue;
      app.fleetRoutes.push({ method, url: r.url, auth: r.config?.auth ?? 'authenticated' });
    }
  });
  addYamlParser(app);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => notFound(app, req, reply));
  app.addHook('onRequest', authHook(deps.store));
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Fleetplane API', version: '1', description: 'Control plane for per-customer Kubernetes environments.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(metricsPlugin);
  for (const register of Object.values(routeModules)) await register(app, deps);
  return app;
}

function addYamlParser(app: Api): void {
  app.addContentTypeParser('application/cloudevents+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  app.addContentTypeParser(['application/yaml', 'application/x-yaml', 'text/yaml'], { parseAs: 'string' }, (_req, body, done) => {
    try {
      const doc = YAML.parse(String(body), { prettyErrors: false, uniqueKeys: true });
      done(null, doc ?? {});
    } catch (err) {
      const e = new SyntaxError(`YAML: ${coerceError(err).message.split('\n')[0]}`);
      done(e as unknown as FastifyError, undefined);
    }
  });
}

function errorHandler(this: Api, err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const problem = toProblem(err, req.url);
  if (problem.status >= 500) req.log.error({ err, reqId: req.id }, 'request failed');
  else req.log.info({ status: problem.status, type: problem.type, detail: problem.detail }, 'request refused');
  if (err instanceof ProblemError) reply.headers(err.headers);
  if (problem.status === 401) reply.header('www-authenticate', 'Bearer realm="fleetplane"');
  return reply.status(problem.status).type(PROBLEM_CONTENT_TYPE).send({ ...problem, requestId: req.id });
}

/** Unknown path → 404; a known path with the wrong method → 405 with Allow. */
function notFound(app: Api, req: FastifyRequest, reply: FastifyReply) {
  const path = new URL(req.url, 'http://placeholder').pathname;
  const allowed = [...new Set(app.fleetRoutes.filter((r) => matchRoute(r.url, path)).map((r) => r.method))];
  // The matcher ignores param regexes, so a listed method means the path itself is unknown.
  const err = allowed.length > 0 && !allowed.includes(req.method)
    ? methodNotAllowed(req.method, allowed)
    : new ProblemError('not-found', 404, `no route ${req.method} ${path}`);
  return errorHandler.call(app, err as unknown as FastifyError, req, reply);
}
