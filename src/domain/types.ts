// Fleetplane's nouns. Plain data, no behaviour: every layer (render, plan, engine, store, api)
// speaks these types. The enumerations are `as const` lists, the one copy of each: the API's TypeBox
// schemas (src/api/schemas.ts), the blueprint's JSON Schema (./blueprint.ts), the renderer's input
// checks and the monitoring generators are built from them. Name rules live in ./naming.ts, value
// and input rules in ./validation.ts, state machines in ./state.ts.
import type { ClusterCapability } from './capabilities.ts';

export const TIERS = ['shared', 'dedicated', 'hybrid'] as const;
export type Tier = (typeof TIERS)[number];
export const CHANNELS = ['saas', 'self-managed'] as const;
export type Channel = (typeof CHANNELS)[number];
export const ENVIRONMENT_TYPES = ['prod', 'staging', 'dev'] as const;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];
export const DELIVERY_MODES = ['direct', 'gitops'] as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[number];
export const PROVIDERS = ['aws', 'gcp', 'azure', 'onprem', 'local'] as const;
export type Provider = (typeof PROVIDERS)[number];

export interface MaintenanceWindow {
  /** Cron-like day list, e.g. ["sat","sun"]; empty means any day. */
  days: string[];
  /** "HH:MM" UTC. */
  start: string;
  durationMinutes: number;
}

export interface Tenant {
  slug: string;
  name: string;
  tier: Tier;
  channel: Channel;
  labels: Record<string, string>;
  region?: string;
  maintenanceWindow?: MaintenanceWindow;
  /** Optimistic concurrency: bumped on every write, exposed as ETag. */
  resourceVersion: number;
  createdAt: string;
  updatedAt: string;
  deletedAt?: string | null;
}

export interface ClusterCapacity {
  /** Allocatable on Ready, schedulable nodes. */
  cpuMillis: number;
  memoryBytes: number;
  gpus: number;
  nodes: number;
  /** Reserved by Fleetplane environments: the sum of their ResourceQuotas' requests (observed). */
  reservedCpuMillis?: number;
  reservedMemoryBytes?: number;
  /** When the engine last read it from the cluster. */
  observedAt?: string;
}

export interface Cluster {
  name: string;
  provider: Provider;
  region: string;
  labels: Record<string, string>;
  /** `shared` or `dedicated:<tenant-slug>`. */
  role: string;
  apiServer: string;
  kubernetesVersion?: string;
  capacity?: ClusterCapacity;
  pricePerCpuHour?: number;
  /** Price per GiB-hour of memory and per GPU-hour (placement's cost score, docs/clusters.md). */
  pricePerGbHour?: number;
  pricePerGpuHour?: number;
  /**
   * What the renderer may use beyond core Kubernetes (KServe, Knative Serving, KEDA, Kubeflow
   * Trainer), declared at registration; absent: read from the cluster's API discovery before each
   * render. Declare it where discovery misleads: CRDs installed without their controllers.
   */
  capabilities?: ClusterCapability[];
  /** Observed by the cluster heartbeat (engine/cluster-inventory.ts); absent until the first probe. */
  health?: ClusterHealth;
  /** Set by `cluster cordon`: no new placement lands here; evacuation moves what runs here. */
  cordon?: ClusterCordon | null;
  createdAt: string;
  updatedAt: string;
}

export const CLUSTER_AVAILABILITY = ['Available', 'Suspect', 'Unavailable'] as const;
export type ClusterAvailability = (typeof CLUSTER_AVAILABILITY)[number];

/** The cluster's Available condition, kept by domain/cluster-health.ts from each probe. */
export interface ClusterHealth {
  /** Suspect: probes fail but not yet for the bound; Unavailable: failing for longer than the bound. */
  state: ClusterAvailability;
  reason: string;
  message: string;
  /** When `state` began. */
  since: string;
  /** The first failed probe of the current failing run (null while probes succeed). */
  failingSince: string | null;
  consecutiveFailures: number;
  lastProbeAt: string;
  /** The last successful probe's round trip (GET /readyz then /version), ms. */
  latencyMs?: number;
  /** gitVersion read from the cluster (e.g. v1.37.2). */
  version?: string;
}

export interface ClusterCordon {
  reason: string;
  at: string;
}

/** Kubernetes-style condition. */
export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
}

/**
 * Published: a self-managed environment whose revision Fleetplane rendered and published as a bundle;
 * the customer installs it, so it is never Ready by Fleetplane's own checks (docs/self-managed.md).
 */
export type Health = 'Unknown' | 'Progressing' | 'Ready' | 'Published' | 'Degraded' | 'Failed' | 'Deleting' | 'Deleted';

export interface Placement {
  cluster: string;
  namespace: string;
}

export interface Environment {
  tenant: string;
  name: string;
  type: EnvironmentType;
  blueprint: string;
  version: string;
  values: Record<string, unknown>;
  placement: Placement;
  delivery: DeliveryMode;
  /** Re-apply when drift is found (true) or only report it (false). */
  selfHeal: boolean;
  desiredRevision?: string | null;
  appliedRevision?: string | null;
  lastGoodRevision?: string | null;
  health: Health;
  conditions: Condition[];
  resourceVersion: number;
  createdAt: string;
  updatedAt: string;
}

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

/** Identity of an applied object, used for inventory and pruning. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface RenderedObject {
  object: KubeObject;
  /** sha256 of the object's canonical bytes. */
  hash: string;
}

export interface HelmValuesFile {
  component: string;
  chart: string;
  chartVersion: string;
  /** Canonical YAML text of the override values. */
  yaml: string;
}

/** One rendered, content-hashed set of manifests for an environment. */
export interface Revision {
  /** Short content hash of the whole set (the revision id). */
  id: string;
  tenant: string;
  environment: string;
  blueprint: string;
  version: string;
  objects: RenderedObject[];
  helmValues: HelmValuesFile[];
  createdAt?: string;
  /**
   * Set on the copy delivered while the environment hibernates (plan/hibernation.ts: every workload
   * held at zero, same id and hashes); never stored. GitOps records it in revision.json so verify can
   * tell the held commit from the awake one.
   */
  hibernated?: boolean;
}

export type OperationKind = 'onboard' | 'upgrade' | 'patch' | 'reconfigure' | 'scale' | 'rollback' | 'offboard' | 'hibernate' | 'wake' | 'move' | 'reclaim';
export type OperationState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface OperationStep {
  name: string;
  /** waiting: parked until its next check (verify of a rollout still in progress); the worker is free meanwhile. */
  state: 'pending' | 'running' | 'waiting' | 'succeeded' | 'failed' | 'skipped';
  attempts: number;
  startedAt?: string | null;
  finishedAt?: string | null;
  error?: string | null;
  output?: Record<string, unknown> | null;
  /** While waiting: when this attempt began waiting (its timeout counts from here), checks so far, and why. */
  waitingSince?: string | null;
  waits?: number;
  message?: string | null;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  tenant: string;
  environment?: string | null;
  state: OperationState;
  idempotencyKey?: string | null;
  params: Record<string, unknown>;
  steps: OperationStep[];
  attempts: number;
  result?: Record<string, unknown> | null;
  error?: string | null;
  requestId?: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string | null;
}

/** rolling-back: a gate failed under `onGateFailure: rollback`; every environment the rollout changed is going back (then rolled-back). */
export type RolloutState = 'pending' | 'running' | 'paused' | 'succeeded' | 'failed' | 'aborted' | 'rolling-back' | 'rolled-back';

/** Labels on every object Fleetplane creates (DESIGN.md contract). */
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  tenant: 'fleetplane.io/tenant',
  environment: 'fleetplane.io/environment',
  revision: 'fleetplane.io/revision',
  component: 'fleetplane.io/component',
} as const;

export const MANAGED_BY = 'fleetplane';

/** On a workload whose component is `singleton: true`: a move never runs it on two clusters at once. */
export const SINGLETON_ANNOTATION = 'fleetplane.io/singleton';

/**
 * Server-side-apply field managers, one per writer, so each owns only its fields: the revision's
 * objects (`fleetplane`), the restart stamp on pod templates (`fleetplane-restart`, so a later
 * apply of the revision never removes it), and the pre-scaler's HPA floor (`fleetplane-prescaler`,
 * ADR 0801; the direct driver yields that field to it), and the GitOps driver's Argo CD objects on
 * the management cluster (`fleetplane-gitops`, ADR 0604).
 */
export const FIELD_MANAGER = 'fleetplane';
export const RESTART_FIELD_MANAGER = 'fleetplane-restart';
export const PRESCALER_FIELD_MANAGER = 'fleetplane-prescaler';
export const GITOPS_FIELD_MANAGER = 'fleetplane-gitops';
/** The VPA objects Fleetplane writes and their status recommendation (src/scaling/vpa.ts). */
export const VPA_FIELD_MANAGER = 'fleetplane-vpa';
