import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ticker } from './clock.ts';
import { ManualClock, settle } from '../test/helpers/manual-clock.ts';

test('a ticker runs a pass at start, then one per interval after the last ended, and survives a failed pass', async () => {
  const clock = new ManualClock();
  const runs: number[] = [];
  const errors: string[] = [];
  const ticker = new Ticker(async () => {
    runs.push(clock.monotonic());
    if (runs.length === 2) throw new Error('cluster down');
  }, { intervalMs: 1000, clock, onError: (e) => errors.push(e.message) });
  ticker.start();
  ticker.start(); // a second start is a no-op
  await settle();
  assert.deepEqual(runs, [0]);
  await clock.advance(999);
  assert.deepEqual(runs, [0]);
  await clock.advance(1);
  await clock.advance(2000);
  assert.deepEqual(runs, [0, 1000, 2000, 3000]);
  assert.deepEqual(errors, ['cluster down']);
  await ticker.stop();
  await clock.advance(5000);
  assert.equal(runs.length, 4, 'nothing after stop');
  assert.equal(clock.pending, 0);
});

test('a ticker may wait one interval before its first pass; 0 never runs', async () => {
  const clock = new ManualClock();
  let runs = 0;
  const delayed = new Ticker(async () => { runs++; }, { intervalMs: 500, immediate: false, clock, onError: () => undefined });
  delayed.start();
  await settle();
  assert.equal(runs, 0);
  await clock.advance(500);
  assert.equal(runs, 1);
  await delayed.stop();
  const off = new Ticker(async () => { runs++; }, { intervalMs: 0, clock, onError: () => undefined });
  off.start();
  assert.equal(off.started, false);
  await off.stop();
});

test('stop waits for the pass in flight, unless the ticker was told not to', async () => {
  const clock = new ManualClock();
  let release!: () => void;
  const slow = () => new Promise<void>((resolve) => { release = resolve; });
  const waiting = new Ticker(slow, { intervalMs: 1000, clock, onError: () => undefined });
  waiting.start();
  let stopped = false;
  const stopping = waiting.stop().then(() => { stopped = true; });
  await settle();
  assert.equal(stopped, false, 'waits for the pass');
  release();
  await stopping;
  const leaving = new Ticker(slow, { intervalMs: 1000, clock, waitOnStop: false, onError: () => undefined });
  leaving.start();
  await leaving.stop(); // returns although the pass never ends
  release();
});
