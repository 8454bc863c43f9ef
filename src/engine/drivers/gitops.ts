// The GitOps delivery driver: delivering a revision is one commit to the tenant's repo (layout in
// docs/gitops.md); Argo CD applies it. Rollback is a revert commit. Health is read back from the
// cluster and from the Argo CD Application (synced commit, health), when the driver is given Argo
// CD's cluster; it then also bootstraps the tenant's AppProject, ApplicationSets and repo credential
// there after every commit (gitops-argo.ts). Secrets never go to Git: they are applied directly,
// next to the Namespace they live in, through ctx.kube (lease-fenced like every write). Nor do the
// environment's guard rails (Namespace, ResourceQuota, LimitRange, NetworkPolicies): the driver applies
// them out of band too, takes over those an older layout had committed (applyOutOfBand), and deletes
// the Namespace on offboarding.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject, ObjectRef, Revision } from '../../domain/types.ts';
import { refOf } from '../../domain/kinds.ts';
import type { ArchiveResult, GitRepos, Workspace } from '../../adapters/git/index.ts';
import {
  ARGOCD_NAMESPACE, ARGO_API, applicationName, applicationOf, applicationsOfIndex, commitMessage, copyApplicationName, copyClusterOf, copyDir, environmentDir, homeTree, isGuardRail,
  manifestsDirOf, parseRevisionIndex, renderArgoFiles, renderEnvironmentTree, syncIdentityObjects, syncClusterRoleName,
  type CommitInfo, type EnvironmentTree, type GitopsPlacement, type RevisionIndex,
} from '../../render/gitops/index.ts';
import { isSingleton } from '../../plan/move.ts';
import { DirectDriver } from './direct.ts';
import {
  argoDriftItems, argoSnapshot, argoTargetFor, bootstrapTenant, fenceGuardRails, narrowProject, narrowTenant, readApplication, readApplicationObject, requestRefresh, waitApplicationsGone,
  type ArgoTarget, type RepoCredential,
} from './gitops-argo.ts';
import { deploymentsHealth } from './gitops-health.ts';
import { waitWhileNamespaceTerminates } from './namespace-terminating.ts';
import type { ClusterClient, CopyMoveDriver, DeliverResult, Driver, DriverContext, DriftReport, PreviousDelivery, RemoveResult, VerifyOptions, VerifyResult } from './types.ts';

export interface GitopsDriverOptions {
  repos: GitRepos;
  /** Namespace Argo CD runs in (where Application objects live). */
  argocdNamespace?: string;
  /** Client for the cluster Argo CD runs on (tests); else `argoCluster`. */
  argoKube?: (ctx: DriverContext) => ClusterClient | null;
  /**
   * Registered cluster Argo CD runs on (its Applications live there, in argocdNamespace). With
   * neither this nor argoKube the driver bootstraps nothing and verifies from the Deployments only.
   */
  argoCluster?: string;
  /** The credentials Argo CD reads the tenant's repo with (its repository Secret); null: none needed. */
  repoCredentials?: (tenant: string) => RepoCredential | null | Promise<RepoCredential | null>;
  /**
   * Chart repository mirrors: upstream repo URL -> the repo Argo CD fetches the same chart from
   * (an air-gapped or internal mirror; the testbed's chart repo). Applied to what is committed.
   */
  chartMirrors?: Record<string, string>;
  /** Bound on waiting for Argo CD to delete a removed environment's Application (default 180 s). */
  offboardTimeoutMs?: number;
  /** Archive the tenant's repo when its last environment is removed (default true). */
  archiveWhenEmpty?: boolean;
  /** Audit sink (serve passes store.audit.append): records repo archiving. */
  audit?: (entry: { actor: string; action: string; tenant?: string | null; target: string; detail?: Record<string, unknown> }) => Promise<void>;
}

const REFRESH_EVERY_MS = 30_000;
/** How Argo CD marks what an Application owns: annotation tracking (the default in v3, and the testbed's). */
export const ARGO_TRACKING_ANNOTATION = 'argocd.argoproj.io/tracking-id';
/** Label tracking (`application.resourceTrackingMethod: label`) puts the Application's name here. */
export const ARGO_TRACKING_LABEL = 'app.kubernetes.io/instance';
const keyOf = (r: ObjectRef) => `${r.apiVersion}|${r.kind}|${r.namespace ?? ''}|${r.name}`;

function placementOf(ctx: DriverContext): GitopsPlacement {
  return { cluster: ctx.cluster.name, server: ctx.cluster.apiServer, namespace: ctx.environment.placement.namespace };
}

function info(ctx: DriverContext, action: string, revision?: Revision): CommitInfo {
  return {
    action, tenant: ctx.environment.tenant, environment: ctx.environment.name, operationId: ctx.operation.id,
    ...(revision ? { blueprint: revision.blueprint, version: revision.version, revision: revision.id } : {}),
  };
}

/** Which Application syncs what, and which revision.json says what it holds. */
interface AppAt { app: string; index: string }

const indexPathOf = (env: string) => `${environmentDir(env)}/revision.json`;

/**
 * Whether the revision holds its singletons at zero (a GitOps move's held copy or source: plan/move.ts
 * withSingletonsHeld). A hibernated revision holds everything and says so already.
 */
export function holdsSingletons(rev: Revision): boolean {
  return !rev.hibernated && rev.objects.some((o) => isSingleton(o.object) && (o.object.spec as { replicas?: number } | undefined)?.replicas === 0);
}

export class GitopsDriver implements Driver, CopyMoveDriver {
  readonly mode = 'gitops' as const;

  constructor(private readonly opts: GitopsDriverOptions) {}

  async deliver(ctx: DriverContext, revision: Revision, previous?: PreviousDelivery): Promise<DeliverResult> {
    // A requested rollback (Operation kind "rollback") is a revert commit too, not a plain rewrite.
    if (ctx.operation.kind === 'rollback' && previous?.revision && previous.revision.id !== revision.id) return this.rollback(ctx, revision, previous);
    await this.refuseLostRepo(ctx);
    // Out-of-band objects are the same wherever the index puts the manifests (the label-tracking
    // strip only concerns guard rails an older layout committed, never those of a moved environment).
    let tree = homeTree(this.mirrored(revision), placementOf(ctx), null, { guardRails: 'out-of-band' });
    await this.applyOutOfBand(ctx, tree);
    const action = ctx.operation.kind;
    const commit = await this.opts.repos.mutate(ctx.environment.tenant, async (ws) => {
      // Later deliveries keep the Application and directory of the index they replace (ADR 1030).
      tree = homeTree(this.mirrored(revision), placementOf(ctx), await readIndex(ws, indexPathOf(ctx.environment.name)), { guardRails: 'out-of-band' });
      await ws.replaceDir(tree.dir, tree.files);
      const envs = await this.writeArgo(ws, ctx.environment.tenant);
      const made = await ws.commitIfChanged(commitMessage(info(ctx, action, revision)), ctx.now());
      return { made, head: await ws.head(), envs };
    }, ctx.signal);
    await this.bootstrap(ctx, this.repoNow(ctx, commit), applicationOf(ctx.environment.tenant, tree.index));
    const pruned = await this.pruneOutOfBand(ctx, tree, previous?.inventory ?? []);
    ctx.logger.info({ tenant: ctx.environment.tenant, environment: ctx.environment.name, revision: revision.id, commit: commit.head, changed: commit.made !== null }, 'gitops: delivered');
    return this.result(ctx, tree, pruned, { commit: commit.head, changed: commit.made !== null });
  }

  async verify(ctx: DriverContext, revision: Revision, opts: VerifyOptions): Promise<VerifyResult> {
    const home = await this.homeIndex(ctx);
    const app = home ? applicationOf(ctx.environment.tenant, home) : applicationName(ctx.environment.tenant, ctx.environment.name);
    return this.verifyAt(ctx, revision, opts, { app, index: indexPathOf(ctx.environment.name) });
  }

  private async verifyAt(ctx: DriverContext, revision: Revision, opts: VerifyOptions, at: AppAt): Promise<VerifyResult> {
    const began = ctx.now().getTime();
    const deadline = (opts.startedAt ?? began) + opts.timeoutMs;
    const interval = opts.pollIntervalMs ?? 1000;
    for (;;) {
      // A lost lease or shutdown is not the cluster saying no: throw, so the engine retries instead
      // of rolling back.
      ctx.signal.throwIfAborted();
      const argo = await this.argoHealth(ctx, revision, at);
      const own = await deploymentsHealth(ctx.kube, revision);
      // Argo CD's verdict first; the Deployments' (and pods') own words join it.
      const snap = argo ? { ...argo, ...(own.failing ? { failing: own.failing } : {}), message: own.ready ? argo.message : `${argo.message}; ${own.message}` } : own;
      if (snap.ready) return { ready: true };
      const now = ctx.now().getTime();
      if (snap.terminal || now + interval > deadline) {
        const reason = snap.terminal ? snap.reason : 'Timeout';
        return { ready: false, reason, message: snap.message, failing: snap.failing };
      }
      if (opts.holdMs !== undefined && now + interval - began > opts.holdMs) return { ready: false, waiting: true, reason: 'Progressing', message: snap.message };
      await sleep(interval, undefined, { signal: ctx.signal });
    }
  }

  /** A revert commit of the change that delivered `from.revision`, then the tree forced to `toRevision`. */
  async rollback(ctx: DriverContext, toRevision: Revision, from: PreviousDelivery): Promise<DeliverResult> {
    await this.refuseLostRepo(ctx);
    // Out-of-band objects are the same wherever the index puts the manifests (the label-tracking
    // strip only concerns guard rails an older layout committed, never those of a moved environment).
    let tree = homeTree(this.mirrored(toRevision), placementOf(ctx), null, { guardRails: 'out-of-band' });
    await this.applyOutOfBand(ctx, tree);
    const { tenant, name } = ctx.environment;
    const commit = await this.opts.repos.mutate(tenant, async (ws) => {
      tree = homeTree(this.mirrored(toRevision), placementOf(ctx), await readIndex(ws, indexPathOf(name)), { guardRails: 'out-of-band' });
      const bad = from.revision ? await ws.findCommit({ 'Fleetplane-Environment': name, 'Fleetplane-Revision': from.revision.id }) : null;
      if (bad) await ws.revertNoCommit(bad);
      // Whatever the revert left (conflicts with later commits, an older bad commit), the
      // environment must end at exactly toRevision: rewrite its directory and the argocd files.
      await ws.replaceDir(tree.dir, tree.files);
      const envs = await this.writeArgo(ws, tenant);
      const message = bad ? revertMessage(await ws.subject(bad), bad, info(ctx, 'rollback', toRevision)) : commitMessage(info(ctx, 'rollback', toRevision));
      const made = await ws.commitIfChanged(message, ctx.now());
      return { made, head: await ws.head(), reverted: bad, envs };
    }, ctx.signal);
    await this.bootstrap(ctx, this.repoNow(ctx, commit), applicationOf(tenant, tree.index));
    const pruned = await this.pruneOutOfBand(ctx, tree, from.inventory);
    ctx.logger.info({ tenant, environment: name, to: toRevision.id, commit: commit.head, reverted: commit.reverted }, 'gitops: rolled back');
    return this.result(ctx, tree, pruned, { commit: commit.head, changed: commit.made !== null, reverted: commit.reverted });
  }

  /** Removes the environment's directory (Argo CD prunes its objects); archives an emptied repo. */
  async remove(ctx: DriverContext, inventory: ObjectRef[]): Promise<RemoveResult> {
    const { tenant, name } = ctx.environment;
    const dir = environmentDir(name);
    const secrets = inventory.filter((r) => r.kind === 'Secret' && r.apiVersion === 'v1');
    if (!(await this.opts.repos.exists(tenant))) {
      // Never delivered (or already archived): nothing in Git to remove.
      for (const ref of secrets) await ctx.kube.delete(ref);
      await this.removeOutOfBandRest(ctx);
      return { removed: inventory, detail: { commit: null, changed: false, archivedTo: null } };
    }
    const outcome = await this.opts.repos.mutate(tenant, async (ws) => {
      await ws.removeDir(dir);
      const left = await this.writeArgo(ws, tenant);
      const made = await ws.commitIfChanged(commitMessage(info(ctx, 'offboard', undefined)), ctx.now());
      return { made, head: await ws.head(), left: left.length, envs: left };
    }, ctx.signal);
    const argo = await this.argoTarget(ctx);
    if (argo) {
      const done = await narrowTenant(argo, this.repoRef(tenant), outcome.envs, name, { signal: ctx.signal, now: ctx.now, ...(this.opts.offboardTimeoutMs !== undefined ? { timeoutMs: this.opts.offboardTimeoutMs } : {}) });
      if (!done) ctx.logger.warn({ tenant, environment: name }, 'gitops: Argo CD had not deleted the Application in time; the AppProject stays as it was');
    }
    for (const ref of secrets) await ctx.kube.delete(ref);
    await this.removeOutOfBandRest(ctx);
    let archived: ArchiveResult | null = null;
    if (outcome.left === 0 && this.opts.archiveWhenEmpty !== false) {
      archived = await this.opts.repos.archive(tenant, ctx.now());
      if (archived) {
        await this.opts.audit?.({
          actor: `worker:${ctx.operation.workerId}`, action: 'gitops.repo.archived', tenant, target: `tenant/${tenant}`,
          detail: { archivedTo: archived.path, lastCommit: outcome.head, operation: ctx.operation.id },
        });
      }
    }
    ctx.logger.info({ tenant, environment: name, commit: outcome.head, archived: archived?.path }, 'gitops: environment removed');
    return { removed: inventory, detail: { commit: outcome.head, changed: outcome.made !== null, archivedTo: archived?.path ?? null } };
  }

  /**
   * Live state against the revision, read-only (the same comparison as the direct driver), plus the
   * resources Argo CD itself reports OutOfSync. Argo CD's selfHeal repairs drift in GitOps mode;
   * Fleetplane reports it (Drifted condition).
   */
  async drift(ctx: DriverContext, revision: Revision): Promise<DriftReport> {
    const own = await this.comparer.drift(ctx, revision);
    const argo = await this.argoTarget(ctx);
    if (!argo) return own;
    const home = await this.homeIndex(ctx).catch(() => null);
    const name = home ? applicationOf(ctx.environment.tenant, home) : applicationName(ctx.environment.tenant, ctx.environment.name);
    const app = await readApplicationObject(argo, name).catch(() => null);
    const seen = new Set(own.items.map((i) => keyOf(i.ref)));
    const items = [...own.items, ...argoDriftItems(app).filter((i) => !seen.has(keyOf(i.ref)))];
    return { drifted: items.length > 0, items };
  }

  // --- Moving with a second Application (ADR 1030). Each step idempotent: commit if changed, SSA. ---

  /** move-deliver / move-start-target: out of band on the target, one commit of the copy, bootstrap (widen), refresh. */
  async deliverCopy(ctx: DriverContext, revision: Revision): Promise<DeliverResult> {
    const { tenant, name } = ctx.environment;
    const to = ctx.cluster.name;
    const application = copyApplicationName(tenant, name, to);
    const held = holdsSingletons(revision);
    const tree = renderEnvironmentTree(this.mirrored(revision), placementOf(ctx), { guardRails: 'out-of-band', copy: { cluster: to, application }, singletonsHeld: held });
    await this.refuseLostRepo(ctx);
    await this.applyOutOfBand(ctx, tree, application);
    const commit = await this.opts.repos.mutate(tenant, async (ws) => {
      await ws.replaceDir(tree.dir, tree.files);
      const envs = await this.writeArgo(ws, tenant);
      const made = await ws.commitIfChanged(commitMessage({ ...info(ctx, 'move', revision), detail: `copy on ${to}${held ? ', singletons held at zero' : ''}` }), ctx.now());
      return { made, head: await ws.head(), envs };
    }, ctx.signal);
    await this.bootstrap(ctx, this.repoNow(ctx, commit), application);
    ctx.logger.info({ tenant, environment: name, to, application, commit: commit.head, changed: commit.made !== null, held }, 'gitops: move copy delivered');
    return this.result(ctx, tree, [], { commit: commit.head, changed: commit.made !== null, application });
  }

  /** move-verify / move-start-target: the copy's Application and the target's Deployments. */
  async verifyCopy(ctx: DriverContext, revision: Revision, opts: VerifyOptions): Promise<VerifyResult> {
    const { tenant, name } = ctx.environment;
    return this.verifyAt(ctx, revision, opts, { app: copyApplicationName(tenant, name, ctx.cluster.name), index: `${copyDir(name, ctx.cluster.name)}/revision.json` });
  }

  /**
   * move-stop-source (and undoing it): `revision` committed to the source's own directories, where
   * its index says they are; the copies and the index's Application and path stay. Argo CD applies
   * it (a scale through the cluster would be undone by selfHeal).
   */
  async holdSource(ctx: DriverContext, revision: Revision): Promise<{ commit: string | null; changed: boolean }> {
    const { tenant, name } = ctx.environment;
    const held = holdsSingletons(revision);
    const out = await this.opts.repos.mutate(tenant, async (ws) => {
      const home = await readIndex(ws, indexPathOf(name));
      if (!home) throw new Error(`gitops: ${tenant}/${name} has no revision.json in its repository: nothing to hold`);
      const tree = homeTree(this.mirrored(revision), home.placement, home, { guardRails: 'out-of-band', singletonsHeld: held });
      const base = manifestsDirOf(tree.index).replace(/\/manifests$/, '');
      await ws.removeDir(`${base}/manifests`);
      await ws.removeDir(`${base}/helm`);
      await ws.writeFiles(tree.files);
      const made = await ws.commitIfChanged(commitMessage({ ...info(ctx, 'move', revision), detail: held ? `singletons held at zero on ${home.placement.cluster}` : `singletons back on ${home.placement.cluster}` }), ctx.now());
      return { made, head: await ws.head(), app: applicationOf(tenant, home) };
    }, ctx.signal);
    const argo = await this.argoTarget(ctx);
    if (argo) await requestRefresh(argo, out.app);
    return { commit: out.head, changed: out.made !== null };
  }

  /**
   * move-switch: one commit makes the copy the environment's home (its index at
   * environments/<env>/revision.json, keeping its Application and manifests directory; the copy's own
   * revision.json goes). The source's manifests stay (held); the repo's ApplicationSet no longer
   * yields the source's Application (the live one changes in removeSource).
   */
  async promoteCopy(ctx: DriverContext): Promise<{ commit: string | null; changed: boolean }> {
    const { tenant, name } = ctx.environment;
    const to = ctx.cluster.name;
    const application = copyApplicationName(tenant, name, to);
    const out = await this.opts.repos.mutate(tenant, async (ws) => {
      const copyIndex = `${copyDir(name, to)}/revision.json`;
      const text = await ws.readFile(copyIndex);
      if (!text) {
        // Promoted already (a re-run): nothing to commit.
        const home = await readIndex(ws, indexPathOf(name));
        if (home?.application !== application) throw new Error(`gitops: ${tenant}/${name} has no copy on ${to} to switch to`);
        return { made: null, head: await ws.head() };
      }
      await ws.writeFiles({ [indexPathOf(name)]: text });
      await ws.removeDir(copyIndex);
      await this.writeArgo(ws, tenant);
      const made = await ws.commitIfChanged(commitMessage({ ...info(ctx, 'move', undefined), detail: `switch to ${to}` }), ctx.now());
      return { made, head: await ws.head() };
    }, ctx.signal);
    return { commit: out.head, changed: out.made !== null };
  }

  /** move-remove (ADR 1030 §3); `ctx` is on the source. */
  async removeSource(ctx: DriverContext, inventory: ObjectRef[]): Promise<RemoveResult & { pending: string[] }> {
    const { tenant, name } = ctx.environment;
    const from = ctx.cluster.name;
    const home = await this.homeIndex(ctx);
    if (!home || home.placement.cluster === from) throw new Error(`gitops: ${tenant}/${name}'s home in the repository is still on ${from}: not removing it`);
    return this.removeOther(ctx, inventory, home, async (ws) => {
      // The source's directories: the original one's manifests and helm, and every copy but the home's.
      const keep = copyClusterOf(manifestsDirOf(home));
      for (const dir of ['manifests', 'helm']) await ws.removeDir(`${environmentDir(name)}/${dir}`);
      for (const c of await ws.listDirs(`${environmentDir(name)}/copies`)) if (c !== keep) await ws.removeDir(copyDir(name, c));
      return `removed from ${from}`;
    });
  }

  /** A move failed before move-switch; `ctx` is on the target. */
  async removeCopy(ctx: DriverContext, inventory: ObjectRef[]): Promise<RemoveResult & { pending: string[] }> {
    const { tenant, name } = ctx.environment;
    const to = ctx.cluster.name;
    if (!(await this.opts.repos.exists(tenant))) return { removed: [], pending: [] };
    const home = await this.homeIndex(ctx);
    if (!home || home.placement.cluster === to) throw new Error(`gitops: ${tenant}/${name}'s home in the repository is on ${to}: not removing it as a copy`);
    return this.removeOther(ctx, inventory, home, async (ws) => {
      await ws.removeDir(copyDir(name, to));
      return `copy on ${to} removed`;
    });
  }

  /**
   * Removes what the environment has on ctx's cluster other than its home, in this order: the
   * ApplicationSets applied as the repo will be after `change` (keyed by environment, so the element
   * of the other copy goes; its directory is still there, so its Application never reads a missing
   * path), the wait for Argo CD to delete its Applications (resources finalizer: pruned), the
   * out-of-band objects on that cluster, the commit of `change`, the AppProject narrowed. A re-run
   * finds every part done: nothing applied changes, the wait ends at once, no commit.
   */
  private async removeOther(ctx: DriverContext, inventory: ObjectRef[], home: RevisionIndex, change: (ws: Workspace) => Promise<string>): Promise<RemoveResult & { pending: string[] }> {
    const { tenant, name } = ctx.environment;
    const argo = await this.argoTarget(ctx);
    if (argo) {
      // In a throwaway clone: the tree as it will be, without committing it yet.
      const envs = () => this.opts.repos.read(tenant, async (ws) => { await change(ws); return indexesIn(ws); }, ctx.signal);
      await this.bootstrap(ctx, envs, applicationOf(tenant, home));
      const keep = new Set(applicationsOfIndex(tenant, home));
      const pending = await waitApplicationsGone(argo, tenant, name, keep, { signal: ctx.signal, now: ctx.now, ...(this.opts.offboardTimeoutMs !== undefined ? { timeoutMs: this.opts.offboardTimeoutMs } : {}) });
      if (pending.length > 0) {
        ctx.logger.warn({ tenant, environment: name, cluster: ctx.cluster.name, pending }, 'gitops: Argo CD had not deleted the Applications in time; the out-of-band objects, the directory and the AppProject stay');
        return { removed: [], pending, detail: { commit: null, changed: false } };
      }
    }
    const secrets = inventory.filter((r) => r.kind === 'Secret' && r.apiVersion === 'v1');
    for (const ref of secrets) await ctx.kube.delete(ref);
    await this.removeOutOfBandRest(ctx);
    const out = await this.opts.repos.mutate(tenant, async (ws) => {
      const detail = await change(ws);
      const envs = await this.writeArgo(ws, tenant);
      const made = await ws.commitIfChanged(commitMessage({ ...info(ctx, 'move', undefined), detail }), ctx.now());
      return { made, head: await ws.head(), envs };
    }, ctx.signal);
    if (argo) await narrowProject(argo, this.repoRef(tenant), out.envs);
    ctx.logger.info({ tenant, environment: name, cluster: ctx.cluster.name, commit: out.head }, 'gitops: removed the other copy');
    return { removed: inventory, pending: [], detail: { commit: out.head, changed: out.made !== null } };
  }

  /** The environment's index at the repo's HEAD (null: no repo, or not delivered). */
  private async homeIndex(ctx: DriverContext): Promise<RevisionIndex | null> {
    const { tenant, name } = ctx.environment;
    if (!(await this.opts.repos.exists(tenant))) return null;
    return this.opts.repos.read(tenant, (ws) => readIndex(ws, indexPathOf(name)), ctx.signal);
  }

  private readonly comparer = new DirectDriver();

  /** Archives the tenant's repo (tenant offboarded); the engine records the audit entry. */
  archiveTenant(tenant: string, now: Date): Promise<ArchiveResult | null> {
    return this.opts.repos.archive(tenant, now);
  }

  /** Rewrites argocd/ from every environment directory; returns the environments found. */
  private async writeArgo(ws: Workspace, tenant: string): Promise<RevisionIndex[]> {
    const envs = await indexesIn(ws);
    await ws.writeFiles(renderArgoFiles(this.repoRef(tenant), envs));
    return envs;
  }

  /** The revision with its chart repositories replaced by their mirrors (ids and objects unchanged). */
  private mirrored(revision: Revision): Revision {
    const m = this.opts.chartMirrors;
    if (!m) return revision;
    type Helm = Revision['helmValues'][number] & { repo?: string };
    const helmValues = revision.helmValues.map((h: Helm) => (h.repo && Object.hasOwn(m, h.repo) ? { ...h, repo: m[h.repo] } : h));
    return { ...revision, helmValues };
  }

  /**
   * A local repo is created on a tenant's first delivery. Missing later (a data volume not mounted, a
   * directory removed by hand), creating it again would push a history of this one environment over
   * everything Argo CD deploys for the tenant. So a missing repo of a tenant Argo CD already has a
   * project for is an error (retried: the volume may come back), never a fresh repo.
   */
  private async refuseLostRepo(ctx: DriverContext): Promise<void> {
    const tenant = ctx.environment.tenant;
    if (await this.opts.repos.exists(tenant)) return;
    const argo = await this.argoTarget(ctx);
    if (!argo) return;
    const project = await argo.kube.get({ apiVersion: ARGO_API, kind: 'AppProject', namespace: argo.namespace, name: tenant });
    if (project) {
      throw new Error(`gitops: tenant ${tenant}'s repository ${this.opts.repos.repoURL(tenant)} is missing, but Argo CD has its AppProject: not creating an empty one over what Argo CD deploys (restore the repository, or delete the AppProject if the tenant is gone)`);
    }
  }

  private repoRef(tenant: string) {
    return { tenant, repoURL: this.opts.repos.repoURL(tenant), argocdNamespace: this.namespace };
  }

  private get namespace(): string {
    return this.opts.argocdNamespace ?? ARGOCD_NAMESPACE;
  }

  private argoTarget(ctx: DriverContext): Promise<ArgoTarget | null> {
    return argoTargetFor(ctx, { ...(this.opts.argoKube ? { argoKube: this.opts.argoKube } : {}), ...(this.opts.argoCluster ? { argoCluster: this.opts.argoCluster } : {}), namespace: this.namespace });
  }

  /** Per-tenant chain: this process's bootstraps of one tenant run one at a time (read, widen, write). */
  private readonly bootstrapping = new Map<string, Promise<unknown>>();

  /**
   * The environments in the repo when the bootstrap reads it: those `commit` wrote while it is still
   * the branch's head (one ls-remote), else a fresh read (someone committed since: a move's copy).
   */
  private repoNow(ctx: DriverContext, commit: { head: string | null; envs: RevisionIndex[] }): () => Promise<RevisionIndex[]> {
    const tenant = ctx.environment.tenant;
    return async () => ((await this.opts.repos.head(tenant, ctx.signal)) === commit.head ? commit.envs : this.opts.repos.read(tenant, indexesIn, ctx.signal));
  }

  /** Installs the tenant's Argo CD objects for the environments in the repo when it runs (widening only; `envs` is read after the live objects). */
  private async bootstrap(ctx: DriverContext, envs: () => Promise<RevisionIndex[]>, app = applicationName(ctx.environment.tenant, ctx.environment.name)): Promise<void> {
    const argo = await this.argoTarget(ctx);
    if (!argo) return;
    const tenant = ctx.environment.tenant;
    const creds = (await this.opts.repoCredentials?.(tenant)) ?? null;
    const prior = this.bootstrapping.get(tenant) ?? Promise.resolve();
    const mine = prior.catch(() => undefined).then(() => bootstrapTenant(argo, this.repoRef(tenant), envs, creds));
    this.bootstrapping.set(tenant, mine);
    try {
      await mine;
    } finally {
      if (this.bootstrapping.get(tenant) === mine) this.bootstrapping.delete(tenant);
    }
    // The commit is pushed: have Argo CD read it now rather than at its next poll of the repo.
    await requestRefresh(argo, app);
    this.refreshedAt.set(app, ctx.now().getTime());
  }

  /** When each Application was last asked to refresh (verify asks again at most every REFRESH_EVERY_MS). */
  private readonly refreshedAt = new Map<string, number>();

  /** Which revision of this environment a commit holds (memoised: commits never change). */
  private readonly held = new Map<string, string | null>();

  private async revisionAt(ctx: DriverContext, commit: string, index: string): Promise<string | null> {
    const key = `${ctx.environment.tenant}/${index}@${commit}`;
    if (!this.held.has(key)) {
      const text = await this.opts.repos.read(ctx.environment.tenant, (ws) => ws.readFileAt(commit, index), ctx.signal);
      if (this.held.size > 10_000) this.held.clear();
      this.held.set(key, text ? deliveredKey(parseRevisionIndex(text)) : null);
    }
    return this.held.get(key) ?? null;
  }

  /** Argo CD's verdict (null = ready as far as Argo CD goes, or no Argo CD configured). */
  private async argoHealth(ctx: DriverContext, revision: Revision, at: AppAt) {
    const argo = await this.argoTarget(ctx);
    if (!argo) return null;
    const name = at.app;
    const snap = await argoSnapshot(await readApplication(argo, name), name, (c) => this.revisionAt(ctx, c, at.index), deliveredKey({ revision: revision.id, hibernated: revision.hibernated, singletonsHeld: holdsSingletons(revision) }));
    // Not there yet (an older commit, or a cached manifest error): ask Argo CD to look again, sparingly.
    const now = ctx.now().getTime();
    if (snap && snap.reason === 'NotSynced' && now - (this.refreshedAt.get(name) ?? 0) >= REFRESH_EVERY_MS) {
      this.refreshedAt.set(name, now);
      if (this.refreshedAt.size > 10_000) this.refreshedAt.clear();
      await requestRefresh(argo, name);
    }
    return snap;
  }

  /**
   * What Argo CD must not take from the tenant repo (Secrets, the guard rails) or cannot (its own sync
   * identity), applied directly. Every delivery re-applies them, so a deleted binding or a loosened
   * quota comes back. The order closes the gap an environment delivered under the older layout (guard
   * rails committed, so tracked by its Application) would otherwise open when its next commit drops
   * them, which Argo CD's prune would answer by deleting them:
   *   1. the AppProject stops permitting the guard-rail kinds (fenceGuardRails), which also hides live
   *      objects of them from the tenant's Applications: nothing to prune, nothing to re-adopt;
   *   2. the Namespace, taken over (applied by Fleetplane, Argo CD's tracking stripped);
   *   3. the sync identity, whose Role no longer writes guard rails (so an impersonated sync of the
   *      old commit cannot touch them either), and the old ClusterRole pair for the Namespace deleted;
   *   4. the other guard rails, taken over the same way; 5. the Secrets.
   * Only then does the commit without them land.
   */
  private async applyOutOfBand(ctx: DriverContext, tree: EnvironmentTree, app = applicationName(ctx.environment.tenant, ctx.environment.name)): Promise<void> {
    // Argo CD would meet the refusal, retry, and give up; what we update there would go with it.
    await waitWhileNamespaceTerminates(ctx);
    const argo = await this.argoTarget(ctx);
    if (argo) await fenceGuardRails(argo, ctx.environment.tenant);
    const rails = tree.guardRailObjects;
    const isNamespace = (o: KubeObject) => o.kind === 'Namespace' && o.apiVersion === 'v1';
    for (const obj of rails.filter(isNamespace)) await this.takeOver(ctx, obj, app);
    // Chart components render into the environment's namespace too (render/helm.ts).
    for (const obj of syncIdentityObjects(ctx.environment.tenant, ctx.environment.placement.namespace)) await ctx.kube.apply(obj, { force: true });
    await this.deleteLegacyNamespaceRole(ctx);
    for (const obj of rails.filter((o) => !isNamespace(o))) await this.takeOver(ctx, obj, app);
    for (const obj of tree.outOfBandObjects) await ctx.kube.apply(obj, { force: true });
  }

  /**
   * Server-side applies a guard rail as Fleetplane, then removes Argo CD's mark from it (annotation
   * tracking's `argocd.argoproj.io/tracking-id`; with label tracking, `app.kubernetes.io/instance` when
   * it names this environment's Application and the object itself does not carry that label), so no
   * Application counts it as its own any more. A no-op patch is never sent.
   */
  private async takeOver(ctx: DriverContext, obj: KubeObject, app: string): Promise<void> {
    const strip = trackingStrip(await ctx.kube.apply(obj, { force: true }), obj, app);
    if (!strip) return;
    await ctx.kube.mergePatch(refOf(obj), { metadata: strip });
    ctx.logger.info({ tenant: ctx.environment.tenant, environment: ctx.environment.name, object: `${obj.kind}/${obj.metadata.name}` }, 'gitops: guard rail taken over from Argo CD');
  }

  /** The ClusterRole pair an older layout gave the sync account for its Namespace (gone since the Namespace is a guard rail). */
  private async deleteLegacyNamespaceRole(ctx: DriverContext): Promise<void> {
    const name = syncClusterRoleName(ctx.environment.placement.namespace);
    for (const kind of ['ClusterRoleBinding', 'ClusterRole']) await ctx.kube.delete({ apiVersion: 'rbac.authorization.k8s.io/v1', kind, name });
  }

  /** Offboarding's out-of-band part after the Secrets: the legacy ClusterRole pair, then the Namespace (its guard rails, the sync identity and anything left go with it). */
  private async removeOutOfBandRest(ctx: DriverContext): Promise<void> {
    await this.deleteLegacyNamespaceRole(ctx);
    const ns = ctx.environment.placement.namespace;
    if (ns) await ctx.kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns });
  }

  /**
   * Out-of-band objects of the previous delivery this one no longer has: Secrets and guard rails (a
   * NetworkPolicy a release dropped; Argo CD pruned it while it was committed). Never the Namespace
   * (offboarding removes it).
   */
  private async pruneOutOfBand(ctx: DriverContext, tree: EnvironmentTree, before: ObjectRef[]): Promise<ObjectRef[]> {
    const keep = new Set([...tree.index.outOfBand, ...(tree.index.guardRails ?? [])].map(keyOf));
    const ours = (r: ObjectRef) => (r.kind === 'Secret' && r.apiVersion === 'v1') || (isGuardRail(r) && r.kind !== 'Namespace');
    const gone = before.filter((r) => ours(r) && !keep.has(keyOf(r)));
    for (const ref of gone) await ctx.kube.delete(ref);
    return gone;
  }

  private result(_ctx: DriverContext, tree: EnvironmentTree, prunedSecrets: ObjectRef[], detail: Record<string, unknown>): DeliverResult {
    const applied: ObjectRef[] = [...(tree.index.guardRails ?? []), ...tree.index.manifests.map(({ file: _f, hash: _h, ...ref }) => ref), ...tree.index.outOfBand];
    return { applied, pruned: prunedSecrets, inventory: applied, detail: { ...detail, repo: this.opts.repos.repoURL(tree.index.tenant), path: tree.dir } };
  }

}

/** The merge patch that removes Argo CD's tracking from a live object (see takeOver); null when it carries none. */
export function trackingStrip(live: KubeObject | null, desired: KubeObject, app: string): { annotations?: Record<string, null>; labels?: Record<string, null> } | null {
  const annotations = live?.metadata.annotations ?? {};
  const labels = live?.metadata.labels ?? {};
  const wanted = desired.metadata.labels ?? {};
  const strip: { annotations?: Record<string, null>; labels?: Record<string, null> } = {};
  if (annotations[ARGO_TRACKING_ANNOTATION] !== undefined) strip.annotations = { [ARGO_TRACKING_ANNOTATION]: null };
  if (labels[ARGO_TRACKING_LABEL] === app && wanted[ARGO_TRACKING_LABEL] !== app) strip.labels = { [ARGO_TRACKING_LABEL]: null };
  return strip.annotations || strip.labels ? strip : null;
}

/**
 * What a commit holds for verify: the revision id, marked when it is held at zero. The hibernated
 * copy keeps the id and hashes, so without the mark the awake commit before it would pass verify. So
 * does a GitOps move's copy or source with only its singletons held (and the Deployments' check reads
 * the live replicas, which the held commit has set to zero).
 */
export function deliveredKey(i: { revision: string; hibernated?: boolean | undefined; singletonsHeld?: boolean | undefined }): string {
  if (i.hibernated) return `${i.revision} (held at zero)`;
  return i.singletonsHeld ? `${i.revision} (singletons held at zero)` : i.revision;
}

/** Every index in the tree: each environment's, and each copy's of a moving environment (ADR 1030: its own Application). */
async function indexesIn(ws: Workspace): Promise<RevisionIndex[]> {
  const envs: RevisionIndex[] = [];
  for (const env of await ws.listDirs('environments')) {
    const home = await readIndex(ws, `environments/${env}/revision.json`);
    if (home) envs.push(home);
    for (const cluster of await ws.listDirs(`environments/${env}/copies`)) {
      const copy = await readIndex(ws, `environments/${env}/copies/${cluster}/revision.json`);
      if (copy) envs.push(copy);
    }
  }
  return envs;
}

async function readIndex(ws: Workspace, path: string): Promise<RevisionIndex | null> {
  const text = await ws.readFile(path);
  return text ? parseRevisionIndex(text) : null;
}

function revertMessage(subject: string, bad: string, c: CommitInfo): string {
  const trailers = commitMessage(c).split('\n\n')[1] ?? '';
  return `Revert "${subject}"\n\nThis reverts commit ${bad}: ${c.tenant}/${c.environment} back to revision ${c.revision}.\n\n${trailers.trimEnd()}\nFleetplane-Reverts: ${bad}\n`;
}
