// AWS Marketplace Metering BatchMeterUsage: one UsageRecord per tenant x dimension x hour, Timestamp =
// the hour's start, at most 25 a call, ordered by time, one ProductCode per call (or none with
// LicenseArn). Identical retries are safe: AWS answers Success with the same MeteringRecordId.
import type { AwsMeteringTransport, AwsUsageRecord } from '../../adapters/marketplace/types.ts';
import type { MarketplaceLimits } from './config.ts';
import type { MarketplaceModule, Sendable, SendContext } from './marketplace.ts';
import type { MarketplaceMapping } from './mapping.ts';
import type { ExportRow, Outcome } from './types.ts';

export interface AwsPayload {
  ProductCode?: string;
  UsageRecord: { Timestamp: string; Dimension: string; Quantity: number; CustomerIdentifier?: string; CustomerAWSAccountId?: string; LicenseArn?: string };
}

export function awsPayload(row: ExportRow, m: MarketplaceMapping): AwsPayload {
  const t = m.aws ?? {};
  return {
    ...(t.productCode ? { ProductCode: t.productCode } : {}),
    UsageRecord: {
      Timestamp: row.hour, Dimension: row.marketplaceDimension, Quantity: Math.round(row.quantity),
      ...(t.customerAwsAccountId ? { CustomerAWSAccountId: t.customerAwsAccountId } : {}),
      ...(t.customerIdentifier ? { CustomerIdentifier: t.customerIdentifier } : {}),
      ...(t.licenseArn ? { LicenseArn: t.licenseArn } : {}),
    },
  };
}

const keyOf = (r: { Timestamp: Date | string; Dimension: string; CustomerIdentifier?: string; CustomerAWSAccountId?: string; LicenseArn?: string }) =>
  [new Date(r.Timestamp).getTime(), r.Dimension, r.CustomerIdentifier ?? '', r.CustomerAWSAccountId ?? '', r.LicenseArn ?? ''].join('|');

/** The BatchMeterUsage input for rows that share a ProductCode: records ordered by time. */
export function awsBatchInput(rows: Sendable[]): { ProductCode?: string; UsageRecords: AwsUsageRecord[] } {
  const payloads = rows.map((r) => r.payload as unknown as AwsPayload);
  const productCode = payloads[0]?.ProductCode;
  const records = payloads.map((p) => ({ ...p.UsageRecord, Timestamp: new Date(p.UsageRecord.Timestamp) }))
    .sort((a, b) => a.Timestamp.getTime() - b.Timestamp.getTime());
  return { ...(productCode ? { ProductCode: productCode } : {}), UsageRecords: records };
}

const REFUSALS: Record<string, string> = {
  CustomerNotSubscribed: 'CustomerNotSubscribed: the customer cannot use the product (invalid identifier, no active agreement, or a suspended account)',
  DuplicateRecord: 'DuplicateRecord: AWS already holds a different quantity for this customer, dimension and hour',
};

export function awsModule(transport: AwsMeteringTransport, limits: MarketplaceLimits): MarketplaceModule {
  return {
    limits,
    payload: (row, m) => awsPayload(row, m) as unknown as Record<string, unknown>,
    batchKey: (row) => (row.payload as unknown as AwsPayload).ProductCode ?? '',
    async send(rows: Sendable[], ctx: SendContext): Promise<Outcome[]> {
      const out = await transport.batchMeterUsage(awsBatchInput(rows));
      const results = new Map(out.results.map((r) => [keyOf(r.record), r]));
      const unprocessed = new Set(out.unprocessed.map(keyOf));
      return rows.map((row): Outcome => {
        const k = keyOf((row.payload as unknown as AwsPayload).UsageRecord);
        const r = results.get(k);
        if (r?.status === 'Success' && r.meteringRecordId) return { id: row.id, state: 'sent', requestId: r.meteringRecordId };
        if (r && REFUSALS[r.status]) return { id: row.id, state: 'refused', reason: REFUSALS[r.status]!, ...(r.meteringRecordId ? { requestId: r.meteringRecordId } : {}) };
        const why = unprocessed.has(k) ? 'left unprocessed by AWS (transient)' : `no result for the record${r ? ` (status ${r.status})` : ''}`;
        return { id: row.id, state: 'pending', reason: why, nextAttemptAt: ctx.retryAt(row) };
      });
    },
  };
}
