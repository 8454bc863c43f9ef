// Limits that keep one client from hurting the others (issue #14), all at the plugin/hook level so
// every route (including ones added later) gets them:
//   - per-token rate limit (@fastify/rate-limit): 429 problem+json with RateLimit-* and Retry-After;
//     a request with no token is keyed by its address. On PostgreSQL the counters are in the store,
//     shared by every `serve` replica (SharedRateLimitStore); the embedded store's single process
//     counts in memory;
//   - request, header and keep-alive timeouts on the HTTP server (a trickled body is cut off);
//   - the caller's role checked before the body is parsed: a tenant-viewer's write is a 403 at once.
// Body size and nesting limits live in body-guard.ts (the parsers).
import rateLimit, { type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import type { Api } from './context.ts';
import type { RateLimitRepo } from '../domain/ports/store.ts';
import { ProblemError } from './problem.ts';

export interface ApiLimits {
  /** Requests per token (or per address without one) per window; 0 turns the limit off. */
  rateLimitMax: number;
  rateLimitWindowMs: number;
  /** Whole request (headers and body) must arrive within this (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** Headers must arrive within this. */
  headersTimeoutMs: number;
  /** Idle keep-alive connections are closed after this. */
  keepAliveTimeoutMs: number;
  /** Largest accepted body, bytes. */
  bodyLimit: number;
  /** Deepest accepted nesting of a JSON/YAML body. */
  maxBodyDepth: number;
}

export const API_LIMITS: ApiLimits = {
  rateLimitMax: 600,
  rateLimitWindowMs: 60_000,
  requestTimeoutMs: 30_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  bodyLimit: 1024 * 1024,
  maxBodyDepth: 64,
};

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Who a request is counted as: its token, else its address. */
function rateKey(req: FastifyRequest): string {
  return req.principal ? `token:${req.principal.tokenId}` : `ip:${req.ip}`;
}

/**
 * A tenant-viewer can only read: refused before the body is read or parsed, so a viewer's large
 * or deeply nested body costs nothing (it used to be parsed first, and answered 400).
 */
export function refuseViewerWrites(req: FastifyRequest): void {
  const p = req.principal;
  if (p?.kind === 'tenant' && p.role === 'tenant-viewer' && !READS.has(req.method)) {
    throw new ProblemError('forbidden', 403, 'a tenant-viewer token can only read');
  }
}

/**
 * @fastify/rate-limit's store interface over the store's shared counters: one window per key for all
 * replicas. Per-route children share the global key space (the limit is per token, not per route).
 */
function sharedStore(counters: RateLimitRepo): FastifyRateLimitStoreCtor {
  return class SharedRateLimitStore implements FastifyRateLimitStore {
    incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number): void {
      counters.hit(key, timeWindow).then((r) => cb(null, { current: r.count, ttl: r.ttlMs }), (err: Error) => cb(err));
    }
    child(): FastifyRateLimitStore {
      return this;
    }
  };
}

/** Registers the rate limit; runs after auth (onRequest) and before the body is parsed. */
export async function registerLimits(app: Api, limits: ApiLimits, shared?: RateLimitRepo): Promise<void> {
  app.addHook('preParsing', async (req) => refuseViewerWrites(req));
  if (limits.rateLimitMax <= 0) return;
  await app.register(rateLimit, {
    global: true,
    hook: 'preParsing',
    max: limits.rateLimitMax,
    timeWindow: limits.rateLimitWindowMs,
    keyGenerator: rateKey,
    ...(shared ? { store: sharedStore(shared) } : {}),
    enableDraftSpec: true,
    errorResponseBuilder: (_req, ctx) => new ProblemError('rate-limited', 429, `too many requests: ${ctx.max} per ${ctx.after} for this token; retry after the Retry-After seconds`),
  });
}
