// The console's overview, from SQL, never the whole fleet in memory:
//   GET /v1/fleet/summary    counts by health, release and cluster; operations; halted rollouts (admin)
//   GET /v1/fleet/attention  environments that need a person (Failed, Degraded, Drifted), reason in words, paged
//   GET /v1/fleet/clusters   admin: clusters with capacity (allocatable, reserved), environment counts, live probe
// A tenant token gets its tenant's numbers only (the SQL filters by tenant), no rollouts, no clusters page.
import { Type } from '@sinclair/typebox';
import type { ClusterConnections } from '../../adapters/kube/index.ts';
import { coerceError } from '../../domain/errors.ts';
import type { Cluster } from '../../domain/types.ts';
import { principal } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { PageQuery } from '../schemas.ts';
import { attentionItem, whyHalted } from '../services/attention.ts';
import { AttentionPageSchema, FleetClustersSchema, FleetSummarySchema } from './console-schemas.ts';

const tags = ['fleet'];
const PROBE_TIMEOUT_MS = 3_000;

/** Through the process's cluster connections (the clients the engine uses too). */
async function probe(connections: ClusterConnections, name: string): Promise<{ reachable: boolean; version?: string; error?: string }> {
  try {
    const { kube } = await connections.get(name);
    const v = await kube.version({ timeoutMs: PROBE_TIMEOUT_MS });
    return { reachable: true, ...(v.gitVersion ? { version: v.gitVersion } : {}) };
  } catch (err) {
    return { reachable: false, error: `cluster API unreachable: ${coerceError(err).message.split('\n')[0]!.slice(0, 200)}` };
  }
}

function capacityOf(c: Cluster) {
  const k = c.capacity;
  if (!k) return null;
  return {
    nodes: k.nodes, cpuMillis: k.cpuMillis, memoryBytes: k.memoryBytes, gpus: k.gpus,
    reservedCpuMillis: k.reservedCpuMillis ?? null, reservedMemoryBytes: k.reservedMemoryBytes ?? null, observedAt: k.observedAt ?? null,
  };
}

type Probe = Awaited<ReturnType<typeof probe>>;

function clusterRow(c: Cluster, n: { environments: number; drifted: number; byHealth: Record<string, number> } | undefined, pr: Probe | undefined) {
  const counts = n ?? { environments: 0, drifted: 0, byHealth: {} };
  const live = pr ? { reachable: pr.reachable, error: pr.error ?? null } : { reachable: null, error: null };
  return {
    name: c.name, provider: c.provider, region: c.region, role: c.role,
    kubernetesVersion: pr?.version ?? c.kubernetesVersion ?? null, capacity: capacityOf(c),
    environments: counts.environments, drifted: counts.drifted, byHealth: counts.byHealth, ...live,
  };
}

const routes: RouteModule = (app, { store, now, connections }) => {
  app.get('/v1/fleet/summary', {
    schema: { tags, summary: 'Fleet counts for the overview, computed in SQL: by health (and drifted), by release, by cluster; operations; halted rollouts (admin)', response: { 200: FleetSummarySchema } },
  }, async (req) => {
    const p = principal(req);
    const tenant = p.kind === 'tenant' ? p.tenant : null;
    const [counts, tenants, operations] = await Promise.all([store.fleet.counts(tenant), store.fleet.tenantCount(tenant), store.fleet.operationCounts(tenant)]);
    const base = {
      scope: tenant ? { kind: 'tenant', tenant } : { kind: 'fleet' }, generatedAt: now().toISOString(), tenants, ...counts, operations,
    };
    if (tenant) return base;
    const [rollouts, halted] = await Promise.all([store.fleet.rolloutCounts(), store.fleet.haltedRollouts(10)]);
    return {
      ...base, rollouts,
      haltedRollouts: halted.map((r) => ({ id: r.id, blueprint: r.blueprint, version: r.version, state: r.state, reason: r.reason, updatedAt: r.updatedAt, whyHalted: whyHalted(r) })),
    };
  });

  app.get('/v1/fleet/attention', {
    schema: { tags, summary: 'Environments that need a person (Failed, then Degraded, then Drifted) with the reason in words; paged', querystring: PageQuery, response: { 200: AttentionPageSchema } },
  }, async (req, reply) => {
    const p = principal(req);
    const page = await store.fleet.attention({ tenant: p.kind === 'tenant' ? p.tenant : null, limit: req.query.limit, cursor: req.query.cursor });
    return sendPage(req, reply, { items: page.items.map(attentionItem), ...(page.next ? { next: page.next } : {}) });
  });

  app.get('/v1/fleet/clusters', {
    config: { auth: 'admin' },
    schema: {
      tags, summary: 'Clusters with capacity (allocatable and reserved CPU, memory, GPUs), environment counts and, with probe=true, reachability and live Kubernetes version',
      querystring: Type.Composite([PageQuery, Type.Object({ probe: Type.Optional(Type.Boolean({ default: false })) })], { additionalProperties: false }),
      response: { 200: FleetClustersSchema },
    },
  }, async (req, reply) => {
    const page = await store.clusters.list({ limit: req.query.limit, cursor: req.query.cursor });
    const counts = new Map((await store.fleet.counts(null)).byCluster.map((c) => [c.cluster, c]));
    const probes = req.query.probe ? await Promise.all(page.items.map((c) => probe(connections, c.name))) : [];
    const items = page.items.map((c, i) => clusterRow(c, counts.get(c.name), probes[i]));
    return sendPage(req, reply, { items, ...(page.next ? { next: page.next } : {}) });
  });
};

export default routes;
