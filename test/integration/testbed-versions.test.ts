// The testbed's Kubernetes version rules (pure): one minor at a time, never down, and what `up` does
// with a cluster it finds at another version (keep, upgrade in place, recreate, refuse).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareVersions, parseVersion, planUp, upgradeStep } from '../../testbed/lib/versions.ts';
import { DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS } from '../../testbed/index.ts';

const BUILT = ['v1.37.2', 'v1.36.3'];

test('versions parse and compare numerically, and bad input is a one-line error', () => {
  assert.deepEqual(parseVersion('v1.37.2'), { major: 1, minor: 37, patch: 2 });
  assert.ok(compareVersions('v1.9.0', 'v1.10.0') < 0, 'minor 9 < 10, not a string compare');
  assert.ok(compareVersions('v1.36.10', 'v1.36.3') > 0);
  assert.equal(compareVersions('v1.36.3', 'v1.36.3'), 0);
  for (const bad of ['1.37.2', 'v1.37', 'latest', 'v1.37.2-rc.0', '']) assert.throws(() => parseVersion(bad), /invalid Kubernetes version/);
});

test('an in-place upgrade goes one minor (or patches) up, refuses downgrades and skipped minors', () => {
  assert.deepEqual(upgradeStep('fp-4', 'v1.36.3', 'v1.37.2'), { kind: 'upgrade' });
  assert.deepEqual(upgradeStep('fp-4', 'v1.37.1', 'v1.37.2'), { kind: 'upgrade' });
  assert.deepEqual(upgradeStep('fp-4', 'v1.37.2', 'v1.37.2'), { kind: 'noop' });
  const down = upgradeStep('fp-4', 'v1.37.2', 'v1.36.3');
  assert.equal(down.kind, 'refuse');
  assert.match(down.kind === 'refuse' ? down.reason : '', /^fp-4 runs v1\.37\.2: refusing to downgrade to v1\.36\.3$/);
  const skip = upgradeStep('fp-4', 'v1.35.4', 'v1.37.2');
  assert.equal(skip.kind, 'refuse');
  assert.match(skip.kind === 'refuse' ? skip.reason : '', /one minor at a time \(to v1\.36 first\)/);
  assert.equal(upgradeStep('fp-4', 'v1.37.2', 'v2.0.0').kind, 'refuse', 'a major bump is not one minor');
});

test('up keeps a cluster at the target, upgrades the previous minor in place, recreates older ones', () => {
  assert.deepEqual(planUp('fp-1', 'v1.37.2', 'v1.37.2', BUILT, false), { action: 'keep' });
  assert.deepEqual(planUp('fp-1', 'v1.36.3', 'v1.37.2', BUILT, false), { action: 'upgrade', steps: ['v1.37.2'] });
  // A patch of the previous minor this testbed never built still upgrades: the step is one minor.
  assert.deepEqual(planUp('fp-1', 'v1.36.1', 'v1.37.2', BUILT, false), { action: 'upgrade', steps: ['v1.37.2'] });
  // The shared clusters of the previous testbed (v1.32.6): too old to upgrade in place.
  const old = planUp('fp-1', 'v1.32.6', 'v1.37.2', BUILT, false);
  assert.equal(old.action, 'recreate');
  assert.match(old.action === 'recreate' ? old.reason : '', /fp-1 runs v1\.32\.6, older than the oldest release this testbed builds \(v1\.36\.3\)/);
  assert.equal(planUp('fp-1', 'v1.35.4', 'v1.37.2', BUILT, false).action, 'recreate', 'older than the previous minor');
  // Three built minors: a cluster two behind goes through each one in turn.
  assert.deepEqual(planUp('fp-1', 'v1.35.4', 'v1.37.2', ['v1.37.2', 'v1.36.3', 'v1.35.4'], false), { action: 'upgrade', steps: ['v1.36.3', 'v1.37.2'] });
});

test('up never downgrades: a newer cluster is refused for an explicit version and kept otherwise', () => {
  const refused = planUp('fp-4', 'v1.37.2', 'v1.36.3', BUILT, true);
  assert.equal(refused.action, 'refuse');
  assert.match(refused.action === 'refuse' ? refused.reason : '', /fp-4 runs v1\.37\.2, newer than the requested v1\.36\.3; refusing to downgrade/);
  assert.deepEqual(planUp('fp-4', 'v1.38.0', 'v1.37.2', BUILT, false), { action: 'keep' });
});

test('the pinned default is the newest built release, and the previous minor is built too', () => {
  assert.equal(DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS[0]);
  const [newest, previous] = KUBERNETES_VERSIONS.map(parseVersion);
  assert.ok(newest && previous);
  assert.equal(newest.minor - previous.minor, 1);
});
