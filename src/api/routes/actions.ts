// Tenant-scoped environment actions: POST /v1/tenants/{tenant}/environments/{env}:upgrade|patch|
// scale|rollback|restart. Each validates against the environment's blueprint release and answers
// 202 with a new Operation; the engine applies params when it runs it. A restart is a `reconfigure`
// operation with params.action = "restart".
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Store } from '../../domain/ports/store.ts';
import { ConflictError, type FieldIssue } from '../../domain/errors.ts';
import type { Environment, Operation, OperationKind } from '../../domain/types.ts';
import { IssueList, mergeValues } from '../../domain/validation.ts';
import { stepsFor } from '../../plan/workflows.ts';
import { assertCanAct, notFound } from '../auth.ts';
import type { Api, RouteModule } from '../context.ts';
import { assertKeyNotRecorded, assertSameRequest, idempotencyKey, markReplayed, requestHash } from '../http.ts';
import { EnvParams, IdempotencyHeaders, PatchBody, RestartBody, RollbackBody, ScaleBody, UpgradeBody } from '../schemas.ts';
import { envSpecIssues } from '../services/releases.ts';

type Params = Static<typeof EnvParams>;

interface ActionPlan {
  kind: OperationKind;
  params: Record<string, unknown>;
  issues: FieldIssue[];
}

type Planner<B> = (store: Store, env: Environment, body: B) => Promise<ActionPlan>;

const upgrade: Planner<Static<typeof UpgradeBody>> = async (store, env, body) => ({
  kind: 'upgrade',
  params: { version: body.version, fromVersion: env.version },
  issues: await envSpecIssues(store, { ...env, version: body.version }, ''),
});

export const patch: Planner<Static<typeof PatchBody>> = async (store, env, body) => {
  let values = body.values ?? {};
  if (body.image) values = mergeValues(values, await imageOverride(store, env, body.image));
  const merged = mergeValues(env.values, values);
  return { kind: 'patch', params: { values }, issues: await envSpecIssues(store, { ...env, values: merged }, '') };
};

/** An image tag for one component, or for every component with an image when none is named. */
async function imageOverride(store: Store, env: Environment, image: { component?: string; tag: string }): Promise<Record<string, unknown>> {
  const release = await store.blueprints.get(env.blueprint, env.version);
  const comps = ((release?.spec as { components?: Array<{ name: string; image?: unknown }> } | undefined)?.components ?? [])
    .filter((c) => c.image !== undefined).map((c) => c.name);
  const names = image.component ? [image.component] : comps;
  return { components: Object.fromEntries(names.map((n) => [n, { imageTag: image.tag }])) };
}

const scale: Planner<Static<typeof ScaleBody>> = async (store, env, body) => {
  const values = mergeValues(env.values, { components: { [body.component]: { replicas: body.replicas } } });
  const issues = (await envSpecIssues(store, { ...env, values }, '')).map((i) => (i.field.startsWith(`/values/components/${body.component}`) ? { ...i, field: '/component' } : i));
  return { kind: 'scale', params: { component: body.component, replicas: body.replicas }, issues };
};

const rollback: Planner<Static<typeof RollbackBody>> = async (store, env, body) => {
  const target = body.revision ?? env.lastGoodRevision ?? null;
  const issues: FieldIssue[] = [];
  if (!target) issues.push({ field: '/revision', message: 'no revision given and the environment has no last good revision' });
  else if (!(await store.revisions.get(env.tenant, env.name, target))) issues.push({ field: '/revision', message: `revision "${target}" is not known for this environment` });
  return { kind: 'rollback', params: { revision: target }, issues };
};

const restart: Planner<Static<typeof RestartBody>> = async (_store, _env, body) => ({
  kind: 'reconfigure',
  params: { action: 'restart', ...(body.component ? { component: body.component } : {}) },
  issues: [],
});

export interface EnvAction<B> {
  tenant: string;
  env: string;
  body: B;
  planner: Planner<B>;
  /** Scoped idempotency key, or undefined. */
  key?: string | undefined;
  requestHash: string;
  requestId?: string | undefined;
}

/** Validates and records one environment action; returns the (new or replayed) Operation. */
export async function startEnvAction<B>(store: Store, a: EnvAction<B>): Promise<{ operation: Operation; replayed: boolean }> {
  // Replay first: a retry after the environment was offboarded still gets its Operation.
  const prior = a.key ? await store.operations.findByIdempotencyKey(a.key) : null;
  if (prior) {
    assertSameRequest(prior, a.requestHash);
    return { operation: prior, replayed: true };
  }
  await assertKeyNotRecorded(store, a.key);
  const what = `environment "${a.tenant}/${a.env}"`;
  const env = await store.environments.get(a.tenant, a.env);
  if (!env) throw notFound(what);
  if (env.health === 'Deleting' || env.health === 'Deleted') throw new ConflictError(`${what} is being offboarded`);
  const plan = await a.planner(store, env, a.body);
  new IssueList().add(...plan.issues).throwIfAny();
  const { operation, created } = await store.operations.create({
    kind: plan.kind, tenant: a.tenant, environment: a.env, params: { ...plan.params, requestHash: a.requestHash },
    steps: stepsFor(plan.kind), idempotencyKey: a.key ?? null, requestId: a.requestId ?? null,
  });
  if (!created) assertSameRequest(operation, a.requestHash);
  return { operation, replayed: !created };
}

async function run<B>(store: Store, req: FastifyRequest<{ Params: Params; Body: B }>, reply: FastifyReply, planner: Planner<B>) {
  const { tenant, env } = req.params;
  assertCanAct(req, tenant, `environment "${tenant}/${env}"`);
  const { operation, replayed } = await startEnvAction(store, { tenant, env, body: req.body as B, planner, key: idempotencyKey(req), requestHash: requestHash(req), requestId: req.id });
  markReplayed(reply, replayed);
  return reply.status(202).header('location', `/v1/operations/${operation.id}`).send(operation);
}

function action<S extends TSchema>(app: Api, store: Store, a: { verb: string; body: S; planner: Planner<Static<S>>; summary: string }) {
  const { verb, body, planner, summary } = a;
  app.post(`/v1/tenants/:tenant/environments/:env(^[a-z0-9-]+)::${verb}`, {
    schema: { tags: ['environments'], summary, params: EnvParams, body, headers: IdempotencyHeaders },
  }, (req, reply) => run(store, req as FastifyRequest<{ Params: Params; Body: Static<S> }>, reply, planner));
}

const routes: RouteModule = (app, { store }) => {
  action(app, store, { verb: 'upgrade', body: UpgradeBody, planner: upgrade, summary: 'Upgrade to another release of the same blueprint' });
  action(app, store, { verb: 'patch', body: PatchBody, planner: patch, summary: 'Patch values or an image tag' });
  action(app, store, { verb: 'scale', body: ScaleBody, planner: scale, summary: 'Set the replicas of one component' });
  action(app, store, { verb: 'rollback', body: RollbackBody, planner: rollback, summary: 'Re-apply an earlier revision (default: last good)' });
  action(app, store, { verb: 'restart', body: RestartBody, planner: restart, summary: 'Restart the workloads (all, or one component)' });
};

export default routes;
