// Step (e): the GitOps environment. Fleetplane commits rendered manifests to the tenant's repo and
// bootstraps the tenant's AppProject and ApplicationSets on the Argo CD cluster; the testbed's REAL
// Argo CD (v3.6.1, `npm run testbed -- argocd up`) clones the repo over git smart HTTP and syncs it.
// The demo starts Argo CD, creates the tenant's served repo with its read-only credentials, and hands
// `fleetplane serve` the settings (FLEETPLANE_GIT_REMOTE, FLEETPLANE_GIT_ARGO_URL,
// FLEETPLANE_GIT_ARGO_CREDENTIALS_FILE, FLEETPLANE_ARGOCD_NAMESPACE, FLEETPLANE_ARGOCD_CLUSTER).
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { argocdGitRepo, argocdRemoveGitRepo, argocdUp } from '../testbed/index.ts';
import type { DemoCluster } from './clusters.ts';
import { block, note } from './ui.ts';

const run = promisify(execFile);
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

export interface DemoArgo {
  /** Settings for `fleetplane serve`. */
  env: Record<string, string>;
  /** The first tenant's bare repo (what Argo CD reads). */
  repo: string;
  /** Every GitOps tenant's bare repo and the URL Argo CD reads it at. */
  repos: Map<string, { path: string; url: string }>;
  cleanup(): Promise<void>;
}

/** Starts the real Argo CD (idempotent) and prepares the GitOps tenants' served repos (fresh ones). */
export async function argocdForDemo(dataDir: string, tenants: string | string[], log: (line: string) => void): Promise<DemoArgo> {
  const names = typeof tenants === 'string' ? [tenants] : tenants;
  const argo = await argocdUp({ log });
  const repos = new Map<string, { path: string; url: string }>();
  const credentials: Record<string, { username: string; password: string }> = {};
  for (const tenant of names) {
    await argocdRemoveGitRepo(tenant); // a fresh repo per tour
    const repo = await argocdGitRepo(tenant);
    repos.set(tenant, { path: repo.path, url: `${argo.gitURL}/${tenant}.git` });
    credentials[tenant] = { username: repo.username, password: repo.password };
  }
  const file = join(dataDir, 'argocd-repo-credentials.json');
  await writeFile(file, JSON.stringify(credentials), { mode: 0o600 });
  const first = repos.get(names[0]!)!.path;
  return {
    repo: first,
    repos,
    env: {
      FLEETPLANE_GIT_REMOTE: `${pathToFileURL(dirname(first)).href}/{tenant}.git`,
      FLEETPLANE_GIT_ARGO_URL: `${argo.gitURL}/{tenant}.git`,
      FLEETPLANE_GIT_ARGO_CREDENTIALS_FILE: file,
      FLEETPLANE_ARGOCD_NAMESPACE: argo.namespace,
      FLEETPLANE_ARGOCD_CLUSTER: argo.management.name,
      // The default blueprint's cache chart comes from the testbed's chart repository (no internet here).
      FLEETPLANE_GITOPS_CHART_MIRRORS: `oci://ghcr.io/fleetplane/charts=${argo.chartRepoURL}`,
    },
    cleanup: async () => {
      for (const tenant of names) await argocdRemoveGitRepo(tenant);
    },
  };
}

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repo, ...args], { env: GIT_ENV, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trimEnd();
}

export async function showLog(repo: string): Promise<void> {
  block(await git(repo, ['log', '--format=%h  %<(72,trunc)%s  %(trailers:key=Fleetplane-Operation,valueonly,separator=)', 'main']));
}

export async function showRepo(repo: string): Promise<void> {
  const head = await git(repo, ['rev-parse', '-q', '--verify', 'main']).catch(() => '');
  if (!head) throw new Error(`no commit in ${repo}: the GitOps environment was never delivered`);
  note(`tenant repo ${repo} (branch main), served to Argo CD over git smart HTTP; git log:`);
  await showLog(repo);
  const files = (await git(repo, ['ls-tree', '-r', '--name-only', 'main'])).split('\n');
  note(`layout at HEAD (${files.length} files):`);
  const manifests = files.filter((f) => f.includes('/manifests/'));
  const shown = [...files.filter((f) => !f.includes('/manifests/')), ...manifests.slice(0, 6)];
  block(shown.sort().join('\n'));
  if (manifests.length > 6) note(`… and ${manifests.length - 6} more manifests (one object per file, in apply order)`);
  const revision = files.find((f) => f.endsWith('revision.json'));
  if (revision) {
    const doc = JSON.parse(await git(repo, ['show', `main:${revision}`])) as Record<string, unknown>;
    const out = Array.isArray(doc.outOfBand) ? doc.outOfBand.length : 0;
    note(`${revision}: revision ${String(doc.revision ?? '?').slice(0, 12)}; ${out ? `${out} Secret(s) kept out of Git, applied out of band` : 'no Secret objects (secret values come through ExternalSecrets, never Git)'}`);
  }
}

/** The tenant's Applications as Argo CD reports them (on its management cluster). */
export async function argoApplications(clusters: DemoCluster[], tenant: string): Promise<void> {
  const mgmt = clusters.find((c) => c.name === 'fp-1') ?? clusters[0];
  if (!mgmt) return;
  const apps = await mgmt.kube.list('argoproj.io/v1alpha1', 'Application', { labelSelector: { 'fleetplane.io/tenant': tenant } });
  note(`Argo CD Applications of ${tenant} (on ${mgmt.name}):`);
  block(apps.map((a) => {
    const st = (a.status ?? {}) as { sync?: { status?: string; revision?: string }; health?: { status?: string } };
    return `${a.metadata.name}  ${st.sync?.status ?? '?'}  ${st.health?.status ?? '?'}  at ${st.sync?.revision?.slice(0, 12) ?? '?'}`;
  }).join('\n') || '(none yet)');
}
