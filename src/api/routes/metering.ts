// Usage metering, tenant-scoped like the tenant itself: hourly records, corrections, and the
// marketplace-neutral exports (CSV, JSON, OpenMeter CloudEvents). Also counts API requests per
// tenant (docs/metering.md): an onResponse hook feeds a per-tenant-hour counter flushed in batches.
import { Type } from '@sinclair/typebox';
import { InputError } from '../../domain/errors.ts';
import { DIMENSIONS, HOUR_MS, hourOf } from '../../metering/dimensions.ts';
import { ApiRequestMeter } from '../../metering/api-requests.ts';
import { DEFAULT_METERING_CONFIG } from '../../metering/config.ts';
import { usageCloudEvents, usageCsv } from '../../metering/export/neutral.ts';
import type { Correction, MeteringStore, UsageRecord } from '../../metering/types.ts';
import { assertCanSee, notFound } from '../auth.ts';
import type { RouteModule } from '../context.ts';
import { sendPage } from '../http.ts';
import { DnsLabel, TenantParams } from '../schemas.ts';
import type { Store } from '../../domain/ports/store.ts';
import { CorrectionSchema, Open, PageOf, UsageExportJsonSchema, UsageRecordSchema } from '../responses.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The API request counter (tests flush it explicitly). */
    apiRequestMeter?: ApiRequestMeter;
  }
}

const tags = ['metering'];
const Dimension = Type.Union(DIMENSIONS.map((d) => Type.Literal(d)));
const Hour = Type.String({ format: 'date-time', description: 'RFC 3339; hours starting at or after from, before to' });

const UsageQuery = Type.Object({
  from: Type.Optional(Hour), to: Type.Optional(Hour), dimension: Type.Optional(Dimension),
  environment: Type.Optional(Type.Union([DnsLabel, Type.Literal('-')], { description: 'an environment, or - for tenant-level dimensions' })),
  state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('final')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(Type.String({ maxLength: 512 })),
}, { additionalProperties: false });

const ExportQuery = Type.Object({
  format: Type.Union([Type.Literal('csv'), Type.Literal('json'), Type.Literal('cloudevents')], { default: 'csv' }),
  from: Type.Optional(Hour), to: Type.Optional(Hour),
  state: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('final')])),
}, { additionalProperties: false });

const CorrectionQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), cursor: Type.Optional(Type.String({ maxLength: 512 })),
}, { additionalProperties: false });

export const CLOUDEVENT_SOURCE = '/fleetplane/metering';

/** Longest range one export covers. */
const MAX_EXPORT_MS = 31 * 24 * HOUR_MS;

async function assertTenant(store: Store, tenant: string): Promise<void> {
  if (!(await store.tenants.get(tenant))) throw notFound(`tenant "${tenant}"`);
}

function range(q: { from?: string | undefined; to?: string | undefined }, now: Date): { from: Date; to: Date } {
  const to = q.to ? new Date(q.to) : new Date(hourOf(now).getTime() + HOUR_MS);
  const from = q.from ? new Date(q.from) : new Date(to.getTime() - 24 * HOUR_MS);
  if (from >= to) throw new InputError('from must be before to', [{ field: 'query:/from', message: 'must be before to' }]);
  if (to.getTime() - from.getTime() > MAX_EXPORT_MS) throw new InputError('an export covers at most 31 days', [{ field: 'query:/from', message: 'at most 31 days before to' }]);
  return { from, to };
}

async function allRecords(m: MeteringStore, q: Parameters<MeteringStore['records']>[0]): Promise<UsageRecord[]> {
  const out: UsageRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await m.records({ ...q, limit: 500, cursor });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

async function allCorrections(m: MeteringStore, tenant: string): Promise<Correction[]> {
  const out: Correction[] = [];
  let cursor: string | undefined;
  do {
    const page = await m.corrections({ tenant, limit: 500, cursor });
    out.push(...page.items);
    cursor = page.next;
  } while (cursor);
  return out;
}

const routes: RouteModule = (app, { store, now }) => {
  const { metering } = store;
  const meter = new ApiRequestMeter(metering, now, app.log as never);
  app.decorate('apiRequestMeter', meter);
  app.addHook('onResponse', async (req, reply) => {
    const p = req.principal;
    if (p?.kind === 'tenant' && reply.statusCode < 500) meter.count(p.tenant);
  });
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(() => void meter.flush().catch(() => undefined), DEFAULT_METERING_CONFIG.apiFlushMs).unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(timer);
    await meter.flush().catch((err: unknown) => app.log.error({ err }, 'metering: last API request counts could not be flushed'));
  });

  app.get('/v1/tenants/:tenant/usage', {
    schema: { tags, summary: "A tenant's hourly usage records (open and final), oldest hour first", params: TenantParams, querystring: UsageQuery, response: { 200: PageOf(UsageRecordSchema, 'A page of usage records') } },
  }, async (req, reply) => {
    const { tenant } = req.params;
    assertCanSee(req, tenant);
    await assertTenant(store, tenant);
    const q = req.query;
    const page = await metering.records({
      tenant, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined, dimension: q.dimension,
      environment: q.environment === '-' ? '' : q.environment, state: q.state, limit: q.limit, cursor: q.cursor,
    });
    return sendPage(req, reply, page);
  });

  app.get('/v1/tenants/:tenant/usage/corrections', {
    schema: { tags, summary: 'Corrections of closed hours by late data (delta per new record version)', params: TenantParams, querystring: CorrectionQuery, response: { 200: PageOf(CorrectionSchema, 'A page of corrections') } },
  }, async (req, reply) => {
    const { tenant } = req.params;
    assertCanSee(req, tenant);
    await assertTenant(store, tenant);
    return sendPage(req, reply, await metering.corrections({ tenant, limit: req.query.limit, cursor: req.query.cursor }));
  });

  app.get('/v1/tenants/:tenant/usage/export', {
    schema: { tags, summary: 'Usage as CSV, JSON or OpenMeter-compatible CloudEvents (application/cloudevents-batch+json)', params: TenantParams, querystring: ExportQuery, produces: ['text/csv', 'application/json', 'application/cloudevents-batch+json'],
      response: {
        200: {
          description: 'format=csv: text/csv; json: the records; cloudevents: a CloudEvents batch (OpenMeter)',
          content: {
            'text/csv': { schema: Type.String() },
            'application/json': { schema: UsageExportJsonSchema },
            'application/cloudevents-batch+json': { schema: Type.Array(Open('a CloudEvent: specversion, id, source, type, subject, time, data')) },
          },
        },
      },
    },
  }, async (req, reply) => {
    const { tenant } = req.params;
    assertCanSee(req, tenant);
    await assertTenant(store, tenant);
    const { from, to } = range(req.query, now());
    const format = req.query.format;
    const records = await allRecords(metering, { tenant, from, to, state: format === 'cloudevents' ? 'final' : req.query.state });
    const name = `usage-${tenant}-${from.toISOString().slice(0, 13)}-${to.toISOString().slice(0, 13)}`;
    if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(usageCsv(records));
    if (format === 'json') return { tenant, from: from.toISOString(), to: to.toISOString(), records };
    const corrections = (await allCorrections(metering, tenant)).filter((c) => Date.parse(c.hour) >= from.getTime() && Date.parse(c.hour) < to.getTime());
    // A stable source: OpenMeter dedupes by (source, id), so the same record never counts twice whatever URL served it.
    return reply.type('application/cloudevents-batch+json').send(JSON.stringify(usageCloudEvents(records, corrections, { source: CLOUDEVENT_SOURCE })));
  });
};

export default routes;
