// GET /v1/audit: the append-only audit log, newest first. Admins read every entry (optionally one
// tenant's); a tenant-admin reads only its own tenant's; a tenant-viewer gets 403.
import { Type } from '@sinclair/typebox';
import { ForbiddenError } from '../../domain/errors.ts';
import { principal, tenantFilter } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { DnsLabel } from '../schemas.ts';
import { AuditRecordSchema, PageOf } from '../responses.ts';

const AuditQuery = Type.Object({
  tenant: Type.Optional(DnsLabel),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 1024 })),
}, { additionalProperties: false });

const routes: RouteModule = (app, { store }) => {
  app.get('/v1/audit', {
    schema: { tags: ['audit'], summary: 'The audit log, newest first: every mutating call with who, tenant, what and the result', querystring: AuditQuery, response: { 200: PageOf(AuditRecordSchema, 'A page of audit entries, newest first') } },
  }, async (req, reply) => {
    const p = principal(req);
    if (p.kind === 'tenant' && p.role !== 'tenant-admin') throw new ForbiddenError('the audit log needs an admin or tenant-admin token');
    const tenant = tenantFilter(req, req.query.tenant);
    return sendPage(req, reply, await store.audit.list({ limit: req.query.limit, cursor: req.query.cursor, ...(tenant ? { tenant } : {}) }));
  });
};

export default routes;
