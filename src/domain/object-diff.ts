// Field-level diff of two JSON values as JSON pointers (pure): what the rollout preview lists per
// changed object, and what equal object hashes mean (canonical JSON with the revision label blanked).
// In domain so that the preview planner (src/plan) and the renderer's fused walk (src/render/bulk,
// which diffs a stored object against a shape without building the target) share one definition.
import { LABELS, type KubeObject } from './types.ts';

/** Field paths listed per changed object at most (the count of the rest is given as one more entry). */
export const MAX_FIELDS = 50;

const escape = (k: string): string => (k.includes('/') || k.includes('~') ? k.replace(/~/g, '~0').replace(/\//g, '~1') : k);
/** Path segments: member names, or array indexes kept as numbers until a difference needs the text. */
export type Path = Array<string | number>;

/**
 * What one preview shares between its environments: the JSON-pointer text of each path found to
 * differ (a trie, so a path seen before costs map lookups and no new string) and each distinct list of
 * changed fields. Environments rendered from the same shapes change the same fields, so a
 * 10,000-environment preview holds a few hundred strings and lists instead of millions: the
 * collector's work, not the walk, was most of the preview's time (bench preview).
 */
export class DiffInterner {
  private readonly root: PointerNode = { text: '/', children: new Map() };
  /** Field lists by their pointers, one level per pointer (the pointers are this interner's own strings). */
  private readonly lists: ListNode = { list: null, next: new Map() };

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

  /** One frozen copy of each distinct field list (found without joining it into a key). */
  fields(list: string[]): readonly string[] {
    let node = this.lists;
    for (const field of list) {
      let next = node.next.get(field);
      if (!next) node.next.set(field, (next = { list: null, next: new Map() }));
      node = next;
    }
    return (node.list ??= Object.freeze(list));
  }
}
interface ListNode { list: readonly string[] | null; next: Map<string, ListNode> }
interface PointerNode { text: string; children: Map<string | number, PointerNode> }

// Hot in the 10,000-environment preview: one path stack, no allocation until a difference is found.
export function diffInto(a: unknown, b: unknown, path: Path, out: string[], names: DiffInterner): void {
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

