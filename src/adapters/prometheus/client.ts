// Prometheus HTTP API client for history: range queries at a fixed step, split into chunks so no
// request asks for more than Prometheus' 11,000 points per series, then stitched and returned as raw
// samples. Making them dense for the forecaster is the caller's (scaling/history.ts): an adapter knows
// no models.

/** One point of a series, in Unix seconds (the shape forecast/series.ts Sample has). */
export interface Sample {
  ts: number;
  value: number;
}

/** Prometheus rejects range queries above 11,000 points per series; stay clear of the edge. */
export const MAX_POINTS_PER_REQUEST = 10_000;

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9090 (no trailing /api/v1). */
  url: string;
  /** Per-request timeout (ms). */
  timeoutMs?: number;
  /** Extra headers (e.g. Authorization for a proxied Prometheus). Never logged. */
  headers?: Record<string, string>;
}

export interface RangeQuery {
  query: string;
  /** Unix seconds, inclusive. */
  start: number;
  /** Unix seconds, inclusive. */
  end: number;
  /** Seconds between points. */
  step: number;
}

export interface SeriesResult {
  metric: Record<string, string>;
  samples: Sample[];
}

export class PrometheusError extends Error {
  constructor(message: string, readonly status?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PrometheusError';
  }
}

interface ApiResponse {
  status: 'success' | 'error';
  error?: string;
  errorType?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/** Splits [start, end] into step-aligned chunks of at most maxPoints points each, without overlap. */
export function chunkRange(q: Pick<RangeQuery, 'start' | 'end' | 'step'>, maxPoints = MAX_POINTS_PER_REQUEST): Array<{ start: number; end: number }> {
  if (!(q.step > 0) || q.end < q.start) throw new RangeError(`invalid range: start ${q.start}, end ${q.end}, step ${q.step}`);
  const start = Math.ceil(q.start / q.step) * q.step;
  const span = (maxPoints - 1) * q.step;
  const out: Array<{ start: number; end: number }> = [];
  for (let s = start; s <= q.end; s += span + q.step) out.push({ start: s, end: Math.min(q.end, s + span) });
  return out;
}

export class PrometheusClient {
  private readonly base: string;

  constructor(private readonly opts: PrometheusClientOptions) {
    this.base = opts.url.replace(/\/+$/, '');
  }

  /** One /api/v1/query_range request (caller keeps it under the point limit). */
  async rangeOnce(q: RangeQuery): Promise<SeriesResult[]> {
    const body = new URLSearchParams({ query: q.query, start: String(q.start), end: String(q.end), step: `${q.step}s` });
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1/query_range`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.opts.headers },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
      });
    } catch (err) {
      throw new PrometheusError(`prometheus ${this.base}: request failed: ${(err as Error).message}`, undefined, { cause: err });
    }
    const text = await res.text();
    let json: ApiResponse;
    try {
      json = JSON.parse(text) as ApiResponse;
    } catch {
      throw new PrometheusError(`prometheus ${this.base}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`, res.status);
    }
    if (json.status !== 'success' || !json.data) {
      throw new PrometheusError(`prometheus ${this.base}: ${json.errorType ?? 'error'}: ${json.error ?? `HTTP ${res.status}`}`, res.status);
    }
    if (json.data.resultType !== 'matrix') throw new PrometheusError(`prometheus: expected a matrix, got ${json.data.resultType}`);
    return json.data.result.map((r) => ({ metric: r.metric, samples: r.values.map(([ts, v]) => ({ ts: Number(ts), value: Number(v) })) }));
  }

  /** A range query of any length: chunked sequentially, series stitched by their label set. */
  async range(q: RangeQuery): Promise<SeriesResult[]> {
    const bySeries = new Map<string, SeriesResult>();
    for (const c of chunkRange(q)) {
      for (const s of await this.rangeOnce({ ...q, ...c })) {
        const key = JSON.stringify(Object.entries(s.metric).sort());
        const acc = bySeries.get(key);
        if (acc) acc.samples.push(...s.samples); else bySeries.set(key, s);
      }
    }
    return [...bySeries.values()];
  }
}
