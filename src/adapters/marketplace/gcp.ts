// Google Cloud Service Control v1 `services.report` through the googleapis client
// (@googleapis/servicecontrol): the client builds the URL and serialises the body. Auth is Google's
// default credentials (a service account with the servicecontrol scope) unless given.
import { auth as googleAuth, servicecontrol, type servicecontrol_v1 } from '@googleapis/servicecontrol';
import type { MethodOptions } from '@googleapis/servicecontrol';
import { MarketplaceCallError, type GcpOperation, type GcpServiceControlTransport } from './types.ts';

export const SERVICE_CONTROL_SCOPE = 'https://www.googleapis.com/auth/servicecontrol';

export interface GcpTransportOptions {
  /** An auth client (google-auth-library); default: GoogleAuth with the Service Control scope. */
  auth?: servicecontrol_v1.Options['auth'];
  /** Per-request options, e.g. a gaxios `adapter` (tests) or `timeout`. */
  request?: MethodOptions;
}

const RETRYABLE_HTTP = (status: number | undefined) => status === undefined || status === 429 || status >= 500;

export function gcpServiceControlTransport(o: GcpTransportOptions = {}): GcpServiceControlTransport {
  const auth = o.auth ?? new googleAuth.GoogleAuth({ scopes: [SERVICE_CONTROL_SCOPE] });
  const api = servicecontrol({ version: 'v1', auth });
  return {
    async report(serviceName: string, operations: GcpOperation[]) {
      try {
        const res = await api.services.report({ serviceName, requestBody: { operations } }, { ...o.request, retry: false });
        const data = res.data;
        return {
          reportErrors: (data.reportErrors ?? []).map((e) => ({ operationId: e.operationId ?? null, status: e.status ? { code: e.status.code ?? null, message: e.status.message ?? null } : null })),
          ...(data.serviceRolloutId ? { serviceRolloutId: data.serviceRolloutId } : {}),
        };
      } catch (err) {
        const e = err as { status?: number; response?: { status?: number }; code?: string | number; message?: string };
        const status = e.status ?? e.response?.status;
        throw new MarketplaceCallError(`Google services.report: ${status ?? e.code ?? ''} ${e.message ?? ''}`.trim(), RETRYABLE_HTTP(status), String(status ?? e.code ?? 'error'), undefined, { cause: err });
      }
    },
  };
}
