// fleetplane serve: the API (and, through the marked spot, the delivery engine) in one process.
// Embedded store in --data-dir by default; FLEETPLANE_DATABASE_URL selects PostgreSQL.
import type { Command } from 'commander';
import { buildApp } from '../../api/app.ts';
import { bootstrapAdminToken } from '../../api/auth.ts';
import type { Store } from '../../adapters/store/port.ts';
import { openStore } from '../../adapters/store/index.ts';
import { createLogger } from '../../logging.ts';
import { DEFAULT_RUNBOOK_BASE, resolveRunbookBase } from '../../observability/runbooks.ts';
import { meteringConfigFromEnv, type MeteringConfig } from '../../metering/config.ts';
import { marketplaceSettingsFromEnv, type MarketplaceSettings } from '../../adapters/marketplace/settings.ts';
import { CliError } from '../client.ts';
import { intFlag } from '../context.ts';

export interface ServeOptions {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl?: string | undefined;
  adminToken?: string | undefined;
}

export interface Running {
  url: string;
  store: Store;
  stop(): Promise<void>;
}


/**
 * PostgreSQL pool size: FLEETPLANE_DB_POOL_SIZE, else enough for the workers (each holds a
 * connection only per statement, so about one per two workers) and never below 10.
 */
function poolSize(workers: number): number {
  const explicit = Number(process.env.FLEETPLANE_DB_POOL_SIZE);
  if (Number.isInteger(explicit) && explicit > 0) return explicit;
  return Math.max(10, Math.ceil(workers / 2));
}

/**
 * Where rendered alerts link: FLEETPLANE_RUNBOOK_URL, else a local serve's default address. Not this
 * process's own address: the link is part of every rendered revision, so it must be the same in
 * every process of a fleet (two serves on different ports would otherwise render different revisions
 * of an unchanged environment). Set FLEETPLANE_RUNBOOK_URL to the API's public URL + /runbooks.
 */
function runbookBaseUrl(): string {
  try {
    return resolveRunbookBase(process.env.FLEETPLANE_RUNBOOK_URL, DEFAULT_RUNBOOK_BASE.replace(/\/runbooks$/, ''));
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

/** Metering and marketplace settings from the environment, refused with exit code 2 before anything starts. */
function meteringSettings(): { meteringConfig: MeteringConfig; marketplaces: MarketplaceSettings } {
  try {
    return { meteringConfig: meteringConfigFromEnv(process.env), marketplaces: marketplaceSettingsFromEnv(process.env) };
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err), 2);
  }
}

export async function serve(o: ServeOptions): Promise<Running> {
  const logger = createLogger({ base: { component: 'server' } });
  if (o.databaseUrl && !/^postgres(ql)?:\/\//.test(o.databaseUrl)) throw new CliError('FLEETPLANE_DATABASE_URL must start with postgres://', 2);
  const runbooks = runbookBaseUrl();
  const { meteringConfig, marketplaces } = meteringSettings();
  // The engine is loaded here, not at import, so other CLI commands start without it.
  const { engineConfig, startEngine } = await import('../../engine/index.ts');
  const store = await openStore({ databaseUrl: o.databaseUrl, dataDir: o.dataDir, maxConnections: poolSize(engineConfig({}).concurrency) });
  await store.migrate();
  // The generated secret goes to stderr once, never through the logger.
  await bootstrapAdminToken(store, { preset: o.adminToken, print: (line) => process.stderr.write(`${line}\n`) });
  const app = await buildApp({ store, logger });

  const stoppers: Array<() => Promise<void>> = [];
  // ---- delivery engine: start it here (startEngine from src/engine/index.ts) and push its stop ----
  // FLEETPLANE_WORKERS=0 runs the API without workers (the reconcile loop still runs).
  const { createGitopsDriver, gitopsConfigFromEnv } = await import('../../engine/drivers/gitops-config.ts');
  const gitops = createGitopsDriver(gitopsConfigFromEnv(o.dataDir), { logger, audit: (e) => store.audit.append(e) });
  const workers = process.env.FLEETPLANE_WORKERS !== '0';
  const engine = await startEngine({
    store, logger, workers, drivers: { gitops }, platform: { runbookBaseUrl: runbooks },
    subscribe: (onQueued) => store.db.listen('fleetplane_operations', onQueued),
  });
  stoppers.push(() => engine.stop());
  // Rollout controller and pre-scaler act on the fleet like workers do: off with FLEETPLANE_WORKERS=0.
  if (workers) {
    const { startRollouts } = await import('../../engine/rollouts/index.ts');
    const rollouts = startRollouts({ store, logger, workerId: engine.workerId });
    stoppers.push(() => rollouts.stop());
    const { startPrescalerLoop } = await import('../../scaling/loop.ts');
    const prescaler = startPrescalerLoop({ store, logger }); // null unless FLEETPLANE_PROMETHEUS_URL is set
    if (prescaler) stoppers.push(() => prescaler.stop());
    // Usage metering and marketplace export (docs/metering.md); FLEETPLANE_METERING_INTERVAL=0 turns both off.
    const { startMetering } = await import('../../metering/index.ts');
    const { marketplaceTransports } = await import('../../adapters/marketplace/index.ts');
    const metering = startMetering({ store, logger, owner: engine.workerId, config: meteringConfig, transports: await marketplaceTransports(marketplaces) });
    if (metering) stoppers.push(() => metering.stop());
  }
  // ---- end of engine spot ----

  const url = await app.listen({ port: o.port, host: o.host });
  logger.info({ url, store: store.kind, dataDir: store.kind === 'embedded' ? o.dataDir : undefined, runbooks }, 'fleetplane listening');
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= (async () => {
    logger.info('shutting down');
    await app.close();
    for (const s of stoppers.reverse()) await s();
    await store.close();
  })());
  return { url, store, stop };
}

export default function register(program: Command): void {
  program.command('serve').description('run the API server and workers')
    .option('--port <port>', 'listen port (env FLEETPLANE_PORT)', intFlag('--port'))
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--data-dir <dir>', 'embedded store and local git repos (env FLEETPLANE_DATA_DIR)')
    .action(async (opts: { port?: number; host: string; dataDir?: string }) => {
      const envPort = process.env.FLEETPLANE_PORT;
      const port = opts.port ?? (envPort ? intFlag('FLEETPLANE_PORT')(envPort) : 8080);
      if (port > 65535) throw new CliError(`--port ${port} is out of range`, 2);
      const running = await serve({
        port,
        host: opts.host,
        dataDir: opts.dataDir ?? process.env.FLEETPLANE_DATA_DIR ?? './.fleetplane',
        databaseUrl: process.env.FLEETPLANE_DATABASE_URL || undefined,
        adminToken: process.env.FLEETPLANE_ADMIN_TOKEN || undefined,
      });
      // Runs until SIGTERM/SIGINT; a failed shutdown is reported as one line with exit 1.
      await new Promise<void>((resolve, reject) => {
        const onSignal = () => {
          running.stop().then(resolve, (err: unknown) => reject(new CliError(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`, 1)));
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
