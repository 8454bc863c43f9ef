import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { BacktestResult } from './backtest.ts';
import { formatTable, median, summarize } from './report.ts';

function result(wape: Record<string, number>, over: [number, number], cost: [number, number]): BacktestResult {
  const sim = (o: number, c: number) => ({ overCapacityMinutes: o, replicaMinutes: c, peakReplicas: 3, minutes: 100 });
  return {
    points: 1000, testFrom: 700, origins: 60, period: 0,
    horizons: [{ horizon: 15, wape, chosen: ['ridge'] }],
    simulation: { capacity: 1, startupMinutes: 3, leadTimeMinutes: 5, reactive: sim(over[0], cost[0]), predictive: sim(over[1], cost[1]) },
  };
}

it('median of finite values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

it('summarizes medians, the best baseline per horizon and simulator totals', () => {
  const reports = [
    { file: 'a.csv', result: result({ selector: 0.1, last_value: 0.2, same_time_yesterday: 0.3, ridge: 0.12 }, [10, 2], [100, 110]) },
    { file: 'b.csv', result: result({ selector: 0.2, last_value: 0.3, same_time_yesterday: 0.25 }, [20, 8], [200, 210]) },
    { file: 'c.csv', result: result({ selector: 0.3, last_value: 0.5, same_time_yesterday: 0.2, ridge: 0.4 }, [0, 0], [50, 50]) },
  ];
  const s = summarize(reports);
  assert.equal(s.medianWape[15]!.selector, 0.2);
  // ridge is missing on b.csv: it counts as that trace's last-value error (0.3), not as absent.
  assert.equal(s.medianWape[15]!.ridge, 0.3);
  assert.deepEqual(s.bestBaseline[15], { name: 'same_time_yesterday', wape: 0.25 });
  assert.equal(s.simulation.reactiveOver, 30);
  assert.equal(s.simulation.predictiveOver, 10);
  assert.ok(Math.abs(s.simulation.costRatio - 370 / 350) < 1e-12);
  const table = formatTable(reports, s);
  assert.match(table, /^a\.csv/m);
  assert.match(table, /median across traces/);
  assert.match(table, /over-capacity minutes 30 -> 10/);
});
