// Google Cloud Service Control services.report: one operation per tenant x metric x hour (or per
// correction), startTime/endTime = the hour, consumerId = the entitlement's usageReportingId, and a
// name-based operationId (UUID v5 of the export row's identity) so a retried report is deduplicated.
import type { GcpOperation, GcpServiceControlTransport } from '../../adapters/marketplace/types.ts';
import type { MarketplaceLimits } from './config.ts';
import { hourEnd, type MarketplaceModule, type Sendable, type SendContext } from './marketplace.ts';
import type { MarketplaceMapping } from './mapping.ts';
import { uuidV5 } from './uuid.ts';
import type { ExportRow, Outcome } from './types.ts';

export const OPERATION_NAME = 'Fleetplane hourly usage';

export function gcpPayload(row: ExportRow, m: MarketplaceMapping): GcpOperation {
  const t = m.gcp!;
  const value = (t.valueType ?? 'int64') === 'int64' ? { int64Value: String(Math.round(row.quantity)) } : { doubleValue: row.quantity };
  return {
    operationId: uuidV5(`gcp/${row.tenant}/${row.source}/${row.sourceKey}`),
    operationName: OPERATION_NAME,
    consumerId: t.consumerId,
    startTime: row.hour,
    endTime: hourEnd(row.hour),
    metricValueSets: [{ metricName: `${t.serviceName}/${row.marketplaceDimension}`, metricValues: [value] }],
  };
}

/** google.rpc.Code values worth another try: DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, INTERNAL, UNAVAILABLE. */
const RETRY_CODES = new Set([4, 8, 10, 13, 14]);

export function gcpModule(transport: GcpServiceControlTransport, limits: MarketplaceLimits): MarketplaceModule {
  return {
    limits,
    payload: (row, m) => gcpPayload(row, m) as unknown as Record<string, unknown>,
    batchKey: () => '',
    async send(rows: Sendable[], ctx: SendContext): Promise<Outcome[]> {
      const ops = rows.map((r) => r.payload as unknown as GcpOperation).sort((a, b) => Date.parse(a.startTime) - Date.parse(b.startTime));
      const res = await transport.report(ctx.mapping.gcp!.serviceName, ops);
      const errors = new Map(res.reportErrors.map((e) => [e.operationId ?? '', e.status]));
      return rows.map((row): Outcome => {
        const opId = (row.payload as unknown as GcpOperation).operationId;
        const err = errors.get(opId);
        if (err === undefined) return { id: row.id, state: 'sent', requestId: opId };
        const why = `Service Control ${err?.code ?? '?'}: ${err?.message ?? 'report error'}`;
        if (err?.code !== null && err?.code !== undefined && RETRY_CODES.has(err.code)) return { id: row.id, state: 'pending', reason: why, nextAttemptAt: ctx.retryAt(row) };
        return { id: row.id, state: 'refused', reason: why };
      });
    },
  };
}
