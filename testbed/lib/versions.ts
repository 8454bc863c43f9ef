// Kubernetes version rules of the testbed, pure so they are unit-tested: an in-place upgrade goes one
// minor at a time and never down; `up` decides per cluster whether to keep, upgrade or recreate it.

export interface Semver {
  major: number;
  minor: number;
  patch: number;
}

export function parseVersion(v: string): Semver {
  const m = /^v(\d+)\.(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`invalid Kubernetes version "${v}" (expected vMAJOR.MINOR.PATCH, e.g. v1.37.2)`);
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x.major - y.major || x.minor - y.minor || x.patch - y.patch;
}

const minorOf = (v: string) => {
  const s = parseVersion(v);
  return `v${s.major}.${s.minor}`;
};

export type UpgradeStep = { kind: 'noop' } | { kind: 'upgrade' } | { kind: 'refuse'; reason: string };

/** Whether cluster `name` at `from` may be upgraded in place to `to`: one minor at a time, never down. */
export function upgradeStep(name: string, from: string, to: string): UpgradeStep {
  const cmp = compareVersions(to, from);
  if (cmp === 0) return { kind: 'noop' };
  if (cmp < 0) return { kind: 'refuse', reason: `${name} runs ${from}: refusing to downgrade to ${to}` };
  const f = parseVersion(from);
  const t = parseVersion(to);
  if (t.major !== f.major || t.minor - f.minor > 1) {
    return { kind: 'refuse', reason: `${name} runs ${from}: upgrade one minor at a time (to v${f.major}.${f.minor + 1} first), not straight to ${to}` };
  }
  return { kind: 'upgrade' };
}

export type UpPlan =
  | { action: 'keep' }
  | { action: 'upgrade'; steps: string[] }
  | { action: 'recreate'; reason: string }
  | { action: 'refuse'; reason: string };

/**
 * What `up` does with cluster `name` that runs `current` when it should run `target`, given the
 * releases this testbed builds. Older clusters are upgraded in place through built releases one minor
 * at a time; a cluster older than the oldest built minor cannot be (its own binaries are gone), so it
 * is recreated. A cluster newer than an explicitly requested version is refused (no downgrades); one
 * newer than the default is kept (it was made by a newer checkout).
 */
export function planUp(name: string, current: string, target: string, built: string[], explicit: boolean): UpPlan {
  const cmp = compareVersions(current, target);
  if (cmp === 0) return { action: 'keep' };
  if (cmp > 0) {
    return explicit ? { action: 'refuse', reason: `${name} runs ${current}, newer than the requested ${target}; refusing to downgrade (remove it first: npm run testbed -- down ${name})` } : { action: 'keep' };
  }
  const releases = [...built].sort(compareVersions);
  const oldest = releases[0];
  if (!oldest || compareVersions(minorOf(current) + '.0', minorOf(oldest) + '.0') < 0) {
    return { action: 'recreate', reason: `${name} runs ${current}, older than the oldest release this testbed builds (${oldest ?? 'none'}), so it cannot be upgraded in place` };
  }
  const steps: string[] = [];
  let at = current;
  while (compareVersions(at, target) < 0) {
    // The newest built release at most one minor ahead (and not past the target).
    const next = releases.filter((r) => compareVersions(r, at) > 0 && compareVersions(r, target) <= 0 && upgradeStep(name, at, r).kind === 'upgrade').pop();
    if (!next) return { action: 'recreate', reason: `${name} runs ${current}, and no built release is one minor above ${at} on the way to ${target}` };
    steps.push(next);
    at = next;
  }
  return { action: 'upgrade', steps };
}
