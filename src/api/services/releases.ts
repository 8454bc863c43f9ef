// Blueprint releases as the API sees them: publishing (validated with the domain's parseBlueprint;
// the store keeps {name, version, spec, digest}) and checking an environment's blueprint/version/values
// against a release (parsed back with blueprintFromRelease).
import { rejectionIssue } from '../../domain/release-rejection.ts';
import type { Store } from '../../domain/ports/store.ts';
import { BLUEPRINT_API_VERSION, blueprintFromRelease, parseBlueprint, type Blueprint } from '../../domain/blueprint.ts';
import { FleetplaneError, InputError, type FieldIssue } from '../../domain/errors.ts';
import type { EnvironmentType } from '../../domain/types.ts';
import { compileValuesSchema, versionIssue } from '../../domain/validation.ts';
import { splitValues } from '../../render/values.ts';

/** The body's `spec` may be the whole Blueprint document or only its `spec` section. */
function asDocument(name: string, version: string, spec: Record<string, unknown>): Record<string, unknown> {
  if ('apiVersion' in spec || 'kind' in spec || 'metadata' in spec) return spec;
  return { apiVersion: BLUEPRINT_API_VERSION, kind: 'Blueprint', metadata: { name, version }, spec };
}

/** Parses the document; its issues are re-pointed at the request body (`/spec/...`). */
function parseDocument(name: string, version: string, spec: Record<string, unknown>): { bp?: Blueprint; issues: FieldIssue[]; base: string } {
  const doc = asDocument(name, version, spec);
  // Where the document's own `/spec` lives in the request body.
  const base = doc === spec ? '/spec/spec' : '/spec';
  try {
    return { bp: parseBlueprint(doc), issues: [], base };
  } catch (err) {
    if (!(err instanceof FleetplaneError)) throw err;
    const at = (f: string) => (doc === spec || !f.startsWith('/spec') ? `/spec${f === '/' ? '' : f}` : f);
    return { issues: err.issues.map((i) => ({ ...i, field: at(i.field) })), base };
  }
}

/** What parseBlueprint does not check: strict parameter schema, and the release's identity. */
function releaseIssues(bp: Blueprint, name: string, version: string, base: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  // Strict Ajv: a typo'd schema keyword is refused at publish time instead of being ignored later.
  const schema = bp.spec.parameters?.schema;
  if (schema) issues.push(...compileValuesSchema(schema).issues.map((i) => ({ field: `${base}/parameters/schema${i.field}`, message: i.message })));
  if (bp.metadata.name !== name) issues.push({ field: '/spec/metadata/name', message: `must equal name "${name}"` });
  if (bp.metadata.version !== version) issues.push({ field: '/spec/metadata/version', message: `must equal version "${version}"` });
  return issues;
}

/** Validates the document (issues point under /spec) and that it names the same release. */
export function parseRelease(name: string, version: string, spec: Record<string, unknown>): Blueprint {
  const v = versionIssue(version);
  const { bp, issues, base } = parseDocument(name, version, spec);
  if (v) issues.unshift({ field: '/version', message: v });
  if (bp) issues.push(...releaseIssues(bp, name, version, base));
  if (issues.length > 0 || !bp) throw new InputError(`invalid blueprint release: ${issues[0]?.field} ${issues[0]?.message}`, issues);
  return bp;
}

/**
 * Stores the release as {name, version, spec}: only the document's `spec` section is kept (what
 * blueprintFromRelease parses back), with the release digest over exactly that, so both body forms
 * of one release agree.
 */
export async function publishRelease(store: Store, name: string, version: string, spec: Record<string, unknown>) {
  const bp = parseRelease(name, version, spec);
  return store.blueprints.publish({ name, version, spec: bp.spec as unknown as Record<string, unknown>, digest: bp.digest });
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
  if (release.rejected) return [rejectionIssue(env.blueprint, env.version, release.rejected, `${at}/version`)];
  try {
    splitValues(blueprintFromRelease(release), env.type, env.values);
    return [];
  } catch (err) {
    if (!(err instanceof FleetplaneError)) throw err;
    const issues = err.issues.length > 0 ? err.issues : [{ field: '/values', message: err.message }];
    return issues.map((i) => ({ ...i, field: `${at}${i.field}` }));
  }
}
