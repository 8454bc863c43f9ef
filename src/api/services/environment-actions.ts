// Environment actions (upgrade, patch, scale, rollback, restart) as an application service, used by
// the action routes (api/routes/actions.ts) and by CloudEvents (api/routes/events.ts). Each planner
// validates the action against the environment's blueprint release, with the same value rules the
// engine applies (domain/values.ts: a null deletes a key), and says which Operation to queue; the
// engine applies its params when it runs it. A restart is a `reconfigure` with params.action "restart".
import type { Store } from '../../domain/ports/store.ts';
import { ConflictError, NotFoundError, type FieldIssue } from '../../domain/errors.ts';
import type { Environment, Operation, OperationKind } from '../../domain/types.ts';
import { IssueList } from '../../domain/validation.ts';
import { composePatches, mergeValues } from '../../domain/values.ts';
import { stepsFor } from '../../plan/workflows.ts';
import { assertKeyNotRecorded, assertSameOperationRequest, type IdempotentRequest } from './idempotency.ts';
import { envSpecIssues } from './releases.ts';

export interface ActionPlan {
  kind: OperationKind;
  params: Record<string, unknown>;
  issues: FieldIssue[];
}

export type Planner<B> = (store: Store, env: Environment, body: B) => Promise<ActionPlan>;

export interface UpgradeRequest { version: string }
export interface PatchRequest { values?: Record<string, unknown>; image?: { component?: string; tag: string } }
export interface ScaleRequest { component: string; replicas: number }
export interface RollbackRequest { revision?: string }
export interface RestartRequest { component?: string }
export interface HibernateRequest { reason?: string }

/** hibernate: every workload to zero, the revision kept (docs/ai-workloads.md); refused when it already is. */
export const hibernate: Planner<HibernateRequest> = async (store, env, body) => {
  if ((await store.ai.hibernation(env.tenant, env.name))?.state === 'hibernated') throw new ConflictError(`environment "${env.tenant}/${env.name}" is already hibernated`);
  if (!env.appliedRevision) throw new ConflictError(`environment "${env.tenant}/${env.name}" has not been delivered yet`);
  return { kind: 'hibernate', params: { reason: body.reason ?? 'manual' }, issues: [] };
};

/** wake: the current revision delivered as rendered again and verified Ready. */
export const wake: Planner<HibernateRequest> = async (store, env, body) => {
  if ((await store.ai.hibernation(env.tenant, env.name))?.state !== 'hibernated') throw new ConflictError(`environment "${env.tenant}/${env.name}" is not hibernated`);
  return { kind: 'wake', params: { reason: body.reason ?? 'manual' }, issues: [] };
};

export const upgrade: Planner<UpgradeRequest> = async (store, env, body) => ({
  kind: 'upgrade',
  params: { version: body.version, fromVersion: env.version },
  issues: await envSpecIssues(store, { ...env, version: body.version }, ''),
});

/** values (a patch: null deletes a key) and/or an image tag; validated as the engine will merge them. */
export const patch: Planner<PatchRequest> = async (store, env, body) => {
  let values = body.values ?? {};
  if (body.image) values = composePatches(values, await imageOverride(store, env, body.image));
  return { kind: 'patch', params: { values }, issues: await envSpecIssues(store, { ...env, values: mergeValues(env.values, values) }, '') };
};

/** An image tag for one component, or for every component with an image when none is named. */
async function imageOverride(store: Store, env: Environment, image: { component?: string; tag: string }): Promise<Record<string, unknown>> {
  const release = await store.blueprints.get(env.blueprint, env.version);
  const comps = ((release?.spec as { components?: Array<{ name: string; image?: unknown }> } | undefined)?.components ?? [])
    .filter((c) => c.image !== undefined).map((c) => c.name);
  const names = image.component ? [image.component] : comps;
  return { components: Object.fromEntries(names.map((n) => [n, { imageTag: image.tag }])) };
}

export const scale: Planner<ScaleRequest> = async (store, env, body) => {
  const values = mergeValues(env.values, { components: { [body.component]: { replicas: body.replicas } } });
  const issues = (await envSpecIssues(store, { ...env, values }, '')).map((i) => (i.field.startsWith(`/values/components/${body.component}`) ? { ...i, field: '/component' } : i));
  return { kind: 'scale', params: { component: body.component, replicas: body.replicas }, issues };
};

export const rollback: Planner<RollbackRequest> = async (store, env, body) => {
  const target = body.revision ?? env.lastGoodRevision ?? null;
  const issues: FieldIssue[] = [];
  if (!target) issues.push({ field: '/revision', message: 'no revision given and the environment has no last good revision' });
  else if (!(await store.revisions.get(env.tenant, env.name, target))) issues.push({ field: '/revision', message: `revision "${target}" is not known for this environment` });
  return { kind: 'rollback', params: { revision: target }, issues };
};

export const restart: Planner<RestartRequest> = async (_store, _env, body) => ({
  kind: 'reconfigure',
  params: { action: 'restart', ...(body.component ? { component: body.component } : {}) },
  issues: [],
});

export interface EnvAction<B> extends IdempotentRequest {
  tenant: string;
  env: string;
  body: B;
  planner: Planner<B>;
}

/** Validates and records one environment action; returns the (new or replayed) Operation. */
export async function startEnvAction<B>(store: Store, a: EnvAction<B>): Promise<{ operation: Operation; replayed: boolean }> {
  // Replay first: a retry after the environment was offboarded still gets its Operation.
  const prior = a.key ? await store.operations.findByIdempotencyKey(a.key) : null;
  if (prior) {
    assertSameOperationRequest(prior, a.requestHash);
    return { operation: prior, replayed: true };
  }
  await assertKeyNotRecorded(store, a.key);
  const what = `environment "${a.tenant}/${a.env}"`;
  const env = await store.environments.get(a.tenant, a.env);
  if (!env) throw new NotFoundError(`${what} not found`);
  if (env.health === 'Deleting' || env.health === 'Deleted') throw new ConflictError(`${what} is being offboarded`);
  const plan = await a.planner(store, env, a.body);
  new IssueList().add(...plan.issues).throwIfAny();
  const { operation, created } = await store.operations.create({
    kind: plan.kind, tenant: a.tenant, environment: a.env, params: { ...plan.params, requestHash: a.requestHash },
    steps: stepsFor(plan.kind), idempotencyKey: a.key ?? null, requestId: a.requestId ?? null,
  });
  if (!created) assertSameOperationRequest(operation, a.requestHash);
  return { operation, replayed: !created };
}
