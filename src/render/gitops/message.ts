// Commit messages for the tenant repo: a one-line summary a human can scan in `git log --oneline`,
// then trailers machines can query (`git log --format=%(trailers:key=Fleetplane-Revision)`).
export { COMMIT_AUTHOR } from '../../domain/gitops.ts';

export interface CommitInfo {
  action: string;
  tenant: string;
  environment: string;
  blueprint?: string;
  version?: string;
  revision?: string;
  operationId?: string;
  detail?: string;
}

export function commitMessage(c: CommitInfo): string {
  const parts: string[] = [];
  if (c.blueprint && c.version) parts.push(`blueprint ${c.blueprint}@${c.version}`);
  if (c.revision) parts.push(`revision ${c.revision}`);
  if (c.detail) parts.push(c.detail);
  const subject = `${c.action} ${c.tenant}/${c.environment}${parts.length > 0 ? `: ${parts.join(', ')}` : ''}`;
  return `${subject}\n\n${trailers(c).join('\n')}\n`;
}

function trailers(c: CommitInfo): string[] {
  const t = [`Fleetplane-Tenant: ${c.tenant}`, `Fleetplane-Environment: ${c.environment}`];
  if (c.revision) t.push(`Fleetplane-Revision: ${c.revision}`);
  if (c.operationId) t.push(`Fleetplane-Operation: ${c.operationId}`);
  return t;
}
