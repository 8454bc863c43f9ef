// Bundles for self-managed customers (src/render/bundle.ts): one revision of an environment as a
// reproducible tar.gz their platform team installs without Fleetplane. Tenant-scoped: a tenant's
// own admins download their own. The revision: ?revision=<id>, else applied, else desired, else
// rendered now from the blueprint release (an environment Fleetplane never delivered). Signed:
// SHA256SUMS.sig is an Ed25519 signature (the process's bundle Signer, ApiDeps.signer) checked against GET /v1/bundles/signing-key.
// Chart components whose chart Fleetplane vendors (ApiDeps.charts.dir, blueprints/charts/) travel as the
// chart's archive and its objects pre-rendered by `helm template` (ApiDeps.charts.helm), so the bundle
// installs with kubectl alone (ADR 1710); without helm such a bundle is refused (503), not degraded.
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import { packVendoredChart, tarGz } from '../../adapters/archive/targz.ts';
import { HelmError, helmTemplate } from '../../adapters/helm/index.ts';
import { buildBundle, type BundledChart } from '../../render/bundle.ts';
import type { Revision } from '../../domain/types.ts';
import type { BlueprintSpec } from '../../domain/blueprint.ts';
import { signLicense, type License } from '../../selfmanaged/license.ts';
import { reportToken } from '../../selfmanaged/report.ts';
import { defaultNamespace } from '../../domain/naming.ts';
import { assertCanSee, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { visibleTenant } from '../services/visible-tenant.ts';
import { environmentRevision } from '../services/environment-revision.ts';
import { EnvParams } from '../schemas.ts';
import { ProblemError } from '../problem.ts';
import type { ApiDeps } from '../context.ts';
import { TextBody } from '../responses.ts';

const tags = ['environments'];

/** The charts Fleetplane vendors, in the checkout (FLEETPLANE_CHARTS_DIR overrides). */
export const VENDORED_CHARTS_DIR = fileURLToPath(new URL('../../../blueprints/charts/', import.meta.url));

/** The revision's chart components whose chart is vendored here: archive + `helm template` output. */
async function bundledCharts(rev: Revision, namespace: string, charts: ApiDeps['charts']): Promise<BundledChart[]> {
  const out: BundledChart[] = [];
  for (const h of rev.helmValues as Array<Revision['helmValues'][number] & { releaseName?: string; namespace?: string }>) {
    const archive = charts ? await packVendoredChart(charts.dir, h.chart, h.chartVersion) : null;
    if (!archive) continue;
    try {
      const objects = await helmTemplate(charts!.helm, { archive: archive.bytes, release: h.releaseName ?? h.component, namespace: h.namespace ?? namespace, values: h.yaml });
      out.push({ component: h.component, archive: { file: archive.file, bytes: archive.bytes }, objects });
    } catch (err) {
      if (err instanceof HelmError) throw new ProblemError('bundle-unavailable', 503, `cannot pre-render chart ${h.chart} ${h.chartVersion} of component ${h.component}: ${err.message}`);
      throw err;
    }
  }
  return out;
}

const routes: RouteModule = (app, { store, signer, charts }) => {
  app.get('/v1/bundles/signing-key', {
    config: { auth: 'public' },
    schema: { tags, security: [], produces: ['application/x-pem-file'], summary: 'The public key (Ed25519, PEM) bundles are signed with: SHA256SUMS.sig signs SHA256SUMS',
      response: { 200: TextBody('application/x-pem-file', 'The public key, PEM') } },
  }, async (_req, reply) => reply.type('application/x-pem-file').header('x-fleetplane-signing-key', signer.keyId).send(signer.publicKeyPem));

  app.get('/v1/tenants/:tenant/bundles/:env', {
    schema: {
      tags, params: EnvParams, produces: ['application/gzip'],
      response: { 200: { description: 'The bundle (tar.gz)', content: { 'application/gzip': { schema: Type.Unsafe<Buffer>({ type: 'string', contentEncoding: 'binary' }) } } } },
      querystring: Type.Object({ revision: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,79}$' })) }),
      summary: 'Download an environment as a self-managed bundle (tar.gz: manifests in apply order, Helm values, images.txt, install.sh, SHA256SUMS; never secret values)',
    },
  }, async (req, reply) => {
    const what = `environment "${req.params.tenant}/${req.params.env}"`;
    assertCanSee(req, req.params.tenant, what);
    const tenant = await visibleTenant(store, req.params.tenant);
    const env = await store.environments.get(tenant.slug, req.params.env);
    if (!env || env.health === 'Deleted') throw notFound(what);
    const rev = await environmentRevision(store, tenant, env, req.query.revision);
    if (!rev) throw notFound(`${what}: blueprint ${env.blueprint}@${env.version} is no longer published`);
    const release = await store.blueprints.get(rev.blueprint, rev.version);
    const namespace = env.placement.namespace || defaultNamespace(env.tenant, env.name);
    const bundle = buildBundle(rev, namespace, { release: (release?.spec as Pick<BlueprintSpec, 'product'> | undefined) ?? null, charts: await bundledCharts(rev, namespace, charts) });
    const sums = bundle.files.find((f) => f.path === 'SHA256SUMS')!;
    // Outside SHA256SUMS: the signature itself, the license (signed on its own, renewable without a
    // new bundle) and the report key of this environment (docs/self-managed.md).
    const extra = [
      { path: 'SHA256SUMS.sig', content: signer.sign(sums.content), mode: 0o644 },
      { path: 'report.key', content: `${reportToken(signer, tenant.slug, env.name)}\n`, mode: 0o600 },
    ];
    const stored = await store.selfManaged.getLicense(tenant.slug);
    if (stored) {
      const { json, sig } = signLicense(signer, stored.document as unknown as License);
      extra.push({ path: 'license.json', content: json, mode: 0o644 }, { path: 'license.sig', content: sig, mode: 0o644 });
    }
    const body = await tarGz(bundle.root, [...bundle.files, ...extra], new Date(rev.createdAt ?? 0));
    return reply
      .type('application/gzip')
      .header('content-disposition', `attachment; filename="${bundle.root}.tar.gz"`)
      .header('etag', `"${rev.id}"`)
      .header('x-fleetplane-revision', rev.id)
      .header('x-fleetplane-signing-key', signer.keyId)
      .send(body);
  });
};

export default routes;
