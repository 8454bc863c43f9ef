// Small HTTP conventions shared by routes: pagination (cursor + Link), ETags from resourceVersion,
// If-Match preconditions, and idempotency keys scoped to the caller.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Page } from '../domain/ports/store.ts';
import { canonicalJson, sha256Hex } from '../domain/canonical.ts';
import { PreconditionFailedError } from '../domain/errors.ts';
import { principal } from './auth.ts';

export const DEFAULT_LIMIT = 50;

/** Answers a page as {items, next?} and adds an RFC 8288 Link rel="next" header. */
export function sendPage<T>(req: FastifyRequest, reply: FastifyReply, page: Page<T>): { items: T[]; next?: string } {
  if (page.next) {
    const url = new URL(req.url, 'http://placeholder');
    url.searchParams.set('cursor', page.next);
    reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
    return { items: page.items, next: page.next };
  }
  return { items: page.items };
}

export function etagOf(resourceVersion: number): string {
  return `"${resourceVersion}"`;
}

/** Sets ETag; answers 304 (returns true) when If-None-Match already names it. */
export function withEtag(req: FastifyRequest, reply: FastifyReply, resourceVersion: number): boolean {
  const tag = etagOf(resourceVersion);
  reply.header('etag', tag);
  const inm = req.headers['if-none-match'];
  return typeof inm === 'string' && inm.split(',').map((s) => s.trim()).includes(tag);
}

/**
 * If-Match is optional on PATCH (no header = last write wins, for scripts); when sent it must name
 * the current version, else 412. Returns the expected resourceVersion for the store's check.
 */
export function expectedVersion(req: FastifyRequest): number | undefined {
  const raw = req.headers['if-match'];
  if (raw === undefined || raw === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(String(raw));
  if (!m) throw new PreconditionFailedError('If-Match must be an ETag from a previous GET, like "3"', [{ field: 'header:if-match', message: 'not a valid ETag' }]);
  return Number(m[1]);
}

/** Fingerprint of what a request asks for: same route + same body = same request. */
export function requestHash(req: FastifyRequest): string {
  const path = new URL(req.url, 'http://placeholder').pathname;
  return sha256Hex(`${req.method} ${path}\n${canonicalJson(req.body ?? null)}`);
}

/**
 * The caller's Idempotency-Key, scoped to who is calling (admin or one tenant) so one tenant can never
 * replay another's operation by guessing its key. Undefined when the header is absent.
 */
export function idempotencyKey(req: FastifyRequest, suffix = ''): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (typeof raw !== 'string' || raw === '') return undefined;
  const p = principal(req);
  const scope = p.kind === 'admin' ? 'admin' : `tenant:${p.tenant}`;
  return `${scope}/${raw}${suffix}`;
}

/**
 * Marks a keyed retry's answer: the status and body are the first request's, and
 * `Idempotent-Replayed: true` (as Stripe sends it) tells the caller nothing new was done.
 */
export function markReplayed(reply: FastifyReply, replayed: boolean): void {
  if (replayed) reply.header('idempotent-replayed', 'true');
}

/** The scoped Idempotency-Key with the request's fingerprint; undefined without the header. */
export interface KeyedRequest {
  key: string;
  requestHash: string;
}

export function keyedRequest(req: FastifyRequest): KeyedRequest | undefined {
  const key = idempotencyKey(req);
  return key === undefined ? undefined : { key, requestHash: requestHash(req) };
}
