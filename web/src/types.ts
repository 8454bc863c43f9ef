// The API's shapes the console reads (see /openapi.json; the server's TypeBox schemas are the truth).
export type Counts = Record<string, number>;

export interface CountRow {
  environments: number;
  drifted: number;
  byHealth: Counts;
}

export interface WhyHalted {
  wave: number;
  waveName: string | null;
  gate: string | null;
  reason: string | null;
  metric: { query: string; op: string; threshold: number; value: number | null; at: string | null } | null;
  summary: string;
}

export interface FleetSummary extends CountRow {
  scope: { kind: 'fleet' | 'tenant'; tenant?: string };
  generatedAt: string;
  tenants: number;
  byRelease: Array<CountRow & { blueprint: string; version: string }>;
  byCluster: Array<CountRow & { cluster: string }>;
  operations: { pending: number; running: number; failedLastDay: number };
  rollouts?: Counts;
  haltedRollouts?: Array<{ id: string; blueprint: string; version: string; state: string; reason: string | null; updatedAt: string; whyHalted: WhyHalted | null }>;
}

export interface AttentionItem {
  tenant: string;
  environment: string;
  health: string;
  drifted: boolean;
  cluster: string;
  blueprint: string;
  version: string;
  since: string;
  reason: string;
  heldBy: string | null;
  failedOperation: { id: string; kind: string; step: string | null; error: string | null } | null;
}

export interface FleetCluster extends CountRow {
  name: string;
  provider: string;
  region: string;
  role: string;
  kubernetesVersion: string | null;
  capacity: { nodes: number; cpuMillis: number; memoryBytes: number; gpus: number; reservedCpuMillis: number | null; reservedMemoryBytes: number | null; observedAt: string | null } | null;
  reachable: boolean | null;
  error: string | null;
}

export interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}

export interface Environment {
  tenant: string;
  name: string;
  type: string;
  blueprint: string;
  version: string;
  placement: { cluster: string; namespace: string };
  delivery: string;
  health: string;
  conditions: Condition[];
  desiredRevision?: string | null;
  appliedRevision?: string | null;
  lastGoodRevision?: string | null;
  updatedAt: string;
}

export interface Tenant {
  slug: string;
  name: string;
  tier: string;
  channel: string;
  region?: string;
  labels: Record<string, string>;
}

export interface OperationStep {
  name: string;
  state: string;
  attempts: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  error?: string | null;
  message?: string | null;
}

export interface Operation {
  id: string;
  kind: string;
  tenant: string;
  environment?: string | null;
  state: string;
  steps: OperationStep[];
  params: Record<string, unknown>;
  error?: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string | null;
}

export interface RolloutListItem {
  id: string;
  blueprint: string;
  version: string;
  state: string;
  reason: string | null;
  currentWave: number;
  totals: Counts & { total: number };
  createdAt: string;
}

export interface MatrixCell {
  environment: string;
  wave: number;
  state: string;
  reason: string | null;
  operationId: string | null;
}

export interface Matrix {
  rollout: { id: string; blueprint: string; version: string; state: string; reason: string | null; currentWave: number; createdAt: string; updatedAt: string; finishedAt: string | null; gates: Record<string, unknown> };
  waves: Array<{ index: number; name: string; gate: string; gateReason: string | null; metric: { value: number | null; at: string } | null; counts: Counts; total: number }>;
  whyHalted: WhyHalted | null;
  rows: Array<{ tenant: string; firstWave: number; targets: MatrixCell[] }>;
  next?: string;
}

export interface RevisionItem {
  id: string;
  version: string;
  createdAt: string | null;
  applied: boolean;
  desired: boolean;
  lastGood: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

export interface RevisionDetail {
  id: string;
  blueprint: string;
  version: string;
  objects: Array<{ hash: string; object: KubeObject }>;
}

export interface ManifestDiff {
  from: string;
  to: string;
  unchanged: number;
  changes: Array<{ ref: { kind: string; namespace: string | null; name: string }; change: 'added' | 'removed' | 'changed'; patch: string; driftFields?: string[] }>;
  lastDriftCheck?: { report: unknown; checkedAt: string | null } | null;
}

export interface Slo {
  objectives: { availability: number; latency: number; latencyThresholdSeconds: number };
  prometheus: 'ok' | 'not-configured' | 'unreachable';
  ratios: Array<{ window: string; errorRatio: number | null; slowRatio: number | null }>;
  firing: Array<{ alert: string; severity: string }>;
  budgetRemaining?: { availability: number | null; latency: number | null; window: string };
}

export interface ScalingDecision {
  id?: string;
  at: string;
  action: string;
  mode: string;
  minReplicas: number;
  previousMinReplicas: number | null;
  applied: boolean;
  reason: string;
  forecast: { windowPoint: number; upper: number; lastValue: number; leadTimeMinutes: number } | null;
}
