// Pinned component versions and where the testbed keeps its binaries, CRDs and cluster state.
// Everything lives outside the checkout so a clone can be deleted without losing the slow build.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ARGOCD_COMPONENT } from './argocd-component.ts';
import { KSERVE_COMPONENT } from './kserve-component.ts';

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

const KV = 'k8s.io/component-base/version';

/** A Kubernetes release the testbed builds (one Go module per release under testbed/go). */
export interface KubeRelease {
  version: string;
  module: string;
  /** The k8s.io/kubernetes module's publication time, stamped as the binaries' build date. */
  buildDate: string;
}

/**
 * Supported releases, newest first. The first is the pinned default every new cluster runs; the
 * others exist so a cluster can be created at the previous minor and upgraded in place.
 */
export const KUBE_RELEASES: KubeRelease[] = [
  { version: 'v1.37.2', module: 'kube-1.37', buildDate: '2026-10-27T12:01:04Z' },
  { version: 'v1.36.3', module: 'kube-1.36', buildDate: '2026-07-22T18:07:38Z' },
];
export const DEFAULT_KUBE_VERSION = KUBE_RELEASES[0]!.version;
/** Control-plane binaries every release builds; kubectl comes from the default release only. */
export const CONTROL_PLANE_BINARIES = ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'] as const;

function kubeComponent(r: KubeRelease): Component {
  const [major, minor] = r.version.slice(1).split('.');
  const binaries: Record<string, string> = Object.fromEntries(CONTROL_PLANE_BINARIES.map((b) => [b, `k8s.io/kubernetes/cmd/${b}`]));
  // One kubectl is enough: kubectl supports one minor of skew either way.
  if (r.version === DEFAULT_KUBE_VERSION) binaries.kubectl = 'k8s.io/kubernetes/cmd/kubectl';
  return {
    name: 'kubernetes',
    version: r.version,
    module: r.module,
    binaries,
    ldflags: [
      `-X ${KV}.gitVersion=${r.version}`,
      `-X ${KV}.gitMajor=${major}`,
      `-X ${KV}.gitMinor=${minor}`,
      `-X ${KV}.gitTreeState=clean`,
      `-X ${KV}.buildDate=${r.buildDate}`,
      `-X ${KV}.gitCommit=fleetplane-testbed`,
    ],
  };
}

const KWOK_VERSION = 'v0.8.0';
const HELM_VERSION = 'v4.3.2';

/** Build order: the default Kubernetes release first (clusters need it), the previous minor later. */
export const COMPONENTS: Component[] = [
  kubeComponent(KUBE_RELEASES[0]!),
  {
    name: 'etcd',
    version: 'v3.6.16',
    module: 'etcd',
    binaries: { etcd: 'fleetplane.dev/testbed/etcd' },
    ldflags: ['-X go.etcd.io/etcd/api/v3/version.GitSHA=fleetplane-testbed'],
  },
  {
    name: 'kwok',
    version: KWOK_VERSION,
    module: 'kwok',
    binaries: { kwok: 'sigs.k8s.io/kwok/cmd/kwok', kwokctl: 'sigs.k8s.io/kwok/cmd/kwokctl' },
    ldflags: [`-X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION.slice(1)}`, `-X sigs.k8s.io/kwok/pkg/consts.KubeVersion=${DEFAULT_KUBE_VERSION.slice(1)}`],
  },
  ...KUBE_RELEASES.slice(1).map(kubeComponent),
  {
    name: 'helm',
    version: HELM_VERSION,
    module: 'helm',
    binaries: { helm: 'helm.sh/helm/v4/cmd/helm' },
    ldflags: [`-X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}`, '-X helm.sh/helm/v4/internal/version.gitTreeState=clean'],
  },
  ARGOCD_COMPONENT,
  KSERVE_COMPONENT,
];

/** The kubernetes component of a release, or an error naming the releases this testbed builds. */
export function kubeComponentOf(version: string): Component {
  const c = COMPONENTS.find((x) => x.name === 'kubernetes' && x.version === version);
  if (!c) throw new Error(`Kubernetes ${version} is not a release this testbed builds (${KUBE_RELEASES.map((r) => r.version).join(', ')})`);
  return c;
}

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

/**
 * Path of a pinned binary. Control-plane binaries exist once per Kubernetes release: `kubeVersion`
 * picks one (default: the pinned default release); every other binary has a single version.
 */
export function findBinary(name: string, kubeVersion: string = DEFAULT_KUBE_VERSION): { component: Component; file: string } {
  if ((CONTROL_PLANE_BINARIES as readonly string[]).includes(name)) {
    const c = kubeComponentOf(kubeVersion);
    return { component: c, file: path.join(componentDir(c), name) };
  }
  for (const c of COMPONENTS) {
    if (name in c.binaries || name in (c.links ?? {})) return { component: c, file: path.join(componentDir(c), name) };
  }
  throw new Error(`unknown testbed binary "${name}" (known: ${[...new Set(COMPONENTS.flatMap((c) => [...Object.keys(c.binaries), ...Object.keys(c.links ?? {})]))].join(', ')})`);
}

/** Ports of cluster fp-<index>: a fixed block of ten so URLs stay stable across restarts. */
export function clusterPorts(index: number): { apiServer: number; etcdClient: number; etcdPeer: number; controllerManager: number; scheduler: number } {
  const base = 16400 + index * 10;
  return { apiServer: base, etcdClient: base + 1, etcdPeer: base + 2, controllerManager: base + 3, scheduler: base + 4 };
}

export const CLUSTER_PREFIX = 'fp-';
