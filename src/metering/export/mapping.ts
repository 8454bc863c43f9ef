// A tenant's marketplace mapping: which marketplace bills it, how that marketplace names the
// customer, and which marketplace dimension each Fleetplane dimension is sent as. Pure checks
// beyond what the API's JSON Schema can say (one-of rules from the marketplaces' own docs).
import { DIMENSIONS } from '../dimensions.ts';
import { MARKETPLACES, type AwsTarget, type AzureTarget, type DimensionMapping, type GcpTarget, type Marketplace, type MarketplaceMapping } from '../../domain/metering.ts';

export { MARKETPLACES, type AwsTarget, type AzureTarget, type DimensionMapping, type GcpTarget, type Marketplace, type MarketplaceMapping };

export interface FieldError { field: string; message: string }

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function checkAws(t: AwsTarget | undefined, errs: FieldError[]): void {
  if (!t) return void errs.push({ field: '/aws', message: 'required when marketplace is aws' });
  const ids = [t.customerIdentifier, t.customerAwsAccountId].filter((x) => x !== undefined).length;
  if (ids !== 1) errs.push({ field: '/aws', message: 'give exactly one of customerAwsAccountId or customerIdentifier' });
  if (t.customerAwsAccountId !== undefined && !/^\d{12}$/.test(t.customerAwsAccountId)) errs.push({ field: '/aws/customerAwsAccountId', message: 'must be a 12-digit AWS account id' });
  if (t.licenseArn && t.productCode) errs.push({ field: '/aws/productCode', message: 'leave out productCode with licenseArn (AWS bills a customer twice when a record carries both in one hour)' });
  if (!t.licenseArn && !t.productCode) errs.push({ field: '/aws/productCode', message: 'required unless licenseArn is given' });
  if (t.customerIdentifier && !t.productCode) errs.push({ field: '/aws/productCode', message: 'required with customerIdentifier' });
}

function checkAzure(t: AzureTarget | undefined, errs: FieldError[]): void {
  if (!t) return void errs.push({ field: '/azure', message: 'required when marketplace is azure' });
  if ((t.resourceId === undefined) === (t.resourceUri === undefined)) errs.push({ field: '/azure', message: 'give exactly one of resourceId or resourceUri' });
  if (t.resourceId !== undefined && !GUID.test(t.resourceId)) errs.push({ field: '/azure/resourceId', message: 'must be a GUID (the SaaS subscription id or the managed application resourceUsageId)' });
}

function checkGcp(t: GcpTarget | undefined, errs: FieldError[]): void {
  if (!t) return void errs.push({ field: '/gcp', message: 'required when marketplace is gcp' });
  if (!/^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}$/.test(t.serviceName)) errs.push({ field: '/gcp/serviceName', message: 'must be a service name such as example.gcpmarketplace.example.com' });
  if (!/^(project|projectNumber|api_key):\S+$/.test(t.consumerId)) errs.push({ field: '/gcp/consumerId', message: 'must be the usageReportingId, e.g. project:<id>' });
}

/** Field errors of a mapping (empty when it is usable). */
export function checkMapping(m: MarketplaceMapping): FieldError[] {
  const errs: FieldError[] = [];
  ({ aws: checkAws, azure: checkAzure, gcp: checkGcp })[m.marketplace](m[m.marketplace] as never, errs);
  for (const other of MARKETPLACES) if (other !== m.marketplace && m[other] !== undefined) errs.push({ field: `/${other}`, message: `only /${m.marketplace} may be given for marketplace ${m.marketplace}` });
  const names = new Map<string, string>();
  for (const [dim, dm] of Object.entries(m.dimensions)) {
    if (!(DIMENSIONS as readonly string[]).includes(dim)) errs.push({ field: `/dimensions/${dim}`, message: `unknown dimension; one of ${DIMENSIONS.join(', ')}` });
    if (!dm) continue;
    const seen = names.get(dm.name);
    if (seen) errs.push({ field: `/dimensions/${dim}/name`, message: `${dm.name} is already used by ${seen}` });
    names.set(dm.name, dim);
  }
  if (Object.keys(m.dimensions).length === 0) errs.push({ field: '/dimensions', message: 'map at least one dimension' });
  if (Number.isNaN(Date.parse(m.startHour)) || Date.parse(m.startHour) % 3_600_000 !== 0) errs.push({ field: '/startHour', message: 'must be a whole UTC hour, e.g. 2026-12-01T00:00:00Z' });
  return errs;
}

/** Quantities a marketplace takes: AWS integers; Google int64 unless the metric is double; Azure doubles. */
export function sendsIntegers(m: Pick<MarketplaceMapping, 'marketplace' | 'gcp'>): boolean {
  return m.marketplace === 'aws' || (m.marketplace === 'gcp' && (m.gcp?.valueType ?? 'int64') === 'int64');
}
