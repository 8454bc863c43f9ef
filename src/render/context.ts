// Turn a RenderInput into a RenderContext: check names, fill platform defaults, validate values,
// and resolve every component's sizing, config, secrets, image and placement for this environment.
import type { Blueprint, Component, SecretRef } from '../domain/blueprint.ts';
import { InputError } from '../domain/errors.ts';
import { defaultNamespace, environmentHostname, isDnsLabel, isDnsSubdomain, labelValue } from '../domain/naming.ts';
import { ENVIRONMENT_TYPES, LABELS, MANAGED_BY, TIERS } from '../domain/types.ts';
import { oneOf } from '../domain/validation.ts';
import { configHash } from './config.ts';
import { sortedMap } from './meta.ts';
import { expandString, type TemplateScope } from './template.ts';
import type { PlatformConfig, RenderContext, RenderInput, ResolvedComponent } from './types.ts';
import { DEFAULT_RUNBOOK_BASE, runbookBaseIssue } from './monitoring/runbooks.ts';
import { lastDefined, mergeResources, splitValues, type SplitValues } from './values.ts';
import { chooseForm } from './ai/choice.ts';
import { isCapability, type ClusterCapability } from '../domain/capabilities.ts';

export const DEFAULT_PLATFORM: PlatformConfig = {
  baseDomain: 'fleetplane.example.com',
  routing: 'gateway',
  gateway: { name: 'fleetplane', namespace: 'gateway-system' },
  ingressClassName: 'nginx',
  monitoringNamespace: 'monitoring',
  ingressNamespace: 'gateway-system',
  externalSecretsApiVersion: 'external-secrets.io/v1',
  dedicatedPool: { labelKey: 'fleetplane.io/dedicated-pool', taintKey: 'fleetplane.io/dedicated-pool', required: false },
  runbookBaseUrl: DEFAULT_RUNBOOK_BASE,
  // kubeadm's `kubernetes.default` ClusterIP; platforms whose CNI sees the endpoint after DNAT set theirs.
  kubeApiServerCidrs: ['10.96.0.1/32'],
  egressTargets: { database: ['10.20.0.0/16'] },
  nodeLocalDnsAddress: '169.254.20.10',
  waypoint: null,
  secretStore: { server: 'https://vault.vault.svc:8200', kvMount: 'secret', authMountPath: 'kubernetes' },
  // KServe's storage initializer: pulls s3://, gs://, azureblob://, https:// and hf:// URIs into a directory.
  modelPullerImage: 'kserve/storage-initializer:v0.17.0',
  modelStorePrefix: null,
  scaleToZeroPrometheus: 'http://prometheus.monitoring.svc:9090',
};

/** Every remote secret key of an environment lies below this path; its SecretStore can read nothing else. */
export function secretKeyPrefix(tenant: string, env: string): string {
  return `tenants/${tenant}/${env}/`;
}

const GPU_NODE_LABEL = 'nvidia.com/gpu.present';
/** Kinds that run on a hybrid tenant's own pool unless they say otherwise. */
const DATA_PLANE_KINDS: ReadonlySet<string> = new Set(['model-server', 'inference-service', 'training-job']);
/** NVIDIA GPU Feature Discovery's label of the GPU model (e.g. NVIDIA-A100-SXM4-80GB). */
const GPU_PRODUCT_LABEL = 'nvidia.com/gpu.product';
function bad(field: string, message: string): never {
  throw new InputError(`invalid render input: ${field} ${message}`, [{ field, message }]);
}

function checkInput(input: RenderInput): void {
  const { tenant, environment } = input;
  if (!tenant || !isDnsLabel(tenant.slug ?? '')) bad('/tenant/slug', 'must be a DNS label (lowercase letters, digits, "-", at most 63)');
  if (!(TIERS as readonly string[]).includes(tenant.tier)) bad('/tenant/tier', `must be ${oneOf(TIERS)}`);
  if (!environment || !isDnsLabel(environment.name ?? '')) bad('/environment/name', 'must be a DNS label');
  if (!(ENVIRONMENT_TYPES as readonly string[]).includes(environment.type)) bad('/environment/type', `must be ${oneOf(ENVIRONMENT_TYPES)}`);
  if (input.placement?.namespace !== undefined && !isDnsLabel(input.placement.namespace)) bad('/placement/namespace', 'must be a DNS label');
  checkBlueprint(input.blueprint);
}

/** The renderer parses nothing: it takes the one parsed Blueprint (src/domain/blueprint.ts). */
function checkBlueprint(b: unknown): void {
  const bp = b as Partial<Blueprint> | null | undefined;
  if (!bp || typeof bp.digest !== 'string' || !bp.spec || !bp.metadata) bad('/blueprint', 'must be a parsed blueprint (parseBlueprint or blueprintFromRelease)');
}

function imageOf(bp: Blueprint, c: Component, tagOverride: string | undefined): string {
  const repo = c.image!.repository;
  const tag = tagOverride ?? c.image!.tag ?? bp.spec.product.tag;
  return `${repo.includes('/') ? repo : `${bp.spec.product.registry}/${repo}`}:${tag}`;
}

function preferPool(key: string, tenant: string): Record<string, unknown> {
  const preference = { matchExpressions: [{ key, operator: 'In', values: [tenant] }] };
  return { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ preference, weight: 100 }] } };
}

export function placementOf(c: Component, ctx: { tier: string; tenant: string; platform: PlatformConfig }): Pick<ResolvedComponent, 'nodeSelector' | 'tolerations' | 'affinity'> {
  const nodeSelector: Record<string, string> = {};
  const tolerations: Array<Record<string, string>> = [];
  if (c.gpu && !c.gpu.deviceClass) {
    nodeSelector[GPU_NODE_LABEL] = 'true';
    if (c.gpu.product) nodeSelector[GPU_PRODUCT_LABEL] = c.gpu.product;
    tolerations.push({ effect: 'NoSchedule', key: c.gpu.resource ?? 'nvidia.com/gpu', operator: 'Exists' });
  }
  if (ctx.tier === 'hybrid' && (c.dataPlane ?? DATA_PLANE_KINDS.has(c.kind))) {
    const pool = ctx.platform.dedicatedPool;
    tolerations.push({ effect: 'NoSchedule', key: pool.taintKey, operator: 'Equal', value: ctx.tenant });
    if (pool.required) nodeSelector[pool.labelKey] = ctx.tenant;
    else return { nodeSelector: sortedMap(nodeSelector), tolerations, affinity: preferPool(pool.labelKey, ctx.tenant) };
  }
  return { nodeSelector: sortedMap(nodeSelector), tolerations };
}

type ResolvedSecret = ResolvedComponent['secrets'][number];

function external(name: string, r: NonNullable<SecretRef['remoteRef']>, key: string, properties: string[] | undefined): ResolvedSecret {
  return { name, secretName: name, external: { store: r.store, storeKind: 'SecretStore', key, properties: properties ?? r.properties ?? [] } };
}

/**
 * The fence around secrets (docs/isolation.md): a reference reads through the environment's own
 * SecretStore, never a cluster-wide one, and only keys below the environment's path.
 */
function fenced(s: ResolvedSecret, field: string, r: NonNullable<SecretRef['remoteRef']>, prefix: string): ResolvedSecret {
  if (r.storeKind === 'ClusterSecretStore') bad(`${field}/storeKind`, 'must be SecretStore: a ClusterSecretStore is shared by every tenant on the cluster');
  const key = s.external!.key;
  if (!key.startsWith(prefix) || key.split('/').some((p) => p === '..' || p === '.' || p === '')) bad(`${field}/key`, `must lie below ${prefix} (the environment's own secret path)`);
  return s;
}

/** Where each secret reference comes from: the environment's override first, then the blueprint. */
function resolveSecrets(c: Component, at: string, values: SplitValues, scope: TemplateScope, prefix: string): ResolvedSecret[] {
  return (c.secrets ?? []).map((ref, j) => {
    const over = values.secrets[ref.name];
    if (over?.existingSecret) return { name: ref.name, secretName: over.existingSecret };
    if (over?.remoteRef) {
      if (!ref.remoteRef) bad(`/values/secrets/${ref.name}/remoteRef`, 'this reference has no secret store in the blueprint; give existingSecret instead');
      return fenced(external(ref.name, ref.remoteRef, over.remoteRef.key, over.remoteRef.properties), `/values/secrets/${ref.name}/remoteRef`, ref.remoteRef, prefix);
    }
    if (ref.existingSecret) return { name: ref.name, secretName: ref.existingSecret };
    // Remote keys are names (e.g. tenants/${tenant.slug}/database), never values, so they may be templated.
    const key = expandString(ref.remoteRef!.key, scope, `${at}/secrets/${j}/remoteRef/key`);
    return fenced(external(ref.name, ref.remoteRef!, key, undefined), `${at}/secrets/${j}/remoteRef`, ref.remoteRef!, prefix);
  });
}

/**
 * A model's object-store URI (templated, e.g. s3://models/tenants/${tenant.slug}/...) fenced to the
 * environment's own prefix when the platform names a model store, and its credentials by reference:
 * the Secret of the component's own (already fenced) secret reference.
 */
function resolveModel(c: Component, i: number, r: { secrets: ResolvedSecret[]; scope: TemplateScope; platform: PlatformConfig; tenant: string; env: string }): NonNullable<ResolvedComponent['model']> {
  const src = c.model!.source.uri;
  if (!src) return {};
  const at = `/spec/components/${i}/model/source/uri`;
  const uri = expandString(src.uri, r.scope, `${at}/uri`);
  const prefix = r.platform.modelStorePrefix;
  if (prefix !== null) {
    const own = `${prefix}${secretKeyPrefix(r.tenant, r.env)}`;
    const rest = uri.slice(prefix.length).split('/');
    if (!uri.startsWith(own) || rest.some((p) => p === '..' || p === '.')) bad(`${at}/uri`, `must lie below ${own} (the environment's own part of the model store)`);
  }
  const cred = src.credentials ? r.secrets.find((x) => x.name === src.credentials)?.secretName : undefined;
  return { uri, ...(cred ? { credentialsSecret: cred } : {}) };
}

function resolveComponent(c: Component, i: number, base: { bp: Blueprint; input: RenderInput; values: SplitValues; scope: TemplateScope; platform: PlatformConfig; capabilities: ReadonlySet<ClusterCapability> }): ResolvedComponent {
  const { bp, input, values, scope } = base;
  const type = input.environment.type;
  const over = values.components[c.name];
  const layers = [bp.spec.environmentTypes[type], c, c.environmentTypes?.[type], over];
  const config: Record<string, string> = {};
  for (const k of Object.keys(c.config ?? {}).sort()) config[k] = expandString(c.config![k]!, scope, `/spec/components/${i}/config/${k}`);
  const configHashValue = configHash(config);
  // An explicit replica count in the values is a manual scale: it turns the HPA off unless scaling is given too.
  const manual = over?.replicas !== undefined && over.scaling === undefined;
  const replicas = lastDefined('replicas', layers) ?? 1;
  const scaling = manual ? null : lastDefined('scaling', layers) ?? null;
  const secrets = resolveSecrets(c, `/spec/components/${i}`, values, scope, secretKeyPrefix(input.tenant.slug, input.environment.name));
  return {
    spec: c,
    replicas,
    resources: mergeResources(...layers.map((l) => l?.resources)),
    scaling,
    choice: chooseForm(c, { replicas, scaling, manual }, base.capabilities),
    ...(c.model ? { model: resolveModel(c, i, { secrets, scope, platform: base.platform, tenant: input.tenant.slug, env: input.environment.name }) } : {}),
    disruption: lastDefined('disruption', layers) ?? null,
    config,
    configHash: configHashValue,
    secrets,
    image: c.image ? imageOf(bp, c, over?.imageTag) : '',
    ...placementOf(c, { tier: input.tenant.tier, tenant: input.tenant.slug, platform: base.platform }),
  };
}

function checkPlatform(p: PlatformConfig): void {
  if (!isDnsSubdomain(p.baseDomain ?? '')) bad('/platform/baseDomain', 'must be a DNS name');
  if (p.routing !== 'gateway' && p.routing !== 'ingress') bad('/platform/routing', 'must be gateway or ingress');
  const labels: Array<[string, string | undefined]> = [
    ['/platform/gateway/name', p.gateway?.name], ['/platform/gateway/namespace', p.gateway?.namespace],
    ['/platform/monitoringNamespace', p.monitoringNamespace], ['/platform/ingressNamespace', p.ingressNamespace],
  ];
  for (const [field, v] of labels) if (!isDnsLabel(v ?? '')) bad(field, 'must be a DNS label');
  checkNetworkPlatform(p);
  const runbook = typeof p.runbookBaseUrl === 'string' ? runbookBaseIssue(p.runbookBaseUrl) : 'must be a string';
  if (runbook) bad('/platform/runbookBaseUrl', runbook);
}

const CIDR_RE = /^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-f:]+\/\d{1,3}$/i;

function checkNetworkPlatform(p: PlatformConfig): void {
  const cidrs = (field: string, v: unknown) => {
    if (!Array.isArray(v) || v.some((c) => typeof c !== 'string' || !CIDR_RE.test(c))) bad(field, 'must be a list of CIDRs');
  };
  cidrs('/platform/kubeApiServerCidrs', p.kubeApiServerCidrs);
  if (!p.egressTargets || typeof p.egressTargets !== 'object') bad('/platform/egressTargets', 'must map names to lists of CIDRs');
  for (const [name, v] of Object.entries(p.egressTargets)) cidrs(`/platform/egressTargets/${name}`, v);
  if (p.nodeLocalDnsAddress !== null && !/^(\d{1,3}\.){3}\d{1,3}$/.test(String(p.nodeLocalDnsAddress))) bad('/platform/nodeLocalDnsAddress', 'must be an IPv4 address or null');
  if (p.waypoint !== null && !isDnsLabel(p.waypoint)) bad('/platform/waypoint', 'must be a DNS label or null');
  checkSecretStore(p);
}

function checkSecretStore(p: PlatformConfig): void {
  const st = p.secretStore as Partial<PlatformConfig['secretStore']> | undefined;
  if (!st || typeof st.server !== 'string' || !/^https:\/\/\S+$/.test(st.server)) bad('/platform/secretStore/server', 'must be an https URL');
  if (!isDnsLabel(st.kvMount) || !isDnsLabel(st.authMountPath)) bad('/platform/secretStore', 'kvMount and authMountPath must be DNS labels');
  if (typeof p.modelPullerImage !== 'string' || !/^\S+$/.test(p.modelPullerImage)) bad('/platform/modelPullerImage', 'must be an image reference');
  if (p.modelStorePrefix !== null && (typeof p.modelStorePrefix !== 'string' || !/^[a-z0-9]+:\/\/\S*\/$/.test(p.modelStorePrefix))) bad('/platform/modelStorePrefix', 'must be null or a URI ending in "/" (e.g. s3://models/)');
  if (typeof p.scaleToZeroPrometheus !== 'string' || !/^https?:\/\/\S+$/.test(p.scaleToZeroPrometheus)) bad('/platform/scaleToZeroPrometheus', 'must be an http(s) URL');
}

function capabilitiesOf(list: unknown): ReadonlySet<ClusterCapability> {
  if (list === undefined) return new Set();
  if (!Array.isArray(list)) bad('/capabilities', 'must be a list of cluster capabilities');
  list.forEach((c, i) => {
    if (!isCapability(c)) bad(`/capabilities/${i}`, 'must be kserve, knative-serving, keda or kubeflow-trainer');
  });
  return new Set(list as ClusterCapability[]);
}

// One merged and checked platform per platform object the callers pass (most pass none, or the
// same one for a whole fleet): checking it cost more than a tenth of a bulk render. Inputs are
// treated as immutable, like the rest of a RenderInput.
const DEFAULT_KEY = {};
const platforms = new WeakMap<object, PlatformConfig>();

/**
 * A platform given in full or in part (an operator's FLEETPLANE_PLATFORM_CONFIG), merged over the
 * defaults and checked by the renderer's own rules: unknown settings and bad values are an
 * InputError naming the field (`/platform/egressTargets/database`).
 */
export function checkedPlatform(given: Record<string, unknown>): PlatformConfig {
  for (const k of Object.keys(given)) if (!(k in DEFAULT_PLATFORM)) bad(`/platform/${k}`, 'is not a platform setting');
  const platform = { ...DEFAULT_PLATFORM, ...given } as PlatformConfig;
  checkPlatform(platform);
  return platform;
}

function resolvedPlatform(given: RenderInput['platform']): PlatformConfig {
  const key = given ?? DEFAULT_KEY;
  let platform = platforms.get(key);
  if (!platform) {
    platform = Object.freeze({ ...DEFAULT_PLATFORM, ...given });
    checkPlatform(platform);
    platforms.set(key, platform);
  }
  return platform;
}

export function buildContext(input: RenderInput): RenderContext {
  checkInput(input);
  const bp = input.blueprint;
  const platform = resolvedPlatform(input.platform);
  const { tenant, environment: env } = input;
  const namespace = input.placement?.namespace ?? defaultNamespace(tenant.slug, env.name);
  const hostname = environmentHostname(tenant.slug, env.name, platform.baseDomain);
  if (!isDnsSubdomain(hostname)) bad('/platform/baseDomain', `gives an invalid hostname for this environment (${hostname.length} characters)`);
  const values = splitValues(bp, env.type, env.values ?? {});
  const scope: TemplateScope = {
    params: values.params,
    tenant: { slug: tenant.slug, name: tenant.name, tier: tenant.tier },
    env: { name: env.name, type: env.type, namespace, hostname, baseDomain: platform.baseDomain },
    release: { name: bp.metadata.name, version: bp.metadata.version },
  };
  const capabilities = capabilitiesOf(input.capabilities);
  const components = bp.spec.components.map((c, i) => resolveComponent(c, i, { bp, input, values, scope, platform, capabilities }));
  const common: Record<string, string> = {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.tenant]: tenant.slug,
    [LABELS.environment]: labelValue(env.name),
    'app.kubernetes.io/part-of': labelValue(bp.metadata.name),
    'app.kubernetes.io/version': labelValue(bp.metadata.version),
  };
  const instance = labelValue(`${tenant.slug}-${env.name}`);
  return { tenant, env, blueprint: bp, platform, namespace, hostname, instance, params: values.params, components, common, scope, capabilities };
}
