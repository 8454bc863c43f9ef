// API tokens: only sha256(secret) is stored (docs/adr/0201-token-hashing.md). Tokens are 256-bit
// random values, so a fast hash is enough: there is nothing to brute-force. Lookup is by the hash
// (indexed); the stored and computed hashes are then compared in constant time. A rotation keeps the
// previous hash in prev_hash until prev_valid_until (its grace period); expiry is checked by the
// caller against its injected clock, never against the database's now().
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../../domain/canonical.ts';
import type { Queryable } from './db.ts';
import type { TokenMatch, TokenRecord, TokenRepo } from '../../domain/ports/store.ts';
import { iso, isoOrNull, strOrNull, type Row } from './sql.ts';

const COLUMNS = 'id, name, tenant, role, created_at, expires_at, rotated_at';

export const hashToken = (secret: string): string => sha256Hex(secret);

/** A new token secret: "fp_" + 43 base64url characters (256 random bits). */
export const generateTokenSecret = (): string => `fp_${randomBytes(32).toString('base64url')}`;

/** The idempotency record target of a token (see ./idempotency.ts). */
export const tokenTarget = (id: string): string => `token/${id}`;

function toToken(r: Row): TokenRecord {
  return {
    id: String(r.id), name: String(r.name), tenant: strOrNull(r.tenant), role: r.role as TokenRecord['role'], createdAt: iso(r.created_at),
    expiresAt: isoOrNull(r.expires_at), rotatedAt: isoOrNull(r.rotated_at),
  };
}

const sameHash = (stored: unknown, hash: string): boolean => stored != null && timingSafeEqual(Buffer.from(String(stored), 'hex'), Buffer.from(hash, 'hex'));

/** The row the hash matched, as current or previous secret (prev_hash is only ever another token's old hash, never a current one). */
function toMatch(r: Row | undefined, hash: string): TokenMatch | null {
  if (!r) return null;
  if (sameHash(r.hash, hash)) return { token: toToken(r), previousValidUntil: null };
  if (sameHash(r.prev_hash, hash) && r.prev_valid_until != null) return { token: toToken(r), previousValidUntil: iso(r.prev_valid_until) };
  return null;
}

export function tokenRepo(q: Queryable): TokenRepo {
  return {
    async create(t, secret) {
      const { rows } = await q.query<Row>(
        `INSERT INTO api_tokens (id, name, tenant, role, hash, expires_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [`tok_${randomUUID().replaceAll('-', '').slice(0, 16)}`, t.name, t.tenant ?? null, t.role, hashToken(secret), t.expiresAt ?? null],
      );
      return toToken(rows[0]!);
    },
    async verify(secret) {
      const hash = hashToken(secret);
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS}, hash FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL`, [hash]);
      const r = rows[0];
      if (!r || !sameHash(r.hash, hash)) return null;
      return toToken(r);
    },
    async match(secret) {
      const hash = hashToken(secret);
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS}, hash, prev_hash, prev_valid_until FROM api_tokens WHERE (hash = $1 OR prev_hash = $1) AND revoked_at IS NULL`, [hash]);
      return toMatch(rows[0], hash);
    },
    async get(id) {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1 AND revoked_at IS NULL`, [id]);
      return rows[0] ? toToken(rows[0]) : null;
    },
    async rotate(id, secret, o) {
      // prev_hash is set only with a grace period; without one the old secret stops at once.
      const { rows } = await q.query<Row>(
        `WITH retired AS (INSERT INTO api_token_retired_hashes (hash, token_id, retired_at)
           SELECT hash, id, $5::timestamptz FROM api_tokens WHERE id = $1 AND revoked_at IS NULL ON CONFLICT DO NOTHING)
         UPDATE api_tokens SET prev_hash = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE hash END, prev_valid_until = $3::timestamptz,
           hash = $2, expires_at = $4::timestamptz, rotated_at = $5::timestamptz
         WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
        [id, hashToken(secret), o.previousValidUntil, o.expiresAt, o.at],
      );
      return rows[0] ? toToken(rows[0]) : null;
    },
    async wasRevoked(secret) {
      const hash = hashToken(secret);
      const { rows } = await q.query(
        `SELECT 1 FROM api_tokens WHERE (hash = $1 OR prev_hash = $1) AND revoked_at IS NOT NULL
         UNION ALL SELECT 1 FROM api_token_retired_hashes WHERE hash = $1`, [hash]);
      return rows.length > 0;
    },
    async list() {
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM api_tokens WHERE revoked_at IS NULL ORDER BY created_at, id`);
      return rows.map(toToken);
    },
    /**
     * Idempotent. One statement also destroys a kept idempotent response (the sealed secret), so
     * a revoked token's secret is gone from the database even in encrypted form.
     */
    async revoke(id) {
      await q.query(`WITH revoked AS (UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id)
        UPDATE idempotency_records SET response_enc = NULL WHERE target = $2 AND response_enc IS NOT NULL`, [id, tokenTarget(id)]);
    },
    async count() {
      const { rows } = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM api_tokens WHERE revoked_at IS NULL');
      return Number(rows[0]?.n ?? 0);
    },
  };
}

/**
 * Token lookups (`match`, the one every API request makes) kept in this process. Every token write
 * through the repo (create, rotate, revoke, also inside a transaction) drops the whole cache, and a
 * lookup that overlapped a write is not kept (generation check), so a revoked or rotated-away secret
 * stops at once exactly as without it; expiry stays the caller's check (it holds the clock). Lookups
 * inside a transaction are never kept (they may see rows that roll back). Misses are not kept, so
 * unknown secrets cannot fill it; it holds at most `max` entries (oldest dropped first).
 *
 * Embedded store: its directory is locked to one process, so no one else writes; a lookup outside a
 * transaction sees only committed rows (the embedded database runs it only after a transaction ends).
 *
 * PostgreSQL (several `serve` replicas, the CLI): writes by other processes arrive as a notification
 * (`watch`: migration 2130 raises `fleetplane_tokens` at the commit of any change to api_tokens), which
 * drops the cache; a revocation elsewhere takes effect here when it arrives (milliseconds). The cache is
 * used only while that listener is connected (disarmed when it drops, re-armed empty when it is back),
 * and an entry is trusted for at most `ttlMs` besides, which bounds staleness if the connection dies
 * silently. The Kubernetes API server's webhook token cache makes the same trade with a 2-minute TTL
 * (`--authentication-token-webhook-cache-ttl`). Measured by `npm run bench -- api` (ADR 0205).
 */
export interface TokenCacheOptions {
  max?: number;
  /** How long an entry is trusted (default: forever, for the embedded store). */
  ttlMs?: number;
  now?: () => number;
  /** Subscribes to other processes' token writes: onChange on each one (and once connected), onLost when notifications may be missed. */
  watch?: (onChange: () => void, onLost: () => void) => Promise<() => Promise<void>>;
}

/** How long after a failed subscription the next lookup tries again. */
const WATCH_RETRY_MS = 5_000;

export class TokenCache {
  private generation = 0;
  private readonly entries = new Map<string, { match: TokenMatch; at: number }>();
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** Whether lookups may be kept and answered from here (always, without `watch`). */
  private armed: boolean;
  private watching: Promise<void> | null = null;
  private watchFailedAt = -Infinity;
  private unwatch: (() => Promise<void>) | null = null;
  private closed = false;
  private lost = 0;

  constructor(private readonly opts: TokenCacheOptions = {}) {
    this.max = opts.max ?? 10_000;
    this.ttlMs = opts.ttlMs ?? Infinity;
    this.now = opts.now ?? Date.now;
    this.armed = !opts.watch;
  }

  /** True while lookups are kept (for tests and metrics). */
  get active(): boolean {
    return this.armed;
  }

  /** How many times the subscription was lost (each dropped everything kept). */
  get losses(): number {
    return this.lost;
  }

  get size(): number {
    return this.entries.size;
  }

  invalidate(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Stops the subscription; lookups go to the database from now on. */
  async close(): Promise<void> {
    this.closed = true;
    this.disarm();
    // A subscription still connecting unsubscribes itself when it resolves (below); not awaited, so
    // closing never waits on an unreachable server.
    const un = this.unwatch;
    this.unwatch = null;
    await un?.();
  }

  private disarm(): void {
    this.armed = false;
    this.invalidate();
  }

  /** Subscribes on first use (only processes that authenticate requests need it). */
  private ensureWatching(): void {
    const watch = this.opts.watch;
    if (!watch || this.watching || this.closed || this.now() - this.watchFailedAt < WATCH_RETRY_MS) return;
    this.watching = watch(
      () => { this.invalidate(); if (!this.closed) this.armed = true; },
      () => { this.lost++; this.disarm(); },
    ).then(async (un) => {
      if (this.closed) await un();
      else this.unwatch = un;
    }, () => {
      this.disarm();
      this.watchFailedAt = this.now();
      this.watching = null;
    });
  }

  /** The repo `inner` with every write invalidating the cache and, outside a transaction, `match` answered from it. */
  wrap(inner: TokenRepo, opts: { inTransaction: boolean }): TokenRepo {
    const writing = <A extends unknown[], R>(fn: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
      this.invalidate();
      try {
        return await fn(...a);
      } finally {
        this.invalidate();
      }
    };
    return {
      ...inner,
      create: writing(inner.create),
      rotate: writing(inner.rotate),
      revoke: writing(inner.revoke),
      match: opts.inTransaction ? inner.match : async (secret) => {
        this.ensureWatching();
        const hash = hashToken(secret);
        const hit = this.entries.get(hash);
        if (hit && this.armed && this.now() - hit.at < this.ttlMs) return hit.match;
        const at = this.generation;
        const started = this.now();
        const found = await inner.match(secret);
        if (found && this.armed && at === this.generation) {
          this.entries.delete(hash);
          if (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
          this.entries.set(hash, { match: found, at: started });
        }
        return found;
      },
    };
  }
}
