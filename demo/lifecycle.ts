// The big tour's data directory and the fleet's end. The tour keeps its embedded store, logs,
// Prometheus data and dashboards in one directory (default <repo>/.fleetplane/demo); a run stopped
// with Ctrl-C leaves the fleet on the clusters for a later look. The next run (or `--reset`) starts
// the earlier run's server on that directory, offboards every tenant it holds through the API, waits
// for their namespaces to go and removes the directory, so every tour starts from nothing.
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapLimit } from '../src/adapters/kube/index.ts';
import { ApiClient, ApiError } from '../src/cli/client.ts';
import type { OperationView } from '../src/cli/commands/ops.ts';
import { LABELS } from '../src/domain/types.ts';
import { argocdRemoveGitRepo } from '../testbed/index.ts';
import { waitNamespacesGone, type DemoCluster } from './clusters.ts';
import { ProgressDisplay } from './progress.ts';
import { freePort, ROOT, startServer, stopServer, waitReady } from './server.ts';
import { note, retrying, say, sleep } from './ui.ts';

export function fleetDataDir(): string {
  return process.env.FLEETPLANE_DEMO_DIR ?? join(ROOT, '.fleetplane', 'demo');
}

/** What a later run needs to start this run's server again. */
export interface RunRecord { token: string; env: Record<string, string>; defaults: Record<string, string>; gitops: string[]; startedAt: string; pid?: number }

const RECORD = 'demo-run.json';

export async function saveRecord(dataDir: string, r: RunRecord): Promise<void> {
  await writeFile(join(dataDir, RECORD), `${JSON.stringify(r, null, 2)}\n`, { mode: 0o600 });
}

async function readRecord(dataDir: string): Promise<RunRecord | null> {
  try {
    return JSON.parse(await readFile(join(dataDir, RECORD), 'utf8')) as RunRecord;
  } catch {
    return null;
  }
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every tenant slug of the store behind `client`. */
async function tenantSlugs(client: ApiClient): Promise<string[]> {
  const slugs: string[] = [];
  let cursor: string | undefined;
  do {
    const { body } = await client.get<{ items: Array<{ slug: string }>; next?: string }>('/v1/tenants', { limit: 500, ...(cursor ? { cursor } : {}) });
    slugs.push(...body.items.map((t) => t.slug));
    cursor = body.next;
  } while (cursor);
  return slugs;
}

/** Aborts every rollout that has not ended: an environment a rollout holds refuses to be offboarded. */
async function abortRollouts(client: ApiClient): Promise<void> {
  const { body } = await retrying(() => client.get<{ items: Array<{ id: string; state: string }> }>('/v1/rollouts', { limit: 100 }));
  for (const r of body.items.filter((x) => !['succeeded', 'failed', 'aborted'].includes(x.state))) {
    await client.request('POST', `/v1/rollouts/${r.id}:abort`).catch(() => undefined);
    note(`rollout ${r.id} was ${r.state}: aborted, so that its environments can be offboarded`);
  }
}

/** DELETE /v1/tenants/{slug} for each (4 at a time), the offboard operations followed with one bar, then the namespaces' end on the clusters. */
export async function offboardFleet(client: ApiClient, clusters: DemoCluster[], slugs: string[], timeoutS = 900): Promise<void> {
  await abortRollouts(client);
  const display = new ProgressDisplay((l) => say(l));
  const bar = display.bar('offboarding (DELETE /v1/tenants)', slugs.length);
  const sent = await mapLimit(slugs, 4, async (slug) => {
    try {
      return (await client.request<OperationView>('DELETE', `/v1/tenants/${slug}`)).body.id;
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null; // already gone
      throw err;
    }
  });
  const ids = new Set(sent.flatMap((r) => (r.ok && r.value ? [r.value] : [])));
  const refused = sent.flatMap((r, i) => (r.ok ? [] : [`${slugs[i]}: ${r.error.message}`]));
  const deadline = Date.now() + timeoutS * 1000;
  let failed: OperationView[] = [];
  for (;;) {
    const seen: OperationView[] = [];
    let cursor: string | undefined;
    do {
      const page = cursor;
      const { body } = await retrying(() => client.get<{ items: OperationView[]; next?: string }>('/v1/operations', { limit: 500, ...(page ? { cursor: page } : {}) }));
      seen.push(...body.items.filter((o) => ids.has(o.id)));
      cursor = body.next;
    } while (cursor && seen.length < ids.size);
    const done = seen.filter((o) => ['succeeded', 'failed', 'cancelled'].includes(o.state));
    failed = done.filter((o) => o.state !== 'succeeded');
    bar.update(done.length, failed.length ? `${failed.length} failed` : '', ids.size);
    if (done.length >= ids.size || Date.now() > deadline) break;
    await sleep(2000);
  }
  display.stop();
  for (const r of refused) note(`✗ ${r}`);
  for (const o of failed.slice(0, 10)) note(`✗ ${o.tenant}: ${o.state}: ${(o.error ?? '').split('\n')[0]}`);
  const left = slugs.length ? await waitNamespacesGone(clusters, slugs, Math.max(60, (deadline - Date.now()) / 1000)) : 0;
  if (refused.length || failed.length || left > 0) throw new Error(`offboarding: ${refused.length} refused, ${failed.length} failed, ${left} namespaces left`);
}

/** Last resort when the earlier run's store cannot be opened: delete its tenants' namespaces directly. */
async function deleteNamespaces(clusters: DemoCluster[], slugs: readonly string[]): Promise<void> {
  for (let i = 0; i < slugs.length; i += 20) {
    const selector = `${LABELS.tenant} in (${slugs.slice(i, i + 20).join(',')})`;
    for (const c of clusters) {
      const nss = await c.kube.list('v1', 'Namespace', { labelSelector: selector });
      await mapLimit(nss, 8, (n) => c.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: n.metadata.name }));
    }
  }
  await waitNamespacesGone(clusters, [...slugs], 300);
}

/**
 * Removes what an earlier run left (its tenants, namespaces, GitOps repos, data directory). Refuses
 * while that run's server is still alive. `fallbackSlugs`: the tenants to delete directly when its
 * store cannot be opened.
 */
export async function removePrevious(dataDir: string, clusters: DemoCluster[], fallbackSlugs: readonly string[]): Promise<boolean> {
  if (!existsSync(dataDir)) return false;
  const record = await readRecord(dataDir);
  if (record && alive(record.pid)) throw new Error(`the server of an earlier tour (pid ${record.pid}) still runs on ${dataDir}: stop it first (Ctrl-C in its terminal, or kill ${record.pid})`);
  say(`\n== an earlier tour left its fleet (${dataDir}${record ? `, started ${record.startedAt}` : ''}): removing it first`);
  const t0 = Date.now();
  let gitops = record?.gitops ?? [];
  if (record) {
    const port = await freePort();
    const logFile = join(dataDir, 'serve.log');
    const child = startServer({ port, dataDir, logFile, token: record.token, workers: true, env: record.env, defaults: record.defaults });
    const client = new ApiClient({ server: `http://127.0.0.1:${port}`, token: record.token });
    try {
      await waitReady(client, child, 240_000);
      const slugs = await tenantSlugs(client);
      note(`its server answers on ${client.opts.server}; offboarding its ${slugs.length} tenants through the API`);
      await offboardFleet(client, clusters, slugs);
    } catch (err) {
      note(`✗ could not offboard through the earlier store (${(err as Error).message.split('\n')[0]}): deleting the namespaces directly`);
      await deleteNamespaces(clusters, fallbackSlugs);
    } finally {
      await stopServer(child);
    }
  } else {
    note('no record of its server: deleting the namespaces of the tour\'s tenants directly');
    await deleteNamespaces(clusters, fallbackSlugs);
    gitops = [];
  }
  for (const t of gitops) await argocdRemoveGitRepo(t).catch(() => undefined);
  await rm(dataDir, { recursive: true, force: true });
  note(`removed in ${((Date.now() - t0) / 1000).toFixed(0)} s; the clusters are as the tour found them`);
  return true;
}
