// KServe's controller manager as a testbed component: github.com/kserve/kserve/cmd/manager built from
// the pinned module (testbed/go/kserve, whose go.mod repeats kserve's own replace/exclude directives).
// Built on demand (`kserve up`, `build --only kserve`), not by every `up`: only the AI e2e test runs it.
import type { Component } from './config.ts';

/** The release whose CRDs every `up` installs (testbed/lib/crds.ts); the proxy serves this exact version. */
export const KSERVE_VERSION = 'v0.17.0';

export const KSERVE_COMPONENT: Component = {
  name: 'kserve',
  version: KSERVE_VERSION,
  module: 'kserve',
  binaries: { 'kserve-manager': 'github.com/kserve/kserve/cmd/manager' },
  ldflags: [],
  onDemand: true,
};
