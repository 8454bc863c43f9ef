// API tokens: only sha256(secret) is stored (docs/adr/0201-token-hashing.md). Tokens are 256-bit
// random values, so a fast hash is enough: there is nothing to brute-force. Lookup is by the hash
// (indexed); the stored and computed hashes are then compared in constant time.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../../domain/canonical.ts';
import type { Queryable } from './db.ts';
import type { TokenRecord, TokenRepo } from '../../domain/ports/store.ts';
import { iso, strOrNull, type Row } from './sql.ts';

const COLUMNS = 'id, name, tenant, role, created_at';

export const hashToken = (secret: string): string => sha256Hex(secret);

/** A new token secret: "fp_" + 43 base64url characters (256 random bits). */
export const generateTokenSecret = (): string => `fp_${randomBytes(32).toString('base64url')}`;

/** The idempotency record target of a token (see ./idempotency.ts). */
export const tokenTarget = (id: string): string => `token/${id}`;

function toToken(r: Row): TokenRecord {
  return { id: String(r.id), name: String(r.name), tenant: strOrNull(r.tenant), role: r.role as TokenRecord['role'], createdAt: iso(r.created_at) };
}

export function tokenRepo(q: Queryable): TokenRepo {
  return {
    async create(t, secret) {
      const { rows } = await q.query<Row>(
        `INSERT INTO api_tokens (id, name, tenant, role, hash) VALUES ($1, $2, $3, $4, $5) RETURNING ${COLUMNS}`,
        [`tok_${randomUUID().replaceAll('-', '').slice(0, 16)}`, t.name, t.tenant ?? null, t.role, hashToken(secret)],
      );
      return toToken(rows[0]!);
    },
    async verify(secret) {
      const hash = hashToken(secret);
      const { rows } = await q.query<Row>(`SELECT ${COLUMNS}, hash FROM api_tokens WHERE hash = $1 AND revoked_at IS NULL`, [hash]);
      const r = rows[0];
      if (!r || !timingSafeEqual(Buffer.from(String(r.hash), 'hex'), Buffer.from(hash, 'hex'))) return null;
      return toToken(r);
    },
    async wasRevoked(secret) {
      const { rows } = await q.query('SELECT 1 FROM api_tokens WHERE hash = $1 AND revoked_at IS NOT NULL', [hashToken(secret)]);
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
