import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster } from '../domain/types.ts';
import { NO_RESOURCES, parsePlacementPolicies, planPlacement, policySettingText, resolvePolicy, type ClusterLoad, type PlacementPolicies, type PlacementRequest } from './placement.ts';

const GiB = 2 ** 30;
function load(name: string, environments: number, o: Partial<Cluster>): ClusterLoad {
  return {
    cluster: { name, provider: 'aws', region: 'us-east-1', labels: {}, role: 'shared', apiServer: 'https://x', createdAt: '', updatedAt: '', capacity: { cpuMillis: 16_000, memoryBytes: 64 * GiB, gpus: 0, nodes: 2 }, ...o },
    environments, reserved: { ...NO_RESOURCES, cpuMillis: environments * 1000, memoryBytes: environments * GiB },
  };
}

// Three clusters where each policy picks a different one: spread the emptiest (empty), binpack the
// fullest (full), cost the cheapest (cheap, half full).
const fleet = () => [
  load('empty', 0, { pricePerCpuHour: 0.1 }),
  load('full', 12, { pricePerCpuHour: 0.1 }),
  load('cheap', 6, { pricePerCpuHour: 0.01 }),
];
const req = (o: Partial<PlacementRequest>): PlacementRequest => ({ tenant: 'acme', tier: 'shared', demand: { cpuMillis: 1000, memoryBytes: GiB }, ...o });
const setting: PlacementPolicies = { default: 'spread', byType: { staging: 'binpack', dev: 'cost' }, byTier: { hybrid: 'cost' } };

test('per-tier policy: each environment type is placed under its own policy, shown in the decision', () => {
  const prod = planPlacement(req({ type: 'prod' }), fleet(), setting);
  const staging = planPlacement(req({ type: 'staging' }), fleet(), setting);
  const dev = planPlacement(req({ type: 'dev' }), fleet(), setting);
  assert.deepEqual([prod.cluster, prod.policy, prod.policyFrom], ['empty', 'spread', 'default']);
  assert.deepEqual([staging.cluster, staging.policy, staging.policyFrom], ['full', 'binpack', 'environment type staging']);
  assert.deepEqual([dev.cluster, dev.policy, dev.policyFrom], ['cheap', 'cost', 'environment type dev']);
  assert.match(staging.explanation, /fullest that fits .*\(policy binpack for environment type staging\)$/);
  assert.match(prod.explanation, /\(policy spread\)$/);
});

test('per-tier policy: the environment type wins over the tenant tier, the tier over the default', () => {
  assert.deepEqual(resolvePolicy(setting, { tier: 'hybrid', type: 'staging' }), { policy: 'binpack', from: 'environment type staging' });
  assert.deepEqual(resolvePolicy(setting, { tier: 'hybrid', type: 'prod' }), { policy: 'cost', from: 'tier hybrid' });
  assert.deepEqual(resolvePolicy(setting, { tier: 'shared' }), { policy: 'spread', from: 'default' });
  assert.deepEqual(resolvePolicy('binpack', { tier: 'hybrid', type: 'dev' }), { policy: 'binpack', from: 'default' });
  const hybrid = planPlacement(req({ tier: 'hybrid', type: 'prod' }), fleet(), setting);
  assert.deepEqual([hybrid.cluster, hybrid.policyFrom], ['cheap', 'tier hybrid']);
});

test('per-tier policy: a dedicated tenant without its own cluster falls back to shared ones under its own tier\'s policy', () => {
  const plan = planPlacement(req({ tier: 'dedicated' }), fleet(), { default: 'spread', byTier: { dedicated: 'binpack' } });
  assert.deepEqual([plan.cluster, plan.policy, plan.policyFrom], ['full', 'binpack', 'tier dedicated']);
  assert.match(plan.explanation, /^no cluster dedicated to acme; /);
});

test('parsePlacementPolicies: a single value stays a single value; key=policy lists per type and tier', () => {
  assert.deepEqual(parsePlacementPolicies('cost', 'spread'), { setting: 'cost' });
  assert.deepEqual(parsePlacementPolicies(' BinPack ', 'spread'), { setting: 'binpack' });
  assert.deepEqual(parsePlacementPolicies('prod=spread,staging=binpack,dev=cost', 'spread'), { setting: { default: 'spread', byType: { prod: 'spread', staging: 'binpack', dev: 'cost' } } });
  assert.deepEqual(parsePlacementPolicies('dedicated=binpack, default=cost', 'spread'), { setting: { default: 'cost', byTier: { dedicated: 'binpack' } } });
  assert.equal(policySettingText({ default: 'cost', byType: { dev: 'binpack' }, byTier: { shared: 'spread' } }), 'dev=binpack, shared=spread, default cost');
});

test('parsePlacementPolicies: bad values name the bad part', () => {
  const err = (t: string) => {
    const r = parsePlacementPolicies(t, 'spread');
    assert.ok('error' in r, `${t} is refused`);
    return r.error;
  };
  assert.match(err('cheapest'), /"cheapest" is not one of spread, binpack, cost/);
  assert.match(err('prod=cheapest'), /"prod=cheapest": cheapest is not one of/);
  assert.match(err('qa=cost'), /"qa" is neither an environment type \(prod, staging, dev\) nor a tier \(shared, dedicated, hybrid\)/);
  assert.match(err('prod=cost,prod=spread'), /"prod" is named twice/);
  assert.match(err('prod:cost,dev=cost'), /"prod:cost" is not key=policy/);
  assert.match(err(','), /empty/);
});
