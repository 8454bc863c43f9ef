// Pinned component versions and where the testbed keeps its binaries, CRDs and cluster state.
// Everything lives outside the checkout so a clone can be deleted without losing the slow build.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARGOCD_COMPONENT } from './argocd-component.ts';

export const TESTBED_ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const GO_DIR = path.join(TESTBED_ROOT, 'go');

/** One Go module under testbed/go that builds one or more binaries in a single `go build`. */
export interface Component {
  name: string;
  version: string;
  /** Directory under testbed/go holding the module's go.mod/go.sum. */
  module: string;
  /** Binary name -> Go package path. */
  binaries: Record<string, string>;
  ldflags: string[];
  /** Extra environment for `go build` (e.g. GOTOOLCHAIN for a module that needs a newer Go). */
  env?: Record<string, string>;
  /** Symlink name -> binary: one multi-call binary that dispatches on its name (Argo CD). */
  links?: Record<string, string>;
  /** Built only when asked for by name (`build --only`, `argocd up`), not by every `up`. */
  onDemand?: boolean;
}

const K8S_VERSION = 'v1.32.6';
const KV = 'k8s.io/component-base/version';

export const COMPONENTS: Component[] = [
  {
    name: 'kubernetes',
    version: K8S_VERSION,
    module: 'kube',
    binaries: {
      'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
      'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
      'kube-scheduler': 'k8s.io/kubernetes/cmd/kube-scheduler',
      kubectl: 'k8s.io/kubernetes/cmd/kubectl',
    },
    ldflags: [
      `-X ${KV}.gitVersion=${K8S_VERSION}`,
      `-X ${KV}.gitMajor=1`,
      `-X ${KV}.gitMinor=32`,
      `-X ${KV}.gitTreeState=clean`,
      `-X ${KV}.buildDate=2025-06-17T00:00:00Z`,
      `-X ${KV}.gitCommit=fleetplane-testbed`,
    ],
  },
  {
    name: 'etcd',
    version: 'v3.5.21',
    module: 'etcd',
    binaries: { etcd: 'fleetplane.dev/testbed/etcd' },
    ldflags: ['-X go.etcd.io/etcd/api/v3/version.GitSHA=fleetplane-testbed'],
  },
  {
    name: 'kwok',
    version: 'v0.7.0',
    module: 'kwok',
    binaries: { kwok: 'sigs.k8s.io/kwok/cmd/kwok', kwokctl: 'sigs.k8s.io/kwok/cmd/kwokctl' },
    ldflags: ['-X sigs.k8s.io/kwok/pkg/consts.Version=0.7.0', '-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=1.32.6'],
  },
  {
    name: 'helm',
    version: 'v3.17.4',
    module: 'helm',
    binaries: { helm: 'helm.sh/helm/v3/cmd/helm' },
    ldflags: ['-X helm.sh/helm/v3/internal/version.version=v3.17.4', '-X helm.sh/helm/v3/internal/version.gitTreeState=clean'],
  },
  ARGOCD_COMPONENT,
];

export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FLEETPLANE_CACHE_DIR) return path.join(env.FLEETPLANE_CACHE_DIR, 'testbed');
  const xdg = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(xdg, 'fleetplane', 'testbed');
}

/** Where clusters keep data dirs, pids, logs and kubeconfigs. */
export function stateRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.FLEETPLANE_TESTBED_DIR || path.join(cacheRoot(env), 'clusters');
}

export function componentDir(c: Component): string {
  return path.join(cacheRoot(), `${c.name}-${c.version}`);
}

export function findBinary(name: string): { component: Component; file: string } {
  for (const c of COMPONENTS) {
    if (name in c.binaries || name in (c.links ?? {})) return { component: c, file: path.join(componentDir(c), name) };
  }
  throw new Error(`unknown testbed binary "${name}" (known: ${COMPONENTS.flatMap((c) => [...Object.keys(c.binaries), ...Object.keys(c.links ?? {})]).join(', ')})`);
}

/** Ports of cluster fp-<index>: a fixed block of ten so URLs stay stable across restarts. */
export function clusterPorts(index: number): { apiServer: number; etcdClient: number; etcdPeer: number; controllerManager: number; scheduler: number } {
  const base = 16400 + index * 10;
  return { apiServer: base, etcdClient: base + 1, etcdPeer: base + 2, controllerManager: base + 3, scheduler: base + 4 };
}

export const CLUSTER_PREFIX = 'fp-';
