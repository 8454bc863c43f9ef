// Preflight (customer side, against the customer's own cluster): every check in preflight.json plus
// the license's entitlements, each a pass or a failure with the reason. Read-only: lists, discovery
// and SelfSubjectAccessReviews (which the API server answers without storing anything).
import { KindNotServedError, sumCapacity, type KubeClient } from '../adapters/kube/index.ts';
import { cpuMillis, parseQuantity } from '../domain/quantity.ts';
import type { KubeObject } from '../domain/types.ts';
import type { BundleRequirements, KindUse } from '../render/bundle-requirements.ts';
import type { License } from './license.ts';
import type { PreflightCheck } from './report.ts';

export const INVENTORY_NAME = 'fleetplane-bundle';
export const INVENTORY_LABEL = 'fleetplane.io/bundle-inventory';

const minorOf = (v: string): number => Number(v.split('.')[1]);

async function versionCheck(kube: KubeClient, range: BundleRequirements['kubernetes']): Promise<{ check: PreflightCheck; version: string }> {
  const v = await kube.version();
  const minor = Number.parseInt(v.minor, 10);
  const ok = Number(v.major) === 1 && minor >= minorOf(range.min) && (range.max === undefined || minor <= minorOf(range.max));
  const want = range.max ? `${range.min} to ${range.max}` : `${range.min} or later`;
  return { check: { name: 'kubernetes-version', ok, message: `cluster runs ${v.gitVersion}; the release supports ${want}` }, version: v.gitVersion };
}

async function crdChecks(kube: KubeClient, kinds: BundleRequirements['customKinds']): Promise<PreflightCheck[]> {
  const out: PreflightCheck[] = [];
  for (const k of kinds) {
    try {
      await kube.discovery.resolve(k.apiVersion, k.kind);
      out.push({ name: `crd:${k.kind}.${k.apiVersion}`, ok: true, message: `${k.kind} (${k.apiVersion}) is served` });
    } catch (err) {
      if (!(err instanceof KindNotServedError)) throw err;
      out.push({ name: `crd:${k.kind}.${k.apiVersion}`, ok: false, message: `${k.kind} (${k.apiVersion}) is not served: install its CRD first` });
    }
  }
  return out;
}

async function storageChecks(kube: KubeClient, wanted: string[]): Promise<PreflightCheck[]> {
  if (wanted.length === 0) return [];
  const classes = await kube.list('storage.k8s.io/v1', 'StorageClass');
  const isDefault = (c: KubeObject) => c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true';
  return wanted.map((name) => {
    const ok = name === 'default' ? classes.some(isDefault) : classes.some((c) => c.metadata.name === name);
    return { name: `storage-class:${name}`, ok, message: ok ? `storage class ${name} exists` : name === 'default' ? 'no default storage class: claims without a class would stay Pending' : `storage class ${name} does not exist` };
  });
}

type NodeObj = KubeObject & { status?: { allocatable?: Record<string, string>; conditions?: Array<{ type: string; status: string }> }; spec?: { unschedulable?: boolean } };

function capacityChecks(nodes: NodeObj[], req: BundleRequirements): PreflightCheck[] {
  const out: PreflightCheck[] = [];
  if (req.gpu) {
    const { resource, perPod } = req.gpu;
    const fit = nodes.filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && !n.spec?.unschedulable
      && parseQuantity(n.status?.allocatable?.[resource] ?? '0') >= perPod);
    out.push({ name: 'gpu-nodes', ok: fit.length > 0, message: fit.length > 0 ? `${fit.length} Ready node(s) offer ${perPod} ${resource}` : `no Ready node offers ${perPod} ${resource}: the release needs GPU nodes` });
  }
  if (req.quota) {
    const cap = sumCapacity(nodes);
    const cpu = req.quota.cpu ? cpuMillis(req.quota.cpu) : 0;
    const mem = req.quota.memory ? parseQuantity(req.quota.memory) : 0;
    const ok = cap.cpuMillis >= cpu && cap.memoryBytes >= mem;
    out.push({ name: 'quota-headroom', ok, message: `the namespace quota reserves ${req.quota.cpu ?? '0'} CPU, ${req.quota.memory ?? '0'} memory; Ready nodes offer ${cap.cpuMillis}m CPU, ${Math.floor(cap.memoryBytes / 2 ** 20)}Mi` });
  }
  return out;
}

async function canI(kube: KubeClient, verb: string, use: KindUse): Promise<boolean> {
  const info = await kube.discovery.resolve(use.apiVersion, use.kind);
  const group = use.apiVersion.includes('/') ? use.apiVersion.split('/')[0] : '';
  const review = await kube.transport.request<{ status?: { allowed?: boolean } }>({
    method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, group, resource: info.plural, ...(use.namespace ? { namespace: use.namespace } : {}) } } },
  });
  return review.status?.allowed === true;
}

async function permissionChecks(kube: KubeClient, writes: KindUse[], namespace: string): Promise<PreflightCheck[]> {
  const missing: string[] = [];
  const inventory: KindUse = { apiVersion: 'v1', kind: 'ConfigMap', namespace };
  for (const use of [...writes, inventory]) {
    for (const verb of ['create', 'patch', 'delete']) {
      try {
        if (!(await canI(kube, verb, use))) missing.push(`${verb} ${use.kind}${use.namespace ? ` in ${use.namespace}` : ''}`);
      } catch (err) {
        if (!(err instanceof KindNotServedError)) throw err; // reported by its CRD check
      }
    }
  }
  return [{ name: 'permissions', ok: missing.length === 0, message: missing.length === 0 ? `allowed to create, patch and delete every kind the bundle writes` : `not allowed: ${missing.join(', ')}` }];
}

async function entitlementChecks(kube: KubeClient, license: License, req: BundleRequirements, env: { tenant: string; environment: string }): Promise<PreflightCheck[]> {
  const gpus = req.quota?.gpus ? parseQuantity(req.quota.gpus) : 0;
  const others = (await kube.list('v1', 'ConfigMap', { labelSelector: { [INVENTORY_LABEL]: 'true', 'fleetplane.io/tenant': env.tenant } }))
    .filter((c) => c.metadata.labels?.['fleetplane.io/environment'] !== env.environment);
  const max = license.entitlements.maxEnvironments;
  return [
    { name: 'license-gpus', ok: gpus <= license.entitlements.maxGpus, message: `the environment reserves ${gpus} GPU(s); the license allows ${license.entitlements.maxGpus}` },
    { name: 'license-environments', ok: others.length + 1 <= max, message: `${others.length} other environment(s) of ${env.tenant} installed here; the license allows ${max}` },
  ];
}

export interface PreflightResult {
  ok: boolean;
  checks: PreflightCheck[];
  kubernetesVersion: string;
}

export async function preflight(kube: KubeClient, req: BundleRequirements, license: License, env: { tenant: string; environment: string; namespace: string }): Promise<PreflightResult> {
  const { check, version } = await versionCheck(kube, req.kubernetes);
  const nodes = (await kube.list('v1', 'Node')) as NodeObj[];
  const checks = [
    check,
    ...(await crdChecks(kube, req.customKinds)),
    ...(await storageChecks(kube, req.storageClasses)),
    ...capacityChecks(nodes, req),
    ...(await permissionChecks(kube, req.writes, env.namespace)),
    ...(await entitlementChecks(kube, license, req, env)),
  ];
  return { ok: checks.every((c) => c.ok), checks, kubernetesVersion: version };
}
