// The web console in headless Chromium (Debian's package, driven by playwright-core) against a real
// `fleetplane serve` on the embedded store, delivering to testbed cluster fp-1: the overview shows
// the seeded counts; a rollout's matrix updates live while it runs; pause/resume and a rollback go
// through the UI and change the store; a tenant token sees only its tenant, also when the URL is
// edited; axe-core finds no serious or critical violation. Screenshots go to SHOTS_DIR.
// Needs: bash scripts/console-build.sh, eval "$(bash scripts/chromium.sh ensure)", npm run testbed -- up
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Environment, Operation } from '../../src/domain/types.ts';
import type { RolloutView } from '../../src/engine/rollouts/types.ts';
import { getTestbed } from '../helpers/testbed.ts';
import { api, prepareFleet, publish, release, uniqueSlug, waitFor, type Api } from '../integration/engine.fixture.ts';
import { SHOTS_DIR, axe, consoleBuilt, launchBrowser, serveEmbedded, shot, signIn, type Served } from './support.ts';

const run = uniqueSlug('ui');
const A = `${run}-a`;
const B = `${run}-b`;
const C = `${run}-c`;
const adminToken = `fp_${randomBytes(24).toString('hex')}`;
let served: Served;
let client: Api;
let browser: Browser;
let tenantToken = '';
let rolloutId = '';
/** fp-1's Kubernetes version, read from its API server (the console must show the live one). */
let liveVersion = '';
const axeFindings: Array<{ page: string; id: string; impact: string | null; help: string; targets: string[] }> = [];

/** 1.1.0 whose web pods need a few seconds before they are Ready, so a rollout is watchable. */
function slowRelease(version: string, seconds: number): Record<string, unknown> {
  const doc = release(version) as { spec: { components: Array<Record<string, unknown>> } };
  doc.spec.components[0]!.probes = { readiness: { port: 'http', path: '/healthz/ready', initialDelaySeconds: seconds } };
  return doc as unknown as Record<string, unknown>;
}

const env = async (t: string, e: string) => (await client.call<Environment>('GET', `/v1/environments/${t}/${e}`)).body;

async function checkAxe(page: Page, name: string): Promise<void> {
  for (const v of await axe(page)) axeFindings.push({ page: name, id: v.id, impact: v.impact, help: v.help, targets: v.targets });
}

before(async () => {
  assert.ok(consoleBuilt(), 'the console is not built: run bash scripts/console-build.sh');
  const tb = await getTestbed({ clusters: 1 });
  served = await serveEmbedded({
    adminToken,
    env: { FLEETPLANE_ROLLOUT_INTERVAL_MS: '300', FLEETPLANE_VERIFY_TIMEOUT: '60s', FLEETPLANE_RECONCILE_INTERVAL: '0', FLEETPLANE_EVENTS_POLL_MS: '500' },
  });
  client = api(served.url, adminToken);
  const cluster = tb.clusters[0]!;
  liveVersion = (await cluster.client().version()).gitVersion;
  await prepareFleet(client, [cluster], release('1.0.0'));
  await publish(client, slowRelease('1.1.0', 3));
  const tenants: Array<[string, string[]]> = [[A, ['prod', 'staging']], [B, ['prod']], [C, ['prod']]];
  for (const [slug, envs] of tenants) {
    const r = await client.call('POST', '/v1/tenants', {
      slug, name: `${slug} Inc`, tier: 'shared',
      environments: envs.map((name) => ({ name, type: name, blueprint: 'demo-app', version: '1.0.0', cluster: cluster.name })),
    });
    assert.equal(r.status, 202, JSON.stringify(r.body));
  }
  await waitFor('every environment Ready', async () => {
    const all = await Promise.all(tenants.flatMap(([t, es]) => es.map((e) => env(t, e))));
    const bad = all.find((e) => e.health === 'Failed' || e.health === 'Degraded');
    if (bad) throw new Error(`${bad.tenant}/${bad.name} is ${bad.health}`);
    return all.every((e) => e.health === 'Ready');
  }, 300_000, 1000);
  const tok = await client.call<{ secret: string }>('POST', '/v1/tokens', { name: `${A}-admin`, role: 'tenant-admin', tenant: A });
  tenantToken = tok.body.secret;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await served?.stop();
  // Leave the shared testbed cluster as we found it.
  const kube = (await getTestbed({ clusters: 1 })).clusters[0]!.client();
  for (const slug of [A, B, C]) {
    for (const ns of await kube.list('v1', 'Namespace', { labelSelector: { 'fleetplane.io/tenant': slug } }).catch(() => [])) {
      await kube.delete({ apiVersion: 'v1', kind: 'Namespace', name: ns.metadata.name }).catch(() => undefined);
    }
  }
});

test('the overview shows the seeded counts, in words and numbers', async (t) => {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await signIn(page, served.url, adminToken);
  assert.ok(!page.url().includes(adminToken), 'the token never appears in the URL');
  await page.getByTestId('count-Ready').filter({ hasText: '4' }).waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('count-total').getByText('4', { exact: true }).count(), 1);
  assert.match(await page.getByTestId('count-total').innerText(), /3 tenants/);
  for (const h of ['Degraded', 'Failed', 'Drifted', 'Progressing']) assert.match(await page.getByTestId(`count-${h}`).innerText(), /\b0\b/, h);
  assert.match(await page.getByTestId('by-release').innerText(), /demo-app@1\.0\.0\s+4\s+4/);
  const clusters = page.getByTestId('clusters');
  await clusters.getByText('reachable').first().waitFor({ timeout: 30_000 });
  assert.ok(liveVersion.startsWith('v1.'), liveVersion);
  assert.ok(new RegExp(`fp-1[\\s\\S]*${liveVersion.replaceAll('.', '\\.')}`).test(await clusters.innerText()), `fp-1 with ${liveVersion}`);
  await page.getByText('Nothing: every environment is Ready').waitFor();
  t.diagnostic(`screenshot: ${await shot(page, 'overview')}`);
  await checkAxe(page, 'overview');
  await page.close();
});

test("a rollout's tenant x wave matrix updates live while it runs; pause and resume round-trip to the store", async (t) => {
  const created = await client.call<RolloutView>('POST', '/v1/rollouts', {
    blueprint: 'demo-app', version: '1.1.0', selector: { tenants: [A, B, C] }, strategy: { canary: { count: 1 }, waves: [50, 100], maxParallel: 1 },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  rolloutId = created.body.id;
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await signIn(page, served.url, adminToken);
  await page.goto(`${served.url}/rollouts/${rolloutId}`);
  const matrix = page.getByTestId('matrix');
  await matrix.waitFor();
  // Marks this document: a reload would lose it, so its survival proves the updates came live.
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
  await page.getByTestId('live-status').filter({ hasText: 'Live' }).waitFor({ timeout: 30_000 });
  await matrix.locator('.cell-env[data-state="running"]').first().waitFor({ timeout: 120_000 });
  t.diagnostic(`screenshot: ${await shot(page, 'rollout-in-progress')}`);
  await matrix.locator('.cell-env[data-state="succeeded"]').first().waitFor({ timeout: 180_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the page was not reloaded');
  await checkAxe(page, 'rollout');

  // Pause through the UI (with its confirmation) and see it in the store.
  const state = async () => (await client.call<RolloutView>('GET', `/v1/rollouts/${rolloutId}`)).body.state;
  if ((await state()) === 'running') {
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Pause this rollout?' });
    await dialog.getByRole('button', { name: 'Pause rollout' }).click();
    await waitFor('rollout paused in the store', async () => (await state()) === 'paused', 30_000);
    await page.locator('.status-paused').first().waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Resume', exact: true }).click();
    await page.getByRole('dialog', { name: 'Resume this rollout?' }).getByRole('button', { name: 'Resume rollout' }).click();
    await waitFor('rollout running again in the store', async () => ['running', 'succeeded'].includes(await state()), 30_000);
  } else {
    assert.fail(`the rollout finished before it could be paused (state ${await state()}); slow the release down`);
  }
  // Four upgrades one at a time: minutes on a loaded shared machine.
  await waitFor('rollout succeeded', async () => (await state()) === 'succeeded', 900_000, 2000);
  await page.locator('.status-succeeded').first().waitFor({ timeout: 30_000 });
  assert.equal(await matrix.locator('.cell-env[data-state="succeeded"]').count(), 4, 'every cell turned succeeded without a reload');
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42);
  await page.close();
});

test('a rollback to an earlier revision round-trips through the UI; diffs show what changes', async (t) => {
  const before = await env(A, 'prod');
  assert.equal(before.version, '1.1.0');
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await signIn(page, served.url, tenantToken);
  await page.goto(`${served.url}/tenants/${A}`);
  await page.getByTestId('environments').getByText('demo-app@1.1.0').first().waitFor();
  t.diagnostic(`screenshot: ${await shot(page, 'tenant')}`);
  await checkAxe(page, 'tenant');
  await page.getByRole('link', { name: 'prod', exact: true }).click();
  await page.getByRole('tab', { name: 'Revisions and rollback' }).click();
  const rows = page.getByTestId('revisions').locator('tr[data-revision]');
  await rows.first().waitFor();
  const earlier = page.getByTestId('revisions').locator('tr[data-revision]', { hasText: '1.0.0' }).first();
  const target = await earlier.getAttribute('data-revision');
  assert.ok(target && target !== before.appliedRevision);
  await earlier.getByRole('button', { name: 'Diff with applied' }).click();
  await page.getByTestId('diff').waitFor();
  assert.match(await page.getByTestId('diff-summary').innerText(), /[1-9]\d* objects? differ/);
  assert.match(await page.getByTestId('diff').innerText(), /initialDelaySeconds/);
  await page.getByTestId('diff').getByText('Deployment/web', { exact: false }).first().scrollIntoViewIfNeeded();
  t.diagnostic(`screenshot: ${await shot(page, 'diff', false)}`);
  await checkAxe(page, 'environment-diff');
  await earlier.getByRole('button', { name: 'Roll back to this' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
  await page.getByTestId('rollback-started').waitFor();
  const after = await waitFor('rolled back in the store', async () => {
    const e = await env(A, 'prod');
    return e.appliedRevision === target && e.health === 'Ready' ? e : null;
  }, 180_000, 1000);
  assert.equal(after.version, '1.0.0');
  const ops = await client.call<{ items: Operation[] }>('GET', `/v1/operations?tenant=${A}&environment=prod`);
  assert.ok(ops.body.items.some((o) => o.kind === 'rollback' && o.state === 'succeeded' && o.params.revision === target));
  await page.getByRole('tab', { name: 'Drift' }).click();
  await page.getByText(/The cluster matches revision|against the live cluster/).first().waitFor({ timeout: 30_000 });
  await page.close();
});

test('a tenant token sees only its tenant, in the page and by editing the URL', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const page = await ctx.newPage();
  const bodies: string[] = [];
  page.on('response', (r) => {
    if (r.url().includes('/v1/')) void r.text().then((b) => bodies.push(b), () => undefined);
  });
  await signIn(page, served.url, tenantToken);
  await page.getByTestId('count-total').filter({ hasText: '2' }).waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('scope').innerText(), new RegExp(`tenant ${A}`));
  assert.equal(await page.getByRole('link', { name: 'Rollouts' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Clusters' }).count(), 0);
  assert.ok(!(await page.content()).includes(B));
  for (const path of [`/tenants/${B}`, `/tenants/${B}/prod`, `/rollouts/${rolloutId}`, '/clusters']) {
    await page.goto(`${served.url}${path}`);
    await page.getByTestId('not-found').waitFor({ timeout: 30_000 });
    assert.ok(!(await page.content()).includes(`${B} Inc`), path);
  }
  await page.goto(`${served.url}/tenants/${A}`);
  await page.getByTestId('environments').waitFor();
  assert.ok(bodies.length > 3);
  assert.ok(bodies.every((b) => !b.includes(`"${B}"`) && !b.includes(`"tenant":"${C}"`)), 'no API answer carried another tenant');
  await ctx.close();
});

test('axe-core finds no serious or critical violation (login, overview, rollout, tenant, environment)', async () => {
  const page = await browser.newPage();
  await page.goto(`${served.url}/`);
  await page.getByLabel('API token').waitFor();
  await checkAxe(page, 'login');
  await page.close();
  const serious = axeFindings.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert.deepEqual(serious, [], `axe: ${JSON.stringify(serious, null, 1)}`);
  assert.ok(SHOTS_DIR);
});
