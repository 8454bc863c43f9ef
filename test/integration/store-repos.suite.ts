// Part of the store suite (store.suite.ts, run on every backend): the repositories that moved behind
// the port with all their SQL in src/adapters/store/ (ADR 0204): the one rollouts repository, scaling
// policies and decisions, the read-only stats behind the gauges, cross-process locks and notifications.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InputError } from '../../src/domain/errors.ts';
import type { NewRollout } from '../../src/domain/rollouts.ts';
import type { ScalingDecision, ScalingPolicy } from '../../src/domain/scaling.ts';
import type { SqlStore } from '../../src/adapters/store/index.ts';
import { env, tenant } from './store.suite.ts';

const FORGED = ['42', 'not-a-cursor', Buffer.from('["1","2"]').toString('base64url')];

function newRollout(id: string, extra: Partial<NewRollout> = {}): NewRollout {
  return {
    id, blueprint: 'shop', version: '1.5.0',
    spec: {
      selector: {}, waveNames: ['canary', 'wave-1'], skipped: [],
      strategy: { canary: { count: 1 }, waves: [100], maxParallel: 2, gates: { health: true, bakeSeconds: 0 }, respectMaintenanceWindows: false },
    },
    status: { waves: [{ gate: 'pending' }, { gate: 'pending' }] },
    targets: [
      { tenant: 'rollco', environment: 'prod', wave: 1, position: 0, fromVersion: '1.4.0' },
      { tenant: 'rollco', environment: 'dev', wave: 0, position: 0, fromVersion: '1.4.0' },
    ],
    idempotencyKey: null, requestHash: null, createdBy: 'admin', ...extra,
  };
}

export function repoTests(s: () => SqlStore): void {
  test('rollouts: create with targets, replay by idempotency key, get, targets in wave order', async () => {
    await s().tenants.create(tenant('rollco'));
    for (const name of ['prod', 'dev']) await s().environments.create(env('rollco', name));
    const { rollout, created } = await s().rollouts.create(newRollout('ro-repo-1', { idempotencyKey: 'ro-key-1', requestHash: 'h1' }));
    assert.equal(created, true);
    assert.deepEqual([rollout.state, rollout.currentWave, rollout.reason, rollout.requestHash, rollout.finishedAt], ['pending', 0, null, 'h1', null]);
    assert.deepEqual(rollout.spec.waveNames, ['canary', 'wave-1']);
    const replay = await s().rollouts.create(newRollout('ro-repo-other', { idempotencyKey: 'ro-key-1' }));
    assert.deepEqual([replay.created, replay.rollout.id], [false, 'ro-repo-1']);
    assert.equal(await s().rollouts.get('ro-repo-other'), null, 'the replay inserted nothing');
    assert.deepEqual(await s().rollouts.get('ro-repo-1'), rollout);
    assert.equal((await s().rollouts.findByIdempotencyKey('ro-key-1'))?.id, 'ro-repo-1');
    assert.equal(await s().rollouts.findByIdempotencyKey('no-such-key'), null);
    const targets = await s().rollouts.targets('ro-repo-1');
    assert.deepEqual(targets.map((t) => [t.wave, t.environment, t.state, t.operationId, t.acknowledged]), [[0, 'dev', 'pending', null, false], [1, 'prod', 'pending', null, false]]);
  });

  test('rollouts: state changes follow the machine; a target starts only while its rollout runs', async () => {
    const r = s().rollouts;
    assert.equal(await r.startTarget('ro-repo-1', 'rollco', 'dev'), false, 'pending rollout: no target starts');
    assert.equal(await r.transition('ro-repo-1', 'succeeded', null), null, 'pending -> succeeded is not a move');
    assert.equal((await r.transition('ro-repo-1', 'running', null))?.state, 'running');
    assert.equal(await r.startTarget('ro-repo-1', 'rollco', 'dev'), true);
    assert.equal(await r.updateTarget({ id: 'ro-repo-1', tenant: 'rollco', environment: 'dev' }, { state: 'failed', reason: 'boom' }, 'pending'), false, 'guarded by its state');
    assert.equal(await r.updateTarget({ id: 'ro-repo-1', tenant: 'rollco', environment: 'dev' }, { state: 'failed', reason: 'boom', operationId: 'op-x' }, 'running'), true);
    assert.equal(await r.acknowledgeFailures('ro-repo-1', 0), 1);
    await r.saveProgress('ro-repo-1', { status: { waves: [{ gate: 'passed' }, { gate: 'pending' }] }, currentWave: 1 });
    const dev = (await r.targets('ro-repo-1')).find((t) => t.environment === 'dev')!;
    assert.deepEqual([dev.state, dev.reason, dev.operationId, dev.acknowledged], ['failed', 'boom', 'op-x', true]);
    const now = await r.get('ro-repo-1');
    assert.deepEqual([now?.currentWave, now?.status.waves[0]?.gate], [1, 'passed']);
    assert.equal(await r.cancelPendingTargets('ro-repo-1', 'RolloutAborted'), 1);
    const done = await r.transition('ro-repo-1', 'aborted', 'by test');
    assert.deepEqual([done?.state, done?.reason, typeof done?.finishedAt], ['aborted', 'by test', 'string']);
    assert.equal(await r.transition('ro-repo-1', 'running', null), null, 'aborted is final');
  });

  test('rollouts: holds are exclusive per environment; the controller lease keeps other workers off', async () => {
    const r = s().rollouts;
    await r.create(newRollout('ro-repo-2'));
    await r.create(newRollout('ro-repo-3'));
    assert.equal(await r.hold('ro-repo-2', 'rollco', 'prod'), 'held');
    assert.equal(await r.hold('ro-repo-2', 'rollco', 'prod'), 'held', 'holding again is fine');
    assert.equal(await r.hold('ro-repo-3', 'rollco', 'prod'), 'taken');
    assert.equal(await r.hold('ro-repo-3', 'rollco', 'nope'), 'missing');
    assert.equal(await s().queue.holder('rollco', 'prod'), 'ro-repo-2');
    await r.release('ro-repo-3', { tenant: 'rollco', environment: 'prod' });
    assert.equal(await s().queue.holder('rollco', 'prod'), 'ro-repo-2', 'only the holder releases');
    await r.release('ro-repo-2');
    assert.equal(await s().queue.holder('rollco', 'prod'), null);
    const mine = await r.claimActive('ctl-a', 60_000);
    assert.ok(mine.includes('ro-repo-2') && mine.includes('ro-repo-3') && !mine.includes('ro-repo-1'), JSON.stringify(mine));
    const theirs = await r.claimActive('ctl-b', 60_000);
    assert.ok(!theirs.includes('ro-repo-2') && !theirs.includes('ro-repo-3'), 'leased to ctl-a');
    assert.ok((await r.claimActive('ctl-a', 60_000)).includes('ro-repo-2'), 'the holder renews');
    for (const id of ['ro-repo-2', 'ro-repo-3']) await r.transition(id, 'aborted', null);
  });

  test('rollouts: abort cancels only upgrades that never started; writes in one tx roll back together', async () => {
    const op = (key: string) => s().operations.create({ kind: 'upgrade', tenant: 'rollco', environment: 'dev', params: {}, steps: ['render'], idempotencyKey: key });
    const fresh = (await op('ro-repo-fresh')).operation.id;
    const started = (await op('ro-repo-started')).operation.id;
    await s().db.query(`UPDATE operations SET steps = '[{"name":"render","state":"waiting","attempts":1}]'::jsonb WHERE id = $1`, [started]);
    assert.deepEqual(await s().rollouts.cancelQueuedOperations([fresh, started]), [fresh]);
    assert.equal((await s().operations.get(fresh))?.state, 'cancelled');
    assert.equal((await s().operations.get(started))?.state, 'pending');
    await s().db.query("UPDATE operations SET state = 'cancelled' WHERE id = $1", [started]);
    await assert.rejects(s().tx(async (tx) => {
      await tx.rollouts.create(newRollout('ro-repo-tx'));
      await tx.rollouts.transition('ro-repo-tx', 'running', null);
      throw new Error('boom');
    }), /boom/);
    assert.equal(await s().rollouts.get('ro-repo-tx'), null);
    assert.deepEqual(await s().rollouts.targets('ro-repo-tx'), []);
  });

  test('rollouts: the list pages newest first with opaque cursors; a forged cursor is an InputError', async () => {
    for (let i = 10; i < 16; i++) await s().rollouts.create(newRollout(`ro-repo-${i}`));
    const walked: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await s().rollouts.list({ limit: 4, ...(cursor ? { cursor } : {}) });
      walked.push(...page.items.map((x) => x.id));
      assert.ok(!page.next || !/^\d+$/.test(page.next), 'not a raw seq');
      cursor = page.next;
    } while (cursor);
    assert.deepEqual(walked.slice(0, 6), ['ro-repo-15', 'ro-repo-14', 'ro-repo-13', 'ro-repo-12', 'ro-repo-11', 'ro-repo-10']);
    assert.deepEqual(walked.slice(6), ['ro-repo-3', 'ro-repo-2', 'ro-repo-1']);
    for (const forged of FORGED) await assert.rejects(s().rollouts.list({ cursor: forged }), InputError, forged);
    await assert.rejects(s().rollouts.list({ limit: 0 }), InputError);
  });

  test('scaling: policies upsert, only enabled ones are listed; decisions page newest first with opaque cursors', async () => {
    const policy = (environment: string, mode: ScalingPolicy['mode']): ScalingPolicy => ({
      tenant: 'scaleco', environment, mode, hpa: { cluster: 'c1', namespace: `scaleco-${environment}`, name: 'web' }, query: 'sum(x)',
      floor: 1, ceiling: 5, capacityPerPod: 10, leadTimeSeconds: 300, cooldownMinutes: 15, hysteresis: 0.1, quantile: 0.9, historyDays: 7, stepSeconds: 60,
    });
    await s().scaling.putPolicy(policy('prod', 'dry-run'));
    await s().scaling.putPolicy(policy('dev', 'off'));
    await s().scaling.putPolicy(policy('prod', 'active'));
    assert.equal((await s().scaling.getPolicy('scaleco', 'prod'))?.mode, 'active');
    assert.equal(await s().scaling.getPolicy('scaleco', 'nope'), null);
    assert.deepEqual((await s().scaling.enabledPolicies()).filter((p) => p.tenant === 'scaleco').map((p) => p.environment), ['prod']);
    assert.equal(await s().scaling.latest('scaleco', 'prod'), null);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const d: ScalingDecision = {
        tenant: 'scaleco', environment: 'prod', hpa: policy('prod', 'active').hpa, at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), action: 'hold', mode: 'active',
        minReplicas: i + 1, previousMinReplicas: null, wanted: i + 1, applied: false, reason: `d${i}`, forecast: null, state: { current: i + 1, lastNeededAt: i },
      };
      ids.push((await s().scaling.record(d)).id!);
    }
    assert.equal((await s().scaling.latest('scaleco', 'prod'))?.reason, 'd4');
    const first = await s().scaling.decisions('scaleco', 'prod', { limit: 3 });
    assert.deepEqual(first.items.map((d) => d.reason), ['d4', 'd3', 'd2']);
    assert.deepEqual(first.items.map((d) => d.id), [...ids].reverse().slice(0, 3));
    const second = await s().scaling.decisions('scaleco', 'prod', { limit: 3, cursor: first.next! });
    assert.deepEqual([second.items.map((d) => d.reason), second.next], [['d1', 'd0'], undefined]);
    for (const forged of FORGED) await assert.rejects(s().scaling.decisions('scaleco', 'prod', { cursor: forged }), InputError, forged);
  });

  test('stats: queue depth, the oldest claim (renewed or run out) and rollout progress', async () => {
    const st = s().stats;
    assert.equal(await st.oldestLeaseAge(), null, 'nothing runs');
    await s().operations.create({ kind: 'scale', tenant: 'statco', environment: 'prod', params: {}, steps: ['scale'], idempotencyKey: 'stat-1' });
    const pendingBefore = (await st.queueDepth()).pending!;
    const claim = await s().queue.claim('stat-worker', 60_000, ['scale']);
    assert.equal(claim?.operation.idempotencyKey, 'stat-1');
    const d = await st.queueDepth();
    assert.deepEqual([d.running, d.pending], [1, pendingBefore - 1]);
    const age = await st.oldestLeaseAge();
    assert.ok(age !== null && age >= 0 && age < 3600, `age ${age}`);
    // Its worker died: the lease ran out and no one took the operation over. It still counts.
    await s().db.query("UPDATE operations SET lease_expires_at = now() - interval '1 minute', locked_at = now() - interval '20 minutes' WHERE id = $1", [claim!.operation.id]);
    const stuck = await st.oldestLeaseAge();
    assert.ok(stuck !== null && stuck >= 1200, `an expired claim is reported, ${stuck}`);
    await s().db.query("UPDATE operations SET state = 'failed', lease_token = NULL, locked_at = NULL WHERE id = $1", [claim!.operation.id]);
    assert.equal(await st.oldestLeaseAge(), null);
    const progress = await st.rolloutProgress();
    assert.ok(progress.every((p) => p.total >= p.done + p.failed), JSON.stringify(progress));
    assert.ok(progress.some((p) => p.state === 'aborted' && p.total === 2 && p.failed === 1), 'ro-repo-1 finished today: 2 targets, 1 failed');
  });

  test('exclusive: one holder per lock across connections (PostgreSQL); embedded just runs', async () => {
    const outer = await s().exclusive('prescaler', async () => {
      const inner = await s().exclusive('prescaler', async () => 'inner ran');
      return inner;
    });
    assert.equal(outer.ran, true);
    const inner = outer.ran ? outer.result : null;
    if (s().kind === 'postgres') assert.deepEqual(inner, { ran: false }, 'another connection holds the lock');
    else assert.deepEqual(inner, { ran: true, result: 'inner ran' });
    assert.deepEqual(await s().exclusive('prescaler', async () => 7), { ran: true, result: 7 }, 'released with its transaction');
  });

  test('listen: a queued operation notifies subscribers through the port', async () => {
    let heard = 0;
    let wake: () => void = () => undefined;
    const unlisten = await s().listen('fleetplane_operations', () => { heard++; wake(); });
    try {
      const before = heard;
      const next = new Promise<void>((resolve) => { wake = () => { if (heard > before) resolve(); }; });
      await s().operations.create({ kind: 'scale', tenant: 'statco', environment: 'dev', params: {}, steps: ['scale'] });
      await next;
      assert.ok(heard > before);
    } finally {
      await unlisten();
    }
  });
}
