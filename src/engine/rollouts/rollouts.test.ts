import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../domain/errors.ts';
import { compare, expandQuery } from './metric-gate.ts';
import { normalizeStrategy } from './service.ts';
import { ROLLOUT_TRANSITIONS, sourcesOf } from '../../domain/rollout-state.ts';
import type { Rollout, RolloutTarget } from '../../domain/rollouts.ts';
import { rolloutView } from './view.ts';

test('metric gate: placeholders expand to sorted, de-duplicated alternations', () => {
  const q = expandQuery('max(rate(errors{tenant=~"$tenants",env=~"$environments"}[5m]))', [
    { tenant: 'b', environment: 'prod' }, { tenant: 'a', environment: 'prod' }, { tenant: 'a', environment: 'dev' }]);
  assert.equal(q, 'max(rate(errors{tenant=~"a|b",env=~"dev|prod"}[5m]))');
});

for (const [v, op, t, want] of [[1, '<', 2, true], [2, '<', 2, false], [2, '<=', 2, true], [3, '>', 2, true], [2, '>=', 3, false]] as const) {
  test(`compare ${v} ${op} ${t} = ${want}`, () => assert.equal(compare(v, op, t), want));
}

test('strategy: defaults, maxUnavailable caps maxParallel, bad waves rejected with the field', () => {
  const s = normalizeStrategy({ maxParallel: 10, maxUnavailable: 3 });
  assert.equal(s.maxParallel, 3);
  assert.deepEqual(s.waves, [25, 50, 100]);
  assert.equal(s.gates.health, true);
  for (const waves of [[50, 25], [0, 100], [], [50, 101]]) {
    assert.throws(() => normalizeStrategy({ waves }), (e: unknown) => e instanceof InputError && e.issues[0]?.field === '/strategy/waves');
  }
  assert.throws(() => normalizeStrategy({ canary: { count: 1, percent: 10 } }), /invalid rollout strategy/);
});

test('state machine: finals are terminal, paused only resumes or aborts', () => {
  assert.deepEqual(ROLLOUT_TRANSITIONS.succeeded, []);
  assert.deepEqual([...ROLLOUT_TRANSITIONS.paused].sort(), ['aborted', 'running']);
  assert.deepEqual(sourcesOf('running').sort(), ['paused', 'pending']);
  assert.ok(!sourcesOf('running').includes('aborted'));
});

test('view: per-wave counts and states', () => {
  const r: Rollout = {
    id: 'ro-1', blueprint: 'default', version: '1.5.0', state: 'paused', currentWave: 1, reason: 'health gate failed',
    spec: { selector: {}, strategy: normalizeStrategy(), waveNames: ['canary', 'wave-1', 'wave-2'], skipped: [] },
    status: { waves: [{ gate: 'passed' }, { gate: 'failed', gateReason: 'x' }, { gate: 'pending' }] },
    requestHash: null, createdBy: 'admin', createdAt: 't', updatedAt: 't', finishedAt: null,
  };
  const t = (tenant: string, wave: number, state: RolloutTarget['state']): RolloutTarget => ({ tenant, environment: 'prod', wave, position: 0, state, operationId: null, fromVersion: '1.4.0', reason: null, acknowledged: false });
  const v = rolloutView(r, [t('a', 0, 'succeeded'), t('b', 1, 'failed'), t('c', 1, 'succeeded'), t('d', 2, 'pending'), t('e', 2, 'pending')]);
  assert.deepEqual(v.waves.map((w) => w.state), ['done', 'gated', 'pending']);
  assert.equal(v.waves[1]!.counts.failed, 1);
  assert.equal(v.waves[2]!.counts.pending, 2);
  assert.equal(v.totals.total, 5);
  assert.equal(v.totals.succeeded, 2);
});

test('view: a fleet rollback shows its status (environments, restored, failed, gate-to-restored seconds)', () => {
  const rollback = { reason: 'SLO gate: c/prod burns', startedAt: '2026-12-02T10:00:00.000Z', completedAt: '2026-12-02T10:00:42.500Z', seconds: 42.5, environments: 3, restored: 3, failed: [] };
  const r: Rollout = {
    id: 'ro-2', blueprint: 'default', version: '1.5.0', state: 'rolled-back', currentWave: 1, reason: rollback.reason,
    spec: { selector: {}, strategy: normalizeStrategy({ onGateFailure: 'rollback' }), waveNames: ['wave-1', 'wave-2'], skipped: [] },
    status: { waves: [{ gate: 'passed' }, { gate: 'failed', gateReason: rollback.reason }], rollback },
    requestHash: null, createdBy: 'admin', createdAt: 't', updatedAt: 't', finishedAt: 't',
  };
  assert.deepEqual(rolloutView(r, []).rollback, rollback);
  assert.equal('rollback' in rolloutView({ ...r, status: { waves: [] } }, []), false, 'absent when there was no rollback');
});
