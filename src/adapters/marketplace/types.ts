// What the exporter needs from each marketplace, one interface per marketplace, so the real SDK
// clients (AWS, Google) and Azure's REST API are interchangeable with anything that speaks the same
// shapes. Errors carry whether a retry can help.

/** AWS BatchMeterUsage, record shapes as in @aws-sdk/client-marketplace-metering. */
export interface AwsUsageRecord {
  Timestamp: Date;
  Dimension: string;
  Quantity: number;
  CustomerIdentifier?: string;
  CustomerAWSAccountId?: string;
  LicenseArn?: string;
}
export interface AwsBatchResult {
  results: Array<{ record: AwsUsageRecord; status: string; meteringRecordId?: string }>;
  unprocessed: AwsUsageRecord[];
  requestId?: string;
}
export interface AwsMeteringTransport {
  batchMeterUsage(input: { ProductCode?: string; UsageRecords: AwsUsageRecord[] }): Promise<AwsBatchResult>;
}

/** Azure Marketplace metering usage event (REST, api-version 2018-08-31). */
export interface AzureUsageEvent {
  resourceId?: string;
  resourceUri?: string;
  quantity: number;
  dimension: string;
  effectiveStartTime: string;
  planId: string;
}
export interface AzureResponse {
  status: number;
  body: unknown;
  /** x-ms-requestid of the answer. */
  requestId?: string;
}
export interface AzureMeteringTransport {
  usageEvent(event: AzureUsageEvent, requestId: string): Promise<AzureResponse>;
  batchUsageEvent(events: AzureUsageEvent[], requestId: string): Promise<AzureResponse>;
}

/** Google Cloud Service Control v1 services.report. */
export interface GcpOperation {
  operationId: string;
  operationName: string;
  consumerId: string;
  startTime: string;
  endTime: string;
  metricValueSets: Array<{ metricName: string; metricValues: Array<{ int64Value?: string; doubleValue?: number }> }>;
  userLabels?: Record<string, string>;
}
export interface GcpReportResult {
  reportErrors: Array<{ operationId?: string | null; status?: { code?: number | null; message?: string | null } | null }>;
  serviceRolloutId?: string;
}
export interface GcpServiceControlTransport {
  report(serviceName: string, operations: GcpOperation[]): Promise<GcpReportResult>;
}

export interface MarketplaceTransports {
  aws?: AwsMeteringTransport;
  azure?: AzureMeteringTransport;
  gcp?: GcpServiceControlTransport;
}

/** A failed call: `retryable` when trying the same request later may succeed (throttling, 5xx, network). */
export class MarketplaceCallError extends Error {
  constructor(message: string, readonly retryable: boolean, readonly code: string, readonly requestId?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MarketplaceCallError';
  }
}
