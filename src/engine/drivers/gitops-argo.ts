// The GitOps driver's side of Argo CD (the management cluster that runs it):
//   bootstrap  the tenant's AppProject, both ApplicationSets and its repo credential Secret, applied
//              after every commit (one API call onboards a GitOps tenant; nothing is done by hand).
//              Widening (a new environment) fences first: AppProject, then ApplicationSets.
//              Narrowing (an environment removed) shrinks the ApplicationSets first, waits until
//              Argo CD has deleted (and pruned) the Application, then narrows the AppProject, since
//              Argo CD only prunes objects its project still permits.
//              The guard-rail kinds are the one exception to "only widen": no AppProject ever permits
//              them again, and fenceGuardRails takes them out of a live one before the commit that
//              drops them from the repo (see GitopsDriver.applyOutOfBand).
//   read back  the Application's sync status, synced commit and health, for verify (argocd-status.ts).
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject, ObjectRef } from '../../domain/types.ts';
import {
  ARGO_API, CLUSTER_RESOURCE_BLACKLIST, NAMESPACE_RESOURCE_BLACKLIST, appProject, applicationSet, applicationSetName, chartApplicationSet, chartApplicationSetName,
  isGuardRailKind, repoSecretName, repositorySecret, type RevisionIndex, type TenantRepoRef,
} from '../../render/gitops/index.ts';
import { canonicalJson } from '../../domain/canonical.ts';
import { GITOPS_FIELD_MANAGER, LABELS } from '../../domain/types.ts';
import { applicationProblem, applicationView, type ApplicationView } from './argocd-status.ts';
import type { HealthSnapshot } from './gitops-health.ts';
import type { ClusterClient, DriftItem, DriverContext } from './types.ts';

const ARGO_FIELD_MANAGER = GITOPS_FIELD_MANAGER;

export interface RepoCredential {
  username: string;
  password: string;
}

/** Where Argo CD's objects live and how the driver reaches them. */
export interface ArgoTarget {
  kube: ClusterClient;
  namespace: string;
}

// precondition: the resourceVersion `preconditioned` copied from the read is kept, so a concurrent widening is a 409.
const apply = (t: ArgoTarget, obj: KubeObject) => t.kube.apply(obj, { force: true, fieldManager: ARGO_FIELD_MANAGER, precondition: true });
const argoRef = (t: ArgoTarget, kind: string, name: string): ObjectRef => ({ apiVersion: ARGO_API, kind, namespace: t.namespace, name });

type Element = Record<string, string>;
const elementsOf = (o: KubeObject | null): Element[] => ((o?.spec as { generators?: Array<{ list?: { elements?: Element[] } }> } | undefined)?.generators?.[0]?.list?.elements ?? []);

/**
 * `desired` with the live object's generator elements that it lacks added back (by `key`). A
 * delivery only widens: two deliveries of one tenant racing (two workers, or a push retried on a new
 * HEAD) must never drop each other's environment, since a dropped element deletes that
 * Application and Argo CD prunes its objects. Only narrowTenant (an environment removed) shrinks.
 */
function widened(desired: KubeObject, live: KubeObject | null, key: (e: Element) => string): KubeObject {
  const mine = elementsOf(desired);
  const have = new Set(mine.map(key));
  // An element written before elements named their path (ADR 1030) gets the one its template had.
  const extra = elementsOf(live).filter((e) => !have.has(key(e))).map((e) => (e.path || e.component !== undefined || !e.environment ? e : { ...e, path: `environments/${e.environment}/manifests` }));
  const base = preconditioned(desired, live);
  if (extra.length === 0) return base;
  const elements = [...mine, ...extra].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { ...base, spec: { ...(desired.spec as object), generators: [{ list: { elements } }] } };
}

/**
 * The apply carries the live resourceVersion, so a concurrent change between the read and the write
 * (another process widening the same tenant) is a 409 Conflict instead of a lost update.
 */
function preconditioned(desired: KubeObject, live: KubeObject | null): KubeObject {
  const rv = live?.metadata.resourceVersion;
  return rv ? { ...desired, metadata: { ...desired.metadata, resourceVersion: rv } } : desired;
}

const isConflict = (err: unknown) => (err as { reason?: string; upstreamStatus?: number }).reason === 'Conflict' || (err as { upstreamStatus?: number }).upstreamStatus === 409;

function uniqueBy<T>(xs: T[], key: (x: T) => string): T[] {
  const m = new Map<string, T>();
  for (const x of xs) if (!m.has(key(x))) m.set(key(x), x);
  return [...m.values()];
}

const FENCE_LISTS = ['sourceRepos', 'destinations', 'clusterResourceWhitelist', 'namespaceResourceWhitelist'] as const;

const permitsGuardRail = (x: unknown) => {
  const gk = x as { group?: string; kind?: string } | null;
  return !!gk && typeof gk.kind === 'string' && isGuardRailKind(gk.group ?? '', gk.kind);
};

/** The AppProject with what the live one allows kept (same reason as `widened`: only removal narrows), guard-rail kinds never. */
function widenedProject(desired: KubeObject, live: KubeObject | null): KubeObject {
  if (!live) return desired;
  desired = preconditioned(desired, live);
  const spec = { ...(desired.spec as Record<string, unknown>) };
  const liveSpec = (live.spec ?? {}) as Record<string, unknown>;
  for (const k of FENCE_LISTS) {
    // Canonical JSON: the API server returns keys in its own order.
    const mine = (spec[k] as unknown[] | undefined) ?? [];
    const seen = new Set(mine.map((x) => canonicalJson(x)));
    const extra = ((liveSpec[k] as unknown[] | undefined) ?? []).filter((x) => !seen.has(canonicalJson(x)) && !permitsGuardRail(x));
    if (extra.length) spec[k] = [...mine, ...uniqueBy(extra, canonicalJson)];
  }
  return { ...desired, spec };
}

const WHITELISTS = ['clusterResourceWhitelist', 'namespaceResourceWhitelist'] as const;

/**
 * Makes the tenant's live AppProject (if any) forbid the guard-rail kinds now, before a commit drops
 * them from the repo: out of the whitelists, into the blacklists. Argo CD then also leaves live guard
 * rails out of every Application of the project (it drops live objects its project does not permit
 * before it compares or prunes), so a commit without them prunes nothing. Everything else in the
 * project stays as it is (bootstrap after the commit widens as usual). No write when already fenced.
 * An environment of the same tenant still on the older layout cannot sync its committed guard rails
 * from then on (refused, nothing deleted) until its own next delivery moves them out of its directory.
 */
export async function fenceGuardRails(t: ArgoTarget, tenant: string): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    const live = await t.kube.get(argoRef(t, 'AppProject', tenant));
    if (!live) return false;
    const spec = { ...((live.spec ?? {}) as Record<string, unknown>) };
    if (guardRailsFenced(spec)) return false;
    for (const k of WHITELISTS) spec[k] = listOf(spec, k).filter((x) => !permitsGuardRail(x));
    spec.namespaceResourceBlacklist = [...listOf(spec, 'namespaceResourceBlacklist').filter((x) => !permitsGuardRail(x)), ...NAMESPACE_RESOURCE_BLACKLIST.map((w) => ({ ...w }))];
    spec.clusterResourceBlacklist = [...listOf(spec, 'clusterResourceBlacklist').filter((x) => !permitsGuardRail(x)), ...CLUSTER_RESOURCE_BLACKLIST.map((w) => ({ ...w }))];
    const metadata = { name: live.metadata.name, namespace: t.namespace, ...(live.metadata.labels ? { labels: live.metadata.labels } : {}) };
    try {
      await apply(t, preconditioned({ apiVersion: ARGO_API, kind: 'AppProject', metadata, spec } as KubeObject, live));
      return true;
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err; // widened meanwhile: read again
    }
  }
}

const listOf = (spec: Record<string, unknown>, k: string) => (spec[k] as unknown[] | undefined) ?? [];

/** No whitelist permits a guard-rail kind and both blacklists name every one of them (for any name). */
function guardRailsFenced(spec: Record<string, unknown>): boolean {
  const blacklisted = (k: string, want: ReadonlyArray<{ group: string; kind: string }>) =>
    want.every((w) => (listOf(spec, k) as Array<{ group?: string; kind?: string; name?: string }>).some((b) => (b.group ?? '') === w.group && b.kind === w.kind && !b.name));
  return !WHITELISTS.some((k) => listOf(spec, k).some(permitsGuardRail))
    && blacklisted('namespaceResourceBlacklist', NAMESPACE_RESOURCE_BLACKLIST) && blacklisted('clusterResourceBlacklist', CLUSTER_RESOURCE_BLACKLIST);
}

/** Installs (or widens) the tenant's Argo CD objects for these environments; fence before apps. */
/**
 * Widens the tenant's Argo CD objects to `envs()`: the environments the repo holds now, read after
 * the live objects, so a stale view can never be written. A delivery that committed before a move's
 * copy and bootstraps after it would otherwise drop the copy's element (elements are keyed by
 * environment): reading the repo after the live objects means either the read sees the copy's commit,
 * or the move's own bootstrap (after that commit) changes the live objects after our read, and our
 * preconditioned write is a 409 that starts over (ADR 1030).
 */
export async function bootstrapTenant(t: ArgoTarget, ref: TenantRepoRef, envs: () => Promise<RevisionIndex[]>, creds: RepoCredential | null): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await bootstrapOnce(t, ref, envs, creds);
    } catch (err) {
      if (!isConflict(err) || attempt >= 5) throw err; // someone widened meanwhile: read again
    }
  }
}

async function bootstrapOnce(t: ArgoTarget, ref: TenantRepoRef, envsNow: () => Promise<RevisionIndex[]>, creds: RepoCredential | null): Promise<void> {
  // Live objects first, then the repo (see above).
  const project = await t.kube.get(argoRef(t, 'AppProject', ref.tenant));
  const appSet = await t.kube.get(argoRef(t, 'ApplicationSet', applicationSetName(ref.tenant)));
  const chartSet = await t.kube.get(argoRef(t, 'ApplicationSet', chartApplicationSetName(ref.tenant)));
  const envs = await envsNow();
  await apply(t, widenedProject(appProject(ref, envs), project));
  if (creds) await apply(t, repositorySecret(ref, creds));
  const byEnv = (e: Element) => e.environment ?? '';
  const byComponent = (e: Element) => `${e.environment ?? ''}/${e.component ?? ''}`;
  await apply(t, widened(applicationSet(ref, envs), appSet, byEnv));
  await apply(t, widened(chartApplicationSet(ref, envs), chartSet, byComponent));
}

export interface NarrowOptions {
  signal: AbortSignal;
  now: () => Date;
  /** How long to wait for Argo CD to delete the removed Applications (default 180 s). */
  timeoutMs?: number;
  pollMs?: number;
}

/** The tenant's Applications for `environment` (any component), by label. */
async function applicationsOf(t: ArgoTarget, tenant: string, environment?: string): Promise<KubeObject[]> {
  const sel = `${LABELS.tenant}=${tenant}${environment ? `,${LABELS.environment}=${environment}` : ''}`;
  return t.kube.list({ apiVersion: ARGO_API, kind: 'Application', namespace: t.namespace, labelSelector: sel });
}

/**
 * Removes `environment` from the tenant's Argo CD objects: the ApplicationSets shrink, Argo CD
 * deletes the Application and prunes its objects (resources finalizer), then the AppProject narrows.
 * With no environment left, the ApplicationSets, AppProject and repo Secret are deleted. Returns
 * false when Argo CD had not finished within the bound (the AppProject then stays wide).
 */
export async function narrowTenant(t: ArgoTarget, ref: TenantRepoRef, envs: RevisionIndex[], environment: string, o: NarrowOptions): Promise<boolean> {
  if (envs.length === 0) {
    for (const name of [applicationSetName(ref.tenant), chartApplicationSetName(ref.tenant)]) await t.kube.delete(argoRef(t, 'ApplicationSet', name));
  } else {
    await apply(t, applicationSet(ref, envs));
    await apply(t, chartApplicationSet(ref, envs));
  }
  const deadline = o.now().getTime() + (o.timeoutMs ?? 180_000);
  for (;;) {
    const left = await applicationsOf(t, ref.tenant, envs.length === 0 ? undefined : environment);
    if (left.length === 0) break;
    if (o.now().getTime() > deadline) return false;
    // Argo CD finishes a running sync (and its retries) before it deletes the Application; a sync
    // of a removed environment is moot, so it is terminated (what `argocd app terminate-op` does).
    for (const app of left.filter(deletingWhileSyncing)) await terminateOperation(t, app);
    await sleep(o.pollMs ?? 1000, undefined, { signal: o.signal });
  }
  if (envs.length > 0) {
    await apply(t, appProject(ref, envs));
    return true;
  }
  await t.kube.delete(argoRef(t, 'AppProject', ref.tenant));
  await t.kube.delete({ apiVersion: 'v1', kind: 'Secret', namespace: t.namespace, name: repoSecretName(ref.tenant) });
  return true;
}

function deletingWhileSyncing(app: KubeObject): boolean {
  const phase = (app.status as { operationState?: { phase?: string } } | undefined)?.operationState?.phase;
  return !!app.metadata.deletionTimestamp && phase === 'Running';
}

async function terminateOperation(t: ArgoTarget, app: KubeObject): Promise<void> {
  await t.kube.apply({
    apiVersion: ARGO_API, kind: 'Application', metadata: { name: app.metadata.name, namespace: t.namespace },
    status: { operationState: { phase: 'Terminating' } },
  } as KubeObject, { force: true, fieldManager: ARGO_FIELD_MANAGER }).catch(() => undefined); // finished meanwhile: nothing to stop
}

/**
 * Asks Argo CD to re-read the repo now (`argocd.argoproj.io/refresh: hard`, what `argocd app get
 * --hard-refresh` sets; Argo CD removes it when done). Without it the repo server keeps its cached
 * resolution of `main` and, after a few failed manifest generations (an Application generated just
 * before its directory's commit was visible), pauses generation for an hour. No-op when the
 * Application does not exist.
 */
export async function requestRefresh(t: ArgoTarget, name: string): Promise<boolean> {
  const app = await readApplicationObject(t, name);
  // Still asked (Argo CD removes the annotation once it has refreshed): asking again only queues
  // more manifest generations behind a backlog, which is what kept a busy Argo CD's Applications
  // minutes behind their clusters (the big tour, eighth session).
  if (!app || refreshPending(app)) return false;
  await t.kube.apply({
    apiVersion: ARGO_API, kind: 'Application', metadata: { name, namespace: t.namespace, annotations: { 'argocd.argoproj.io/refresh': 'hard' } },
  } as KubeObject, { force: true, fieldManager: ARGO_FIELD_MANAGER }).catch(() => undefined); // deleted meanwhile
  return true;
}

/** Whether a refresh asked of the Application is still waiting for Argo CD to do it. */
export function refreshPending(app: KubeObject): boolean {
  return app.metadata.annotations?.['argocd.argoproj.io/refresh'] !== undefined;
}

/** The Application as Argo CD reports it; null when it does not exist (not generated yet). */
export async function readApplication(t: ArgoTarget, name: string): Promise<ApplicationView | null> {
  return applicationView(await readApplicationObject(t, name));
}

/**
 * Verify's Argo CD half: Synced + Healthy, at a commit that holds `revisionId` for this environment
 * (`holds(commit)` reads environments/<env>/revision.json at that commit). Argo CD's own words go
 * into the message. null = ready as far as Argo CD is concerned.
 */
export async function argoSnapshot(view: ApplicationView | null, name: string, holds: (commit: string) => Promise<string | null>, revisionId: string): Promise<HealthSnapshot | null> {
  if (!view) return { ready: false, reason: 'NotSynced', message: `Argo CD has not generated Application ${name} yet` };
  if (view.health === 'Degraded') return { ready: false, reason: 'ArgoDegraded', message: `Argo CD: ${applicationProblem(view) ?? 'health Degraded'}` };
  if (view.sync !== 'Synced' || view.health !== 'Healthy') {
    const problem = applicationProblem(view);
    return { ready: false, reason: view.sync !== 'Synced' ? 'NotSynced' : 'Progressing', message: `Argo CD: sync ${view.sync ?? 'Unknown'}, health ${view.health ?? 'Unknown'}${problem ? `; ${problem}` : ''}` };
  }
  const commit = view.revisions[0];
  const at = commit ? await holds(commit) : null;
  if (at !== revisionId) {
    return { ready: false, reason: 'NotSynced', message: `Argo CD synced commit ${commit?.slice(0, 12) ?? 'none'}, which holds revision ${at ?? 'none'} of this environment, want ${revisionId}` };
  }
  return null;
}

/** The Argo CD target for this environment's operation, or null when the driver has none. */
export async function argoTargetFor(
  ctx: DriverContext,
  o: { argoKube?: (ctx: DriverContext) => ClusterClient | null; argoCluster?: string; namespace: string },
): Promise<ArgoTarget | null> {
  const direct = o.argoKube?.(ctx);
  if (direct) return { kube: direct, namespace: o.namespace };
  if (!o.argoCluster) return null;
  if (o.argoCluster === ctx.cluster.name) return { kube: ctx.kube, namespace: o.namespace };
  if (!ctx.clientFor) throw new Error(`the GitOps driver needs a client for Argo CD's cluster ${o.argoCluster}, and this context has none`);
  return { kube: await ctx.clientFor(o.argoCluster), namespace: o.namespace };
}

type ResourceStatus = { group?: string; version?: string; kind?: string; namespace?: string; name?: string; status?: string; health?: { status?: string } };

/**
 * Drift as Argo CD sees it: the Application's resources that are OutOfSync (health Missing =
 * deleted by hand). selfHeal repairs them; Fleetplane reports them next to its own comparison.
 */
export function argoDriftItems(app: KubeObject | null): DriftItem[] {
  const resources = ((app?.status as { resources?: ResourceStatus[] } | undefined)?.resources ?? []);
  return resources.filter((r) => r.status === 'OutOfSync' && r.kind && r.name && r.version).map((r) => ({
    ref: { apiVersion: r.group ? `${r.group}/${r.version}` : r.version!, kind: r.kind!, name: r.name!, ...(r.namespace ? { namespace: r.namespace } : {}) },
    kind: r.health?.status === 'Missing' ? 'missing' as const : 'changed' as const,
    fields: ['argocd:OutOfSync'],
  }));
}

export async function readApplicationObject(t: ArgoTarget, name: string): Promise<KubeObject | null> {
  return t.kube.get(argoRef(t, 'Application', name));
}

/**
 * Waits (bounded) until Argo CD has deleted every Application of `environment` but those in `keep`
 * (a GitOps move's source or failed copy: the ApplicationSets no longer yield it, its resources
 * finalizer prunes what it synced). A sync still running on one being deleted is terminated, as
 * narrowTenant does. Returns the names still there when the bound ran out (empty: all gone).
 */
export async function waitApplicationsGone(t: ArgoTarget, tenant: string, environment: string, keep: ReadonlySet<string>, o: NarrowOptions): Promise<string[]> {
  const deadline = o.now().getTime() + (o.timeoutMs ?? 180_000);
  for (;;) {
    const left = (await applicationsOf(t, tenant, environment)).filter((a) => !keep.has(a.metadata.name));
    if (left.length === 0) return [];
    if (o.now().getTime() > deadline) return left.map((a) => a.metadata.name).sort();
    for (const app of left.filter(deletingWhileSyncing)) await terminateOperation(t, app);
    await sleep(o.pollMs ?? 1000, undefined, { signal: o.signal });
  }
}

/** The tenant's AppProject exactly as the repo's environments need it (narrowed: a moved environment's source destination gone). */
export async function narrowProject(t: ArgoTarget, ref: TenantRepoRef, envs: RevisionIndex[]): Promise<void> {
  if (envs.length === 0) return;
  await apply(t, appProject(ref, envs));
}
