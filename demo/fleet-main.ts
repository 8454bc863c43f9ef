// The big tour's run: data directory (an earlier run's fleet removed first), Argo CD for the GitOps
// customers, the demo's Prometheus, `fleetplane serve` on the embedded store, the steps of
// demo/fleet.ts, then either the wait for Ctrl-C (the fleet stays for exploring; the next run removes
// it) or, with --exit, offboarding everyone and removing the data.
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiClient } from '../src/cli/client.ts';
import { table } from '../src/cli/output.ts';
import { coerceError } from '../src/domain/errors.ts';
import { runningClusters, type DemoCluster } from './clusters.ts';
import {
  fleetRollback, landing, onboardFleet, publishFleetReleases, registerFleetClusters, reportOnboarding, reportRollout, rollFleet,
  selfManaged, thePlan, whereToLook, type FleetContext, type Onboarding, type RolloutOutcome,
} from './fleet.ts';
import { CUSTOMERS, type FleetPlan } from './fleet-plan.ts';
import { argoApplications, argocdForDemo, showRepo, type DemoArgo } from './gitops.ts';
import { fleetDataDir, offboardFleet, removePrevious, saveRecord } from './lifecycle.ts';
import { startPrometheus, waitScraped, type DemoPrometheus } from './prometheus.ts';
import { CHILDREN, freePort, startServer, stopServer, waitReady } from './server.ts';
import type { Doc } from './tenants.ts';
import { block, note, say, Tour } from './ui.ts';

/**
 * Engine settings of the big tour (the caller's environment wins). 24 workers: the 2-core machine's
 * serve process is CPU-bound beyond that; verify gives pods on a loaded testbed 2 minutes; drift
 * scans every 5 minutes (a pass lists ~20 kinds per environment: 6,000 LISTs for 300 of them, which
 * would compete with onboarding and the rollouts for the testbed's API servers).
 */
export const FLEET_ENGINE_ENV: Record<string, string> = {
  FLEETPLANE_WORKER_CONCURRENCY: '24',
  FLEETPLANE_VERIFY_TIMEOUT: '120s',
  FLEETPLANE_VERIFY_ATTEMPTS: '1',
  FLEETPLANE_RECONCILE_INTERVAL: '300s',
  FLEETPLANE_CLUSTER_REFRESH_INTERVAL: '10s',
  FLEETPLANE_RETRY_BASE_MS: '500',
  FLEETPLANE_ROLLOUT_INTERVAL_MS: '1000',
};

async function steps(t: Tour, c: FleetContext, plan: FleetPlan, clusters: DemoCluster[], started: number): Promise<void> {
  await t.step(`a. register the ${clusters.length} testbed clusters: providers, regions, residency, prices`, () => registerFleetClusters(c, plan.dedicated));
  let docs: Record<string, Doc> = {};
  await t.step('b. publish releases 1.4.0 and 1.5.0 of default (GPU inference) and default-cpu', async () => {
    docs = await publishFleetReleases(c);
  });
  let ob: Onboarding | null = null;
  const envCount = plan.tenants.reduce((n, x) => n + x.environments.length, 0);
  await t.step(`c. onboard ${plan.tenants.length} customers x 5 environments (${envCount}): one POST /v1/tenants each`, async () => {
    ob = await onboardFleet(c, plan, { parallel: 4, timeoutS: 1500 });
    c.timings.onboarding = ob.readySeconds;
    reportOnboarding(ob, 'direct');
  });
  await t.step(`d. GitOps customers (${plan.gitops.join(', ')}) through the real Argo CD`, async () => {
    if (!ob) throw new Error('onboarding did not run');
    let failure: unknown = null;
    try {
      reportOnboarding(ob, 'gitops');
    } catch (err) {
      failure = err;
    }
    const first = plan.gitops[0];
    const repo = first ? c.gitRepos.get(first) : undefined;
    if (repo) await showRepo(repo.path).catch((err) => note(`✗ ${coerceError(err).message}`));
    for (const tenant of plan.gitops) await argoApplications(clusters, tenant).catch(() => undefined);
    if (failure) throw failure;
  });
  await t.step(`e. where the ${envCount} environments landed`, () => landing(c, plan));
  let outcomes: RolloutOutcome[] = [];
  await t.step('f. roll 1.5.0 out in canary waves (health gate, metric gate), three rollouts at once', async () => {
    const t0 = Date.now();
    outcomes = await rollFleet(c, 1500);
    c.timings.rollouts = (Date.now() - t0) / 1000;
  });
  for (const [i, o] of outcomes.entries()) await t.step(`f${i + 1}. ${o.label}`, async () => reportRollout(o));
  // A small tour (FLEETPLANE_DEMO_CUSTOMERS) may have no shared starter customer on direct delivery.
  const victim = plan.tenants.find((x) => x.tier === 'shared' && x.labels.plan === 'starter' && x.labels.delivery === 'direct' && !x.channel && !plan.eu.includes(x.slug));
  if (!victim) t.skip('g. a bad release (default-cpu 1.5.1) is rolled back automatically', 'this tour has no shared starter customer on direct delivery (more FLEETPLANE_DEMO_CUSTOMERS)');
  else {
    await t.step(`g. a bad release (default-cpu 1.5.1) on ${victim.slug}/prod is rolled back automatically`, async () => {
      const t0 = Date.now();
      await fleetRollback(c, docs, victim.slug);
      c.timings.rollback = (Date.now() - t0) / 1000;
    });
  }
  await t.step(`h. self-managed customers (${plan.selfManaged.join(', ')}): a signed bundle`, () => selfManaged(c, plan));
  await t.step('i. summary: what runs, and where to look', () => whereToLook(c, plan, started));
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      say('');
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

function summary(t: Tour, started: number, c: FleetContext | null): void {
  say('\n== summary');
  block(table(t.results, [['STEP', (r) => r.name], ['RESULT', (r) => (r.ok ? 'ok' : 'FAILED')], ['TIME', (r) => `${r.seconds.toFixed(1)}s`], ['REASON', (r) => r.reason?.slice(0, 120)]]));
  const total = (Date.now() - started) / 1000;
  say(`  tour time ${Math.floor(total / 60)} min ${Math.round(total % 60)} s${c ? `; onboarding ${c.timings.onboarding?.toFixed(0) ?? '-'} s, rollouts ${c.timings.rollouts?.toFixed(0) ?? '-'} s` : ''}; ${t.failed.length ? `${t.failed.length} step(s) FAILED` : 'every step ok'}`);
}

/** A signal outside the wait for Ctrl-C stops every child (servers run in their own process groups) and exits. */
function stopOnSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return; // waitForSignal() has it
  for (const child of CHILDREN) child.kill('SIGTERM');
  say(`\nstopped by ${signal}: the fleet stays on the clusters; the next \`npm run demo\` (or \`-- --reset\`) removes it`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

export async function runFleet(o: { exit: boolean; reset: boolean }): Promise<number> {
  const started = Date.now();
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  const dataDir = fleetDataDir();
  let plan: FleetPlan;
  try {
    plan = thePlan();
  } catch (err) {
    say(coerceError(err).message);
    return 2;
  }
  // fp-1..fp-3 (others, e.g. upgrade tests' fp-4, are not the tour's).
  const clusters = (await runningClusters()).filter((k) => /^fp-[123]$/.test(k.name)).sort((a, b) => a.name.localeCompare(b.name));
  if (clusters.length === 0) {
    say('no testbed cluster is running: run `npm run testbed -- up --clusters 3` (scripts/demo.sh does)');
    return 1;
  }
  const t = new Tour();
  try {
    const removed = await removePrevious(dataDir, clusters, CUSTOMERS);
    if (o.reset) {
      say(removed ? 'reset: done' : `reset: nothing to remove (${dataDir} does not exist)`);
      return 0;
    }
  } catch (err) {
    say(`✗ ${coerceError(err).message}`);
    return 1;
  }
  await mkdir(dataDir, { recursive: true });
  const logFile = join(dataDir, 'serve.log');
  const token = `fpt_${randomBytes(24).toString('base64url')}`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const client = new ApiClient({ server: url, token });
  say(`fleetplane serve on ${url}, embedded store in ${dataDir}; server logs (JSON): ${logFile}`);
  say(`engine settings: ${Object.entries(FLEET_ENGINE_ENV).map(([k, v]) => `${k}=${process.env[k] ?? v}`).join(' ')}`);

  let argo: DemoArgo | null = null;
  try {
    argo = await argocdForDemo(dataDir, plan.gitops, (l) => say(l));
  } catch (err) {
    say(`✗ Argo CD did not start (${coerceError(err).message.split('\n')[0]}): the GitOps customers will fail`);
  }
  let prom: DemoPrometheus | null = null;
  try {
    prom = await startPrometheus(dataDir, `127.0.0.1:${port}`);
    say(`Prometheus on ${prom.url} scraping the server every 5 s`);
  } catch (err) {
    say(`✗ Prometheus did not start (${coerceError(err).message}): the rollouts run without their metric gate`);
  }
  const env = { ...(argo?.env ?? {}), ...(prom ? { FLEETPLANE_PROMETHEUS_URL: prom.url } : {}) };
  const child = startServer({ port, dataDir, logFile, token, workers: true, env, defaults: FLEET_ENGINE_ENV });
  await saveRecord(dataDir, { token, env, defaults: FLEET_ENGINE_ENV, gitops: plan.gitops, startedAt: new Date().toISOString(), ...(child.pid ? { pid: child.pid } : {}) });
  const c: FleetContext = { client, clusters, url, token, dataDir, prometheusUrl: prom?.url ?? null, gitRepos: argo?.repos ?? new Map(), timings: {} };
  let offboarded = false;
  let summarized = false;
  try {
    await waitReady(client, child, 240_000);
    if (prom) await waitScraped(prom.url, 60_000).catch((err) => say(`✗ ${coerceError(err).message}`));
    await steps(t, c, plan, clusters, started);
    const stay = !o.exit && process.stdin.isTTY === true;
    if (stay) {
      summary(t, started, c);
      summarized = true;
      say(`\n== exploring: the server keeps running on ${url} (console at /); Ctrl-C stops it (the fleet stays on the clusters until the next run or --reset)`);
      await waitForSignal();
    } else {
      if (!o.exit) note('stdin is not a terminal: finishing as with --exit');
      await t.step('j. offboard every customer (the clusters are left as found)', async () => {
        const t0 = Date.now();
        await offboardFleet(client, clusters, plan.tenants.map((x) => x.slug));
        c.timings.offboarding = (Date.now() - t0) / 1000;
      });
      offboarded = t.results.at(-1)?.ok === true;
    }
  } catch (err) {
    say(`demo stopped: ${coerceError(err).message.split('\n')[0]}`);
    t.results.push({ name: 'server', ok: false, seconds: 0, reason: String(err) });
  } finally {
    await stopServer(child);
    await prom?.stop();
    if (offboarded) {
      await argo?.cleanup().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
      say('\nserver and Prometheus stopped; fleet offboarded, data removed');
    } else {
      say(`\nserver and Prometheus stopped; the fleet and ${dataDir} are kept (the next \`npm run demo\` or \`-- --reset\` removes them)`);
    }
  }
  if (!summarized) summary(t, started, c);
  return t.failed.length ? 1 : 0;
}
