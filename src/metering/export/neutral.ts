// Marketplace-neutral exports of usage records: CSV (RFC 4180) and JSON rows, and OpenMeter-compatible
// CloudEvents (specversion 1.0, subject = the customer, one event per record version: the finalized
// quantity, then one per correction with its delta, so a consumer that sums events by id dedupe
// gets the current total). Events are built and validated by the CNCF CloudEvents SDK.
import { CloudEvent } from 'cloudevents';
import { HOUR_MS } from '../dimensions.ts';
import type { Correction, UsageRecord } from '../types.ts';

export const CSV_COLUMNS = ['tenant', 'environment', 'dimension', 'unit', 'hour_start', 'hour_end', 'quantity', 'state', 'version', 'samples', 'finalized_at'] as const;

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function usageCsv(records: readonly UsageRecord[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of records) {
    lines.push([r.tenant, r.environment ?? '', r.dimension, r.unit, r.hour, r.hourEnd, r.quantity, r.state, r.version, r.samples, r.finalizedAt ?? ''].map(cell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

export const CLOUDEVENT_TYPE = 'io.fleetplane.usage';

export interface CloudEventsOptions {
  /** CloudEvents `source`: this Fleetplane installation, e.g. its API URL. */
  source: string;
  /** The OpenMeter subject (customer id) of a tenant; default the tenant slug. */
  subject?: (tenant: string) => string;
}

function event(o: CloudEventsOptions, r: { tenant: string; environment: string | null; dimension: string; unit: string; hour: string; version: number }, quantity: number, kind: 'usage' | 'correction') {
  const id = `${r.tenant}/${r.environment ?? '-'}/${r.dimension}/${r.hour}/v${r.version}`;
  return new CloudEvent({
    specversion: '1.0', type: CLOUDEVENT_TYPE, id, source: o.source, subject: (o.subject ?? ((t) => t))(r.tenant), time: r.hour, datacontenttype: 'application/json',
    data: {
      tenant: r.tenant, environment: r.environment, dimension: r.dimension, unit: r.unit, quantity, kind, version: r.version,
      hourStart: r.hour, hourEnd: new Date(Date.parse(r.hour) + HOUR_MS).toISOString(),
    },
  }).toJSON();
}

/**
 * Final records and their corrections as CloudEvents, oldest hour first. A record corrected to
 * version N yields its version-1 quantity (current minus the deltas) and N-1 correction events.
 */
export function usageCloudEvents(records: readonly UsageRecord[], corrections: readonly Correction[], o: CloudEventsOptions): Array<Record<string, unknown>> {
  const byRecord = new Map<string, Correction[]>();
  for (const c of corrections) {
    const k = `${c.environment ?? ''}|${c.dimension}|${c.hour}`;
    byRecord.set(k, [...(byRecord.get(k) ?? []), c]);
  }
  const out: Array<Record<string, unknown>> = [];
  for (const r of records) {
    if (r.state !== 'final') continue;
    const cs = (byRecord.get(`${r.environment ?? ''}|${r.dimension}|${r.hour}`) ?? []).sort((a, b) => a.version - b.version);
    const first = cs[0];
    // A record born late (version 1 from a correction) has no finalized quantity of its own.
    const bornLate = first !== undefined && first.version === 1;
    const original = bornLate ? 0 : Number((r.quantity - cs.reduce((s, c) => s + c.delta, 0)).toFixed(6));
    if (!bornLate) out.push(event(o, { ...r, version: 1 }, original, 'usage'));
    for (const c of cs) out.push(event(o, { ...r, version: c.version }, c.delta, 'correction'));
  }
  return out;
}
