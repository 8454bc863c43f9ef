// What every route module receives: the typed Fastify instance and the process's dependencies,
// wired by `serve` (src/cli/commands/serve.ts) or the test harness, never looked up by a route.
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { ClusterConnections } from '../adapters/kube/index.ts';
import type { Signer } from '../domain/ports/signer.ts';
import type { ScalingRepo, Store } from '../domain/ports/store.ts';
import type { PreviewRenderOptions } from '../engine/rollouts/preview.ts';
import type { RolloutService } from '../engine/rollouts/service.ts';
import type { PlacementSettings } from './services/cluster-lifecycle.ts';
import type { FailoverPolicy } from '../plan/move.ts';
import type { ChangeHub } from './services/change-hub.ts';

export type Api = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;


export interface ApiDeps {
  store: Store;
  /** Fleet rollouts: create, list, pause/resume/abort (the controller runs them). */
  rollouts: RolloutService;
  /** Predictive-scaling policies and decisions (Store.scaling). */
  scaling: ScalingRepo;
  /** Signs self-managed bundles (GET /v1/tenants/{tenant}/bundles/{env}). */
  signer: Signer;
  /**
   * Vendored charts for self-managed bundles: where they are (FLEETPLANE_CHARTS_DIR, default blueprints/charts)
   * and the helm binary that pre-renders them (FLEETPLANE_HELM, default `helm`). Absent: bundles carry no charts.
   */
  charts?: { dir: string; helm: string };
  /** Injected clock (tests pin it). */
  now: () => Date;
  /** The process's cluster clients, shared with the engine, the pre-scaler and the inventory. */
  connections: ClusterConnections;
  /** The place step's settings, so POST /v1/placement:preview answers as the engine would (default: the engine's defaults). */
  placement?: PlacementSettings;
  /** The failover policy the engine runs (GET /v1/failover shows it and its dry run; default: off). */
  failover?: { policy: FailoverPolicy; concurrency: number };
  /** The process's one tail of the change feed, behind every GET /v1/events/stream. */
  changes: ChangeHub;
  /** The web console build served at / (FLEETPLANE_CONSOLE_DIR, default web/dist). */
  consoleDir: string;
  /** The longest lifetime a token may get (FLEETPLANE_TOKEN_MAX_TTL); absent: tokens may live forever. */
  tokenMaxTtlSeconds?: number;
  /** Prometheus for the SLO status (FLEETPLANE_PROMETHEUS_URL); absent: not configured. */
  prometheusUrl?: string;
  /**
   * How the engine renders (its platform settings and cluster capabilities), so the rollout preview
   * renders what the rollout will apply. Absent: renderer defaults and no capabilities.
   */
  render?: PreviewRenderOptions;
}

/** A route module: registers its routes on the app. Listed in routes/index.ts. */
export type RouteModule = (app: Api, deps: ApiDeps) => void | Promise<void>;

/** One registered route, recorded for 405 answers and for tests that must cover every route. */
export interface RegisteredRoute {
  method: string;
  url: string;
  auth: string;
}
