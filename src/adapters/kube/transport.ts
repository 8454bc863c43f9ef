// HTTPS transport to one API server. Authentication (client certs, tokens, exec plugins) comes from
// @kubernetes/client-node's KubeConfig; requests are plain REST so every query parameter the API
// supports (fieldManager, force, dryRun, fieldValidation, propagationPolicy, continue) is available.
import https from 'node:https';
import http from 'node:http';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApiError, retryAfterMs, type KubeStatus } from './errors.ts';

export type KubeconfigSource = { path: string; context?: string } | { content: string; context?: string };

export interface RequestSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  /** Return the body as text (e.g. /readyz answers `ok`), not parsed JSON. */
  text?: boolean;
  /** Destroys the request when aborted; a request already aborted is never sent. */
  signal?: AbortSignal | undefined;
}

export function loadKubeConfig(src: KubeconfigSource): KubeConfig {
  const kc = new KubeConfig();
  if ('path' in src) kc.loadFromFile(src.path);
  else kc.loadFromString(src.content);
  if (src.context) kc.setCurrentContext(src.context);
  if (!kc.getCurrentCluster()) throw new Error('kubeconfig has no current cluster');
  return kc;
}

function buildPath(spec: RequestSpec): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${spec.path}?${qs}` : spec.path;
}

export class Transport {
  readonly server: string;

  constructor(private readonly kc: KubeConfig) {
    this.server = kc.getCurrentCluster()!.server;
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(buildPath(spec), this.server);
    const opts: https.RequestOptions = { method: spec.method, headers: { Accept: 'application/json' }, timeout: spec.timeoutMs ?? 30_000 };
    await this.kc.applyToHTTPSOptions(opts);
    if (spec.signal) {
      spec.signal.throwIfAborted();
      opts.signal = spec.signal;
    }
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (payload !== undefined) {
      opts.headers = { ...opts.headers, 'Content-Type': spec.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(payload) };
    }
    const { status, text, headers } = await send(url, opts, payload);
    if (status >= 200 && status < 300) return (spec.text ? text : text ? JSON.parse(text) : {}) as T;
    const retryAfter = retryAfterMs(header(headers['retry-after']), header(headers.date));
    throw new KubeApiError({ method: spec.method, path: spec.path, httpStatus: status, status: parseStatus(text), retryAfterMs: retryAfter });
  }
}

function parseStatus(text: string): KubeStatus | undefined {
  try {
    const s = JSON.parse(text) as KubeStatus;
    return s && typeof s === 'object' ? s : undefined;
  } catch {
    return text ? { message: text.slice(0, 300) } : undefined;
  }
}

const header = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** A request that got no answer in time; `code` as Node's socket timeouts, for classify. */
class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
}

function send(url: URL, opts: https.RequestOptions, payload?: string): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const mod = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString(), headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new RequestTimeoutError(`timeout calling ${opts.method} ${url.pathname}`)));
    req.on('error', reject);
    req.end(payload);
  });
}
