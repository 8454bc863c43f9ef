// The control plane's one Prometheus registry. Every fleetplane_* metric registers here, so
// GET /metrics serves the API's RED metrics, the engine's work metrics and process metrics together.
//
// Cardinality rule (docs/observability.md): labels take values from small, bounded sets only:
// enums (kind, result, state, verb, status_class), route patterns, cluster names (a dozen) and
// tenant slugs through a capped labeler (beyond the cap: "other"). Never operation ids, rollout
// ids, request ids, raw URLs or error messages.
import { Registry, collectDefaultMetrics } from 'prom-client';
import { isDnsLabel } from '../domain/naming.ts';

export const METRIC_PREFIX = 'fleetplane_';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
// prom-client names three gauges *_total, which `promtool check metrics` rejects (only counters end
// in _total). Their per-type siblings (fleetplane_nodejs_active_handles{type}, …) carry the same data.
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
  registry.removeSingleMetric(`${METRIC_PREFIX}${name}`);
}

/**
 * Maps unbounded values (tenant slugs) to labels: the first `cap` distinct values are kept, later
 * ones become `overflow`. Values that are not DNS labels become `invalid` and never take a slot.
 */
export class BoundedLabel {
  private readonly seen = new Set<string>();
  constructor(
    /** Distinct values kept; `serve` sets the shared tenant labeler's once at start. */
    public cap: number,
    readonly overflow = 'other',
    private readonly valid: (value: string) => boolean = isDnsLabel,
  ) {}

  /** Label for value; only values with admit=true may take a new slot. */
  label(value: string | null | undefined, admit = true): string {
    if (value === null || value === undefined || value === '') return 'none';
    if (this.seen.has(value)) return value;
    if (!this.valid(value)) return 'invalid';
    if (!admit || this.seen.size >= this.cap) return this.overflow;
    this.seen.add(value);
    return value;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** Default cap of distinct tenant labels (FLEETPLANE_METRICS_MAX_TENANTS). */
export const MAX_TENANT_LABELS = 500;

/** Bounded per-tenant labels shared by all fleetplane_* metrics that carry a tenant label; `serve` sets the cap. */
export const tenantLabels = new BoundedLabel(MAX_TENANT_LABELS);
