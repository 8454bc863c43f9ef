import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RolloutStrategy } from '../domain/rollouts.ts';
import { cutPoints, DEFAULT_STRATEGY, planWaves, riskScore, windowOpen, type RolloutCandidate } from './rollout-waves.ts';

function cand(tenant: string, environment: string, over: Partial<RolloutCandidate> = {}): RolloutCandidate {
  return { tenant, environment, envType: environment === 'prod' ? 'prod' : environment === 'staging' ? 'staging' : 'dev', cluster: 'c1', version: '1.0.0', tenantLabels: {}, tier: 'shared', ...over };
}

const fleet: RolloutCandidate[] = [
  cand('zeta', 'prod', { tier: 'dedicated' }),
  cand('acme', 'prod'),
  cand('acme', 'staging'),
  cand('internal', 'prod', { tenantLabels: { internal: 'true' } }),
  cand('beta', 'prod', { tenantLabels: { risk: 'low' } }),
  cand('gamma', 'prod', { tenantLabels: { risk: 'high', region: 'eu' } }),
  cand('delta', 'prod', { version: '2.0.0' }),
  cand('eps', 'dev', { cluster: 'c2', tenantLabels: { region: 'eu' } }),
];

const strat = (over: Partial<RolloutStrategy> = {}): RolloutStrategy => ({ ...DEFAULT_STRATEGY, ...over });
const names = (plan: ReturnType<typeof planWaves>) => plan.waves.map((w) => `${w.name}:${w.targets.map((t) => `${t.tenant}/${t.environment}`).join(',')}`);

const cases: Array<{ name: string; selector: Parameters<typeof planWaves>[1]; strategy: RolloutStrategy; want: string[] }> = [
  {
    name: 'canary = lowest risk (internal first), then cumulative waves by risk; already-upgraded skipped',
    selector: {}, strategy: strat({ canary: { count: 1 }, waves: [50, 100] }),
    want: ['canary:internal/prod', 'wave-1:eps/dev,acme/staging,beta/prod', 'wave-2:acme/prod,zeta/prod,gamma/prod'],
  },
  {
    name: 'canary by percent (ceil), one final wave',
    selector: {}, strategy: strat({ canary: { percent: 30 }, waves: [100] }),
    want: ['canary:internal/prod,eps/dev,acme/staging', 'wave-1:beta/prod,acme/prod,zeta/prod,gamma/prod'],
  },
  {
    name: 'no canary: waves only, last wave forced to 100%',
    selector: {}, strategy: strat({ canary: {}, waves: [10, 40] }),
    want: ['wave-1:internal/prod', 'wave-2:eps/dev,acme/staging', 'wave-3:beta/prod,acme/prod,zeta/prod,gamma/prod'],
  },
  {
    name: 'selector by tenant label',
    selector: { labels: { region: 'eu' } }, strategy: strat({ canary: { count: 1 }, waves: [100] }),
    want: ['canary:eps/dev', 'wave-1:gamma/prod'],
  },
  {
    name: 'selector by env type and cluster',
    selector: { envTypes: ['prod'], clusters: ['c1'] }, strategy: strat({ canary: { count: 2 }, waves: [50] }),
    want: ['canary:internal/prod,beta/prod', 'wave-1:acme/prod,zeta/prod', 'wave-2:gamma/prod'],
  },
  {
    name: 'canary larger than the fleet takes everything',
    selector: { tenants: ['acme'] }, strategy: strat({ canary: { count: 5 } }),
    want: ['canary:acme/staging,acme/prod'],
  },
  {
    name: 'nothing selected: no waves',
    selector: { tenants: ['nobody'] }, strategy: strat(),
    want: [],
  },
];

for (const c of cases) {
  test(`planWaves: ${c.name}`, () => {
    assert.deepEqual(names(planWaves(fleet, c.selector, c.strategy, '2.0.0')), c.want);
  });
}

test('planWaves: deterministic regardless of input order; skipped lists environments already at the version', () => {
  const a = planWaves(fleet, {}, strat(), '2.0.0');
  const b = planWaves([...fleet].reverse(), {}, strat(), '2.0.0');
  assert.deepEqual(a, b);
  assert.deepEqual(a.skipped, [{ tenant: 'delta', environment: 'prod', reason: 'AlreadyAtVersion' }]);
  assert.equal(a.waves.flatMap((w) => w.targets).length, fleet.length - 1);
});

test('riskScore: internal < dev < staging < prod; dedicated and risk=high later', () => {
  assert.ok(riskScore(cand('i', 'prod', { tenantLabels: { internal: 'true' } })) < riskScore(cand('a', 'dev')));
  assert.ok(riskScore(cand('a', 'dev')) < riskScore(cand('a', 'staging')));
  assert.ok(riskScore(cand('a', 'staging')) < riskScore(cand('a', 'prod')));
  assert.ok(riskScore(cand('a', 'prod')) < riskScore(cand('a', 'prod', { tier: 'dedicated' })));
  assert.ok(riskScore(cand('a', 'prod', { tier: 'dedicated' })) < riskScore(cand('a', 'prod', { tenantLabels: { risk: 'high' } })));
});

for (const [n, percents, want] of [
  [10, [25, 50, 100], [3, 5, 10]],
  [3, [10, 20, 30], [1, 3]],
  [0, [50], []],
  [4, [150, -5], [4]],
] as Array<[number, number[], number[]]>) {
  test(`cutPoints(${n}, [${percents}]) = [${want}]`, () => assert.deepEqual(cutPoints(n, percents), want));
}

const sat = { days: ['sat'], start: '22:00', durationMinutes: 240 };
for (const [when, window, open] of [
  ['2026-11-21T22:30:00Z', sat, true], // Saturday 22:30
  ['2026-11-22T01:59:00Z', sat, true], // Sunday 01:59, window started Saturday
  ['2026-11-22T02:00:00Z', sat, false], // just closed
  ['2026-11-21T21:59:00Z', sat, false],
  ['2026-11-20T23:00:00Z', sat, false], // Friday
  ['2026-11-20T03:00:00Z', { days: [], start: '02:00', durationMinutes: 120 }, true], // any day
  ['2026-11-20T03:00:00Z', undefined, true], // no window: always open
] as Array<[string, typeof sat | undefined, boolean]>) {
  test(`windowOpen at ${when} -> ${open}`, () => assert.equal(windowOpen(window, new Date(when)), open));
}
