// Audit entries for API writes. Written after the change commits; a failing audit write is logged
// and never turns a successful change into an error answer.
import type { FastifyRequest } from 'fastify';
import type { Store } from '../domain/ports/store.ts';
import { principal } from './auth.ts';

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
