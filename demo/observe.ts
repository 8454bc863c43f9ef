// Steps (h) and (i): fleet health, a few lines of /metrics (per-tenant RED), a tenant's Grafana
// dashboard, and the forecaster's backtest on real traces.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { ApiClient } from '../src/cli/client.ts';
import { describeFleetHealth, type FleetHealthView } from '../src/cli/commands/fleet.ts';
import { ROOT } from './server.ts';
import { block, note } from './ui.ts';

const run = promisify(execFile);

export async function fleetHealth(client: ApiClient): Promise<void> {
  note('GET /v1/fleet/health (each cluster API probed live):');
  const { body } = await client.get<FleetHealthView>('/v1/fleet/health');
  block(describeFleetHealth(body));
}

const INTERESTING = [
  /^fleetplane_http_requests_total\{.*tenant="(acme|globex)"/,
  /^fleetplane_operations_total\{/,
  /^fleetplane_drift_(detected|healed)_total\{/,
  /^fleetplane_environments\{.*\} [1-9]/,
  /^fleetplane_rollouts\{.*\} [1-9]/,
];

export async function metrics(client: ApiClient): Promise<void> {
  const res = await fetch(client.url('/metrics'));
  const text = await res.text();
  const lines = text.split('\n');
  const picked = INTERESTING.flatMap((re) => lines.filter((l) => re.test(l)).slice(0, 4));
  note(`GET /metrics: ${lines.filter((l) => l && !l.startsWith('#')).length} samples; a few of them (RED per tenant, operations, drift):`);
  block(picked.join('\n') || '(none of the expected series found)');
}

export async function dashboard(client: ApiClient, tenant: string, env: string): Promise<void> {
  const { body: list } = await client.get<{ items: Array<{ environment: string; uid: string; title: string; href: string }> }>(`/v1/tenants/${tenant}/dashboards`);
  note(`GET /v1/tenants/${tenant}/dashboards: ${list.items.map((d) => `${d.title} (uid ${d.uid})`).join(', ')}`);
  const { body, headers } = await client.get<{ title?: string; panels?: Array<{ title?: string; type?: string }> }>(`/v1/tenants/${tenant}/dashboards/${env}`);
  const panels = (body.panels ?? []).filter((p) => p.type !== 'row');
  note(`download ${headers.get('content-disposition') ?? ''}: "${body.title}", ${panels.length} panels, e.g. ${panels.slice(0, 4).map((p) => p.title).join(' | ')}`);
  note('import it into Grafana (Dashboards → Import) with a Prometheus data source scraping the tenant\'s namespaces');
}

/** ../shared/data/traces/crane relative to the repo root, or FLEETPLANE_DEMO_TRACES. */
export function traceFiles(): string[] {
  const dir = process.env.FLEETPLANE_DEMO_TRACES ?? resolve(ROOT, '../shared/data/traces/crane');
  return ['input0.csv', 'input3.csv'].map((f) => join(dir, f)).filter((f) => existsSync(f));
}

export async function forecast(): Promise<void> {
  const files = traceFiles();
  if (files.length === 0) throw new Error('no traces found in ../shared/data/traces/crane (set FLEETPLANE_DEMO_TRACES to a directory of ts,value CSVs)');
  note(`fleetplane forecast backtest ${files.map((f) => f.replace(`${resolve(ROOT, '..')}/`, '../')).join(' ')}`);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'forecast', 'backtest', ...files], { cwd: ROOT, maxBuffer: 8 * 1024 * 1024 });
  // The per-trace tables, without the repeated median section when there is one trace.
  block(stdout.trimEnd());
}
