// GitOps nouns shared by the renderer (what is committed) and the git adapter (how it is committed).
import { InputError } from './errors.ts';
import { isDnsLabel } from './naming.ts';

/** The branch every tenant repo is delivered on, and Argo CD tracks. */
export const GITOPS_BRANCH = 'main';

/** The author of every commit Fleetplane makes. */
export const COMMIT_AUTHOR = { name: 'Fleetplane', email: 'fleetplane@fleetplane.io' } as const;

/** A path segment of the tenant repo (tenant, environment) must be a DNS label: no `..`, no `/`. */
export function assertPathSegment(value: string, field: string): void {
  if (!isDnsLabel(value)) throw new InputError(`${field} "${value}" is not a DNS label`, [{ field, message: 'must be a DNS label' }]);
}
