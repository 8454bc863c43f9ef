// Operations: get one, list with filters. A tenant token sees only its tenant's operations;
// another tenant's operation id answers 404 like an unknown id.
import { Type } from '@sinclair/typebox';
import { assertCanSee, notFound, tenantFilter } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { DnsLabel, PageQuery } from '../schemas.ts';
import { OperationSchema, PageOf } from '../responses.ts';

const tags = ['operations'];
const OperationState = Type.Union(['pending', 'running', 'succeeded', 'failed', 'cancelled'].map((s) => Type.Literal(s)));

const routes: RouteModule = (app, { store }) => {
  app.get('/v1/operations/:id', {
    schema: { tags, summary: 'Get an operation with its steps', params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) }), response: { 200: OperationSchema } },
  }, async (req) => {
    const what = `operation "${req.params.id}"`;
    const op = await store.operations.get(req.params.id).catch(() => null);
    if (!op) throw notFound(what);
    assertCanSee(req, op.tenant, what);
    return op;
  });

  app.get('/v1/operations', {
    schema: {
      tags, summary: 'List operations, newest first; filter by tenant, environment, state',
      querystring: Type.Composite([PageQuery, Type.Object({ tenant: Type.Optional(DnsLabel), environment: Type.Optional(DnsLabel), state: Type.Optional(OperationState) })], { additionalProperties: false }),
      response: { 200: PageOf(OperationSchema, 'A page of operations, newest first') },
    },
  }, async (req, reply) => {
    const { limit, cursor, tenant, environment, state } = req.query;
    const scoped = tenantFilter(req, tenant);
    // A tenant token asking for another tenant gets an empty page, never the other tenant's data.
    if (scoped !== tenant && tenant !== undefined) return { items: [] };
    const page = await store.operations.list({ limit, cursor, tenant: scoped, environment, state });
    return sendPage(req, reply, page);
  });
};

export default routes;
