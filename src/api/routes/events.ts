// POST /v1/events: CloudEvents 1.0, structured JSON mode (admin tokens: CI, billing, CRM).
// Dedupe by source+id: the work each event starts is keyed by "event/<source>/<id>", so a repeated
// event finds its original outcome, writes nothing, and is answered 200 instead of 202.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import type { Store } from '../../domain/ports/store.ts';
import { InputError } from '../../domain/errors.ts';
import { ajvIssues, ajvWithFormats } from '../../domain/validation.ts';
import { sha256Hex } from '../../domain/canonical.ts';
import type { RouteModule } from '../context.ts';
import { DnsLabel, PatchBody, SemverString, TenantCreate } from '../schemas.ts';
import { onboardTenant } from '../services/onboarding.ts';
import { offboard, replayOffboard } from '../services/offboarding.ts';
import { publishRelease } from '../services/releases.ts';
import { patch, startEnvAction } from '../services/environment-actions.ts';
import { audit } from '../audit.ts';
import { EventAnswerSchema } from '../responses.ts';

export const EVENT_TYPES = {
  onboarded: 'io.fleetplane.customer.onboarded',
  published: 'io.fleetplane.release.published',
  patch: 'io.fleetplane.patch.requested',
  offboarded: 'io.fleetplane.customer.offboarded',
} as const;

export const CloudEvent = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Type.String({ minLength: 1, maxLength: 256 }),
  source: Type.String({ minLength: 1, maxLength: 1024, format: 'uri-reference' }),
  type: Type.Union(Object.values(EVENT_TYPES).map((t) => Type.Literal(t))),
  datacontenttype: Type.Optional(Type.Literal('application/json')),
  dataschema: Type.Optional(Type.String({ format: 'uri' })),
  subject: Type.Optional(Type.String({ maxLength: 1024 })),
  time: Type.Optional(Type.String({ format: 'date-time' })),
  data: Type.Unknown(),
}, {
  // CloudEvents extension attributes are scalars; anything structured is an unknown field.
  additionalProperties: Type.Union([Type.String(), Type.Number(), Type.Boolean()]),
});
type CloudEvent = Static<typeof CloudEvent>;

const ReleaseData = Type.Object({ blueprint: DnsLabel, version: SemverString, spec: Type.Optional(Type.Record(Type.String(), Type.Unknown())) }, { additionalProperties: false });
const PatchData = Type.Composite([Type.Object({ tenant: DnsLabel, environment: DnsLabel }), PatchBody], { additionalProperties: false });
const OffboardData = Type.Object({ tenant: DnsLabel }, { additionalProperties: false });

const ajv = ajvWithFormats({ strict: true, allErrors: true, coerceTypes: false, useDefaults: false });
const validators = new Map<TSchema, ValidateFunction>();

function checkData<S extends TSchema>(schema: S, data: unknown): Static<S> {
  let v = validators.get(schema);
  if (!v) validators.set(schema, (v = ajv.compile(schema)));
  if (!v(data)) {
    const issues = ajvIssues(v.errors, '/data').map((i) => ({ ...i, field: i.field || '/data' }));
    throw new InputError(`${issues[0]!.field}: ${issues[0]!.message}`, issues);
  }
  return data as Static<S>;
}

async function handle(store: Store, ev: CloudEvent, requestId: string): Promise<Record<string, unknown>> {
  const key = `event/${ev.source}/${ev.id}`;
  const meta = { key, requestHash: sha256Hex(key), requestId };
  switch (ev.type) {
    case EVENT_TYPES.onboarded: {
      const r = await onboardTenant(store, checkData(TenantCreate, ev.data), meta);
      return { tenant: r.tenant, environments: r.environments, operations: r.operations };
    }
    case EVENT_TYPES.published: {
      const d = checkData(ReleaseData, ev.data);
      if (d.spec) return { release: (await publishRelease(store, d.blueprint, d.version, d.spec)).release };
      const release = await store.blueprints.get(d.blueprint, d.version);
      if (!release) throw new InputError('/data/spec: the release is not published yet, so the event must carry its spec', [{ field: '/data/spec', message: 'required: release not published' }]);
      return { release };
    }
    case EVENT_TYPES.patch: {
      const { tenant, environment, ...body } = checkData(PatchData, ev.data);
      return { operation: (await startEnvAction(store, { tenant, env: environment, body, planner: patch, ...meta })).operation };
    }
    case EVENT_TYPES.offboarded: {
      const { tenant } = checkData(OffboardData, ev.data);
      const prior = await replayOffboard(store, meta);
      if (prior) return { operation: prior };
      const t = await store.tenants.get(tenant);
      if (!t || t.deletedAt) throw new InputError(`/data/tenant: tenant "${tenant}" does not exist`, [{ field: '/data/tenant', message: 'unknown tenant' }]);
      return { operation: await offboard(store, tenant, meta) };
    }
    default:
      throw new InputError(`unsupported event type "${String(ev.type)}"`, [{ field: '/type', message: 'unsupported' }]);
  }
}

const routes: RouteModule = (app, { store }) => {
  app.post('/v1/events', {
    config: { auth: 'admin' },
    schema: {
      tags: ['events'],
      summary: 'Receive a CloudEvent (structured JSON). 202 when new, 200 with the original outcome when repeated',
      body: CloudEvent,
      response: { 200: { ...EventAnswerSchema, description: 'A repeated event: its original outcome, nothing done' }, 202: { ...EventAnswerSchema, description: 'A new event: its work started' } },
    },
  }, async (req, reply) => {
    const ev = req.body;
    const outcome = await handle(store, ev, req.id);
    // Recorded after the (idempotent) work, so a failed attempt can be retried with the same id.
    const fresh = await store.events.recordOnce(ev.source, ev.id, ev.type);
    if (fresh) await audit(store, req, { action: 'event.receive', target: `event/${ev.id}`, detail: { type: ev.type, source: ev.source } });
    return reply.status(fresh ? 202 : 200).send({ id: ev.id, source: ev.source, type: ev.type, duplicate: !fresh, outcome });
  });
};

export default routes;
