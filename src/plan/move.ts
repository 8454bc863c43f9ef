// Moving environments between clusters (docs/clusters.md "Move and evacuate"), the pure parts: which
// rendered workloads are singletons and the revision with them held at zero (delivered on the
// target before the source's copy is stopped), the hard checks on an operator's target, the
// evacuation plan (every environment of the evacuated clusters placed in turn, each choice counted
// in the next one's loads so a burst of moves spreads the way the placement policy says), which
// moves an evacuation starts next under its concurrency limit, and the failover decision.
import { SINGLETON_ANNOTATION, type KubeObject, type ObjectRef, type RenderedObject, type Revision, type Tier } from '../domain/types.ts';
import { refOf } from '../domain/kinds.ts';
import { isSchedulable } from '../domain/cluster-health.ts';
import type { ClusterHealth } from '../domain/types.ts';
import type { MoveState } from '../domain/evacuation.ts';
import { addResources, planPlacement, type ClusterLoad, type PlacementPlan, type PlacementPolicySetting, type PlacementRequest, type Resources } from './placement.ts';

const SCALED = new Set(['Deployment', 'StatefulSet']);

/** A workload rendered from a `singleton: true` component. */
export function isSingleton(o: KubeObject): boolean {
  return SCALED.has(o.kind) && o.metadata.annotations?.[SINGLETON_ANNOTATION] === 'true';
}

export function singletonRefs(rev: Pick<Revision, 'objects'>): ObjectRef[] {
  return rev.objects.map((r) => r.object).filter(isSingleton).map(refOf);
}

/** The revision with every singleton workload at zero replicas (same id: the same revision, held). */
export function withSingletonsHeld(rev: Revision): Revision {
  return {
    ...rev,
    objects: rev.objects.map((r): RenderedObject => (isSingleton(r.object)
      ? { hash: r.hash, object: { ...r.object, spec: { ...(r.object.spec as Record<string, unknown>), replicas: 0 } } }
      : r)),
  };
}

/** Capacity checks only warn on an explicit target (as an explicit placement does); the rest refuse. */
const CAPACITY = new Set(['cpu', 'memory', 'gpus']);

export type TargetCheck = { ok: true; warnings: string[] } | { ok: false; check: string; reason: string };

/**
 * An operator's target: isolation, residency, availability and cordon refuse (409 at the API);
 * capacity is reported, not enforced. `req.avoid` holds the source.
 */
export function checkMoveTarget(req: PlacementRequest, target: ClusterLoad, policy: PlacementPolicySetting): TargetCheck {
  const plan = planPlacement(req, [target], policy);
  const r = plan.rejected.find((x) => x.cluster === target.cluster.name);
  if (!r) return { ok: true, warnings: [] };
  if (CAPACITY.has(r.check)) return { ok: true, warnings: [r.reason] };
  return { ok: false, check: r.check, reason: r.reason };
}

export interface EvacueeInput {
  tenant: string;
  environment: string;
  from: string;
  request: PlacementRequest;
  demand: Resources;
}

export interface PlannedMove {
  tenant: string;
  environment: string;
  from: string;
  to: string | null;
  explanation: string;
  rejected: PlacementPlan['rejected'];
}

/**
 * Where each environment goes, in order, with the evacuated clusters excluded. Each choice adds the
 * environment to its target's load before the next is placed (spread does not send them all to
 * the emptiest cluster). Pure.
 */
export function planEvacuation(evacuees: readonly EvacueeInput[], loads: readonly ClusterLoad[], evacuated: readonly string[], policy: PlacementPolicySetting): PlannedMove[] {
  const current = new Map(loads.map((l) => [l.cluster.name, { ...l, reserved: { ...l.reserved } }]));
  const out: PlannedMove[] = [];
  for (const e of evacuees) {
    const plan = planPlacement({ ...e.request, avoid: [...(e.request.avoid ?? []), ...evacuated] }, [...current.values()], policy);
    out.push({ tenant: e.tenant, environment: e.environment, from: e.from, to: plan.cluster, explanation: plan.explanation, rejected: plan.rejected });
    if (plan.cluster === null) continue;
    const l = current.get(plan.cluster)!;
    current.set(plan.cluster, { ...l, environments: l.environments + 1, reserved: addResources(l.reserved, e.demand) });
  }
  return out;
}

export type { MoveState };
export const TERMINAL_MOVE_STATES: ReadonlySet<MoveState> = new Set(['succeeded', 'failed', 'unplaceable']);

/** The moves an evacuation starts now: pending ones, in plan order, up to `concurrency` in flight. */
export function movesToStart<M extends { state: MoveState }>(moves: readonly M[], concurrency: number): M[] {
  const inFlight = moves.filter((m) => m.state === 'moving').length;
  const room = Math.max(0, concurrency - inFlight);
  return moves.filter((m) => m.state === 'pending').slice(0, room);
}

/** An evacuation's outcome once every move is terminal; null while some still run. */
export function evacuationOutcome(moves: ReadonlyArray<{ state: MoveState }>): { state: 'succeeded' | 'failed'; reason: string | null } | null {
  if (moves.some((m) => !TERMINAL_MOVE_STATES.has(m.state))) return null;
  const failed = moves.filter((m) => m.state === 'failed').length;
  const unplaceable = moves.filter((m) => m.state === 'unplaceable').length;
  if (failed + unplaceable === 0) return { state: 'succeeded', reason: null };
  return { state: 'failed', reason: [failed ? `${failed} moves failed` : '', unplaceable ? `${unplaceable} environments had no cluster to go to` : ''].filter(Boolean).join('; ') };
}

/** Seconds from when the cluster was lost (or the move began) to Ready on the target, to the millisecond. */
export function rtoSeconds(lostAt: string, readyAt: string): number {
  return Math.round(Date.parse(readyAt) - Date.parse(lostAt)) / 1000;
}

// Failover (docs/clusters.md "Failover").

export type FailoverMode = 'off' | 'dry-run' | 'on';
export interface TierFailover { mode: FailoverMode; /** Unavailable at least this long before evacuating. */ afterMs: number }
export type FailoverPolicy = Partial<Record<Tier, TierFailover>>;

export interface FailoverDecision {
  cluster: string;
  /** When the cluster was lost: its first failed probe (RTO counts from here). */
  lostAt: string;
  /** Tiers whose environments are evacuated (mode on) or only planned (dry-run). */
  evacuate: Tier[];
  dryRun: Tier[];
}

/**
 * Which clusters fail over now, and for which tiers: Unavailable, and unavailable for at least
 * the tier's threshold (counted from `since`, when it became Unavailable). Pure.
 */
export function failoverDecisions(clusters: ReadonlyArray<{ name: string; health?: ClusterHealth | undefined }>, policy: FailoverPolicy, now: Date): FailoverDecision[] {
  const out: FailoverDecision[] = [];
  for (const c of clusters) {
    const h = c.health;
    if (!h || isSchedulable(h) || h.state !== 'Unavailable') continue;
    const down = now.getTime() - Date.parse(h.since);
    const due = (Object.entries(policy) as Array<[Tier, TierFailover]>).filter(([, p]) => p.mode !== 'off' && down >= p.afterMs);
    if (due.length === 0) continue;
    out.push({
      cluster: c.name, lostAt: h.failingSince ?? h.since,
      evacuate: due.filter(([, p]) => p.mode === 'on').map(([t]) => t).sort(),
      dryRun: due.filter(([, p]) => p.mode === 'dry-run').map(([t]) => t).sort(),
    });
  }
  return out;
}

/** Parses FLEETPLANE_FAILOVER, e.g. "dedicated=on:300,hybrid=dry-run:600" (tier=mode:seconds); null names the bad part. */
export function parseFailoverPolicy(text: string | undefined, tiers: readonly Tier[]): { policy: FailoverPolicy } | { error: string } {
  const policy: FailoverPolicy = {};
  for (const part of (text ?? '').split(',').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z]+)=(off|dry-run|on)(?::(\d+))?$/.exec(part);
    if (!m) return { error: `"${part}" is not tier=off|dry-run|on[:seconds]` };
    const tier = m[1] as Tier;
    if (!tiers.includes(tier)) return { error: `"${m[1]}" is not a tier (${tiers.join(', ')})` };
    policy[tier] = { mode: m[2] as FailoverMode, afterMs: Number(m[3] ?? 300) * 1000 };
  }
  return { policy };
}

// ---- PodDisruptionBudgets before the source copy is removed ----
// Removing the source copy deletes its namespace, which no PodDisruptionBudget guards (budgets gate
// evictions, not deletions). What a budget promises (so many healthy pods of the component) must
// therefore already hold on the target: the move removes the source copy only once every budget the
// revision renders is observed met there by the target's disruption controller. The source's own
// budget (its disruptionsAllowed) is read and reported: 0 means the source copy was at its floor and
// only the target's copy keeps the promise once it is gone.

export interface BudgetStatus {
  name: string;
  /** The budget's controller has observed its current spec and counts enough healthy pods. */
  met: boolean;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
  /** Why it is not met, in words (empty when met). */
  why: string;
}

interface PdbStatus { observedGeneration?: number; currentHealthy?: number; desiredHealthy?: number; disruptionsAllowed?: number; expectedPods?: number }

/** One live PodDisruptionBudget's state (null: not there, e.g. not created yet). */
export function budgetStatus(name: string, live: KubeObject | null): BudgetStatus {
  if (!live) return { name, met: false, currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, why: 'not found' };
  const st = (live.status ?? {}) as PdbStatus;
  const generation = (live.metadata as { generation?: number }).generation ?? 0;
  const out = { name, currentHealthy: st.currentHealthy ?? 0, desiredHealthy: st.desiredHealthy ?? 0, disruptionsAllowed: st.disruptionsAllowed ?? 0 };
  if ((st.observedGeneration ?? 0) < generation) return { ...out, met: false, why: 'not observed by its controller yet' };
  if ((st.expectedPods ?? 0) === 0) return { ...out, met: false, why: 'no pods counted yet' };
  if (out.currentHealthy < out.desiredHealthy) return { ...out, met: false, why: `${out.currentHealthy} of ${out.desiredHealthy} healthy pods` };
  return { ...out, met: true, why: '' };
}

/** The PodDisruptionBudgets a revision renders. */
export function budgetRefs(rev: Pick<Revision, 'objects'>): ObjectRef[] {
  return rev.objects.map((r) => r.object).filter((o) => o.kind === 'PodDisruptionBudget').map(refOf);
}

/** What the evacuation record says about the budgets of a finished removal. */
export function budgetSummary(to: string, from: string, target: readonly BudgetStatus[], source: ReadonlyArray<Pick<BudgetStatus, 'name' | 'disruptionsAllowed'> | { name: string; missing: true }>, waited: { checks: number; seconds: number } | null): string {
  const met = target.map((b) => `${b.name} ${b.currentHealthy}/${b.desiredHealthy} healthy`).join(', ');
  const src = source.map((b) => ('missing' in b ? `${b.name} not found` : `${b.name} allowed ${b.disruptionsAllowed} disruption${b.disruptionsAllowed === 1 ? '' : 's'}`)).join(', ');
  const wait = waited ? `waited ${waited.seconds}s (${waited.checks} check${waited.checks === 1 ? '' : 's'}) for them; ` : '';
  return `PodDisruptionBudgets met on ${to} (${met}) before removing from ${from}; ${wait}on ${from}: ${src || 'none read'}`;
}
