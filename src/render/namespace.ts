// The environment's namespace and its guard rails: Pod Security Admission `restricted`, ambient mesh
// enrollment, a ResourceQuota sized by tier and environment type, and LimitRange container defaults.
import type { Quota, ResourceList } from '../domain/blueprint.ts';
import type { KubeObject, Tier } from '../domain/types.ts';
import { envLabels, meta, obj, sortedMap } from './meta.ts';
import type { RenderContext } from './types.ts';

/** Quota multiplier by tier: dedicated clusters and hybrid pools hold fewer tenants per node. */
export const TIER_QUOTA_FACTOR: Record<Tier, number> = { shared: 1, hybrid: 2, dedicated: 4 };

/** Node disk per environment when the blueprint names none: one pod must not fill a shared node's disk. */
export const DEFAULT_EPHEMERAL_QUOTA = '20Gi';
/** Container ephemeral-storage defaults when the blueprint's containerDefaults name none. */
export const DEFAULT_EPHEMERAL = { request: '128Mi', limit: '1Gi', max: '4Gi' } as const;

export function scaleQuantity(q: string | number, factor: number): string {
  const m = /^([0-9]+(?:\.[0-9]+)?)(.*)$/.exec(String(q));
  if (!m) return String(q);
  const n = Number(m[1]) * factor;
  return `${Number.isInteger(n) ? n : Number(n.toFixed(3))}${m[2]}`;
}

function namespaceObject(ctx: RenderContext): KubeObject {
  const labels: Record<string, string> = sortedMap({
    ...envLabels(ctx),
    'pod-security.kubernetes.io/enforce': 'restricted',
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/audit': 'restricted',
    'pod-security.kubernetes.io/warn': 'restricted',
    'istio.io/dataplane-mode': 'ambient',
    'fleetplane.io/tier': ctx.tenant.tier,
    ...(ctx.platform.waypoint ? { 'istio.io/use-waypoint': ctx.platform.waypoint } : {}),
  });
  return obj('v1', 'Namespace', { labels, name: ctx.namespace }, {});
}

function quotaObject(ctx: RenderContext, q: Quota): KubeObject {
  const f = TIER_QUOTA_FACTOR[ctx.tenant.tier];
  const hard: Record<string, string> = {
    'requests.cpu': scaleQuantity(q.cpu, f),
    'requests.memory': scaleQuantity(q.memory, f),
    'limits.cpu': scaleQuantity(q.cpu, f * 2),
    'limits.memory': scaleQuantity(q.memory, f * 2),
    pods: scaleQuantity(q.pods, f),
    'requests.nvidia.com/gpu': scaleQuantity(q.gpus ?? 0, f),
    'requests.ephemeral-storage': scaleQuantity(q.ephemeralStorage ?? DEFAULT_EPHEMERAL_QUOTA, f),
    'limits.ephemeral-storage': scaleQuantity(q.ephemeralStorage ?? DEFAULT_EPHEMERAL_QUOTA, f * 2),
  };
  if (q.services !== undefined) hard.services = scaleQuantity(q.services, f);
  if (q.configmaps !== undefined) hard.configmaps = scaleQuantity(q.configmaps, f);
  if (q.persistentvolumeclaims !== undefined) hard.persistentvolumeclaims = scaleQuantity(q.persistentvolumeclaims, f);
  if (q.storage !== undefined) hard['requests.storage'] = scaleQuantity(q.storage, f);
  // Shared clusters never hand out NodePorts or LoadBalancers to a tenant: traffic enters through the gateway.
  if (ctx.tenant.tier !== 'dedicated') {
    hard['services.nodeports'] = '0';
    hard['services.loadbalancers'] = '0';
  }
  return obj('v1', 'ResourceQuota', meta(ctx, 'environment-quota', envLabels(ctx)), { spec: { hard: sortedMap(hard) } });
}

/** The list as strings, with ephemeral-storage filled in (sorted keys: cpu, ephemeral-storage, memory). */
function stringify(r: ResourceList | undefined, ephemeral: string): Record<string, string> {
  const all: Record<string, string> = { 'ephemeral-storage': ephemeral };
  for (const [k, v] of Object.entries(r ?? {})) all[k] = String(v);
  return sortedMap(all);
}

function limitRangeObject(ctx: RenderContext): KubeObject {
  const d = ctx.blueprint.spec.environmentTypes[ctx.env.type].containerDefaults;
  const limit = {
    default: stringify(d.limit, DEFAULT_EPHEMERAL.limit), defaultRequest: stringify(d.request, DEFAULT_EPHEMERAL.request),
    max: stringify(d.max, DEFAULT_EPHEMERAL.max), type: 'Container',
  };
  return obj('v1', 'LimitRange', meta(ctx, 'container-defaults', envLabels(ctx)), { spec: { limits: [limit] } });
}

export function renderNamespace(ctx: RenderContext): KubeObject[] {
  const quota = ctx.blueprint.spec.environmentTypes[ctx.env.type].quota;
  return [namespaceObject(ctx), quotaObject(ctx, quota), limitRangeObject(ctx)];
}
