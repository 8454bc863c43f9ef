// Inputs and contracts of the per-environment monitoring objects (ServiceMonitor, PrometheusRule,
// Grafana dashboard): what the renderer knows about an environment's metrics-serving services.
import type { EnvironmentType, Tier } from '../../domain/types.ts';

export interface ObservedService {
  /** Kubernetes Service name (becomes the `service` label on scraped series). */
  name: string;
  /** Blueprint component the service belongs to. */
  component: string;
  /** Named port serving metrics (IANA service name, e.g. "http" or "metrics"). */
  port: string;
  /** Metrics path; default /metrics. */
  path?: string;
}

export interface MonitoringContext {
  tenant: string;
  environment: string;
  envType: EnvironmentType;
  namespace: string;
  tier: Tier;
  /** Labels put on every generated object (managed-by, tenant, environment, …). */
  labels: Record<string, string>;
  services: ObservedService[];
  /**
   * Base URL of the runbook pages the alerts link to (no trailing slash), e.g.
   * https://fleetplane.internal/runbooks; default DEFAULT_RUNBOOK_BASE (runbooks.ts).
   */
  runbookBase?: string;
}

/**
 * The metric contract every customer-facing service exposes on its metrics port (documented in
 * docs/observability.md). `code` is the HTTP status code; the latency histogram must have a bucket
 * whose upper bound equals the latency objective's threshold (le="0.3").
 */
export const SERVICE_METRICS = {
  requests: 'http_requests_total',
  durationBucket: 'http_request_duration_seconds_bucket',
  durationCount: 'http_request_duration_seconds_count',
  durationSum: 'http_request_duration_seconds_sum',
} as const;

export interface Objectives {
  /** Fraction of requests that must not fail with 5xx, e.g. 0.999. */
  availability: number;
  /** Fraction of requests that must be faster than latencyThresholdSeconds. */
  latency: number;
  latencyThresholdSeconds: number;
}
