// What-if preview of a rollout (pure): which environments a release would touch, in which wave, which
// would be skipped and why (already there, pinned to a release), which are self-managed (their bundle is
// published, not delivered), which wait for their
// maintenance window, and per environment the objects added, changed (field paths) and removed between
// the revision it runs and the target release, with the change in requested CPU, memory and GPUs.
// Nothing is written; the caller renders the target release (render/ is pure too) and passes the
// current revision's objects. Object hashes exclude the revision label, so equal hashes mean "unchanged"
// and only changed objects are walked field by field. A caller may render without hashing (the
// preview never stores what it renders): target objects without a hash are compared with the current
// ones by content (sameContent: equal exactly when their canonical JSON with the revision label
// blanked is equal, which is what a stored object's hash covers), then walked as before.
import type { PlannedTarget, RolloutSelector, RolloutStrategy } from '../domain/rollouts.ts';
import { parseQuantity } from '../domain/quantity.ts';
import { LABELS, type KubeObject, type RenderedObject } from '../domain/types.ts';
import * as fused from '../render/bulk/fused-node.ts';
import type { FusedNode, ShapedObject } from '../render/bulk/fused-node.ts';
import * as stencil from '../render/bulk/stencil.ts';
import { inKubeRange, rangeText, type KubeRange } from './kube-versions.ts';
import { matchesSelector, planWaves, windowOpen, type RolloutCandidate } from './rollout-waves.ts';

/** Tenant label that pins one environment to a release: `pin.fleetplane.io/<env>: <version>`. */
export const PIN_LABEL_PREFIX = 'pin.fleetplane.io/';

export interface PreviewEnvironment extends RolloutCandidate {
  /** Objects of the revision the environment runs (applied, else desired); null when never rendered. */
  current: readonly RenderedObject[] | null;
  /** Hibernated now (docs/ai-workloads.md): the rollout delivers the new revision held at zero. */
  hibernated?: boolean;
}

export interface ObjectKey { kind: string; name: string; namespace?: string }
/**
 * A target object: rendered with its hash (renderEnvironments), or without (renderEnvironmentObjects),
 * or not filled at all (render/bulk/fused.ts renderEnvironmentTargets: its shape's stencil and the
 * environment's slot values, walked without building the object).
 */
export type TargetObject =
  | { object: KubeObject; hash?: string; shaped?: undefined }
  | { shaped: ShapedObject; object?: undefined; hash?: undefined };
/** What the preview reads of a target's identity (a KubeObject or a ShapedObject). */
interface Identity { kind: string; metadata: { name: string; namespace?: string | undefined } }
export interface ObjectChange extends ObjectKey { fields: readonly string[] }
export interface ResourceDelta { cpuMillis: number; memoryBytes: number; gpus: number }

export interface EnvironmentPreview extends PlannedTarget {
  wave: number;
  waveName: string;
  fromVersion: string;
  /** apply: delivered to its cluster; publish: a self-managed environment's new bundle, installed by the customer. */
  delivery: 'apply' | 'publish';
  /** True when a maintenance window is closed now: the environment keeps its wave position until it opens. */
  heldByMaintenanceWindow: boolean;
  /** Hibernated: the new revision is delivered held at zero and runs when the environment wakes; nothing wakes it. */
  hibernated: boolean;
  added: ObjectKey[];
  changed: ObjectChange[];
  removed: ObjectKey[];
  unchanged: number;
  requests: ResourceDelta;
}

export interface RolloutPreview {
  version: string;
  waves: Array<{ index: number; name: string; environments: number }>;
  environments: EnvironmentPreview[];
  skipped: Array<PlannedTarget & { reason: string }>;
  totals: { environments: number; added: number; changed: number; removed: number; requests: ResourceDelta };
}

/**
 * Environments rendered per call of PreviewInput.render. Small: the batch's target objects are what
 * the young-generation collector finds alive and copies; at 8 rather than 64 the scavenges of a
 * 3,000-environment preview took about half the time (62 instead of 71–75, 2.8–3.3 s instead of
 * 5.3–6.1 s of pauses, at load 15–20; ADR 2110).
 */
const RENDER_BATCH = 8;

/** Field paths listed per changed object at most (the count of the rest is given as one more entry). */
const MAX_FIELDS = 50;

export function pinnedVersion(e: RolloutCandidate): string | undefined {
  return e.tenantLabels[`${PIN_LABEL_PREFIX}${e.environment}`];
}

function skipReason(e: RolloutCandidate, version: string, kubernetes: KubeRange | undefined): string | null {
  const pin = pinnedVersion(e);
  if (pin !== undefined && pin !== version) return `Pinned: pinned to ${pin}`;
  // A self-managed environment's cluster is the customer's: its bundle's preflight checks the range.
  if (kubernetes && e.channel !== 'self-managed' && e.clusterVersion && !inKubeRange(e.clusterVersion, kubernetes)) {
    return `KubernetesVersion: cluster ${e.cluster} runs ${e.clusterVersion}, outside release ${version}'s supported range (${rangeText(kubernetes)})`;
  }
  return null;
}

const keyOf = (o: Identity): string => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const refOf = (o: Identity): ObjectKey => ({ kind: o.kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) });

const escape = (k: string): string => (k.includes('/') || k.includes('~') ? k.replace(/~/g, '~0').replace(/\//g, '~1') : k);
/** Path segments: member names, or array indexes kept as numbers until a difference needs the text. */
type Path = Array<string | number>;

/**
 * What one preview shares between its environments: the JSON-pointer text of each path found to
 * differ (a trie, so a path seen before costs map lookups and no new string) and each distinct list of
 * changed fields. Environments rendered from the same shapes change the same fields, so a
 * 10,000-environment preview holds a few hundred strings and lists instead of millions: the
 * collector's work, not the walk, was most of the preview's time (bench preview).
 */
export class DiffInterner {
  private readonly root: PointerNode = { text: '/', children: new Map() };
  private readonly lists = new Map<string, readonly string[]>();

  pointer(path: Readonly<Path>): string {
    let node = this.root;
    for (const seg of path) {
      let next = node.children.get(seg);
      if (!next) {
        next = { text: `${node === this.root ? '' : node.text}/${typeof seg === 'number' ? String(seg) : escape(seg)}`, children: new Map() };
        node.children.set(seg, next);
      }
      node = next;
    }
    return node.text;
  }

  /** One frozen copy of each distinct field list. */
  fields(list: string[]): readonly string[] {
    const key = list.join('\n');
    let shared = this.lists.get(key);
    if (!shared) {
      shared = Object.freeze(list);
      this.lists.set(key, shared);
    }
    return shared;
  }
}
interface PointerNode { text: string; children: Map<string | number, PointerNode> }

// Hot in the 10,000-environment preview: one path stack, no allocation until a difference is found.
function diffInto(a: unknown, b: unknown, path: Path, out: string[], names: DiffInterner): void {
  if (a === b || out.length > MAX_FIELDS) return;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) {
    out.push(names.pointer(path));
  } else if (Array.isArray(a)) {
    diffArrays(a, b as unknown[], path, out, names);
  } else {
    diffRecords(a as Record<string, unknown>, b as Record<string, unknown>, path, out, names);
  }
}

function diffArrays(a: unknown[], b: unknown[], path: Path, out: string[], names: DiffInterner): void {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null; // canonical JSON writes an undefined item as null
    if (x === y) continue; // most items: equal leaves, no call and no path step
    path.push(i);
    diffInto(x, y, path, out, names);
    path.pop();
  }
}

function diffRecords(a: Record<string, unknown>, b: Record<string, unknown>, path: Path, out: string[], names: DiffInterner): void {
  const labels = path.length === 2 && path[0] === 'metadata' && path[1] === 'labels';
  for (const k in a) {
    const x = a[k];
    const y = b[k];
    if (x === y || (labels && k === LABELS.revision)) continue; // most members: equal leaves, no call and no path step
    path.push(k);
    diffInto(x, y, path, out, names);
    path.pop();
  }
  for (const k in b) {
    // A member that is undefined is absent in canonical JSON (and so in the hash).
    if (k in a || b[k] === undefined || (labels && k === LABELS.revision)) continue;
    path.push(k);
    out.push(names.pointer(path));
    path.pop();
  }
}

// The fused walk (ADR 2110): diffInto(a, b) where b is the filled object of a stencil's tree, without
// filling it. Every branch gives exactly what diffInto gives for the filled value: same fields, same
// order (a's key order, then b's keys missing from a, in b's order), the same MAX_FIELDS cut-off.

// Imported bindings copied once: under the tsx loader each read of an imported binding is a getter
// call, which showed in the walk's profile (a few reads per node).
const { ARR, CONST, EXTRA, KEYED, REC, SLOT, TEXT } = fused;
const { fillText, hasSlot } = stencil;
const REVISION = LABELS.revision;

/** What b[k] is for a key b does not own: undefined, or what a plain object inherits. */
const NO_MEMBERS: Record<string, unknown> = {};

/**
 * True when a equals the filled text of n. The lengths first (no text built); then the filled text
 * and ===, which V8 compares as flat memory: several times faster than startsWith at offsets, which
 * compares a character at a time (22 KB dashboard: 4.6 µs against 46 µs).
 */
function textEquals(a: string, n: FusedNode, values: readonly string[]): boolean {
  const { slots } = n;
  let length = n.fixed;
  for (let i = 0; i < slots.length; i++) length += values[slots[i]!]!.length;
  return a.length === length && a === fillText(n, values);
}

function fusedInto(a: unknown, n: FusedNode, o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  if (out.length > MAX_FIELDS) return;
  switch (n.t) {
    case CONST:
      if (a !== n.v) diffInto(a, n.v, path, out, names);
      return;
    case SLOT:
      if (a !== o.values[n.i]) out.push(names.pointer(path));
      return;
    case TEXT:
      if (typeof a !== 'string' || !textEquals(a, n, o.values)) out.push(names.pointer(path));
      return;
    case EXTRA:
      diffInto(a, o.extras[n.i], path, out, names);
      return;
    case ARR:
      if (!Array.isArray(a)) out.push(names.pointer(path));
      else fusedArray(a, n.items, o, path, out, names);
      return;
    case REC:
      if (typeof a !== 'object' || a === null || Array.isArray(a)) out.push(names.pointer(path));
      else fusedRecord(a as Record<string, unknown>, n, o, path, out, names);
      return;
    case KEYED:
      if (typeof a !== 'object' || a === null || Array.isArray(a)) out.push(names.pointer(path));
      else fusedKeyed(a as Record<string, unknown>, o.extras[n.i] as string, n.child!, o, path, out, names);
      return;
    default:
      throw new Error(`fused walk: unknown node ${n.t}`);
  }
}

const NULL_NODE = fused.constNode(null);

/** The walk's inline check (no call, no path step): a leaf equal to the node's value. */
function sameLeaf(x: unknown, c: FusedNode, values: readonly string[]): boolean {
  const t = c.t;
  if (t === CONST) return x === c.v;
  if (t === SLOT) return x === values[c.i];
  return t === TEXT && typeof x === 'string' && textEquals(x, c, values);
}

function fusedArray(a: unknown[], items: readonly FusedNode[], o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  const n = Math.max(a.length, items.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? null;
    const c = i < items.length ? items[i]! : NULL_NODE; // past b's end diffInto compares with null
    if (sameLeaf(x, c, o.values)) continue;
    path.push(i);
    fusedInto(x, c, o, path, out, names);
    path.pop();
  }
}

function fusedRecord(a: Record<string, unknown>, n: FusedNode, o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  const labels = path.length === 2 && path[0] === 'metadata' && path[1] === 'labels';
  const { order, orderNodes, keys, nodes } = n;
  let seen = 0;
  let i = 0;
  for (const k in a) {
    // Stored objects come in jsonb key order (the i-th key is order[i]) or in the stencil's; else looked up.
    const c = i < order.length ? (k === order[i] ? orderNodes[i] : k === keys[i] ? nodes[i] : n.byKey.get(k)) : n.byKey.get(k);
    i++;
    const x = a[k];
    if (c === undefined) {
      const y = NO_MEMBERS[k];
      if (x === y || (labels && k === REVISION)) continue;
      path.push(k);
      diffInto(x, y, path, out, names);
      path.pop();
      continue;
    }
    seen++;
    if (sameLeaf(x, c, o.values) || (labels && k === REVISION)) continue;
    path.push(k);
    fusedInto(x, c, o, path, out, names);
    path.pop();
  }
  if (seen === keys.length) return; // every member of b was met: none is missing from a
  for (const k of keys) {
    if (k in a || (labels && k === REVISION)) continue;
    path.push(k);
    out.push(names.pointer(path));
    path.pop();
  }
}

function fusedKeyed(a: Record<string, unknown>, key: string, c: FusedNode, o: ShapedObject, path: Path, out: string[], names: DiffInterner): void {
  const labels = path.length === 2 && path[0] === 'metadata' && path[1] === 'labels';
  let seen = false;
  for (const k in a) {
    const x = a[k];
    if (k === key) {
      seen = true;
      if (sameLeaf(x, c, o.values) || (labels && k === REVISION)) continue;
      path.push(k);
      fusedInto(x, c, o, path, out, names);
      path.pop();
      continue;
    }
    const y = NO_MEMBERS[k];
    if (x === y || (labels && k === REVISION)) continue;
    path.push(k);
    diffInto(x, y, path, out, names);
    path.pop();
  }
  if (seen || key in a || (labels && key === REVISION)) return;
  path.push(key);
  out.push(names.pointer(path));
  path.pop();
}

/** JSON-pointer paths where a and b differ (leaves, or a whole subtree added/removed); the revision label is ignored. */
export function fieldDiff(a: unknown, b: unknown, names: DiffInterner = new DiffInterner()): string[] {
  const out: string[] = [];
  diffInto(a, b, [], out, names);
  return out;
}

/** True when two objects have the same canonical JSON once the revision label is blanked: what equal object hashes mean. */
export function sameContent(a: KubeObject, b: KubeObject): boolean {
  return fieldDiff(a, b).length === 0;
}

interface PodSpecLike { containers?: Array<{ resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> } }> }

function podSpec(o: KubeObject): { spec: PodSpecLike; replicas: number } | null {
  const s = (o as { spec?: { replicas?: number; template?: { spec?: PodSpecLike }; jobTemplate?: { spec?: { template?: { spec?: PodSpecLike } } } } }).spec;
  if (!s) return null;
  if (o.kind === 'Pod') return { spec: s as PodSpecLike, replicas: 1 };
  const tpl = s.template?.spec ?? s.jobTemplate?.spec?.template?.spec;
  return tpl ? { spec: tpl, replicas: typeof s.replicas === 'number' ? s.replicas : 1 } : null;
}

const q = (v: string | number | undefined): number => (v === undefined ? 0 : parseQuantity(v));

/** Requested CPU (millicores), memory (bytes) and GPUs of an object's pods, times its replicas. */
export function requestsOf(o: KubeObject): ResourceDelta {
  const r = { cpuMillis: 0, memoryBytes: 0, gpus: 0 };
  addRequests(r, o, 1);
  return r;
}

/**
 * Adds sign × an object's requests to acc (no allocation: called twice per object of every
 * environment). sign is ±1, so sign × (q × 1000 × replicas) is the same number as the terms summed
 * from a cached list (requestTerms).
 */
function addRequests(acc: ResourceDelta, o: KubeObject, sign: number): void {
  const p = podSpec(o);
  if (!p) return;
  for (const c of p.spec.containers ?? []) {
    const req = c.resources?.requests;
    const lim = c.resources?.limits;
    if (!req && !lim) continue;
    acc.cpuMillis += sign * (q(req?.cpu) * 1000 * p.replicas);
    acc.memoryBytes += sign * (q(req?.memory) * p.replicas);
    acc.gpus += sign * (q(req?.['nvidia.com/gpu'] ?? lim?.['nvidia.com/gpu']) * p.replicas);
  }
}

/** addRequests' terms for one object, in its order: cpu, memory, gpus per container with requests or limits. */
function requestTerms(o: KubeObject): number[] {
  const terms: number[] = [];
  const p = podSpec(o);
  if (!p) return terms;
  for (const c of p.spec.containers ?? []) {
    const req = c.resources?.requests;
    const lim = c.resources?.limits;
    if (!req && !lim) continue;
    terms.push(q(req?.cpu) * 1000 * p.replicas, q(req?.memory) * p.replicas, q(req?.['nvidia.com/gpu'] ?? lim?.['nvidia.com/gpu']) * p.replicas);
  }
  return terms;
}

/** Per stencil tree: the target's request terms when no slot reaches them (kind, replicas, resources), else null. */
const termsOfPlan = new WeakMap<object, readonly number[] | null>();

function addShapedRequests(acc: ResourceDelta, o: ShapedObject): void {
  let terms = termsOfPlan.get(o.plan);
  if (terms === undefined) {
    const skeleton = o.plan.skeleton;
    const p = podSpec(skeleton);
    const containers = p?.spec.containers;
    const reached = [skeleton.kind, (skeleton as { spec?: { replicas?: unknown } }).spec?.replicas, Array.isArray(containers) ? containers.map((c) => (c as { resources?: unknown } | null)?.resources) : containers];
    terms = hasSlot(reached) ? null : requestTerms(skeleton);
    termsOfPlan.set(o.plan, terms);
  }
  if (terms === null) terms = requestTerms(o.materialize());
  for (let i = 0; i < terms.length; i += 3) {
    acc.cpuMillis += terms[i]!;
    acc.memoryBytes += terms[i + 1]!;
    acc.gpus += terms[i + 2]!;
  }
}

function addTo(acc: ResourceDelta, d: ResourceDelta, sign: number): void {
  acc.cpuMillis += sign * d.cpuMillis;
  acc.memoryBytes += sign * d.memoryBytes;
  acc.gpus += sign * d.gpus;
}

/**
 * What changes from `current` to `target`. An object is unchanged when the hashes are equal or, for a
 * target without a hash, when sameContent says so; both mean the same for stored objects, whose hash
 * covers their canonical JSON with the revision label blanked (render/index.ts).
 */
export function diffObjects(current: readonly RenderedObject[] | null, target: readonly TargetObject[], names: DiffInterner = new DiffInterner()): Pick<EnvironmentPreview, 'added' | 'changed' | 'removed' | 'unchanged' | 'requests'> {
  const cur = current ?? [];
  const out = { added: [] as ObjectKey[], changed: [] as ObjectChange[], removed: [] as ObjectKey[], unchanged: 0, requests: { cpuMillis: 0, memoryBytes: 0, gpus: 0 } };
  // The renderer emits an environment's objects in a stable order, so the current revision's i-th
  // object is usually the target's i-th: pair those without keys; the rest are matched by key.
  let aligned = 0;
  while (aligned < cur.length && aligned < target.length && sameKey(cur[aligned]!.object, identity(target[aligned]!))) aligned++;
  const before = new Map<string, RenderedObject>();
  for (let i = aligned; i < cur.length; i++) before.set(keyOf(cur[i]!.object), cur[i]!);
  const path: Path = [];
  for (let i = 0; i < target.length; i++) {
    const t = target[i]!;
    const id = identity(t);
    let b: RenderedObject | undefined;
    if (i < aligned) b = cur[i];
    else {
      const k = keyOf(id);
      b = before.get(k);
      before.delete(k);
    }
    if (t.shaped) addShapedRequests(out.requests, t.shaped);
    else addRequests(out.requests, t.object, 1);
    if (b) addRequests(out.requests, b.object, -1);
    if (!b) out.added.push(refOf(id));
    else if (t.hash !== undefined && b.hash === t.hash) out.unchanged++;
    else {
      // Without a target hash, one walk decides: no field differs means unchanged.
      const fields: string[] = [];
      if (t.shaped) fusedInto(b.object, t.shaped.plan.node, t.shaped, path, fields, names);
      else diffInto(b.object, t.object, path, fields, names);
      if (t.hash === undefined && fields.length === 0) {
        out.unchanged++;
        continue;
      }
      if (fields.length > MAX_FIELDS) fields.splice(MAX_FIELDS, Infinity, `… and more`);
      const { kind, metadata: { name, namespace } } = id;
      out.changed.push(namespace ? { kind, name, namespace, fields: names.fields(fields) } : { kind, name, fields: names.fields(fields) });
    }
  }
  for (const b of before.values()) {
    out.removed.push(refOf(b.object));
    addRequests(out.requests, b.object, -1);
  }
  out.requests.cpuMillis = Math.round(out.requests.cpuMillis);
  return out;
}

const identity = (t: TargetObject): Identity => t.shaped ?? t.object;

function sameKey(a: Identity, b: Identity): boolean {
  return a.kind === b.kind && a.metadata.name === b.metadata.name && (a.metadata.namespace ?? '') === (b.metadata.namespace ?? '');
}

export interface PreviewInput {
  environments: readonly PreviewEnvironment[];
  selector: RolloutSelector;
  strategy: RolloutStrategy;
  version: string;
  now: Date;
  /**
   * Renders the target release for these environments, in order; called a batch at a time, in wave
   * order. renderEnvironments' objects, or renderEnvironmentObjects' (no hashes, cheaper; the preview
   * is the same).
   */
  render: (envs: readonly PreviewEnvironment[]) => ReadonlyArray<readonly TargetObject[]>;
  /** The target release's Kubernetes range (`product.kubernetes`): environments on clusters outside it are skipped. */
  kubernetes?: KubeRange | undefined;
}

/**
 * Splits the selected candidates into those a rollout of `version` may touch and those it skips (pinned
 * to another release); `POST /v1/rollouts` and the preview both plan from this. Self-managed
 * environments are eligible: their upgrade publishes the new bundle (plan/workflows.ts skippedFor).
 */
export function eligibleForRollout<T extends RolloutCandidate>(
  candidates: readonly T[], selector: RolloutSelector, version: string, kubernetes?: KubeRange,
): { eligible: T[]; skipped: Array<PlannedTarget & { reason: string }> } {
  const skipped: Array<PlannedTarget & { reason: string }> = [];
  const eligible: T[] = [];
  for (const e of candidates) {
    if (!matchesSelector(e, selector)) continue;
    const why = e.version === version ? null : skipReason(e, version, kubernetes);
    if (why) skipped.push({ tenant: e.tenant, environment: e.environment, reason: why });
    else eligible.push(e);
  }
  return { eligible, skipped };
}

/** The rollout as it would run now; the same wave plan `POST /v1/rollouts` freezes. */
export function previewRollout(i: PreviewInput): RolloutPreview {
  const { eligible, skipped } = eligibleForRollout(i.environments, i.selector, i.version, i.kubernetes);
  const plan = planWaves(eligible, i.selector, i.strategy, i.version);
  const byKey = new Map(eligible.map((e) => [`${e.tenant}/${e.environment}`, e]));
  const ordered = plan.waves.flatMap((w) => w.targets.map((t) => ({ wave: w, env: byKey.get(`${t.tenant}/${t.environment}`)! })));
  const totals = { environments: ordered.length, added: 0, changed: 0, removed: 0, requests: { cpuMillis: 0, memoryBytes: 0, gpus: 0 } };
  // Rendered and diffed a batch at a time: the target objects die young (a 10,000-environment fleet
  // rendered at once holds gigabytes, and the collector then costs more than the diff).
  let rendered: ReadonlyArray<readonly TargetObject[]> = [];
  const names = new DiffInterner();
  const environments = ordered.map(({ wave, env }, n): EnvironmentPreview => {
    if (n % RENDER_BATCH === 0) rendered = i.render(ordered.slice(n, n + RENDER_BATCH).map((o) => o.env));
    const d = diffObjects(env.current, rendered[n % RENDER_BATCH]!, names);
    totals.added += d.added.length;
    totals.changed += d.changed.length;
    totals.removed += d.removed.length;
    addTo(totals.requests, d.requests, 1);
    return {
      tenant: env.tenant, environment: env.environment, wave: wave.index, waveName: wave.name, fromVersion: env.version,
      delivery: env.channel === 'self-managed' ? 'publish' : 'apply',
      heldByMaintenanceWindow: i.strategy.respectMaintenanceWindows && !windowOpen(env.maintenanceWindow, i.now), hibernated: env.hibernated === true, ...d,
    };
  });
  const all = [...skipped, ...plan.skipped].sort((a, b) => (a.tenant < b.tenant ? -1 : a.tenant > b.tenant ? 1 : a.environment < b.environment ? -1 : a.environment > b.environment ? 1 : 0));
  return { version: i.version, waves: plan.waves.map((w) => ({ index: w.index, name: w.name, environments: w.targets.length })), environments, skipped: all, totals };
}
