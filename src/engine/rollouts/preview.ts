// The what-if preview of a rollout, with its reads: every live environment on the blueprint (as the
// rollout would load them), the revision each one runs, the target release; then the pure planner
// (src/plan/rollout-preview.ts) renders the release for the environments it would touch and diffs.
// Nothing is written, so the release is rendered without hashes (renderEnvironmentObjects): the
// preview compares objects by content, which gives the same result as comparing hashes (issue #21).
import type { Store } from '../../domain/ports/store.ts';
import { blueprintFromRelease } from '../../domain/blueprint.ts';
import { InputError } from '../../domain/errors.ts';
import type { Environment, RenderedObject, Tenant } from '../../domain/types.ts';
import { previewRollout, type PreviewEnvironment, type RolloutPreview } from '../../plan/rollout-preview.ts';
import { environmentRenderInput, renderEnvironmentObjects } from '../../render/index.ts';
import { loadCandidates } from './candidates.ts';
import { normalizeStrategy, type CreateRolloutInput } from './service.ts';

async function currentObjects(store: Store, env: Environment): Promise<readonly RenderedObject[] | null> {
  for (const id of [env.appliedRevision, env.desiredRevision]) {
    const rev = id ? await store.revisions.get(env.tenant, env.name, id) : null;
    if (rev) return rev.objects;
  }
  return null;
}

export async function previewRolloutOf(store: Store, input: CreateRolloutInput, now: Date): Promise<RolloutPreview> {
  const strategy = normalizeStrategy(input.strategy);
  const release = await store.blueprints.get(input.blueprint, input.version);
  if (!release) throw new InputError(`blueprint release ${input.blueprint}@${input.version} is not published`, [{ field: '/version', message: 'no such blueprint release' }]);
  const blueprint = blueprintFromRelease(release);
  const candidates = await loadCandidates(store, input.blueprint);
  const records = new Map<string, { env: Environment; tenant: Tenant }>();
  const environments: PreviewEnvironment[] = [];
  for (const c of candidates) {
    const env = await store.environments.get(c.tenant, c.environment);
    const tenant = await store.tenants.get(c.tenant);
    if (!env || !tenant) continue;
    records.set(`${c.tenant}/${c.environment}`, { env, tenant });
    environments.push({ ...c, current: await currentObjects(store, env) });
  }
  return previewRollout({
    environments, selector: input.selector ?? {}, strategy, version: input.version, now,
    render: (envs) => renderEnvironmentObjects(envs.map((e) => {
      const r = records.get(`${e.tenant}/${e.environment}`)!;
      return environmentRenderInput(r.tenant, r.env, blueprint);
    })).map((objects) => objects.map((object) => ({ object }))),
  });
}
