// A rejected release (issue #21): a rollout's failed gate rolled the fleet back from it, so no later
// rollout, onboarding or upgrade may pick it until an admin clears the rejection
// (POST /v1/blueprints/{name}/{version}:clear-rejection). One wording for every door that refuses it.
import { ConflictError, type FieldIssue } from './errors.ts';
import type { ReleaseRejection } from './ports/store.ts';

export function rejectionIssue(name: string, version: string, r: ReleaseRejection, field = '/version'): FieldIssue {
  const by = r.rollout ? `rollout ${r.rollout}` : r.by;
  return { field, message: `blueprint release ${name}@${version} was rejected by ${by} at ${r.at} (${r.reason}); an admin must clear the rejection first` };
}

export function rejectedError(name: string, version: string, r: ReleaseRejection): ConflictError {
  const issue = rejectionIssue(name, version, r);
  return new ConflictError(issue.message, [issue]);
}
