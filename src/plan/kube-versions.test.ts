import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KUBE_RELEASES, inKubeRange, rangeReason, removedApiUses, upgradePath, upgradeRangeBlockers, versionReport, type RunningRelease } from './kube-versions.ts';
import { planClusterUpgrade, upgradeAction } from './cluster-upgrade.ts';

test('upgrade path: one minor at a time, never down', () => {
  assert.deepEqual(upgradePath('v1.36.3', 'v1.37.2'), { path: ['v1.37.2'] });
  assert.deepEqual(upgradePath('v1.35.4', 'v1.37.2'), { path: ['v1.36', 'v1.37.2'] });
  assert.deepEqual(upgradePath('v1.37.2', 'v1.37.2'), { path: [] });
  assert.deepEqual(upgradePath('v1.37.2', 'v1.36.3'), { error: 'refusing to downgrade v1.37.2 to v1.36.3' });
  assert.ok('error' in upgradePath('latest', 'v1.37.2'));
});

test('removed APIs: flagged when the target minor is at or past the removal', () => {
  const envs = [{ tenant: 'a', environment: 'prod', objects: [
    { apiVersion: 'policy/v1beta1', kind: 'PodDisruptionBudget', metadata: { name: 'web' } },
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'ok' } },
    { apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3', kind: 'FlowSchema', metadata: { name: 'fs' } },
  ] }];
  assert.deepEqual(removedApiUses(envs, 'v1.24.0').map((u) => u.object), []);
  assert.deepEqual(removedApiUses(envs, 'v1.31.0').map((u) => u.object), ['PodDisruptionBudget/web']);
  assert.deepEqual(removedApiUses(envs, 'v1.37.2').map((u) => u.object), ['PodDisruptionBudget/web', 'FlowSchema/fs']);
});

test('version report on 2026-12-02: 1.34 expired, 1.36 behind the newest (1.37), mixed minors', () => {
  assert.equal(KUBE_RELEASES[KUBE_RELEASES.length - 1]!.minor, '1.37');
  const r = versionReport([
    { name: 'a', provider: 'aws', region: 'x', version: 'v1.37.2' },
    { name: 'b', provider: 'gcp', region: 'x', version: 'v1.36.3' },
    { name: 'c', provider: 'azure', region: 'x', version: 'v1.34.1' },
    { name: 'd', provider: 'onprem', region: 'x', version: null },
  ], new Date('2026-12-02T00:00:00Z'));
  assert.equal(r.newestSupported, '1.37');
  const kinds = Object.fromEntries(r.clusters.map((c) => [c.name, c.warnings.map((w) => w.kind)]));
  assert.deepEqual(kinds, {
    a: ['mixed-minors'], b: ['behind-newest-minor', 'mixed-minors'], c: ['expired', 'behind-newest-minor', 'mixed-minors'], d: ['unknown-version'],
  });
  assert.deepEqual(r.byVersion, { 'v1.37.2': ['a'], 'v1.36.3': ['b'], 'v1.34.1': ['c'], unknown: ['d'] });
});

test('upgrade plan: canary alone, then waves interleaved across clouds; skips current clusters; refuses a downgrade', () => {
  const clusters = [
    { name: 'aws-1', provider: 'aws', version: 'v1.36.3' }, { name: 'aws-2', provider: 'aws', version: 'v1.36.3' },
    { name: 'gcp-1', provider: 'gcp', version: 'v1.36.3' }, { name: 'azure-1', provider: 'azure', version: 'v1.36.3' },
    { name: 'done', provider: 'aws', version: 'v1.37.2' },
  ];
  const r = planClusterUpgrade(clusters, { target: 'v1.37.2', canary: 'gcp-1', waveSize: 2 });
  assert.ok('plan' in r);
  assert.deepEqual(r.plan.waves.map((w) => w.map((s) => s.cluster)), [['gcp-1'], ['aws-1', 'azure-1'], ['aws-2']]);
  assert.deepEqual(r.plan.skipped, [{ cluster: 'done', reason: 'already at v1.37.2' }]);
  assert.deepEqual(planClusterUpgrade(clusters, { target: 'v1.36.0' }), { error: 'aws-1: refusing to downgrade v1.36.3 to v1.36.0' });
  assert.ok('error' in planClusterUpgrade(clusters, { target: 'v1.37.2', canary: 'done' }));
  assert.equal(upgradeAction('running', 'pause'), 'paused');
  assert.equal(upgradeAction('paused', 'resume'), 'running');
  assert.equal(upgradeAction('succeeded', 'abort'), null);
});

test('release ranges: inside/outside by minor; the report warns a cluster outside a running release; the upgrade pre-flight lists releases that do not support the target', () => {
  assert.equal(inKubeRange('v1.36.3', { min: '1.36', max: '1.37' }), true);
  assert.equal(inKubeRange('v1.37.2', { min: '1.36', max: '1.36' }), false);
  assert.equal(inKubeRange('v1.35.9', { min: '1.36' }), false);
  assert.equal(inKubeRange('v1.40.0', { min: '1.36' }), true);
  assert.equal(inKubeRange('latest', { min: '1.36' }), false);
  assert.equal(rangeReason(null, 'default@1.5.0', { min: '1.36' }), null, 'an unknown version passes');
  assert.equal(rangeReason('v1.37.2', 'default@1.5.0', undefined), null, 'a release without a range passes');
  assert.equal(rangeReason('v1.37.2', 'default@1.5.0', { min: '1.35', max: '1.36' }), "Kubernetes v1.37.2 is outside default@1.5.0's supported range (1.35 to 1.36)");
  const releases = new Map<string, RunningRelease[]>([
    ['a', [{ release: 'default@1.4.0', kubernetes: { min: '1.35', max: '1.36' }, environments: 3 }, { release: 'default@1.5.0', kubernetes: { min: '1.36' }, environments: 1 }]],
    ['b', [{ release: 'default@1.4.0', kubernetes: { min: '1.35', max: '1.36' }, environments: 1 }, { release: 'plain@1.0.0', environments: 2 }]],
  ]);
  const r = versionReport([
    { name: 'a', provider: 'aws', region: 'x', version: 'v1.37.2' },
    { name: 'b', provider: 'gcp', region: 'x', version: 'v1.37.1' },
  ], new Date('2026-12-02T00:00:00Z'), releases);
  const outside = r.clusters.map((c) => c.warnings.filter((w) => w.kind === 'outside-release-range').map((w) => w.message));
  assert.deepEqual(outside, [
    ["Kubernetes v1.37.2 is outside default@1.4.0's supported range (1.35 to 1.36): 3 environments run it here"],
    ["Kubernetes v1.37.1 is outside default@1.4.0's supported range (1.35 to 1.36): 1 environment run it here"],
  ]);
  assert.deepEqual(upgradeRangeBlockers(releases, ['a'], 'v1.37.2').map((b) => `${b.cluster} ${b.release}`), ['a default@1.4.0']);
  assert.deepEqual(upgradeRangeBlockers(releases, ['a', 'b'], 'v1.36.3'), []);
});
