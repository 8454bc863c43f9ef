// What the rollout benches share: the fixture's release (its web front end slow to become ready), and
// the raw floor they are measured against, the same objects (rendered by the same renderer) server-side
// applied by a tight concurrent client to other namespaces and polled until every Deployment is Ready.
import { setTimeout as sleep } from 'node:timers/promises';
import { deploymentReadiness, mapLimit, type KubeClient } from '../../src/adapters/kube/index.ts';
import { parseBlueprint } from '../../src/domain/blueprint.ts';
import { refOf } from '../../src/domain/kinds.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { applyPhases } from '../../src/plan/apply-order.ts';
import { renderEnvironment } from '../../src/render/index.ts';

/** The environments of every bench tenant: [name, type]. */
export const ENVS = [['prod', 'prod'], ['staging', 'staging'], ['dev', 'dev'], ['qa', 'dev'], ['demo', 'dev']] as const;

export async function retry<T>(fn: () => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await sleep(200 * i);
    }
  }
}

/** The fixture's web-only release `version`, its web front end slow to become ready like the onboarding bench's. */
export async function releaseDoc(version: string, readyDelay: number): Promise<Record<string, unknown>> {
  const { release } = await import('../../test/integration/engine.fixture.ts');
  const doc = release(version) as { spec: { components: Array<Record<string, unknown>> } };
  if (readyDelay > 0) {
    for (const c of doc.spec.components) c.probes = { readiness: { port: 'http', path: '/healthz/ready', initialDelaySeconds: readyDelay } };
  }
  return doc as unknown as Record<string, unknown>;
}

export interface Env { tenant: string; name: string; type: 'prod' | 'staging' | 'dev'; namespace: string; cluster: number; v1: KubeObject[]; v2: KubeObject[] }

/** `tenants` × ENVS environments named `<prefix>-<i>`, each rendered at both releases, spread over 3 clusters. */
export function renderAll(prefix: string, tenants: number, v1: Record<string, unknown>, v2: Record<string, unknown>): Env[] {
  const [b1, b2] = [parseBlueprint(v1), parseBlueprint(v2)];
  const out: Env[] = [];
  for (let t = 0; t < tenants; t++) {
    for (const [name, type] of ENVS) {
      const tenant = `${prefix}-${t}`;
      const input = (blueprint: typeof b1) => ({ tenant: { slug: tenant, name: tenant, tier: 'shared' as const }, environment: { name, type, values: {} }, blueprint, placement: { cluster: 'x' } });
      const r1 = renderEnvironment(input(b1));
      const r2 = renderEnvironment(input(b2));
      out.push({ tenant, name, type, namespace: r1.namespace, cluster: out.length % 3, v1: r1.objects.map((o) => o.object), v2: r2.objects.map((o) => o.object) });
    }
  }
  return out;
}

export async function applyAll(clients: KubeClient[], envs: Env[], which: 'v1' | 'v2'): Promise<void> {
  await Promise.all(clients.map(async (c, i) => {
    const mine = envs.filter((e) => e.cluster === i).flatMap((e) => e[which]);
    for (const phase of applyPhases(mine.map((o) => ({ ...refOf(o), obj: o })))) {
      const res = await mapLimit(phase, 32, (r) => retry(() => c.apply(r.obj, { force: true })));
      const bad = res.find((r) => !r.ok);
      if (bad && !bad.ok) throw bad.error;
    }
  }));
}

/** Polls Deployments cluster-wide (one list per cluster) until `expected` of them in `namespaces` are available at their new generation. */
export async function waitDeploymentsReady(clients: KubeClient[], namespaces: ReadonlySet<string>, expected: number): Promise<void> {
  for (;;) {
    let ready = 0;
    for (const c of clients) {
      const list = await retry(() => c.list('apps/v1', 'Deployment', { labelSelector: 'app.kubernetes.io/managed-by=fleetplane' }));
      ready += list.filter((d) => namespaces.has(d.metadata.namespace ?? '') && deploymentReadiness(d).state === 'Ready').length;
    }
    if (ready >= expected) return;
    await sleep(250);
  }
}

/** Every Deployment of `which` release in the envs' namespaces available. */
export function waitReady(clients: KubeClient[], envs: Env[], which: 'v1' | 'v2' = 'v2'): Promise<void> {
  return waitDeploymentsReady(clients, new Set(envs.map((e) => e.namespace)), envs.reduce((n, e) => n + e[which].filter((o) => o.kind === 'Deployment').length, 0));
}

export async function deleteNamespaces(clients: KubeClient[], namespaces: string[]): Promise<void> {
  const refs = namespaces.map((name) => ({ apiVersion: 'v1', kind: 'Namespace', name }));
  await Promise.all(clients.map((c) => c.deleteAll(refs, { concurrency: 16, propagationPolicy: 'Background' })));
  const names = new Set(namespaces);
  for (let i = 0; i < 240; i++) {
    let left = 0;
    for (const c of clients) left += (await retry(() => c.list('v1', 'Namespace')).catch(() => [])).filter((n) => names.has(n.metadata.name)).length;
    if (left === 0) return;
    await sleep(1000);
  }
}
