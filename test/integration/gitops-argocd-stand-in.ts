// TEST HELPER, NOT PRODUCT CODE. The testbed runs no Argo CD controller, so integration tests use
// this stand-in to play its part: read the tenant repo at HEAD, and for every ApplicationSet element
// whose destination is this cluster, server-side apply environments/<env>/manifests/*.yaml in file
// order (field manager "argocd-controller", like Argo CD's ServerSideApply=true), prune objects of
// that environment no longer in Git, delete the namespaces of environments removed from the repo,
// and record an Application <tenant>-<env> with status.sync/status.health the way Argo CD would.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import { deploymentReadiness } from '../../src/adapters/kube/index.ts';
import { LABELS, type KubeObject } from '../../src/domain/types.ts';

interface Element { environment: string; server: string; namespace: string }

export interface SyncResult {
  commit: string;
  applied: string[];
  pruned: string[];
  removedNamespaces: string[];
}

const PRUNABLE = [['apps/v1', 'Deployment'], ['v1', 'Service'], ['v1', 'ConfigMap']] as const;

function cloneHead(repo: string): { dir: string; commit: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fp-argo-stand-in-'));
  try {
    execFileSync('git', ['clone', '-q', repo, dir], { env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null' }, stdio: 'pipe' });
    const commit = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim();
    return { dir, commit };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true }); // e.g. the repo was just archived
    throw err;
  }
}

function manifests(dir: string, env: string): KubeObject[] {
  const path = join(dir, 'environments', env, 'manifests');
  return readdirSync(path).filter((f) => f.endsWith('.yaml')).sort().map((f) => parse(readFileSync(join(path, f), 'utf8')) as KubeObject);
}

export async function argoSync(o: { repo: string; tenant: string; kube: KubeClient; server: string }): Promise<SyncResult> {
  const { dir, commit } = cloneHead(o.repo);
  const out: SyncResult = { commit, applied: [], pruned: [], removedNamespaces: [] };
  try {
    const appset = parse(readFileSync(join(dir, 'argocd', 'applicationset.yaml'), 'utf8')) as { spec: { generators: Array<{ list: { elements: Element[] } }> } };
    const elements = appset.spec.generators[0]!.list.elements.filter((e) => e.server === o.server);
    for (const e of elements) await syncEnvironment(o, dir, e, out);
    await deleteRemoved(o, elements.map((e) => e.environment), out);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function syncEnvironment(o: { tenant: string; kube: KubeClient }, dir: string, e: Element, out: SyncResult): Promise<void> {
  const objects = manifests(dir, e.environment);
  for (const obj of objects) {
    await o.kube.apply(obj, { fieldManager: 'argocd-controller', force: true });
    out.applied.push(`${obj.kind}/${obj.metadata.name}`);
  }
  const want = new Set(objects.map((x) => `${x.kind}/${x.metadata.name}`));
  const selector = { [LABELS.tenant]: o.tenant, [LABELS.environment]: e.environment };
  for (const [apiVersion, kind] of PRUNABLE) {
    for (const live of await o.kube.list(apiVersion, kind, { namespace: e.namespace, labelSelector: selector })) {
      if (want.has(`${kind}/${live.metadata.name}`)) continue;
      await o.kube.delete({ apiVersion, kind, namespace: e.namespace, name: live.metadata.name });
      out.pruned.push(`${kind}/${live.metadata.name}`);
    }
  }
}

async function deleteRemoved(o: { tenant: string; kube: KubeClient }, keep: string[], out: SyncResult): Promise<void> {
  const namespaces = await o.kube.list('v1', 'Namespace', { labelSelector: { [LABELS.tenant]: o.tenant } });
  for (const ns of namespaces) {
    const env = ns.metadata.labels?.[LABELS.environment];
    if (!env || keep.includes(env) || (ns as { status?: { phase?: string } }).status?.phase === 'Terminating') continue;
    await o.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name });
    out.removedNamespaces.push(ns.metadata.name);
  }
}

/** Writes Application <tenant>-<env> with the health/sync Argo CD would report for what is live now. */
export async function recordApplication(o: {
  tenant: string; env: string; kube: KubeClient; namespace: string; commit: string; repoURL: string; server: string;
  /** Force a sync status (e.g. OutOfSync) instead of Synced. */
  sync?: string;
}): Promise<string> {
  const deployments = await o.kube.list('apps/v1', 'Deployment', { namespace: o.namespace, labelSelector: { [LABELS.tenant]: o.tenant, [LABELS.environment]: o.env } });
  const states = deployments.map((d) => deploymentReadiness(d).state);
  const health = states.includes('Failed') ? 'Degraded' : states.every((s) => s === 'Ready') ? 'Healthy' : 'Progressing';
  await o.kube.apply({
    apiVersion: 'argoproj.io/v1alpha1', kind: 'Application',
    metadata: { name: `${o.tenant}-${o.env}`, namespace: 'argocd', labels: { [LABELS.tenant]: o.tenant, [LABELS.environment]: o.env } },
    spec: {
      project: o.tenant,
      source: { repoURL: o.repoURL, targetRevision: 'main', path: `environments/${o.env}/manifests` },
      destination: { server: o.server, namespace: o.namespace },
    },
    status: { sync: { status: o.sync ?? 'Synced', revision: o.commit }, health: { status: health, ...(health === 'Degraded' ? { message: 'Deployment has failed progressing' } : {}) } },
  }, { fieldManager: 'argocd-controller', force: true });
  return health;
}
