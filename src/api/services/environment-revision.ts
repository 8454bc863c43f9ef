// An environment's manifests as the API shows them: a stored revision (the one asked for, else the
// applied one, else the desired one), or, for an environment never rendered (e.g. a self-managed
// customer's, which Fleetplane does not deliver), rendered now from its blueprint release.
import type { Store } from '../../domain/ports/store.ts';
import { blueprintFromRelease } from '../../domain/blueprint.ts';
import type { Environment, Revision, Tenant } from '../../domain/types.ts';
import { environmentRenderInput, renderEnvironment } from '../../render/index.ts';
import { notFound } from '../auth.ts';

/** Renders the environment from its blueprint release as it stands; null when the release is gone. */
export async function renderFromRelease(store: Store, tenant: Tenant, env: Environment): Promise<Revision | null> {
  const release = await store.blueprints.get(env.blueprint, env.version);
  if (!release) return null;
  // A stored release keeps the document's spec section; blueprintFromRelease parses it back.
  const out = renderEnvironment(environmentRenderInput(tenant, env, blueprintFromRelease(release)));
  return { id: out.revision, tenant: env.tenant, environment: env.name, blueprint: out.blueprint, version: out.version, objects: out.objects, helmValues: out.helmValues };
}

/** The revision `id` (404 when the environment has none by that id), else applied, else desired, else rendered now. */
export async function environmentRevision(store: Store, tenant: Tenant, env: Environment, id?: string): Promise<Revision | null> {
  if (id) {
    const rev = await store.revisions.get(env.tenant, env.name, id);
    if (!rev) throw notFound(`revision "${id}" of environment "${env.tenant}/${env.name}"`);
    return rev;
  }
  for (const known of [env.appliedRevision, env.desiredRevision]) {
    const rev = known ? await store.revisions.get(env.tenant, env.name, known) : null;
    if (rev) return rev;
  }
  return renderFromRelease(store, tenant, env);
}
