// The testbed's KServe: the controller manager of the pinned kserve module (kserve-component.ts) run
// as a local process against fp-3 only (the cluster with the GPU nodes the AI tests use), in
// RawDeployment mode ("Standard"), its webhooks served by that process and registered on fp-3 by URL.
// State, certificates, logs and the pid live in <state>/kserve.
//   kserveUp()      build if missing, install what it needs on fp-3, start it unless running (idempotent)
//   kserveDown()    stop the process and remove its webhook configurations (the rest stays)
//   kserveStatus()  process, cluster, webhook URL, log path
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { portFree, sleep, waitFor } from './api.ts';
import { buildAll, goBinary } from './build.ts';
import { clusterDir, clusterName, clusterStatus } from './cluster.ts';
import { cacheRoot, findBinary, stateRoot } from './config.ts';
import { kubectl } from './content.ts';
import { run } from './exec.ts';
import { KSERVE_COMPONENT } from './kserve-component.ts';
import {
  KSERVE_NAMESPACE, KSERVE_PORTS, KSERVE_SA, SERVING_RUNTIME, WEBHOOK_HOST, inferenceServiceConfig, managerArgs, rbacObjects, servingRuntime, tokenSecretName, webhookConfigurations,
} from './kserve-objects.ts';
import { withLock } from './lock.ts';
import { clusterFiles, ensureServingCert, type ClusterFiles } from './pki.ts';
import { isAlive, readProcs, startDetached, stopAll, writeProcs, type ProcRecord } from './proc.ts';

export { KSERVE_NAMESPACE, KSERVE_PORTS, SERVING_RUNTIME } from './kserve-objects.ts';
export { KSERVE_VERSION } from './kserve-component.ts';

/** The one cluster KServe runs against: fp-3 has the GPU nodes (testbed/lib/nodes.ts). */
export const KSERVE_CLUSTER = 3;
const FIELD_MANAGER = 'fleetplane-testbed-kserve';
const PROC = 'kserve-manager';

export interface KserveStatus {
  running: boolean;
  version: string;
  cluster: string;
  namespace: string;
  webhookURL: string;
  servingRuntime: string;
  process: { pid: number; alive: boolean; log: string } | null;
  logDir: string;
}

export const kserveDir = () => path.join(stateRoot(), 'kserve');
const logDir = () => path.join(kserveDir(), 'logs');
const pidsFile = () => path.join(kserveDir(), 'pids.json');
const stampFile = () => path.join(kserveDir(), 'installed.json');
const kubeconfigFile = () => path.join(kserveDir(), 'secrets', `${KSERVE_SA}.kubeconfig`);
/** controller-runtime's webhook server reads tls.crt/tls.key from $TMPDIR/k8s-webhook-server/serving-certs. */
const certDir = () => path.join(kserveDir(), 'tmp', 'k8s-webhook-server', 'serving-certs');
const files = (): ClusterFiles => clusterFiles(clusterDir(clusterName(KSERVE_CLUSTER)));
const list = (items: object[]) => JSON.stringify({ apiVersion: 'v1', kind: 'List', items });

/** CRDs the manager watches beyond the three every `up` installs (it fails to start without them). */
const EXTRA_CRDS = ['serving.kserve.io_trainedmodels.yaml', 'serving.kserve.io_inferencegraphs.yaml', 'clusterstoragecontainer/serving.kserve.io_clusterstoragecontainers.yaml'];
/** Files of the kserve module used here, copied verbatim (module path -> cache name). */
const MODULE_FILES: Record<string, string> = {
  ...Object.fromEntries(EXTRA_CRDS.map((f) => [`config/crd/full/${f}`, path.basename(f)])),
  'config/rbac/role.yaml': 'role.yaml',
  'config/configmap/inferenceservice.yaml': 'inferenceservice-config.yaml',
  'config/webhook/manifests.yaml': 'webhook-manifests.yaml',
  'config/runtimes/kserve-torchserve.yaml': 'kserve-torchserve.yaml',
  'config/runtimes/kustomization.yaml': 'runtimes-kustomization.yaml',
};

/** The module's files, fetched through the Go module proxy once and cached by version. */
async function moduleFiles(): Promise<Record<string, string>> {
  const dir = path.join(cacheRoot(), 'crds', `kserve-${KSERVE_COMPONENT.version}`);
  const out = Object.fromEntries(Object.values(MODULE_FILES).map((n) => [n, path.join(dir, n)]));
  if (Object.values(out).every((f) => existsSync(f))) return out;
  const env = { ...process.env, GOFLAGS: '-mod=mod' };
  const info = JSON.parse(await run(await goBinary(), ['mod', 'download', '-json', `github.com/kserve/kserve@${KSERVE_COMPONENT.version}`], { cwd: os.tmpdir(), env })) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download kserve ${KSERVE_COMPONENT.version}: ${info.Error ?? 'no Dir'}`);
  await fs.mkdir(dir, { recursive: true });
  for (const [src, name] of Object.entries(MODULE_FILES)) await fs.copyFile(path.join(info.Dir, src), path.join(dir, name));
  return out;
}

async function apply(f: ClusterFiles, items: object[]): Promise<void> {
  await kubectl(f, ['apply', '--server-side', '--force-conflicts', `--field-manager=${FIELD_MANAGER}`, '-f', '-'], list(items));
}

async function saToken(f: ClusterFiles): Promise<string> {
  let token = '';
  await waitFor(`token of service account ${KSERVE_NAMESPACE}/${KSERVE_SA}`, async () => {
    const b64 = await kubectl(f, ['get', 'secret', '-n', KSERVE_NAMESPACE, tokenSecretName(KSERVE_SA), '-o', 'jsonpath={.data.token}']);
    token = Buffer.from(b64.trim(), 'base64').toString();
    return token.length > 0;
  }, 60_000, 500);
  return token;
}

async function writeKubeconfig(server: string, caPem: string, token: string): Promise<void> {
  const name = clusterName(KSERVE_CLUSTER);
  await fs.writeFile(kubeconfigFile(), YAML.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: KSERVE_SA, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: KSERVE_SA, namespace: KSERVE_NAMESPACE } }],
    'current-context': name,
  }), { mode: 0o600 });
}

async function logTail(): Promise<string> {
  const text = await fs.readFile(path.join(logDir(), `${PROC}.log`), 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-10).join('\n');
}

/** Polls the manager's readyz (the webhook server has started); fails at once when the process exits. */
async function waitReady(rec: ProcRecord, timeoutMs = 120_000): Promise<void> {
  const url = `http://${WEBHOOK_HOST}:${KSERVE_PORTS.probe}/readyz`;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (!isAlive(rec)) throw new Error(`${PROC} exited; log tail:\n${await logTail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${PROC} (${url}): ${last}; log tail:\n${await logTail()}`);
    await sleep(500);
  }
}

/** What the installed state depends on: the cluster's identity (its token file) and the objects. */
async function stamp(f: ClusterFiles, objects: object[]): Promise<string> {
  const token = Math.round((await fs.stat(f.tokenFile)).mtimeMs);
  return createHash('sha256').update(JSON.stringify({ token, objects, args: managerArgs(kubeconfigFile()) })).digest('hex').slice(0, 16);
}

export interface KserveUpOptions {
  log?: (line: string) => void;
}

export async function kserveUp(opts: KserveUpOptions = {}): Promise<KserveStatus> {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  await fs.mkdir(kserveDir(), { recursive: true });
  return withLock(kserveDir(), async () => {
    await buildAll({ log, only: [KSERVE_COMPONENT.name] });
    const status = await clusterStatus(KSERVE_CLUSTER);
    if (!status.healthy) throw new Error(`${status.name} is not healthy (${status.problem ?? '?'}); run: npm run testbed -- up`);
    for (const d of ['logs', 'secrets', 'tmp']) await fs.mkdir(path.join(kserveDir(), d), { recursive: true, mode: 0o700 });
    const f = files();
    const src = await moduleFiles();
    const read = (n: string) => fs.readFile(src[n]!, 'utf8');
    const cert = await ensureServingCert(certDir(), [WEBHOOK_HOST], 'fleetplane-testbed-kserve-webhook');
    const caPem = await fs.readFile(cert.ca, 'utf8');
    const rbac = rbacObjects(await read('role.yaml'));
    const config = inferenceServiceConfig(await read('inferenceservice-config.yaml'));
    const hooks = webhookConfigurations(await read('webhook-manifests.yaml'), caPem);
    const runtime = servingRuntime(await read('kserve-torchserve.yaml'), await read('runtimes-kustomization.yaml'));
    const want = await stamp(f, [rbac, config, hooks, runtime]);
    const procs = (await readProcs(pidsFile())).filter(isAlive);
    const installed = (await fs.readFile(stampFile(), 'utf8').catch(() => '')).trim();
    // Fast path: running, and nothing it was installed with has changed.
    if (procs.length === 1 && installed === want) return kserveStatus();
    // Anything changed (a recreated cluster has new tokens): stop, install again, start.
    await stopAll(procs);
    await writeProcs(pidsFile(), []);
    for (const port of Object.values(KSERVE_PORTS)) if (!(await portFree(port))) throw new Error(`port ${port} (${PROC}) is in use by another process`);
    const started = Date.now();
    await kubectl(f, ['apply', '--server-side', '--force-conflicts', '--field-manager=fleetplane-testbed', ...EXTRA_CRDS.flatMap((c) => ['-f', src[path.basename(c)]!])]);
    await kubectl(f, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/trainedmodels.serving.kserve.io', 'crd/inferencegraphs.serving.kserve.io', 'crd/clusterstoragecontainers.serving.kserve.io']);
    await apply(f, rbac);
    await apply(f, [config]);
    await writeKubeconfig(status.apiServer, await fs.readFile(f.caFile, 'utf8'), await saToken(f));
    const env = { POD_NAMESPACE: KSERVE_NAMESPACE, TMPDIR: path.join(kserveDir(), 'tmp'), HOME: kserveDir() };
    const rec = startDetached(PROC, findBinary(PROC).file, managerArgs(kubeconfigFile()), logDir(), { env });
    await writeProcs(pidsFile(), [rec]);
    await waitReady(rec);
    // Registered only once the process serves them (they fail closed), then a first admission
    // through them: the ClusterServingRuntime passes KServe's validating webhook.
    await apply(f, hooks);
    await waitFor(`${SERVING_RUNTIME} admitted through KServe's webhook`, async () => {
      await apply(f, [runtime]);
      return true;
    }, 60_000, 1000);
    await fs.writeFile(stampFile(), want + '\n');
    log(`[testbed] kserve: ${PROC} up on ${status.name} in ${((Date.now() - started) / 1000).toFixed(1)}s (pid ${rec.pid})`);
    return kserveStatus();
  });
}

export async function kserveDown(): Promise<string[]> {
  if (!existsSync(kserveDir())) return [];
  return withLock(kserveDir(), async () => {
    const procs = await readProcs(pidsFile());
    const live = procs.filter(isAlive);
    // The webhooks fail closed: remove them first, or fp-3 refuses InferenceServices and their pods.
    const status = await clusterStatus(KSERVE_CLUSTER);
    if (status.healthy) {
      const f = files();
      const hooks = webhookConfigurations(await fs.readFile((await moduleFiles())['webhook-manifests.yaml']!, 'utf8'), '');
      for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
        const names = hooks.filter((h) => h.kind === kind).map((h) => String(h.metadata.name));
        if (names.length) await kubectl(f, ['delete', '--ignore-not-found', kind.toLowerCase(), ...names]);
      }
    }
    await stopAll(procs);
    await writeProcs(pidsFile(), []);
    await fs.rm(stampFile(), { force: true });
    return live.map((p) => p.name);
  });
}

export async function kserveStatus(): Promise<KserveStatus> {
  const [p] = await readProcs(pidsFile());
  const alive = p ? isAlive(p) : false;
  return {
    running: alive,
    version: KSERVE_COMPONENT.version,
    cluster: clusterName(KSERVE_CLUSTER),
    namespace: KSERVE_NAMESPACE,
    webhookURL: `https://${WEBHOOK_HOST}:${KSERVE_PORTS.webhook}`,
    servingRuntime: SERVING_RUNTIME,
    process: p ? { pid: p.pid, alive, log: path.join(logDir(), `${PROC}.log`) } : null,
    logDir: logDir(),
  };
}
