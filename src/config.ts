// Fleetplane's server configuration, read once: `fleetplane serve` (and the migrate script) turn the
// environment into one typed FleetplaneConfig here, and pass values down; nothing below src/cli/
// reads process.env; every FLEETPLANE_* variable is parsed and checked; a bad value is a one-line
// ConfigError naming the variable. An empty value counts as unset. docs/configuration.md lists them.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { LOG_LEVELS, type LogLevel } from './logging.ts';
import type { RetryPolicy } from './domain/ports/queue.ts';
import { parseSecretKey } from './adapters/store/crypto.ts';
import { DEFAULT_RETRY } from './adapters/store/queue/index.ts';
import type { EngineConfig } from './engine/context.ts';
import type { GitopsConfig } from './engine/drivers/gitops-config.ts';
import { ENGINE_DEFAULTS } from './engine/defaults.ts';
import { parsePlacementPolicies, type PlacementPolicy, type PlacementPolicySetting } from './plan/placement.ts';
import { parseFailoverPolicy, type FailoverPolicy } from './plan/move.ts';
import { TIERS } from './domain/types.ts';
import { ROLLOUT_INTERVAL_MS } from './engine/rollouts/index.ts';
import { MAX_TENANT_LABELS } from './metrics/registry.ts';
import { PRESCALE_INTERVAL_MS } from './scaling/loop.ts';
import { API_LIMITS, type ApiLimits } from './api/limits.ts';
import { TOKEN_TTL_LIMIT_SECONDS } from './api/schemas.ts';
import { meteringConfigFromEnv, type MeteringConfig } from './metering/config.ts';
import { marketplaceSettingsFromEnv, type MarketplaceSettings } from './adapters/marketplace/settings.ts';
import { DEFAULT_EVENTS_POLL_MS } from './api/services/change-hub.ts';

export interface FleetplaneConfig {
  server: {
    port: number;
    host: string;
    /** Bootstrap admin token; absent: the first start prints a generated one. */
    adminToken?: string;
    logLevel: LogLevel;
    /** Where rendered alerts link (checked and completed by serve, resolveRunbookBase). */
    runbookUrl?: string;
    /** Rate limit, timeouts and body limits of the API (src/api/limits.ts). */
    limits: ApiLimits;
    /** The longest lifetime of an API token (FLEETPLANE_TOKEN_MAX_TTL); absent: no maximum. */
    tokenMaxTtlSeconds?: number;
  };
  store: {
    dataDir: string;
    databaseUrl?: string;
    secretKey?: string;
    /** PostgreSQL connections of this process. */
    poolSize: number;
    retry: RetryPolicy;
  };
  /** The engine's tuning (EngineConfig documents each field; reconcileIntervalMs 0 disables). */
  engine: Omit<EngineConfig, 'workerId' | 'gitopsVerifyTimeoutMs'> & {
    /** FLEETPLANE_GITOPS_VERIFY_TIMEOUT; absent: the engine's (verifyTimeoutMs, at least 10 min). */
    gitopsVerifyTimeoutMs?: number;
    /** false: API (and reconcile loop) only; no workers, rollout controller or pre-scaler. */
    workers: boolean;
    workerId?: string;
    /** 0 disables. */
    clusterRefreshIntervalMs: number;
    clusterUnavailableAfterMs: number;
    /** One policy, or one per environment type / tenant tier (FLEETPLANE_PLACEMENT_POLICY=prod=spread,dev=cost). */
    placementPolicy: PlacementPolicySetting;
  };
  rollouts: { intervalMs: number };
  /**
   * The platform the environments are rendered for (FLEETPLANE_PLATFORM_CONFIG: a YAML or JSON file
   * with PlatformConfig's fields: base domain, egress targets, the secret store, ...), checked by
   * serve against the renderer's rules; absent: the renderer's built-in example platform.
   */
  platform?: { file: string; values: Record<string, unknown> };
  /** Evacuations and the failover policy (docs/clusters.md "Move and evacuate", "Failover"). */
  evacuation: { intervalMs: number; failover: { policy: FailoverPolicy; intervalMs: number; concurrency: number } };
  /** Kubernetes upgrades of clusters (docs/clusters.md): the provider that carries them out (none: plans are stored but not run). */
  clusterUpgrades: {
    provider: 'none' | 'testbed' | 'cluster-api'; intervalMs: number; verifyTimeoutMs: number;
    /** Cluster API provider: the management cluster's kubeconfig (a file path), the Clusters' default namespace, the per-cluster upgrade timeout. */
    clusterApi?: { kubeconfig: string; namespace: string; timeoutMs: number };
  };
  prescaler: { intervalMs: number };
  /** Prometheus for rollout metric gates and the pre-scaler (absent: neither). */
  prometheusUrl?: string;
  metrics: { maxTenants: number };
  gitops: Omit<GitopsConfig, 'dataDir'>;
  /** Usage metering (docs/metering.md); intervalMs 0 turns metering and export off. */
  metering: MeteringConfig;
  /** Marketplaces this process exports usage to, with their credentials. */
  marketplaces: MarketplaceSettings;
  /** Self-managed bundles: vendored charts (absent dir: blueprints/charts in the checkout) and the helm that pre-renders them. */
  bundles: { chartsDir?: string; helm: string };
  /** The web console and its event stream (docs/console.md). */
  console: {
    /** The console build served at /; absent: web/dist in the checkout. */
    dir?: string;
    /** Fallback poll of the change feed behind GET /v1/events/stream (NOTIFY wakes it first). */
    eventsPollMs: number;
  };
}

/** Command-line flags of `serve`; each wins over its variable. */
export interface ServeFlags {
  port?: number;
  host?: string;
  dataDir?: string;
}

/** A bad FLEETPLANE_* value; the message is one line and names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

const DEFAULT_DATA_DIR = './.fleetplane';

/** Reads and checks every FLEETPLANE_* variable `serve` uses. */
export function loadConfig(env: Env, flags: ServeFlags = {}): FleetplaneConfig {
  const r = new Reader(env);
  const engine = engineSection(r);
  return {
    server: serverSection(r, flags),
    store: storeSection(r, flags, engine.concurrency),
    engine,
    rollouts: { intervalMs: r.int('FLEETPLANE_ROLLOUT_INTERVAL_MS', { min: 1 }) ?? ROLLOUT_INTERVAL_MS },
    ...compact({ platform: platformFile(r.text('FLEETPLANE_PLATFORM_CONFIG')) }),
    evacuation: evacuationSection(r, env),
    clusterUpgrades: clusterUpgradesSection(r),
    prescaler: { intervalMs: Math.round(1000 * (r.number('FLEETPLANE_PRESCALE_INTERVAL_SECONDS', { positive: true }) ?? PRESCALE_INTERVAL_MS / 1000)) },
    ...compact({ prometheusUrl: r.httpUrl('FLEETPLANE_PROMETHEUS_URL') }),
    metrics: { maxTenants: r.int('FLEETPLANE_METRICS_MAX_TENANTS', { min: 1 }) ?? MAX_TENANT_LABELS },
    gitops: gitopsSection(r),
    metering: section(() => meteringConfigFromEnv(env)),
    marketplaces: section(() => marketplaceSettingsFromEnv(env)),
    bundles: { helm: r.text('FLEETPLANE_HELM') ?? 'helm', ...compact({ chartsDir: r.text('FLEETPLANE_CHARTS_DIR') }) },
    console: { eventsPollMs: r.int('FLEETPLANE_EVENTS_POLL_MS', { min: 1 }) ?? DEFAULT_EVENTS_POLL_MS, ...compact({ dir: r.text('FLEETPLANE_CONSOLE_DIR') }) },
  };
}

/** The platform file's mapping (its fields are checked by serve with the renderer's rules). */
function platformFile(file: string | undefined): FleetplaneConfig['platform'] {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`FLEETPLANE_PLATFORM_CONFIG: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let values: unknown;
  try {
    values = parseYaml(text, { uniqueKeys: true, maxAliasCount: 0 });
  } catch (err) {
    throw new ConfigError(`FLEETPLANE_PLATFORM_CONFIG: ${file} is not YAML or JSON: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`);
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) throw new ConfigError(`FLEETPLANE_PLATFORM_CONFIG: ${file} must hold a mapping of platform settings`);
  return { file, values: values as Record<string, unknown> };
}

/** A section parsed by its own module; its refusal becomes a ConfigError like every other. */
function section<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new ConfigError(err instanceof Error ? err.message : String(err));
  }
}

function serverSection(r: Reader, flags: ServeFlags): FleetplaneConfig['server'] {
  return {
    port: flags.port ?? r.int('FLEETPLANE_PORT', { min: 0, max: 65535 }) ?? 8080,
    host: flags.host ?? '127.0.0.1',
    logLevel: r.oneOf('FLEETPLANE_LOG_LEVEL', LOG_LEVELS) ?? 'info',
    limits: limitsSection(r),
    ...compact({ adminToken: r.raw('FLEETPLANE_ADMIN_TOKEN'), runbookUrl: r.text('FLEETPLANE_RUNBOOK_URL'), tokenMaxTtlSeconds: tokenMaxTtl(r) }),
  };
}

/** Whole seconds, at least one, at most the schema's ten years. */
function tokenMaxTtl(r: Reader): number | undefined {
  const ms = r.duration('FLEETPLANE_TOKEN_MAX_TTL', { positive: true });
  if (ms === undefined) return undefined;
  const s = Math.floor(ms / 1000);
  if (s < 1 || s > TOKEN_TTL_LIMIT_SECONDS) throw new ConfigError(`FLEETPLANE_TOKEN_MAX_TTL must be from 1s to ${TOKEN_TTL_LIMIT_SECONDS / 86400}d, got "${r.text('FLEETPLANE_TOKEN_MAX_TTL')}"`);
  return s;
}

function limitsSection(r: Reader): ApiLimits {
  const d = API_LIMITS;
  return {
    rateLimitMax: r.int('FLEETPLANE_RATE_LIMIT', { min: 0 }) ?? d.rateLimitMax,
    rateLimitWindowMs: r.duration('FLEETPLANE_RATE_LIMIT_WINDOW', { positive: true }) ?? d.rateLimitWindowMs,
    requestTimeoutMs: r.duration('FLEETPLANE_REQUEST_TIMEOUT', { positive: true }) ?? d.requestTimeoutMs,
    headersTimeoutMs: r.duration('FLEETPLANE_HEADERS_TIMEOUT', { positive: true }) ?? d.headersTimeoutMs,
    keepAliveTimeoutMs: r.duration('FLEETPLANE_KEEPALIVE_TIMEOUT', { positive: true }) ?? d.keepAliveTimeoutMs,
    bodyLimit: r.int('FLEETPLANE_BODY_LIMIT', { min: 1024 }) ?? d.bodyLimit,
    maxBodyDepth: r.int('FLEETPLANE_MAX_BODY_DEPTH', { min: 2, max: 1000 }) ?? d.maxBodyDepth,
  };
}

function storeSection(r: Reader, flags: ServeFlags, workers: number): FleetplaneConfig['store'] {
  return {
    dataDir: flags.dataDir ?? r.text('FLEETPLANE_DATA_DIR') ?? DEFAULT_DATA_DIR,
    ...compact({ databaseUrl: r.postgresUrl('FLEETPLANE_DATABASE_URL'), secretKey: r.secretKey('FLEETPLANE_SECRET_KEY') }),
    // Each worker holds a connection only per statement: about one per two workers, never below 10.
    poolSize: r.int('FLEETPLANE_DB_POOL_SIZE', { min: 1 }) ?? Math.max(10, Math.ceil(workers / 2)),
    retry: {
      baseMs: r.int('FLEETPLANE_RETRY_BASE_MS', { min: 1 }) ?? DEFAULT_RETRY.baseMs,
      maxMs: r.int('FLEETPLANE_RETRY_MAX_MS', { min: 1 }) ?? DEFAULT_RETRY.maxMs,
    },
  };
}

function engineSection(r: Reader): FleetplaneConfig['engine'] {
  const d = ENGINE_DEFAULTS;
  const or = <T>(v: T | undefined, fallback: T): T => (v === undefined ? fallback : v);
  return {
    workers: or(r.bool('FLEETPLANE_WORKERS'), true),
    concurrency: or(r.int('FLEETPLANE_WORKER_CONCURRENCY', { min: 1 }), d.concurrency),
    leaseMs: or(r.int('FLEETPLANE_LEASE_MS', { min: 1 }), d.leaseMs),
    pollMs: or(r.int('FLEETPLANE_POLL_MS', { min: 1 }), d.pollMs),
    verifyTimeoutMs: or(r.duration('FLEETPLANE_VERIFY_TIMEOUT', { positive: true }), d.verifyTimeoutMs),
    ...compact({ gitopsVerifyTimeoutMs: r.duration('FLEETPLANE_GITOPS_VERIFY_TIMEOUT', { positive: true }) }),
    verifyAttempts: or(r.int('FLEETPLANE_VERIFY_ATTEMPTS', { min: 1 }), d.verifyAttempts),
    verifyHoldMs: or(r.duration('FLEETPLANE_VERIFY_HOLD'), d.verifyHoldMs),
    cpuOvercommit: or(r.number('FLEETPLANE_CPU_OVERCOMMIT', { positive: true }), d.cpuOvercommit),
    memoryOvercommit: or(r.number('FLEETPLANE_MEMORY_OVERCOMMIT', { positive: true }), d.memoryOvercommit),
    reconcileIntervalMs: or(r.duration('FLEETPLANE_RECONCILE_INTERVAL'), d.reconcileIntervalMs),
    clusterRefreshIntervalMs: or(r.duration('FLEETPLANE_CLUSTER_REFRESH_INTERVAL'), d.clusterRefreshIntervalMs),
    clusterUnavailableAfterMs: or(r.duration('FLEETPLANE_CLUSTER_UNAVAILABLE_AFTER', { positive: true }), d.clusterUnavailableAfterMs),
    placementPolicy: placementPolicyOf(r, d.placementPolicy),
    ...compact({ workerId: r.text('FLEETPLANE_WORKER_ID') }),
  };
}

/** FLEETPLANE_PLACEMENT_POLICY: one policy, or key=policy per environment type or tenant tier. */
function placementPolicyOf(r: Reader, fallback: PlacementPolicy): PlacementPolicySetting {
  const text = r.text('FLEETPLANE_PLACEMENT_POLICY');
  if (text === undefined) return fallback;
  const parsed = parsePlacementPolicies(text, fallback);
  if ('error' in parsed) {
    throw new ConfigError(`FLEETPLANE_PLACEMENT_POLICY must be one of spread, binpack, cost, or key=policy,… per environment type or tier: ${parsed.error}`);
  }
  return parsed.setting;
}

function clusterUpgradesSection(r: Reader): FleetplaneConfig['clusterUpgrades'] {
  const provider = r.oneOf('FLEETPLANE_CLUSTER_UPGRADE_PROVIDER', ['none', 'testbed', 'cluster-api'] as const) ?? 'none';
  const kubeconfig = r.text('FLEETPLANE_CAPI_KUBECONFIG');
  if (provider === 'cluster-api' && !kubeconfig) throw new ConfigError('FLEETPLANE_CAPI_KUBECONFIG (the Cluster API management cluster\'s kubeconfig file) is required with FLEETPLANE_CLUSTER_UPGRADE_PROVIDER=cluster-api');
  return {
    provider,
    intervalMs: r.duration('FLEETPLANE_CLUSTER_UPGRADE_INTERVAL', { positive: true }) ?? 10_000,
    verifyTimeoutMs: r.duration('FLEETPLANE_CLUSTER_UPGRADE_VERIFY_TIMEOUT', { positive: true }) ?? 600_000,
    ...(provider === 'cluster-api' && kubeconfig ? {
      clusterApi: { kubeconfig, namespace: r.text('FLEETPLANE_CAPI_NAMESPACE') ?? 'default', timeoutMs: r.duration('FLEETPLANE_CAPI_UPGRADE_TIMEOUT', { positive: true }) ?? 2 * 3600_000 },
    } : {}),
  };
}

function evacuationSection(r: Reader, env: Env): FleetplaneConfig['evacuation'] {
  const parsed = parseFailoverPolicy(env.FLEETPLANE_FAILOVER, TIERS);
  if ('error' in parsed) throw new ConfigError(`FLEETPLANE_FAILOVER: ${parsed.error}`);
  return {
    intervalMs: r.duration('FLEETPLANE_EVACUATION_INTERVAL') ?? 2000,
    failover: {
      policy: parsed.policy,
      intervalMs: r.duration('FLEETPLANE_FAILOVER_INTERVAL', { positive: true }) ?? 15_000,
      concurrency: r.int('FLEETPLANE_FAILOVER_CONCURRENCY', { min: 1, max: 100 }) ?? 5,
    },
  };
}

function gitopsSection(r: Reader): FleetplaneConfig['gitops'] {
  const remoteTemplate = r.text('FLEETPLANE_GIT_REMOTE');
  if (remoteTemplate && !remoteTemplate.includes('{tenant}')) throw new ConfigError(`FLEETPLANE_GIT_REMOTE must contain {tenant}, got "${remoteTemplate}"`);
  return compact({
    remoteTemplate,
    username: r.text('FLEETPLANE_GIT_USERNAME'),
    token: r.raw('FLEETPLANE_GIT_TOKEN') ?? r.fileText('FLEETPLANE_GIT_TOKEN_FILE'),
    argoTemplate: r.text('FLEETPLANE_GIT_ARGO_URL'),
    argocdNamespace: r.text('FLEETPLANE_ARGOCD_NAMESPACE'),
    argocdCluster: r.text('FLEETPLANE_ARGOCD_CLUSTER'),
    argoCredentialsFile: r.text('FLEETPLANE_GIT_ARGO_CREDENTIALS_FILE'),
    chartMirrors: chartMirrors(r.text('FLEETPLANE_GITOPS_CHART_MIRRORS')),
  });
}

/** `upstream=mirror,upstream2=mirror2` -> { upstream: mirror, … }; a malformed pair is a ConfigError. */
function chartMirrors(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const out: Record<string, string> = {};
  for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const at = pair.indexOf('=');
    const [from, to] = [pair.slice(0, at), pair.slice(at + 1)];
    if (at <= 0 || !/^(https?|oci):\/\//.test(from) || !/^(https?|oci):\/\//.test(to)) {
      throw new ConfigError(`FLEETPLANE_GITOPS_CHART_MIRRORS: "${pair}" is not <upstream URL>=<mirror URL>`);
    }
    out[from] = to;
  }
  return out;
}

/** The object without its undefined properties (optional settings stay absent, not undefined). */
function compact<T extends Record<string, unknown>>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** "1500" (ms), "250ms", "30s", "5m", "1.5h", "90d" -> ms; undefined when it is not a duration. */
export function parseDuration(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
  if (!m) return undefined;
  const mult = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * mult);
}

/** One variable at a time: unset (or empty) is undefined, anything else must parse. */
class Reader {
  constructor(private readonly env: Env) {}

  text(name: string): string | undefined {
    const v = this.env[name]?.trim();
    return v ? v : undefined;
  }

  /** As set, not trimmed (tokens); empty is unset. */
  raw(name: string): string | undefined {
    const v = this.env[name];
    return v ? v : undefined;
  }

  private fail(name: string, want: string, got: string): never {
    throw new ConfigError(`${name} must be ${want}, got "${got}"`);
  }

  int(name: string, o: { min: number; max?: number }): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    const want = o.max === undefined ? `an integer >= ${o.min}` : `an integer from ${o.min} to ${o.max}`;
    if (!/^\d+$/.test(v) || n < o.min || (o.max !== undefined && n > o.max)) this.fail(name, want, v);
    return n;
  }

  number(name: string, o: { positive: boolean }): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (o.positive && n === 0)) this.fail(name, o.positive ? 'a number > 0' : 'a number >= 0', v);
    return n;
  }

  duration(name: string, o: { positive?: boolean } = {}): number | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    const ms = parseDuration(v);
    if (ms === undefined || (o.positive && ms === 0)) this.fail(name, `a duration${o.positive ? ' > 0' : ''} (milliseconds, or with a unit: 250ms, 30s, 5m, 1h)`, v);
    return ms;
  }

  bool(name: string): boolean | undefined {
    const v = this.text(name)?.toLowerCase();
    if (v === undefined) return undefined;
    if (v === '1' || v === 'true') return true;
    if (v === '0' || v === 'false') return false;
    return this.fail(name, '0, 1, true or false', v);
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.text(name)?.toLowerCase();
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) this.fail(name, `one of ${values.join(', ')}`, v);
    return v as T;
  }

  postgresUrl(name: string): string | undefined {
    const v = this.text(name);
    if (v !== undefined && !/^postgres(ql)?:\/\/./.test(v)) throw new ConfigError(`${name} must be a postgres:// or postgresql:// URL`);
    return v;
  }

  httpUrl(name: string): string | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(v).protocol);
    } catch {
      ok = false;
    }
    if (!ok) this.fail(name, 'an http:// or https:// URL', v);
    return v;
  }

  /** Checked (32 bytes, hex or base64) but kept as written; the value itself never appears in an error. */
  secretKey(name: string): string | undefined {
    const v = this.text(name);
    if (v === undefined) return undefined;
    try {
      parseSecretKey(v);
    } catch {
      throw new ConfigError(`${name} must be 32 bytes, written as 64 hex characters or base64`);
    }
    return v;
  }

  fileText(name: string): string | undefined {
    const path = this.text(name);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8').trim() || undefined;
    } catch (err) {
      throw new ConfigError(`${name}: cannot read ${path} (${(err as { code?: string }).code ?? 'error'})`);
    }
  }
}
