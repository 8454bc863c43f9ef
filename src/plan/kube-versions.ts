// Kubernetes versions of the fleet: which minors are supported when (the Kubernetes release
// calendar: each minor gets about 14 months of patches), which APIs each release removed (the
// upstream deprecation guide, the table kubent and pluto carry), the skew rules an upgrade must
// respect (one minor at a time, never down), and the fleet version report. Pure: `now` is passed in.
import type { KubeObject } from '../domain/types.ts';

export interface KubeVersion { major: number; minor: number; patch: number }

export function parseKubeVersion(v: string): KubeVersion | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : null;
}

export const minorOf = (v: KubeVersion): string => `${v.major}.${v.minor}`;

/** Release and end-of-life dates (kubernetes.io/releases; the newest ones as scheduled). */
export const KUBE_RELEASES: ReadonlyArray<{ minor: string; released: string; endOfLife: string }> = [
  { minor: '1.32', released: '2024-12-11', endOfLife: '2026-02-28' },
  { minor: '1.33', released: '2025-04-23', endOfLife: '2026-06-28' },
  { minor: '1.34', released: '2025-08-27', endOfLife: '2026-10-27' },
  { minor: '1.35', released: '2025-12-17', endOfLife: '2027-02-28' },
  { minor: '1.36', released: '2026-04-22', endOfLife: '2027-06-28' },
  { minor: '1.37', released: '2026-08-26', endOfLife: '2027-10-28' },
];

/** APIs removed from the API server, by the release that removed them (kubernetes.io/docs/reference/using-api/deprecation-guide). */
export const REMOVED_APIS: ReadonlyArray<{ apiVersion: string; kind: string; removedIn: string; replacement: string }> = [
  { apiVersion: 'extensions/v1beta1', kind: 'Ingress', removedIn: '1.22', replacement: 'networking.k8s.io/v1' },
  { apiVersion: 'networking.k8s.io/v1beta1', kind: 'Ingress', removedIn: '1.22', replacement: 'networking.k8s.io/v1' },
  { apiVersion: 'rbac.authorization.k8s.io/v1beta1', kind: '*', removedIn: '1.22', replacement: 'rbac.authorization.k8s.io/v1' },
  { apiVersion: 'batch/v1beta1', kind: 'CronJob', removedIn: '1.25', replacement: 'batch/v1' },
  { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', removedIn: '1.25', replacement: 'policy/v1' },
  { apiVersion: 'policy/v1beta1', kind: 'PodSecurityPolicy', removedIn: '1.25', replacement: '(none: Pod Security admission)' },
  { apiVersion: 'autoscaling/v2beta1', kind: 'HorizontalPodAutoscaler', removedIn: '1.25', replacement: 'autoscaling/v2' },
  { apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', removedIn: '1.26', replacement: 'autoscaling/v2' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1', kind: '*', removedIn: '1.26', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  { apiVersion: 'storage.k8s.io/v1beta1', kind: 'CSIStorageCapacity', removedIn: '1.27', replacement: 'storage.k8s.io/v1' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2', kind: '*', removedIn: '1.29', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
  { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: '*', removedIn: '1.32', replacement: 'flowcontrol.apiserver.k8s.io/v1' },
];

const minorNumber = (minor: string): number => Number(minor.split('.')[1]);

export interface RemovedApiUse {
  tenant: string;
  environment: string;
  object: string;
  apiVersion: string;
  removedIn: string;
  replacement: string;
}

/** Rendered objects using an API the target release no longer serves. */
export function removedApiUses(envs: ReadonlyArray<{ tenant: string; environment: string; objects: readonly KubeObject[] }>, target: string): RemovedApiUse[] {
  const t = parseKubeVersion(target);
  if (!t) return [];
  const out: RemovedApiUse[] = [];
  for (const e of envs) {
    for (const o of e.objects) {
      const hit = REMOVED_APIS.find((r) => r.apiVersion === o.apiVersion && (r.kind === '*' || r.kind === o.kind) && minorNumber(r.removedIn) <= t.minor);
      if (hit) out.push({ tenant: e.tenant, environment: e.environment, object: `${o.kind}/${o.metadata.name}`, apiVersion: o.apiVersion, removedIn: hit.removedIn, replacement: hit.replacement });
    }
  }
  return out;
}

/** The Kubernetes minors a blueprint release supports (its `product.kubernetes`): min, and max when bounded. */
export interface KubeRange { min: string; max?: string | undefined }

export const rangeText = (r: KubeRange): string => (r.max ? `${r.min} to ${r.max}` : `${r.min} or later`);

/** True when `version` (a cluster's, e.g. v1.37.2) is inside the range; an unreadable version is outside. */
export function inKubeRange(version: string, r: KubeRange): boolean {
  const v = parseKubeVersion(version);
  const min = parseKubeVersion(r.min);
  const max = r.max ? parseKubeVersion(r.max) : null;
  if (!v || !min) return false;
  const at = v.major * 1000 + v.minor;
  return at >= min.major * 1000 + min.minor && (!max || at <= max.major * 1000 + max.minor);
}

/** Why a cluster at `version` may not run a release supporting `r`, or null when it may (unknown versions pass). */
export function rangeReason(version: string | null | undefined, release: string, r: KubeRange | undefined): string | null {
  if (!r || !version || inKubeRange(version, r)) return null;
  return `Kubernetes ${version} is outside ${release}'s supported range (${rangeText(r)})`;
}

export interface RangeBlocker { cluster: string; release: string; kubernetes: KubeRange; environments: number }

/** Releases running on the given clusters that do not support `target`: upgrading those clusters would leave their range. */
export function upgradeRangeBlockers(releases: ReadonlyMap<string, readonly RunningRelease[]>, clusters: readonly string[], target: string): RangeBlocker[] {
  const out: RangeBlocker[] = [];
  for (const cluster of clusters) {
    for (const r of releases.get(cluster) ?? []) {
      if (r.kubernetes && !inKubeRange(target, r.kubernetes)) out.push({ cluster, release: r.release, kubernetes: r.kubernetes, environments: r.environments });
    }
  }
  return out;
}

/** The minors to pass through from `from` to `to`, one at a time (the skew rule), or why not. */
export function upgradePath(from: string, to: string): { path: string[] } | { error: string } {
  const f = parseKubeVersion(from);
  const t = parseKubeVersion(to);
  if (!f) return { error: `cannot read version "${from}"` };
  if (!t) return { error: `cannot read version "${to}"` };
  if (f.major !== t.major) return { error: `major version change ${from} -> ${to} is not supported` };
  if (t.minor < f.minor || (t.minor === f.minor && t.patch < f.patch)) return { error: `refusing to downgrade ${from} to ${to}` };
  if (t.minor === f.minor) return { path: t.patch === f.patch ? [] : [to] };
  const path: string[] = [];
  for (let m = f.minor + 1; m < t.minor; m++) path.push(`v${t.major}.${m}`);
  path.push(to);
  return { path };
}

export type SkewWarning = 'unknown-version' | 'expired' | 'near-end-of-life' | 'behind-newest-minor' | 'mixed-minors' | 'outside-release-range';

/** A blueprint release running on a cluster, with the Kubernetes range it declares. */
export interface RunningRelease { release: string; kubernetes?: KubeRange | undefined; environments: number }

export interface VersionReportCluster { name: string; provider: string; region: string; version: string | null; warnings: Array<{ kind: SkewWarning; message: string }> }

export interface VersionReport {
  newestSupported: string;
  byVersion: Record<string, string[]>;
  clusters: VersionReportCluster[];
}

const DAY = 86_400_000;

function rangeWarnings(version: string | null, releases: readonly RunningRelease[]): VersionReportCluster['warnings'] {
  const out: VersionReportCluster['warnings'] = [];
  for (const r of releases) {
    const why = rangeReason(version, r.release, r.kubernetes);
    if (why) out.push({ kind: 'outside-release-range', message: `${why}: ${r.environments} environment${r.environments === 1 ? '' : 's'} run it here` });
  }
  return out;
}

/**
 * The fleet by version with skew warnings: expired, within 60 days of end of life, behind the newest
 * supported minor, several minors in the fleet, and a cluster outside the Kubernetes range of a
 * blueprint release its environments run (`releases`, by cluster name).
 */
export function versionReport(
  clusters: ReadonlyArray<{ name: string; provider: string; region: string; version: string | null }>, now: Date,
  releases: ReadonlyMap<string, readonly RunningRelease[]> = new Map(),
): VersionReport {
  const supported = KUBE_RELEASES.filter((r) => Date.parse(r.released) <= now.getTime() && Date.parse(r.endOfLife) > now.getTime());
  const newest = supported[supported.length - 1]?.minor ?? KUBE_RELEASES[KUBE_RELEASES.length - 1]!.minor;
  const byVersion: Record<string, string[]> = {};
  const minors = new Set<string>();
  const out = clusters.map((c) => {
    const warnings: VersionReportCluster['warnings'] = [];
    const v = c.version ? parseKubeVersion(c.version) : null;
    (byVersion[c.version ?? 'unknown'] ??= []).push(c.name);
    if (!v) {
      warnings.push({ kind: 'unknown-version', message: 'version not read yet (no successful heartbeat)' });
      return { ...c, warnings };
    }
    minors.add(minorOf(v));
    const rel = KUBE_RELEASES.find((r) => r.minor === minorOf(v));
    if (!rel || Date.parse(rel.endOfLife) <= now.getTime()) warnings.push({ kind: 'expired', message: `v${minorOf(v)} is past end of life${rel ? ` (${rel.endOfLife})` : ''}` });
    else if (Date.parse(rel.endOfLife) - now.getTime() < 60 * DAY) warnings.push({ kind: 'near-end-of-life', message: `v${minorOf(v)} reaches end of life on ${rel.endOfLife}` });
    if (minorNumber(minorOf(v)) < minorNumber(newest)) warnings.push({ kind: 'behind-newest-minor', message: `behind the newest supported minor v${newest}` });
    warnings.push(...rangeWarnings(c.version, releases.get(c.name) ?? []));
    return { ...c, warnings };
  });
  if (minors.size > 1) for (const c of out) if (c.version) c.warnings.push({ kind: 'mixed-minors', message: `the fleet runs ${minors.size} minors (${[...minors].sort().join(', ')})` });
  return { newestSupported: newest, byVersion, clusters: out };
}
