// Input and output of renderEnvironment, and the resolved context every object builder reads.
import type { Blueprint, Component, Disruption, Resources, Scaling } from '../domain/blueprint.ts';
import type { TemplateScope } from './template.ts';
import type { ClusterCapability } from '../domain/capabilities.ts';
import type { DeliveryMode, EnvironmentType, HelmValuesFile, KubeObject, RenderedObject, Tier } from '../domain/types.ts';

export interface RenderTenant {
  slug: string;
  name: string;
  tier: Tier;
  labels?: Record<string, string>;
}

export interface RenderEnvironment {
  name: string;
  type: EnvironmentType;
  values?: Record<string, unknown>;
  delivery?: DeliveryMode;
}

/** Where the cluster's shared pieces live; defaults in docs/rendering.md. */
export interface PlatformConfig {
  baseDomain: string;
  /** `gateway` renders Gateway API HTTPRoutes, `ingress` renders networking.k8s.io Ingresses. */
  routing: 'gateway' | 'ingress';
  gateway: { name: string; namespace: string; sectionName?: string };
  ingressClassName: string;
  monitoringNamespace: string;
  /** Namespace whose pods may call exposed components (the gateway or ingress controller). */
  ingressNamespace: string;
  /** ExternalSecret apiVersion served by the cluster's external-secrets CRD. */
  externalSecretsApiVersion: string;
  /** hybrid tier: how data-plane pods reach the tenant's dedicated node pool. */
  /**
   * `required` pins data-plane pods to the tenant's pool (nodeSelector); otherwise they prefer it
   * (node affinity) and may fall back to shared nodes while the pool does not exist yet.
   */
  dedicatedPool: { labelKey: string; taintKey: string; required: boolean };
  /**
   * Base URL of the runbooks the rendered alerts link to (`runbook_url`), no trailing slash. The
   * edges pass FLEETPLANE_RUNBOOK_URL or `<API URL>/runbooks`, where `fleetplane serve` serves them.
   */
  runbookBaseUrl: string;
  /**
   * Where components with kubeAccess reach the Kubernetes API (CIDRs; ports 443 and 6443). Set it to
   * the control-plane endpoint addresses where the CNI evaluates egress after Service DNAT.
   */
  kubeApiServerCidrs: string[];
  /** Named egress destinations (CIDRs) a blueprint's egress rules refer to by `target` (e.g. database). */
  egressTargets: Record<string, string[]>;
  /** NodeLocal DNSCache's link-local address (DNS egress is allowed to it too), or null when not run. */
  nodeLocalDnsAddress: string | null;
  /** Ambient mesh: the namespace's waypoint (a Gateway of class istio-waypoint) by name, or null for none. */
  waypoint: string | null;
  /** The secret backend each environment's own SecretStore reads, with credentials fenced to its path (docs/isolation.md). */
  secretStore: SecretStoreConfig;
  /** AI workloads (docs/ai-workloads.md): the image of the init step that pulls a model from an object-store URI. */
  modelPullerImage: string;
  /**
   * When set, every object-store model URI must lie below `<modelStorePrefix>tenants/<tenant>/<env>/`
   * (the environment's own prefix of the model store), as remote secret keys do below theirs.
   */
  modelStorePrefix: string | null;
  /** The Prometheus a KEDA scale-to-zero trigger reads the component's request rate from. */
  scaleToZeroPrometheus: string;
}

/** Vault, reached by each environment's own ServiceAccount through Vault's Kubernetes auth. */
export interface SecretStoreConfig {
  server: string;
  /** KV v2 mount holding `tenants/<tenant>/<environment>/...`. */
  kvMount: string;
  /** Vault's Kubernetes auth mount. */
  authMountPath: string;
}

export interface RenderInput {
  tenant: RenderTenant;
  environment: RenderEnvironment;
  /**
   * The one parsed Blueprint: parseBlueprint() of a document, or blueprintFromRelease() of a stored
   * release (src/domain/blueprint.ts). The renderer parses nothing itself.
   */
  blueprint: Blueprint;
  placement: { cluster: string; namespace?: string };
  platform?: Partial<PlatformConfig>;
  /**
   * What the target cluster can run beyond core Kubernetes (KServe, Knative Serving, KEDA, Kubeflow
   * Trainer): the AI kinds and scale to zero render by it, and say why (RenderResult.choices). None by default.
   */
  capabilities?: readonly ClusterCapability[];
}

/** How one component was rendered on this cluster, and why (docs/ai-workloads.md). */
export interface RenderChoice {
  component: string;
  kind: Component['kind'];
  /** What carries its pods: Deployment, CronJob, InferenceService, Knative Service, TrainingRuntime (runs as TrainJobs), Job (one per run), or a Helm chart. */
  form: 'Deployment' | 'CronJob' | 'InferenceService' | 'KnativeService' | 'TrainingRuntime' | 'Job' | 'HelmChart';
  /** What scales it: an HPA, a KEDA ScaledObject, Knative's autoscaler, or nothing. */
  scaler: 'HorizontalPodAutoscaler' | 'ScaledObject' | 'Knative' | 'none';
  /** The replica floor (0: scales to zero when idle). */
  minReplicas: number;
  reason: string;
}

/** Values for a Helm-chart component, delivered as an override file next to an Argo CD Application. */
export interface RenderedHelmValues extends HelmValuesFile {
  repo: string;
  releaseName: string;
  namespace: string;
}

export interface RenderResult {
  /** Revision id: short content hash over every object (without the revision label) and helm values. */
  revision: string;
  namespace: string;
  hostname: string;
  blueprint: string;
  version: string;
  objects: RenderedObject[];
  helmValues: RenderedHelmValues[];
  /** Per component: what it was rendered as on this cluster, and why. */
  choices: RenderChoice[];
}

/** A component with its environment type and overrides applied. */
export interface ResolvedComponent {
  spec: Component;
  replicas: number;
  resources: Resources;
  scaling: Scaling | null;
  disruption: Disruption | null;
  /** Config after templating. */
  config: Record<string, string>;
  /** Short hash of the config (pod-template annotation: config changes roll the pods). */
  configHash: string;
  secrets: Array<{ name: string; secretName: string; external?: { store: string; storeKind: 'SecretStore'; key: string; properties: string[] } }>;
  image: string;
  /** Pod-level placement (GPU, hybrid pool). */
  nodeSelector: Record<string, string>;
  tolerations: Array<Record<string, string>>;
  affinity?: Record<string, unknown>;
  /** How it renders on this cluster (./ai/choice.ts). */
  choice: RenderChoice;
  /** The model source with templates expanded and its credentials resolved to a Secret name. */
  model?: { uri?: string; credentialsSecret?: string };
}

export interface RenderContext {
  tenant: RenderTenant;
  env: RenderEnvironment;
  blueprint: Blueprint;
  platform: PlatformConfig;
  namespace: string;
  hostname: string;
  /** app.kubernetes.io/instance of every object: `<tenant>-<env>` as a label value. */
  instance: string;
  params: Record<string, unknown>;
  components: ResolvedComponent[];
  /** The labels every object carries (without the revision label, stamped last). */
  common: Record<string, string>;
  scope: TemplateScope;
  capabilities: ReadonlySet<ClusterCapability>;
}

export type Builder = (ctx: RenderContext) => KubeObject[];

/** An object and its canonical JSON (src/domain/canonical.ts), built together so nothing is serialized twice. */
export interface CanonicalObject {
  object: KubeObject;
  json: string;
}
