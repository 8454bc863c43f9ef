// Pure GitOps rendering: repo layout, Argo CD objects, commit messages.
export * from './json-file.ts';
export * from './layout.ts';
export * from './argocd.ts';
export * from './message.ts';
export * from './sync-identity.ts';

import { applicationSet, appProject, chartApplicationSet, type TenantRepoRef } from './argocd.ts';
import type { RevisionIndex } from './layout.ts';
import { canonicalYaml } from '../../domain/canonical.ts';

/** The argocd/ directory of a tenant repo, derived from every environment's revision index. */
export function renderArgoFiles(ref: TenantRepoRef, envs: RevisionIndex[]): Record<string, string> {
  return {
    'argocd/appproject.yaml': canonicalYaml(appProject(ref, envs)),
    'argocd/applicationset.yaml': canonicalYaml(applicationSet(ref, envs)),
    'argocd/applicationset-charts.yaml': canonicalYaml(chartApplicationSet(ref, envs)),
  };
}
