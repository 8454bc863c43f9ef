// The repo layout of one tenant's GitOps repository (documented in docs/gitops.md):
//   environments/<env>/manifests/NN-<kind>-<name>.yaml   one object per file, in apply order
//   environments/<env>/helm/<component>.values.yaml     Helm value overrides, canonical YAML
//   environments/<env>/revision.json                    what is here: revision, placement, file index
//   argocd/appproject.yaml, argocd/applicationset.yaml  see ./argocd.ts
// Secrets never go to Git: they are listed (name only) under outOfBand and applied directly.
// Nor do the environment's guard rails (its Namespace, ResourceQuota, LimitRange and NetworkPolicies):
// whoever can push to the tenant repo could loosen them, so they are listed (name only) under
// guardRails and the driver applies them out of band too (issue #12; docs/isolation.md).
import { assertPathSegment } from '../../domain/gitops.ts';
import { InputError } from '../../domain/errors.ts';
import { refOf } from '../../domain/kinds.ts';
import type { KubeObject, ObjectRef, Revision } from '../../domain/types.ts';
import { canonicalYaml } from '../../domain/canonical.ts';
import { canonicalJsonFile } from './json-file.ts';

/** Where an environment runs, as the ApplicationSet needs it. */
export interface GitopsPlacement {
  cluster: string;
  /** Kubernetes API server URL of the cluster (Argo CD destination.server). */
  server: string;
  namespace: string;
}

export interface ManifestEntry extends ObjectRef {
  file: string;
  hash: string;
}

/** A Helm-chart component: Argo CD renders the vendor chart with the committed values file. */
export interface HelmEntry {
  component: string;
  chart: string;
  chartVersion: string;
  /** Chart repository URL (absent when the renderer did not say; no Application is generated). */
  repo?: string;
  releaseName?: string;
  namespace?: string;
  file: string;
  /** Self-managed bundles only: the chart's archive in the bundle (`charts/<chart>-<version>.tgz`). */
  archive?: string;
  /** Self-managed bundles only: the chart pre-rendered with the values file, in apply order (`charts/<component>/…`). */
  rendered?: ManifestEntry[];
}

type HelmInput = Revision['helmValues'][number] & { repo?: string; releaseName?: string; namespace?: string };

export interface RevisionIndex {
  tenant: string;
  environment: string;
  revision: string;
  blueprint: string;
  version: string;
  placement: GitopsPlacement;
  manifests: ManifestEntry[];
  helm: HelmEntry[];
  /** Objects delivered outside Git (Secrets): identity only, never values. */
  outOfBand: ObjectRef[];
  /**
   * The guard rails the driver applies out of band (Namespace, ResourceQuota, LimitRange,
   * NetworkPolicy): identity only. Absent in trees rendered before they left the repo (their
   * manifests then hold them) and in self-managed bundles (which install everything themselves).
   */
  guardRails?: ObjectRef[];
  /** The revision held at zero (hibernation); absent when awake. */
  hibernated?: true;
  /**
   * Its singletons held at zero (a GitOps move's copy before it starts them, or its source once they
   * stopped: ADR 1030). The same revision id either way, so verify tells the two commits apart by this.
   */
  singletonsHeld?: true;
  /**
   * The Argo CD Application that syncs this index (absent: applicationName(tenant, environment)). An
   * environment moved with GitOps (ADR 1030) lives on in the Application created for its target:
   * an Application's name, path and destination never change while it exists.
   */
  application?: string;
  /** Repo-relative directory of the manifests (absent: environments/<env>/manifests); see `application`. */
  manifestsDir?: string;
}

export interface EnvironmentTree {
  /** Repo-relative directory owned by this environment. */
  dir: string;
  /** Repo-relative path -> file content. */
  files: Record<string, string>;
  index: RevisionIndex;
  /** The objects kept out of Git (with values), for the driver to apply directly. */
  outOfBandObjects: KubeObject[];
  /** The guard rails kept out of Git, in apply order (the Namespace first), for the driver to apply directly. */
  guardRailObjects: KubeObject[];
}

export interface TreeOptions {
  /**
   * Where the guard rails go: `out-of-band` (the GitOps driver and `fleetplane render --gitops`: the
   * driver applies them, the repo cannot change them) or `in-tree` (the default, for self-managed
   * bundles, whose customer install applies everything itself).
   */
  guardRails?: 'out-of-band' | 'in-tree';
  /**
   * A copy of the environment for another cluster while it moves (ADR 1030): rendered under
   * environments/<env>/copies/<cluster>/ with its own revision.json, synced by its own Application
   * (`application`). Also the home of an environment that moved (its index keeps both).
   */
  copy?: { cluster: string; application: string };
  /** Mark the index as holding the singletons at zero (see RevisionIndex.singletonsHeld). */
  singletonsHeld?: boolean;
}

/** Where an environment's copy for `cluster` lives while it moves there (and after, as its home). */
export function copyDir(env: string, cluster: string): string {
  assertPathSegment(cluster, 'cluster');
  return `${environmentDir(env)}/copies/${cluster}`;
}

/**
 * The kinds that fence an environment inside its namespace: the Namespace (Pod Security and mesh
 * labels), its ResourceQuota and LimitRange, and its NetworkPolicies. They never come from the
 * tenant repo: the driver applies them, the sync identity may not write them, and the AppProject
 * forbids them (./argocd.ts, ./sync-identity.ts).
 */
export const GUARD_RAIL_KINDS: ReadonlyArray<{ group: string; kind: string; namespaced: boolean }> = [
  { group: '', kind: 'Namespace', namespaced: false },
  { group: '', kind: 'LimitRange', namespaced: true },
  { group: '', kind: 'ResourceQuota', namespaced: true },
  { group: 'networking.k8s.io', kind: 'NetworkPolicy', namespaced: true },
];

const groupOfApiVersion = (apiVersion: string) => (apiVersion.includes('/') ? apiVersion.split('/')[0]! : '');

/** Whether (group, kind) is a guard-rail kind. */
export function isGuardRailKind(group: string, kind: string): boolean {
  return GUARD_RAIL_KINDS.some((g) => g.group === group && g.kind === kind);
}

/** Whether an object (or a reference to one) is one of the environment's guard rails. */
export function isGuardRail(o: { apiVersion: string; kind: string }): boolean {
  return isGuardRailKind(groupOfApiVersion(o.apiVersion), o.kind);
}

export { assertPathSegment } from '../../domain/gitops.ts';

export function environmentDir(env: string): string {
  assertPathSegment(env, 'environment');
  return `environments/${env}`;
}

export function isSecret(o: KubeObject): boolean {
  return o.kind === 'Secret' && o.apiVersion === 'v1';
}

function safe(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9.-]/g, '_');
}

/** `NN-<kind>-<name>.yaml`; the namespace joins the name only when needed to stay unique. */
export function manifestFileNames(objects: KubeObject[]): string[] {
  const width = Math.max(2, String(objects.length).length);
  const base = objects.map((o) => `${safe(o.kind)}-${safe(o.metadata.name)}`);
  const dup = new Set(base.filter((b, i) => base.indexOf(b) !== i));
  return objects.map((o, i) => {
    const stem = dup.has(base[i]!) ? `${safe(o.kind)}-${safe(o.metadata.namespace ?? '_')}-${safe(o.metadata.name)}` : base[i]!;
    return `${String(i).padStart(width, '0')}-${stem}.yaml`;
  });
}

export function renderEnvironmentTree(revision: Revision, placement: GitopsPlacement, opts: TreeOptions = {}): EnvironmentTree {
  assertPathSegment(revision.tenant, 'tenant');
  const dir = environmentDir(revision.environment);
  const home = opts.copy ? copyDir(revision.environment, opts.copy.cluster) : dir;
  const files: Record<string, string> = {};
  const railsOut = opts.guardRails === 'out-of-band';
  const guardRailObjects = railsOut ? revision.objects.filter((r) => isGuardRail(r.object)).map((r) => r.object) : [];
  const inGit = revision.objects.filter((r) => !isSecret(r.object) && !(railsOut && isGuardRail(r.object)));
  const outOfBandObjects = revision.objects.filter((r) => isSecret(r.object)).map((r) => r.object);
  const names = manifestFileNames(inGit.map((r) => r.object));
  const manifests: ManifestEntry[] = inGit.map((r, i) => {
    const file = `${home}/manifests/${names[i]!}`;
    files[file] = canonicalYaml(r.object);
    return { ...refOf(r.object), file, hash: r.hash };
  });
  const helm = (revision.helmValues as HelmInput[]).map((h): HelmEntry => {
    assertPathSegment(h.component, 'component');
    const file = `${home}/helm/${h.component}.values.yaml`;
    files[file] = h.yaml.endsWith('\n') || h.yaml === '' ? h.yaml : `${h.yaml}\n`;
    return {
      component: h.component, chart: h.chart, chartVersion: h.chartVersion, file,
      ...(h.repo ? { repo: h.repo } : {}), ...(h.releaseName ? { releaseName: h.releaseName } : {}), ...(h.namespace ? { namespace: h.namespace } : {}),
    };
  });
  const index: RevisionIndex = {
    tenant: revision.tenant, environment: revision.environment, revision: revision.id,
    blueprint: revision.blueprint, version: revision.version, placement,
    manifests, helm, outOfBand: outOfBandObjects.map(refOf), ...(railsOut ? { guardRails: guardRailObjects.map(refOf) } : {}),
    ...(revision.hibernated ? { hibernated: true as const } : {}),
    ...(opts.singletonsHeld ? { singletonsHeld: true as const } : {}),
    ...(opts.copy ? { application: opts.copy.application, manifestsDir: `${home}/manifests` } : {}),
  };
  files[`${home}/revision.json`] = canonicalJsonFile(index);
  return { dir: home, files, index, outOfBandObjects, guardRailObjects };
}

const COPY_MANIFESTS = /^environments\/([^/]+)\/copies\/([^/]+)\/manifests$/;

/** The cluster whose copy directory holds these manifests (environments/<env>/copies/<cluster>/manifests), or null. */
export function copyClusterOf(manifestsDir: string | undefined): string | null {
  return manifestsDir ? COPY_MANIFESTS.exec(manifestsDir)?.[2] ?? null : null;
}

/**
 * The tree of an environment's home as its current index (`home`) names it: an environment that moved
 * with GitOps (ADR 1030) keeps the Application and manifests directory of the copy it moved into, its
 * index at environments/<env>/revision.json; any other renders as renderEnvironmentTree does.
 * `dir` is the environment's directory either way.
 */
export function homeTree(revision: Revision, placement: GitopsPlacement, home: Pick<RevisionIndex, 'application' | 'manifestsDir'> | null, opts: Omit<TreeOptions, 'copy'> = {}): EnvironmentTree {
  const cluster = copyClusterOf(home?.manifestsDir);
  if (!home?.application || !cluster) return renderEnvironmentTree(revision, placement, opts);
  return asHome(renderEnvironmentTree(revision, placement, { ...opts, copy: { cluster, application: home.application } }), revision.environment);
}

/** A copy's tree made the environment's home: its revision.json moves to environments/<env>/revision.json (ADR 1030 move-switch). */
export function asHome(copy: EnvironmentTree, env: string): EnvironmentTree {
  const dir = environmentDir(env);
  const files: Record<string, string> = {};
  for (const [path, text] of Object.entries(copy.files)) files[path === `${copy.dir}/revision.json` ? `${dir}/revision.json` : path] = text;
  return { ...copy, dir, files };
}

/** Parses an environment's revision.json back (used to rebuild the ApplicationSet from the tree). */
export function parseRevisionIndex(text: string): RevisionIndex {
  const v = JSON.parse(text) as Partial<RevisionIndex>;
  if (!v || typeof v.environment !== 'string' || typeof v.revision !== 'string' || !v.placement?.server) {
    throw new InputError('revision.json is missing environment, revision or placement');
  }
  return v as RevisionIndex;
}
