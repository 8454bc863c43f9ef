// Response schemas of the console's summary routes (console-fleet.ts, console-rollouts.ts,
// console-revisions.ts): they document the shapes in /openapi.json and serialize the answers.
import { Type } from '@sinclair/typebox';

const Counts = Type.Record(Type.String(), Type.Integer(), { description: 'environments by health (Ready, Progressing, Degraded, Failed, Unknown, Deleting)' });

const CountRow = {
  environments: Type.Integer(),
  drifted: Type.Integer({ description: 'environments whose Drifted condition is True (any health)' }),
  byHealth: Counts,
};

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const WhyHaltedSchema = Type.Object({
  wave: Type.Integer(),
  waveName: Nullable(Type.String()),
  gate: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  metric: Nullable(Type.Object({
    query: Type.String({ description: 'the gate\'s PromQL' }), op: Type.String(), threshold: Type.Number(),
    value: Nullable(Type.Number()), at: Nullable(Type.String()),
  })),
  summary: Type.String(),
});

export const HaltedRolloutSchema = Type.Object({
  id: Type.String(), blueprint: Type.String(), version: Type.String(), state: Type.String(), reason: Nullable(Type.String()),
  updatedAt: Type.String(), whyHalted: Nullable(WhyHaltedSchema),
});

export const FleetSummarySchema = Type.Object({
  scope: Type.Object({ kind: Type.String(), tenant: Type.Optional(Type.String()) }),
  generatedAt: Type.String(),
  tenants: Type.Integer(),
  ...CountRow,
  byRelease: Type.Array(Type.Object({ blueprint: Type.String(), version: Type.String(), ...CountRow })),
  byCluster: Type.Array(Type.Object({ cluster: Type.String({ description: 'empty while not placed yet' }), ...CountRow })),
  operations: Type.Object({ pending: Type.Integer(), running: Type.Integer(), failedLastDay: Type.Integer() }),
  rollouts: Type.Optional(Type.Record(Type.String(), Type.Integer(), { description: 'admin only: active rollouts by state' })),
  haltedRollouts: Type.Optional(Type.Array(HaltedRolloutSchema, { description: 'admin only: paused, or failed in the last 7 days' })),
}, { description: 'Counts computed in SQL: by health, by release, by cluster' });

export const AttentionItemSchema = Type.Object({
  tenant: Type.String(), environment: Type.String(), health: Type.String(), drifted: Type.Boolean(), cluster: Type.String(),
  blueprint: Type.String(), version: Type.String(), since: Type.String(),
  reason: Type.String({ description: 'in words: the failed step and its error, the condition\'s own message' }),
  condition: Nullable(Type.Object({ type: Type.String(), reason: Type.String(), message: Type.String() })),
  failedOperation: Nullable(Type.Object({ id: Type.String(), kind: Type.String(), step: Nullable(Type.String()), error: Nullable(Type.String()) })),
  heldBy: Nullable(Type.String({ description: 'the rollout holding the environment' })),
});

export const AttentionPageSchema = Type.Object({ items: Type.Array(AttentionItemSchema), next: Type.Optional(Type.String()) });

export const FleetClusterSchema = Type.Object({
  name: Type.String(), provider: Type.String(), region: Type.String(), role: Type.String(),
  kubernetesVersion: Nullable(Type.String({ description: 'registered, or read live when probed' })),
  capacity: Nullable(Type.Object({
    nodes: Type.Integer(), cpuMillis: Type.Number(), memoryBytes: Type.Number(), gpus: Type.Number(),
    reservedCpuMillis: Nullable(Type.Number()), reservedMemoryBytes: Nullable(Type.Number()), observedAt: Nullable(Type.String()),
  })),
  ...CountRow,
  reachable: Nullable(Type.Boolean({ description: 'null when not probed' })),
  error: Nullable(Type.String()),
});

export const FleetClustersSchema = Type.Object({ items: Type.Array(FleetClusterSchema), next: Type.Optional(Type.String()) });
