// Shared helpers for the store's SQL modules: row value coercion, keyset pagination with opaque
// cursors, PATCH -> SET clause building and database error mapping. Both backends return the same
// JS types for the columns we use (timestamptz -> Date, jsonb -> parsed, int4 -> number).
import { ConflictError, InputError, NotFoundError } from '../../domain/errors.ts';
import type { Page, PageRequest } from '../../domain/ports/store.ts';

export type Row = Record<string, unknown>;

export const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const json = <T>(v: unknown, fallback: T): T => (v === null || v === undefined ? fallback : typeof v === 'string' ? (JSON.parse(v) as T) : (v as T));
/** jsonb parameters always go in as text: node-postgres would turn JS arrays into PG arrays. */
export const jsonParam = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

/** Limit in 1..500 (default 50); larger values are capped, nonsense is an InputError. */
export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) throw new InputError('limit must be an integer >= 1', [{ field: '/limit', message: 'must be an integer between 1 and 500' }]);
  return Math.min(limit, MAX_LIMIT);
}

type Key = Array<string | number>;

export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor made by encodeCursor for a key of `arity` parts, or throws InputError. */
export function decodeCursor(cursor: string | undefined, arity: number): Key | null {
  if (cursor === undefined || cursor === '') return null;
  const bad = () => new InputError('invalid pagination cursor', [{ field: '/cursor', message: 'not a cursor returned by this API' }]);
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const ok = Array.isArray(key) && key.length === arity && key.every((k) => typeof k === 'string' || typeof k === 'number');
  if (!ok) throw bad();
  return key as Key;
}

/** Rows were fetched with LIMIT limit+1: the extra row only says there is a next page. */
export function toPage<R, T>(rows: R[], limit: number, map: (r: R) => T, keyOf: (r: R) => Key): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  if (rows.length > limit && last !== undefined) return { items: items.map(map), next: encodeCursor(keyOf(last)) };
  return { items: items.map(map) };
}

export interface PageQuery {
  limit: number;
  after: Key | null;
}

export function pageQuery(req: PageRequest, arity: number): PageQuery {
  return { limit: pageLimit(req.limit), after: decodeCursor(req.cursor, arity) };
}

/** Column spec for a PATCH: object key -> [column, kind]. */
export type PatchColumns = Record<string, [string, 'text' | 'json' | 'int' | 'bool' | 'float']>;

/** Builds "col = $n" clauses for the keys present in patch (undefined = leave alone, null = clear). */
export function setClauses(patch: Record<string, unknown>, columns: PatchColumns, params: unknown[]): string[] {
  const sets: string[] = [];
  for (const [key, [col, kind]] of Object.entries(columns)) {
    const v = patch[key];
    if (v === undefined) continue;
    params.push(kind === 'json' ? jsonParam(v) : v);
    sets.push(`${col} = $${params.length}${kind === 'json' ? '::jsonb' : ''}`);
  }
  return sets;
}

export const pgCode = (err: unknown): string | undefined => (err as { code?: unknown } | null)?.code as string | undefined;

/** Maps unique and foreign-key violations to typed errors; anything else is rethrown unchanged. */
export async function mapErrors<T>(work: () => Promise<T>, msgs: { conflict?: string; field?: string; missingParent?: string }): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const code = pgCode(err);
    if (code === '23505' && msgs.conflict) {
      throw new ConflictError(msgs.conflict, msgs.field ? [{ field: msgs.field, message: msgs.conflict }] : [], { cause: err });
    }
    if (code === '23503' && msgs.missingParent) throw new NotFoundError(msgs.missingParent, [], { cause: err });
    throw err;
  }
}
