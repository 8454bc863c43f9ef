// Audit entries for API writes. Written after the change commits; a failing audit write is logged
// and never turns a successful change into an error answer.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Store } from '../domain/ports/store.ts';
import { routePattern } from '../metrics/http.ts';
import { principal } from './auth.ts';

const routeOf = (req: FastifyRequest): string => (req.routeOptions.url === undefined ? 'unknown-route' : routePattern(req.routeOptions.url));

export interface AuditEntry {
  action: string;
  target: string;
  tenant?: string | null;
  detail?: Record<string, unknown>;
}

export async function audit(store: Store, req: FastifyRequest, entry: AuditEntry): Promise<void> {
  try {
    await store.audit.append({ actor: principal(req).name, ...entry });
  } catch (err) {
    req.log.warn({ err, action: entry.action, target: entry.target }, 'audit entry not written');
  }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * onResponse hook: one audit entry for every mutating call, answered or refused (who, tenant, what,
 * result), next to the richer entries routes write for the changes they make. Never the body: it may
 * carry credentials. A failing write is logged, never an error answer (the answer has left already).
 */
export function auditRequests(store: Store) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!WRITES.has(req.method)) return;
    const p = req.principal;
    const params = (req.params ?? {}) as Record<string, unknown>;
    // A tenant token's calls belong to its own tenant, even one aimed at another tenant's path: the
    // other tenant's admins never see who probed them, and the caller sees its own attempts.
    const tenant = p?.kind === 'tenant' ? p.tenant : typeof params.tenant === 'string' ? params.tenant : null;
    const status = reply.statusCode;
    try {
      await store.audit.append({
        actor: p?.name ?? 'unauthenticated',
        action: `api ${req.method} ${routeOf(req)}`,
        tenant,
        target: new URL(req.url, 'http://placeholder').pathname.slice(0, 512),
        detail: { status, result: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed', tokenId: p?.tokenId ?? null, requestId: req.id },
      });
    } catch (err) {
      req.log.warn({ err, method: req.method, url: req.routeOptions.url }, 'audit entry not written');
    }
  };
}
