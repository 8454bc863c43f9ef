// File content for a tenant's GitOps repo uses the renderer's canonical forms (src/render/canonical.ts):
// keys sorted, apiVersion/kind/metadata first, no line folding. Same input, same bytes, so Git shows
// only real changes and re-delivering a revision produces no commit.
import { canonicalize, canonicalYaml } from '../canonical.ts';

export { canonicalize, canonicalYaml };

/** Pretty canonical JSON (revision.json): stable key order, two-space indent, trailing newline. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(canonicalize(value), null, 2)}\n`;
}
