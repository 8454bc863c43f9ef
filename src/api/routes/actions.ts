// Tenant-scoped environment actions: POST /v1/tenants/{tenant}/environments/{env}:upgrade|patch|
// scale|rollback|restart|hibernate|wake|move. Each answers 202 with a new Operation (or the replayed one); the
// validation and planning are the environment-actions service (api/services/environment-actions.ts).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Static, TSchema } from '@sinclair/typebox';
import type { Store } from '../../domain/ports/store.ts';
import { assertCanAct } from '../auth.ts';
import type { Api, RouteModule } from '../context.ts';
import { idempotencyKey, markReplayed, requestHash } from '../http.ts';
import { EnvParams, HibernateBody, MoveBody, IdempotencyHeaders, PatchBody, RestartBody, RollbackBody, ScaleBody, UpgradeBody } from '../schemas.ts';
import { DEFAULT_PLACEMENT } from '../services/cluster-lifecycle.ts';
import { movePlanner } from '../services/moves.ts';
import { hibernate, patch, restart, rollback, scale, startEnvAction, upgrade, wake, type Planner } from '../services/environment-actions.ts';
import { OperationSchema } from '../responses.ts';

type Params = Static<typeof EnvParams>;

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
    schema: { tags: ['environments'], summary, params: EnvParams, body, headers: IdempotencyHeaders, response: { 202: OperationSchema } },
  }, (req, reply) => run(store, req as FastifyRequest<{ Params: Params; Body: Static<S> }>, reply, planner));
}

const routes: RouteModule = (app, { store, placement }) => {
  action(app, store, { verb: 'upgrade', body: UpgradeBody, planner: upgrade, summary: 'Upgrade to another release of the same blueprint' });
  action(app, store, { verb: 'patch', body: PatchBody, planner: patch, summary: 'Patch values (a null deletes a key: its default applies again) or an image tag' });
  action(app, store, { verb: 'scale', body: ScaleBody, planner: scale, summary: 'Set the replicas of one component' });
  action(app, store, { verb: 'rollback', body: RollbackBody, planner: rollback, summary: 'Re-apply an earlier revision (default: last good)' });
  action(app, store, { verb: 'restart', body: RestartBody, planner: restart, summary: 'Restart the workloads (all, or one component)' });
  action(app, store, { verb: 'hibernate', body: HibernateBody, planner: hibernate, summary: 'Hibernate: every workload to zero, the revision kept and recorded (docs/ai-workloads.md)' });
  action(app, store, { verb: 'move', body: MoveBody, planner: movePlanner(placement ?? DEFAULT_PLACEMENT), summary: 'Move to another cluster (to, or chosen by placement): delivered and Ready there before it is removed here; singletons never run twice' });
  action(app, store, { verb: 'wake', body: HibernateBody, planner: wake, summary: 'Wake a hibernated environment: its current revision delivered again and verified Ready' });
};

export default routes;
