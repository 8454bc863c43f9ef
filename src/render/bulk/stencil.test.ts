import { test } from 'node:test';
import assert from 'node:assert/strict';
// The monitoring stencils (bulk rendering) give exactly the direct build, and the stencil compiler's
// own contract: fresh copies, escaping refused, text slots in any order.
import { canonicalJson } from '../../domain/canonical.ts';
import { dashboardConfigMap, prometheusRule, renderMonitoring, serviceMonitor, type MonitoringContext } from '../monitoring/index.ts';
import { renderMonitoringShaped, renderMonitoringShapedValues } from './monitoring.ts';
import { compile, compileText, fillText, slot } from './stencil.ts';

const base: MonitoringContext = {
  tenant: 'acme', environment: 'prod', envType: 'prod', namespace: 'acme-prod', tier: 'dedicated',
  labels: { 'app.kubernetes.io/managed-by': 'fleetplane', 'fleetplane.io/revision': '' },
  services: [{ name: 'web', component: 'web', port: 'http' }, { name: 'model', component: 'model', port: 'metrics', path: '/stats' }],
};

const cases: MonitoringContext[] = [
  base,
  { ...base, tenant: 'b', environment: 'prod-eu', namespace: 'b-prod-eu-1234abcd', tier: 'shared', envType: 'staging' },
  // Names long enough that objectName() shortens them with a hash: must match the direct build.
  { ...base, tenant: 'a'.repeat(40), environment: 'sandbox-'.repeat(6).slice(0, 39), namespace: 'x'.repeat(63), tier: 'hybrid', envType: 'dev' },
  { ...base, services: [{ name: 'api', component: 'api', port: 'http' }] },
];

test('stencil output equals the directly built objects, and json is their canonical JSON', () => {
  for (const c of cases) {
    for (let round = 0; round < 2; round++) { // the second round is served from the shape cache
      const got = renderMonitoringShaped(c);
      assert.deepEqual(got.map((g) => g.object), [serviceMonitor(c), prometheusRule(c), dashboardConfigMap(c)]);
      assert.deepEqual(got.map((g) => g.json), renderMonitoring(c).map((o) => canonicalJson(o)));
      for (const g of got) assert.equal(g.json, canonicalJson(g.object), `${g.object.kind} canonical JSON`);
    }
  }
});

test('filled copies share nothing and slot values needing escapes are refused', () => {
  const s = compile({ a: [{ b: `x${slot(0)}y` }], c: 1 });
  const one = s.fill(['1']);
  const two = s.fill(['2']);
  assert.deepEqual(one.value, { a: [{ b: 'x1y' }], c: 1 });
  assert.equal(two.json, '{"a":[{"b":"x2y"}],"c":1}');
  assert.notEqual(one.value.a, two.value.a);
  assert.throws(() => s.fill(['"']), /needs escaping/);
  assert.equal(fillText(compileText(`${slot(1)}-${slot(0)}`), ['a', 'b']), 'b-a');
});

test('value(): the same value as fill(), its parts without slots shared and frozen, the same escaping check', () => {
  const s = compile({ a: [{ b: `x${slot(0)}y` }], c: { d: [1, 2], e: 'f' } });
  const one = s.value(['1']);
  const two = s.value(['2']);
  assert.deepEqual(one, s.fill(['1']).value);
  assert.deepEqual(two, { a: [{ b: 'x2y' }], c: { d: [1, 2], e: 'f' } });
  assert.notEqual(one.a, two.a, 'slotted parts are fresh');
  assert.equal(one.c, two.c, 'constant parts are shared');
  assert.ok(Object.isFrozen(one.c) && Object.isFrozen(one.c.d));
  assert.throws(() => s.value(['"']), /needs escaping/);
});

test('renderMonitoringShapedValues gives the objects renderMonitoringShaped gives', () => {
  for (const c of cases) assert.deepEqual(renderMonitoringShapedValues(c), renderMonitoringShaped(c).map((g) => g.object));
});
