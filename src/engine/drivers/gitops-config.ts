// Builds the GitOps driver from configuration, for `fleetplane serve` (read by src/config.ts):
//   FLEETPLANE_GIT_REMOTE      URL template for tenant repos, e.g. https://git.example.com/fleet/{tenant}.git
//                              (unset: local bare repos under <dataDir>/git/<tenant>.git)
//   FLEETPLANE_GIT_USERNAME    user for the remote (default "fleetplane")
//   FLEETPLANE_GIT_TOKEN       token/password for the remote, or FLEETPLANE_GIT_TOKEN_FILE (a file holding it)
//   FLEETPLANE_GIT_ARGO_URL    URL template Argo CD clones from, when it differs from the push URL
//   FLEETPLANE_ARGOCD_NAMESPACE namespace of Argo CD's Application objects (default argocd)
//   FLEETPLANE_ARGOCD_CLUSTER  registered cluster Argo CD runs on (bootstrap + verify from Applications)
//   FLEETPLANE_GIT_ARGO_CREDENTIALS_FILE  JSON {tenant: {username, password}}: Argo CD's read-only repo credentials
//   FLEETPLANE_GITOPS_CHART_MIRRORS  upstream=mirror,…: chart repositories Argo CD fetches charts from instead
// The token is handed to git through GIT_ASKPASS only (see src/adapters/git/credentials.ts).
import type { Logger } from 'pino';
import { credentialsFromFile } from '../../adapters/git/credentials-file.ts';
import { GitRepos, type RemoteRepoConfig } from '../../adapters/git/index.ts';
import { InputError } from '../../domain/errors.ts';
import { GitopsDriver, type GitopsDriverOptions } from './gitops.ts';

export interface GitopsConfig {
  dataDir: string;
  remoteTemplate?: string;
  username?: string;
  token?: string;
  argoTemplate?: string;
  argocdNamespace?: string;
  argocdCluster?: string;
  argoCredentialsFile?: string;
  chartMirrors?: Record<string, string>;
}

function remoteFor(c: GitopsConfig): ((tenant: string) => RemoteRepoConfig) | undefined {
  const template = c.remoteTemplate;
  if (!template) return undefined;
  if (!template.includes('{tenant}')) throw new InputError('FLEETPLANE_GIT_REMOTE must contain {tenant}', [{ field: 'env:FLEETPLANE_GIT_REMOTE', message: 'missing {tenant}' }]);
  return (tenant) => ({
    url: template.replaceAll('{tenant}', tenant),
    ...(c.token ? { credentials: { password: c.token, ...(c.username ? { username: c.username } : {}) } } : {}),
    ...(c.argoTemplate ? { argoURL: c.argoTemplate.replaceAll('{tenant}', tenant) } : {}),
  });
}

export function createGitopsDriver(
  c: GitopsConfig,
  opts: { logger?: Logger; audit?: GitopsDriverOptions['audit']; repoCredentials?: GitopsDriverOptions['repoCredentials']; offboardTimeoutMs?: number } = {},
): GitopsDriver {
  const remote = remoteFor(c);
  const repoCredentials = opts.repoCredentials ?? (c.argoCredentialsFile ? credentialsFromFile(c.argoCredentialsFile) : undefined);
  const repos = new GitRepos({ dataDir: c.dataDir, ...(remote ? { remoteFor: remote } : {}), ...(opts.logger ? { logger: opts.logger } : {}) });
  return new GitopsDriver({
    repos, ...(c.argocdNamespace ? { argocdNamespace: c.argocdNamespace } : {}), ...(c.argocdCluster ? { argoCluster: c.argocdCluster } : {}),
    ...(c.chartMirrors ? { chartMirrors: c.chartMirrors } : {}),
    ...(opts.audit ? { audit: opts.audit } : {}), ...(repoCredentials ? { repoCredentials } : {}),
    ...(opts.offboardTimeoutMs !== undefined ? { offboardTimeoutMs: opts.offboardTimeoutMs } : {}),
  });
}
