// Metering's nouns shared by the core, the store port and src/metering/: the usage dimensions and a
// tenant's marketplace mapping. Pure data; the checks live in src/metering/ (dimensions.ts, export/mapping.ts).

export const DIMENSIONS = ['environment-hours', 'cpu-core-hours', 'memory-gib-hours', 'gpu-hours', 'api-requests', 'saved-replica-hours', 'saved-gpu-hours'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Environment-level dimensions come from cluster samples; api-requests is per tenant (environment ''). */
export const MARKETPLACES = ['aws', 'azure', 'gcp'] as const;
export type Marketplace = (typeof MARKETPLACES)[number];

export interface DimensionMapping {
  /** The marketplace's dimension (AWS Dimension, Azure dimension id, Google metric without the service prefix). */
  name: string;
  /** Multiplies the Fleetplane quantity first (e.g. 1000 to send milli-core-hours as integers). Default 1. */
  scale?: number;
}

export interface AwsTarget {
  /** Legacy integrations and CustomerIdentifier: required; with licenseArn: must be absent (AWS bills twice otherwise). */
  productCode?: string;
  /** From ResolveCustomer (legacy); not supported for new SaaS integrations. */
  customerIdentifier?: string;
  /** The buyer's AWS account id (current API). */
  customerAwsAccountId?: string;
  /** Concurrent agreements: identifies product and agreement per record. */
  licenseArn?: string;
}

export interface AzureTarget {
  /** SaaS: the subscription id (a GUID). Managed applications: resourceUsageId, or use resourceUri. */
  resourceId?: string;
  resourceUri?: string;
  planId: string;
}

export interface GcpTarget {
  /** The Service Control service, e.g. example-service.gcpmarketplace.example.com. */
  serviceName: string;
  /** The entitlement's usageReportingId, e.g. project:my-project. */
  consumerId: string;
  /** How metric values are sent (the metric's value type in the service config). Default int64. */
  valueType?: 'int64' | 'double';
}

export interface MarketplaceMapping {
  tenant: string;
  marketplace: Marketplace;
  aws?: AwsTarget;
  azure?: AzureTarget;
  gcp?: GcpTarget;
  dimensions: Partial<Record<Dimension, DimensionMapping>>;
  /** Hours before this one are never exported (no backfill of history the marketplace would refuse anyway). */
  startHour: string;
  updatedAt?: string;
}

