// Instant queries of the Prometheus HTTP API (/api/v1/query at a given time), for the rollout SLO
// gate (src/engine/rollouts/slo-gate.ts reads through the InstantReader it returns).
import type { InstantReader } from '../../domain/ports/instant-reader.ts';

/** Reads instant vectors from the Prometheus HTTP API at `now`. */
export function prometheusInstant(url: string, now: Date, fetchImpl: typeof fetch = fetch): InstantReader {
  return async (query) => {
    const u = new URL('/api/v1/query', url);
    u.searchParams.set('query', query);
    u.searchParams.set('time', String(now.getTime() / 1000));
    const res = await fetchImpl(u, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`prometheus: ${body.error ?? `HTTP ${res.status}`}`);
    return (body.data?.result ?? []).map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };
}
