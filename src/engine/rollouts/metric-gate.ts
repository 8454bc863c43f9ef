// The metric gate: one PromQL instant query against the Prometheus HTTP API after a wave finishes.
// Placeholders let one query cover the wave: $tenants and $environments become regex alternations
// (use them as tenant=~"$tenants"). Every returned sample must satisfy `value <op> threshold`;
// no data fails the gate (an unobserved wave is not a healthy wave).
import type { MetricGate } from '../../domain/rollouts.ts';

export interface GateResult {
  pass: boolean;
  value: number | null;
  reason?: string;
}

interface PromResponse {
  status: string;
  error?: string;
  data?: { resultType: string; result: unknown };
}

export function expandQuery(query: string, targets: Array<{ tenant: string; environment: string }>): string {
  const alt = (xs: string[]) => [...new Set(xs)].sort().map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&')).join('|');
  return query.replaceAll('$tenants', alt(targets.map((t) => t.tenant))).replaceAll('$environments', alt(targets.map((t) => t.environment)));
}

export function compare(value: number, op: MetricGate['op'], threshold: number): boolean {
  switch (op) {
    case '<': return value < threshold;
    case '<=': return value <= threshold;
    case '>': return value > threshold;
    case '>=': return value >= threshold;
  }
}

function samples(data: PromResponse['data']): number[] {
  if (!data) return [];
  if (data.resultType === 'scalar') return [Number((data.result as [number, string])[1])];
  if (data.resultType === 'vector') return (data.result as Array<{ value: [number, string] }>).map((s) => Number(s.value[1]));
  return [];
}

export async function evaluateMetricGate(
  gate: MetricGate,
  opts: { url: string; targets: Array<{ tenant: string; environment: string }>; now: Date; signal?: AbortSignal; fetchImpl?: typeof fetch },
): Promise<GateResult> {
  const query = expandQuery(gate.query, opts.targets);
  const url = new URL('/api/v1/query', opts.url);
  url.searchParams.set('query', query);
  url.searchParams.set('time', String(opts.now.getTime() / 1000));
  const res = await (opts.fetchImpl ?? fetch)(url, { signal: opts.signal ?? AbortSignal.timeout(10_000) });
  const body = (await res.json().catch(() => ({ status: 'error', error: `HTTP ${res.status}` }))) as PromResponse;
  if (body.status !== 'success') return { pass: false, value: null, reason: `metric query failed: ${body.error ?? `HTTP ${res.status}`}` };
  const values = samples(body.data);
  if (values.length === 0) return { pass: false, value: null, reason: `metric gate: no data for ${query}` };
  const worst = values.find((v) => !compare(v, gate.op, gate.threshold) || Number.isNaN(v));
  if (worst !== undefined) return { pass: false, value: worst, reason: `metric gate: ${worst} ${gate.op} ${gate.threshold} is false for ${query}` };
  return { pass: true, value: values[0]! };
}
