// The environment's namespace and its guard rails: Pod Security Admission `restricted`, ambient mesh
// enrollment, a ResourceQuota sized by tier and environment type, and LimitRange container defaults.
import type { Quota, ResourceList } from '../domain/blueprint.ts';
import type { KubeObject, Tier } from '../domain/types.ts';
import { envLabels, meta, obj, sortedMap } from './meta.ts';
import type { RenderContext } from './types.ts';

/** Quota multiplier by tier: dedicated clusters and hybrid pools hold fewer tenants per node. */
export const TIER_QUOTA_FACTOR: Record<Tier, number> = { shared: 1, hybrid: 2, dedicated: 4 };

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
  };
  if (q.services !== undefined) hard.services = scaleQuantity(q.services, f);
  if (q.configmaps !== undefined) hard.configmaps = scaleQuantity(q.configmaps, f);
  if (q.persistentvolumeclaims !== undefined) hard.persistentvolumeclaims = scaleQuantity(q.persistentvolumeclaims, f);
  // Shared clusters never hand out NodePorts or LoadBalancers to a tenant: traffic enters through the gateway.
  if (ctx.tenant.tier !== 'dedicated') {
    hard['services.nodeports'] = '0';
    hard['services.loadbalancers'] = '0';
  }
  return obj('v1', 'ResourceQuota', meta(ctx, 'environment-quota', envLabels(ctx)), { spec: { hard: sortedMap(hard) } });
}

function stringify(r: ResourceList | undefined): Record<string, string> | undefined {
  if (!r) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(r)) out[k] = String(v);
  return out;
}

function limitRangeObject(ctx: RenderContext): KubeObject {
  const d = ctx.blueprint.spec.environmentTypes[ctx.env.type].containerDefaults;
  const limit = { default: stringify(d.limit), defaultRequest: stringify(d.request), max: stringify(d.max), type: 'Container' };
  return obj('v1', 'LimitRange', meta(ctx, 'container-defaults', envLabels(ctx)), { spec: { limits: [limit] } });
}

export function renderNamespace(ctx: RenderContext): KubeObject[] {
  const quota = ctx.blueprint.spec.environmentTypes[ctx.env.type].quota;
  return [namespaceObject(ctx), quotaObject(ctx, quota), limitRangeObject(ctx)];
}
