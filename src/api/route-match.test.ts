import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchRoute } from './route-match.ts';

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
