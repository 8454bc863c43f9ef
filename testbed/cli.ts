// `npm run testbed -- <command>`: build | up [fp-N …] [--clusters N] [--version V] | upgrade fp-N --to V |
// status [-o json] | down | restart | throughput | paths [-o json] | argocd up|down|status | kserve up|down|status
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_KUBE_VERSION, KUBERNETES_VERSIONS, allBinaryPaths, buildAll, ensureTestbed, testbedDown, testbedRestart, testbedStatus, upgradeCluster, type ClusterStatus } from './index.ts';
import { cacheRoot, CLUSTER_PREFIX, stateRoot } from './lib/config.ts';
import { knownClusters } from './lib/cluster.ts';
import { measureThroughput } from './lib/throughput.ts';
import { argocdDown, argocdStatus, argocdUp, type ArgocdStatus } from './lib/argocd.ts';
import { kserveDown, kserveStatus, kserveUp, type KserveStatus } from './lib/kserve.ts';

function positiveInt(value: string, max = 20): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`expected an integer from 1 to ${max}`);
  return n;
}

function output(value: string): 'json' | 'table' {
  if (value !== 'json' && value !== 'table') throw new InvalidArgumentError('expected "json" or "table"');
  return value;
}

function printTable(rows: ClusterStatus[]): void {
  if (rows.length === 0) {
    console.log(`no clusters (state dir ${stateRoot()}); start some with: npm run testbed -- up --clusters 3`);
    return;
  }
  console.log(['NAME', 'HEALTHY', 'NODES', 'VERSION', 'API SERVER', 'KUBECONFIG'].join('\t'));
  for (const s of rows) console.log([s.name, s.healthy ? 'yes' : `no (${s.problem ?? '?'})`, s.nodes, s.version ?? '-', s.apiServer, s.kubeconfig].join('\t'));
}

const program = new Command('testbed')
  .description('Local Kubernetes clusters built from pinned upstream Go modules (etcd, kube-apiserver, controller-manager, scheduler, kwok nodes)')
  .showHelpAfterError();

program
  .command('build')
  .description(`build the pinned binaries into ${cacheRoot()} (skips what is already built)`)
  .option('--only <components...>', 'only these components (kubernetes, etcd, kwok, helm, argocd, kserve; kubernetes@v1.36.3 for one release)')
  .action(async (opts: { only?: string[] }) => {
    const results = await buildAll(opts.only ? { only: opts.only } : {});
    for (const r of results) console.error(`${r.component} ${r.version}: ${r.cached ? 'cached' : `built in ${r.seconds}s`} (${r.dir})`);
  });

program
  .command('up')
  .argument('[clusters...]', 'exactly these clusters, e.g. fp-4 fp-5 (default: fp-1..fp-N)')
  .description('start clusters (reuses healthy ones, upgrades older ones in place) and wait until they are ready')
  .option('--clusters <n>', 'number of clusters fp-1..fp-N', (v) => positiveInt(v), 3)
  .option('--version <v>', `Kubernetes release for new clusters (${KUBERNETES_VERSIONS.join(', ')})`, DEFAULT_KUBE_VERSION)
  .option('--no-build-rest', 'do not build the other components (the previous Kubernetes minor, helm) once the clusters are up; `build` does, and tests build what they need')
  .action(async (names: string[], opts: { clusters: number; version: string; buildRest: boolean }) => {
    const started = Date.now();
    const rows = await ensureTestbed({ clusters: opts.clusters, names, buildRest: opts.buildRest, ...(opts.version !== DEFAULT_KUBE_VERSION ? { version: opts.version } : {}) });
    printTable(rows);
    console.error(`[testbed] ${rows.length} cluster(s) ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });

program
  .command('upgrade')
  .argument('<cluster>', 'a running cluster, e.g. fp-4')
  .requiredOption('--to <version>', `Kubernetes release to upgrade to (${KUBERNETES_VERSIONS.join(', ')}); one minor at a time`)
  .description('upgrade a cluster in place: kube-apiserver, controller-manager, scheduler, then its kwok nodes, on the same etcd data')
  .action(async (name: string, opts: { to: string }) => {
    const r = await upgradeCluster(name, opts.to);
    console.log(JSON.stringify(r));
  });

program
  .command('status')
  .description('list clusters with API server URL, kubeconfig, health, Ready nodes and version')
  .option('-o, --output <format>', 'json or table', output, 'table')
  .action(async (opts: { output: 'json' | 'table' }) => {
    const rows = await testbedStatus();
    if (opts.output === 'json') console.log(JSON.stringify(rows, null, 2));
    else printTable(rows);
  });

program
  .command('down')
  .argument('[clusters...]', 'only these clusters, e.g. fp-3 (default: all)')
  .description('stop cluster processes and remove cluster state (binaries stay cached)')
  .action(async (names: string[]) => {
    const removed = await testbedDown(names);
    console.error(removed.length ? `[testbed] removed ${removed.join(', ')}` : '[testbed] nothing to remove');
  });

program
  .command('restart')
  .argument('[clusters...]', 'only these clusters, e.g. fp-2 (default: all, one at a time)')
  .description('restart cluster processes on their existing data (picks up new testbed flags)')
  .action(async (names: string[]) => printTable(await testbedRestart(names)));

program
  .command('throughput')
  .argument('[clusters...]', 'clusters to load at the same time, e.g. fp-1 (default: all)')
  .description('pods-Ready/s: Deployments per cluster, timed from the first create until all are available')
  .option('--deployments <n>', 'Deployments per cluster', (v) => positiveInt(v, 2000), 200)
  .option('--replicas <n>', 'replicas per Deployment', (v) => positiveInt(v, 2000), 1)
  .action(async (names: string[], opts: { deployments: number; replicas: number }) => {
    const known = await knownClusters();
    const picked = names.length ? names.map((n) => Number(n.slice(CLUSTER_PREFIX.length))) : known;
    const bad = picked.filter((i) => !known.includes(i));
    if (bad.length || picked.some(Number.isNaN)) throw new Error(`no such cluster among ${names.join(', ')}`);
    for (const r of await measureThroughput(picked, opts)) {
      console.log(JSON.stringify({ ...r, seconds: +r.seconds.toFixed(1), podsPerSecond: +r.podsPerSecond.toFixed(1), deploymentsPerSecond: +r.deploymentsPerSecond.toFixed(1) }));
    }
  });

program
  .command('paths')
  .description('paths of the pinned binaries (kubectl, helm, etcd, …)')
  .option('-o, --output <format>', 'json or table', output, 'table')
  .action((opts: { output: 'json' | 'table' }) => {
    const paths = allBinaryPaths();
    if (opts.output === 'json') console.log(JSON.stringify(paths, null, 2));
    else for (const [name, p] of Object.entries(paths)) console.log(`${name}\t${p.version}\t${p.built ? p.path : `${p.path} (not built)`}`);
  });

function printArgocd(s: ArgocdStatus): void {
  console.log(`argocd ${s.version} in ${s.management.name}/${s.namespace}: ${s.running ? 'running' : 'not running'}; destinations: ${s.clusters.join(', ') || 'none'}`);
  console.log(`git ${s.gitURL}/<repo>.git  charts ${s.chartRepoURL}  redis ${s.redis}`);
  for (const p of s.processes) console.log([p.name, p.alive ? `pid ${p.pid}` : 'dead', p.log].join('\t'));
}

const argocd = program.command('argocd').description('Argo CD (application controller, repo server, ApplicationSet controller) as local processes against fp-1');
argocd
  .command('up')
  .description('build argocd if needed, start what is not running, register the testbed clusters (idempotent)')
  .option('--clusters <names...>', 'destination clusters to register (default: every healthy one)')
  .action(async (opts: { clusters?: string[] }) => {
    const started = Date.now();
    printArgocd(await argocdUp(opts.clusters ? { clusters: opts.clusters } : {}));
    console.error(`[testbed] argocd ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });
argocd
  .command('down')
  .description('stop the Argo CD processes (cluster objects and git repos stay)')
  .action(async () => {
    const stopped = await argocdDown();
    console.error(stopped.length ? `[testbed] stopped ${stopped.join(', ')}` : '[testbed] argocd: nothing running');
  });
argocd
  .command('status')
  .description('processes, URLs and log paths')
  .option('-o, --output <format>', 'json or table', output, 'table')
  .action(async (opts: { output: 'json' | 'table' }) => {
    const s = await argocdStatus();
    if (opts.output === 'json') console.log(JSON.stringify(s, null, 2));
    else printArgocd(s);
  });

function printKserve(s: KserveStatus): void {
  console.log(`kserve ${s.version} on ${s.cluster} (namespace ${s.namespace}, RawDeployment, runtime ${s.servingRuntime}): ${s.running ? 'running' : 'not running'}; webhooks ${s.webhookURL}`);
  if (s.process) console.log([PROC_NAME, s.process.alive ? `pid ${s.process.pid}` : 'dead', s.process.log].join('\t'));
}
const PROC_NAME = 'kserve-manager';

const kserve = program.command('kserve').description("KServe's controller manager as a local process against fp-3 (RawDeployment, webhooks by URL)");
kserve
  .command('up')
  .description('build kserve if needed, install its config, RBAC, webhooks and serving runtime on fp-3, start it unless running (idempotent)')
  .action(async () => {
    const started = Date.now();
    printKserve(await kserveUp());
    console.error(`[testbed] kserve ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  });
kserve
  .command('down')
  .description('remove its webhook configurations from fp-3 and stop the process (the rest stays)')
  .action(async () => {
    const stopped = await kserveDown();
    console.error(stopped.length ? `[testbed] stopped ${stopped.join(', ')}` : '[testbed] kserve: nothing running');
  });
kserve
  .command('status')
  .description('process, cluster, webhook URL and log path')
  .option('-o, --output <format>', 'json or table', output, 'table')
  .action(async (opts: { output: 'json' | 'table' }) => {
    const s = await kserveStatus();
    if (opts.output === 'json') console.log(JSON.stringify(s, null, 2));
    else printKserve(s);
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`testbed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
