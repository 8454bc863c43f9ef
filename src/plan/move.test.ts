import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Cluster, ClusterHealth, KubeObject, Revision } from '../domain/types.ts';
import { SINGLETON_ANNOTATION } from '../domain/types.ts';
import { NO_RESOURCES, type ClusterLoad, type PlacementRequest } from './placement.ts';
import {
  budgetRefs, budgetStatus, budgetSummary, checkMoveTarget, evacuationOutcome, failoverDecisions, movesToStart, parseFailoverPolicy, planEvacuation, rtoSeconds, singletonRefs, withSingletonsHeld, type EvacueeInput,
} from './move.ts';

const GiB = 2 ** 30;
const cluster = (name: string, o: Partial<Cluster> = {}): Cluster => ({ name, provider: 'aws', region: 'eu-west-1', labels: {}, role: 'shared', apiServer: 'https://x', createdAt: '', updatedAt: '', ...o });
const load = (c: Cluster, environments = 0): ClusterLoad => ({ cluster: c, environments, reserved: { ...NO_RESOURCES } });
const req = (o: Partial<PlacementRequest> = {}): PlacementRequest => ({ tenant: 'acme', tier: 'shared', ...o });
const down = (since: string): ClusterHealth => ({ state: 'Unavailable', reason: 'Unreachable', message: 'unreachable', since, failingSince: '2026-12-02T09:58:30.000Z', consecutiveFailures: 4, lastProbeAt: since });

const deployment = (name: string, singleton: boolean): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name, namespace: 'acme-prod', ...(singleton ? { annotations: { [SINGLETON_ANNOTATION]: 'true' } } : {}) },
  spec: { replicas: 2, selector: { matchLabels: { c: name } } },
});

test('singletons: found by their annotation and held at zero; the rest and the revision id unchanged', () => {
  const rev: Revision = {
    id: 'r1', tenant: 'acme', environment: 'prod', blueprint: 'b', version: '1.0.0', helmValues: [],
    objects: [deployment('web', false), deployment('scheduler', true), { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', annotations: { [SINGLETON_ANNOTATION]: 'true' } } }]
      .map((object) => ({ object, hash: object.metadata.name })),
  };
  assert.deepEqual(singletonRefs(rev), [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'acme-prod', name: 'scheduler' }], 'only workloads count');
  const held = withSingletonsHeld(rev);
  assert.equal(held.id, 'r1');
  const replicas = held.objects.map((o) => (o.object.spec as { replicas?: number } | undefined)?.replicas);
  assert.deepEqual(replicas, [2, 0, undefined]);
  assert.equal((rev.objects[1]!.object.spec as { replicas: number }).replicas, 2, 'the input is not changed');
});

test('an explicit target: cordon, availability and residency refuse; capacity only warns', () => {
  const small = cluster('small', { capacity: { cpuMillis: 1000, memoryBytes: GiB, gpus: 0, nodes: 1 } });
  const ok = checkMoveTarget(req({ demand: { cpuMillis: 4000 }, avoid: ['src'] }), load(small), 'spread');
  assert.deepEqual(ok, { ok: true, warnings: ['not enough CPU capacity (4 of 1 cores reserved with this environment)'] });
  assert.deepEqual(checkMoveTarget(req(), load(cluster('c', { cordon: { reason: 'maintenance', at: 'x' } })), 'spread'), { ok: false, check: 'cordon', reason: 'cordoned: maintenance' });
  const us = checkMoveTarget(req({ residency: 'eu' }), load(cluster('us', { region: 'us-east-1' })), 'spread');
  assert.equal(us.ok, false);
  assert.equal(!us.ok && us.check, 'residency');
  const gone = checkMoveTarget(req(), load(cluster('gone', { health: down('2026-12-02T10:00:00.000Z') })), 'spread');
  assert.equal(!gone.ok && gone.check, 'available');
  assert.equal(!checkMoveTarget(req(), load(cluster('other', { role: 'dedicated:beta' })), 'spread').ok, true, 'isolation');
});

test('evacuation plan: never onto an evacuated cluster, spread across the rest as the moves add up, residency kept, unplaceable named', () => {
  const loads = [load(cluster('a'), 6), load(cluster('b'), 0), load(cluster('c'), 1), load(cluster('us', { region: 'us-east-1' }), 0)];
  const evacuees: EvacueeInput[] = Array.from({ length: 6 }, (_, i) => ({
    tenant: `t${i}`, environment: 'prod', from: 'a', demand: { ...NO_RESOURCES },
    request: req({ tenant: `t${i}`, residency: 'eu' }),
  }));
  const plan = planEvacuation(evacuees, loads, ['a'], 'spread');
  assert.equal(plan.length, 6);
  assert.ok(plan.every((m) => m.to !== 'a' && m.to !== 'us'), JSON.stringify(plan.map((m) => m.to)));
  const counts = { b: plan.filter((m) => m.to === 'b').length, c: plan.filter((m) => m.to === 'c').length };
  // b starts at 0, c at 1: the moves even them out (b ends with 4, c with 3; a tie goes by name).
  assert.deepEqual(counts, { b: 4, c: 2 }, 'each move counts in the next one\'s loads');
  for (const m of plan) assert.match(m.explanation, /fewest environments/);
  // Everything else full: nothing fits, and the plan says why.
  const none = planEvacuation(evacuees.slice(0, 1), [load(cluster('a')), load(cluster('us', { region: 'us-east-1' }))], ['a'], 'spread');
  assert.equal(none[0]!.to, null);
  assert.deepEqual(none[0]!.rejected.map((r) => r.check).sort(), ['anti-affinity', 'residency']);
});

test('concurrency: never more in flight than the limit, pending ones in plan order', () => {
  const m = (state: 'pending' | 'moving' | 'succeeded' | 'failed' | 'unplaceable', id: number) => ({ state, id });
  assert.deepEqual(movesToStart([m('pending', 1), m('pending', 2), m('pending', 3)], 2).map((x) => x.id), [1, 2]);
  assert.deepEqual(movesToStart([m('moving', 1), m('moving', 2), m('pending', 3)], 2), []);
  assert.deepEqual(movesToStart([m('succeeded', 1), m('moving', 2), m('pending', 3), m('pending', 4)], 2).map((x) => x.id), [3]);
  assert.deepEqual(movesToStart([m('moving', 1), m('moving', 2), m('moving', 3)], 2), [], 'over the limit (lowered): none start');
});

test('an evacuation ends when every move is terminal; failed and unplaceable ones are counted', () => {
  assert.equal(evacuationOutcome([{ state: 'succeeded' }, { state: 'moving' }]), null);
  assert.deepEqual(evacuationOutcome([{ state: 'succeeded' }, { state: 'succeeded' }]), { state: 'succeeded', reason: null });
  assert.deepEqual(evacuationOutcome([{ state: 'succeeded' }, { state: 'failed' }, { state: 'unplaceable' }]), { state: 'failed', reason: '1 moves failed; 1 environments had no cluster to go to' });
  assert.deepEqual(evacuationOutcome([]), { state: 'succeeded', reason: null });
});

test('failover: only Unavailable clusters past the tier threshold, RTO counted from the first failed probe', () => {
  const parsed = parseFailoverPolicy('dedicated=on:120, shared=dry-run:600, hybrid=off', ['shared', 'dedicated', 'hybrid']);
  assert.ok('policy' in parsed);
  const policy = parsed.policy;
  assert.deepEqual(policy, { dedicated: { mode: 'on', afterMs: 120_000 }, shared: { mode: 'dry-run', afterMs: 600_000 }, hybrid: { mode: 'off', afterMs: 300_000 } });
  const clusters = [
    { name: 'ok', health: { ...down('x'), state: 'Available' as const } },
    { name: 'suspect', health: { ...down('2026-12-02T09:00:00.000Z'), state: 'Suspect' as const } },
    { name: 'lost', health: down('2026-12-02T10:00:00.000Z') },
    { name: 'never-probed' },
  ];
  assert.deepEqual(failoverDecisions(clusters, policy, new Date('2026-12-02T10:01:59.000Z')), [], 'within every threshold');
  assert.deepEqual(failoverDecisions(clusters, policy, new Date('2026-12-02T10:02:00.000Z')), [{ cluster: 'lost', lostAt: '2026-12-02T09:58:30.000Z', evacuate: ['dedicated'], dryRun: [] }]);
  assert.deepEqual(failoverDecisions(clusters, policy, new Date('2026-12-02T10:10:00.000Z'))[0]!.dryRun, ['shared']);
  assert.deepEqual(failoverDecisions(clusters, {}, new Date('2026-12-03T00:00:00.000Z')), [], 'off by default');
  assert.equal(rtoSeconds('2026-12-02T09:58:30.000Z', '2026-12-02T10:02:41.250Z'), 251.25);
  for (const bad of ['gold=on', 'shared=maybe', 'shared=on:-1']) assert.ok('error' in parseFailoverPolicy(bad, ['shared']), bad);
});

test('PodDisruptionBudgets: met only once observed with enough healthy pods; the summary names each and any wait', () => {
  const pdb = (status: Record<string, number> | undefined, generation = 1) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'a-prod', generation }, ...(status ? { status } : {}) });
  assert.deepEqual(budgetStatus('web', null), { name: 'web', met: false, currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, why: 'not found' });
  assert.equal(budgetStatus('web', pdb(undefined)).why, 'not observed by its controller yet');
  assert.equal(budgetStatus('web', pdb({ observedGeneration: 1, expectedPods: 0, currentHealthy: 0, desiredHealthy: 0 })).why, 'no pods counted yet', 'an empty selector is not a kept promise');
  assert.equal(budgetStatus('web', pdb({ observedGeneration: 1, expectedPods: 2, currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0 }, 2)).met, false, 'a spec change not yet observed');
  const short = budgetStatus('web', pdb({ observedGeneration: 1, expectedPods: 2, currentHealthy: 1, desiredHealthy: 2, disruptionsAllowed: 0 }));
  assert.deepEqual([short.met, short.why], [false, '1 of 2 healthy pods']);
  const ok = budgetStatus('web', pdb({ observedGeneration: 1, expectedPods: 2, currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1 }));
  assert.deepEqual([ok.met, ok.why, ok.disruptionsAllowed], [true, '', 1]);
  assert.deepEqual(budgetRefs({ objects: [{ hash: 'h', object: pdb(undefined) }, { hash: 'i', object: { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'a-prod' } } }] }),
    [{ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', name: 'web', namespace: 'a-prod' }]);
  assert.equal(budgetSummary('fp-2', 'fp-1', [ok], [{ name: 'web', disruptionsAllowed: 0 }], { checks: 3, seconds: 4.5 }),
    'PodDisruptionBudgets met on fp-2 (web 2/1 healthy) before removing from fp-1; waited 4.5s (3 checks) for them; on fp-1: web allowed 0 disruptions');
  assert.match(budgetSummary('fp-2', 'fp-1', [ok], [{ name: 'web', missing: true }], null), /before removing from fp-1; on fp-1: web not found$/);
});
