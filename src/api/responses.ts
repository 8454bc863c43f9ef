// Response schemas (issue #14): what every operation answers, in the OpenAPI document and judged in
// the tests (test/helpers/response-conformance.ts: every object closed unless it says it is open) and
// by Schemathesis. They describe, they do not serialise: the app sends what the handler returned with
// plain JSON.stringify (ADR 0320), so a gap here can never drop a field a client reads.
// Built from the request schemas where the noun is the same (schemas.ts) and from the domain's lists.
// Objects open by nature are marked open: rendered Kubernetes objects, values, labels, step outputs,
// a release's blueprint document, diffs' objects, and computed reports whose inner rows are described
// by the code that builds them (their top level is listed; docs/adr/0320).
import { Type, type TSchema } from '@sinclair/typebox';
import { CHANNELS, CLUSTER_AVAILABILITY, DELIVERY_MODES, ENVIRONMENT_TYPES, PROVIDERS, TIERS } from '../domain/types.ts';
import { UPGRADE_STATES } from '../domain/cluster-upgrade.ts';
import { TARGET_STATES } from '../domain/rollouts.ts';
import { CLUSTER_CAPABILITIES } from '../domain/capabilities.ts';
import { MaintenanceWindow, NoContent } from './schemas.ts';

const literals = <T extends string>(values: readonly T[], description?: string) =>
  Type.Union(values.map((v) => Type.Literal(v)), description ? { description } : {});

export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** Absent, null or the value (the store leaves some columns out, others null). */
const Maybe = <T extends TSchema>(t: T) => Type.Optional(Nullable(t));
/** An object whose fields are not listed: open by nature. */
export const Open = (description: string) => Type.Object({}, { additionalProperties: true, description });
/** The listed fields, and others the code that builds it may add (computed reports). */
export const OpenWith = <P extends Record<string, TSchema>>(props: P, description: string) => Type.Object(props, { additionalProperties: true, description });
/** A page: items and the cursor of the next page (absent on the last; also in Link rel="next"). */
export const PageOf = <T extends TSchema>(item: T, description: string) =>
  Type.Object({ items: Type.Array(item), next: Type.Optional(Type.String({ description: 'cursor of the next page' })) }, { description });
/** A list that is never paged. */
export const ListOf = <T extends TSchema>(item: T, description: string) => Type.Object({ items: Type.Array(item) }, { description });

const Time = Type.String({ description: 'RFC 3339 time' });
const StringMap = Type.Record(Type.String(), Type.String());
const Counts = Type.Record(Type.String(), Type.Integer());

/** 304: the If-None-Match ETag is still current; no body. */
export const NotModified = Type.Null({ description: 'Not modified: the If-None-Match ETag is current' });
export { NoContent };

export const TenantSchema = Type.Object({
  slug: Type.String(), name: Type.String(), tier: literals(TIERS), channel: literals(CHANNELS),
  labels: StringMap,
  region: Maybe(Type.String()),
  maintenanceWindow: Maybe(MaintenanceWindow),
  resourceVersion: Type.Integer({ description: 'bumped on every write; the ETag' }),
  createdAt: Time, updatedAt: Time, deletedAt: Maybe(Time),
}, { description: 'A tenant' });

export const ConditionSchema = Type.Object({
  type: Type.String(), status: literals(['True', 'False', 'Unknown']), reason: Type.String(), message: Type.String(), lastTransitionTime: Time,
});

export const HEALTHS = ['Unknown', 'Progressing', 'Ready', 'Published', 'Degraded', 'Failed', 'Deleting', 'Deleted'] as const;

export const EnvironmentSchema = Type.Object({
  tenant: Type.String(), name: Type.String(), type: literals(ENVIRONMENT_TYPES), blueprint: Type.String(), version: Type.String(),
  values: Open('values (as given; checked against the release\'s values schema)'),
  placement: Type.Object({ cluster: Type.String({ description: 'empty until placed' }), namespace: Type.String() }),
  delivery: literals(DELIVERY_MODES), selfHeal: Type.Boolean(),
  desiredRevision: Maybe(Type.String()), appliedRevision: Maybe(Type.String()), lastGoodRevision: Maybe(Type.String()),
  health: literals(HEALTHS), conditions: Type.Array(ConditionSchema),
  resourceVersion: Type.Integer({ description: 'bumped on every write; the ETag' }),
  createdAt: Time, updatedAt: Time,
}, { description: 'An environment with its status' });

export const OperationStepSchema = Type.Object({
  name: Type.String(), state: literals(['pending', 'running', 'waiting', 'succeeded', 'failed', 'skipped']), attempts: Type.Integer(),
  startedAt: Maybe(Time), finishedAt: Maybe(Time), error: Maybe(Type.String()),
  output: Maybe(Open('what the step recorded')),
  waitingSince: Maybe(Time), waits: Type.Optional(Type.Integer()), message: Maybe(Type.String()),
});

export const OPERATION_KINDS = ['onboard', 'upgrade', 'patch', 'reconfigure', 'scale', 'rollback', 'offboard', 'hibernate', 'wake', 'move', 'reclaim'] as const;
export const OPERATION_STATES = ['pending', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export const OperationSchema = Type.Object({
  id: Type.String(), kind: literals(OPERATION_KINDS), tenant: Type.String(), environment: Maybe(Type.String()), state: literals(OPERATION_STATES),
  idempotencyKey: Maybe(Type.String()),
  params: Open('what the operation was asked to do'),
  steps: Type.Array(OperationStepSchema), attempts: Type.Integer(),
  result: Maybe(Open('what the operation produced')), error: Maybe(Type.String()), requestId: Maybe(Type.String()),
  createdAt: Time, updatedAt: Time, finishedAt: Maybe(Time),
}, { description: 'A durable operation with its steps' });

const ClusterHealthSchema = Type.Object({
  state: literals(CLUSTER_AVAILABILITY), reason: Type.String(), message: Type.String(), since: Time, failingSince: Nullable(Time),
  consecutiveFailures: Type.Integer(), lastProbeAt: Time, latencyMs: Type.Optional(Type.Number()), version: Type.Optional(Type.String()),
});

export const ClusterSchema = Type.Object({
  name: Type.String(), provider: literals(PROVIDERS), region: Type.String(), labels: StringMap,
  role: Type.String({ description: 'shared or dedicated:<tenant>' }), apiServer: Type.String(),
  kubernetesVersion: Maybe(Type.String()),
  capacity: Maybe(Type.Object({
    cpuMillis: Type.Number(), memoryBytes: Type.Number(), gpus: Type.Number(), nodes: Type.Integer(),
    reservedCpuMillis: Maybe(Type.Number()), reservedMemoryBytes: Maybe(Type.Number()), observedAt: Maybe(Time),
  })),
  pricePerCpuHour: Maybe(Type.Number()), pricePerGbHour: Maybe(Type.Number()), pricePerGpuHour: Maybe(Type.Number()),
  capabilities: Maybe(Type.Array(literals(CLUSTER_CAPABILITIES))),
  health: Maybe(ClusterHealthSchema),
  cordon: Maybe(Type.Object({ reason: Type.String(), at: Time })),
  createdAt: Time, updatedAt: Time,
}, { description: 'A registered cluster (its credentials are never returned)' });

const RejectionSchema = Type.Object({ reason: Type.String(), rollout: Nullable(Type.String()), by: Type.String(), at: Time });

const releaseFields = {
  name: Type.String(), version: Type.String(), digest: Type.String({ description: 'sha256 of name, version and document' }), createdAt: Time,
  rejected: Maybe(RejectionSchema),
};
export const ReleaseSummarySchema = Type.Object(releaseFields, { description: 'A blueprint release without its document' });
export const ReleaseSchema = Type.Object({ ...releaseFields, spec: Open('the blueprint document') }, { description: 'A blueprint release with its document' });

export const TokenSchema = Type.Object({
  id: Type.String(), name: Type.String(), tenant: Nullable(Type.String()), role: literals(['admin', 'tenant-admin', 'tenant-viewer']),
  createdAt: Time, expiresAt: Nullable(Time), rotatedAt: Nullable(Time),
}, { description: 'A token (never its secret)' });
export const TokenWithSecretSchema = Type.Object({
  token: TokenSchema, secret: Type.String({ description: 'shown once: the store keeps only its hash' }),
}, { description: 'A token and its secret' });

export const AuditRecordSchema = Type.Object({
  seq: Type.String(), at: Time, actor: Type.String(), action: Type.String(), tenant: Nullable(Type.String()), target: Type.String(),
  detail: Open('what was done: fields, result, status'),
});

export const TenantCreatedSchema = Type.Object({
  tenant: TenantSchema, environments: Type.Array(EnvironmentSchema), operations: Type.Array(OperationSchema),
}, { description: 'The tenant, its environments and their onboarding operations' });

const WaveCounts = Type.Record(literals(TARGET_STATES), Type.Integer());

export const RolloutSchema = Type.Object({
  id: Type.String(), blueprint: Type.String(), version: Type.String(),
  state: literals(['pending', 'running', 'paused', 'succeeded', 'failed', 'aborted', 'rolling-back', 'rolled-back']),
  reason: Nullable(Type.String()), currentWave: Type.Integer(),
  selector: Type.Object({
    labels: Type.Optional(StringMap), envTypes: Type.Optional(Type.Array(literals(ENVIRONMENT_TYPES))),
    clusters: Type.Optional(Type.Array(Type.String())), tenants: Type.Optional(Type.Array(Type.String())),
  }, { description: 'which environments' }),
  strategy: Type.Object({
    canary: Type.Object({ count: Type.Optional(Type.Integer()), percent: Type.Optional(Type.Number()) }),
    waves: Type.Array(Type.Number(), { description: 'cumulative percentages' }), maxParallel: Type.Integer(), maxFailures: Type.Optional(Type.Integer()),
    maxUnavailable: Type.Optional(Type.Integer()),
    gates: Type.Object({
      health: Type.Boolean(), bakeSeconds: Type.Integer(),
      metric: Type.Optional(Type.Object({ query: Type.String(), op: literals(['<', '<=', '>', '>=']), threshold: Type.Number() })),
      slo: Type.Optional(Type.Object({ severities: Type.Array(literals(['page', 'ticket'])) })),
    }),
    respectMaintenanceWindows: Type.Boolean(), onGateFailure: Type.Optional(literals(['pause', 'rollback'])),
  }),
  totals: Type.Record(Type.String(), Type.Integer(), { description: 'targets by state, and total' }),
  waves: Type.Array(Type.Object({
    index: Type.Integer(), name: Type.String(), state: literals(['pending', 'running', 'baking', 'gated', 'done']),
    counts: WaveCounts, gate: literals(['pending', 'baking', 'passed', 'failed']), gateReason: Type.Optional(Type.String()),
    startedAt: Type.Optional(Time), completedAt: Type.Optional(Time),
    targets: Type.Array(Type.Object({
      tenant: Type.String(), environment: Type.String(), state: literals(TARGET_STATES),
      operationId: Nullable(Type.String()), reason: Nullable(Type.String()), fromVersion: Nullable(Type.String()),
    })),
  })),
  skipped: Type.Array(Type.Object({ tenant: Type.String(), environment: Type.String(), reason: Type.String() })),
  rollback: Type.Optional(Type.Object({
    reason: Type.String(), startedAt: Time, completedAt: Type.Optional(Time), seconds: Type.Optional(Type.Number()),
    environments: Type.Integer(), restored: Type.Integer(), failed: Type.Array(Type.String()),
  })),
  createdBy: Nullable(Type.String()), createdAt: Time, updatedAt: Time, finishedAt: Nullable(Time),
}, { description: 'A fleet rollout with per-wave progress' });

export const EvacuationSchema = Type.Object({
  id: Type.String(), clusters: Type.Array(Type.String()), region: Nullable(Type.String()), trigger: literals(['manual', 'failover']),
  reason: Type.String(), concurrency: Type.Integer(), lostAt: Nullable(Time), state: literals(['running', 'succeeded', 'failed']),
  moves: Type.Array(Type.Object({
    tenant: Type.String(), environment: Type.String(), from: Type.String(), to: Nullable(Type.String()), explanation: Type.String(),
    state: literals(['pending', 'moving', 'succeeded', 'failed', 'unplaceable']), operation: Type.Optional(Type.String()),
    startedAt: Type.Optional(Time), readyAt: Type.Optional(Time), switchedAt: Type.Optional(Time), removeStartedAt: Type.Optional(Time),
    finishedAt: Type.Optional(Time), rtoSeconds: Type.Optional(Type.Number()), error: Type.Optional(Type.String()),
    waitingOn: Type.Optional(Type.String({ description: 'what the move waits on now, e.g. a PodDisruptionBudget not yet met on the target' })),
    disruptionBudgets: Type.Optional(Type.String({ description: 'the PodDisruptionBudgets consulted before the source copy was removed' })),
    leftOn: Type.Optional(Type.String({ description: 'failover: the lost cluster still holds this environment\'s objects (removed by a reclaim operation once it is back)' })),
    reclaimOperation: Type.Optional(Type.String({ description: 'the reclaim operation that removes them' })),
  })),
  version: Type.Integer(), createdAt: Time, updatedAt: Time, finishedAt: Nullable(Time),
}, { description: 'An evacuation: one move per environment' });

export const ClusterUpgradeSchema = Type.Object({
  id: Type.String(), target: Type.String(), state: literals(UPGRADE_STATES),
  plan: Type.Object({
    target: Type.String(),
    waves: Type.Array(Type.Array(Type.Object({ cluster: Type.String(), provider: Type.String(), from: Type.String(), steps: Type.Array(Type.String()) }))),
    skipped: Type.Array(Type.Object({ cluster: Type.String(), reason: Type.String() })),
    soakMs: Type.Number(), approval: Type.Boolean(),
    maintenanceWindow: Type.Optional(MaintenanceWindow),
    windows: Type.Optional(Type.Record(Type.String(), MaintenanceWindow, { description: "per-cluster maintenance windows, by cluster name" })),
  }),
  progress: Type.Record(Type.String(), Type.Object({
    state: literals(['pending', 'upgrading', 'verifying', 'done', 'failed']),
    startedAt: Type.Optional(Time), finishedAt: Type.Optional(Time), verifySince: Type.Optional(Time), message: Type.Optional(Type.String()),
  }), { description: 'by cluster name' }),
  reason: Nullable(Type.String()), version: Type.Integer(), createdAt: Time, updatedAt: Time,
}, { description: 'A Kubernetes upgrade plan over clusters, in waves' });

export const TrainingRunSchema = Type.Object({
  tenant: Type.String(), environment: Type.String(), component: Type.String(), id: Type.String(), form: literals(['TrainJob', 'Job']),
  object: Type.Object({ apiVersion: Type.String(), kind: Type.String(), namespace: Type.String(), name: Type.String() }),
  gpus: Type.Number(), nodes: Type.Integer(), state: Type.String(), message: Nullable(Type.String()), startedAt: Time, finishedAt: Nullable(Time),
  gpuHours: Type.Optional(Type.Number()),
  reason: Type.Optional(Type.String({ description: 'on start: why this form (TrainJob or Job) was rendered' })),
}, { description: 'A training run' });

export const TrainingRunsSchema = Type.Object({
  tenant: Type.String(), environment: Type.String(), runs: Type.Array(TrainingRunSchema), gpuHours: Type.Number(),
}, { description: "An environment's training runs (running ones read back from the cluster first)" });

const savedFields = { replicaHours: Type.Number(), gpuHours: Type.Number(), hibernatedHours: Type.Number() };
const Saved = Type.Object(savedFields, { description: 'replica-hours and GPU-hours not run, hours hibernated' });

export const HibernationStatusSchema = Type.Object({
  tenant: Type.String(), environment: Type.String(), state: Type.String({ description: 'awake, hibernating, hibernated or waking' }),
  since: Nullable(Time), revision: Nullable(Type.String()),
  schedule: Nullable(Open('the schedule that applies: timezone, off windows')),
  scheduleSource: Nullable(literals(['environment', 'environment-type'])),
  scheduleWantsOffNow: Nullable(Type.Boolean()), nextScheduledChange: Nullable(Time),
  saved: Saved,
  periods: Type.Array(Open('one hibernated period: start, end, replicas, GPUs')),
}, { description: 'Hibernation of one environment' });

export const HibernationSavingsSchema = Type.Object({
  tenant: Type.String(), from: Nullable(Time), to: Nullable(Time), total: Saved,
  environments: Type.Array(Type.Object({ environment: Type.String(), ...savedFields })),
}, { description: 'Hours saved by hibernation' });

export const ScalingPolicySchema = Type.Object({
  tenant: Type.String(), environment: Type.String(), mode: literals(['off', 'dry-run', 'active']),
  hpa: Type.Object({ cluster: Type.String(), namespace: Type.String(), name: Type.String() }),
  query: Type.String(), floor: Type.Integer(), ceiling: Type.Integer(), capacityPerPod: Type.Number(), leadTimeSeconds: Type.Integer(),
  cooldownMinutes: Type.Number(), hysteresis: Type.Number(), quantile: Type.Number(), historyDays: Type.Integer(), stepSeconds: Type.Integer(),
}, { description: 'A predictive-scaling policy' });

export const LicenseAnswerSchema = Type.Object({
  license: Type.Object({
    apiVersion: Type.Literal('fleetplane.io/v1alpha1'), kind: Type.Literal('License'), id: Type.String(), tenant: Type.String(),
    issuedAt: Time, expiresAt: Time, entitlements: Type.Object({ maxEnvironments: Type.Integer(), maxGpus: Type.Integer() }),
  }),
  signature: Type.String({ description: 'base64 Ed25519 signature of license.json' }),
}, { description: 'A license and its signature' });

export const InstallReportSchema = Type.Object({
  id: Type.String(), tenant: Type.String(), environment: Type.String(), revision: Type.String(), version: Type.String(),
  result: literals(['installed', 'refused', 'failed']), via: literals(['online', 'import']), reportedAt: Time,
  report: Open('the signed report as the install sent it'),
  receivedAt: Type.Optional(Time),
}, { description: 'An install report' });

/** text/html, text/markdown, ...: one media type with a string body. */
export const TextBody = (mediaType: string, description: string) => ({ description, content: { [mediaType]: { schema: Type.String() } } });

const Scope = Type.Object({ kind: literals(['fleet', 'tenant']), tenant: Type.Optional(Type.String()) });

export const FleetHealthSchema = Type.Object({
  scope: Scope, generatedAt: Time, environments: Type.Integer(), byHealth: Counts,
  byVersion: Type.Array(Type.Object({ blueprint: Type.String(), version: Type.String(), environments: Type.Integer(), byHealth: Counts })),
  byCluster: Type.Array(Type.Object({
    cluster: Type.String(), environments: Type.Integer(), byHealth: Counts,
    reachable: Nullable(Type.Boolean({ description: 'null when not probed' })), error: Type.Optional(Type.String()),
  })),
  worstOffenders: Type.Array(Type.Object({
    tenant: Type.String(), environment: Type.String(), cluster: Type.String(), health: literals(HEALTHS), blueprint: Type.String(), version: Type.String(),
    since: Time, unhealthySeconds: Type.Number(), reason: Type.String(), message: Type.String(),
  })),
  errors: Type.Array(Type.Object({ cluster: Type.String(), message: Type.String() })),
}, { description: 'Fleet health: counts, worst offenders, per-cluster errors' });

export const SloStatusSchema = Type.Object({
  objectives: OpenWith({ availability: Type.Number(), latency: Type.Number() }, "the tier's objectives"),
  prometheus: literals(['ok', 'not-configured', 'unreachable']),
  ratios: Type.Array(Type.Object({ window: Type.String(), errorRatio: Nullable(Type.Number()), slowRatio: Nullable(Type.Number()) })),
  firing: Type.Array(Type.Object({ alert: Type.String(), severity: Type.String(), window: Nullable(Type.String()) })),
  budgetRemaining: Type.Optional(Type.Object({ availability: Nullable(Type.Number()), latency: Nullable(Type.Number()), window: Type.String() })),
}, { description: 'SLO status of one environment' });

export const RevisionListSchema = ListOf(Type.Object({
  id: Type.String(), version: Type.String(), createdAt: Nullable(Time), applied: Type.Boolean(), desired: Type.Boolean(), lastGood: Type.Boolean(),
}), "An environment's revisions, newest first");

export const RevisionSchema = Type.Object({
  id: Type.String(), blueprint: Type.String(), version: Type.String(), createdAt: Nullable(Time),
  objects: Type.Array(Type.Object({ hash: Type.String(), object: Open('a rendered Kubernetes object (Secret values redacted)') })),
  helmValues: Type.Array(Type.Object({ component: Type.String(), chart: Type.String(), chartVersion: Type.String(), yaml: Type.String() })),
}, { description: "One revision's objects and Helm values" });

export const DiffSchema = Type.Object({
  from: Type.String(), to: Type.String({ description: 'a revision id, or live' }),
  changes: Type.Array(Type.Object({
    ref: Type.Object({ apiVersion: Type.String(), kind: Type.String(), namespace: Nullable(Type.String()), name: Type.String() }),
    change: Type.String({ description: 'added, removed or changed' }),
    patch: Type.String({ description: 'unified diff of the canonical YAML' }),
    driftFields: Type.Optional(Type.Array(Type.String())),
  })),
  unchanged: Type.Integer(),
  lastDriftCheck: Type.Optional(Nullable(Type.Object({ report: Type.Unknown({ description: "the reconcile loop's last drift report" }), checkedAt: Nullable(Time) }))),
}, { description: 'What changes between two revisions, or a revision and the cluster: per object unified diffs of canonical YAML' });

export const DashboardListSchema = ListOf(Type.Object({
  environment: Type.String(), uid: Type.String(), title: Type.String(), folder: Type.String(), href: Type.String(),
}), "A tenant's dashboards");

export const EventAnswerSchema = Type.Object({
  id: Type.String(), source: Type.String(), type: Type.String(), duplicate: Type.Boolean(),
  outcome: Open('what the event did: {tenant, environments, operations}, {release} or {operation}'),
}, { description: 'The event and its outcome' });

const Rejected = Type.Array(Type.Object({ cluster: Type.String(), check: Type.String(), reason: Type.String() }));

/** A planned move of one environment (src/plan/move.ts PlannedMove). */
const PlannedMoveFields = {
  tenant: Type.String(), environment: Type.String(), to: Nullable(Type.String({ description: 'null: no cluster can take it' })), explanation: Type.String(), rejected: Rejected,
};

export const PlacementPlanSchema = Type.Object({
  cluster: Nullable(Type.String()), policy: Type.String(),
  policyFrom: Type.String({ description: 'why this policy: default, tier <tier> or environment type <type> (FLEETPLANE_PLACEMENT_POLICY per tier)' }),
  eligible: Type.Array(Type.Object({
    cluster: Type.String(), rank: Type.Integer(),
    parts: Type.Object({ dedicated: Type.Number(), region: Type.Number(), environments: Type.Integer(), headroom: Nullable(Type.Number()), monthlyCost: Nullable(Type.Number()) }),
  }, { description: 'an eligible cluster with its score parts, best first' })),
  rejected: Type.Array(Type.Object({ cluster: Type.String(), check: Type.String(), reason: Type.String() })),
  explanation: Type.String(),
  demand: Type.Object({ cpuMillis: Type.Number(), memoryBytes: Type.Number(), gpus: Type.Number() }, { description: 'what the environment would request' }),
}, { description: 'Where the environment would go and why' });

export const UsageRecordSchema = Type.Object({
  tenant: Type.String(), environment: Nullable(Type.String({ description: 'null for tenant-level dimensions' })), dimension: Type.String(), unit: Type.String(),
  hour: Time, hourEnd: Time, quantity: Type.Number(), state: literals(['open', 'final']), version: Type.Integer(), samples: Type.Integer(), finalizedAt: Nullable(Time),
}, { description: 'One hour of one dimension' });

export const CorrectionSchema = Type.Object({
  seq: Type.Integer(), tenant: Type.String(), environment: Nullable(Type.String()), dimension: Type.String(), hour: Time, version: Type.Integer(),
  previousQuantity: Type.Number(), quantity: Type.Number(), delta: Type.Number(), detectedAt: Time,
}, { description: 'Late data on a closed hour' });

export const UsageExportJsonSchema = Type.Object({ tenant: Type.String(), from: Time, to: Time, records: Type.Array(UsageRecordSchema) }, { description: 'Usage records in the range' });

export const ExportRowSchema = Type.Object({
  id: Type.Integer(), tenant: Type.String(), marketplace: Type.String(), source: literals(['usage', 'correction']), sourceKey: Type.String(),
  dimension: Type.String(), marketplaceDimension: Type.String(), hour: Time, exactQuantity: Type.Number(), quantity: Type.Number(),
  state: Type.String(), attempts: Type.Integer(), solo: Type.Boolean(), nextAttemptAt: Time,
  payload: Nullable(Open('the marketplace record exactly as sent')), requestId: Nullable(Type.String()), reason: Nullable(Type.String()),
  mergedInto: Nullable(Type.Integer()), createdAt: Time, updatedAt: Time, sentAt: Nullable(Time),
}, { description: 'One record for the marketplace' });

export const ExportsPageSchema = Type.Object({
  items: Type.Array(ExportRowSchema), next: Type.Optional(Type.String()),
  summary: Type.Record(Type.String(), Type.Integer(), { description: 'rows by state' }),
}, { description: 'A page of export rows and the counts by state' });

export const MarketplaceMappingSchema = Type.Object({
  tenant: Type.String(), marketplace: literals(['aws', 'azure', 'gcp']),
  aws: Type.Optional(Open('productCode, customerIdentifier, customerAwsAccountId, licenseArn')),
  azure: Type.Optional(Open('resourceId, resourceUri, planId')),
  gcp: Type.Optional(Open('serviceName, consumerId, valueType')),
  dimensions: Type.Record(Type.String(), Type.Object({ name: Type.String(), scale: Type.Optional(Type.Number()) })),
  startHour: Time, updatedAt: Type.Optional(Time),
}, { description: "Which marketplace bills the tenant, and how" });

export const ScalingDecisionSchema = Type.Object({
  id: Type.Optional(Type.String()), tenant: Type.String(), environment: Type.String(),
  hpa: Type.Object({ cluster: Type.String(), namespace: Type.String(), name: Type.String() }),
  at: Time, action: literals(['raise', 'hold', 'release', 'noop', 'error']), mode: literals(['off', 'dry-run', 'active']),
  minReplicas: Type.Integer(), previousMinReplicas: Nullable(Type.Integer()), wanted: Type.Integer(), applied: Type.Boolean(), reason: Type.String(),
  forecast: Nullable(Type.Object({
    windowPoint: Type.Number(), upper: Type.Number(), margin: Type.Number(), quantile: Type.Number(), leadTimeMinutes: Type.Number(),
    horizons: Type.Array(Type.Object({ minutes: Type.Number(), value: Type.Number(), model: Type.String() })),
    season: Type.Integer(), historyPoints: Type.Integer(), lastValue: Type.Number(),
  })),
  state: Type.Object({ current: Type.Number(), lastNeededAt: Type.Number() }),
}, { description: "One of the pre-scaler's decisions" });

export const SelfManagedEnvironmentsSchema = ListOf(Type.Object({
  tenant: Type.String(), environment: Type.String(), blueprint: Type.String(), available: Type.String(), revision: Nullable(Type.String()),
  health: literals(HEALTHS),
  installed: Nullable(Type.Object({ version: Type.String(), revision: Type.String(), reportedAt: Time, via: literals(['online', 'import']) })),
  upToDate: Type.Boolean(),
}), 'The release train of self-managed environments');

// An upper bound is infinite until there is history (confidence 0): JSON has no infinity, it reads null.
const VpaResources = Type.Object({ cpuCores: Nullable(Type.Number({ description: 'null: unbounded' })), memoryBytes: Nullable(Type.Number({ description: 'null: unbounded' })) });

const VpaRecommendationSchema = Type.Object({
  tenant: Type.String(), environment: Type.String(), cluster: Type.String(), namespace: Type.String(),
  workload: Type.Object({ kind: Type.String(), name: Type.String() }), historyDays: Type.Integer(),
  containers: Type.Array(Type.Object({
    container: Type.String(),
    recommendation: Type.Object({
      target: VpaResources, lowerBound: VpaResources, upperBound: VpaResources,
      confidence: Type.Number({ description: 'days of history, as upstream measures it' }), cpuSamples: Type.Integer(), memoryPeaks: Type.Integer(),
    }),
  })),
}, { description: 'A request recommendation for one workload' });
export { VpaRecommendationSchema };

export const VpaApplySchema = Type.Object({
  dryRun: Type.Boolean(), object: Open('the VerticalPodAutoscaler written (or validated)'), recommendation: VpaRecommendationSchema,
}, { description: 'The VerticalPodAutoscaler and the recommendation in it' });

export const EvacuationPlanSchema = Type.Object({
  cluster: Type.String(), dryRun: Type.Boolean({ description: 'always true' }), environments: Type.Integer(), unplaceable: Type.Integer(),
  moves: Type.Array(Type.Object(PlannedMoveFields)),
}, { description: 'Where each environment on the cluster would go' });

export const EvacuationDryRunSchema = Type.Object({
  dryRun: Type.Literal(true), clusters: Type.Array(Type.String()),
  moves: Type.Array(Type.Object({ ...PlannedMoveFields, from: Type.String() })),
}, { description: 'The evacuation that would start (nothing written)' });

export const FailoverSchema = Type.Object({
  policy: Type.Record(Type.String(), Type.Object({ mode: Type.String(), afterMs: Type.Number() }), { description: 'the failover policy per tier' }),
  decisions: Type.Array(Type.Object({ cluster: Type.String(), lostAt: Time, evacuate: Type.Array(Type.String()), dryRun: Type.Array(Type.String()) })),
  plans: Type.Array(Type.Object({ cluster: Type.String(), tiers: Type.Array(Type.String()), moves: Type.Array(Type.Object({ ...PlannedMoveFields, from: Type.String() })) })),
  evacuations: Type.Array(Type.Object({ cluster: Type.String(), id: Type.String(), created: Type.Boolean() })),
}, { description: 'The failover policy and what it would do now (dry run)' });

export const FleetVersionsSchema = Type.Object({
  newestSupported: Type.String(), byVersion: Type.Record(Type.String(), Type.Array(Type.String())),
  clusters: Type.Array(Type.Object({
    name: Type.String(), provider: Type.String(), region: Type.String(), version: Nullable(Type.String()),
    warnings: Type.Array(Type.Object({ kind: Type.String(), message: Type.String() })),
  })),
  target: Type.Optional(Type.String()),
  removedApis: Type.Optional(Type.Array(Type.Object({ tenant: Type.String(), environment: Type.String(), object: Type.String(), apiVersion: Type.String(), removedIn: Type.String(), replacement: Type.String() }, { description: 'a rendered object using an API the target removed' }))),
  outsideRange: Type.Optional(Type.Array(Type.Object({
    cluster: Type.String(), release: Type.String(), environments: Type.Integer(),
    kubernetes: Type.Object({ min: Type.String(), max: Type.Optional(Type.String()) }),
  }, { description: 'a blueprint release on a cluster whose Kubernetes range does not include the target' }))),
}, { description: 'Clusters by Kubernetes version with skew warnings' });

const ResourceDelta = Type.Object({ cpuMillis: Type.Number(), memoryBytes: Type.Number(), gpus: Type.Number() }, { description: 'change in requested CPU, memory, GPUs' });
const ObjectKeyFields = { kind: Type.String(), name: Type.String(), namespace: Type.Optional(Type.String()) };

export const RolloutPreviewSchema = Type.Object({
  version: Type.String(),
  waves: Type.Array(Type.Object({ index: Type.Integer(), name: Type.String(), environments: Type.Integer() })),
  environments: Type.Array(Type.Object({
    tenant: Type.String(), environment: Type.String(), wave: Type.Integer(), waveName: Type.String(), fromVersion: Type.String(),
    delivery: literals(['apply', 'publish']), heldByMaintenanceWindow: Type.Boolean(), hibernated: Type.Boolean(),
    added: Type.Array(Type.Object(ObjectKeyFields)),
    changed: Type.Array(Type.Object({ ...ObjectKeyFields, fields: Type.Unsafe<readonly string[]>(Type.Array(Type.String({ description: 'a changed field path' }))) })),
    removed: Type.Array(Type.Object(ObjectKeyFields)), unchanged: Type.Integer(), requests: ResourceDelta,
  })),
  skipped: Type.Array(Type.Object({ tenant: Type.String(), environment: Type.String(), reason: Type.String() })),
  totals: Type.Object({ environments: Type.Integer(), added: Type.Integer(), changed: Type.Integer(), removed: Type.Integer(), requests: ResourceDelta }),
  warnings: Type.Optional(Type.Array(Type.String())),
}, { description: 'What a rollout would do now (nothing written)' });
