import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSchedulable, nextClusterHealth } from './cluster-health.ts';

const t = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s));

test('cluster health: Suspect on the first failure, Unavailable after the bound, Available again on a good probe', () => {
  let h = nextClusterHealth(undefined, { ok: true, at: t(0), latencyMs: 12, version: 'v1.37.2' }, 30_000);
  assert.equal(h.state, 'Available');
  assert.equal(h.version, 'v1.37.2');
  h = nextClusterHealth(h, { ok: false, at: t(10), error: 'ECONNREFUSED' }, 30_000);
  assert.equal(h.state, 'Suspect');
  assert.equal(isSchedulable(h), false);
  h = nextClusterHealth(h, { ok: false, at: t(30), error: 'ECONNREFUSED' }, 30_000);
  assert.equal(h.state, 'Suspect', '20 s of failing is within the 30 s bound');
  h = nextClusterHealth(h, { ok: false, at: t(40), error: 'ECONNREFUSED' }, 30_000);
  assert.equal(h.state, 'Unavailable');
  assert.equal(h.since, t(40).toISOString());
  assert.equal(h.failingSince, t(10).toISOString());
  assert.equal(h.consecutiveFailures, 3);
  assert.match(h.message, /unreachable for 30s/);
  const still = nextClusterHealth(h, { ok: false, at: t(50), error: 'x' }, 30_000);
  assert.equal(still.since, h.since, 'since stays at the transition');
  h = nextClusterHealth(still, { ok: true, at: t(60), latencyMs: 9, version: 'v1.37.2' }, 30_000);
  assert.equal(h.state, 'Available');
  assert.equal(h.reason, 'Recovered');
  assert.equal(h.failingSince, null);
  assert.equal(isSchedulable(h), true);
  assert.equal(isSchedulable(undefined), true);
});
