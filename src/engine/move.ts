// The move workflow (docs/clusters.md "Move and evacuate"): one environment from its cluster (the
// operation's params.from) to another (params.to, chosen or checked by the API before anything was
// written). Steps, each idempotent and resumable after a crash:
//   move-prepare       render for the target (its capabilities), record what runs on the source
//   move-deliver       server-side apply on the target, singleton workloads held at zero replicas
//   move-verify        the target's workloads Ready (parks while progressing)
//   move-stop-source   singletons scaled to zero on the source, parked until none of their pods is left
//   move-start-target  singletons started on the target; the whole revision verified Ready there
//   move-switch        the recorded placement and inventory now name the target
//   move-remove        the source's objects deleted (namespace last), once every PodDisruptionBudget
//                      the revision renders is met on the target (parked until then)
//   move-record        Ready, the Moving condition closed, audited, RTO when the move was a failover
// So a singleton is never live on two clusters and every other workload always has a Ready copy.
// An environment delivered through GitOps moves the same way in Git (ADR 1030): a second Application
// for the target (its copy under environments/<env>/copies/<to>/), the source's singletons held at
// zero by a commit (selfHeal would undo a scale), the copy made the environment's home at the switch,
// and the source's Application deleted by Argo CD (pruning the source) at the removal. Each commit is
// verified from the cluster before the next step, and a re-run step commits nothing new.
// A move that fails before move-switch leaves the environment where it was: what it delivered on
// the target is removed (best effort) and the Moving condition says so.
import { LeaseLostError, PermanentError, StepWaitingError } from '../domain/errors.ts';
import type { Environment, KubeObject, ObjectRef, Revision } from '../domain/types.ts';
import { refOf } from '../domain/kinds.ts';
import { blueprintFromRelease } from '../domain/blueprint.ts';
import { isSchedulable } from '../domain/cluster-health.ts';
import { environmentRenderInput, renderEnvironment } from '../render/index.ts';
import { dedupe } from '../plan/diff.ts';
import { setCondition } from '../plan/conditions.ts';
import { conditionsFor } from '../plan/conditions.ts';
import { budgetRefs, budgetStatus, budgetSummary, isSingleton, rtoSeconds, withSingletonsHeld } from '../plan/move.ts';
import { recheckDelayMs } from '../plan/workflows.ts';
import { clusterCapabilities, driverContext, driverFor, loadEnvironment, verifyTimeoutOf, type StepEnv } from './context.ts';
import { isCopyMoveDriver, type CopyMoveDriver, type Driver, type DriverContext, type VerifyResult } from './drivers/types.ts';
import { asDelivered } from './hibernate.ts';
import { setHealth } from './health.ts';
import { audit } from './audit.ts';

type StepOutput = Record<string, unknown>;

/** Field manager of the source's singleton replicas set to zero (its own, so the revision's fields stay). */
export const MOVE_FIELD_MANAGER = 'fleetplane-move';

const param = (s: StepEnv, k: string): string => {
  const v = s.op.params[k];
  if (typeof v !== 'string' || v === '') throw new PermanentError(`move ${s.op.id} has no ${k}`);
  return v;
};

const on = (env: Environment, cluster: string): Environment => ({ ...env, placement: { ...env.placement, cluster } });

interface Prepared { from: string; to: string; revision: string; sourceObjects: ObjectRef[]; singletons: ObjectRef[] }

function prepared(s: StepEnv): Prepared {
  const p = s.outputs['move-prepare'] as Prepared | undefined;
  if (!p) throw new PermanentError('move-prepare recorded nothing');
  return p;
}

/** The driver's copy-move methods when the environment is not delivered directly (GitOps: ADR 1030), else null. */
export function copyMover(s: StepEnv, env: Environment): (Driver & CopyMoveDriver) | null {
  if (env.delivery === 'direct') return null;
  const d = driverFor(s.deps, env);
  if (!isCopyMoveDriver(d)) throw new PermanentError(`the ${env.delivery} driver of this process cannot move an environment`);
  return d;
}

/** The revision running on the source when the move began (as delivered: hibernation kept). */
async function sourceRevision(s: StepEnv): Promise<Revision> {
  const id = (s.outputs['move-prepare'] as { sourceRevision?: string } | undefined)?.sourceRevision;
  if (!id) throw new PermanentError('move-prepare recorded no source revision');
  const rev = await s.deps.store.revisions.get(s.op.tenant, s.op.environment ?? '', id);
  if (!rev) throw new PermanentError(`revision ${id} is not stored`);
  return (await asDelivered(s, rev)).revision;
}

async function targetRevision(s: StepEnv): Promise<Revision> {
  const id = prepared(s).revision;
  const rev = await s.deps.store.revisions.get(s.op.tenant, s.op.environment ?? '', id);
  if (!rev) throw new PermanentError(`revision ${id} is not stored`);
  return (await asDelivered(s, rev)).revision;
}

async function ctxOn(s: StepEnv, env: Environment, cluster: string): Promise<DriverContext> {
  return driverContext(s, on(env, cluster));
}

function moving(s: StepEnv, env: Environment, status: 'True' | 'False', reason: string, message: string) {
  return setCondition(env.conditions, { type: 'Moving', status, reason, message }, s.deps.now());
}

export async function movePrepareStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const from = param(s, 'from');
  const to = param(s, 'to');
  if (env.delivery !== 'direct' && !isCopyMoveDriver(driverFor(s.deps, env))) throw new PermanentError(`the ${env.delivery} driver of this process cannot move an environment`);
  if (env.placement.cluster !== from) throw new PermanentError(`${env.tenant}/${env.name} is on ${env.placement.cluster}, not ${from}: it moved meanwhile`);
  if (!env.appliedRevision) throw new PermanentError(`${env.tenant}/${env.name} has nothing delivered to move`);
  const [tenant, release] = await Promise.all([s.deps.store.tenants.get(env.tenant), s.deps.store.blueprints.get(env.blueprint, env.version)]);
  if (!tenant) throw new PermanentError(`tenant ${env.tenant} does not exist`);
  if (!release) throw new PermanentError(`blueprint ${env.blueprint}@${env.version} is not published`);
  // Rendered for the target: what it can run (capabilities) decides the workload forms.
  const capabilities = await clusterCapabilities(s.deps, to);
  const out = renderEnvironment(environmentRenderInput(tenant, on(env, to), blueprintFromRelease(release), { values: env.values, platform: s.deps.platform, capabilities }));
  await s.deps.store.revisions.save({
    id: out.revision, tenant: env.tenant, environment: env.name, blueprint: out.blueprint, version: out.version,
    objects: out.objects, helmValues: out.helmValues, createdAt: s.deps.now().toISOString(),
  });
  const inv = await s.deps.store.queue.inventory(env.tenant, env.name);
  const applied = await s.deps.store.revisions.get(env.tenant, env.name, env.appliedRevision);
  const sourceObjects = dedupe([...inv.objects, ...(applied?.objects.map((o) => refOf(o.object)) ?? [])]);
  const singletons = out.objects.map((o) => o.object).filter(isSingleton).map(refOf);
  await s.claimed.setEnvironmentStatus(env.tenant, env.name, { conditions: moving(s, env, 'True', 'Moving', `moving from ${from} to ${to} (operation ${s.op.id})`) });
  return { from, to, revision: out.revision, sourceRevision: env.appliedRevision, sourceObjects, singletons, objects: out.objects.length };
}

export async function moveDeliverStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const p = prepared(s);
  const rev = withSingletonsHeld(await targetRevision(s));
  const mover = copyMover(s, env);
  const ctx = await ctxOn(s, env, p.to);
  const res = mover ? await mover.deliverCopy(ctx, rev) : await driverFor(s.deps, env).deliver(ctx, rev, { revision: null, inventory: [] });
  return { cluster: p.to, revision: rev.id, applied: res.applied.length, inventory: res.inventory, heldSingletons: p.singletons.length, ...(mover ? { commit: res.detail?.commit, application: res.detail?.application } : {}) };
}

async function verifyOn(s: StepEnv, env: Environment, cluster: string, rev: Revision): Promise<number | undefined> {
  const startedAt = s.waiting ? Date.parse(s.waiting.since) : s.deps.now().getTime();
  const opts = { timeoutMs: verifyTimeoutOf(s.deps.config, env), startedAt, holdMs: s.deps.config.verifyHoldMs };
  const ctx = await ctxOn(s, env, cluster);
  const mover = copyMover(s, env);
  // GitOps: the copy's own Application (before the switch the environment's index still names the source's).
  const v: VerifyResult = mover ? await mover.verifyCopy(ctx, rev, opts) : await driverFor(s.deps, env).verify(ctx, rev, opts);
  if (v.waiting) throw new StepWaitingError(`${cluster}: ${v.message ?? 'progressing'}`, recheckDelayMs((s.waiting?.waits ?? 0) + 1));
  if (!v.ready) throw new PermanentError(`not Ready on ${cluster}: ${v.message ?? v.reason ?? 'not ready'}`);
  return s.waiting ? s.waiting.waits + 1 : undefined;
}

export async function moveVerifyStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const p = prepared(s);
  const checks = await verifyOn(s, env, p.to, withSingletonsHeld(await targetRevision(s)));
  return { cluster: p.to, ready: true, ...(checks ? { checks } : {}) };
}

/** Whether the source answers its heartbeat; a failover move does not wait on a lost cluster. */
async function sourceLost(s: StepEnv, from: string): Promise<string | null> {
  if (s.op.params.sourceLost !== true) return null;
  const c = await s.deps.store.clusters.get(from);
  return c && !isSchedulable(c.health) ? `source ${from} is ${c.health!.state} since ${c.health!.since}` : null;
}

const selectorOf = (o: KubeObject): string =>
  Object.entries((o.spec as { selector?: { matchLabels?: Record<string, string> } } | undefined)?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');

export async function moveStopSourceStep(s: StepEnv): Promise<StepOutput> {
  const p = prepared(s);
  if (p.singletons.length === 0) return { singletons: 0 };
  const lost = await sourceLost(s, p.from);
  const env = await loadEnvironment(s);
  const mover = copyMover(s, env);
  if (lost) {
    // GitOps: held in Git all the same, so the source comes back with them at zero (Argo CD applies it).
    const held = mover ? await mover.holdSource(await ctxOn(s, env, p.from), withSingletonsHeld(await sourceRevision(s))) : null;
    return { singletons: p.singletons.length, skipped: `${lost}: its singletons cannot be stopped; they are started on ${p.to} (failover)`, ...(held ? { commit: held.commit } : {}) };
  }
  const ctx = await ctxOn(s, env, p.from);
  if (mover) return stopSourceInGit(s, mover, ctx, p);
  const rev = await targetRevision(s);
  let left = 0;
  for (const ref of p.singletons) {
    const want = rev.objects.map((o) => o.object).find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    left += await stopOnSource(ctx, ref, want);
  }
  // Not one pod of a singleton may remain on the source (terminating ones included) before the target starts it.
  if (left > 0) throw new StepWaitingError(`${p.from}: ${left} singleton pods still stopping`, recheckDelayMs((s.waiting?.waits ?? 0) + 1));
  return { singletons: p.singletons.length, stoppedOn: p.from, stoppedAt: s.deps.now().toISOString() };
}

/**
 * GitOps: a commit of the source's revision with its singletons held at zero (Argo CD applies it;
 * selfHeal would undo a scale through the cluster), parked until the source's singletons are at zero
 * and none of their pods is left there, read from the cluster.
 */
async function stopSourceInGit(s: StepEnv, mover: CopyMoveDriver, ctx: DriverContext, p: Prepared): Promise<StepOutput> {
  const source = await sourceRevision(s);
  const held = await mover.holdSource(ctx, withSingletonsHeld(source));
  let left = 0;
  for (const ref of p.singletons) {
    const want = source.objects.map((o) => o.object).find((o) => o.kind === ref.kind && o.metadata.name === ref.name);
    left += await stillRunning(ctx, ref, want);
  }
  if (left > 0) throw new StepWaitingError(`${p.from}: ${left} singleton pods or replicas left after the commit holding them at zero (${held.commit?.slice(0, 12) ?? 'none'})`, recheckDelayMs((s.waiting?.waits ?? 0) + 1));
  return { singletons: p.singletons.length, stoppedOn: p.from, stoppedAt: s.deps.now().toISOString(), commit: held.commit, changed: held.changed };
}

/** A singleton's replicas still above zero on the cluster (1) plus its pods still there, terminating ones included. */
async function stillRunning(ctx: DriverContext, ref: ObjectRef, want: KubeObject | undefined): Promise<number> {
  const live = await ctx.kube.get(ref);
  if (!live) return 0;
  const up = (live.spec as { replicas?: number } | undefined)?.replicas !== 0 ? 1 : 0;
  const selector = selectorOf(want ?? live);
  if (!selector) return up;
  return up + (await ctx.kube.list({ apiVersion: 'v1', kind: 'Pod', ...(ref.namespace ? { namespace: ref.namespace } : {}), labelSelector: selector })).length;
}

/** Sets one workload's replicas to zero under the move's own field manager (the revision's fields stay). */
export async function scaleToZero(ctx: DriverContext, ref: ObjectRef): Promise<void> {
  await ctx.kube.apply({ apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, namespace: ref.namespace }, spec: { replicas: 0 } } as KubeObject, { fieldManager: MOVE_FIELD_MANAGER, force: true });
}

/** Scales one singleton to zero on the source (its own field manager); how many of its pods are still there. */
async function stopOnSource(ctx: DriverContext, ref: ObjectRef, want: KubeObject | undefined): Promise<number> {
  const live = await ctx.kube.get(ref);
  if (!live) return 0;
  if ((live.spec as { replicas?: number } | undefined)?.replicas !== 0) await scaleToZero(ctx, ref);
  const selector = selectorOf(want ?? live);
  if (!selector) return 0;
  return (await ctx.kube.list({ apiVersion: 'v1', kind: 'Pod', ...(ref.namespace ? { namespace: ref.namespace } : {}), labelSelector: selector })).length;
}

export async function moveStartTargetStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const p = prepared(s);
  const rev = await targetRevision(s);
  const ctx = await ctxOn(s, env, p.to);
  const mover = copyMover(s, env);
  // GitOps: the copy committed with its singletons at their replicas (after the source's hold is verified).
  if (mover) await mover.deliverCopy(ctx, rev);
  else for (const o of rev.objects.map((r) => r.object).filter(isSingleton)) await ctx.kube.apply(o, { force: true });
  const checks = await verifyOn(s, env, p.to, rev);
  return { cluster: p.to, ready: true, readyAt: s.deps.now().toISOString(), startedSingletons: p.singletons.length, ...(checks ? { checks } : {}) };
}

export async function moveSwitchStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const p = prepared(s);
  const delivered = s.outputs['move-deliver'] as { inventory?: ObjectRef[] } | undefined;
  const mover = copyMover(s, env);
  // GitOps: one commit makes the copy the environment's home before the store says so.
  const promoted = mover ? await mover.promoteCopy(await ctxOn(s, env, p.to)) : null;
  if (!(await s.claimed.saveInventory(env.tenant, env.name, { revision: p.revision, objects: delivered?.inventory ?? [] }))) throw new LeaseLostError('lease lost while switching: another worker owns this move now');
  const updated = await s.claimed.setEnvironmentStatus(env.tenant, env.name, {
    cluster: p.to, appliedRevision: p.revision, desiredRevision: p.revision,
    conditions: moving(s, env, 'True', 'Switched', `placed on ${p.to}; removing from ${p.from}`),
  });
  if (!updated) throw new LeaseLostError('lease lost while switching: another worker owns this move now');
  return { from: p.from, to: p.to, switchedAt: s.deps.now().toISOString(), ...(promoted ? { commit: promoted.commit, changed: promoted.changed } : {}) };
}

export async function moveRemoveStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const p = prepared(s);
  const lost = await sourceLost(s, p.from);
  if (lost) return { cluster: p.from, removed: 0, left: p.sourceObjects.length, skipped: `${lost}: its objects are left there` };
  const budgets = await budgetsMet(s, env, p);
  const mover = copyMover(s, env);
  if (mover) {
    const res = await mover.removeSource(await ctxOn(s, env, p.from), p.sourceObjects);
    if (res.pending.length > 0) throw new StepWaitingError(`${p.from}: Argo CD has not deleted ${res.pending.join(', ')} yet`, recheckDelayMs((s.waiting?.waits ?? 0) + 1));
    return { cluster: p.from, removed: res.removed.length, removedAt: s.deps.now().toISOString(), commit: res.detail?.commit, ...(budgets ? { disruptionBudgets: budgets } : {}) };
  }
  const res = await driverFor(s.deps, env).remove(await ctxOn(s, env, p.from), p.sourceObjects);
  return { cluster: p.from, removed: res.removed.length, removedAt: s.deps.now().toISOString(), ...(budgets ? { disruptionBudgets: budgets } : {}) };
}

/**
 * Before the source copy goes: every PodDisruptionBudget the revision renders must be met on the
 * target (plan/move.ts budgetStatus); parks while one is not, fails the move (source copy left in
 * place) when one is still not met after the verify timeout. The source's budgets are read and
 * reported. The summary for the evacuation record, or null when the revision renders none.
 */
async function budgetsMet(s: StepEnv, env: Environment, p: Prepared): Promise<string | null> {
  const refs = budgetRefs(await targetRevision(s));
  if (refs.length === 0) return null;
  const target = await ctxOn(s, env, p.to);
  const states = await Promise.all(refs.map(async (r) => budgetStatus(r.name, await target.kube.get(r))));
  const unmet = states.filter((b) => !b.met);
  const now = s.deps.now().getTime();
  const since = s.waiting ? Date.parse(s.waiting.since) : now;
  if (unmet.length > 0) {
    const what = `PodDisruptionBudget ${unmet.map((b) => `${b.name} (${b.why})`).join(', ')} on ${p.to}`;
    const limitMs = verifyTimeoutOf(s.deps.config, env);
    if (now - since >= limitMs) throw new PermanentError(`${what} not met within ${Math.round(limitMs / 1000)}s: the copy on ${p.from} is left in place`);
    throw new StepWaitingError(`waiting on ${what}: the copy on ${p.from} stays until it is met`, recheckDelayMs((s.waiting?.waits ?? 0) + 1));
  }
  const source = await ctxOn(s, env, p.from);
  const onSource = await Promise.all(p.sourceObjects.filter((r) => r.kind === 'PodDisruptionBudget').map(async (r) => {
    const live = await source.kube.get(r);
    return live ? budgetStatus(r.name, live) : { name: r.name, missing: true as const };
  }));
  const waited = s.waiting ? { checks: s.waiting.waits, seconds: Math.round((now - since) / 100) / 10 } : null;
  return budgetSummary(p.to, p.from, states, onSource, waited);
}

export async function moveRecordStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const p = prepared(s);
  const readyAt = (s.outputs['move-start-target'] as { readyAt?: string } | undefined)?.readyAt ?? s.deps.now().toISOString();
  const lostAt = typeof s.op.params.lostAt === 'string' ? s.op.params.lostAt : null;
  const rto = lostAt ? rtoSeconds(lostAt, readyAt) : null;
  const moveSeconds = rtoSeconds(s.op.createdAt, readyAt);
  const message = `moved from ${p.from} to ${p.to}; Ready there ${moveSeconds}s after the move was asked${rto !== null ? `, ${rto}s after ${p.from} was lost` : ''}`;
  const updated = await setHealth(s, env, 'verified', {
    with: (health) => ({
      appliedRevision: p.revision, lastGoodRevision: p.revision,
      conditions: setCondition(conditionsFor(env.conditions, health, { reason: 'Moved', message }, s.deps.now()), { type: 'Moving', status: 'False', reason: 'Moved', message }, s.deps.now()),
    }),
  });
  if (!updated) throw new LeaseLostError('lease lost while recording the move: another worker owns it now');
  await audit(s, 'environment.move', { from: p.from, to: p.to, revision: p.revision, readyAt, moveSeconds, ...(rto !== null ? { rtoSeconds: rto, lostAt } : {}) });
  return { from: p.from, to: p.to, revision: p.revision, readyAt, moveSeconds, ...(rto !== null ? { rtoSeconds: rto, lostAt } : {}) };
}

/** Before the switch: removes what the move delivered on the target; says what it did. */
async function undoTarget(s: StepEnv, env: Environment, p: Prepared): Promise<string> {
  const delivered = s.outputs['move-deliver'] as { inventory?: ObjectRef[] } | undefined;
  let out: string;
  const mover = copyMover(s, env);
  if (mover) return undoCopy(s, mover, env, p, delivered?.inventory ?? []);
  try {
    const res = await driverFor(s.deps, env).remove(await ctxOn(s, env, p.to), delivered?.inventory ?? []);
    out = `; removed ${res.removed.length} objects from ${p.to}`;
  } catch (err) {
    out = `; could not remove what was delivered on ${p.to}: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (s.outputs['move-stop-source'] && p.singletons.length > 0) out += `; its singletons are stopped on ${p.from} (scale them back or move again)`;
  return out;
}

/**
 * GitOps before the switch: the source's singletons committed back at their replicas (when the
 * stop-source step held them), the copy's directory removed (Argo CD deletes its Application and
 * prunes the target), the target's out-of-band objects deleted. Best effort; says what it did.
 */
async function undoCopy(s: StepEnv, mover: CopyMoveDriver, env: Environment, p: Prepared, inventory: ObjectRef[]): Promise<string> {
  const errText = (err: unknown) => (err instanceof Error ? err.message : String(err));
  let out: string;
  let gone = false;
  try {
    const res = await mover.removeCopy(await ctxOn(s, env, p.to), inventory);
    gone = res.pending.length === 0;
    out = gone ? `; the copy on ${p.to} is removed` : `; the copy on ${p.to} is removed from Git, Argo CD had not deleted ${res.pending.join(', ')} yet`;
  } catch (err) {
    out = `; could not remove the copy on ${p.to}: ${errText(err)}`;
  }
  // The source's singletons start again only once the copy is gone (never live on both).
  if (p.singletons.length > 0 && s.outputs['move-stop-source']) {
    if (!gone) return `${out}; its singletons stay held at zero on ${p.from} (commit them back once the copy is gone, or move again)`;
    try {
      const back = await mover.holdSource(await ctxOn(s, env, p.from), await sourceRevision(s));
      if (back.changed) out += `; its singletons committed back at their replicas on ${p.from}`;
    } catch (err) {
      out += `; could not commit its singletons back on ${p.from}: ${errText(err)}`;
    }
  }
  return out;
}

/**
 * A move failed for good. Before the switch the environment still runs on the source: what was
 * delivered on the target is removed (best effort) and the Moving condition says where things are.
 * Health is left as it was (the source copy still serves).
 */
export async function markMoveFailed(s: StepEnv, step: string, message: string): Promise<void> {
  const env = await s.deps.store.environments.get(s.op.tenant, s.op.environment ?? '');
  if (!env) return;
  const p = s.outputs['move-prepare'] as Prepared | undefined;
  const switched = s.outputs['move-switch'] !== undefined;
  const cleanup = p && !switched ? await undoTarget(s, env, p) : '';
  const where = switched ? `placed on ${p?.to}` : `still on ${p?.from ?? env.placement.cluster}`;
  await s.claimed.setEnvironmentStatus(env.tenant, env.name, { conditions: moving(s, env, 'False', 'MoveFailed', `move ${s.op.id} failed at ${step}: ${message}; ${where}${cleanup}`) });
}
