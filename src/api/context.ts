// What every route module receives: the typed Fastify instance and the process's dependencies.
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ClusterConnections } from '../adapters/kube/index.ts';
import type { Store } from '../adapters/store/port.ts';

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface ApiDeps {
  store: Store;
  /** Injected clock (tests pin it). */
  now: () => Date;
  /** The process's cluster clients (serve passes the engine's); routes make their own when absent. */
  connections?: ClusterConnections | undefined;
}

/** A route module: registers its routes on the app. Listed in routes/index.ts. */
export type RouteModule = (app: Api, deps: ApiDeps) => void | Promise<void>;

/** One registered route, recorded for 405 answers and for tests that must cover every route. */
export interface RegisteredRoute {
  method: string;
  url: string;
  auth: string;
}
