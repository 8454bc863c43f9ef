// The testbed's Argo CD: the application controller, repo server and ApplicationSet controller of
// the pinned `argocd` build, run as local processes against management cluster fp-1 (namespace
// fp-argocd), with Redis (scripts/redis.sh), a git smart HTTP server and a Helm chart repository
// (argocd-fixtures.ts). Every running testbed cluster is registered as a destination through its
// own `argocd-manager` service account. State, logs and pids live in <state>/argocd.
//   argocdUp()      build what is missing, start what is not running (idempotent), register clusters
//   argocdDown()    stop the processes (the objects in the clusters and the git repos stay)
//   argocdStatus()  processes, URLs, log paths
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { portFree, sleep, waitFor } from './api.ts';
import { ARGOCD_COMPONENT } from './argocd-component.ts';
import { addGitRepo, chartRepoURL, FIXTURE_PORTS, fixtureDirs, gitBaseURL, prepareCharts, removeGitRepo, type GitRepoCredentials } from './argocd-fixtures.ts';
import { ARGOCD_NAMESPACE, APPSET_SA, CONTROLLER_SA, MANAGER_SA, clusterSecret, destinationObjects, managementObjects, tokenSecretName } from './argocd-objects.ts';
import { applicationControllerSpec, applicationSetControllerSpec, READY_URLS, RECONCILE_SECONDS, repoServerSpec, type ArgoProcContext } from './argocd-procs.ts';
import { buildAll, goBinary } from './build.ts';
import { clusterDir, clusterName, clusterStatus, knownClusters } from './cluster.ts';
import { cacheRoot, componentDir, findBinary, stateRoot, TESTBED_ROOT } from './config.ts';
import { kubectl } from './content.ts';
import { run } from './exec.ts';
import { withLock } from './lock.ts';
import { clusterFiles, type ClusterFiles } from './pki.ts';
import { isAlive, readProcs, startDetached, stopAll, writeProcs, type ProcRecord } from './proc.ts';

export { ARGOCD_NAMESPACE } from './argocd-objects.ts';
export { ARGOCD_VERSION } from './argocd-component.ts';
export type { GitRepoCredentials } from './argocd-fixtures.ts';

/** The management cluster (where Argo CD's own objects and Applications live). */
export const MANAGEMENT_CLUSTER = 1;
const FIELD_MANAGER = 'fleetplane-testbed-argocd';
const REPO_ROOT = path.dirname(TESTBED_ROOT);

export interface ArgocdStatus {
  running: boolean;
  version: string;
  namespace: string;
  management: { name: string; apiServer: string; kubeconfig: string };
  /** Destination clusters registered (cluster Secrets), by name. */
  clusters: string[];
  processes: Array<{ name: string; pid: number; alive: boolean; log: string }>;
  gitURL: string;
  chartRepoURL: string;
  redis: string;
  logDir: string;
}

export const argocdDir = () => path.join(stateRoot(), 'argocd');
const logDir = () => path.join(argocdDir(), 'logs');
const pidsFile = () => path.join(argocdDir(), 'pids.json');
const kubeconfigOf = (sa: string) => path.join(argocdDir(), 'secrets', `${sa}.kubeconfig`);
const mgmtFiles = () => clusterFiles(clusterDir(clusterName(MANAGEMENT_CLUSTER)));
const list = (items: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

function apply(f: ClusterFiles, items: object[]): Promise<string> {
  return kubectl(f, ['apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', '-'], list(items));
}

async function redisEnsure(): Promise<{ addr: string; password: string }> {
  const out = await run('bash', [path.join(REPO_ROOT, 'scripts', 'redis.sh'), 'ensure']);
  const addr = /FLEETPLANE_REDIS_ADDR=(\S+)/.exec(out)?.[1];
  const password = /FLEETPLANE_REDIS_PASSWORD=(\S+)/.exec(out)?.[1];
  if (!addr || !password) throw new Error(`scripts/redis.sh ensure printed no address/password: ${out.slice(0, 200)}`);
  return { addr, password };
}

/**
 * Files the upstream image carries besides the binary, taken from the pinned argo-cd module and
 * cached: its CRDs (the same release every `up` installs, testbed/lib/crds.ts) and the wrapper scripts the repo
 * server runs from PATH (v3.6.1 calls git-verify-wrapper.sh on every manifest generation).
 */
async function argocdModuleFiles(): Promise<{ crds: string[]; binDir: string }> {
  const dir = path.join(cacheRoot(), 'crds', `argocd-${ARGOCD_COMPONENT.version}`);
  const binDir = path.join(cacheRoot(), `argocd-${ARGOCD_COMPONENT.version}-scripts`);
  const names = ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'];
  const scripts = ['git-verify-wrapper.sh', 'gpg-wrapper.sh'];
  const crds = names.map((n) => path.join(dir, n));
  if (crds.every((f) => existsSync(f)) && scripts.every((n) => existsSync(path.join(binDir, n)))) return { crds, binDir };
  const env = { ...process.env, ...ARGOCD_COMPONENT.env, GOFLAGS: '-mod=mod' };
  const out = await run(await goBinary(), ['mod', 'download', '-json', `github.com/argoproj/argo-cd/v3@${ARGOCD_COMPONENT.version}`], { cwd: os.tmpdir(), env });
  const src = (JSON.parse(out) as { Dir?: string }).Dir;
  if (!src) throw new Error(`go mod download argo-cd ${ARGOCD_COMPONENT.version}: no Dir`);
  await fs.mkdir(dir, { recursive: true });
  await fs.mkdir(binDir, { recursive: true });
  for (const n of names) await fs.copyFile(path.join(src, 'manifests', 'crds', n), path.join(dir, n));
  for (const n of scripts) {
    await fs.copyFile(path.join(src, 'hack', n), path.join(binDir, n));
    await fs.chmod(path.join(binDir, n), 0o755);
  }
  return { crds, binDir };
}

async function secretOnce(file: string, make: () => string): Promise<string> {
  if (existsSync(file)) return (await fs.readFile(file, 'utf8')).trim();
  const value = make();
  await fs.writeFile(file, value + '\n', { mode: 0o600 });
  return value;
}

/** Waits for the token controller to fill a service-account token Secret; returns the token. */
async function saToken(f: ClusterFiles, sa: string): Promise<string> {
  let token = '';
  await waitFor(`token of service account ${ARGOCD_NAMESPACE}/${sa}`, async () => {
    const b64 = await kubectl(f, ['get', 'secret', '-n', ARGOCD_NAMESPACE, tokenSecretName(sa), '-o', 'jsonpath={.data.token}']);
    token = Buffer.from(b64.trim(), 'base64').toString();
    return token.length > 0;
  }, 60_000, 500);
  return token;
}

async function writeKubeconfig(sa: string, server: string, caPem: string, token: string): Promise<void> {
  const name = clusterName(MANAGEMENT_CLUSTER);
  await fs.writeFile(kubeconfigOf(sa), YAML.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: sa, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: sa, namespace: ARGOCD_NAMESPACE } }],
    'current-context': name,
  }), { mode: 0o600 });
}

async function installManagement(redisPassword: string): Promise<void> {
  const f = mgmtFiles();
  const serverSecretKey = await secretOnce(path.join(argocdDir(), 'secrets', 'server.secretkey'), () => randomBytes(32).toString('base64'));
  await kubectl(f, ['apply', '--server-side', '--force-conflicts', '--field-manager=fleetplane-testbed', ...(await argocdModuleFiles()).crds.flatMap((c) => ['-f', c])]);
  await apply(f, managementObjects({ serverSecretKey, reconciliationSeconds: RECONCILE_SECONDS, redisPassword }));
  const status = await clusterStatus(MANAGEMENT_CLUSTER);
  const ca = await fs.readFile(f.caFile, 'utf8');
  for (const sa of [CONTROLLER_SA, APPSET_SA]) await writeKubeconfig(sa, status.apiServer, ca, await saToken(f, sa));
}

/** Creates argocd-manager on each destination and its cluster Secret on the management cluster. */
async function registerClusters(indexes: number[]): Promise<string[]> {
  const secrets: object[] = [];
  for (const i of indexes) {
    const f = clusterFiles(clusterDir(clusterName(i)));
    await apply(f, destinationObjects());
    const status = await clusterStatus(i);
    secrets.push(clusterSecret({ name: status.name, server: status.apiServer, token: await saToken(f, MANAGER_SA), caPem: await fs.readFile(f.caFile, 'utf8') }));
  }
  await apply(mgmtFiles(), secrets);
  return indexes.map(clusterName);
}

async function logTail(name: string): Promise<string> {
  const text = await fs.readFile(path.join(logDir(), `${name}.log`), 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-8).join('\n');
}

/** Polls `url` until it answers 2xx; fails at once (with the log tail) when the process exits. */
async function waitReady(rec: ProcRecord, url: string, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (!isAlive(rec)) throw new Error(`${rec.name} exited; log tail:\n${await logTail(rec.name)}`);
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(3000) })).ok) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${rec.name} (${url}): ${last}`);
    await sleep(500);
  }
}

interface Launch {
  name: string;
  file: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  ports: number[];
  ready?: string;
}

function launches(ctx: ArgoProcContext): Launch[] {
  const node: Launch = {
    name: 'argocd-fixtures', file: process.execPath, cwd: REPO_ROOT,
    args: ['--import', 'tsx', path.join(TESTBED_ROOT, 'lib', 'argocd-fixtures-main.ts'), argocdDir()],
    ports: [FIXTURE_PORTS.git, FIXTURE_PORTS.charts], ready: `${chartRepoURL()}/index.yaml`,
  };
  const argo = [repoServerSpec(ctx), applicationControllerSpec(ctx), applicationSetControllerSpec(ctx)].map((s): Launch => ({
    name: s.name, file: findBinary(s.binary).file, args: s.args, env: s.env, ports: [], ready: READY_URLS[s.name],
  }));
  return [node, ...argo];
}

/** Starts every process not alive, in order, each waited for before the next. */
async function startMissing(ctx: ArgoProcContext, log: (l: string) => void): Promise<ProcRecord[]> {
  const procs = (await readProcs(pidsFile())).filter(isAlive);
  for (const l of launches(ctx)) {
    if (procs.some((p) => p.name === l.name)) continue;
    for (const port of l.ports) if (!(await portFree(port))) throw new Error(`port ${port} (${l.name}) is in use by another process`);
    const started = Date.now();
    const rec = startDetached(l.name, l.file, l.args, logDir(), { ...(l.env ? { env: l.env } : {}), ...(l.cwd ? { cwd: l.cwd } : {}) });
    procs.push(rec);
    await writeProcs(pidsFile(), procs);
    if (l.ready) await waitReady(rec, l.ready);
    log(`[testbed] argocd: ${l.name} up in ${((Date.now() - started) / 1000).toFixed(1)}s (pid ${rec.pid})`);
  }
  return procs;
}

const registeredFile = () => path.join(argocdDir(), 'clusters.json');

const SETTINGS_KEY = '#settings';

/**
 * Cluster name -> mtime of its token file (changes when the cluster's state was recreated), plus a
 * hash of the settings objects this checkout installs, so changed settings are applied again.
 */
async function clusterStamps(names: string[]): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const n of names) out[n] = Math.round((await fs.stat(clusterFiles(clusterDir(n)).tokenFile)).mtimeMs);
  const settings = JSON.stringify(managementObjects({ serverSecretKey: '', reconciliationSeconds: RECONCILE_SECONDS, redisPassword: '' }));
  out[SETTINGS_KEY] = createHash('sha256').update(settings).digest('hex').slice(0, 16);
  return out;
}

async function readRegistered(): Promise<Record<string, number | string>> {
  try {
    const v = JSON.parse(await fs.readFile(registeredFile(), 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? v as Record<string, number | string> : {};
  } catch {
    return {};
  }
}

export interface ArgocdUpOptions {
  /** Destination clusters to register (default: every healthy testbed cluster). */
  clusters?: string[];
  log?: (line: string) => void;
}

export async function argocdUp(opts: ArgocdUpOptions = {}): Promise<ArgocdStatus> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  await fs.mkdir(argocdDir(), { recursive: true });
  return withLock(argocdDir(), async () => {
    await buildAll({ log, only: [ARGOCD_COMPONENT.name, 'helm'] });
    const mgmt = await clusterStatus(MANAGEMENT_CLUSTER);
    if (!mgmt.healthy) throw new Error(`management cluster ${mgmt.name} is not healthy (${mgmt.problem ?? '?'}); run: npm run testbed -- up`);
    const known = await knownClusters();
    const wanted = opts.clusters ?? known.map(clusterName);
    const healthy = (await Promise.all(known.filter((i) => wanted.includes(clusterName(i))).map((i) => clusterStatus(i)))).filter((s) => s.healthy);
    const missing = wanted.filter((n) => !healthy.some((s) => s.name === n));
    if (opts.clusters && missing.length) throw new Error(`not healthy or unknown: ${missing.join(', ')}`);
    for (const d of ['logs', 'secrets', 'home', 'tmp', 'config/tls', 'config/ssh', 'config/gpg/keys', 'config/gpg/source']) {
      await fs.mkdir(path.join(argocdDir(), d), { recursive: true, mode: 0o700 });
    }
    const redis = await redisEnsure();
    const names = healthy.map((s) => s.name);
    // Fast path: everything alive and the same clusters registered -> nothing to install again.
    // A cluster recreated since (testbed down + up) has new tokens: its stamp differs.
    const status = await argocdStatus();
    const stamps = await clusterStamps(names);
    const same = status.running && JSON.stringify(await readRegistered()) === JSON.stringify(stamps);
    // The chart repository is static files: a changed or added vendored chart is published without a restart.
    if (same) {
      await prepareCharts(fixtureDirs(argocdDir()), findBinary('helm').file);
      return status;
    }
    await installManagement(redis.password);
    const registered = await registerClusters(healthy.map((s) => Number(s.name.slice(3))));
    await prepareCharts(fixtureDirs(argocdDir()), findBinary('helm').file);
    const ctx: ArgoProcContext = {
      dir: argocdDir(), kubeconfig: kubeconfigOf, redisAddr: redis.addr, redisPassword: redis.password,
      binDirs: [componentDir(ARGOCD_COMPONENT), (await argocdModuleFiles()).binDir, path.dirname(findBinary('helm').file)],
    };
    await startMissing(ctx, log);
    if (registered.join() !== names.join()) throw new Error(`registered ${registered.join()} but wanted ${names.join()}`);
    await fs.writeFile(registeredFile(), JSON.stringify(stamps) + '\n');
    return argocdStatus();
  });
}

export async function argocdDown(): Promise<string[]> {
  if (!existsSync(argocdDir())) return [];
  return withLock(argocdDir(), async () => {
    const procs = await readProcs(pidsFile());
    const live = procs.filter(isAlive);
    // Controllers first, the repo server and the fixtures last.
    await stopAll([...procs].reverse());
    await writeProcs(pidsFile(), []);
    return live.map((p) => p.name);
  });
}

export async function argocdStatus(): Promise<ArgocdStatus> {
  const procs = await readProcs(pidsFile());
  const mgmt = await clusterStatus(MANAGEMENT_CLUSTER);
  const clusters = Object.keys(await readRegistered()).filter((k) => k !== SETTINGS_KEY);
  const processes = procs.map((p) => ({ name: p.name, pid: p.pid, alive: isAlive(p), log: path.join(logDir(), `${p.name}.log`) }));
  return {
    running: processes.length === 4 && processes.every((p) => p.alive),
    version: ARGOCD_COMPONENT.version,
    namespace: ARGOCD_NAMESPACE,
    management: { name: mgmt.name, apiServer: mgmt.apiServer, kubeconfig: mgmt.kubeconfig },
    clusters, processes, gitURL: gitBaseURL(), chartRepoURL: chartRepoURL(),
    redis: `127.0.0.1:${process.env.FLEETPLANE_REDIS_PORT ?? 16379}`, logDir: logDir(),
  };
}

/** A bare repo served read-only to Argo CD at <gitURL>/<name>.git with fresh Basic credentials. */
export function argocdGitRepo(name: string): Promise<GitRepoCredentials> {
  return addGitRepo(fixtureDirs(argocdDir()), name);
}

export function argocdRemoveGitRepo(name: string): Promise<void> {
  return removeGitRepo(fixtureDirs(argocdDir()), name);
}

/** Path of one process's log (e.g. to keep the application controller's log as a test artifact). */
export function argocdLogPath(name: 'argocd-application-controller' | 'argocd-repo-server' | 'argocd-applicationset-controller' | 'argocd-fixtures'): string {
  return path.join(logDir(), `${name}.log`);
}
