// Grafana dashboards per customer environment, as delivered: the dashboard ConfigMap of the
// environment's applied (else desired) revision; an environment not rendered yet is rendered on the
// fly from its blueprint release. Tenant-scoped: a tenant token sees only its own.
import type { KubeObject } from '../../domain/types.ts';
import { DASHBOARD_LABEL, dashboardUid } from '../../render/monitoring/index.ts';
import { assertCanSee, notFound } from '../auth.ts';
import { environmentRevision } from '../services/environment-revision.ts';
import type { RouteModule } from '../context.ts';
import { visibleTenant } from '../services/visible-tenant.ts';
import { EnvParams, TenantParams } from '../schemas.ts';
import { DashboardListSchema, Open } from '../responses.ts';

const tags = ['observability'];

function dashboardIn(objects: KubeObject[]): Record<string, unknown> | null {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.labels?.[DASHBOARD_LABEL] === '1');
  const data = cm?.data as Record<string, string> | undefined;
  const json = data ? Object.values(data)[0] : undefined;
  return json ? (JSON.parse(json) as Record<string, unknown>) : null;
}

const routes: RouteModule = (app, { store }) => {
  app.get('/v1/tenants/:tenant/dashboards', {
    schema: { tags, summary: "List a tenant's Grafana dashboards (one per environment, folder per tenant)", params: TenantParams, response: { 200: DashboardListSchema } },
  }, async (req) => {
    assertCanSee(req, req.params.tenant);
    const tenant = await visibleTenant(store, req.params.tenant);
    const items = [];
    let cursor: string | undefined;
    do {
      const page = await store.environments.list({ tenant: tenant.slug, limit: 500, cursor });
      for (const e of page.items) {
        items.push({
          environment: e.name, uid: dashboardUid(tenant.slug, e.name), title: `${tenant.slug} / ${e.name}`,
          folder: tenant.slug, href: `/v1/tenants/${tenant.slug}/dashboards/${e.name}`,
        });
      }
      cursor = page.next;
    } while (cursor);
    return { items };
  });

  app.get('/v1/tenants/:tenant/dashboards/:env', {
    schema: { tags, summary: 'Download the Grafana dashboard JSON of one environment', params: EnvParams, response: { 200: Open('a Grafana dashboard (its JSON model)') } },
  }, async (req, reply) => {
    const what = `dashboard of environment "${req.params.tenant}/${req.params.env}"`;
    assertCanSee(req, req.params.tenant, what);
    const tenant = await visibleTenant(store, req.params.tenant);
    const env = await store.environments.get(tenant.slug, req.params.env);
    if (!env) throw notFound(what);
    const rev = await environmentRevision(store, tenant, env);
    const dashboard = rev ? dashboardIn(rev.objects.map((r) => r.object)) : null;
    if (!dashboard) throw notFound(`${what} (its blueprint has no services exposing metrics)`);
    reply.header('content-disposition', `attachment; filename="${tenant.slug}-${env.name}.json"`);
    return dashboard;
  });
};

export default routes;
