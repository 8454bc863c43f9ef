import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isOffAt, nextChange, savings, scheduleIssues, scheduledAction, trainingGpuHours, type HibernationSchedule } from './hibernation.ts';

// dev off 20:00-07:00 and at weekends (the ai-platform blueprint's dev type).
const dev: HibernationSchedule = { off: [{ start: '20:00', end: '07:00' }, { days: ['sat', 'sun'], start: '00:00', end: '24:00' }] };
const at = (s: string) => new Date(s);

test('off 20:00-07:00 on weekdays, all weekend (2026-12-02 is a Wednesday)', () => {
  assert.equal(isOffAt(dev, at('2026-12-02T12:00:00Z')), false);
  assert.equal(isOffAt(dev, at('2026-12-02T19:59:00Z')), false);
  assert.equal(isOffAt(dev, at('2026-12-02T20:00:00Z')), true);
  assert.equal(isOffAt(dev, at('2026-12-03T06:59:00Z')), true, 'overnight window runs into the next day');
  assert.equal(isOffAt(dev, at('2026-12-03T07:00:00Z')), false);
  assert.equal(isOffAt(dev, at('2026-12-05T12:00:00Z')), true, 'Saturday');
  assert.equal(isOffAt(dev, at('2026-12-06T23:59:00Z')), true, 'Sunday night');
  assert.equal(isOffAt(dev, at('2026-12-07T06:00:00Z')), true, 'Sunday 20:00 -> Monday 07:00');
  assert.equal(isOffAt(dev, at('2026-12-07T07:00:00Z')), false);
});

test('time zones: the windows are wall-clock times there', () => {
  const berlin: HibernationSchedule = { timezone: 'Europe/Berlin', off: [{ start: '20:00', end: '07:00' }] };
  assert.equal(isOffAt(berlin, at('2026-12-02T19:30:00Z')), true, '20:30 in Berlin (UTC+1)');
  assert.equal(isOffAt(berlin, at('2026-12-02T18:30:00Z')), false);
  assert.equal(isOffAt(berlin, at('2026-07-02T18:30:00Z')), true, 'summer time: 20:30 (UTC+2)');
});

test('next change and the scheduler acting on changes only', () => {
  assert.deepEqual(nextChange(dev, at('2026-12-02T12:00:00Z')), at('2026-12-02T20:00:00Z'));
  assert.deepEqual(nextChange(dev, at('2026-12-04T21:00:00Z')), at('2026-12-07T07:00:00Z'), 'Friday night to Monday morning');
  assert.equal(nextChange({ off: [{ start: '00:00', end: '24:00' }] }, at('2026-12-02T12:00:00Z')), null);
  assert.deepEqual(scheduledAction(dev, null, at('2026-12-02T21:00:00Z')), { wants: 'off', action: 'hibernate' });
  assert.deepEqual(scheduledAction(dev, 'off', at('2026-12-02T22:00:00Z')), { wants: 'off', action: null }, 'a manual wake inside the window holds');
  assert.deepEqual(scheduledAction(dev, 'off', at('2026-12-03T07:01:00Z')), { wants: 'on', action: 'wake' });
  assert.deepEqual(scheduledAction(dev, null, at('2026-12-03T12:00:00Z')), { wants: 'on', action: null }, 'a first look never wakes a manual hibernation');
});

test('schedule checks name the field', () => {
  assert.deepEqual(scheduleIssues({ timezone: 'Nowhere/Town', off: [{ start: '07:00', end: '07:00' }] }).map((i) => i.field), ['/timezone', '/off/0/end']);
  assert.deepEqual(scheduleIssues({ off: [{ start: '24:00', end: '01:00' }] }, '/schedule').map((i) => i.field), ['/schedule/off/0/start']);
});

test('saved replica-hours and GPU-hours over periods, an open one counted until now, clipped to a window', () => {
  const periods = [
    { startedAt: '2026-12-02T20:00:00Z', endedAt: '2026-12-03T07:00:00Z', replicas: 4, gpus: 2 },
    { startedAt: '2026-12-03T20:00:00Z', endedAt: null, replicas: 4, gpus: 2 },
  ];
  assert.deepEqual(savings(periods, at('2026-12-03T22:00:00Z')), { replicaHours: 52, gpuHours: 26, hibernatedHours: 13 });
  assert.deepEqual(savings(periods, at('2026-12-03T22:00:00Z'), { from: at('2026-12-03T00:00:00Z') }), { replicaHours: 36, gpuHours: 18, hibernatedHours: 9 });
  assert.equal(trainingGpuHours({ gpus: 2, startedAt: '2026-12-02T10:00:00Z', finishedAt: '2026-12-02T11:30:00Z' }, at('2026-12-03T00:00:00Z')), 3);
});
