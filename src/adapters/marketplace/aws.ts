// AWS Marketplace Metering through the AWS SDK v3 client: the SDK signs and serialises the request
// (awsJson1_1, X-Amz-Target AWSMPMeteringService.BatchMeterUsage). The SDK's own retries are off
// (maxAttempts 1): the exporter retries with stored backoff, which survives a restart.
import { BatchMeterUsageCommand, MarketplaceMeteringClient, type MarketplaceMeteringClientConfig, type UsageRecord } from '@aws-sdk/client-marketplace-metering';
import { MarketplaceCallError, type AwsMeteringTransport, type AwsUsageRecord } from './types.ts';

/** Errors a later identical call can get past; everything else is about the request itself. */
const RETRYABLE = new Set(['ThrottlingException', 'InternalServiceErrorException', 'TimeoutError', 'RequestTimeout', 'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT']);

export interface AwsTransportOptions {
  /** AWS Marketplace Metering region (default us-east-1). */
  region?: string;
  /** Anything else for the client: credentials, endpoint, and in tests `requestHandler`. */
  client?: Omit<MarketplaceMeteringClientConfig, 'region' | 'maxAttempts'>;
}

const toRecord = (r: UsageRecord): AwsUsageRecord => ({
  Timestamp: r.Timestamp ?? new Date(0), Dimension: r.Dimension ?? '', Quantity: r.Quantity ?? 0,
  ...(r.CustomerIdentifier ? { CustomerIdentifier: r.CustomerIdentifier } : {}),
  ...(r.CustomerAWSAccountId ? { CustomerAWSAccountId: r.CustomerAWSAccountId } : {}),
  ...(r.LicenseArn ? { LicenseArn: r.LicenseArn } : {}),
});

/** The SDK's error as a MarketplaceCallError: retryable for throttling, service errors, 5xx and no answer. */
function classify(err: unknown): MarketplaceCallError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number; requestId?: string }; $retryable?: unknown };
  const name = e.name ?? e.code ?? 'Error';
  const status = e.$metadata?.httpStatusCode;
  const retryable = RETRYABLE.has(name) || RETRYABLE.has(e.code ?? '') || Boolean(e.$retryable) || status === undefined || status >= 500;
  return new MarketplaceCallError(`AWS BatchMeterUsage: ${name}: ${e.message ?? ''}`.trim(), retryable, name, e.$metadata?.requestId, { cause: err });
}

export function awsMeteringTransport(o: AwsTransportOptions = {}): AwsMeteringTransport {
  const client = new MarketplaceMeteringClient({ ...o.client, region: o.region ?? 'us-east-1', maxAttempts: 1 });
  return {
    async batchMeterUsage(input) {
      try {
        const out = await client.send(new BatchMeterUsageCommand(input));
        return {
          results: (out.Results ?? []).map((r) => ({ record: toRecord(r.UsageRecord ?? {} as UsageRecord), status: r.Status ?? 'Unknown', ...(r.MeteringRecordId ? { meteringRecordId: r.MeteringRecordId } : {}) })),
          unprocessed: (out.UnprocessedRecords ?? []).map(toRecord),
          ...(out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {}),
        };
      } catch (err) {
        throw classify(err);
      }
    },
  };
}
