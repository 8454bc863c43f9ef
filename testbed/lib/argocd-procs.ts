// Command lines of the testbed's Argo CD processes. Everything listens on 127.0.0.1, except the
// application controller's metrics/healthz listener, which upstream hard-codes to 0.0.0.0
// (controller/appcontroller.go: fmt.Sprintf("0.0.0.0:%d", metricsPort)).
import path from 'node:path';
import { ARGOCD_NAMESPACE } from './argocd-objects.ts';

export const ARGOCD_PORTS = {
  repoServer: 16381,
  repoServerMetrics: 16382,
  controllerMetrics: 16383,
  appsetMetrics: 16384,
  appsetProbe: 16385,
  appsetWebhook: 16386,
};

/** Seconds between Argo CD's reconciliations of every Application (upstream default 180 s). */
export const RECONCILE_SECONDS = 10;

export interface ArgoProcSpec {
  name: string;
  /** A name in the argocd component (the symlinks dispatch the multi-call binary). */
  binary: string;
  args: string[];
  env: Record<string, string>;
}

export interface ArgoProcContext {
  /** <state>/argocd */
  dir: string;
  kubeconfig: (sa: string) => string;
  redisAddr: string;
  redisPassword: string;
  /** Directories put first on PATH: the argocd binary (git askpass) and helm. */
  binDirs: string[];
}

function baseEnv(c: ArgoProcContext): Record<string, string> {
  const conf = path.join(c.dir, 'config');
  return {
    PATH: [...c.binDirs, process.env.PATH ?? '/usr/bin:/bin'].join(':'),
    HOME: path.join(c.dir, 'home'),
    TMPDIR: path.join(c.dir, 'tmp'),
    REDIS_PASSWORD: c.redisPassword,
    ARGOCD_GPG_ENABLED: 'false',
    ARGOCD_APP_CONF_PATH: conf,
    ARGOCD_TLS_DATA_PATH: path.join(conf, 'tls'),
    ARGOCD_SSH_DATA_PATH: path.join(conf, 'ssh'),
    ARGOCD_GNUPGHOME: path.join(conf, 'gpg', 'keys'),
    ARGOCD_GPG_DATA_PATH: path.join(conf, 'gpg', 'source'),
    // The chart repository index changes when the testbed publishes a chart; never cache it long.
    ARGOCD_HELM_INDEX_CACHE_DURATION: '0',
  };
}

const repoServerAddr = `127.0.0.1:${ARGOCD_PORTS.repoServer}`;

export function repoServerSpec(c: ArgoProcContext): ArgoProcSpec {
  return {
    name: 'argocd-repo-server',
    binary: 'argocd-repo-server',
    args: [
      '--address=127.0.0.1', `--port=${ARGOCD_PORTS.repoServer}`,
      '--metrics-address=127.0.0.1', `--metrics-port=${ARGOCD_PORTS.repoServerMetrics}`,
      // Plain gRPC on loopback. v3.6.1 defaults --client-ca-path to a path and then refuses it
      // together with --disable-tls, so it must be emptied explicitly.
      '--disable-tls', '--client-ca-path=', `--redis=${c.redisAddr}`, '--parallelismlimit=4',
      // Resolved branch heads are cached this long; upstream ties it to timeout.reconciliation too
      // (ARGOCD_RECONCILIATION_TIMEOUT), else a new commit waits up to 3 min.
      `--revision-cache-expiration=${RECONCILE_SECONDS}s`,
      '--loglevel=info', '--logformat=json',
    ],
    env: baseEnv(c),
  };
}

export function applicationControllerSpec(c: ArgoProcContext): ArgoProcSpec {
  return {
    name: 'argocd-application-controller',
    binary: 'argocd-application-controller',
    args: [
      `--kubeconfig=${c.kubeconfig('argocd-application-controller')}`, `--namespace=${ARGOCD_NAMESPACE}`,
      `--repo-server=${repoServerAddr}`, '--repo-server-plaintext', `--redis=${c.redisAddr}`,
      `--metrics-port=${ARGOCD_PORTS.controllerMetrics}`,
      `--app-resync=${RECONCILE_SECONDS}`, '--app-resync-jitter=0',
      // Small fleet on a 2-core host: fewer workers than upstream's 20/10.
      '--status-processors=4', '--operation-processors=4', '--kubectl-parallelism-limit=4',
      '--self-heal-timeout-seconds=2',
      // FLEETPLANE_ARGOCD_CONTROLLER_LOGLEVEL=debug logs each watched object's event and why it did or
      // did not requeue an Application (for cache questions; very verbose).
      `--loglevel=${process.env.FLEETPLANE_ARGOCD_CONTROLLER_LOGLEVEL ?? 'info'}`, '--logformat=json',
    ],
    env: baseEnv(c),
  };
}

export function applicationSetControllerSpec(c: ArgoProcContext): ArgoProcSpec {
  return {
    name: 'argocd-applicationset-controller',
    binary: 'argocd-applicationset-controller',
    args: [
      `--kubeconfig=${c.kubeconfig('argocd-applicationset-controller')}`, `--namespace=${ARGOCD_NAMESPACE}`,
      `--argocd-repo-server=${repoServerAddr}`, '--repo-server-plaintext',
      `--metrics-addr=127.0.0.1:${ARGOCD_PORTS.appsetMetrics}`, `--probe-addr=127.0.0.1:${ARGOCD_PORTS.appsetProbe}`,
      `--webhook-addr=127.0.0.1:${ARGOCD_PORTS.appsetWebhook}`,
      '--enable-leader-election=false', '--enable-scm-providers=false',
      '--loglevel=info', '--logformat=json',
    ],
    // controller-runtime's client config ignores --kubeconfig here and reads $KUBECONFIG.
    env: { ...baseEnv(c), KUBECONFIG: c.kubeconfig('argocd-applicationset-controller') },
  };
}

/**
 * Probes: each process is up when its port answers HTTP: the repo server's and the ApplicationSet
 * controller's metrics listeners (the latter registers no healthz check, so its probe port says 404).
 */
export const READY_URLS: Record<string, string> = {
  'argocd-repo-server': `http://127.0.0.1:${ARGOCD_PORTS.repoServerMetrics}/metrics`,
  'argocd-application-controller': `http://127.0.0.1:${ARGOCD_PORTS.controllerMetrics}/healthz`,
  'argocd-applicationset-controller': `http://127.0.0.1:${ARGOCD_PORTS.appsetMetrics}/metrics`,
};
