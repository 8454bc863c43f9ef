// Constant-rate HTTP load with autocannon (overallRate spread over the connections), from this
// process to a server in another one. Every response's time (ms, from process.hrtime) is kept, so
// percentiles are exact to the microsecond rather than autocannon's whole-millisecond histogram.
import autocannon from 'autocannon';
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
  /** Transport errors and timeouts (no response). */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  seconds: number;
}

/**
 * `rate` requests/s for `seconds`, each request's path and headers from `next()` (called per request).
 * `warmupSeconds` first at the same rate, not counted.
 */
export async function constantRate(url: string, opts: { rate: number; seconds: number; connections?: number; warmupSeconds?: number; next: () => LoadTarget }): Promise<LoadResult> {
  if ((opts.warmupSeconds ?? 0) > 0) await run(url, { ...opts, seconds: opts.warmupSeconds! });
  return run(url, opts);
}

async function run(url: string, opts: { rate: number; seconds: number; connections?: number; next: () => LoadTarget }): Promise<LoadResult> {
  const latencies: number[] = [];
  const statusCodes: Record<string, number> = {};
  let finish: (err: Error | null, r: autocannon.Result) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = (err, r) => (err ? reject(err) : resolve(r));
  });
  const instance = autocannon({
    url, connections: opts.connections ?? 50, overallRate: opts.rate, duration: opts.seconds, timeout: 10,
    requests: [{ method: 'GET', setupRequest: (req) => {
      const t = opts.next();
      return { ...req, method: 'GET', path: t.path, headers: { ...(req.headers ?? {}), ...(t.headers ?? {}) } };
    } }],
  }, (err, r) => finish(err as Error | null, r));
  instance.on('response', (_client, status, _bytes, ms) => {
    latencies.push(ms);
    statusCodes[status] = (statusCodes[status] ?? 0) + 1;
  });
  const result = await done;
  const seconds = result.duration;
  return {
    latencyMs: summarize(latencies), requests: latencies.length, achievedRate: Math.round(latencies.length / seconds),
    errors: result.errors, timeouts: result.timeouts, non2xx: result.non2xx, statusCodes, seconds,
  };
}
