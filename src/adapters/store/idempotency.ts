// Idempotency records for keyed requests whose result is not an Operation (docs/adr/0304): what
// the first request asked for (its hash), what it answered (status, location, target) and, when the
// answer cannot be rebuilt from stored rows (a token's secret), the response body sealed with the
// SecretBox, kept until expires_at. Expired records read as absent and are purged on the next put.
import type { SecretBox } from './crypto.ts';
import type { Queryable } from './db.ts';
import type { IdempotencyRecord, IdempotencyRepo, NewIdempotencyRecord } from '../../domain/ports/store.ts';
import { iso, isoOrNull, strOrNull, type Row } from './sql.ts';

const COLUMNS = 'key, request_hash, status, target, location, response_enc, created_at, expires_at';

/** AAD binds a sealed response to its key: a ciphertext copied onto another row fails to open. */
const aad = (key: string) => `idempotency:${key}`;

function toRecord(r: Row, box: SecretBox): IdempotencyRecord {
  const key = String(r.key);
  const sealed = strOrNull(r.response_enc);
  return {
    key,
    requestHash: String(r.request_hash),
    status: Number(r.status),
    target: String(r.target),
    location: strOrNull(r.location),
    response: sealed === null ? null : (JSON.parse(box.open(sealed, aad(key))) as unknown),
    createdAt: iso(r.created_at),
    expiresAt: isoOrNull(r.expires_at),
  };
}

export function idempotencyRepo(q: Queryable, box: SecretBox): IdempotencyRepo {
  return {
    async get(key) {
      const { rows } = await q.query<Row>(
        `SELECT ${COLUMNS} FROM idempotency_records WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`, [key]);
      return rows[0] ? toRecord(rows[0], box) : null;
    },
    put: (rec) => putRecord(q, box, rec),
    async forget(target) {
      await q.query('UPDATE idempotency_records SET response_enc = NULL WHERE target = $1 AND response_enc IS NOT NULL', [target]);
    },
  };
}

/**
 * Inserts the record unless a live one holds the key (returns false: a concurrent request with the
 * same key committed first; on PostgreSQL the insert waits for it). Expired records go first, so
 * their sealed responses do not outlive their lifetime and their keys become free again.
 */
async function putRecord(q: Queryable, box: SecretBox, rec: NewIdempotencyRecord): Promise<boolean> {
  await q.query('DELETE FROM idempotency_records WHERE expires_at <= now()');
  const sealed = rec.response === undefined ? null : box.seal(JSON.stringify(rec.response), aad(rec.key));
  const ttl = rec.ttlSeconds ?? null;
  const { rows } = await q.query<Row>(
    `INSERT INTO idempotency_records (key, request_hash, status, target, location, response_enc, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, now() + $7::int * interval '1 second')
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    [rec.key, rec.requestHash, rec.status, rec.target, rec.location ?? null, sealed, ttl],
  );
  return rows.length === 1;
}
