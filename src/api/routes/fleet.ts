// GET /v1/fleet/health: the fleet at a glance for the CLI and console. Admin tokens see the whole
// fleet; a tenant token sees only its tenant's environments and the clusters hosting them. Each
// cluster is probed live (GET /version, short timeout, in parallel) through the process's cluster
// connections (the clients the engine uses too); an unreachable cluster is reported next to the
// results instead of failing the request.
import { Type } from '@sinclair/typebox';
import { ClusterConnections } from '../../adapters/kube/index.ts';
import type { Store } from '../../domain/ports/store.ts';
import { coerceError } from '../../domain/errors.ts';
import { setClusterUp } from '../../metrics/engine.ts';
import { listAllEnvironments } from '../../metrics/store-gauges.ts';
import { summarizeFleetHealth, type ClusterProbe } from '../../observability/fleet-health.ts';
import { principal } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { FleetHealthSchema } from '../responses.ts';

const PROBE_TIMEOUT_MS = 3_000;

const FleetHealthQuery = Type.Object({
  probe: Type.Optional(Type.Boolean({ default: true, description: 'probe each cluster API server (GET /version)' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'how many worst offenders' })),
}, { additionalProperties: false });

async function probeCluster(connections: ClusterConnections, name: string): Promise<ClusterProbe> {
  try {
    const { kube } = await connections.get(name);
    await kube.version({ timeoutMs: PROBE_TIMEOUT_MS });
    setClusterUp(name, true);
    return { cluster: name, ok: true };
  } catch (err) {
    setClusterUp(name, false);
    return { cluster: name, ok: false, error: `cluster API unreachable: ${coerceError(err).message.split('\n')[0]!.slice(0, 200)}` };
  }
}

async function allClusterNames(store: Pick<Store, 'clusters'>): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.clusters.list({ limit: 500, cursor });
    names.push(...page.items.map((c) => c.name));
    cursor = page.next;
  } while (cursor);
  return names;
}

const routes: RouteModule = (app, { store, now, connections }) => {
  app.get('/v1/fleet/health', {
    schema: {
      tags: ['fleet'],
      summary: 'Fleet health: counts by health, blueprint version and cluster; worst offenders; per-cluster errors',
      querystring: FleetHealthQuery, response: { 200: FleetHealthSchema },
    },
  }, async (req) => {
    const p = principal(req);
    const tenant = p.kind === 'tenant' ? p.tenant : undefined;
    const environments = await listAllEnvironments(store, tenant);
    // A tenant sees only the clusters hosting its environments, never the fleet's inventory.
    const clusters = tenant ? [...new Set(environments.map((e) => e.placement.cluster))] : await allClusterNames(store);
    const probes = req.query.probe === false ? [] : await Promise.all(clusters.map((c) => probeCluster(connections, c)));
    // Tenants get the fact, not the network details of shared infrastructure.
    const shown = tenant ? probes.map((pr) => (pr.ok ? pr : { ...pr, error: 'cluster API unreachable' })) : probes;
    return summarizeFleetHealth({
      scope: tenant ? { kind: 'tenant', tenant } : { kind: 'fleet' },
      environments, clusters, probes: shown, now: now(), limit: req.query.limit ?? 10,
    });
  });
};

export default routes;
