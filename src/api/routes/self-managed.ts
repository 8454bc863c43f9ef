// The self-managed channel's routes (docs/self-managed.md): a tenant's license (issued by an admin,
// read by the tenant), install reports (uploaded by the install itself with the bundle's report
// token, or imported from a file by the tenant's admin when the cluster is air-gapped) and the
// release train view: per self-managed environment, the version available and the one installed.
// A tenant token sees only its own tenant (404 for any other); a report token only posts reports.
import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import { InputError, UnauthorizedError } from '../../domain/errors.ts';
import type { Tenant } from '../../domain/types.ts';
import { signLicense, type License } from '../../selfmanaged/license.ts';
import { reportSignatureHolds, tokenHolds, type InstallReport } from '../../selfmanaged/report.ts';
import { assertCanAct, assertCanSee, bearerToken, notFound, tenantFilter } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { DnsLabel, PageQuery, TenantParams } from '../schemas.ts';
import { InstallReportSchema, LicenseAnswerSchema, PageOf, SelfManagedEnvironmentsSchema } from '../responses.ts';

const tags = ['self-managed'];
/** A new report is 201; the same id again is 200 with the report already recorded. */
const REPORT_RESPONSES = { 200: { ...InstallReportSchema, description: 'Already recorded' }, 201: { ...InstallReportSchema, description: 'Recorded' } };
const closed = { additionalProperties: false } as const;

const LicenseBody = Type.Object({
  expiresAt: Type.String({ format: 'date-time' }),
  entitlements: Type.Object({
    maxEnvironments: Type.Integer({ minimum: 1, maximum: 10_000 }),
    maxGpus: Type.Integer({ minimum: 0, maximum: 1024 }),
  }, closed),
}, closed);

const Check = Type.Object({ name: Type.String({ maxLength: 256 }), ok: Type.Boolean(), message: Type.String({ maxLength: 2048 }) }, closed);
export const ReportBody = Type.Object({
  apiVersion: Type.Literal('fleetplane.io/v1alpha1'),
  kind: Type.Literal('InstallReport'),
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }),
  tenant: DnsLabel,
  environment: DnsLabel,
  revision: Type.String({ minLength: 1, maxLength: 80 }),
  blueprint: Type.String({ minLength: 1, maxLength: 128 }),
  version: Type.String({ minLength: 1, maxLength: 128 }),
  result: Type.Union([Type.Literal('installed'), Type.Literal('refused'), Type.Literal('failed')]),
  message: Type.String({ maxLength: 4096 }),
  preflight: Type.Array(Check, { maxItems: 500 }),
  kubernetesVersion: Type.Union([Type.String({ maxLength: 64 }), Type.Null()]),
  pruned: Type.Integer({ minimum: 0 }),
  rollout: Type.Optional(Type.Array(Type.Object({
    kind: Type.String({ maxLength: 64 }), name: Type.String({ maxLength: 253 }), namespace: Type.String({ maxLength: 253 }), ready: Type.Boolean(), message: Type.String({ maxLength: 2048 }),
  }, closed), { maxItems: 500 })),
  reportedAt: Type.String({ format: 'date-time' }),
  signature: Type.String({ pattern: '^[0-9a-f]{64}$' }),
}, closed);
type ReportBody = Static<typeof ReportBody>;

// One closed object: an intersection of two closed objects refused every field of the other half
// (`?environment=` was "unknown field"), found by Schemathesis.
const ReportsQuery = Type.Object({ ...PageQuery.properties, environment: Type.Optional(DnsLabel) }, closed);

const routes: RouteModule = (app, { store, signer, now }) => {
  const repo = store.selfManaged;
  const liveTenant = async (slug: string): Promise<Tenant> => {
    const t = await store.tenants.get(slug);
    if (!t || t.deletedAt) throw notFound(`tenant "${slug}"`);
    return t;
  };
  /** Checks a report's signature and that its environment exists, then stores it (once per id). */
  const record = async (r: ReportBody, via: 'online' | 'import') => {
    if (!reportSignatureHolds(signer, r as InstallReport)) throw new InputError('the report signature does not hold: it was changed or not made with this environment\'s report key', [{ field: '/signature', message: 'does not match the report' }]);
    if (!(await store.environments.get(r.tenant, r.environment))) throw notFound(`environment "${r.tenant}/${r.environment}"`);
    return repo.recordReport({ id: r.id, tenant: r.tenant, environment: r.environment, revision: r.revision, version: r.version, result: r.result, via, reportedAt: r.reportedAt, report: r as unknown as Record<string, unknown> });
  };

  app.put('/v1/tenants/:tenant/license', {
    config: { auth: 'admin' },
    schema: { tags, params: TenantParams, body: LicenseBody, response: { 200: LicenseAnswerSchema }, summary: 'Issue (or replace) the tenant\'s license: entitlements and expiry, signed into every bundle it downloads' },
  }, async (req, reply) => {
    const tenant = await liveTenant(req.params.tenant);
    if (!(Date.parse(req.body.expiresAt) > now().getTime())) throw new InputError('expiresAt must be in the future', [{ field: '/expiresAt', message: 'must be in the future' }]);
    const license: License = { apiVersion: 'fleetplane.io/v1alpha1', kind: 'License', id: randomUUID(), tenant: tenant.slug, issuedAt: now().toISOString(), expiresAt: new Date(req.body.expiresAt).toISOString(), entitlements: req.body.entitlements };
    await repo.putLicense(tenant.slug, license as unknown as Record<string, unknown>, license.expiresAt);
    await store.audit.append({ actor: 'admin', action: 'license.issue', tenant: tenant.slug, target: `tenant/${tenant.slug}`, detail: { expiresAt: license.expiresAt, entitlements: license.entitlements } });
    return reply.code(200).send({ license, signature: signLicense(signer, license).sig.toString('base64') });
  });

  app.get('/v1/tenants/:tenant/license', {
    schema: { tags, params: TenantParams, response: { 200: LicenseAnswerSchema }, summary: 'The tenant\'s license and its signature (base64 Ed25519 of license.json)' },
  }, async (req) => {
    assertCanSee(req, req.params.tenant);
    const stored = await repo.getLicense((await liveTenant(req.params.tenant)).slug);
    if (!stored) throw notFound(`license of tenant "${req.params.tenant}"`);
    const license = stored.document as unknown as License;
    return { license, signature: signLicense(signer, license).sig.toString('base64') };
  });

  app.post('/v1/install-reports', {
    config: { auth: 'public' },
    schema: { tags, body: ReportBody, security: [], response: REPORT_RESPONSES, summary: 'An install reports back with the bundle\'s report token (Authorization: Bearer fpr1…): that tenant and environment only' },
  }, async (req, reply) => {
    const token = bearerToken(req.headers.authorization);
    if (!token || !tokenHolds(signer, token, req.body.tenant, req.body.environment)) throw new UnauthorizedError('send the bundle\'s report token (report.key) for this tenant and environment');
    const { report, created } = await record(req.body, 'online');
    return reply.code(created ? 201 : 200).send(report);
  });

  app.post('/v1/tenants/:tenant/install-reports', {
    schema: { tags, params: TenantParams, body: ReportBody, response: REPORT_RESPONSES, summary: 'Import a signed install report from a file (air-gapped installs)' },
  }, async (req, reply) => {
    assertCanAct(req, req.params.tenant);
    if (req.body.tenant !== req.params.tenant) throw new InputError(`the report is for tenant ${req.body.tenant}`, [{ field: '/tenant', message: `must be ${req.params.tenant}` }]);
    await liveTenant(req.params.tenant);
    const { report, created } = await record(req.body, 'import');
    return reply.code(created ? 201 : 200).send(report);
  });

  app.get('/v1/tenants/:tenant/install-reports', {
    schema: { tags, params: TenantParams, querystring: ReportsQuery, response: { 200: PageOf(InstallReportSchema, 'A page of install reports, newest first') }, summary: 'Install reports of the tenant, newest first' },
  }, async (req, reply) => {
    assertCanSee(req, req.params.tenant);
    await liveTenant(req.params.tenant);
    const { environment, ...page } = req.query;
    return sendPage(req, reply, await repo.reports(req.params.tenant, { ...page, ...(environment ? { environment } : {}) }));
  });

  app.get('/v1/self-managed/environments', {
    schema: { tags, querystring: Type.Object({ tenant: Type.Optional(DnsLabel) }, closed), response: { 200: SelfManagedEnvironmentsSchema }, summary: 'The release train of self-managed environments: available version and reported installed version' },
  }, async (req) => {
    const only = tenantFilter(req, req.query.tenant);
    const tenants = (await store.tenants.list({ limit: 500, ...(only ? { tenant: only } : {}) })).items.filter((t) => t.channel === 'self-managed' && (!only || t.slug === only));
    const installed = new Map((await repo.installed(tenants.map((t) => t.slug))).map((r) => [`${r.tenant}/${r.environment}`, r]));
    const items = [];
    for (const t of tenants) {
      for (const e of (await store.environments.list({ tenant: t.slug, limit: 500 })).items) {
        if (e.health === 'Deleted') continue;
        const r = installed.get(`${t.slug}/${e.name}`);
        items.push({
          // available: the version of the last published bundle revision (health Published once the engine has published it).
          tenant: t.slug, environment: e.name, blueprint: e.blueprint, available: e.version, revision: e.lastGoodRevision ?? null, health: e.health,
          installed: r ? { version: r.version, revision: r.revision, reportedAt: r.reportedAt, via: r.via } : null,
          upToDate: r?.version === e.version,
        });
      }
    }
    return { items };
  });
};

export default routes;
