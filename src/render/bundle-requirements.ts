// What a self-managed bundle needs from the customer's cluster, derived from its rendered objects
// and the blueprint release (preflight.json in the bundle; checked by `fleetplane bundle preflight`
// before anything is applied): the Kubernetes minor range, the kinds it uses that are not built in
// (CRDs), the storage classes its claims name, the GPUs one pod asks for, the namespace quota it
// reserves, and every kind it writes (for the permission check). Pure.
import type { BlueprintSpec } from '../domain/blueprint.ts';
import type { KubeObject } from '../domain/types.ts';

export interface KindUse {
  apiVersion: string;
  kind: string;
  /** Namespaced objects: their namespace; cluster-scoped: absent. */
  namespace?: string;
}

export interface BundleRequirements {
  /** Kubernetes minor versions, inclusive, e.g. { min: '1.36', max: '1.37' }. */
  kubernetes: { min: string; max?: string };
  /** Kinds from API groups a plain cluster does not serve (their CRDs must be installed first). */
  customKinds: Array<{ apiVersion: string; kind: string }>;
  /** Storage classes named by claims; `default` when a claim names none (a default class must exist). */
  storageClasses: string[];
  /** The largest GPU request of one pod: some node must offer that many of `resource`. Null: no GPUs. */
  gpu: { resource: string; perPod: number } | null;
  /** The namespace ResourceQuota's hard requests: the cluster's allocatable must cover them. */
  quota: { cpu?: string; memory?: string; gpus?: string } | null;
  /** Every kind written, with the namespace (the permission check asks `patch` on each). */
  writes: KindUse[];
}

/** Groups every conformant cluster serves (core and the built-in API groups). */
const BUILT_IN_GROUPS = new Set(['', 'apps', 'batch', 'policy', 'autoscaling', 'networking.k8s.io', 'rbac.authorization.k8s.io', 'storage.k8s.io',
  'scheduling.k8s.io', 'coordination.k8s.io', 'discovery.k8s.io', 'node.k8s.io', 'apiextensions.k8s.io', 'admissionregistration.k8s.io', 'certificates.k8s.io']);

export const DEFAULT_KUBERNETES_RANGE = { min: '1.36', max: '1.37' };

const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

type PodSpec = { containers?: Array<{ resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } }>; initContainers?: PodSpec['containers'] };

function podSpecs(o: KubeObject): PodSpec[] {
  const spec = o.spec as { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
  return [o.kind === 'Pod' ? (o.spec as PodSpec) : undefined, spec?.template?.spec, spec?.jobTemplate?.spec?.template?.spec].filter((s): s is PodSpec => !!s);
}

function gpuPerPod(spec: PodSpec, resources: readonly string[]): { resource: string; count: number } | null {
  let best: { resource: string; count: number } | null = null;
  for (const resource of resources) {
    const count = (spec.containers ?? []).reduce((n, c) => n + Number(c.resources?.limits?.[resource] ?? c.resources?.requests?.[resource] ?? 0), 0);
    if (count > 0 && (!best || count > best.count)) best = { resource, count };
  }
  return best;
}

function claimClasses(o: KubeObject): Array<string | undefined> {
  if (o.kind === 'PersistentVolumeClaim') return [(o.spec as { storageClassName?: string } | undefined)?.storageClassName];
  const templates = (o.spec as { volumeClaimTemplates?: Array<{ spec?: { storageClassName?: string } }> } | undefined)?.volumeClaimTemplates ?? [];
  return templates.map((t) => t.spec?.storageClassName);
}

function quotaOf(o: KubeObject, gpuResources: readonly string[]): BundleRequirements['quota'] {
  const hard = ((o.spec as { hard?: Record<string, string> } | undefined)?.hard) ?? {};
  const gpus = gpuResources.map((r) => hard[`requests.${r}`]).find((x) => x !== undefined);
  return { ...(hard['requests.cpu'] ? { cpu: hard['requests.cpu'] } : {}), ...(hard['requests.memory'] ? { memory: hard['requests.memory'] } : {}), ...(gpus ? { gpus: String(gpus) } : {}) };
}

function largestGpuPod(objects: KubeObject[], gpuResources: readonly string[]): BundleRequirements['gpu'] {
  let gpu: BundleRequirements['gpu'] = null;
  for (const g of objects.flatMap(podSpecs).map((p) => gpuPerPod(p, gpuResources))) {
    if (g && (!gpu || g.count > gpu.perPod)) gpu = { resource: g.resource, perPod: g.count };
  }
  return gpu;
}

/** Kinds from groups a plain cluster does not serve, less the CRDs the bundle installs itself. */
function customKindsOf(objects: KubeObject[]): BundleRequirements['customKinds'] {
  const custom = new Map<string, { apiVersion: string; kind: string }>();
  for (const o of objects) if (!BUILT_IN_GROUPS.has(groupOf(o.apiVersion))) custom.set(`${o.apiVersion}/${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
  const ownCrds = new Set(objects.filter((o) => o.kind === 'CustomResourceDefinition').map((o) => {
    const s = o.spec as { group?: string; names?: { kind?: string } } | undefined;
    return `${s?.group}/${s?.names?.kind}`;
  }));
  return [...custom.values()].filter((k) => !ownCrds.has(`${groupOf(k.apiVersion)}/${k.kind}`)).sort((a, b) => `${a.apiVersion}/${a.kind}`.localeCompare(`${b.apiVersion}/${b.kind}`));
}

export function bundleRequirements(objects: KubeObject[], spec: Pick<BlueprintSpec, 'product'> | null, gpuResources: readonly string[] = ['nvidia.com/gpu']): BundleRequirements {
  const writes = new Map<string, KindUse>();
  for (const o of objects) {
    const ns = o.metadata.namespace;
    writes.set(`${o.apiVersion}/${o.kind}/${ns ?? ''}`, { apiVersion: o.apiVersion, kind: o.kind, ...(ns ? { namespace: ns } : {}) });
  }
  const quota = objects.find((o) => o.kind === 'ResourceQuota');
  return {
    kubernetes: spec?.product.kubernetes ?? DEFAULT_KUBERNETES_RANGE,
    customKinds: customKindsOf(objects),
    storageClasses: [...new Set(objects.flatMap(claimClasses).map((c) => c ?? 'default'))].sort(),
    gpu: largestGpuPod(objects, gpuResources),
    quota: quota ? quotaOf(quota, gpuResources) : null,
    writes: [...writes.values()],
  };
}

/** The images of a bundle with the digests the release pins them to (null: not pinned by the release). */
export function pinnedImages(images: string[], spec: Pick<BlueprintSpec, 'product'> | null): Array<{ image: string; digest: string | null; pinned: string | null }> {
  const digests = spec?.product.imageDigests ?? {};
  return images.map((image) => {
    // A reference that carries its digest (a vendored chart's image) is pinned by itself.
    const own = /@(sha256:[0-9a-f]{64})$/.exec(image);
    if (own) return { image, digest: own[1]!, pinned: image };
    const digest = digests[image] ?? null;
    // repo:tag@sha256:… pulls by digest; the tag stays for people reading it.
    return { image, digest, pinned: digest ? `${image}@${digest}` : null };
  });
}
