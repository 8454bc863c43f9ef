// "Needs attention", in words: for an environment, the failed step of its last operation and the
// error, the condition's own message (what the cluster said: a pod's waiting reason, a probe); for a
// halted rollout, the gate's PromQL, the value it read and the threshold it failed.
import type { AttentionRow, HaltedRollout } from '../../domain/fleet-report.ts';
import type { Condition, OperationStep } from '../../domain/types.ts';

export interface AttentionItem {
  tenant: string;
  environment: string;
  health: string;
  drifted: boolean;
  cluster: string;
  blueprint: string;
  version: string;
  since: string;
  /** One sentence a person can act on. */
  reason: string;
  condition: Pick<Condition, 'type' | 'reason' | 'message'> | null;
  failedOperation: { id: string; kind: string; step: string | null; error: string | null } | null;
  heldBy: string | null;
}

const trueCondition = (cs: Condition[], type: string) => cs.find((c) => c.type === type && c.status === 'True');

function mainCondition(r: AttentionRow): Condition | undefined {
  return trueCondition(r.conditions, 'Degraded')
    ?? r.conditions.find((c) => c.type === 'Ready' && c.status === 'False')
    ?? trueCondition(r.conditions, 'Drifted');
}

function failureWords(r: AttentionRow): { text: string | null; step: OperationStep | undefined } {
  if (!r.failed) return { text: null, step: undefined };
  const step = r.failed.steps.find((s) => s.state === 'failed');
  const where = step ? ` at step "${step.name}"` : '';
  return { text: `${r.failed.kind} failed${where}: ${step?.error ?? r.failed.error ?? 'no error recorded'}`, step };
}

function reasonWords(r: AttentionRow, cond: Condition | undefined, failure: string | null): string {
  const parts: string[] = failure ? [failure] : [];
  if (cond?.message && !parts.some((p) => p.includes(cond.message))) parts.push(`${cond.type} (${cond.reason}): ${cond.message}`);
  const drift = r.drifted && cond?.type !== 'Drifted' ? trueCondition(r.conditions, 'Drifted') : undefined;
  if (drift) parts.push(`Drifted: ${drift.message}`);
  return parts.length > 0 ? parts.join('; ') : `${r.health} with no recorded reason`;
}

function failedOperation(r: AttentionRow, step: OperationStep | undefined): AttentionItem['failedOperation'] {
  if (!r.failed) return null;
  return { id: r.failed.id, kind: r.failed.kind, step: step?.name ?? null, error: step?.error ?? r.failed.error ?? null };
}

export function attentionItem(r: AttentionRow): AttentionItem {
  const cond = mainCondition(r);
  const failure = failureWords(r);
  return {
    tenant: r.tenant, environment: r.environment, health: r.health, drifted: r.drifted, cluster: r.cluster,
    blueprint: r.blueprint, version: r.version, since: cond?.lastTransitionTime ?? r.updatedAt, reason: reasonWords(r, cond, failure.text),
    condition: cond ? { type: cond.type, reason: cond.reason, message: cond.message } : null,
    failedOperation: failedOperation(r, failure.step), heldBy: r.heldBy,
  };
}

export interface WhyHalted {
  wave: number;
  waveName: string | null;
  gate: string | null;
  /** The gate's (or the operator's) reason as recorded. */
  reason: string | null;
  metric: { query: string; op: string; threshold: number; value: number | null; at: string | null } | null;
  /** One sentence. */
  summary: string;
}

interface GateSpec { query: string; op: string; threshold: number }
interface WaveStatusLike { gate?: string; gateReason?: string; metric?: { value: number | null; at: string } }

interface RolloutParts { waves: WaveStatusLike[]; names: string[]; gate?: GateSpec | undefined }

function partsOf(r: Pick<HaltedRollout, 'spec' | 'status'>): RolloutParts {
  const spec = r.spec as { waveNames?: string[]; strategy?: { gates?: { metric?: GateSpec } } };
  return { waves: (r.status as { waves?: WaveStatusLike[] }).waves ?? [], names: spec.waveNames ?? [], gate: spec.strategy?.gates?.metric };
}

function haltSummary(state: string, wave: string, metric: WhyHalted['metric'], reason: string | null): string {
  if (metric) return `wave ${wave}: metric gate read ${metric.value ?? 'no data'}, needs ${metric.op} ${metric.threshold} (${metric.query})`;
  return `${state} at wave ${wave}: ${reason ?? 'by an operator'}`;
}

/** Why a rollout stopped: from its stored spec (gates) and status (per-wave gate readings). */
export function whyHalted(r: Pick<HaltedRollout, 'state' | 'reason' | 'currentWave' | 'spec' | 'status'>): WhyHalted | null {
  if (r.state !== 'paused' && r.state !== 'failed') return null;
  const { waves, names, gate } = partsOf(r);
  const ws: WaveStatusLike = waves[r.currentWave] ?? {};
  const metric = gate && ws.metric ? { query: gate.query, op: gate.op, threshold: gate.threshold, value: ws.metric.value, at: ws.metric.at } : null;
  const reason = ws.gateReason ?? r.reason ?? null;
  const waveName = names[r.currentWave] ?? null;
  return { wave: r.currentWave, waveName, gate: ws.gate ?? null, reason, metric, summary: haltSummary(r.state, waveName ?? String(r.currentWave), ws.gate === 'failed' ? metric : null, reason) };
}
