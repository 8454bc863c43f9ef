// `npm run demo`: the product at its real scale on the embedded default (demo/fleet.ts): the testbed
// clusters registered with differing providers, regions and prices, two releases, 60 customers x 5
// environments onboarded through the API, 1.5.0 rolled out in canary waves with health and metric
// gates, one automatic rollback, a summary of where to look; then the server stays up for exploring
// until Ctrl-C. Flags:
//   --exit   run the same and exit (scripts, CI): the fleet is offboarded and the data removed at the end
//   --small  the 4-tenant tour of every feature (drift, GitOps repo, forecast, …), the earlier `npm run demo`
//   --reset  only remove what an earlier run left (tenants, namespaces, data directory), then exit
// Each step is titled; a failed step prints why, the tour goes on, and the exit code is 1 at the end.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../src/cli/client.ts';
import { table } from '../src/cli/output.ts';
import { bundle } from './bundle.ts';
import { liveObjects, registerClusters, runningClusters, waitNamespacesGone, type DemoCluster } from './clusters.ts';
import { argoApplications, argocdForDemo, showLog, showRepo, type DemoArgo } from './gitops.ts';
import { dashboard, fleetHealth, forecast, metrics } from './observe.ts';
import { explore } from './explore.ts';
import { offboardAll } from './offboard.ts';
import { brokenUpgrade, drift, fleetRollout } from './rollout.ts';
import { DEMO_ENGINE_ENV, freePort, startServer, stopServer, waitReady } from './server.ts';
import { badRequest, demoTenants, environments, envTable, follow, loadRelease, onboard, publish, type Doc } from './tenants.ts';
import { block, note, say, Tour } from './ui.ts';
import { coerceError } from '../src/domain/errors.ts';
import { runFleet } from './fleet-main.ts';

const BLUEPRINT = 'default';

interface TourOptions {
  /** The GitOps tenant's repo and the real Argo CD's settings. */
  argo: DemoArgo;
  /** Without --exit: wait here (console URL and tokens printed) before offboarding. */
  explore?: () => Promise<void>;
}

async function tour(t: Tour, client: ApiClient, clusters: DemoCluster[], o: TourOptions): Promise<void> {
  const { argo } = o;
  const tenants = demoTenants(BLUEPRINT, '1.4.0');
  const slugs = tenants.map((x) => x.slug);
  const dedicated = { cluster: clusters.length >= 3 ? clusters[clusters.length - 1]!.name : '', tenant: 'globex' };
  await t.step('a. register the testbed clusters', () => registerClusters(client, clusters, dedicated));

  const releases: Record<string, Doc> = {};
  await t.step('b. publish releases 1.4.0 and 1.5.0 of blueprints/default', async () => {
    for (const v of ['1.4.0', '1.5.0']) {
      releases[v] = await loadRelease(v);
      const r = await publish(client, releases[v]);
      note(`POST /v1/blueprints ${r.name}@${r.version}  digest ${r.digest.slice(0, 16)}  (${String((releases[v].metadata as { description?: string }).description ?? '')})`);
    }
  });

  {
    await t.step('c. onboard 4 tenants, one call each', async () => {
      const ops = await onboard(client, tenants);
      note('a bad request is refused with problem+json naming the offending field:');
      await badRequest(client, BLUEPRINT, '1.4.0');
      note(`following ${ops.length} onboard operations (place → render → deliver → verify → record):`);
      const done = await follow(client, ops.map((o) => o.id), 'onboarding', 300);
      const failed = done.filter((o) => o.state !== 'succeeded');
      for (const o of failed) note(`✗ ${o.tenant}/${o.environment}: ${o.state}: ${o.error ?? ''}`);
      if (failed.length) throw new Error(`${failed.length} of ${done.length} onboardings did not succeed`);
    });

    await t.step('d. where the environments landed, and what is on the clusters', async () => {
      block(envTable(await environments(client, slugs)));
      note('counted on the clusters themselves (kube adapter, label selector fleetplane.io/tenant):');
      await liveObjects(clusters, slugs);
    });

    await t.step('e. the GitOps environment: umbrella/prod in its tenant repo, synced by Argo CD', async () => {
      await showRepo(argo.repo);
      await argoApplications(clusters, 'umbrella');
    });
    await t.step('f. drift: a Deployment deleted by hand is detected and healed', () => drift(client, clusters, 'acme', 'prod'));
    await t.step('g1. fleet rollout of 1.5.0 in waves, canary first', async () => {
      await fleetRollout(client, BLUEPRINT, '1.5.0');
      note('the GitOps environment was upgraded by a commit to its repo:');
      await showLog(argo.repo);
    });
    await t.step('g2. a bad release (1.5.1) on one environment is rolled back automatically', async () => {
      if (!releases['1.5.0']) throw new Error('1.5.0 was not published');
      await brokenUpgrade(client, releases['1.5.0'], '1.5.1', 'initech', 'prod');
    });
    await t.step('h. fleet health, /metrics, a tenant\'s Grafana dashboard', async () => {
      await fleetHealth(client);
      await metrics(client);
      await dashboard(client, 'acme', 'prod');
    });
    await t.step('h2. a self-managed bundle of acme/prod: signed, checksummed, installable without Fleetplane', () => bundle(client, 'acme', 'prod'));
    await t.step('i. forecasting: backtest on real traces', () => forecast());
    if (o.explore) await o.explore();
    await t.step('j. offboard every tenant (the clusters are left as found)', async () => {
      await offboardAll(client, slugs);
      const left = await waitNamespacesGone(clusters, slugs, 90);
      await liveObjects(clusters, slugs, false);
      if (left > 0) throw new Error(`${left} namespace(s) of the demo tenants are still on the clusters`);
    });
  }
}

function summary(t: Tour, started: number, logFile: string): void {
  say('\n== summary');
  block(table(t.results, [['STEP', (r) => r.name], ['RESULT', (r) => (r.ok ? 'ok' : 'FAILED')], ['TIME', (r) => `${r.seconds.toFixed(1)}s`], ['REASON', (r) => r.reason]]));
  say(`  total ${((Date.now() - started) / 1000).toFixed(0)}s; server logs (JSON): ${logFile}`);
}

async function runSmall(): Promise<number> {
  const started = Date.now();
  const dataDir = await mkdtemp(join(tmpdir(), 'fleetplane-demo-'));
  const logFile = join(tmpdir(), `fleetplane-demo-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const token = `fpt_${randomBytes(24).toString('base64url')}`;
  const port = await freePort();
  const client = new ApiClient({ server: `http://127.0.0.1:${port}`, token });
  const clusters = await runningClusters();
  say(`fleetplane serve on http://127.0.0.1:${port}, embedded store in ${dataDir}`);
  say(`server logs (JSON): ${logFile}`);
  say(`demo timings: ${Object.entries(DEMO_ENGINE_ENV).map(([k, v]) => `${k}=${process.env[k] ?? v}`).join(' ')}`);
  const t = new Tour();
  // The GitOps tenant is delivered through the testbed's real Argo CD (built on first use).
  const argo = clusters.length > 0 ? await argocdForDemo(dataDir, ['umbrella'], (l) => say(l)) : null;
  const child = startServer({ port, dataDir, logFile, token, workers: clusters.length > 0, env: argo?.env ?? {} });
  // The server runs in its own process group (so Ctrl-C reaches the demo, which then offboards); a
  // demo stopped by a signal while it is not waiting in explore() must still take the server with it,
  // or the orphan keeps reconciling the tenants into the clusters.
  const stopOnSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return; // explore() is waiting for this signal: it offboards
    child.kill('SIGTERM');
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    await waitReady(client, child, 240_000);
    if (clusters.length === 0) t.skip('the tour', 'no testbed cluster is running: run `npm run testbed -- up --clusters 3` (scripts/demo.sh does)');
    else {
      const url = `http://127.0.0.1:${port}`;
      // Waiting for Ctrl-C needs someone at a terminal: unattended runs (CI, pipes) finish as with --exit.
      const stay = !process.argv.includes('--exit') && process.stdin.isTTY === true;
      const explorer = { explore: () => explore(client, { url, adminToken: token, tenant: 'acme', wait: stay }) };
      await tour(t, client, clusters, { argo: argo!, ...explorer });
    }
  } catch (err) {
    say(`demo stopped: ${coerceError(err).message.split('\n')[0]}`);
    t.results.push({ name: 'server', ok: false, seconds: 0, reason: String(err) });
  } finally {
    await stopServer(child);
    await argo?.cleanup().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    say('\nserver stopped, temp data removed');
  }
  summary(t, started, logFile);
  return t.failed.length ? 1 : 0;
}

const args = new Set(process.argv.slice(2));
const known = new Set(['--exit', '--small', '--reset']);
const unknown = [...args].filter((a) => !known.has(a));
if (unknown.length) {
  say(`unknown option ${unknown.join(' ')} (use --exit, --small, --reset)`);
  process.exitCode = 2;
} else {
  process.exitCode = args.has('--small') ? await runSmall() : await runFleet({ exit: args.has('--exit'), reset: args.has('--reset') });
}
