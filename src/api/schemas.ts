// TypeBox schemas: the same objects validate requests (Fastify + Ajv, no coercion of bodies,
// unknown fields rejected) and generate the OpenAPI 3.1 document (@fastify/swagger).
// Names and enumerations come from the domain's one copy of each rule (src/domain/naming.ts, types.ts).
import { Type, type Static } from '@sinclair/typebox';
import { DNS_LABEL_FRAGMENT, DNS_LABEL_MAX, NAME_PATTERNS } from '../domain/naming.ts';
import { RESIDENCY_LABEL } from '../plan/placement.ts';
import { PIN_LABEL_PREFIX } from '../plan/rollout-preview.ts';
import { CHANNELS, DELIVERY_MODES, ENVIRONMENT_TYPES, PROVIDERS, TIERS } from '../domain/types.ts';
import { CLUSTER_CAPABILITIES } from '../domain/capabilities.ts';

const closed = { additionalProperties: false } as const;

/** One of the given strings (a union of literals, in the given order). */
const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const DnsLabel = Type.String({ minLength: 1, maxLength: DNS_LABEL_MAX, pattern: NAME_PATTERNS.dnsLabel, description: 'DNS-1123 label' });
export const SemverString = Type.String({ minLength: 5, maxLength: 128, description: 'semantic version, e.g. 1.4.0' });
// Kubernetes label syntax (keys: optional DNS-subdomain prefix + "/" + a 63-character name; values: 63
// characters), at most 64 of them; prefixes Fleetplane and Kubernetes reserve are refused (issue #14),
// except the two tenant labels that mean something to Fleetplane: `fleetplane.io/residency` (placement,
// src/plan/placement.ts) and `pin.fleetplane.io/<env>` (a release pin, src/plan/rollout-preview.ts).
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const RESIDENCY_NAME = RESIDENCY_LABEL.slice('fleetplane.io/'.length);
const LABEL_KEY = `^(?!(?:[^/]*\\.)?(?:kubernetes\\.io|k8s\\.io)/)(?!(?!${escape(PIN_LABEL_PREFIX)})(?:[^/]*\\.)?fleetplane\\.io/(?!${escape(RESIDENCY_NAME)}$))`
  + '(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*/)?(?:[A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9]$';
export const Labels = Type.Record(
  Type.String({ maxLength: 317, pattern: LABEL_KEY }),
  Type.String({ maxLength: 63, pattern: '^(?:(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$' }),
  { maxProperties: 64, additionalProperties: false, description: 'Kubernetes labels: at most 64; fleetplane.io/, kubernetes.io/ and k8s.io/ keys are reserved, except fleetplane.io/residency and pin.fleetplane.io/<env>' },
);
export const Values = Type.Record(Type.String(), Type.Unknown(), { description: 'values, checked against the blueprint release JSON Schema' });

export const Tier = literals(TIERS);
export const Channel = literals(CHANNELS);
export const EnvType = literals(ENVIRONMENT_TYPES);
export const Delivery = literals(DELIVERY_MODES);
export const Provider = literals(PROVIDERS);

export const MaintenanceWindow = Type.Object({
  days: Type.Array(Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d))), { maxItems: 7 }),
  start: Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'HH:MM UTC' }),
  durationMinutes: Type.Integer({ minimum: 1, maximum: 1440 }),
}, closed);

export const EnvironmentCreate = Type.Object({
  name: DnsLabel,
  type: EnvType,
  blueprint: DnsLabel,
  version: SemverString,
  values: Type.Optional(Values),
  delivery: Type.Optional(Delivery),
  cluster: Type.Optional(DnsLabel),
  selfHeal: Type.Optional(Type.Boolean()),
}, closed);
export type EnvironmentCreate = Static<typeof EnvironmentCreate>;

export const TenantCreate = Type.Object({
  slug: DnsLabel,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  tier: Tier,
  channel: Type.Optional(Channel),
  labels: Type.Optional(Labels),
  region: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  maintenanceWindow: Type.Optional(MaintenanceWindow),
  environments: Type.Optional(Type.Array(EnvironmentCreate, { maxItems: 50 })),
}, closed);
export type TenantCreate = Static<typeof TenantCreate>;

export const TenantPatch = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  tier: Type.Optional(Tier),
  channel: Type.Optional(Channel),
  labels: Type.Optional(Labels),
  region: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
  maintenanceWindow: Type.Optional(MaintenanceWindow),
}, { ...closed, minProperties: 1 });
export type TenantPatch = Static<typeof TenantPatch>;

export const ClusterCreate = Type.Object({
  name: DnsLabel,
  provider: Provider,
  region: Type.String({ minLength: 1, maxLength: 63 }),
  apiServer: Type.String({ minLength: 1, maxLength: 2048, format: 'uri' }),
  labels: Type.Optional(Labels),
  role: Type.Optional(Type.String({ pattern: `^(shared|dedicated:${DNS_LABEL_FRAGMENT})$` })),
  kubernetesVersion: Type.Optional(Type.String({ maxLength: 64 })),
  pricePerCpuHour: Type.Optional(Type.Number({ minimum: 0 })),
  pricePerGbHour: Type.Optional(Type.Number({ minimum: 0, description: 'price per GiB-hour of memory' })),
  pricePerGpuHour: Type.Optional(Type.Number({ minimum: 0 })),
  capabilities: Type.Optional(Type.Array(Type.Union(CLUSTER_CAPABILITIES.map((c) => Type.Literal(c))), {
    uniqueItems: true, maxItems: CLUSTER_CAPABILITIES.length,
    description: 'what the renderer may use beyond core Kubernetes; absent: read from the cluster\'s API discovery before each render. Declare it where discovery misleads (CRDs installed without their controllers)',
  })),
  credentials: Type.Optional(Type.String({ maxLength: 262144, description: 'kubeconfig; stored encrypted, never returned' })),
}, closed);
export type ClusterCreate = Static<typeof ClusterCreate>;

export const BlueprintPublish = Type.Object({
  name: DnsLabel,
  version: SemverString,
  spec: Type.Record(Type.String(), Type.Unknown(), { description: 'the blueprint document' }),
}, closed);
export type BlueprintPublish = Static<typeof BlueprintPublish>;

/** Schema bounds: ten years of lifetime, seven days of rotation grace. */
export const TOKEN_TTL_LIMIT_SECONDS = 10 * 365 * 24 * 3600;
export const TOKEN_GRACE_LIMIT_SECONDS = 7 * 24 * 3600;

export const TokenCreate = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  role: Type.Union([Type.Literal('admin'), Type.Literal('tenant-admin'), Type.Literal('tenant-viewer')]),
  tenant: Type.Optional(DnsLabel),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: TOKEN_TTL_LIMIT_SECONDS, description: 'the token expires this many seconds after creation (at most FLEETPLANE_TOKEN_MAX_TTL when set; absent: that maximum, or never)' })),
}, closed);
export type TokenCreate = Static<typeof TokenCreate>;

export const TokenRotate = Type.Object({
  graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: TOKEN_GRACE_LIMIT_SECONDS, description: 'the old secret keeps working this long (default 0: it stops at once; never past the token\'s old expiry)' })),
  ttlSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: TOKEN_TTL_LIMIT_SECONDS, description: 'the new secret expires this many seconds after the rotation (same rules as at creation)' })),
}, closed);
export type TokenRotate = Static<typeof TokenRotate>;

// ---- environment actions ----

export const UpgradeBody = Type.Object({ version: SemverString }, closed);
export const PatchBody = Type.Object({
  values: Type.Optional(Values),
  image: Type.Optional(Type.Object({ component: Type.Optional(DnsLabel), tag: Type.String({ minLength: 1, maxLength: 256 }) }, closed)),
}, { ...closed, minProperties: 1 });
export const ScaleBody = Type.Object({
  component: DnsLabel,
  replicas: Type.Integer({ minimum: 0, maximum: 1000 }),
}, closed);
export const RollbackBody = Type.Object({ revision: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }, closed);
export const RestartBody = Type.Object({ component: Type.Optional(DnsLabel) }, closed);
export const HibernateBody = Type.Object({ reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, closed);

// ---- common parts ----

/** A 204 answer: no body (the OpenAPI document then declares no content for it). */
export const NoContent = Type.Null({ description: 'No content' });

export const TenantParams = Type.Object({ tenant: DnsLabel });
/** POST …:move (docs/clusters.md "Move and evacuate"): `to` absent: placement chooses, the source excluded. */
export const MoveBody = Type.Object({
  to: Type.Optional(DnsLabel),
  reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
}, closed);

export const EnvParams = Type.Object({ tenant: DnsLabel, env: DnsLabel });
export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 1024 })),
}, closed);

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
});
