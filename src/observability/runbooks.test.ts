// Every alert Fleetplane generates links to a runbook that exists: the page is a file in
// docs/runbooks, and a control-plane alert's anchor is a heading of control-plane.md. Adding an alert
// without writing its runbook fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../domain/errors.ts';
import { ENVIRONMENT_TYPES, TIERS } from '../domain/types.ts';
import { controlPlaneRuleGroups } from './control-plane.ts';
import { renderMonitoringShaped } from '../render/bulk/monitoring.ts';
import { DEFAULT_RUNBOOK_BASE, RUNBOOK_PAGES, renderMonitoring, resolveRunbookBase, ruleGroups, type AlertingRule, type MonitoringContext, type RuleGroup } from '../render/monitoring/index.ts';

const DIR = join(import.meta.dirname, '../../docs/runbooks');
const BASE = 'https://ops.example.com/fleetplane/runbooks';

const ctx = (over: Partial<MonitoringContext> = {}): MonitoringContext => ({
  tenant: 'acme', environment: 'prod', envType: 'prod', namespace: 'acme-prod', tier: 'shared', labels: {},
  services: [{ name: 'web', component: 'web', port: 'http' }],
  ...over,
});

const alertsOf = (groups: RuleGroup[]): AlertingRule[] => groups.flatMap((g) => g.rules).filter((r): r is AlertingRule => 'alert' in r);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to "-". */
const anchor = (heading: string): string => heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
const anchors = (markdown: string): Set<string> => new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1]!)));
const page = (name: string): string => readFileSync(join(DIR, `${name}.md`), 'utf8');

function everyAlert(runbookBase?: string): AlertingRule[] {
  const out = alertsOf(controlPlaneRuleGroups(runbookBase ? { runbookBase } : {}));
  for (const tier of TIERS) {
    for (const envType of ENVIRONMENT_TYPES) out.push(...alertsOf(ruleGroups(ctx({ tier, envType, ...(runbookBase ? { runbookBase } : {}) }))));
  }
  return out;
}

test('every runbook page alerts may link to exists in docs/runbooks', () => {
  for (const name of RUNBOOK_PAGES) assert.ok(existsSync(join(DIR, `${name}.md`)), `docs/runbooks/${name}.md is missing`);
});

test('every alert links to an existing runbook page (and heading) under the base it was given', () => {
  const alerts = everyAlert(BASE);
  assert.ok(alerts.length >= 8 + 4 * 9);
  for (const a of alerts) {
    const url = a.annotations.runbook_url ?? '';
    assert.ok(url.startsWith(`${BASE}/`), `${a.alert}: ${url}`);
    const [name, hash] = url.slice(BASE.length + 1).split('#') as [string, string | undefined];
    assert.ok((RUNBOOK_PAGES as readonly string[]).includes(name), `${a.alert}: unknown page ${name}`);
    assert.ok(existsSync(join(DIR, `${name}.md`)), `${a.alert}: docs/runbooks/${name}.md is missing`);
    if (hash !== undefined) assert.ok(anchors(page(name)).has(hash), `${a.alert}: no heading with anchor #${hash} in docs/runbooks/${name}.md`);
  }
});

test('each control-plane alert has its own section that quotes its expression', () => {
  const md = page('control-plane');
  const sections = md.split(/^## /m).slice(1);
  for (const a of alertsOf(controlPlaneRuleGroups())) {
    assert.equal(a.annotations.runbook_url, `${DEFAULT_RUNBOOK_BASE}/control-plane#${a.alert.toLowerCase()}`);
    const section = sections.find((s) => s.startsWith(`${a.alert}\n`));
    assert.ok(section, `docs/runbooks/control-plane.md has no "## ${a.alert}" section`);
    assert.ok(section.includes(a.expr), `${a.alert}: the runbook does not quote the expression ${a.expr}`);
  }
});

test('the SLO runbooks name their alert', () => {
  const [availability, latency] = [page('slo-availability-burn'), page('slo-latency-burn')];
  assert.match(availability, /^# ServiceAvailabilityBudgetBurn$/m);
  assert.match(latency, /^# ServiceLatencyBudgetBurn$/m);
});

test('without a base, alerts link to the local `fleetplane serve`', () => {
  for (const a of everyAlert()) assert.ok(a.annotations.runbook_url?.startsWith(`${DEFAULT_RUNBOOK_BASE}/`), a.annotations.runbook_url);
  assert.equal(DEFAULT_RUNBOOK_BASE, 'http://127.0.0.1:8080/runbooks');
});

test('rendered PrometheusRules follow the base, directly and from an already built bulk shape', () => {
  const direct = (runbookBase: string) => renderMonitoring(ctx({ runbookBase })).find((o) => o.kind === 'PrometheusRule');
  const shaped = (runbookBase: string) => renderMonitoringShaped(ctx({ runbookBase })).find((o) => o.object.kind === 'PrometheusRule')?.object;
  for (const render of [direct, shaped]) {
    for (const base of ['https://a.example.com/rb', 'https://b.example.com/rb']) {
      const urls = JSON.stringify(render(base)).match(/"runbook_url":"[^"]+"/g);
      assert.equal(urls?.length, 4);
      assert.ok(urls.every((u) => u.includes(`${base}/slo-`)), urls.join());
    }
  }
});

test('an invalid base is an InputError', () => {
  for (const bad of ['runbooks', 'https://x.example.com/rb/', 'ftp://x.example.com', 'https://x.example.com/rb?x=1', 'https://x.example.com/"rb']) {
    assert.throws(() => controlPlaneRuleGroups({ runbookBase: bad }), InputError, bad);
    assert.throws(() => renderMonitoring(ctx({ runbookBase: bad })), (e: unknown) => e instanceof InputError && e.issues[0]!.field === '/runbookBase', bad);
  }
});

test('resolveRunbookBase: FLEETPLANE_RUNBOOK_URL when set, else the API URL + /runbooks', () => {
  assert.equal(resolveRunbookBase('https://wiki.example.com/fleetplane/', 'http://127.0.0.1:8080'), 'https://wiki.example.com/fleetplane');
  assert.equal(resolveRunbookBase(undefined, 'https://fleetplane.internal:8443/'), 'https://fleetplane.internal:8443/runbooks');
  assert.equal(resolveRunbookBase('  ', 'http://127.0.0.1:8080'), 'http://127.0.0.1:8080/runbooks');
  assert.throws(() => resolveRunbookBase('wiki/runbooks', 'http://127.0.0.1:8080'), (e: unknown) => e instanceof InputError && /FLEETPLANE_RUNBOOK_URL/.test(e.message));
  assert.throws(() => resolveRunbookBase(undefined, 'not a url'), InputError);
});
