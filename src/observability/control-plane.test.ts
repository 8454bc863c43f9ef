import { test } from 'node:test';
import assert from 'node:assert/strict';
import '../metrics/engine.ts';
import '../metrics/http.ts';
import { registry } from '../metrics/registry.ts';
import { controlPlaneDashboard, controlPlaneRuleGroups } from './control-plane.ts';
import { metricNames } from '../../test/helpers/promql.ts';

async function producedNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const m of await registry.getMetricsAsJSON()) {
    names.add(m.name);
    if (String(m.type) === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(`${m.name}${s}`);
  }
  return names;
}

test('control-plane alerts and dashboard query only metrics the control plane registers', async () => {
  const produced = await producedNames();
  const exprs = [
    ...controlPlaneRuleGroups().flatMap((g) => g.rules.map((r) => r.expr)),
    ...controlPlaneDashboard().panels.flatMap((p) => ((p.targets as Array<{ expr: string }> | undefined) ?? []).map((t) => t.expr)),
  ];
  const used = new Set(exprs.flatMap(metricNames));
  assert.ok(used.size >= 10);
  for (const m of used) assert.ok(produced.has(m), `${m} is not a registered metric`);
});

test('control-plane dashboard: unique panel ids, one target per panel at least, a grid without overlaps', () => {
  const d = controlPlaneDashboard();
  const ids = d.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(d.panels.every((p) => ((p.targets as unknown[] | undefined) ?? []).length > 0));
  const cells = new Set<string>();
  for (const p of d.panels) {
    const { x, y, w, h } = p.gridPos;
    assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${p.title} fits Grafana's 24-column grid`);
    for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
      assert.ok(!cells.has(`${i},${j}`), `${p.title} overlaps another panel at ${i},${j}`);
      cells.add(`${i},${j}`);
    }
  }
  // What Grafana imports is the JSON text: it must read back as the same dashboard.
  assert.deepEqual(JSON.parse(JSON.stringify(d)), d);
});
