// Step (e): the GitOps environment. Fleetplane commits rendered manifests to the tenant's repo;
// Argo CD would apply them. The testbed runs no Argo CD, so the demo runs the project's Argo CD
// stand-in (test/integration/gitops-argocd-stand-in.ts: SSA of the repo's manifests at HEAD) in a
// loop, and says so.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { argoSync } from '../test/integration/gitops-argocd-stand-in.ts';
import type { DemoCluster } from './clusters.ts';
import { block, note, sleep } from './ui.ts';

const run = promisify(execFile);
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

export function repoPath(dataDir: string, tenant: string): string {
  return join(dataDir, 'git', `${tenant}.git`);
}

/** The live repo, else the newest archived one (after offboarding, Argo CD still prunes from it). */
function currentRepo(dataDir: string, tenant: string): string | null {
  const live = repoPath(dataDir, tenant);
  if (existsSync(live)) return live;
  const archive = join(dataDir, 'git', 'archive');
  const old = existsSync(archive) ? readdirSync(archive).filter((f) => f.startsWith(`${tenant}-`)).sort().at(-1) : undefined;
  return old ? join(archive, old) : null;
}

/** Syncs the tenant repo to every cluster every 2 s until stopped; errors before the first commit are expected. */
export function startArgoStandIn(dataDir: string, tenant: string, clusters: DemoCluster[]): { stop(): Promise<void>; syncs(): number } {
  let stopped = false;
  let count = 0;
  const loop = (async () => {
    while (!stopped) {
      const repo = currentRepo(dataDir, tenant);
      if (repo) {
        for (const c of clusters) {
          const r = await argoSync({ repo, tenant, kube: c.kube, server: c.apiServer }).catch(() => null);
          if (r && r.applied.length) count++;
        }
      }
      await sleep(2000);
    }
  })();
  return { stop: async () => { stopped = true; await loop; }, syncs: () => count };
}

async function git(repo: string, args: string[]): Promise<string> {
  const { stdout } = await run('git', ['--git-dir', repo, ...args], { env: GIT_ENV, maxBuffer: 16 * 1024 * 1024 });
  return stdout.trimEnd();
}

export async function showLog(dataDir: string, tenant: string): Promise<void> {
  block(await git(repoPath(dataDir, tenant), ['log', '--format=%h  %<(72,trunc)%s  %(trailers:key=Fleetplane-Operation,valueonly,separator=)', 'main']));
}

export async function showRepo(dataDir: string, tenant: string): Promise<void> {
  const repo = repoPath(dataDir, tenant);
  if (!existsSync(repo)) throw new Error(`no repo at ${repo}: the GitOps environment was never delivered`);
  note(`tenant repo ${repo} (branch main); git log:`);
  await showLog(dataDir, tenant);
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
