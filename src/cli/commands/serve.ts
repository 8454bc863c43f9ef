// fleetplane serve: the API, the delivery engine, the rollout controller and the pre-scaler in one
// process. The environment is read once into a FleetplaneConfig (src/config.ts); everything below
// gets its values and its dependencies from here. Embedded store in the data dir by default;
// FLEETPLANE_DATABASE_URL selects PostgreSQL.
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ClusterConnections } from '../../adapters/kube/index.ts';
import { buildApp } from '../../api/app.ts';
import type { ApiDeps } from '../../api/context.ts';
import { bootstrapAdminToken } from '../../api/auth.ts';
import { CONSOLE_DIR } from '../../api/routes/console-static.ts';
import { VENDORED_CHARTS_DIR } from '../../api/routes/bundles.ts';
import { ChangeHub } from '../../api/services/change-hub.ts';
import type { ClusterUpgradeProvider } from '../../domain/ports/cluster-upgrade.ts';
import type { Store } from '../../domain/ports/store.ts';
import { bundleSigner, openStore } from '../../adapters/store/index.ts';
import { ConfigError, loadConfig, type FleetplaneConfig } from '../../config.ts';
import { InputError, coerceError } from '../../domain/errors.ts';
import { DEFAULT_PLATFORM, checkedPlatform } from '../../render/index.ts';
import type { PlatformConfig } from '../../render/types.ts';
import { RolloutService } from '../../engine/rollouts/service.ts';
import { createLogger } from '../../logging.ts';
import { tenantLabels } from '../../metrics/registry.ts';
import { bindStoreMetrics } from '../../metrics/store-gauges.ts';
import { DEFAULT_RUNBOOK_BASE, resolveRunbookBase } from '../../render/monitoring/runbooks.ts';
import { CliError } from '../client.ts';
import { intFlag } from '../context.ts';

export interface Running {
  url: string;
  store: Store;
  stop(): Promise<void>;
}

/**
 * Where rendered alerts link: FLEETPLANE_RUNBOOK_URL, else a local serve's default address. Not this
 * process's own address: the link is part of every rendered revision, so it must be the same in
 * every process of a fleet (two serves on different ports would otherwise render different revisions
 * of an unchanged environment). Set FLEETPLANE_RUNBOOK_URL to the API's public URL + /runbooks.
 */
function runbookBaseUrl(configured: string | undefined): string {
  try {
    return resolveRunbookBase(configured, DEFAULT_RUNBOOK_BASE.replace(/\/runbooks$/, ''));
  } catch (err) {
    throw new CliError(coerceError(err).message, 2);
  }
}

/**
 * The platform every environment is rendered for: FLEETPLANE_PLATFORM_CONFIG checked by the
 * renderer's rules (a bad value stops serve with one line naming the file and the field), with the
 * runbook base URL serve derives. Without a file the renderer's example platform is used, and serve
 * says so: its egress targets and secret store are placeholders no real cluster has.
 */
function platformOf(config: FleetplaneConfig, runbooks: string, logger: Logger): Partial<PlatformConfig> {
  if (!config.platform) {
    logger.warn({ egressTargets: DEFAULT_PLATFORM.egressTargets, secretStore: DEFAULT_PLATFORM.secretStore.server },
      'FLEETPLANE_PLATFORM_CONFIG is not set: environments are rendered for the built-in example platform (its egress targets and secret store are placeholders)');
    return { runbookBaseUrl: runbooks };
  }
  const { file, values } = config.platform;
  try {
    return checkedPlatform({ runbookBaseUrl: runbooks, ...values });
  } catch (err) {
    // The same one-line refusal with exit 2 as any other bad setting (serveConfig).
    if (err instanceof InputError) throw new CliError(`FLEETPLANE_PLATFORM_CONFIG ${file}: ${err.issues.map((i) => `${i.field} ${i.message}`).join('; ')}`, 2);
    throw err;
  }
}

export async function serve(config: FleetplaneConfig): Promise<Running> {
  const logger = createLogger({ level: config.server.logLevel, base: { component: 'server' } });
  const runbooks = runbookBaseUrl(config.server.runbookUrl);
  const platform = platformOf(config, runbooks, logger);
  tenantLabels.cap = config.metrics.maxTenants;
  const storeConfig = { ...config.store, maxConnections: config.store.poolSize };
  const store = await openStore(storeConfig);
  await store.migrate();
  // The generated secret goes to stderr once, never through the logger.
  await bootstrapAdminToken(store, { preset: config.server.adminToken, print: (line) => process.stderr.write(`${line}\n`) });
  bindStoreMetrics(store);
  // The engine is loaded here, not at import, so other CLI commands start without it.
  const { engineConnections, startEngine } = await import('../../engine/index.ts');
  const { clusterCapabilitySource } = await import('../../engine/capabilities.ts');
  // One cache of cluster clients for the engine, the pre-scaler and the API's fleet probes.
  const connections = engineConnections(store);
  const eventsLog = logger.child({ component: 'events' });
  const changes = new ChangeHub({ store, pollMs: config.console.eventsPollMs, onError: (err) => eventsLog.warn({ err }, 'change feed read failed') });
  const deps: ApiDeps = {
    store, scaling: store.scaling, signer: await bundleSigner(storeConfig), now: () => new Date(), connections,
    charts: { dir: config.bundles.chartsDir ?? VENDORED_CHARTS_DIR, helm: config.bundles.helm },
    placement: { policy: config.engine.placementPolicy, cpuOvercommit: config.engine.cpuOvercommit, memoryOvercommit: config.engine.memoryOvercommit },
    failover: config.evacuation.failover,
    rollouts: new RolloutService({ store, logger: logger.child({ component: 'rollouts' }) }),
    changes, consoleDir: config.console.dir ?? CONSOLE_DIR, ...(config.prometheusUrl ? { prometheusUrl: config.prometheusUrl } : {}),
    ...(config.server.tokenMaxTtlSeconds ? { tokenMaxTtlSeconds: config.server.tokenMaxTtlSeconds } : {}),
    // The engine's render settings below, so a preview renders what the rollout applies.
    render: { platform, capabilities: clusterCapabilitySource(store, connections) },
  };
  const app = await buildApp(deps, { logger, limits: config.server.limits });

  const stoppers: Array<() => Promise<void>> = [() => changes.stop()];
  const { createGitopsDriver } = await import('../../engine/drivers/gitops-config.ts');
  const gitops = createGitopsDriver({ dataDir: config.store.dataDir, ...config.gitops }, { logger, audit: (e) => store.audit.append(e) });
  const { workers, ...tuning } = config.engine;
  // Without workers the reconcile loop still runs; the loops that start work on their own schedule
  // (evacuations, failover, hibernation schedules) belong to the replicas that run it.
  const engine = await startEngine({
    ...tuning, store, logger, workers, drivers: { gitops }, platform, connections,
    evacuationIntervalMs: workers ? config.evacuation.intervalMs : 0, failover: workers ? config.evacuation.failover : { policy: {} },
    ...(workers ? {} : { hibernationIntervalMs: 0 }),
    subscribe: (onQueued) => store.listen('fleetplane_operations', onQueued),
  });
  stoppers.push(() => engine.stop());
  // Rollout controller and pre-scaler act on the fleet like workers do: off with FLEETPLANE_WORKERS=0.
  if (workers) {
    const { startRolloutController } = await import('../../engine/rollouts/index.ts');
    const controller = startRolloutController({
      store, logger, workerId: engine.workerId, intervalMs: config.rollouts.intervalMs, prometheusUrl: config.prometheusUrl,
    });
    stoppers.push(() => controller.stop());
    const { startPrescalerLoop } = await import('../../scaling/loop.ts');
    const prescaler = startPrescalerLoop({ store, logger, connections, prometheusUrl: config.prometheusUrl, intervalMs: config.prescaler.intervalMs });
    if (prescaler) stoppers.push(() => prescaler.stop()); // null without a Prometheus
    // Usage metering and marketplace export (docs/metering.md); FLEETPLANE_METERING_INTERVAL=0 turns both off.
    const { startMetering } = await import('../../metering/index.ts');
    const { marketplaceTransports } = await import('../../adapters/marketplace/index.ts');
    const metering = startMetering({ store, logger, connections, owner: engine.workerId, config: config.metering, transports: await marketplaceTransports(config.marketplaces) });
    if (metering) stoppers.push(() => metering.stop());
    if (config.clusterUpgrades.provider !== 'none') stoppers.push(await startClusterUpgrades(config, store, connections, logger));
  }

  const url = await app.listen({ port: config.server.port, host: config.server.host });
  logger.info({ url, store: store.kind, dataDir: store.kind === 'embedded' ? config.store.dataDir : undefined, runbooks }, 'fleetplane listening');
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    logger.info('shutting down');
    await app.close();
    for (const s of stoppers.reverse()) await s();
    await store.close();
  })());
  return { url, store, stop };
}

/** The cluster-upgrade controller with its provider and its own heartbeat (docs/clusters.md "Upgrades"). */
async function startClusterUpgrades(config: FleetplaneConfig, store: Store, connections: ClusterConnections, logger: Logger): Promise<() => Promise<void>> {
  const { ClusterUpgradeController } = await import('../../engine/cluster-upgrades.ts');
  const { ClusterInventory } = await import('../../engine/cluster-inventory.ts');
  const { readLiveReadiness } = await import('../../engine/live-readiness.ts');
  const log = logger.child({ component: 'cluster-upgrades' });
  const provider = await upgradeProvider(config.clusterUpgrades);
  const probe = new ClusterInventory({ store, connections, logger: log, now: () => new Date(), config: config.engine }, 0);
  const controller = new ClusterUpgradeController({
    store, provider, heartbeat: (c) => probe.heartbeat(c), logger: log, now: () => new Date(), verifyTimeoutMs: config.clusterUpgrades.verifyTimeoutMs,
    readiness: (cluster) => readLiveReadiness({ store, connections }, cluster),
  }, config.clusterUpgrades.intervalMs);
  controller.start();
  return () => controller.stop();
}

/** The provider FLEETPLANE_CLUSTER_UPGRADE_PROVIDER names (docs/clusters.md "Upgrades"). */
async function upgradeProvider(c: FleetplaneConfig['clusterUpgrades']): Promise<ClusterUpgradeProvider> {
  if (c.provider === 'cluster-api' && c.clusterApi) {
    const { clusterApiUpgradeProvider } = await import('../../adapters/upgrade/cluster-api.ts');
    const { KubeClient } = await import('../../adapters/kube/index.ts');
    const management = KubeClient.fromKubeconfig({ path: c.clusterApi.kubeconfig });
    return clusterApiUpgradeProvider({ management, namespace: c.clusterApi.namespace, timeoutMs: c.clusterApi.timeoutMs });
  }
  const { testbedUpgradeProvider } = await import('../../adapters/upgrade/testbed.ts');
  return testbedUpgradeProvider();
}

/** The configuration from the environment and the flags; a bad value is a usage error (exit 2). */
export function serveConfig(env: Record<string, string | undefined>, flags: { port?: number; host?: string; dataDir?: string }): FleetplaneConfig {
  try {
    return loadConfig(env, flags);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, 2);
    throw err;
  }
}

export default function register(program: Command): void {
  program.command('serve').description('run the API server and workers')
    .option('--port <port>', 'listen port (env FLEETPLANE_PORT)', intFlag('--port'))
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--data-dir <dir>', 'embedded store and local git repos (env FLEETPLANE_DATA_DIR)')
    .action(async (opts: { port?: number; host: string; dataDir?: string }) => {
      if (opts.port !== undefined && opts.port > 65535) throw new CliError(`--port ${opts.port} is out of range`, 2);
      const running = await serve(serveConfig(process.env, opts));
      // Runs until SIGTERM/SIGINT; a failed shutdown is reported as one line with exit 1.
      await new Promise<void>((resolve, reject) => {
        const onSignal = () => {
          running.stop().then(resolve, (err: unknown) => reject(new CliError(`shutdown failed: ${coerceError(err).message}`, 1)));
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
