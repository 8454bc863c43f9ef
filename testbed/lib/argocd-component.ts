// Argo CD as a testbed component: one `argocd` multi-call binary built from github.com/argoproj/argo-cd/v3
// (testbed/go/argocd); the controllers are symlinks to it, since it dispatches on its own name.
// v3.6.x declares go 1.27, so this build (only) runs on the go1.27.3 toolchain the module proxy serves.
// Built on demand (`argocd up`, `build --only argocd`), not by every `up`: it is a Kubernetes-sized build.
import type { Component } from './config.ts';

export const ARGOCD_VERSION = 'v3.6.1';
const COMMON = 'github.com/argoproj/argo-cd/v3/common';

export const ARGOCD_COMPONENT: Component = {
  name: 'argocd',
  version: ARGOCD_VERSION,
  module: 'argocd',
  binaries: { argocd: 'github.com/argoproj/argo-cd/v3/cmd' },
  links: {
    'argocd-application-controller': 'argocd',
    'argocd-repo-server': 'argocd',
    'argocd-applicationset-controller': 'argocd',
    'argocd-server': 'argocd',
  },
  ldflags: [
    `-X ${COMMON}.version=${ARGOCD_VERSION.slice(1)}`,
    `-X ${COMMON}.gitTag=${ARGOCD_VERSION}`,
    `-X ${COMMON}.gitTreeState=clean`,
    `-X ${COMMON}.gitCommit=fleetplane-testbed`,
    `-X ${COMMON}.buildDate=2026-11-20T00:00:00Z`,
    `-X ${COMMON}.kubectlVersion=v0.37.0`,
  ],
  env: { GOTOOLCHAIN: 'go1.27.3' },
  onDemand: true,
};
