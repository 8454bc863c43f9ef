// GET /runbooks and /runbooks/{name}: the pages every alert's runbook_url points to, served by the
// API without a token as text/markdown; unknown names and path tricks get the API's 404 problem.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlPlaneRuleGroups } from '../../src/observability/control-plane.ts';
import { ruleGroups, RUNBOOK_PAGES } from '../../src/render/monitoring/index.ts';
import { BACKENDS, harness, type Harness } from '../helpers/api-harness.ts';

const DIR = join(import.meta.dirname, '../../docs/runbooks');
const BASE = 'http://fleetplane.test/runbooks';

function alertUrls(): string[] {
  const groups = [
    ...controlPlaneRuleGroups({ runbookBase: BASE }),
    ...ruleGroups({ tenant: 'acme', environment: 'prod', envType: 'prod', namespace: 'acme-prod', tier: 'shared', labels: {}, services: [{ name: 'web', component: 'web', port: 'http' }], runbookBase: BASE }),
  ];
  return [...new Set(groups.flatMap((g) => g.rules).flatMap((r) => ('alert' in r && r.annotations.runbook_url ? [r.annotations.runbook_url] : [])))];
}

for (const backend of BACKENDS) {
  describe(`runbooks (${backend})`, () => {
    let h: Harness;
    before(async () => {
      h = await harness(backend);
    });
    after(async () => h?.close());

    test('GET /runbooks/slo-availability-burn answers the Markdown without a token', async () => {
      const r = await h.req('GET', '/runbooks/slo-availability-burn', { token: null });
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/markdown; charset=utf-8');
      assert.equal(r.body, readFileSync(join(DIR, 'slo-availability-burn.md'), 'utf8'));
      assert.match(r.body, /^# ServiceAvailabilityBudgetBurn$/m);
    });

    test('GET /runbooks lists every page alerts link to, without a token', async () => {
      const r = await h.req('GET', '/runbooks', { token: null });
      assert.equal(r.status, 200);
      const names = r.body.items.map((i: { name: string }) => i.name);
      for (const name of RUNBOOK_PAGES) assert.ok(names.includes(name), `${name} listed`);
      const cp = r.body.items.find((i: { name: string }) => i.name === 'control-plane');
      assert.deepEqual(cp, { name: 'control-plane', title: 'Fleetplane control plane', href: '/runbooks/control-plane' });
    });

    test("every alert's runbook_url resolves to a page under /runbooks", async () => {
      const urls = alertUrls();
      assert.ok(urls.length >= 10);
      for (const url of urls) {
        const path = new URL(url).pathname;
        const r = await h.req('GET', path, { token: null });
        assert.equal(r.status, 200, url);
        assert.equal(r.headers['content-type'], 'text/markdown; charset=utf-8', url);
      }
    });

    test('unknown names and path tricks answer 404 problem+json', async () => {
      const names = ['no-such-runbook', '..%2Fpackage.json', '..%2F..%2Fpackage.json', '%2e%2e%2fpackage.json', '..%5Cpackage.json', 'control-plane.md', 'CONTROL-PLANE'];
      for (const path of names.map((n) => `/runbooks/${n}`)) {
        const r = await h.req('GET', path, { token: null });
        assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8', path);
        assert.equal(r.body.type, 'https://fleetplane.io/problems/not-found', path);
        assert.equal(r.body.status, 404, path);
        assert.equal(typeof r.body.requestId, 'string', path);
      }
    });

    test('dot segments never leave /runbooks', async () => {
      // The URL is normalized before routing, so these are other (unknown, authenticated) paths.
      for (const path of ['/runbooks/../package.json', '/runbooks/%2e%2e/package.json', '/runbooks/./../../package.json']) {
        const r = await h.req('GET', path, { token: null });
        assert.ok(r.status === 401 || r.status === 404, `${path}: ${r.status}`);
        assert.equal(r.headers['content-type'], 'application/problem+json; charset=utf-8', path);
        assert.ok(!JSON.stringify(r.body).includes('devDependencies'), `${path} leaks a file`);
      }
    });
  });
}
