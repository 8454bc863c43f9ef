import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Environment, Health } from '../domain/types.ts';
import { summarizeFleetHealth } from './fleet-health.ts';

const NOW = new Date('2026-11-22T12:00:00Z');

function env(tenant: string, name: string, cluster: string, health: Health, opts: { since?: string; version?: string } = {}): Environment {
  const { since, version = '1.5.0' } = opts;
  return {
    tenant, name, type: 'prod', blueprint: 'default', version, values: {}, placement: { cluster, namespace: `${tenant}-${name}` },
    delivery: 'direct', selfHeal: true, health, resourceVersion: 1, createdAt: '2026-11-01T00:00:00Z', updatedAt: '2026-11-22T11:00:00Z',
    conditions: since ? [{ type: 'Degraded', status: 'True', reason: 'PodsNotReady', message: `${name} pods crash`, lastTransitionTime: since }] : [],
  };
}

test('counts, worst offenders longest first (ties by name), per-cluster errors next to results', () => {
  const h = summarizeFleetHealth({
    scope: { kind: 'fleet' },
    environments: [
      env('a', 'prod', 'c1', 'Ready'),
      env('a', 'dev', 'c1', 'Degraded', { since: '2026-11-22T11:00:00Z', version: '1.4.0' }),
      env('b', 'prod', 'c2', 'Failed', { since: '2026-11-22T06:00:00Z' }),
      env('c', 'prod', 'c2', 'Degraded'), // no condition: falls back to updatedAt (11:00)
    ],
    clusters: ['c1', 'c2', 'c3'],
    probes: [{ cluster: 'c1', ok: true }, { cluster: 'c2', ok: false, error: 'timeout' }],
    now: NOW,
    limit: 10,
  });
  assert.equal(h.environments, 4);
  assert.deepEqual(h.byHealth, { Ready: 1, Degraded: 2, Failed: 1 });
  assert.deepEqual(h.byVersion.map((v) => [v.version, v.environments]), [['1.4.0', 1], ['1.5.0', 3]]);
  assert.deepEqual(h.byCluster.map((c) => [c.cluster, c.environments, c.reachable]), [['c1', 2, true], ['c2', 2, false], ['c3', 0, null]]);
  assert.deepEqual(h.errors, [{ cluster: 'c2', message: 'timeout' }]);
  assert.deepEqual(h.worstOffenders.map((o) => [`${o.tenant}/${o.environment}`, o.unhealthySeconds, o.reason]), [
    ['b/prod', 6 * 3600, 'PodsNotReady'],
    ['a/dev', 3600, 'PodsNotReady'],
    ['c/prod', 3600, 'Unknown'],
  ]);
  assert.equal(h.generatedAt, NOW.toISOString());
});

test('limit caps the offenders; an empty fleet is all zeros, not an error', () => {
  const envs = [env('a', 'x', 'c1', 'Failed', { since: '2026-11-22T10:00:00Z' }), env('a', 'y', 'c1', 'Failed', { since: '2026-11-22T09:00:00Z' })];
  assert.deepEqual(summarizeFleetHealth({ scope: { kind: 'fleet' }, environments: envs, clusters: [], probes: [], now: NOW, limit: 1 })
    .worstOffenders.map((o) => o.environment), ['y']);
  const empty = summarizeFleetHealth({ scope: { kind: 'tenant', tenant: 'a' }, environments: [], clusters: [], probes: [], now: NOW, limit: 5 });
  assert.deepEqual([empty.environments, empty.byHealth, empty.byCluster, empty.worstOffenders, empty.errors], [0, {}, [], [], []]);
});

test('probes of clusters outside the scope are ignored (a tenant never sees other clusters)', () => {
  const h = summarizeFleetHealth({
    scope: { kind: 'tenant', tenant: 'a' }, environments: [env('a', 'prod', 'c1', 'Ready')], clusters: ['c1'],
    probes: [{ cluster: 'c9', ok: false, error: 'x' }], now: NOW, limit: 5,
  });
  assert.deepEqual(h.byCluster.map((c) => c.cluster), ['c1']);
  assert.deepEqual(h.errors, []);
});
