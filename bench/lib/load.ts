// Open-loop constant-rate HTTP load from this process to a server in another one, over Node's own
// HTTP client (undici, behind the global fetch: keep-alive connections, pooled per origin). Request i
// is sent at t0 + i/rate whether or not earlier ones have been answered, so the server sees a steady
// rate. (autocannon's rate option sends each connection's quota for the second back to back at the
// start of every second: at 1,000/s over 50 connections that is a burst of 50 concurrent requests
// each second, and its latencies measured those bursts, not the steady rate; see ADR 0406.)
// Every response's time (ms, performance.now() from send to the end of the body) is kept, so
// percentiles are exact to the microsecond.
import { setTimeout as sleep } from 'node:timers/promises';
import { summarize, type LatencySummary } from './summary.ts';

export interface LoadTarget {
  path: string;
  headers?: Record<string, string>;
}

export interface LoadResult {
  latencyMs: LatencySummary;
  requests: number;
  /** Responses per second actually achieved over the run. */
  achievedRate: number;
  /** Transport errors (no response). */
  errors: number;
  /** No response within 10 s. */
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  /** How late the sender was, at worst, against the schedule (ms): a loaded client shows here. */
  maxSendLagMs: number;
  seconds: number;
}

/**
 * `rate` requests/s for `seconds`, each request's path and headers from `next()` (called per request).
 * `warmupSeconds` first at the same rate, not counted.
 */
export async function constantRate(url: string, opts: { rate: number; seconds: number; warmupSeconds?: number; next: () => LoadTarget }): Promise<LoadResult> {
  if ((opts.warmupSeconds ?? 0) > 0) await run(url, { ...opts, seconds: opts.warmupSeconds! });
  return run(url, opts);
}

async function run(url: string, opts: { rate: number; seconds: number; next: () => LoadTarget }): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;
  let maxLag = 0;
  const inflight = new Set<Promise<void>>();
  const total = Math.round(opts.rate * opts.seconds);
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / opts.rate;
    const wait = due - performance.now();
    if (wait >= 1) await sleep(wait);
    const start = performance.now();
    maxLag = Math.max(maxLag, start - due);
    const t = opts.next();
    const p = fetch(`${url}${t.path}`, { headers: t.headers ?? {}, signal: AbortSignal.timeout(10_000) })
      .then(async (res) => {
        await res.arrayBuffer();
        latencies.push(performance.now() - start);
        statusCodes[res.status] = (statusCodes[res.status] ?? 0) + 1;
      }, (err: unknown) => {
        if ((err as { name?: string }).name === 'TimeoutError') timeouts++;
        else errors++;
      })
      .finally(() => inflight.delete(p));
    inflight.add(p);
  }
  await Promise.all([...inflight]);
  const seconds = (performance.now() - t0) / 1000;
  const non2xx = Object.entries(statusCodes).filter(([s]) => !s.startsWith('2')).reduce((n, [, c]) => n + c, 0);
  return {
    latencyMs: summarize(latencies), requests: latencies.length, achievedRate: Math.round(latencies.length / seconds),
    errors, timeouts, non2xx, statusCodes, maxSendLagMs: Math.round(maxLag * 100) / 100, seconds: Math.round(seconds * 100) / 100,
  };
}
