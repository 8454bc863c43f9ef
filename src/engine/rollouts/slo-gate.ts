// The per-tenant SLO gate: after a wave (and its bake time), every environment the rollout has upgraded
// so far is checked against its OWN error budget, read from the recording rules Fleetplane generated for
// it at onboarding (src/render/monitoring/rules.ts: service:http_request_errors:ratio_rate<w> and
// service:http_request_slow:ratio_rate<w>, labelled tenant/environment) with the same multi-window
// thresholds as its burn-rate alerts (src/render/monitoring/slo.ts: the long AND the short window above
// factor × (1 − objective of the tenant's tier)). Any breach fails the gate, naming tenant, environment,
// service, SLO, window and value. One instant query per (SLO, window), all environments at once.
import type { InstantReader } from '../../domain/ports/instant-reader.ts';
import type { Tier } from '../../domain/types.ts';
import { RECORDED } from '../../render/monitoring/rules.ts';
import { BURN_WINDOWS, burnThreshold, objectivesFor, type Severity } from '../../render/monitoring/slo.ts';
import { expandQuery } from './metric-gate.ts';

export interface SloGate {
  /** Which of the alert conditions fail the gate: page (fast burn, default) and/or ticket (slow burn). */
  severities: Severity[];
}

export interface SloTarget { tenant: string; environment: string; tier: Tier }

export interface SloBreach {
  tenant: string;
  environment: string;
  service: string;
  slo: 'availability' | 'latency';
  /** "1h/5m": the long and the short window. */
  window: string;
  /** Bad-request ratio in the long and short windows, and the threshold both exceeded. */
  value: number;
  shortValue: number;
  threshold: number;
  /** value ÷ error budget: how many times faster than sustainable the budget burns. */
  burnRate: number;
}

export interface SloGateResult { pass: boolean; breaches: SloBreach[]; reason?: string }

const SLOS = [['availability', RECORDED.errorRatio], ['latency', RECORDED.slowRatio]] as const;

/** The recorded ratio over window `w` for every target (regex alternations of their tenants and environments). */
export function ratioQuery(series: string, targets: readonly SloTarget[]): string {
  return expandQuery(`${series}{tenant=~"$tenants",environment=~"$environments"}`, [...targets]);
}

export type { InstantReader } from '../../domain/ports/instant-reader.ts';

const key = (l: Record<string, string>): string => `${l.tenant}\u0000${l.environment}\u0000${l.service ?? ''}`;

async function ratios(read: InstantReader, series: string, targets: readonly SloTarget[]): Promise<Map<string, { labels: Record<string, string>; value: number }>> {
  const wanted = new Set(targets.map((t) => `${t.tenant}\u0000${t.environment}`));
  const out = new Map<string, { labels: Record<string, string>; value: number }>();
  // The regexes over tenants and environments can cross-match (a-prod, b-staging); keep exact pairs only.
  for (const s of await read(ratioQuery(series, targets))) if (wanted.has(`${s.labels.tenant}\u0000${s.labels.environment}`)) out.set(key(s.labels), s);
  return out;
}

export async function evaluateSloGate(gate: SloGate, targets: readonly SloTarget[], read: InstantReader): Promise<SloGateResult> {
  if (targets.length === 0) return { pass: true, breaches: [] };
  const tiers = new Map(targets.map((t) => [`${t.tenant}\u0000${t.environment}`, t.tier]));
  const breaches: SloBreach[] = [];
  for (const [slo, series] of SLOS) {
    for (const b of BURN_WINDOWS.filter((x) => gate.severities.includes(x.severity))) {
      const [long, short] = await Promise.all([ratios(read, series(b.long), targets), ratios(read, series(b.short), targets)]);
      for (const [k, l] of long) {
        const tier = tiers.get(`${l.labels.tenant}\u0000${l.labels.environment}`)!;
        const o = objectivesFor(tier);
        const objective = slo === 'availability' ? o.availability : o.latency;
        const threshold = burnThreshold(objective, b.factor);
        const s = short.get(k);
        if (l.value > threshold && s && s.value > threshold) {
          breaches.push({
            tenant: l.labels.tenant!, environment: l.labels.environment!, service: l.labels.service ?? '', slo, window: `${b.long}/${b.short}`,
            value: l.value, shortValue: s.value, threshold, burnRate: Number((l.value / (1 - objective)).toPrecision(4)),
          });
        }
      }
    }
  }
  if (breaches.length === 0) return { pass: true, breaches };
  const first = breaches[0]!;
  const more = breaches.length > 1 ? ` (+${breaches.length - 1} more)` : '';
  return {
    pass: false, breaches,
    reason: `SLO gate: ${first.tenant}/${first.environment} service ${first.service} burns its ${first.slo} budget ${first.burnRate}x over ${first.window} (ratio ${first.value.toPrecision(3)} > ${first.threshold})${more}`,
  };
}
