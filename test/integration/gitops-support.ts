// Shared bits for the GitOps integration tests: revisions shaped like the renderer's output, a
// DriverContext builder, and git helpers that read the tenant's bare repo with the real git CLI.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { pino } from 'pino';
import type { Cluster, Environment, KubeObject, Revision } from '../../src/domain/types.ts';
import { LABELS, MANAGED_BY } from '../../src/domain/types.ts';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { fencedClient } from '../../src/engine/clusters.ts';
import type { ClusterClient, DriverContext } from '../../src/engine/drivers/types.ts';

export const SECRET_VALUE = 'fp-test-secret-value-7c1e4b';

export interface RevisionSpec {
  tenant: string;
  environment: string;
  namespace: string;
  version: string;
  image?: string;
  replicas?: number;
  withSecret?: boolean;
}

function labels(s: RevisionSpec, revision: string): Record<string, string> {
  return { [LABELS.managedBy]: MANAGED_BY, [LABELS.tenant]: s.tenant, [LABELS.environment]: s.environment, [LABELS.revision]: revision };
}

/** A small revision (Namespace, optional Secret, Deployment, Service) with a content-derived id. */
export function makeRevision(s: RevisionSpec): Revision {
  const id = createHash('sha256').update(JSON.stringify(s)).digest('hex').slice(0, 12);
  const l = labels(s, id);
  const app = { 'app.kubernetes.io/name': 'web', [LABELS.tenant]: s.tenant, [LABELS.environment]: s.environment };
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: s.namespace, labels: l } },
    ...(s.withSecret ? [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-db', namespace: s.namespace, labels: l }, stringData: { password: SECRET_VALUE } }] : []),
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: s.namespace, labels: l },
      spec: {
        replicas: s.replicas ?? 1, selector: { matchLabels: app }, progressDeadlineSeconds: 600,
        template: { metadata: { labels: { ...app, [LABELS.revision]: id } }, spec: { containers: [{ name: 'web', image: s.image ?? `registry.example/web:${s.version}` }] } },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: s.namespace, labels: l }, spec: { selector: app, ports: [{ port: 80, targetPort: 8080 }] } },
  ];
  return {
    id, tenant: s.tenant, environment: s.environment, blueprint: 'default', version: s.version,
    objects: objects.map((object) => ({ object, hash: createHash('sha256').update(JSON.stringify(object)).digest('hex') })),
    helmValues: [{ component: 'cache', chart: 'fleetplane-redis', chartVersion: '1.0.0', yaml: `replicas: ${s.replicas ?? 1}\n`, repo: 'oci://ghcr.io/fleetplane/charts', releaseName: 'cache', namespace: s.namespace } as Revision['helmValues'][number]],
  };
}

/** The engine's fenced client over a testbed client, for a test that holds no lease (the fence always passes). */
export function testClusterClient(cluster: string, kube: KubeClient, signal: AbortSignal = new AbortController().signal): ClusterClient {
  return fencedClient(cluster, kube, { assertLease: () => undefined, signal, worker: 'test', operation: 'op-test', now: () => new Date() });
}

export function makeContext(o: { tenant: string; env: string; namespace: string; cluster: Pick<Cluster, 'name' | 'apiServer'>; kube: ClusterClient; opId?: string; kind?: string; signal?: AbortSignal }): DriverContext {
  const now = new Date().toISOString();
  const environment: Environment = {
    tenant: o.tenant, name: o.env, type: 'prod', blueprint: 'default', version: '1.0.0', values: {},
    placement: { cluster: o.cluster.name, namespace: o.namespace }, delivery: 'gitops', selfHeal: false,
    health: 'Unknown', conditions: [], resourceVersion: 1, createdAt: now, updatedAt: now,
  };
  const cluster: Cluster = { name: o.cluster.name, apiServer: o.cluster.apiServer, provider: 'local', region: 'local', labels: {}, role: 'shared', createdAt: now, updatedAt: now };
  return {
    environment, cluster, kube: o.kube, logger: pino({ level: 'silent' }), signal: o.signal ?? new AbortController().signal,
    now: () => new Date(), operation: { id: o.opId ?? 'op-test', kind: o.kind ?? 'onboard', workerId: 'test' },
  };
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['--git-dir', repo, ...args], { encoding: 'utf8', env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' } });
}
