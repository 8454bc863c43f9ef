import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignedTicker } from './job.ts';
import { ManualClock, settle } from '../../test/helpers/manual-clock.ts';

test('the metering ticker passes just after each interval boundary of the wall clock, even when a pass takes long', async () => {
  // Wall clock starts 7.5 s into a 10 s interval; the manual clock drives both time and timers.
  const clock = new ManualClock();
  const start = Date.parse('2026-12-01T10:00:07.500Z');
  const now = () => new Date(start + clock.monotonic());
  const passes: string[] = [];
  const errors: string[] = [];
  const ticker = alignedTicker('metering', 10_000, async () => {
    passes.push(now().toISOString());
    if (passes.length === 2) throw new Error('store down');
    await clock.sleep(3_000); // a slow pass must not push the next one off its boundary
  }, { now, clock, logger: { error: (o: { err: Error }) => errors.push(o.err.message) } as never });
  ticker.start();
  await settle();
  assert.deepEqual(passes, [], 'the first pass waits for the next boundary');
  await clock.advance(2_549);
  assert.deepEqual(passes, []);
  await clock.advance(1);
  await clock.advance(30_000);
  assert.deepEqual(passes, ['2026-12-01T10:00:10.050Z', '2026-12-01T10:00:20.050Z', '2026-12-01T10:00:30.050Z', '2026-12-01T10:00:40.050Z']);
  assert.deepEqual(errors, ['store down']);
  const stopping = ticker.stop(); // waits for the pass in flight (it sleeps 3 s on the clock)
  await clock.advance(3_000);
  await stopping;
  await clock.advance(60_000);
  assert.equal(passes.length, 4, 'nothing after stop');
});
