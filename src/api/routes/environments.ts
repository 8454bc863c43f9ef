// Environments: list a tenant's, get one (ETag), add one (starts its onboarding: 202 + Operation).
import { ConflictError, ForbiddenError } from '../../domain/errors.ts';
import { IssueList } from '../../domain/validation.ts';
import { assertCanAct, assertCanSee, notFound, principal } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { visibleTenant } from '../services/visible-tenant.ts';
import { idempotencyKey, markReplayed, requestHash, sendPage, withEtag } from '../http.ts';
import { EnvParams, EnvironmentCreate, IdempotencyHeaders, PageQuery, TenantParams } from '../schemas.ts';
import { assertKeyNotRecorded, assertSameOperationRequest } from '../services/idempotency.ts';
import { addEnvironment, environmentIssues } from '../services/onboarding.ts';
import { EnvironmentSchema, NotModified, OperationSchema, PageOf } from '../responses.ts';

const tags = ['environments'];

const routes: RouteModule = (app, { store }) => {
  app.get('/v1/tenants/:tenant/environments', {
    schema: { tags, summary: "List a tenant's environments", params: TenantParams, querystring: PageQuery, response: { 200: PageOf(EnvironmentSchema, 'A page of environments') } },
  }, async (req, reply) => {
    assertCanSee(req, req.params.tenant);
    // The tenant's visibility (404 when offboarded or unknown) and the page in one read.
    const page = await store.environments.listOfVisibleTenant(req.params.tenant, { limit: req.query.limit, cursor: req.query.cursor });
    if (!page) throw notFound(`tenant "${req.params.tenant}"`);
    return sendPage(req, reply, page);
  });

  app.get('/v1/environments/:tenant/:env', {
    schema: { tags, summary: 'Get an environment with its status (ETag = resourceVersion)', params: EnvParams, response: { 200: EnvironmentSchema, 304: NotModified } },
  }, async (req, reply) => {
    const what = `environment "${req.params.tenant}/${req.params.env}"`;
    assertCanSee(req, req.params.tenant, what);
    const env = await store.environments.get(req.params.tenant, req.params.env);
    if (!env) throw notFound(what);
    if (withEtag(req, reply, env.resourceVersion)) return reply.status(304).send(null);
    return env;
  });

  app.post('/v1/tenants/:tenant/environments', {
    schema: { tags, summary: 'Add an environment: starts onboarding it (202 + Operation)', params: TenantParams, body: EnvironmentCreate, headers: IdempotencyHeaders, response: { 202: OperationSchema } },
  }, async (req, reply) => {
    const tenant = req.params.tenant;
    assertCanAct(req, tenant);
    // Adding environments (capacity, cost) is the platform team's call: a tenant-admin gets 403.
    if (principal(req).kind !== 'admin') throw new ForbiddenError('adding environments needs an admin token');
    const meta = { key: idempotencyKey(req), requestHash: requestHash(req), requestId: req.id };
    // Replay first: a retry after the tenant was offboarded still gets its Operation.
    const early = meta.key ? await store.operations.findByIdempotencyKey(meta.key) : null;
    if (early) {
      assertSameOperationRequest(early, meta.requestHash);
      markReplayed(reply, true);
      return reply.status(202).header('location', `/v1/operations/${early.id}`).send(early);
    }
    await assertKeyNotRecorded(store, meta.key);
    await visibleTenant(store, tenant);
    new IssueList().add(...(await environmentIssues(store, tenant, [req.body], null))).throwIfAny();
    const { op, replayed } = await store.tx(async (tx) => {
      if (meta.key) {
        const prior = await tx.operations.findByIdempotencyKey(meta.key);
        if (prior) return { op: prior, replayed: true };
      }
      if (await tx.environments.get(tenant, req.body.name)) throw new ConflictError(`environment "${tenant}/${req.body.name}" already exists`, [{ field: '/name', message: 'already exists' }]);
      return { op: (await addEnvironment(tx, tenant, req.body, meta)).operation, replayed: false };
    }).catch(async (err: unknown) => {
      const late = err instanceof ConflictError && meta.key ? await store.operations.findByIdempotencyKey(meta.key) : null;
      if (late) return { op: late, replayed: true };
      throw err;
    });
    assertSameOperationRequest(op, meta.requestHash);
    markReplayed(reply, replayed);
    return reply.status(202).header('location', `/v1/operations/${op.id}`).send(op);
  });
};

export default routes;
