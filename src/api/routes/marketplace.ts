// Marketplace billing of a tenant (admin only: it is the platform team's contract with the
// marketplace): the tenant's mapping (marketplace, customer identifier, dimension names) and the
// export report (what was sent, with the marketplace's record id, and what was refused and why).
import { Type, type Static } from '@sinclair/typebox';
import { InputError } from '../../domain/errors.ts';
import { DIMENSIONS } from '../../metering/dimensions.ts';
import { checkMapping, type MarketplaceMapping } from '../../metering/export/mapping.ts';
import { EXPORT_STATES } from '../../metering/export/types.ts';
import { notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { TenantParams } from '../schemas.ts';
import { ExportsPageSchema, MarketplaceMappingSchema } from '../responses.ts';

const tags = ['marketplace'];
const closed = { additionalProperties: false } as const;
const Name = Type.String({ minLength: 1, maxLength: 255, pattern: '^\\S(.*\\S)?$' });

const DimensionMapping = Type.Object({
  name: Name,
  scale: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1e9, description: 'multiplies the Fleetplane quantity before rounding (default 1)' })),
}, closed);

export const MappingBody = Type.Object({
  marketplace: Type.Union([Type.Literal('aws'), Type.Literal('azure'), Type.Literal('gcp')]),
  aws: Type.Optional(Type.Object({
    productCode: Type.Optional(Name),
    customerIdentifier: Type.Optional(Name),
    customerAwsAccountId: Type.Optional(Type.String({ pattern: '^\\d{12}$' })),
    licenseArn: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, pattern: '^arn:aws[a-z-]*:license-manager:' })),
  }, closed)),
  azure: Type.Optional(Type.Object({
    resourceId: Type.Optional(Type.String({ format: 'uuid' })),
    resourceUri: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })),
    planId: Name,
  }, closed)),
  gcp: Type.Optional(Type.Object({
    serviceName: Name,
    consumerId: Name,
    valueType: Type.Optional(Type.Union([Type.Literal('int64'), Type.Literal('double')])),
  }, closed)),
  dimensions: Type.Object(Object.fromEntries(DIMENSIONS.map((d) => [d, Type.Optional(DimensionMapping)])), closed),
  startHour: Type.String({ format: 'date-time', description: 'a whole UTC hour; earlier hours are never exported' }),
}, closed);
type MappingBody = Static<typeof MappingBody>;

const ExportsQuery = Type.Object({
  state: Type.Optional(Type.Union(EXPORT_STATES.map((s) => Type.Literal(s)))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(Type.String({ maxLength: 512 })),
}, closed);

const admin = { auth: 'admin' as const };

const routes: RouteModule = (app, { store, now }) => {
  const exports = store.meteringExports;
  const assertTenant = async (tenant: string) => {
    if (!(await store.tenants.get(tenant))) throw notFound(`tenant "${tenant}"`);
  };

  app.put('/v1/tenants/:tenant/marketplace', {
    config: admin,
    schema: { tags, summary: "Set which marketplace bills a tenant, its customer identifier and dimension names (admin)", params: TenantParams, body: MappingBody, response: { 200: MarketplaceMappingSchema } },
  }, async (req) => {
    const { tenant } = req.params;
    await assertTenant(tenant);
    const body = req.body as MappingBody;
    const mapping = { ...body, tenant, startHour: new Date(body.startHour).toISOString() } as MarketplaceMapping;
    const errors = checkMapping(mapping);
    if (errors.length > 0) throw new InputError(`invalid marketplace mapping: ${errors[0]!.message}`, errors);
    const saved = await exports.putMapping(mapping, now());
    await store.audit.append({ actor: req.principal?.name ?? 'admin', action: 'marketplace.mapping.set', tenant, target: `tenant/${tenant}`, detail: { marketplace: mapping.marketplace } });
    return saved;
  });

  app.get('/v1/tenants/:tenant/marketplace', {
    config: admin,
    schema: { tags, summary: "A tenant's marketplace mapping (admin)", params: TenantParams, response: { 200: MarketplaceMappingSchema } },
  }, async (req) => {
    const { tenant } = req.params;
    await assertTenant(tenant);
    const m = await exports.getMapping(tenant);
    if (!m) throw notFound(`marketplace mapping of tenant "${tenant}"`);
    return m;
  });

  app.get('/v1/tenants/:tenant/marketplace/exports', {
    config: admin,
    schema: { tags, summary: 'What was sent to the marketplace (with its record id) and what was refused and why (admin)', params: TenantParams, querystring: ExportsQuery, response: { 200: ExportsPageSchema } },
  }, async (req, reply) => {
    const { tenant } = req.params;
    await assertTenant(tenant);
    const page = await exports.list({ tenant, state: req.query.state, limit: req.query.limit, cursor: req.query.cursor });
    const summary = await exports.summary(tenant);
    return { ...sendPage(req, reply, page), summary };
  });
};

export default routes;
