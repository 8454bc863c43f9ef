import { test } from 'node:test';
import assert from 'node:assert/strict';
import { int, planRows } from './lifecycle.ts';

test('placement preview rows: the chosen cluster, the other eligible ones ranked, each rejected one with its check and reason', () => {
  const rows = planRows({
    cluster: 'a', policy: 'cost', explanation: 'a: cheapest',
    eligible: [
      { cluster: 'a', rank: 1, parts: { dedicated: 1, region: 0, environments: 2, headroom: 0.5, monthlyCost: 10 } },
      { cluster: 'b', rank: 2, parts: { dedicated: 1, region: 0, environments: 0, headroom: null, monthlyCost: null } },
    ],
    rejected: [{ cluster: 'c', check: 'cordon', reason: 'cordoned: maintenance' }],
  });
  assert.deepEqual(rows.map((r) => [r.cluster, r.verdict]), [['a', 'chosen'], ['b', 'eligible #2'], ['c', 'rejected (cordon)']]);
  assert.equal(rows[1]!.detail, 'envs 0, headroom ?, cost/month ?');
  assert.equal(rows[2]!.detail, 'cordoned: maintenance');
});

test('a bad number flag is a one-line usage error (exit 2)', () => {
  assert.equal(int('3', '--wave-size'), 3);
  assert.equal(int(undefined, '--wave-size'), undefined);
  assert.throws(() => int('two', '--wave-size'), (e: Error & { exitCode?: number; code?: number }) => /--wave-size must be a non-negative integer, got "two"/.test(e.message));
});
