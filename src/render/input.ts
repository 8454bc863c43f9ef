// The render input of a stored environment: one mapping from the domain's Tenant and Environment,
// shared by the engine's render step and the API's render-on-demand (dashboards, bundles), so the
// two can never render the same environment differently.
import type { Blueprint } from '../domain/blueprint.ts';
import type { Environment, Tenant } from '../domain/types.ts';
import type { PlatformConfig, RenderInput } from './types.ts';
import type { ClusterCapability } from '../domain/capabilities.ts';

export function environmentRenderInput(
  tenant: Pick<Tenant, 'slug' | 'name' | 'tier' | 'labels'>,
  env: Pick<Environment, 'name' | 'type' | 'values' | 'delivery' | 'placement'>,
  blueprint: Blueprint,
  opts: { values?: Record<string, unknown>; platform?: Partial<PlatformConfig> | undefined; capabilities?: readonly ClusterCapability[] | undefined } = {},
): RenderInput {
  return {
    tenant: { slug: tenant.slug, name: tenant.name, tier: tenant.tier, labels: tenant.labels },
    environment: { name: env.name, type: env.type, values: opts.values ?? env.values, delivery: env.delivery },
    blueprint,
    placement: { cluster: env.placement.cluster, ...(env.placement.namespace ? { namespace: env.placement.namespace } : {}) },
    ...(opts.platform ? { platform: opts.platform } : {}),
    ...(opts.capabilities && opts.capabilities.length > 0 ? { capabilities: opts.capabilities } : {}),
  };
}
