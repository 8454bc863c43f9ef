// Tenants: one-call onboarding, list, get (ETag), patch (If-Match), delete (= offboard Operation).
import { Type } from '@sinclair/typebox';
import { ForbiddenError } from '../../domain/errors.ts';
import type { Tenant } from '../../domain/types.ts';
import { assertCanAct, assertCanSee, principal, tenantFilter } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { visibleTenant } from '../services/visible-tenant.ts';
import { expectedVersion, idempotencyKey, markReplayed, requestHash, sendPage, withEtag } from '../http.ts';
import { IdempotencyHeaders, PageQuery, TenantCreate, TenantParams, TenantPatch } from '../schemas.ts';
import { onboardTenant } from '../services/onboarding.ts';
import { offboard, replayOffboard } from '../services/offboarding.ts';
import { audit } from '../audit.ts';
import { NotModified, OperationSchema, PageOf, TenantCreatedSchema, TenantSchema } from '../responses.ts';

const tags = ['tenants'];

/** Fields a tenant-admin may change on its own tenant; the rest is the platform team's. */
const TENANT_EDITABLE = new Set(['name', 'maintenanceWindow']);

const routes: RouteModule = (app, { store }) => {
  app.post('/v1/tenants', {
    config: { auth: 'admin' },
    schema: { tags, summary: 'Create a tenant and start onboarding its environments', body: TenantCreate, headers: IdempotencyHeaders,
      response: { 201: { ...TenantCreatedSchema, description: 'Created, nothing to onboard' }, 202: { ...TenantCreatedSchema, description: 'Created; its environments are onboarding (operations)' } } },
  }, async (req, reply) => {
    const result = await onboardTenant(store, req.body, { key: idempotencyKey(req), requestHash: requestHash(req), requestId: req.id });
    reply.header('location', `/v1/tenants/${result.tenant.slug}`);
    if (result.operations.length > 0) reply.header('link', result.operations.map((o) => `</v1/operations/${o.id}>; rel="related"`).join(', '));
    if (result.created) await audit(store, req, { action: 'tenant.create', tenant: result.tenant.slug, target: `tenant/${result.tenant.slug}` });
    markReplayed(reply, !result.created);
    return reply.status(result.operations.length > 0 ? 202 : 201).send({ tenant: result.tenant, environments: result.environments, operations: result.operations });
  });

  app.get('/v1/tenants', {
    schema: { tags, summary: 'List tenants (a tenant token sees only its own)', querystring: PageQuery, response: { 200: PageOf(TenantSchema, 'A page of tenants') } },
  }, async (req, reply) => {
    const page = await store.tenants.list({ limit: req.query.limit, cursor: req.query.cursor, tenant: tenantFilter(req) });
    return sendPage(req, reply, page);
  });

  app.get('/v1/tenants/:tenant', { schema: { tags, summary: 'Get a tenant (ETag = resourceVersion)', params: TenantParams, response: { 200: TenantSchema, 304: NotModified } } }, async (req, reply) => {
    assertCanSee(req, req.params.tenant);
    const t = await visibleTenant(store, req.params.tenant);
    if (withEtag(req, reply, t.resourceVersion)) return reply.status(304).send(null);
    return t;
  });

  app.patch('/v1/tenants/:tenant', {
    schema: {
      tags, summary: 'Change a tenant; If-Match optional (absent: last write wins), stale: 412',
      params: TenantParams, body: TenantPatch, headers: Type.Object({ 'if-match': Type.Optional(Type.String()) }),
      response: { 200: TenantSchema },
    },
  }, async (req, reply) => {
    assertCanAct(req, req.params.tenant);
    const p = principal(req);
    const forbidden = Object.keys(req.body).filter((k) => p.kind !== 'admin' && !TENANT_EDITABLE.has(k));
    if (forbidden.length > 0) throw new ForbiddenError(`a tenant token may change only ${[...TENANT_EDITABLE].join(', ')}`, forbidden.map((f) => ({ field: `/${f}`, message: 'admin only' })));
    await visibleTenant(store, req.params.tenant);
    const t = await store.tenants.update(req.params.tenant, req.body as Partial<Tenant>, expectedVersion(req));
    await store.audit.append({ actor: p.name, action: 'tenant.update', tenant: t.slug, target: `tenant/${t.slug}`, detail: { fields: Object.keys(req.body) } });
    withEtag(req, reply, t.resourceVersion);
    return t;
  });

  app.delete('/v1/tenants/:tenant', {
    config: { auth: 'authenticated' },
    schema: { tags, summary: 'Offboard a tenant (202 + offboard Operation; admin only)', params: TenantParams, headers: IdempotencyHeaders, response: { 202: OperationSchema } },
  }, async (req, reply) => {
    assertCanSee(req, req.params.tenant);
    if (principal(req).kind !== 'admin') throw new ForbiddenError('offboarding needs an admin token');
    const meta = { key: idempotencyKey(req), requestHash: requestHash(req), requestId: req.id };
    let op = await replayOffboard(store, meta);
    markReplayed(reply, op !== null);
    if (!op) {
      await visibleTenant(store, req.params.tenant);
      op = await offboard(store, req.params.tenant, meta);
    }
    reply.header('location', `/v1/operations/${op.id}`);
    return reply.status(202).send(op);
  });
};

export default routes;
