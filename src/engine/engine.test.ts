import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineConfig } from './index.ts';
import { verifyTimeoutOf } from './context.ts';
import { LeaseKeeper, fenceMargin, heartbeatEvery } from './lease.ts';
import { LeaseLostError } from '../domain/errors.ts';
import type { Claim } from '../domain/ports/queue.ts';
import { ManualClock } from '../../test/helpers/manual-clock.ts';

test('engine options win over the defaults; nothing is read from the environment', () => {
  const saved = { ...process.env };
  try {
    process.env.FLEETPLANE_WORKER_CONCURRENCY = '7';
    const c = engineConfig({ leaseMs: 1234 });
    assert.equal(c.concurrency, 16, 'the environment is read once, by serve (src/config.ts), not here');
    assert.equal(c.reconcileIntervalMs, 60_000);
    assert.equal(c.leaseMs, 1234);
    assert.equal(engineConfig({ concurrency: 3 }).concurrency, 3);
  } finally {
    process.env = saved;
  }
});

test('a refused heartbeat aborts the running step', async () => {
  const clock = new ManualClock();
  let beats = 0;
  const queue = { heartbeat: async () => ++beats < 2 } as unknown as Claim;
  const leaseMs = 30_000;
  const keeper = new LeaseKeeper(queue, { leaseMs }, { clock }).start();
  await clock.advance(heartbeatEvery(leaseMs));
  assert.equal(beats, 1);
  assert.equal(keeper.signal.aborted, false, 'the first heartbeat was accepted');
  await clock.advance(heartbeatEvery(leaseMs));
  assert.equal(beats, 2);
  assert.equal(keeper.signal.aborted, true, 'the refused one aborts at once');
  assert.equal(keeper.lost, true);
  assert.ok(clock.monotonic() < leaseMs - fenceMargin(leaseMs), 'before the local deadline: it was the refusal, not the fence');
  assert.match(String((keeper.signal.reason as Error).message), /lease lost/);
  keeper.stop();
  assert.equal(clock.pending, 0, 'stop cancels every timer');
});

test('heartbeats run at most every third of the lease and the worker stops a quarter lease before expiry', () => {
  assert.equal(heartbeatEvery(30_000), 10_000);
  assert.equal(fenceMargin(30_000), 7_500);
  assert.ok(heartbeatEvery(6000) * 2 < 6000 - fenceMargin(6000), 'two heartbeats fit before the local deadline');
});

test('with heartbeats hanging, the worker fences itself at its local deadline, not before', async () => {
  const clock = new ManualClock(1_000);
  const queue = { heartbeat: () => new Promise<boolean>(() => undefined) } as unknown as Claim;
  const leaseMs = 6000;
  const sentAt = clock.monotonic();
  const keeper = new LeaseKeeper(queue, { leaseMs, claimSentAt: sentAt }, { clock }).start();
  const deadline = leaseMs - fenceMargin(leaseMs);
  await clock.advance(deadline - 1);
  assert.equal(keeper.signal.aborted, false, 'still held just before the deadline');
  await clock.advance(2);
  assert.equal(keeper.lost, true);
  assert.ok(keeper.signal.reason instanceof LeaseLostError);
  assert.match((keeper.signal.reason as Error).message, /self-fenced.*2 in flight/);
  keeper.stop();
});

test('a starved event loop is caught by the check before each write, not only by the timer', () => {
  const clock = new ManualClock(10_000);
  const queue = { heartbeat: async () => true } as unknown as Claim;
  // Claimed "long ago": the local deadline has passed though no timer had a chance to run.
  const keeper = new LeaseKeeper(queue, { leaseMs: 1000, claimSentAt: clock.monotonic() - 900 }, { clock });
  assert.throws(() => keeper.assertHeld(), (e: unknown) => e instanceof LeaseLostError && /self-fenced/.test(e.message));
  assert.equal(keeper.lost, true);
  assert.equal(keeper.signal.aborted, true);
});

test('successful heartbeats move the local deadline on', async () => {
  const clock = new ManualClock();
  let beats = 0;
  const queue = { heartbeat: async () => { beats++; return true; } } as unknown as Claim;
  const leaseMs = 3000;
  const keeper = new LeaseKeeper(queue, { leaseMs }, { clock }).start();
  await clock.advance(leaseMs * 2);
  keeper.assertHeld();
  keeper.stop();
  assert.equal(keeper.signal.aborted, false);
  assert.equal(beats, 6, 'one heartbeat every third of the lease');
});

test('stopping the engine aborts without marking the lease lost', () => {
  const parent = new AbortController();
  const queue = { heartbeat: async () => true } as unknown as Claim;
  const keeper = new LeaseKeeper(queue, { leaseMs: 10_000 }, { parent: parent.signal, clock: new ManualClock() });
  parent.abort(new Error('stopping'));
  assert.equal(keeper.signal.aborted, true);
  assert.equal(keeper.lost, false);
});

test('the failing pod is described in the cluster\'s own words', async () => {
  const { unreadyPodMessage } = await import('./drivers/direct-verify.ts');
  const pod = (status: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1' }, status });
  assert.equal(unreadyPodMessage(pod({ conditions: [{ type: 'Ready', status: 'True' }] })), null);
  assert.equal(unreadyPodMessage(pod({ conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [web]' }] })),
    'pod web-1: ContainersNotReady: containers with unready status: [web]');
  assert.equal(unreadyPodMessage(pod({ containerStatuses: [{ state: { waiting: { reason: 'ImagePullBackOff', message: 'pull failed' } } }] })), 'pod web-1: ImagePullBackOff pull failed');
  assert.equal(unreadyPodMessage(pod({})), 'pod web-1: not ready');
});

test('GitOps environments verify with their own budget: at least 10 minutes unless set; direct ones with verifyTimeoutMs', () => {
  const d = engineConfig({});
  assert.deepEqual([d.verifyTimeoutMs, d.gitopsVerifyTimeoutMs], [300_000, 600_000]);
  assert.equal(engineConfig({ verifyTimeoutMs: 120_000 }).gitopsVerifyTimeoutMs, 600_000, 'a short direct budget does not shorten the GitOps one');
  assert.equal(engineConfig({ verifyTimeoutMs: 900_000 }).gitopsVerifyTimeoutMs, 900_000, 'a longer direct budget carries over');
  const c = engineConfig({ verifyTimeoutMs: 60_000, gitopsVerifyTimeoutMs: 180_000 });
  assert.equal(verifyTimeoutOf(c, { delivery: 'gitops' }), 180_000);
  assert.equal(verifyTimeoutOf(c, { delivery: 'direct' }), 60_000);
});
