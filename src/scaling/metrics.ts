// Pre-scaler metrics on the shared registry. Labels stay bounded: action is an enum; the gauge carries
// tenant through the capped tenant labeler and the environment name (a handful per tenant).
import { Counter, Gauge } from 'prom-client';
import { registry, tenantLabels } from '../metrics/registry.ts';

export const decisionsTotal = new Counter({
  name: 'fleetplane_prescale_decisions_total',
  help: 'Pre-scaler decisions by action (raise, hold, release, noop, error) and mode (dry-run, active).',
  labelNames: ['action', 'mode'] as const,
  registers: [registry],
});

export const minReplicasGauge = new Gauge({
  name: 'fleetplane_prescale_min_replicas',
  help: 'minReplicas the pre-scaler wants for an environment\'s HPA (applied in active mode).',
  labelNames: ['tenant', 'environment'] as const,
  registers: [registry],
});

export const forecastUpperGauge = new Gauge({
  name: 'fleetplane_prescale_forecast_upper',
  help: 'Forecast upper bound of the load over the lead-time window, in the policy query\'s unit.',
  labelNames: ['tenant', 'environment'] as const,
  registers: [registry],
});

export function observeDecision(d: { tenant: string; environment: string; action: string; mode: string; minReplicas: number; upper: number | null }): void {
  decisionsTotal.inc({ action: d.action, mode: d.mode });
  const labels = { tenant: tenantLabels.label(d.tenant), environment: d.environment.slice(0, 63) };
  minReplicasGauge.set(labels, d.minReplicas);
  if (d.upper !== null && Number.isFinite(d.upper)) forecastUpperGauge.set(labels, d.upper);
}
