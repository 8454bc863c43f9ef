// Azure Marketplace metering service over REST (there is no metering SDK on npm): POST
// {base}/usageEvent and {base}/batchUsageEvent with api-version 2018-08-31 and an Entra ID bearer
// token for the marketplace resource 20e940b3-4c77-4b0b-9a53-9e16a1b010a7 (docs/metering.md).
import { MarketplaceCallError, type AzureMeteringTransport, type AzureResponse, type AzureUsageEvent } from './types.ts';

export const AZURE_METERING_BASE = 'https://marketplaceapi.microsoft.com/api';
export const AZURE_METERING_API_VERSION = '2018-08-31';
/** The marketplace metering resource's application id (the token's audience). */
export const AZURE_MARKETPLACE_RESOURCE = '20e940b3-4c77-4b0b-9a53-9e16a1b010a7';

export interface AzureTransportOptions {
  /** A bearer token for AZURE_MARKETPLACE_RESOURCE (see azureTokenProvider). */
  token: () => Promise<string>;
  baseUrl?: string;
  /** The HTTP client (default global fetch); tests pass one that answers like the service. */
  fetch?: typeof fetch;
}

export function azureMeteringTransport(o: AzureTransportOptions): AzureMeteringTransport {
  const doFetch = o.fetch ?? fetch;
  const base = (o.baseUrl ?? AZURE_METERING_BASE).replace(/\/$/, '');
  const post = async (path: string, body: unknown, requestId: string): Promise<AzureResponse> => {
    let res: Response;
    try {
      res = await doFetch(`${base}/${path}?api-version=${AZURE_METERING_API_VERSION}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${await o.token()}`, 'x-ms-requestid': requestId, 'x-ms-correlationid': requestId },
        body: JSON.stringify(body),
      });
    } catch (err) {
      throw new MarketplaceCallError(`Azure ${path}: ${err instanceof Error ? err.message : String(err)}`, true, 'network', undefined, { cause: err });
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text for the report
    }
    return { status: res.status, body: parsed, requestId: res.headers.get('x-ms-requestid') ?? requestId };
  };
  return {
    usageEvent: (event: AzureUsageEvent, requestId: string) => post('usageEvent', event, requestId),
    batchUsageEvent: (events: AzureUsageEvent[], requestId: string) => post('batchUsageEvent', { request: events }, requestId),
  };
}

/** Tokens through @azure/identity: a client secret when given, otherwise the default chain (managed identity, workload identity, …). */
export async function azureTokenProvider(o: { tenantId?: string | undefined; clientId?: string | undefined; clientSecret?: string | undefined }): Promise<() => Promise<string>> {
  const identity = await import('@azure/identity');
  const credential = o.tenantId && o.clientId && o.clientSecret
    ? new identity.ClientSecretCredential(o.tenantId, o.clientId, o.clientSecret)
    : new identity.DefaultAzureCredential();
  return async () => {
    const t = await credential.getToken(`${AZURE_MARKETPLACE_RESOURCE}/.default`);
    if (!t) throw new MarketplaceCallError('Azure: no token for the marketplace metering resource', true, 'auth');
    return t.token;
  };
}
