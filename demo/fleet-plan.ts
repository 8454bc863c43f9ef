// The big tour's fleet, as data (pure: no I/O, no clock): 60 customers x 5 environments, the mix of
// tiers, channels and delivery modes, the few GPU customers, the clusters' prices and labels, and the
// CPU-only variant of blueprints/default that most customers run. demo/fleet.ts sends it through the
// API; test/demo/fleet-plan.test.ts checks it (counts, schema, that it fits the testbed).
import type { TenantPlan } from './tenants.ts';

/** The five environments of every customer: [name, type]. */
export const FLEET_ENVIRONMENTS = [['prod', 'prod'], ['staging', 'staging'], ['dev', 'dev'], ['qa', 'dev'], ['demo', 'dev']] as const;

/** 60 fictional customers (none of them is one of the small tour's 4, so both tours can share a testbed). */
export const CUSTOMERS = [
  'northwind', 'hooli', 'piedpiper', 'stark', 'wayne', 'wonka', 'cyberdyne', 'soylent', 'tyrell', 'oscorp',
  'vandelay', 'gringotts', 'dunder', 'monarch', 'nakatomi', 'wernham', 'bluth', 'sterling', 'prestige', 'massive',
  'aperture', 'blackmesa', 'virtucon', 'gekko', 'duff', 'krusty', 'planet', 'dharma', 'rekall', 'weyland',
  'zorg', 'spacely', 'cogswell', 'slate', 'lacroix', 'vehement', 'ajax', 'contoso', 'fabrikam', 'tailspin',
  'adventure', 'litware', 'proseware', 'wingtip', 'woodgrove', 'lucerne', 'margie', 'alpine', 'coho', 'fourth',
  'graphic', 'humongous', 'wideworld', 'trey', 'southridge', 'blueyonder', 'relecloud', 'datum', 'fineart', 'consolidated',
] as const;

export interface FleetBlueprints {
  /** blueprints/default as shipped: with the GPU model server (the few AI customers). */
  gpu: string;
  /** The CPU-only variant (cpuVariant below): everyone else. */
  cpu: string;
}

export interface FleetPlan {
  tenants: TenantPlan[];
  /** The tenant the last cluster is dedicated to (tier dedicated). */
  dedicated: string;
  gpu: string[];
  gitops: string[];
  selfManaged: string[];
  /** Tenants that must stay in the EU (label fleetplane.io/residency). */
  eu: string[];
}

export const RESIDENCY = 'fleetplane.io/residency';

/**
 * Who is what, by position in CUSTOMERS (deterministic). northwind is the vendor's own tenant
 * (`internal: "true"`, so the rollout's canary comes from it); hooli gets a dedicated cluster; three
 * AI customers run blueprints/default with its GPU model server; two deliver through GitOps (the real
 * Argo CD); two are self-managed (they install signed bundles; rollouts skip them); every seventh is
 * hybrid; a few require EU residency.
 */
export function fleetPlan(bp: FleetBlueprints, version: string, count: number = CUSTOMERS.length): FleetPlan {
  if (count > CUSTOMERS.length) throw new Error(`at most ${CUSTOMERS.length} customers`);
  const plan: FleetPlan = { tenants: [], dedicated: CUSTOMERS[1], gpu: [], gitops: [], selfManaged: [], eu: [] };
  for (let i = 0; i < count; i++) {
    const slug = CUSTOMERS[i]!;
    const r = roleOf(i);
    plan.tenants.push({
      slug, name: title(slug), tier: r.tier, labels: labelsOf(i, r),
      ...(r.selfManaged ? { channel: 'self-managed' as const } : {}),
      environments: FLEET_ENVIRONMENTS.map(([name, type]) => ({
        name, type, blueprint: r.gpu ? bp.gpu : bp.cpu, version,
        ...(name === 'prod' && r.prodValues ? { values: r.prodValues } : {}),
        ...(r.gitops ? { delivery: 'gitops' as const } : {}),
      })),
    });
    if (r.gpu) plan.gpu.push(slug);
    if (r.gitops) plan.gitops.push(slug);
    if (r.selfManaged) plan.selfManaged.push(slug);
    if (r.eu) plan.eu.push(slug);
  }
  return plan;
}

interface Role { tier: TenantPlan['tier']; gpu: boolean; gitops: boolean; selfManaged: boolean; eu: boolean; plan: string; prodValues?: Record<string, unknown> }

function roleOf(i: number): Role {
  const gpu = i >= 2 && i <= 4;
  const tier: Role['tier'] = i === 1 ? 'dedicated' : i >= 9 && i % 7 === 3 ? 'hybrid' : 'shared';
  const plan = i === 0 ? 'internal' : tier !== 'shared' || gpu ? 'enterprise' : i % 3 === 0 ? 'business' : 'starter';
  const prodValues = ({ business: { logLevel: 'warn' }, enterprise: { maxUploadMb: 200 } } as Record<string, Record<string, unknown>>)[plan];
  return { tier, gpu, gitops: i === 5 || i === 6, selfManaged: i === 7 || i === 8, eu: i >= 9 && i % 9 === 5, plan, ...(prodValues ? { prodValues } : {}) };
}

function labelsOf(i: number, r: Role): Record<string, string> {
  return {
    plan: r.plan, delivery: r.gitops ? 'gitops' : 'direct',
    ...(i === 0 ? { internal: 'true' } : {}), ...(r.gpu ? { workload: 'ai' } : {}), ...(r.eu ? { [RESIDENCY]: 'eu' } : {}),
  };
}

function title(slug: string): string {
  return `${slug[0]!.toUpperCase()}${slug.slice(1)} Inc.`;
}

/** What each testbed cluster is registered with, by position: prices differ by provider, residency by region. */
export function clusterTerms(index: number, provider: string): { labels: Record<string, string>; pricePerCpuHour: number; pricePerGbHour: number; pricePerGpuHour: number } {
  const prices: Record<string, [number, number, number]> = {
    aws: [0.048, 0.0060, 1.21], gcp: [0.044, 0.0059, 1.10], azure: [0.050, 0.0066, 1.30], onprem: [0.020, 0.0030, 0.70],
  };
  const [cpu, gb, gpuHour] = prices[provider] ?? [0.04, 0.005, 1.0];
  const residency = provider === 'aws' ? 'us' : 'eu';
  return { labels: { testbed: 'true', [RESIDENCY]: residency, 'price-class': cpu <= 0.045 ? 'low' : 'standard' }, pricePerCpuHour: cpu, pricePerGbHour: gb, pricePerGpuHour: gpuHour };
}

type Doc = Record<string, unknown> & { metadata: { name: string; version: string; description?: string } };
interface Component { name: string; kind: string; talksTo?: string[]; config?: Record<string, unknown> }
interface EnvType { resources: { requests: Record<string, string>; limits: Record<string, string> }; quota: Record<string, unknown> }

/** Sizing of the CPU variant per environment type: [requests cpu, memory, limits cpu, memory, quota cpu, memory]. */
const CPU_SIZING: Record<string, [string, string, string, string, string, string]> = {
  prod: ['100m', '128Mi', '500m', '256Mi', '4', '8Gi'],
  staging: ['50m', '64Mi', '500m', '256Mi', '2', '4Gi'],
  dev: ['25m', '64Mi', '250m', '256Mi', '1', '2Gi'],
};

/**
 * blueprints/default without its GPU model server, with smaller quotas: the same product for customers
 * who do not buy inference, sized so that 300 environments fit the 2-core machine's testbed (the
 * release's quota is what placement reserves, and every default prod environment reserves 16 CPUs and
 * 2 GPUs). Same version as the document it comes from.
 */
export function cpuVariant(doc: Doc, name: string): Doc {
  const out = structuredClone(doc);
  out.metadata = { ...out.metadata, name, description: `${doc.metadata.name} ${doc.metadata.version} without the GPU model server, smaller quotas (CPU plan)` };
  const spec = out.spec as { components: Component[]; environmentTypes: Record<string, EnvType> };
  const models = new Set(spec.components.filter((c) => c.kind === 'model-server').map((c) => c.name));
  spec.components = spec.components.filter((c) => !models.has(c.name)).map((c) => {
    const talksTo = c.talksTo?.filter((t) => !models.has(t));
    const config = c.config ? Object.fromEntries(Object.entries(c.config).filter(([k]) => !k.startsWith('MODEL_'))) : undefined;
    return { ...c, ...(talksTo ? { talksTo } : {}), ...(config ? { config } : {}) };
  });
  for (const [type, t] of Object.entries(spec.environmentTypes)) {
    const s = CPU_SIZING[type];
    if (!s) continue;
    t.resources = { requests: { cpu: s[0], memory: s[1] }, limits: { cpu: s[2], memory: s[3] } };
    t.quota = { ...t.quota, cpu: s[4], memory: s[5], gpus: 0 };
  }
  return out;
}
