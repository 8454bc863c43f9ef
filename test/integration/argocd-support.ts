// Helpers for the tests against the testbed's real Argo CD: bounded polling of Applications and
// cluster objects, git pushes into a served repo, and the controllers' logs kept as an artifact
// when a test fails.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { KubeClient } from '../../src/adapters/kube/index.ts';
import type { KubeObject } from '../../src/domain/types.ts';
import { applicationProblem, applicationView, type ApplicationView } from '../../src/engine/drivers/argocd-status.ts';
import { ARGOCD_NAMESPACE, argocdLogPath, binaryPath } from '../../testbed/index.ts';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value; the error names what was awaited and the last state seen. */
export async function eventually<T>(what: string, check: () => Promise<T | null | undefined>, o: { timeoutMs?: number; describe?: () => Promise<string> } = {}): Promise<T> {
  const deadline = Date.now() + (o.timeoutMs ?? 180_000);
  let last = '';
  for (;;) {
    try {
      const v = await check();
      if (v !== null && v !== undefined && (v as unknown) !== false) return v;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const state = o.describe ? await o.describe().catch((e: unknown) => String(e)) : last;
      throw new Error(`timed out waiting for ${what}${state ? `; last seen: ${state}` : ''}`);
    }
    await sleep(1000);
  }
}

export async function readApp(mgmt: KubeClient, name: string): Promise<ApplicationView | null> {
  return applicationView(await mgmt.get({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', namespace: ARGOCD_NAMESPACE, name }));
}

export function describeApp(mgmt: KubeClient, name: string): () => Promise<string> {
  return async () => {
    const v = await readApp(mgmt, name);
    return v ? JSON.stringify({ sync: v.sync, health: v.health, revisions: v.revisions, op: v.operationPhase, problem: applicationProblem(v) }) : 'no Application';
  };
}

export async function waitForApp(mgmt: KubeClient, name: string, ok: (v: ApplicationView) => boolean, what: string, timeoutMs = 180_000): Promise<ApplicationView> {
  return eventually(`Application ${name}: ${what}`, async () => {
    const v = await readApp(mgmt, name);
    return v && ok(v) ? v : null;
  }, { timeoutMs, describe: describeApp(mgmt, name) });
}

function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' }, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** Clones the bare repo at `repoPath`, lets `edit` change files, commits and pushes; returns the commit. */
export async function pushChange(repoPath: string, message: string, edit: (dir: string) => Promise<void>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'fp-argo-push-'));
  try {
    await run('git', ['clone', '-q', repoPath, dir]);
    await edit(dir);
    await run('git', ['-C', dir, 'add', '-A']);
    await run('git', ['-C', dir, '-c', 'user.name=Test', '-c', 'user.email=test@fleetplane.io', 'commit', '-qm', message]);
    await run('git', ['-C', dir, 'push', '-q', 'origin', 'HEAD:main']);
    return (await run('git', ['-C', dir, 'rev-parse', 'HEAD'])).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function writeRepoFile(dir: string, file: string, content: string): Promise<void> {
  await mkdir(dirname(join(dir, file)), { recursive: true });
  await writeFile(join(dir, file), content);
}

export function gitShow(repoPath: string, rev: string): Promise<string> {
  return run('git', ['--git-dir', repoPath, 'show', rev]);
}

const LOGS = ['argocd-application-controller', 'argocd-repo-server', 'argocd-applicationset-controller'] as const;

/** Copies the last MiB of each Argo CD log into a temp artifact dir and prints where it is. */
export async function keepArgoLogs(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `fp-argocd-artifacts-${label}-`));
  for (const name of LOGS) {
    const text = await readFile(argocdLogPath(name), 'utf8').catch(() => '');
    await writeFile(join(dir, `${name}.log`), text.slice(-1024 * 1024));
  }
  console.error(`[argocd test] failed; Argo CD logs kept in ${dir} (application controller: ${join(dir, 'argocd-application-controller.log')})`);
  return dir;
}

/** Runs one test body; on failure keeps Argo CD's logs as an artifact before rethrowing. */
export async function withArgoLogs(label: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    await keepArgoLogs(label).catch(() => undefined);
    throw err;
  }
}

export const uidOf = (o: KubeObject | null) => o?.metadata.uid ?? null;

/** Drops an Application's finalizers (cleanup only, when Argo CD cannot finish deleting it in time). */
export function stripFinalizers(kubeconfig: string, name: string): Promise<string> {
  return run(binaryPath('kubectl'), [`--kubeconfig=${kubeconfig}`, '-n', ARGOCD_NAMESPACE, 'patch', 'application', name, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
}

/**
 * Removes a test tenant's Argo CD objects the way the GitOps driver does (Applications gone before
 * the AppProject): a test that deleted the AppProject first left its Applications stuck for good
 * (their resources finalizer cannot run without the project). Applications still there after
 * `waitMs` lose their finalizer (their namespaces are deleted by the test anyway).
 */
export async function removeTenantFromArgo(mgmt: KubeClient, tenant: string, waitMs = 60_000): Promise<void> {
  const argo = (kind: string, name: string) => ({ apiVersion: 'argoproj.io/v1alpha1', kind, namespace: ARGOCD_NAMESPACE, name });
  for (const name of [tenant, `${tenant}.charts`]) await mgmt.delete(argo('ApplicationSet', name)).catch(() => undefined);
  const apps = async () => (await mgmt.list('argoproj.io/v1alpha1', 'Application', { namespace: ARGOCD_NAMESPACE, labelSelector: `fleetplane.io/tenant=${tenant}` }).catch(() => []));
  const deadline = Date.now() + waitMs;
  while ((await apps()).length > 0 && Date.now() < deadline) await sleep(1000);
  for (const app of await apps()) {
    await mgmt.transport.request({
      method: 'PATCH', path: `/apis/argoproj.io/v1alpha1/namespaces/${ARGOCD_NAMESPACE}/applications/${app.metadata.name}`,
      contentType: 'application/merge-patch+json', body: { metadata: { finalizers: null } },
    }).catch(() => undefined);
    await mgmt.delete(argo('Application', app.metadata.name)).catch(() => undefined);
  }
  await mgmt.delete(argo('AppProject', tenant)).catch(() => undefined);
  await mgmt.delete({ apiVersion: 'v1', kind: 'Secret', namespace: ARGOCD_NAMESPACE, name: `repo-${tenant}` }).catch(() => undefined);
}
