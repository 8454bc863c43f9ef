import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute, routeSpecificity } from './route-match.ts';

test('route patterns match concrete paths', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/v1/tenants', '/v1/tenants', true],
    ['/v1/tenants', '/v1/tenants/', true],
    ['/v1/tenants/:tenant', '/v1/tenants/acme', true],
    ['/v1/tenants/:tenant', '/v1/tenants/acme/x', false],
    ['/v1/tenants/:tenant/environments/:env(^[a-z0-9-]+)::upgrade', '/v1/tenants/acme/environments/prod:upgrade', true],
    ['/v1/tenants/:tenant/environments/:env(^[a-z0-9-]+)::upgrade', '/v1/tenants/acme/environments/prod:patch', false],
    ['/v1/rollouts/:id(^[^:/]+)::pause', '/v1/rollouts/r-1:pause', true],
    ['/docs/*', '/docs/a/b', true],
    ['/v1/a.b', '/v1/aXb', false],
  ];
  for (const [pattern, path, ok] of cases) assert.equal(matchRoute(pattern, path), ok, `${pattern} ~ ${path}`);
});

test('the most literal matching pattern names the resource (Allow on custom-method paths)', () => {
  const path = '/v1/clusters/c1:cordon';
  const patterns = ['/v1/clusters/:name(^[^:]+$)', '/v1/clusters/:name(^[a-z0-9-]+)::cordon', '/v1/clusters/:name/evacuation-plan'];
  const matching = patterns.filter((p) => matchRoute(p, path));
  assert.deepEqual(matching, patterns.slice(0, 2), 'the param regex is ignored, so both match');
  const best = Math.max(...matching.map(routeSpecificity));
  assert.deepEqual(matching.filter((p) => routeSpecificity(p) === best), ['/v1/clusters/:name(^[a-z0-9-]+)::cordon']);
  assert.equal(routeSpecificity('/v1/tokens/:id'), '/v1/tokens/'.length);
  assert.equal(routeSpecificity('/v1/tokens/:id(^[A-Za-z0-9_-]+)::rotate'), '/v1/tokens/:rotate'.length);
  assert.equal(routeSpecificity('/docs/*'), '/docs/'.length);
});
