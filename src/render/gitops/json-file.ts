// File content for a tenant's GitOps repo uses the canonical forms (src/domain/canonical.ts): keys
// sorted, apiVersion/kind/metadata first, no line folding. Same input, same bytes, so Git shows only
// real changes and re-delivering a revision produces no commit. Manifests are canonicalYaml; the one
// JSON file (revision.json) is the pretty-printed variant below, which is not the hashed canonical
// JSON (that one is compact and has no trailing newline).
import { canonicalize } from '../../domain/canonical.ts';

/** Pretty canonical JSON file text (revision.json): stable key order, two-space indent, trailing newline. */
export function canonicalJsonFile(value: unknown): string {
  return `${JSON.stringify(canonicalize(value), null, 2)}\n`;
}
