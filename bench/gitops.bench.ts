// GitOps through the REAL Argo CD: time from commit to Synced+Healthy for N environments (default
// 60: 20 tenants x 3 environments, spread over the testbed clusters fp-1..fp-3), next to the direct
// driver delivering the same objects (server-side apply + rollout wait) in the same run. Both
// deliver with the same concurrency; both wait until every environment is ready (GitOps: the driver's
// verify, i.e. Argo CD reports Synced+Healthy at a commit holding the revision, and the Deployments
// are rolled out). Prints one JSON line; value = GitOps wall time for all N, baseline = direct wall
// time, ratio = GitOps / direct. Also per-environment commit->Synced+Healthy p50/p95.
// GITOPS_BENCH_ENVS (60), GITOPS_BENCH_CONCURRENCY (6). Needs the testbed (`npm run testbed -- up
// --clusters 3`); starts Argo CD when it is not running. Cleans up after itself (Argo CD prunes).
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { GitRepos } from '../src/adapters/git/index.ts';
import { KubeClient } from '../src/adapters/kube/index.ts';
import type { Cluster, Environment, Revision } from '../src/domain/types.ts';
import { fencedClient } from '../src/engine/clusters.ts';
import { DirectDriver } from '../src/engine/drivers/direct.ts';
import { GitopsDriver } from '../src/engine/drivers/gitops.ts';
import type { ClusterClient, DriverContext } from '../src/engine/drivers/types.ts';
import { ARGOCD_NAMESPACE, argocdGitRepo, argocdRemoveGitRepo, argocdUp, testbedStatus, type GitRepoCredentials } from '../testbed/index.ts';
import { makeRevision } from '../test/integration/gitops-support.ts';

const ENVS = Number(process.env.GITOPS_BENCH_ENVS ?? 60);
const CONCURRENCY = Number(process.env.GITOPS_BENCH_CONCURRENCY ?? 6);
const PER_TENANT = 3;
const run = Math.random().toString(36).slice(2, 7);
const log = (l: string) => process.stderr.write(`${l}\n`);

interface Target { tenant: string; env: string; namespace: string; cluster: { name: string; apiServer: string; kube: KubeClient } }

function client(name: string, kube: KubeClient): ClusterClient {
  return fencedClient(name, kube, { assertLease: () => undefined, signal: new AbortController().signal, worker: 'bench', operation: 'bench', now: () => new Date() });
}

function ctx(t: Target, kind = 'onboard'): DriverContext {
  const now = new Date().toISOString();
  const environment: Environment = {
    tenant: t.tenant, name: t.env, type: 'prod', blueprint: 'default', version: '1.0.0', values: {}, placement: { cluster: t.cluster.name, namespace: t.namespace },
    delivery: 'gitops', selfHeal: false, health: 'Unknown', conditions: [], resourceVersion: 1, createdAt: now, updatedAt: now,
  };
  const cluster: Cluster = { name: t.cluster.name, apiServer: t.cluster.apiServer, provider: 'local', region: 'local', labels: {}, role: 'shared', createdAt: now, updatedAt: now };
  return { environment, cluster, kube: client(t.cluster.name, t.cluster.kube), logger: pino({ level: 'silent' }), signal: new AbortController().signal, now: () => new Date(), operation: { id: `op-${t.tenant}-${t.env}`, kind, workerId: 'bench' } };
}

/** The same small revision for both drivers: Namespace, Deployment (2 replicas), Service; no chart. */
const revisionOf = (t: Target): Revision => ({ ...makeRevision({ tenant: t.tenant, environment: t.env, namespace: t.namespace, version: '1.0.0', replicas: 2 }), helmValues: [] });

async function pool<T>(items: T[], fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0;

async function timed(targets: Target[], deliver: (t: Target) => Promise<unknown>, verify: (t: Target) => Promise<{ ready: boolean; message?: string }>): Promise<{ wallMs: number; perEnvMs: number[] }> {
  const t0 = performance.now();
  const perEnvMs: number[] = [];
  await pool(targets, async (t) => {
    const began = performance.now();
    await deliver(t);
    const v = await verify(t);
    if (!v.ready) throw new Error(`${t.tenant}/${t.env} not ready: ${v.message ?? ''}`);
    perEnvMs.push(performance.now() - began);
  });
  return { wallMs: performance.now() - t0, perEnvMs };
}

async function main(): Promise<void> {
  const clusters = (await testbedStatus()).filter((c) => c.healthy).slice(0, 3)
    .map((c) => ({ name: c.name, apiServer: c.apiServer, kube: KubeClient.fromKubeconfig({ path: c.kubeconfig }) }));
  if (clusters.length === 0) throw new Error('no testbed cluster is running: npm run testbed -- up --clusters 3');
  const argo = await argocdUp({ log, clusters: clusters.map((c) => c.name) });
  const mgmt = clusters.find((c) => c.name === argo.management.name)!;
  const tenants = Math.ceil(ENVS / PER_TENANT);
  const repos: Record<string, GitRepoCredentials> = {};
  for (let i = 0; i < tenants; i++) { const t = `gb${run}${i}`; repos[t] = await argocdGitRepo(t); }
  const targets: Target[] = Array.from({ length: ENVS }, (_, i) => {
    const tenant = `gb${run}${Math.floor(i / PER_TENANT)}`;
    const env = `e${i % PER_TENANT}`;
    return { tenant, env, namespace: `${tenant}-${env}`, cluster: clusters[i % clusters.length]! };
  });
  const direct = targets.map((t) => ({ ...t, namespace: `${t.namespace}-d` }));
  const dataDir = await mkdtemp(join(tmpdir(), 'fp-gitops-bench-'));
  const gitops = new GitopsDriver({
    repos: new GitRepos({ dataDir, remoteFor: (tenant) => ({ url: pathToFileURL(repos[tenant]!.path).href, argoURL: repos[tenant]!.url }) }),
    argocdNamespace: ARGOCD_NAMESPACE, argoKube: () => client(mgmt.name, mgmt.kube), archiveWhenEmpty: false,
    repoCredentials: (tenant) => ({ username: repos[tenant]!.username, password: repos[tenant]!.password }),
  });
  const directDriver = new DirectDriver();
  const verifyOpts = { timeoutMs: 600_000, pollIntervalMs: 1000 };
  try {
    log(`[bench] direct: ${ENVS} environments on ${clusters.map((c) => c.name).join(', ')}, ${CONCURRENCY} at once`);
    const d = await timed(direct, (t) => directDriver.deliver(ctx(t), revisionOf(t)), (t) => directDriver.verify(ctx(t), revisionOf(t), verifyOpts));
    log(`[bench] direct: ${(d.wallMs / 1000).toFixed(1)} s for all, p50 ${(pct(d.perEnvMs, 0.5) / 1000).toFixed(1)} s per environment`);
    log(`[bench] gitops through Argo CD ${argo.version}: ${ENVS} environments in ${tenants} tenant repos`);
    const g = await timed(targets, (t) => gitops.deliver(ctx(t), revisionOf(t)), (t) => gitops.verify(ctx(t), revisionOf(t), verifyOpts));
    log(`[bench] gitops: ${(g.wallMs / 1000).toFixed(1)} s for all, commit -> Synced+Healthy p50 ${(pct(g.perEnvMs, 0.5) / 1000).toFixed(1)} s, p95 ${(pct(g.perEnvMs, 0.95) / 1000).toFixed(1)} s`);
    console.log(JSON.stringify({
      bench: 'gitops', metric: 'commit_to_synced_healthy_s', value: Number((g.wallMs / 1000).toFixed(1)), unit: 's',
      baseline: 'direct driver (server-side apply + rollout wait), same objects, same run', baseline_value: Number((d.wallMs / 1000).toFixed(1)),
      ratio: Number((g.wallMs / d.wallMs).toFixed(2)), envs: ENVS, tenants, concurrency: CONCURRENCY, clusters: clusters.length,
      gitops_p50_s: Number((pct(g.perEnvMs, 0.5) / 1000).toFixed(1)), gitops_p95_s: Number((pct(g.perEnvMs, 0.95) / 1000).toFixed(1)),
      direct_p50_s: Number((pct(d.perEnvMs, 0.5) / 1000).toFixed(1)), argocd: argo.version, load_avg_1m: Number(loadavg()[0]!.toFixed(1)),
    }));
  } finally {
    log('[bench] cleaning up (Argo CD prunes the GitOps environments)');
    await pool(targets, (t) => gitops.remove(ctx(t, 'offboard'), []).catch((e: unknown) => log(`[bench] remove ${t.tenant}/${t.env}: ${String(e)}`)));
    for (const t of direct) await t.cluster.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: t.namespace }).catch(() => undefined);
    for (const t of Object.keys(repos)) await argocdRemoveGitRepo(t).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
