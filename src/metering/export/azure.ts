// Azure Marketplace metering: one usage event per resource x dimension x hour (effectiveStartTime =
// the hour's start), up to 24 h late, 1..25 events per batch. A duplicate (409, or "Duplicate" in a
// batch) of an event with the same quantity means Azure already accepted it: recorded as sent once.
import type { AzureMeteringTransport, AzureResponse, AzureUsageEvent } from '../../adapters/marketplace/types.ts';
import { MarketplaceCallError } from '../../adapters/marketplace/types.ts';
import type { MarketplaceLimits } from './config.ts';
import type { MarketplaceModule, Sendable, SendContext } from './marketplace.ts';
import type { MarketplaceMapping } from './mapping.ts';
import { uuidV5 } from './uuid.ts';
import type { ExportRow, Outcome } from './types.ts';

export function azurePayload(row: ExportRow, m: MarketplaceMapping): AzureUsageEvent {
  const t = m.azure!;
  return {
    ...(t.resourceId ? { resourceId: t.resourceId } : { resourceUri: t.resourceUri! }),
    quantity: row.quantity, dimension: row.marketplaceDimension, effectiveStartTime: row.hour, planId: t.planId,
  };
}

interface ResultItem {
  status?: string;
  usageEventId?: string;
  resourceId?: string;
  resourceUri?: string;
  dimension?: string;
  effectiveStartTime?: string;
  quantity?: number;
  error?: { code?: string; message?: string; additionalInfo?: { acceptedMessage?: ResultItem } };
  additionalInfo?: ResultItem & { acceptedMessage?: ResultItem };
  message?: string;
  code?: string;
}

const keyOf = (e: { resourceId?: string | undefined; resourceUri?: string | undefined; dimension?: string | undefined; effectiveStartTime?: string | undefined }) =>
  [(e.resourceId ?? '').toLowerCase(), e.resourceUri ?? '', e.dimension ?? '', e.effectiveStartTime ? Date.parse(e.effectiveStartTime) : ''].join('|');

/** A duplicate is ours (already accepted) only when Azure holds the same quantity. */
function duplicate(row: Sendable, accepted: ResultItem | undefined, how: string): Outcome {
  const ev = row.payload as unknown as AzureUsageEvent;
  if (accepted?.quantity !== undefined && Number(accepted.quantity) !== ev.quantity) {
    return { id: row.id, state: 'refused', reason: `${how}: Azure already holds ${accepted.quantity} for this resource, dimension and hour (not ${ev.quantity})`, ...(accepted.usageEventId ? { requestId: accepted.usageEventId } : {}) };
  }
  return { id: row.id, state: 'sent', requestId: accepted?.usageEventId ?? `duplicate:${keyOf(ev)}`, reason: `${how}: already accepted earlier` };
}

const REFUSED = new Set(['Expired', 'ResourceNotFound', 'ResourceNotAuthorized', 'ResourceNotActive', 'InvalidDimension', 'InvalidQuantity', 'BadArgument']);

function itemOutcome(row: Sendable, item: ResultItem | undefined, ctx: SendContext): Outcome {
  if (!item) return { id: row.id, state: 'pending', reason: 'no result for the event', nextAttemptAt: ctx.retryAt(row) };
  if (item.status === 'Accepted' && item.usageEventId) return { id: row.id, state: 'sent', requestId: item.usageEventId };
  if (item.status === 'Duplicate') return duplicate(row, item.error?.additionalInfo?.acceptedMessage, 'Duplicate');
  const why = `${item.status ?? 'unknown status'}${item.error?.message ? `: ${item.error.message}` : ''}`;
  if (item.status && REFUSED.has(item.status)) return { id: row.id, state: 'refused', reason: why };
  return { id: row.id, state: 'pending', reason: why, nextAttemptAt: ctx.retryAt(row) };
}

function callError(res: AzureResponse, path: string): MarketplaceCallError {
  const b = (res.body ?? {}) as ResultItem;
  const msg = `Azure ${path}: HTTP ${res.status}${b.code ? ` ${b.code}` : ''}${b.message ? `: ${b.message}` : ''}`;
  // 400 is about the request (bad data, expired); auth (401/403), throttling and 5xx may pass later.
  return new MarketplaceCallError(msg, res.status !== 400, String(res.status), res.requestId);
}

function single(row: Sendable, res: AzureResponse): Outcome {
  const b = (res.body ?? {}) as ResultItem;
  if (res.status === 200 && b.usageEventId) return { id: row.id, state: 'sent', requestId: b.usageEventId };
  // The published schema puts the accepted event under additionalInfo, the docs' example under additionalInfo.acceptedMessage.
  if (res.status === 409) return duplicate(row, b.additionalInfo?.acceptedMessage ?? b.additionalInfo, 'HTTP 409 Conflict');
  throw callError(res, 'usageEvent');
}

export function azureModule(transport: AzureMeteringTransport, limits: MarketplaceLimits): MarketplaceModule {
  return {
    limits,
    payload: (row, m) => azurePayload(row, m) as unknown as Record<string, unknown>,
    batchKey: () => '',
    async send(rows: Sendable[], ctx: SendContext): Promise<Outcome[]> {
      // x-ms-requestid: derived from the rows, so a retry of the same call carries the same id.
      const requestId = uuidV5(`azure/${rows.map((r) => r.id).join(',')}/${rows[0]?.attempts ?? 0}`);
      if (rows.length === 1) return [single(rows[0]!, await transport.usageEvent(rows[0]!.payload as unknown as AzureUsageEvent, requestId))];
      const res = await transport.batchUsageEvent(rows.map((r) => r.payload as unknown as AzureUsageEvent), requestId);
      if (res.status !== 200) throw callError(res, 'batchUsageEvent');
      const items = new Map(((res.body as { result?: ResultItem[] } | null)?.result ?? []).map((i) => [keyOf(i), i]));
      return rows.map((row) => itemOutcome(row, items.get(keyOf(row.payload as unknown as AzureUsageEvent)), ctx));
    },
  };
}
