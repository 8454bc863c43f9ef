// The named steps of every workflow (see plan/workflows.ts). Each is idempotent: it reads what it
// needs from the store and earlier steps' outputs, and its writes are fenced by the lease.
import { blueprintFromRelease } from '../domain/blueprint.ts';
import { LeaseLostError, PermanentError, StepWaitingError, VerifyFailedError } from '../domain/errors.ts';
import { LABELS, RESTART_FIELD_MANAGER, type Environment, type KubeObject, type Revision } from '../domain/types.ts';
import type { DriverContext } from './drivers/types.ts';
import { environmentRenderInput, explainedChoices, renderEnvironment } from '../render/index.ts';
import { conditionsFor } from '../plan/conditions.ts';
import { desiredSpec } from '../plan/values.ts';
import { dedupe } from '../plan/diff.ts';
import { refOf } from '../domain/kinds.ts';
import { recheckDelayMs, type StepName } from '../plan/workflows.ts';
import { clusterCapabilities, driverContext, driverFor, loadEnvironment, type StepEnv, verifyTimeoutOf } from './context.ts';
import { placeStep } from './place.ts';
import { audit } from './audit.ts';
import { setHealth } from './health.ts';
import { checkHoldStep, recordOffboardStep, removeStep } from './offboard.ts';
import { asDelivered, hibernateStep, hibernatedCondition, wakeStep } from './hibernate.ts';
import { reclaimRecordStep, reclaimRemoveStep } from './reclaim.ts';
import { moveDeliverStep, movePrepareStep, moveRecordStep, moveRemoveStep, moveStartTargetStep, moveStopSourceStep, moveSwitchStep, moveVerifyStep } from './move.ts';

export type StepOutput = Record<string, unknown>;
type StepFn = (s: StepEnv) => Promise<StepOutput>;

export async function loadRevision(s: StepEnv, id: string): Promise<Revision> {
  const rev = await s.deps.store.revisions.get(s.op.tenant, s.op.environment ?? '', id);
  if (!rev) throw new PermanentError(`revision ${id} of ${s.op.tenant}/${s.op.environment} is not stored`);
  return rev;
}

const revisionOf = (s: StepEnv): string => {
  const id = s.outputs.render?.revision ?? s.outputs.hibernate?.revision ?? s.outputs.wake?.revision;
  if (typeof id !== 'string') throw new PermanentError('render step recorded no revision');
  return id;
};

async function renderStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const before = { previousRevision: env.appliedRevision ?? null, previousVersion: env.version, previousValues: env.values };
  if (s.op.kind === 'rollback') {
    const target = typeof s.op.params.revision === 'string' ? s.op.params.revision : env.lastGoodRevision;
    if (!target) throw new PermanentError('nothing to roll back to: no revision given and no last good revision');
    const rev = await loadRevision(s, target);
    await setHealth(s, env, 'deploy', { with: () => ({ desiredRevision: rev.id, version: rev.version }) });
    return { revision: rev.id, ...before };
  }
  const spec = desiredSpec(env, s.op.params);
  const [tenant, release] = await Promise.all([s.deps.store.tenants.get(env.tenant), s.deps.store.blueprints.get(env.blueprint, spec.version)]);
  if (!tenant) throw new PermanentError(`tenant ${env.tenant} does not exist`);
  if (!release) throw new PermanentError(`blueprint ${env.blueprint}@${spec.version} is not published`);
  // A stored release keeps the document's spec; parsed (validated) here, once per render.
  // A self-managed environment runs on the customer's cluster, which Fleetplane cannot ask: its bundle
  // carries the portable forms (Deployment, Job), which need no CRD.
  const capabilities = s.channel === 'self-managed' ? [] : await clusterCapabilities(s.deps, env.placement.cluster);
  const out = renderEnvironment(environmentRenderInput(tenant, env, blueprintFromRelease(release), { values: spec.values, platform: s.deps.platform, capabilities }));
  await s.deps.store.revisions.save({
    id: out.revision, tenant: env.tenant, environment: env.name, blueprint: out.blueprint, version: out.version,
    objects: out.objects, helmValues: out.helmValues, createdAt: s.deps.now().toISOString(),
  });
  await setHealth(s, env, 'deploy', {
    with: (health) => ({
      desiredRevision: out.revision, version: spec.version, values: spec.values, namespace: out.namespace,
      conditions: conditionsFor(env.conditions, health, s.channel === 'self-managed'
        ? { reason: 'Publishing', message: `publishing revision ${out.revision} as a bundle (${s.op.kind})` }
        : { reason: 'Delivering', message: `delivering revision ${out.revision} (${s.op.kind})` }, s.deps.now()),
    }),
  });
  // How each AI or scale-to-zero component was rendered on this cluster, and why (docs/ai-workloads.md).
  const choices = explainedChoices(out.choices);
  return { revision: out.revision, objects: out.objects.length, ...(choices.length > 0 ? { choices } : {}), ...before };
}

async function deliverStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  // A hibernated environment gets the revision held at zero (a rollout updates it without waking it).
  const { revision: rev, hibernated } = await asDelivered(s, await loadRevision(s, revisionOf(s)));
  const q = s.deps.store.queue;
  const inv = await q.inventory(env.tenant, env.name);
  const prev = inv.revision ? await s.deps.store.revisions.get(env.tenant, env.name, inv.revision) : null;
  // Write-ahead: the inventory covers old and new objects while applying, so a failed delivery
  // followed by a rollback still prunes whatever part of the new revision got applied.
  const ahead = dedupe([...inv.objects, ...rev.objects.map((o) => refOf(o.object))]);
  if (!(await s.claimed.saveInventory(env.tenant, env.name, { revision: inv.revision, objects: ahead }))) throw lostLease();
  const ctx = await driverContext(s, env);
  const res = await driverFor(s.deps, env).deliver(ctx, rev, { revision: prev, inventory: inv.objects });
  if (!(await s.claimed.saveInventory(env.tenant, env.name, { revision: rev.id, objects: res.inventory }))) throw lostLease();
  await s.claimed.setEnvironmentStatus(env.tenant, env.name, { appliedRevision: rev.id });
  const restarted = s.op.params.action === 'restart' ? await restartWorkloads(s, ctx, rev) : [];
  return { revision: rev.id, applied: res.applied.length, pruned: res.pruned.length, ...(hibernated ? { hibernated } : {}), ...(restarted.length > 0 ? { restarted } : {}), ...(res.detail ?? {}) };
}

/**
 * restart (a reconfigure with params.action "restart"): stamp the pod template like `kubectl rollout
 * restart`, under its own field manager so the revision's own applies never remove it. The stamp is
 * the operation's creation time, so re-running the step doesn't restart twice. Fenced by ctx.kube.
 */
async function restartWorkloads(s: StepEnv, ctx: DriverContext, rev: Revision): Promise<string[]> {
  const only = typeof s.op.params.component === 'string' ? s.op.params.component : null;
  const targets = rev.objects.map((o) => o.object).filter((o) => o.kind === 'Deployment' && (!only || o.metadata.labels?.[LABELS.component] === only || o.metadata.name === only));
  for (const d of targets) {
    await ctx.kube.apply({
      apiVersion: d.apiVersion, kind: d.kind, metadata: { name: d.metadata.name, namespace: d.metadata.namespace },
      spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': s.op.createdAt } } } },
    } as KubeObject, { fieldManager: RESTART_FIELD_MANAGER, force: true });
  }
  return targets.map((d) => d.metadata.name);
}

/**
 * Checks the rollout for up to verifyHoldMs; while it is still progressing the step is parked
 * (StepWaitingError) and the worker moves on, like a controller's RequeueAfter. The timeout counts
 * from when this attempt first began waiting, across parks.
 */
async function verifyStep(s: StepEnv): Promise<StepOutput> {
  const env = await loadEnvironment(s);
  const { revision: rev } = await asDelivered(s, await loadRevision(s, revisionOf(s)));
  const ctx = await driverContext(s, env);
  const startedAt = s.waiting ? Date.parse(s.waiting.since) : s.deps.now().getTime();
  const v = await driverFor(s.deps, env).verify(ctx, rev, { timeoutMs: verifyTimeoutOf(s.deps.config, env), startedAt, holdMs: s.deps.config.verifyHoldMs });
  if (v.waiting) throw new StepWaitingError(v.message ?? 'progressing', recheckDelayMs((s.waiting?.waits ?? 0) + 1));
  if (!v.ready) throw new VerifyFailedError(v.message ?? v.reason ?? 'not ready', v.reason ?? 'NotReady');
  return { revision: rev.id, ready: true, ...(s.waiting ? { checks: s.waiting.waits + 1 } : {}) };
}

async function recordStep(s: StepEnv): Promise<StepOutput> {
  if (s.op.kind === 'offboard') return recordOffboardStep(s);
  const env = await loadEnvironment(s);
  const id = revisionOf(s);
  if (s.channel === 'self-managed') return publishStep(s, env, id);
  const hib = await s.deps.store.ai.hibernation(env.tenant, env.name);
  const hibernated = hib?.state === 'hibernated';
  const updated = await setHealth(s, env, 'verified', {
    with: (health) => {
      const base = conditionsFor(env.conditions, health, { reason: 'Verified', message: hibernated ? `revision ${id} is delivered, held at zero (hibernated)` : `revision ${id} is ready` }, s.deps.now()).filter((c) => c.type !== 'Drifted');
      return { appliedRevision: id, lastGoodRevision: id, conditions: hib ? hibernatedCondition(s, base, hibernated, id) : base };
    },
  });
  if (!updated) throw lostLease();
  await audit(s, `environment.${s.op.kind}`, { revision: id, version: env.version });
  return { revision: id, health: 'Ready' };
}

/**
 * The self-managed record step: the rendered revision is what the tenant's bundle now carries
 * (GET /v1/tenants/{tenant}/bundles/{env} builds it from the stored revision). Nothing was applied,
 * so appliedRevision stays as it was; lastGoodRevision is the one published.
 */
async function publishStep(s: StepEnv, env: Environment, id: string): Promise<StepOutput> {
  const updated = await setHealth(s, env, 'published', {
    with: (health) => ({
      lastGoodRevision: id,
      conditions: conditionsFor(env.conditions, health, { reason: 'Published', message: `revision ${id} (${env.version}) is published as a signed bundle for the customer to install` }, s.deps.now()),
    }),
  });
  if (!updated) throw lostLease();
  await audit(s, `environment.${s.op.kind}`, { revision: id, version: env.version, published: true });
  return { revision: id, health: 'Published', version: env.version };
}

const lostLease = (): LeaseLostError => new LeaseLostError('lease lost: another worker owns this operation now');

export const STEPS: Record<StepName, StepFn> = {
  place: placeStep,
  render: renderStep,
  deliver: deliverStep,
  verify: verifyStep,
  record: recordStep,
  'check-hold': checkHoldStep,
  remove: removeStep,
  hibernate: hibernateStep,
  wake: wakeStep,
  'move-prepare': movePrepareStep,
  'move-deliver': moveDeliverStep,
  'move-verify': moveVerifyStep,
  'move-stop-source': moveStopSourceStep,
  'move-start-target': moveStartTargetStep,
  'move-switch': moveSwitchStep,
  'move-remove': moveRemoveStep,
  'move-record': moveRecordStep,
  'reclaim-remove': reclaimRemoveStep,
  'reclaim-record': reclaimRecordStep,
};
