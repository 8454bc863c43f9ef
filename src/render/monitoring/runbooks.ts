// Where alerts link. Every generated alert carries `runbook_url: <base>/<page>[#<anchor>]`; the pages
// are docs/runbooks/<page>.md, served by `fleetplane serve` at GET /runbooks/<page>. The base is an
// input: the edges resolve it from FLEETPLANE_RUNBOOK_URL or the API's own URL (resolveRunbookBase).
import { InputError } from '../../domain/errors.ts';

/** The pages alerts link to (docs/runbooks/<page>.md; a test checks each exists). */
export const RUNBOOK_PAGES = ['control-plane', 'slo-availability-burn', 'slo-latency-burn'] as const;
export type RunbookPage = (typeof RUNBOOK_PAGES)[number];

/** `fleetplane serve` on its default host and port; right for a local setup, set FLEETPLANE_RUNBOOK_URL elsewhere. */
export const DEFAULT_RUNBOOK_BASE = 'http://127.0.0.1:8080/runbooks';

// Absolute http(s) URL without query, fragment, whitespace, quotes or a trailing slash.
const BASE = /^https?:\/\/[^\s/?#"'<>\\]+(?:\/[^\s?#"'<>\\]*)?$/;

/** Why `base` cannot be a runbook base URL, or null when it can. */
export function runbookBaseIssue(base: string): string | null {
  if (!BASE.test(base)) return 'must be an absolute http(s) URL without query or fragment';
  if (base.endsWith('/')) return 'must not end with "/"';
  return null;
}

export function runbookUrl(base: string, page: RunbookPage, anchor?: string): string {
  return `${base}/${page}${anchor ? `#${anchor}` : ''}`;
}

/**
 * The base the edges pass in: `configured` (FLEETPLANE_RUNBOOK_URL) when set, else `<apiUrl>/runbooks`,
 * where `fleetplane serve` serves the pages. Trailing slashes are dropped; anything else invalid throws.
 */
export function resolveRunbookBase(configured: string | undefined, apiUrl: string): string {
  const explicit = configured?.trim();
  const [field, raw] = explicit ? ['FLEETPLANE_RUNBOOK_URL', explicit] : ['apiUrl', `${apiUrl.trim().replace(/\/+$/, '')}/runbooks`];
  const base = raw.replace(/\/+$/, '');
  const issue = runbookBaseIssue(base);
  if (issue) throw new InputError(`${field} ${issue}: "${raw}"`, [{ field, message: issue }]);
  return base;
}
