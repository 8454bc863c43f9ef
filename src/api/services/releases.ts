// Blueprint releases as the API sees them: publishing (validated with the rendering side's
// parseBlueprint) and checking an environment's blueprint/version/values against a release.
import type { BlueprintRelease, Store } from '../../adapters/store/port.ts';
import { parseBlueprint, type Blueprint } from '../../domain/blueprint.ts';
import { FleetplaneError, InputError, type FieldIssue } from '../../domain/errors.ts';
import type { EnvironmentType } from '../../domain/types.ts';
import { versionIssue } from '../../domain/validation.ts';
import { splitValues } from '../../render/values.ts';

export function blueprintOf(release: BlueprintRelease): Blueprint {
  return { ...(release.spec as unknown as Omit<Blueprint, 'digest'>), digest: release.digest };
}

/** Validates the document (issues point under /spec) and that it names the same release. */
export function parseRelease(name: string, version: string, spec: Record<string, unknown>): Blueprint {
  const issues: FieldIssue[] = [];
  const v = versionIssue(version);
  if (v) issues.push({ field: '/version', message: v });
  let bp: Blueprint | undefined;
  try {
    bp = parseBlueprint(spec);
  } catch (err) {
    if (!(err instanceof FleetplaneError)) throw err;
    issues.push(...err.issues.map((i) => ({ ...i, field: `/spec${i.field === '/' ? '' : i.field}` })));
  }
  if (bp && bp.metadata.name !== name) issues.push({ field: '/spec/metadata/name', message: `must equal name "${name}"` });
  if (bp && bp.metadata.version !== version) issues.push({ field: '/spec/metadata/version', message: `must equal version "${version}"` });
  if (issues.length > 0 || !bp) throw new InputError(`invalid blueprint release: ${issues[0]?.field} ${issues[0]?.message}`, issues);
  return bp;
}

export async function publishRelease(store: Store, name: string, version: string, spec: Record<string, unknown>) {
  const bp = parseRelease(name, version, spec);
  const { digest: _d, ...doc } = bp;
  return store.blueprints.publish({ name, version, spec: doc as unknown as Record<string, unknown>, digest: bp.digest });
}

export interface EnvSpec {
  type: EnvironmentType;
  blueprint: string;
  version: string;
  values: Record<string, unknown>;
}

/**
 * Issues for one environment's release and values; `at` is the JSON pointer of the environment
 * object in the request (e.g. "/environments/0", or "" for a body that is the environment itself).
 */
export async function envSpecIssues(store: Store, env: EnvSpec, at: string): Promise<FieldIssue[]> {
  const v = versionIssue(env.version);
  if (v) return [{ field: `${at}/version`, message: v }];
  const release = await store.blueprints.get(env.blueprint, env.version);
  if (!release) return [{ field: `${at}/version`, message: `blueprint release ${env.blueprint}@${env.version} is not published` }];
  try {
    splitValues(blueprintOf(release), env.type, env.values);
    return [];
  } catch (err) {
    if (!(err instanceof FleetplaneError)) throw err;
    const issues = err.issues.length > 0 ? err.issues : [{ field: '/values', message: err.message }];
    return issues.map((i) => ({ ...i, field: `${at}${i.field}` }));
  }
}
