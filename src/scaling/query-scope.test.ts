import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QueryScopeError, checkTenantQuery, scopeQuery } from './query-scope.ts';

test('every series selector gets the environment namespace, wherever it is in the expression', () => {
  assert.equal(scopeQuery('sum(rate(http_requests_total{job="web"}[2m]))', 'acme-prod'), 'sum(rate(http_requests_total{job="web",namespace="acme-prod"}[2m]))');
  assert.equal(scopeQuery('up', 'a'), 'up{namespace="a"}');
  assert.equal(scopeQuery('max_over_time(foo[1h:5m]) / on() group_left bar{} + {__name__="baz",}', 'a'),
    'max_over_time(foo{namespace="a"}[1h:5m]) / on() group_left bar{namespace="a"} + {__name__="baz",namespace="a"}');
});

test('a query that picks its own namespace, or is not PromQL, is refused', () => {
  for (const q of ['up{namespace="kube-system"}', 'up{namespace=~".+"}', 'up{"namespace"!="x"}', 'sum(rate(', '1 + 2', 'up{a="b"']) {
    assert.throws(() => checkTenantQuery(q), QueryScopeError, q);
  }
});
