// Cluster lifecycle routes (docs/clusters.md): cordon/uncordon, evacuation plan (dry run), evacuate
// a cluster or a region and follow it, the failover policy's dry run,
// placement preview, fleet Kubernetes versions with the removed-API pre-flight, and upgrade plans
// with pause/resume/abort. Admin only, except the placement preview: a tenant token previews for
// its own tenant (another tenant's is 404) and never sees clusters dedicated to other tenants.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { failoverPass } from '../../engine/failover.ts';
import { clustersOfRegion, evacuate } from '../services/moves.ts';
import { ConflictError } from '../../domain/errors.ts';
import { ENVIRONMENT_TYPES } from '../../domain/types.ts';
import { PLACEMENT_POLICIES } from '../../plan/placement.ts';
import { upgradeAction } from '../../plan/cluster-upgrade.ts';
import { assertCanSee, notFound, principal } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { DnsLabel, MaintenanceWindow, PageQuery, SemverString } from '../schemas.ts';
import { audit } from '../audit.ts';
import {
  DEFAULT_PLACEMENT, allClusters, createClusterUpgrade, evacuationPlan, fleetVersions, previewPlacement, tenantView,
} from '../services/cluster-lifecycle.ts';
import { ClusterSchema, ClusterUpgradeSchema, EvacuationDryRunSchema, EvacuationPlanSchema, EvacuationSchema, FailoverSchema, FleetVersionsSchema, PageOf, PlacementPlanSchema } from '../responses.ts';

const closed = { additionalProperties: false } as const;
const KubeVersion = Type.String({ pattern: '^v1\\.[0-9]{1,3}\\.[0-9]{1,4}$', description: 'a Kubernetes release, e.g. v1.37.2' });
const UpgradeId = Type.String({ pattern: '^cu-[a-f0-9]{8}$' });
const UPGRADE_ID_RE = 'cu-[a-f0-9]{8}';

const PreviewBody = Type.Object({
  tenant: DnsLabel,
  blueprint: Type.Optional(DnsLabel),
  version: Type.Optional(SemverString),
  type: Type.Optional(Type.Union(ENVIRONMENT_TYPES.map((t) => Type.Literal(t)))),
  demand: Type.Optional(Type.Object({
    cpuMillis: Type.Optional(Type.Integer({ minimum: 0 })), memoryBytes: Type.Optional(Type.Integer({ minimum: 0 })), gpus: Type.Optional(Type.Integer({ minimum: 0 })),
  }, closed)),
  policy: Type.Optional(Type.Union(PLACEMENT_POLICIES.map((p) => Type.Literal(p)))),
}, closed);

const UpgradeBody = Type.Object({
  target: KubeVersion,
  clusters: Type.Optional(Type.Array(DnsLabel, { minItems: 1, maxItems: 500, uniqueItems: true })),
  canary: Type.Optional(DnsLabel),
  waveSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  soakSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 7 * 24 * 3600 })),
  approval: Type.Optional(Type.Boolean({ description: 'pause after the canary wave until resumed' })),
  force: Type.Optional(Type.Boolean({ description: 'start even though rendered objects use APIs the target removed or running releases do not support it' })),
  // Clusters start upgrading only inside the window (UTC); one already upgrading finishes.
  maintenanceWindow: Type.Optional(MaintenanceWindow),
  clusterWindows: Type.Optional(Type.Record(DnsLabel, MaintenanceWindow, { description: "per-cluster maintenance windows, overriding maintenanceWindow", maxProperties: 500 })),
}, closed);

const EvacuateBody = Type.Object({
  concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'moves in flight at once (default 5)' })),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  dryRun: Type.Optional(Type.Boolean({ description: 'answer the plan, write nothing' })),
}, closed);
const EvacuationId = Type.String({ pattern: '^ev-[a-f0-9]{8}$' });
const Region = Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });

const tags = ['clusters'];
/** An evacuation answers 201 with what it started, or 200 with the plan when dryRun is set. */
const EVACUATE_RESPONSES = { 200: EvacuationDryRunSchema, 201: EvacuationSchema };

const routes: RouteModule = (app, { store, now, placement, failover }) => {
  const settings = placement ?? DEFAULT_PLACEMENT;

  const evacuateRoute = async (req: FastifyRequest, reply: FastifyReply, clusters: string[], region: string | null) => {
    const body = (req.body ?? {}) as Static<typeof EvacuateBody>;
    const r = await evacuate(store, settings, { clusters, region }, body, now());
    if (r.dryRun) return r;
    await audit(store, req, { action: 'cluster.evacuate', target: region ? `region/${region}` : `cluster/${clusters[0]}`, detail: { evacuation: r.evacuation.id, moves: r.evacuation.moves.length } });
    return reply.status(201).header('location', `/v1/evacuations/${r.evacuation.id}`).send(r.evacuation);
  };

  app.post('/v1/clusters/:name(^[a-z0-9-]+)::evacuate', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Evacuate a cluster: cordon it and move every environment elsewhere (one move each, at most `concurrency` at once)', params: Type.Object({ name: DnsLabel }), body: Type.Optional(EvacuateBody), response: EVACUATE_RESPONSES },
  }, (req, reply) => evacuateRoute(req, reply, [(req.params as { name: string }).name], null));

  app.post('/v1/regions/:region(^[a-z0-9-]+)::evacuate', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Evacuate every cluster of a region', params: Type.Object({ region: Region }), body: Type.Optional(EvacuateBody), response: EVACUATE_RESPONSES },
  }, async (req, reply) => {
    const { region } = req.params as { region: string };
    return evacuateRoute(req, reply, await clustersOfRegion(store, region), region);
  });

  app.get('/v1/evacuations', { config: { auth: 'admin' }, schema: { tags, summary: 'List evacuations', querystring: PageQuery, response: { 200: PageOf(EvacuationSchema, 'A page of evacuations') } } },
    async (req, reply) => sendPage(req, reply, await store.evacuations.list({ limit: req.query.limit, cursor: req.query.cursor })));

  app.get('/v1/evacuations/:id', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'An evacuation: per-environment state, target, explanation, timestamps (started, Ready on the target, switched, removal) and RTO', params: Type.Object({ id: EvacuationId }), response: { 200: EvacuationSchema } },
  }, async (req) => {
    const e = await store.evacuations.get(req.params.id);
    if (!e) throw notFound(`evacuation "${req.params.id}"`);
    return e;
  });

  app.get('/v1/failover', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'The failover policy per tier and what it would do now (dry run: nothing is written)', response: { 200: FailoverSchema } },
  }, async () => {
    const policy = failover?.policy ?? {};
    const pass = await failoverPass({ store, now, logger: app.log as never }, { policy, settings, concurrency: failover?.concurrency ?? 5 }, false);
    return { policy, ...pass };
  });

  for (const verb of ['cordon', 'uncordon'] as const) {
    app.post(`/v1/clusters/:name(^[a-z0-9-]+)::${verb}`, {
      config: { auth: 'admin' },
      schema: {
        tags, summary: verb === 'cordon' ? 'Cordon a cluster: no new placement lands there' : 'Uncordon a cluster',
        params: Type.Object({ name: DnsLabel }), body: Type.Optional(Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, closed)),
        response: { 200: ClusterSchema },
      },
    }, async (req) => {
      const { name } = req.params as { name: string };
      const reason = (req.body as { reason?: string } | undefined)?.reason ?? 'cordoned by an operator';
      const c = await store.clusters.setCordon(name, verb === 'cordon' ? { reason, at: now().toISOString() } : null);
      if (!c) throw notFound(`cluster "${name}"`);
      await audit(store, req, { action: `cluster.${verb}`, target: `cluster/${name}` });
      return c;
    });
  }

  app.get('/v1/clusters/:name/evacuation-plan', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Dry run: where each environment on the cluster would go if it were evacuated, each explained', params: Type.Object({ name: DnsLabel }), response: { 200: EvacuationPlanSchema } },
  }, async (req) => evacuationPlan(store, settings, req.params.name));

  app.post('/v1/placement::preview', {
    schema: { tags: ['placement'], summary: 'Where an environment of the tenant would be placed and why (nothing is created)', body: PreviewBody, response: { 200: PlacementPlanSchema } },
  }, async (req) => {
    const body = req.body as Static<typeof PreviewBody>;
    assertCanSee(req, body.tenant);
    const tenant = await store.tenants.get(body.tenant);
    if (!tenant) throw notFound(`tenant "${body.tenant}"`);
    const plan = await previewPlacement(store, settings, { ...body, tenant });
    const p = principal(req);
    if (p.kind !== 'tenant') return plan;
    const clusters = new Map((await allClusters(store)).map((c) => [c.name, c]));
    return { ...plan, ...tenantView(plan, clusters, p.tenant) };
  });

  app.get('/v1/fleet/versions', {
    config: { auth: 'admin' },
    schema: {
      tags: ['fleet'], summary: 'Clusters by Kubernetes version with skew warnings; with target, the rendered objects using APIs removed in it',
      querystring: Type.Object({ target: Type.Optional(KubeVersion) }, closed), response: { 200: FleetVersionsSchema },
    },
  }, async (req) => fleetVersions(store, now(), req.query.target));

  app.post('/v1/cluster-upgrades', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Plan and start a Kubernetes upgrade of clusters in waves (pre-flight: removed APIs, skew)', body: UpgradeBody, response: { 201: ClusterUpgradeSchema } },
  }, async (req, reply) => {
    const b = req.body as Static<typeof UpgradeBody>;
    const { clusterWindows, ...rest } = b;
    const u = await createClusterUpgrade(store, { ...rest, soakMs: (b.soakSeconds ?? 0) * 1000, windows: clusterWindows });
    await audit(store, req, { action: 'cluster-upgrade.create', target: `cluster-upgrade/${u.id}`, detail: { target: b.target } });
    return reply.status(201).header('location', `/v1/cluster-upgrades/${u.id}`).send(u);
  });

  app.get('/v1/cluster-upgrades', { config: { auth: 'admin' }, schema: { tags, summary: 'List cluster upgrade plans', querystring: PageQuery, response: { 200: PageOf(ClusterUpgradeSchema, 'A page of cluster upgrade plans') } } },
    async (req, reply) => sendPage(req, reply, await store.clusterUpgrades.list({ limit: req.query.limit, cursor: req.query.cursor })));

  // `:id` stops at a colon: `/v1/cluster-upgrades/cu-1:pause` is only the action's path (GET there: 405).
  app.get('/v1/cluster-upgrades/:id(^[^:]+$)', {
    config: { auth: 'admin' }, schema: { tags, summary: 'A cluster upgrade plan: waves, per-cluster progress, state and reason', params: Type.Object({ id: UpgradeId }), response: { 200: ClusterUpgradeSchema } },
  }, async (req) => {
    const u = await store.clusterUpgrades.get(req.params.id);
    if (!u) throw notFound(`cluster upgrade "${req.params.id}"`);
    return u;
  });

  for (const verb of ['pause', 'resume', 'abort'] as const) {
    app.post(`/v1/cluster-upgrades/:id(^${UPGRADE_ID_RE}$)::${verb}`, {
      config: { auth: 'admin' }, schema: { tags, summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} a cluster upgrade plan`, params: Type.Object({ id: UpgradeId }), response: { 200: ClusterUpgradeSchema } },
    }, async (req) => {
      const { id } = req.params as { id: string };
      const u = await store.clusterUpgrades.get(id);
      if (!u) throw notFound(`cluster upgrade "${id}"`);
      const to = upgradeAction(u.state, verb);
      if (!to) throw new ConflictError(`cannot ${verb} a plan that is ${u.state}`);
      const next = await store.clusterUpgrades.update(id, u.version, { state: to, reason: verb === 'resume' ? null : `${verb === 'pause' ? 'paused' : 'aborted'} by ${principal(req).name}` });
      if (!next) throw new ConflictError('the plan changed meanwhile; retry');
      await audit(store, req, { action: `cluster-upgrade.${verb}`, target: `cluster-upgrade/${id}` });
      return next;
    });
  }
};

export default routes;
