// Bundles for self-managed customers: one rendered revision of an environment as files a customer's
// platform team installs on its own cluster, without access to Fleetplane (like a Replicated/KOTS
// air-gap bundle, minus the images themselves). Layout under `<tenant>-<env>-<revision>/`:
//   manifests/NN-<kind>-<name>.yaml   one object per file, in apply order (the GitOps layout)
//   helm/<component>.values.yaml      Helm value overrides for chart components
//   charts/<chart>-<version>.tgz      the archive of each chart Fleetplane vendors (blueprints/charts/, ADR 1710)
//   charts/<component>/NN-….yaml      that chart pre-rendered with the values file (helm template, by the
//                                     server), so install.sh needs only kubectl and a shell
//   revision.json                     what is here: revision, blueprint, file index, Secrets to provide
//   images.txt                        every container image (workloads, pre-rendered charts, other charts' pinned values), for mirroring
//   images.json                       the same with its digest: in the reference (repo:tag@sha256:…) or pinned by the blueprint release
//   charts.txt                        every Helm chart: `<repo> <chart> <version>` and, when carried, its archive
//   preflight.json                    what the cluster must offer (bundle-requirements.ts)
//   install.sh                        verify checksums, server-side apply, helm installs, wait for rollout
//   README.md                         the same in words
//   SHA256SUMS                        `sha256sum -c` format, over every other file
//   SHA256SUMS.sig                    Ed25519 signature of SHA256SUMS (added by whoever holds the key)
//   license.json, license.sig         the tenant's signed license (added with the key, src/selfmanaged/license.ts)
//   report.key                        the bundle-scoped key install reports are signed and sent with
// Secret values never enter a bundle: Secrets are listed by name in revision.json (outOfBand) and the
// README, for the customer to create (the blueprint's own secrets are ExternalSecret references).
import { parse as parseYaml } from 'yaml';
import { createHash } from 'node:crypto';
import type { KubeObject, Revision } from '../domain/types.ts';
import type { BlueprintSpec } from '../domain/blueprint.ts';
import { bundleRequirements, pinnedImages, type BundleRequirements } from './bundle-requirements.ts';
import { refOf } from '../domain/kinds.ts';
import { manifestFileNames, renderEnvironmentTree, type HelmEntry, type RevisionIndex } from './gitops/layout.ts';

export interface BundleFile {
  /** Path below the bundle's root directory. */
  path: string;
  /** Text, or bytes (chart archives). */
  content: string | Buffer;
  /** 0o755 for scripts, else 0o644. */
  mode: number;
}

export interface Bundle {
  /** The directory every file sits in: `<tenant>-<env>-<revision>`. */
  root: string;
  files: BundleFile[];
  index: RevisionIndex;
  requirements: BundleRequirements;
}

export interface BundleOptions {
  /** The blueprint release's spec: image digests and the Kubernetes range (absent: none pinned, default range). */
  release?: Pick<BlueprintSpec, 'product'> | null;
  gpuResources?: readonly string[];
  /**
   * Chart components the bundle carries: the chart's archive and its objects as `helm template`
   * renders them with the component's values file (the caller runs helm; this stays pure).
   * A chart component without an entry here is installed by install.sh with helm from its repository.
   */
  charts?: ReadonlyArray<BundledChart>;
}

export interface BundledChart {
  component: string;
  archive: { file: string; bytes: Buffer };
  objects: KubeObject[];
}

const ROLLOUT_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

export function buildBundle(revision: Revision, namespace: string, opts: BundleOptions = {}): Bundle {
  // The cluster is the customer's: in-cluster server, no Fleetplane cluster name.
  const tree = renderEnvironmentTree(revision, { cluster: 'self-managed', server: 'https://kubernetes.default.svc', namespace });
  const prefix = `${tree.dir}/`;
  const charted = new Map((opts.charts ?? []).map((c) => [c.component, c]));
  const chartFiles: BundleFile[] = [];
  const helm = relativeIndex(tree.index, prefix).helm.map((h): HelmEntry => {
    const c = charted.get(h.component);
    if (!c) return h;
    chartFiles.push({ path: `charts/${c.archive.file}`, content: c.archive.bytes, mode: 0o644 });
    const names = manifestFileNames(c.objects);
    const rendered = c.objects.map((o, i) => {
      // JSON (a subset of YAML): kubectl's YAML 1.1 reading would take a bare `no`/`on` (redis-server's
      // `--appendonly no`) for a boolean, and canonicalYaml writes YAML 1.2, which leaves them bare.
      const content = `${JSON.stringify(o, null, 2)}\n`;
      chartFiles.push({ path: `charts/${h.component}/${names[i]!}`, content, mode: 0o644 });
      return { ...refOf(o), file: `charts/${h.component}/${names[i]!}`, hash: sha256(content) };
    });
    return { ...h, archive: `charts/${c.archive.file}`, rendered };
  });
  const index: RevisionIndex = { ...relativeIndex(tree.index, prefix), helm };
  const chartObjects = (opts.charts ?? []).filter((c) => helm.some((h) => h.component === c.component)).flatMap((c) => c.objects);
  const inBundle = revision.objects.map((r) => r.object).filter((o) => !tree.outOfBandObjects.includes(o));
  const requirements = bundleRequirements([...inBundle, ...chartObjects], opts.release ?? null, opts.gpuResources);
  // Charts the bundle pre-renders show their images in their objects; the others only in their values.
  const images = [...new Set([...imagesOf([...inBundle, ...chartObjects]), ...chartImagesOf(revision.helmValues.filter((v) => !charted.has(v.component)))])].sort();
  const files: BundleFile[] = Object.entries(tree.files)
    .filter(([path]) => path !== `${prefix}revision.json`)
    .map(([path, content]): BundleFile => ({ path: path.slice(prefix.length), content, mode: 0o644 }));
  files.push(...chartFiles);
  files.push(
    { path: 'revision.json', content: `${JSON.stringify(index, null, 2)}\n`, mode: 0o644 },
    { path: 'images.txt', content: lines(images), mode: 0o644 },
    { path: 'images.json', content: `${JSON.stringify(pinnedImages(images, opts.release ?? null), null, 2)}\n`, mode: 0o644 },
    { path: 'charts.txt', content: lines(index.helm.filter((h) => h.repo || h.archive).map((h) => `${h.repo ?? '-'} ${h.chart} ${h.chartVersion}${h.archive ? ` ${h.archive}` : ''}`).sort()), mode: 0o644 },
    { path: 'preflight.json', content: `${JSON.stringify(requirements, null, 2)}\n`, mode: 0o644 },
    { path: 'install.sh', content: installScript(index, [...inBundle, ...chartObjects]), mode: 0o755 },
    { path: 'README.md', content: readme(index), mode: 0o644 },
  );
  files.sort((a, b) => a.path.localeCompare(b.path));
  files.push({ path: 'SHA256SUMS', content: lines(files.map((f) => `${sha256(f.content)}  ${f.path}`)), mode: 0o644 });
  return { root: `${revision.tenant}-${revision.environment}-${revision.id}`, files, index, requirements };
}

const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

/** The index with paths relative to the bundle root (the GitOps tree's are repo-relative). */
function relativeIndex(index: RevisionIndex, prefix: string): RevisionIndex {
  const rel = (p: string) => (p.startsWith(prefix) ? p.slice(prefix.length) : p);
  return { ...index, manifests: index.manifests.map((m) => ({ ...m, file: rel(m.file) })), helm: index.helm.map((h) => ({ ...h, file: rel(h.file) })) };
}

/** Every container image of the workloads (pods, pod templates, CronJob job templates), sorted, once. */
export function imagesOf(objects: KubeObject[]): string[] {
  const images = new Set<string>();
  const fromPodSpec = (spec: unknown) => {
    const s = spec as { containers?: Array<{ image?: unknown }>; initContainers?: Array<{ image?: unknown }> } | undefined;
    for (const c of [...(s?.initContainers ?? []), ...(s?.containers ?? [])]) if (typeof c.image === 'string') images.add(c.image);
  };
  for (const o of objects) {
    const spec = o.spec as { template?: { spec?: unknown }; jobTemplate?: { spec?: { template?: { spec?: unknown } } } } | undefined;
    if (o.kind === 'Pod') fromPodSpec(o.spec);
    fromPodSpec(spec?.template?.spec);
    fromPodSpec(spec?.jobTemplate?.spec?.template?.spec);
  }
  return [...images].sort();
}

/**
 * Images a chart's values pin, by Helm's common convention: any map with `repository` and `tag`
 * (plus `registry`, Bitnami-style). Images a chart takes from its own defaults are not visible here,
 * so a blueprint that ships to air-gapped customers pins them in the values.
 */
export function chartImagesOf(helmValues: ReadonlyArray<{ yaml: string }>): string[] {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (!v || typeof v !== 'object') return;
    const m = v as Record<string, unknown>;
    if (typeof m.repository === 'string' && (typeof m.tag === 'string' || typeof m.tag === 'number')) {
      out.add(`${typeof m.registry === 'string' && m.registry ? `${m.registry}/` : ''}${m.repository}:${String(m.tag)}`);
    }
    Object.values(m).forEach(walk);
  };
  for (const h of helmValues) walk(parseYaml(h.yaml));
  return [...out].sort();
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

function installScript(index: RevisionIndex, objects: KubeObject[]): string {
  const ns = index.placement.namespace;
  const rollouts = objects.filter((o) => ROLLOUT_KINDS.has(o.kind)).map((o) => ({ ref: `${o.kind.toLowerCase()}/${o.metadata.name}`, ns: o.metadata.namespace ?? ns }));
  // Pre-rendered charts apply like the manifests (kubectl only); the others need helm and their repository.
  const helm = index.helm.filter((h) => h.rendered || h.repo).map((h) => (h.rendered
    ? `"$KUBECTL" apply --server-side --field-manager=fleetplane -f ${q(`charts/${h.component}/`)}   # ${h.chart} ${h.chartVersion}, rendered from ${h.archive} with ${h.file}`
    : `"$HELM" upgrade --install ${q(h.releaseName ?? h.component)} ${q(h.chart)} --repo ${q(h.repo!)} --version ${q(h.chartVersion)} --namespace ${q(h.namespace ?? ns)} -f ${q(h.file)}`));
  return lines([
    '#!/bin/sh',
    `# Installs ${index.tenant}/${index.environment}: revision ${index.revision} of ${index.blueprint}@${index.version}, namespace ${ns}.`,
    `# KUBECTL${index.helm.some((h) => !h.rendered && h.repo) ? ' and HELM name the binaries (default kubectl, helm)' : ' names the binary (default kubectl; no helm needed: charts come pre-rendered)'}; TIMEOUT bounds each rollout wait (default 300s).`,
    'set -eu',
    'cd "$(dirname "$0")"',
    'KUBECTL="${KUBECTL:-kubectl}"',
    ...(index.helm.some((h) => !h.rendered && h.repo) ? ['HELM="${HELM:-helm}"'] : []),
    'TIMEOUT="${TIMEOUT:-300s}"',
    '# FLEETPLANE_BUNDLE_KEY: the PEM from GET /v1/bundles/signing-key. Fails closed: no key, no signature,',
    '# a wrong signature or a file that does not match SHA256SUMS stops here, before anything is applied.',
    '[ -n "${FLEETPLANE_BUNDLE_KEY:-}" ] || { echo "install.sh: set FLEETPLANE_BUNDLE_KEY to your vendor\'s bundle signing key (PEM); not installing" >&2; exit 1; }',
    '[ -f SHA256SUMS.sig ] || { echo "install.sh: SHA256SUMS.sig is missing: the bundle is not signed; not installing" >&2; exit 1; }',
    'openssl pkeyutl -verify -pubin -inkey "$FLEETPLANE_BUNDLE_KEY" -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig >/dev/null 2>&1 ||',
    '  { echo "install.sh: SHA256SUMS.sig is not a signature by FLEETPLANE_BUNDLE_KEY; not installing" >&2; exit 1; }',
    'sha256sum -c --quiet SHA256SUMS || { echo "install.sh: the bundle does not match SHA256SUMS; not installing" >&2; exit 1; }',
    ...index.outOfBand.map((s) => `"$KUBECTL" get secret ${q(s.name)} --namespace ${q(s.namespace ?? ns)} >/dev/null || { echo "install.sh: create Secret ${s.name} first (see README.md)" >&2; exit 1; }`),
    '# Files apply in name order: the namespace and cluster-wide objects first, workloads last.',
    '"$KUBECTL" apply --server-side --field-manager=fleetplane -f manifests/',
    ...helm,
    ...rollouts.map((r) => `"$KUBECTL" rollout status ${q(r.ref)} --namespace ${q(r.ns)} --timeout "$TIMEOUT"`),
    `echo "installed ${index.tenant}/${index.environment} revision ${index.revision}"`,
  ]);
}

function readme(index: RevisionIndex): string {
  const secrets = index.outOfBand.length === 0
    ? ['None: the blueprint references its secrets through ExternalSecret objects; configure the SecretStore they name.']
    : index.outOfBand.map((s) => `- Secret \`${s.name}\` in namespace \`${s.namespace ?? index.placement.namespace}\``);
  return lines([
    `# ${index.tenant} / ${index.environment}`,
    '',
    `Revision \`${index.revision}\` of blueprint \`${index.blueprint}@${index.version}\`, for namespace \`${index.placement.namespace}\`.`,
    '',
    '## Install',
    '',
    '```sh',
    'FLEETPLANE_BUNDLE_KEY=fleetplane-bundles.pem ./install.sh   # checks the signature and SHA256SUMS, applies manifests/ and charts/ server-side, waits for rollouts',
    '```',
    '',
    '`SHA256SUMS.sig` is an Ed25519 signature of `SHA256SUMS` by your vendor\'s Fleetplane; get its public key',
    '(`GET /v1/bundles/signing-key`) once, through a channel you trust. By hand:',
    '`openssl pkeyutl -verify -pubin -inkey fleetplane-bundles.pem -rawin -in SHA256SUMS -sigfile SHA256SUMS.sig`.',
    '',
    'Or by hand: `sha256sum -c SHA256SUMS`, then `kubectl apply --server-side --field-manager=fleetplane -f manifests/`',
    '(files are numbered in apply order), then the same for each `charts/<component>/` (the chart pre-rendered with',
    'its values file in `helm/`; the chart archive itself is `charts/<chart>-<version>.tgz`, for `helm template` to check it),',
    'or `helm upgrade --install` for a chart listed in revision.json without `rendered`.',
    '',
    '## Images',
    '',
    '`images.txt` lists every image and `images.json` its digest (`repo:tag@sha256:…` to mirror); `charts.txt` every',
    'Helm chart (repository, name, version, and the archive when the bundle carries it). Mirror the images into your',
    'registries before installing in an air-gapped cluster.',
    '',
    '## Secrets to provide',
    '',
    ...secrets,
  ]);
}

const lines = (l: string[]) => (l.length === 0 ? '' : `${l.join('\n')}\n`);
