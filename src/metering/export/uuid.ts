// RFC 9562 UUID version 5 (SHA-1, name-based): the same name always gives the same id, which is what
// Service Control recommends for an operationId that must deduplicate retries. Eight lines, so not a
// dependency (ADR 0901).
import { createHash } from 'node:crypto';

/** A fixed namespace for Fleetplane's usage operations (a v4 UUID chosen once). */
export const FLEETPLANE_USAGE_NAMESPACE = '5b8d8f59-6d1c-4c57-9a3e-2f6c0a1e7d42';

export function uuidV5(name: string, namespace = FLEETPLANE_USAGE_NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}
