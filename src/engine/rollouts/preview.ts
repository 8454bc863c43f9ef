// The what-if preview of a rollout, with its reads: every live environment on the blueprint (as the
// rollout would load them), the revision each one runs, the target release; then the pure planner
// (src/plan/rollout-preview.ts) renders the release for the environments it would touch and diffs,
// a batch at a time, each batch's revisions read when it is reached.
// Nothing is written, so the release is rendered without hashes and, for bulk shapes, without even
// building the objects (renderEnvironmentTargets: stencil + slot values, walked by the diff): the
// preview compares by content, which gives the same result as comparing hashes (issue #21, ADR 2110).
import type { Store } from '../../domain/ports/store.ts';
import { blueprintFromRelease } from '../../domain/blueprint.ts';
import { InputError } from '../../domain/errors.ts';
import type { Environment, RenderedObject, Tenant } from '../../domain/types.ts';
import { previewSteps, type PreviewCandidate, type RolloutPreview } from '../../plan/rollout-preview.ts';
import { environmentRenderInput, renderEnvironmentTargets } from '../../render/index.ts';
import { loadCandidates } from './candidates.ts';
import { releaseKubernetesRange } from '../place.ts';
import type { CapabilitySource } from '../capabilities.ts';
import type { ClusterCapability } from '../../domain/capabilities.ts';
import { coerceError } from '../../domain/errors.ts';
import type { PlatformConfig } from '../../render/types.ts';
import { normalizeStrategy, type CreateRolloutInput } from './service.ts';

async function currentObjects(store: Store, env: Environment): Promise<readonly RenderedObject[] | null> {
  for (const id of [env.appliedRevision, env.desiredRevision]) {
    const rev = id ? await store.revisions.get(env.tenant, env.name, id) : null;
    if (rev) return rev.objects;
  }
  return null;
}

/** How the environments are rendered: the engine's platform settings and cluster capabilities (engine/capabilities.ts). */
export interface PreviewRenderOptions {
  platform?: Partial<PlatformConfig> | undefined;
  capabilities?: CapabilitySource | undefined;
}

/**
 * Each cluster's capabilities, asked once: a cluster whose discovery fails is previewed with core
 * Kubernetes forms only, and the preview says so (the rollout itself would wait for the cluster).
 */
async function capabilitiesByCluster(clusters: Iterable<string>, source: CapabilitySource | undefined, warnings: string[]): Promise<Map<string, readonly ClusterCapability[]>> {
  const out = new Map<string, readonly ClusterCapability[]>();
  if (!source) return out;
  for (const cluster of clusters) {
    try {
      out.set(cluster, await source(cluster));
    } catch (err) {
      warnings.push(`cluster ${cluster}: capabilities unknown (${coerceError(err).message}); its environments are previewed with core Kubernetes forms`);
      out.set(cluster, []);
    }
  }
  return out;
}

export async function previewRolloutOf(store: Store, input: CreateRolloutInput, now: Date, opts: PreviewRenderOptions = {}): Promise<RolloutPreview & { warnings?: string[] }> {
  const strategy = normalizeStrategy(input.strategy);
  const release = await store.blueprints.get(input.blueprint, input.version);
  if (!release) throw new InputError(`blueprint release ${input.blueprint}@${input.version} is not published`, [{ field: '/version', message: 'no such blueprint release' }]);
  const blueprint = blueprintFromRelease(release);
  const candidates = await loadCandidates(store, input.blueprint);
  const hibernated = new Set((await store.ai.hibernations()).filter((h) => h.state === 'hibernated').map((h) => `${h.tenant}/${h.environment}`));
  const records = new Map<string, { env: Environment; tenant: Tenant }>();
  const environments: PreviewCandidate[] = [];
  for (const c of candidates) {
    const env = await store.environments.get(c.tenant, c.environment);
    const tenant = await store.tenants.get(c.tenant);
    if (!env || !tenant) continue;
    records.set(`${c.tenant}/${c.environment}`, { env, tenant });
    environments.push({ ...c, ...(hibernated.has(`${c.tenant}/${c.environment}`) ? { hibernated: true } : {}) });
  }
  const warnings: string[] = [];
  const saas = [...records.values()].filter((r) => r.tenant.channel !== 'self-managed' && r.env.placement.cluster !== '');
  const capabilities = await capabilitiesByCluster(new Set(saas.map((r) => r.env.placement.cluster)), opts.capabilities, warnings);
  const steps = previewSteps({
    environments, selector: input.selector ?? {}, strategy, version: input.version, now, kubernetes: releaseKubernetesRange(release.spec),
    // As the engine's render step does: a self-managed environment gets the portable forms.
    render: (envs) => renderEnvironmentTargets(envs.map((e) => {
      const r = records.get(`${e.tenant}/${e.environment}`)!;
      const caps = r.tenant.channel === 'self-managed' ? [] : capabilities.get(r.env.placement.cluster);
      return environmentRenderInput(r.tenant, r.env, blueprint, { platform: opts.platform, capabilities: caps });
    })),
  });
  // Each batch's current revisions are read when the planner reaches it and dropped after its diff:
  // loading the whole fleet's first held ≈ 150 KB per environment (1.5 GB at 10,000, past the
  // chart's heap limit).
  let step = steps.next([]);
  while (!step.done) step = steps.next(await Promise.all(step.value.map((e) => currentObjects(store, records.get(`${e.tenant}/${e.environment}`)!.env))));
  const preview = step.value;
  return warnings.length > 0 ? { ...preview, warnings } : preview;
}
