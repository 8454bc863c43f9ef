// Reading what Argo CD reports on an Application (pure; no I/O). Shapes follow Argo CD v3's
// Application status: sync.status/revision(s), health.status/message, operationState (the last sync
// operation: phase, message, the revision it synced) and conditions (SyncError, ComparisonError,
// InvalidSpecError, …). Phase 2 of issue 13 feeds these into the GitOps driver's verify; the
// testbed's Argo CD integration test uses them today.
import type { KubeObject } from '../../domain/types.ts';

export interface ApplicationView {
  sync: string | null;
  /** Revision compared/synced; for multi-source Applications, one per source, in source order. */
  revisions: string[];
  health: string | null;
  healthMessage: string | null;
  /** Last sync operation: Running | Succeeded | Failed | Error | Terminating. */
  operationPhase: string | null;
  operationMessage: string | null;
  operationRevisions: string[];
  conditions: Array<{ type: string; message: string }>;
}

type Status = {
  sync?: { status?: string; revision?: string; revisions?: string[] };
  health?: { status?: string; message?: string };
  operationState?: { phase?: string; message?: string; syncResult?: { revision?: string; revisions?: string[] } };
  conditions?: Array<{ type?: string; message?: string }>;
};

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** `revisions` (multi-source) when present, else the single `revision`, else none. */
function revisionsOf(r: { revision?: string; revisions?: string[] } | undefined): string[] {
  if (r?.revisions?.length) return r.revisions;
  return r?.revision ? [r.revision] : [];
}

export function applicationView(app: KubeObject | null): ApplicationView | null {
  if (!app) return null;
  const s = (app.status ?? {}) as Status;
  const op = s.operationState;
  return {
    sync: str(s.sync?.status),
    revisions: revisionsOf(s.sync),
    health: str(s.health?.status),
    healthMessage: str(s.health?.message),
    operationPhase: str(op?.phase),
    operationMessage: str(op?.message),
    operationRevisions: revisionsOf(op?.syncResult),
    conditions: (s.conditions ?? []).map((c) => ({ type: c.type ?? 'Unknown', message: c.message ?? '' })),
  };
}

/** Synced and Healthy, with `commit` among the revisions Argo CD compared (any source, when given). */
export function syncedHealthyAt(v: ApplicationView | null, commit?: string): boolean {
  if (!v || v.sync !== 'Synced' || v.health !== 'Healthy') return false;
  return commit === undefined || v.revisions.includes(commit);
}

/** Argo CD's own words for why the Application is not where it should be, or null. */
export function applicationProblem(v: ApplicationView | null): string | null {
  if (!v) return 'no Application';
  const errors = v.conditions.filter((c) => /Error$/.test(c.type) || c.type === 'SyncError');
  if (errors.length) return errors.map((c) => `${c.type}: ${c.message}`).join('; ');
  if (v.operationPhase === 'Failed' || v.operationPhase === 'Error') return `sync ${v.operationPhase}: ${v.operationMessage ?? ''}`.trim();
  if (v.health === 'Degraded' || v.health === 'Missing') return `health ${v.health}${v.healthMessage ? `: ${v.healthMessage}` : ''}`;
  return null;
}
