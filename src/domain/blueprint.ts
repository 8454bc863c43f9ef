// The blueprint document (fleetplane.io/v1alpha1, kind Blueprint): the product's template, released
// as immutable versions. Types, the JSON Schema that validates it, and the one parser: parseBlueprint()
// for a document, blueprintFromRelease() for a stored release. Either gives the one `Blueprint` the
// renderer takes. The format is described for humans in docs/rendering.md.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import semver from 'semver';
import { canonicalJson, sha256Hex } from './canonical.ts';
import { InputError, type FieldIssue } from './errors.ts';
import { DNS_LABEL_MAX, DNS_SUBDOMAIN_MAX, NAME_PATTERNS } from './naming.ts';
import { ENVIRONMENT_TYPES, type EnvironmentType } from './types.ts';
import { HIBERNATION_SCHEDULE_SCHEMA, scheduleIssues, type HibernationSchedule } from './hibernation.ts';

export const BLUEPRINT_API_VERSION = 'fleetplane.io/v1alpha1';
export const COMPONENT_KINDS = ['web-service', 'worker', 'cron-job', 'model-server', 'inference-service', 'training-job', 'helm-chart'] as const;
export type ComponentKind = (typeof COMPONENT_KINDS)[number];

export interface ResourceList { cpu?: string; memory?: string; 'ephemeral-storage'?: string }
export interface Resources { requests?: ResourceList; limits?: ResourceList }
export interface Scaling { min: number; max: number; targetCPUUtilization?: number }
export interface Disruption { minAvailable?: number | string; maxUnavailable?: number | string }
export interface Port { name: string; port: number; protocol?: 'TCP' | 'UDP' }
export interface Probe { port: string; path?: string; initialDelaySeconds?: number; periodSeconds?: number; failureThreshold?: number }
export interface PolicyRule { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] }
/** Egress to a CIDR, or to a `target`: a named set of CIDRs the platform defines (PlatformConfig.egressTargets). */
export interface EgressRule { cidr?: string; target?: string; except?: string[]; ports?: number[] }

/** A secret by reference only: a Secret the customer provides, or an ExternalSecret remote ref. */
export interface SecretRef {
  /** Local name; also the name of the Kubernetes Secret the pod reads. */
  name: string;
  existingSecret?: string;
  remoteRef?: { store: string; storeKind?: 'SecretStore' | 'ClusterSecretStore'; key: string; properties?: string[] };
}

/** Per component, per environment type: what may differ between prod, staging and dev. */
export interface ComponentSizing {
  replicas?: number;
  resources?: Resources;
  /** null turns the HPA off. */
  scaling?: Scaling | null;
  /** null turns the PDB off. */
  disruption?: Disruption | null;
}

/**
 * Where a model's weights come from (docs/ai-workloads.md): a PersistentVolumeClaim the environment
 * owns (rendered `<component>-model` in its namespace, mounted read-only), or an object-store URI an
 * init step pulls into an emptyDir, with credentials by reference (the name of one of the
 * component's `secrets`).
 */
export interface ModelSource {
  pvc?: { size: string; storageClass?: string; accessMode?: 'ReadWriteOnce' | 'ReadOnlyMany' | 'ReadWriteMany' };
  uri?: { uri: string; credentials?: string; size?: string };
}

export interface ModelSpec {
  source: ModelSource;
  /** KServe model format (sklearn, pytorch, huggingface, ...); required for an inference-service. */
  format?: string;
  /** Path of the model below the source's root. */
  path?: string;
  /** Where the server sees the model (default /mnt/models). */
  mountPath?: string;
  /** Readiness: an HTTP path that answers only once the model is loaded (default /v2/health/ready, the Open Inference Protocol's). */
  readyPath?: string;
  /** How long loading may take before the container is restarted (startup probe budget, default 600 s). */
  loadTimeoutSeconds?: number;
}

/** Scale to zero when idle (rendered as a KEDA ScaledObject or a Knative Service, by what the cluster has). */
export interface ScaleToZero {
  /** Idle time before the last replica goes (default 300 s). */
  idleSeconds?: number;
  /** Ceiling while active (default: the scaling max, else the replica count, at least 1). */
  maxReplicas?: number;
}

/** A training-job's shape: one run is started per API call (docs/ai-workloads.md). */
export interface TrainingSpec {
  numNodes?: number;
  backoffLimit?: number;
}

export interface Component extends ComponentSizing {
  name: string;
  kind: ComponentKind;
  description?: string;
  /** Repository under spec.product.registry (or a full reference with '/'); tag defaults to the product tag. */
  image?: { repository: string; tag?: string };
  command?: string[];
  args?: string[];
  ports?: Port[];
  probes?: { readiness?: Probe; liveness?: Probe; startup?: Probe };
  /** Plain settings, templated with ${params.x}, ${env.name}, ... Rendered into a ConfigMap. */
  config?: Record<string, string>;
  secrets?: SecretRef[];
  /** Components this one calls (network allow rules). */
  talksTo?: string[];
  egress?: EgressRule[];
  /** Public route through the gateway. */
  expose?: { port: string; path?: string };
  metrics?: { port: string; path?: string };
  /** Kubernetes API access; absent means no token is mounted. */
  kubeAccess?: PolicyRule[];
  /**
   * GPUs per pod: an extended resource (`resource`, default nvidia.com/gpu) on nodes labelled
   * nvidia.com/gpu.present (and nvidia.com/gpu.product = `product` when given), or a DRA device class
   * (`deviceClass`: a ResourceClaimTemplate of `count` devices of that class).
   */
  gpu?: { count: number; resource?: string; product?: string; deviceClass?: string };
  model?: ModelSpec;
  scaleToZero?: ScaleToZero;
  training?: TrainingSpec;
  /** hybrid tier: run on the tenant's dedicated node pool (defaults to true for model servers). */
  dataPlane?: boolean;
  /**
   * Never two live copies: its Deployment replaces pods (strategy Recreate) and a move stops it on
   * the source cluster before it starts on the target (docs/clusters.md "Move").
   */
  singleton?: boolean;
  schedule?: string;
  concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
  /** cron-job: a run is killed after this many seconds (default 3600). */
  activeDeadlineSeconds?: number;
  chart?: { repo: string; name: string; version: string; values?: Record<string, unknown> };
  environmentTypes?: Partial<Record<EnvironmentType, ComponentSizing>>;
}

export interface Quota {
  cpu: string; memory: string; ephemeralStorage?: string; pods: number; gpus?: number; services?: number; configmaps?: number; persistentvolumeclaims?: number;
  /** requests.storage: what the environment's claims (model storage) may request in total. */
  storage?: string;
  /** GPUs the environment's training runs may hold at once (checked when a run is started; they count against `gpus` too). */
  trainingGpus?: number;
}

export interface EnvTypeDefaults {
  replicas: number;
  resources: Resources;
  scaling?: Scaling | null;
  disruption?: Disruption | null;
  /** Namespace quota for the shared tier; hybrid and dedicated scale it (docs/rendering.md). */
  quota: Quota;
  /** LimitRange container defaults. */
  containerDefaults: { request: ResourceList; limit: ResourceList; max?: ResourceList };
  /** Parameter defaults for this environment type (over the schema's defaults). */
  parameters?: Record<string, unknown>;
  /** When environments of this type hibernate (every workload at zero); an environment may set its own. */
  hibernation?: HibernationSchedule;
}

export interface BlueprintSpec {
  product: {
    registry: string;
    tag: string;
    /** Image reference (as rendered) -> its sha256 digest: self-managed bundles list images pinned by digest. */
    imageDigests?: Record<string, string>;
    /** Kubernetes minor versions the release supports, e.g. { min: '1.36', max: '1.37' } (bundle preflight). */
    kubernetes?: { min: string; max?: string };
  };
  parameters?: { schema: Record<string, unknown> };
  environmentTypes: Record<EnvironmentType, EnvTypeDefaults>;
  components: Component[];
}

export interface Blueprint {
  apiVersion: typeof BLUEPRINT_API_VERSION;
  kind: 'Blueprint';
  metadata: { name: string; version: string; description?: string };
  spec: BlueprintSpec;
  /**
   * The release's identity: sha256 of the canonical JSON of {name, version, spec} (releaseDigest).
   * Computed by the parser, never read from the YAML; the same value the store keeps with the release,
   * so a document and its stored release agree.
   */
  digest: string;
}

/** What the store keeps of a release: its name, version and the document's `spec` section. */
export interface StoredRelease {
  name: string;
  version: string;
  spec: Record<string, unknown>;
}

const label = { type: 'string', pattern: NAME_PATTERNS.dns1035Label, maxLength: 30 };
/** Schema pieces the environment values' override schema (src/render/values.ts) reuses. */
export const QUANTITY_SCHEMA = { anyOf: [{ type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?(m|k|Ki|Mi|Gi|Ti|M|G|T)?$' }, { type: 'number', minimum: 0 }] };
export const IMAGE_TAG_PATTERN = '^[\\w][\\w.-]{0,127}$';
const KUBE_MINOR = '^1\\.[0-9]{1,3}$';
const quantity = QUANTITY_SCHEMA;
const resourceList = { type: 'object', additionalProperties: false, properties: { cpu: quantity, memory: quantity, 'ephemeral-storage': quantity } };
const resources = { type: 'object', additionalProperties: false, properties: { requests: resourceList, limits: resourceList } };
export const SCALING_SCHEMA = {
  anyOf: [{ type: 'null' }, {
    type: 'object', additionalProperties: false, required: ['min', 'max'],
    properties: { min: { type: 'integer', minimum: 1 }, max: { type: 'integer', minimum: 1 }, targetCPUUtilization: { type: 'integer', minimum: 1, maximum: 100 } },
  }],
};
const intOrPercent = { anyOf: [{ type: 'integer', minimum: 0 }, { type: 'string', pattern: '^[0-9]+%$' }] };
const disruption = { anyOf: [{ type: 'null' }, { type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1, properties: { minAvailable: intOrPercent, maxUnavailable: intOrPercent } }] };
const sizing = { replicas: { type: 'integer', minimum: 0, maximum: 1000 }, resources, scaling: SCALING_SCHEMA, disruption };
const probe = {
  type: 'object', additionalProperties: false, required: ['port'],
  properties: { port: { type: 'string', maxLength: 15 }, path: { type: 'string', pattern: '^/' }, initialDelaySeconds: { type: 'integer', minimum: 0 }, periodSeconds: { type: 'integer', minimum: 1 }, failureThreshold: { type: 'integer', minimum: 1 } },
};
const strings = { type: 'array', items: { type: 'string' } };
const dnsName = { type: 'string', pattern: NAME_PATTERNS.dnsSubdomain, maxLength: DNS_SUBDOMAIN_MAX };
const secretRef = {
  type: 'object', additionalProperties: false, required: ['name'],
  oneOf: [{ required: ['existingSecret'] }, { required: ['remoteRef'] }],
  properties: {
    name: { ...dnsName, maxLength: DNS_LABEL_MAX },
    existingSecret: dnsName,
    remoteRef: {
      type: 'object', additionalProperties: false, required: ['store', 'key'],
      properties: { store: dnsName, storeKind: { enum: ['SecretStore', 'ClusterSecretStore'] }, key: { type: 'string', minLength: 1 }, properties: strings },
    },
  },
};
const MODEL_URI = '^(s3|gs|azureblob|https|hf|oci)://[^\\s]+$';
const modelSchema = {
  type: 'object', additionalProperties: false, required: ['source'],
  properties: {
    source: {
      type: 'object', additionalProperties: false, minProperties: 1, maxProperties: 1,
      properties: {
        pvc: { type: 'object', additionalProperties: false, required: ['size'], properties: { size: QUANTITY_SCHEMA, storageClass: dnsName, accessMode: { enum: ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany'] } } },
        uri: { type: 'object', additionalProperties: false, required: ['uri'], properties: { uri: { type: 'string', pattern: MODEL_URI, maxLength: 2048 }, credentials: { ...dnsName, maxLength: DNS_LABEL_MAX }, size: QUANTITY_SCHEMA } },
      },
    },
    format: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
    path: { type: 'string', pattern: '^(?!/)(?!.*(^|/)\\.\\.?(/|$))[-._a-zA-Z0-9/]{1,253}$' },
    mountPath: { type: 'string', pattern: '^/[-._a-zA-Z0-9/]{0,253}$' },
    readyPath: { type: 'string', pattern: '^/' },
    loadTimeoutSeconds: { type: 'integer', minimum: 30, maximum: 7200 },
  },
};
/** The same schema under each environment type's key. */
function perEnvironmentType(schema: object): Record<EnvironmentType, object> {
  return Object.fromEntries(ENVIRONMENT_TYPES.map((t) => [t, schema])) as Record<EnvironmentType, object>;
}

const component = {
  type: 'object', additionalProperties: false, required: ['name', 'kind'],
  properties: {
    name: label, kind: { enum: COMPONENT_KINDS }, description: { type: 'string' }, ...sizing,
    image: { type: 'object', additionalProperties: false, required: ['repository'], properties: { repository: { type: 'string', minLength: 1 }, tag: { type: 'string', minLength: 1 } } },
    command: strings, args: strings,
    ports: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['name', 'port'], properties: { name: { type: 'string', pattern: NAME_PATTERNS.dns1035Label, maxLength: 15 }, port: { type: 'integer', minimum: 1, maximum: 65535 }, protocol: { enum: ['TCP', 'UDP'] } } } },
    probes: { type: 'object', additionalProperties: false, properties: { readiness: probe, liveness: probe, startup: probe } },
    config: { type: 'object', propertyNames: { pattern: '^[-._a-zA-Z0-9]+$' }, additionalProperties: { type: 'string' } },
    secrets: { type: 'array', items: secretRef },
    talksTo: { type: 'array', items: label },
    egress: { type: 'array', items: { type: 'object', additionalProperties: false, oneOf: [{ required: ['cidr'] }, { required: ['target'] }], properties: { cidr: { type: 'string' }, target: label, except: strings, ports: { type: 'array', items: { type: 'integer', minimum: 1, maximum: 65535 } } } } },
    expose: { type: 'object', additionalProperties: false, required: ['port'], properties: { port: { type: 'string' }, path: { type: 'string', pattern: '^/' } } },
    metrics: { type: 'object', additionalProperties: false, required: ['port'], properties: { port: { type: 'string' }, path: { type: 'string', pattern: '^/' } } },
    kubeAccess: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['apiGroups', 'resources', 'verbs'], properties: { apiGroups: strings, resources: strings, verbs: strings, resourceNames: strings } } },
    gpu: { type: 'object', additionalProperties: false, required: ['count'], properties: { count: { type: 'integer', minimum: 1, maximum: 16 }, resource: { type: 'string', pattern: '^[a-z0-9.-]+/[a-z0-9.-]+$' }, product: { type: 'string', pattern: NAME_PATTERNS.labelValue }, deviceClass: dnsName } },
    model: modelSchema,
    scaleToZero: { type: 'object', additionalProperties: false, properties: { idleSeconds: { type: 'integer', minimum: 30, maximum: 86400 }, maxReplicas: { type: 'integer', minimum: 1, maximum: 1000 } } },
    training: { type: 'object', additionalProperties: false, properties: { numNodes: { type: 'integer', minimum: 1, maximum: 64 }, backoffLimit: { type: 'integer', minimum: 0, maximum: 10 } } },
    dataPlane: { type: 'boolean' },
    singleton: { type: 'boolean' },
    schedule: { type: 'string', pattern: '^(@(hourly|daily|weekly|monthly|yearly)|(\\S+\\s+){4}\\S+)$' },
    concurrencyPolicy: { enum: ['Allow', 'Forbid', 'Replace'] },
    activeDeadlineSeconds: { type: 'integer', minimum: 60, maximum: 86400 },
    chart: { type: 'object', additionalProperties: false, required: ['repo', 'name', 'version'], properties: { repo: { type: 'string', minLength: 1 }, name: { type: 'string', minLength: 1 }, version: { type: 'string', minLength: 1 }, values: { type: 'object' } } },
    environmentTypes: { type: 'object', additionalProperties: false, properties: perEnvironmentType({ type: 'object', additionalProperties: false, properties: sizing }) },
  },
};
const envTypeDefaults = {
  type: 'object', additionalProperties: false, required: ['replicas', 'resources', 'quota', 'containerDefaults'],
  properties: {
    ...sizing,
    quota: {
      type: 'object', additionalProperties: false, required: ['cpu', 'memory', 'pods'],
      properties: { cpu: quantity, memory: quantity, ephemeralStorage: quantity, pods: { type: 'integer', minimum: 1 }, gpus: { type: 'integer', minimum: 0 }, services: { type: 'integer', minimum: 1 }, configmaps: { type: 'integer', minimum: 1 }, persistentvolumeclaims: { type: 'integer', minimum: 0 }, storage: quantity, trainingGpus: { type: 'integer', minimum: 0 } },
    },
    containerDefaults: { type: 'object', additionalProperties: false, required: ['request', 'limit'], properties: { request: resourceList, limit: resourceList, max: resourceList } },
    parameters: { type: 'object' },
    hibernation: HIBERNATION_SCHEDULE_SCHEMA,
  },
};

/** JSON Schema of a blueprint document (draft 2020-12 subset understood by Ajv's default draft-07). */
export const BLUEPRINT_SCHEMA = {
  type: 'object', additionalProperties: false, required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: BLUEPRINT_API_VERSION },
    kind: { const: 'Blueprint' },
    metadata: { type: 'object', additionalProperties: false, required: ['name', 'version'], properties: { name: label, version: { type: 'string', minLength: 1 }, description: { type: 'string' } } },
    spec: {
      type: 'object', additionalProperties: false, required: ['product', 'environmentTypes', 'components'],
      properties: {
        product: { type: 'object', additionalProperties: false, required: ['registry', 'tag'], properties: {
          registry: { type: 'string', minLength: 1 }, tag: { type: 'string', pattern: IMAGE_TAG_PATTERN },
          imageDigests: { type: 'object', additionalProperties: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' } },
          kubernetes: { type: 'object', additionalProperties: false, required: ['min'], properties: { min: { type: 'string', pattern: KUBE_MINOR }, max: { type: 'string', pattern: KUBE_MINOR } } },
        } },
        parameters: { type: 'object', additionalProperties: false, required: ['schema'], properties: { schema: { type: 'object' } } },
        environmentTypes: { type: 'object', additionalProperties: false, required: [...ENVIRONMENT_TYPES], properties: perEnvironmentType(envTypeDefaults) },
        components: { type: 'array', minItems: 1, items: component },
      },
    },
  },
} as const;

/** Keys of environment values that are not blueprint parameters (docs/rendering.md, "Values"). */
export const RESERVED_VALUE_KEYS = ['components', 'secrets'] as const;

const paramValidators = new Map<string, ValidateFunction>();

/**
 * The compiled validator of a blueprint's parameter schema, cached per digest so rendering 10,000
 * environments compiles it once. It fills schema defaults into the object it validates.
 */
export function parameterValidator(bp: Pick<Blueprint, 'digest' | 'spec'>): ValidateFunction {
  let v = paramValidators.get(bp.digest);
  if (!v) {
    const schema = bp.spec.parameters?.schema ?? { type: 'object' };
    v = new Ajv({ allErrors: true, strict: false, useDefaults: true }).compile(schema);
    paramValidators.set(bp.digest, v);
  }
  return v;
}

function parameterSchemaIssues(doc: Blueprint): FieldIssue[] {
  try {
    parameterValidator(doc);
    return [];
  } catch (err) {
    return [{ field: '/spec/parameters/schema', message: `is not a valid JSON Schema: ${(err as Error).message}` }];
  }
}

let validateDoc: ValidateFunction | undefined;
function docValidator(): ValidateFunction {
  validateDoc ??= new Ajv({ allErrors: true, strict: false }).compile(BLUEPRINT_SCHEMA);
  return validateDoc;
}

/** Ajv errors -> field issues with JSON pointers (missing properties point at the property itself). */
export function ajvIssues(errors: ErrorObject[] | null | undefined, prefix = ''): FieldIssue[] {
  return (errors ?? []).map((e) => {
    const missing = e.keyword === 'required' ? `/${String((e.params as { missingProperty?: string }).missingProperty)}` : '';
    const extra = e.keyword === 'additionalProperties' ? `/${String((e.params as { additionalProperty?: string }).additionalProperty)}` : '';
    return { field: `${prefix}${e.instancePath}${missing}${extra}` || '/', message: e.message ?? 'is invalid' };
  });
}

function fail(issues: FieldIssue[]): never {
  const first = issues[0]!;
  throw new InputError(`invalid blueprint: ${first.field} ${first.message}`, issues);
}

/** Cross-field rules the schema cannot express. Each returns an issue or null. */
function semanticIssues(doc: Blueprint): FieldIssue[] {
  const issues: FieldIssue[] = [];
  if (!semver.valid(doc.metadata.version)) issues.push({ field: '/metadata/version', message: 'must be a semantic version (e.g. 1.4.0)' });
  const names = new Set<string>();
  doc.spec.components.forEach((c, i) => {
    const at = `/spec/components/${i}`;
    if (names.has(c.name)) issues.push({ field: `${at}/name`, message: `duplicate component name "${c.name}"` });
    names.add(c.name);
    issues.push(...componentIssues(c, at));
  });
  for (const reserved of RESERVED_VALUE_KEYS) {
    const props = (doc.spec.parameters?.schema as { properties?: Record<string, unknown> } | undefined)?.properties;
    if (props && reserved in props) issues.push({ field: `/spec/parameters/schema/properties/${reserved}`, message: `"${reserved}" is reserved for per-environment overrides` });
  }
  issues.push(...parameterSchemaIssues(doc));
  for (const t of ENVIRONMENT_TYPES) {
    const h = doc.spec.environmentTypes[t].hibernation;
    if (h) issues.push(...scheduleIssues(h, `/spec/environmentTypes/${t}/hibernation`));
  }
  doc.spec.components.forEach((c, i) => (c.talksTo ?? []).forEach((t, j) => {
    if (!names.has(t)) issues.push({ field: `/spec/components/${i}/talksTo/${j}`, message: `unknown component "${t}"` });
  }));
  return issues;
}

type ComponentCheck = (c: Component, ports: Set<string>) => FieldIssue | null;

/** Kinds that may carry a model. */
const AI_KINDS: ReadonlySet<ComponentKind> = new Set(['model-server', 'inference-service', 'training-job']);
/** Long-running, request-served kinds that may scale to zero. */
const SCALABLE_KINDS: ReadonlySet<ComponentKind> = new Set(['web-service', 'worker', 'model-server', 'inference-service']);

const issue = (field: string, message: string): FieldIssue => ({ field, message });
const needPort = (field: string, port: string | undefined, ports: Set<string>): FieldIssue | null =>
  port !== undefined && !ports.has(port) ? issue(field, `names unknown port "${port}"`) : null;

/** Per-component rules, each a small named check returning an issue (field relative to the component) or null. */
const COMPONENT_CHECKS: ComponentCheck[] = [
  (c, p) => needPort('expose/port', c.expose?.port, p),
  (c, p) => needPort('metrics/port', c.metrics?.port, p),
  (c, p) => needPort('probes/readiness/port', c.probes?.readiness?.port, p),
  (c, p) => needPort('probes/liveness/port', c.probes?.liveness?.port, p),
  (c, p) => needPort('probes/startup/port', c.probes?.startup?.port, p),
  (c) => (c.kind === 'helm-chart' && !c.chart ? issue('chart', 'is required for a helm-chart component') : null),
  (c) => (c.kind !== 'helm-chart' && !c.image ? issue('image', `is required for a ${c.kind} component`) : null),
  (c) => (c.kind === 'cron-job' && !c.schedule ? issue('schedule', 'is required for a cron-job component') : null),
  (c) => (c.kind === 'model-server' && !c.gpu ? issue('gpu', 'is required for a model-server component') : null),
  (c, p) => (c.kind === 'web-service' && p.size === 0 ? issue('ports', 'a web-service needs at least one port') : null),
  (c) => (c.kind === 'inference-service' && !c.model ? issue('model', 'is required for an inference-service component') : null),
  (c) => (c.kind === 'inference-service' && c.model && !c.model.format ? issue('model/format', 'is required for an inference-service (the KServe model format, e.g. sklearn, pytorch, huggingface)') : null),
  (c) => (c.model && !AI_KINDS.has(c.kind) ? issue('model', `is only for ${[...AI_KINDS].join(', ')} components`) : null),
  (c, p) => (c.model && c.kind !== 'training-job' && p.size === 0 ? issue('ports', 'a model server needs a port: readiness waits for the model to be loaded') : null),
  (c) => (c.model?.source.uri?.credentials && !(c.secrets ?? []).some((x) => x.name === c.model!.source.uri!.credentials) ? issue('model/source/uri/credentials', `names no entry of this component's secrets ("${c.model.source.uri.credentials}"); credentials are given by reference only`) : null),
  (c) => (c.scaleToZero && !SCALABLE_KINDS.has(c.kind) ? issue('scaleToZero', `is only for ${[...SCALABLE_KINDS].join(', ')} components`) : null),
  (c) => (c.training && c.kind !== 'training-job' ? issue('training', 'is only for training-job components') : null),
  (c) => (c.gpu?.deviceClass && c.gpu.resource ? issue('gpu/deviceClass', 'a GPU is either an extended resource (resource) or a DRA device class, not both') : null),
  (c) => ([c.scaling, ...Object.values(c.environmentTypes ?? {}).map((e) => e.scaling)].some((s) => s && s.min > s.max) ? issue('scaling', 'min must be <= max') : null),
];

function componentIssues(c: Component, at: string): FieldIssue[] {
  const ports = new Set((c.ports ?? []).map((p) => p.name));
  const issues: FieldIssue[] = [];
  for (const check of COMPONENT_CHECKS) {
    const found = check(c, ports);
    if (found) issues.push({ field: `${at}/${found.field}`, message: found.message });
  }
  return issues;
}

/** sha256 of a value's canonical JSON (src/domain/canonical.ts): identity independent of key order and YAML formatting. */
export function digestOf(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

/** The digest of a release: what the store keeps with it and what `Blueprint.digest` holds. */
export function releaseDigest(name: string, version: string, spec: unknown): string {
  return digestOf({ name, version, spec });
}

/**
 * Parse and validate a blueprint from YAML text or an already-parsed object. Throws InputError whose
 * issues name each offending field by JSON pointer.
 */
export function parseBlueprint(input: string | Record<string, unknown>): Blueprint {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = parseYaml(input);
    } catch (err) {
      throw new InputError(`invalid blueprint: not valid YAML (${(err as Error).message.split('\n')[0]})`, [{ field: '/', message: 'not valid YAML' }], { cause: err });
    }
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail([{ field: '/', message: 'must be a YAML mapping' }]);
  const { digest: _ignored, ...doc } = raw as Record<string, unknown>;
  const validate = docValidator();
  if (!validate(doc)) fail(ajvIssues(validate.errors));
  const bp = doc as unknown as Omit<Blueprint, 'digest'>;
  const blueprint: Blueprint = { ...bp, digest: digestOfDocument(bp) };
  const issues = semanticIssues(blueprint);
  if (issues.length > 0) fail(issues);
  return blueprint;
}

function digestOfDocument(bp: Omit<Blueprint, 'digest'>): string {
  try {
    return releaseDigest(bp.metadata.name, bp.metadata.version, bp.spec);
  } catch (err) {
    // canonicalJson refuses what JSON cannot hold; YAML can (.inf, .nan).
    if (err instanceof TypeError) fail([{ field: '/spec', message: 'must not contain non-finite numbers (.inf, .nan)' }]);
    throw err;
  }
}

/**
 * The Blueprint of a stored release (which keeps only the document's `spec`): the document rebuilt
 * around it and parsed like any other, so the renderer always gets a validated Blueprint whose digest
 * is the release's. About 0.4 ms for the default blueprint; callers parse once per use.
 */
export function blueprintFromRelease(release: StoredRelease): Blueprint {
  return parseBlueprint({ apiVersion: BLUEPRINT_API_VERSION, kind: 'Blueprint', metadata: { name: release.name, version: release.version }, spec: release.spec });
}
