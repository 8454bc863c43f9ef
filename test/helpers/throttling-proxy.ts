// A loopback HTTP proxy in front of a real testbed API server that throttles: it answers the first
// `throttle` writes (PATCH/POST/PUT/DELETE) with HTTP 429, a Kubernetes Status (reason
// TooManyRequests) and `Retry-After`, as API Priority and Fairness does under load, and forwards
// everything else to the real API server with the testbed's client certificate. The API server
// stays real; only the throttling is staged, so a test can count on exactly N refusals.
//
//   const proxy = await throttlingProxy(cluster, { throttle: 2, retryAfterSeconds: 1 });
//   proxy.kubeconfig    // plain-HTTP kubeconfig for the proxy (register it as a cluster's credentials)
//   proxy.throttled     // writes answered 429 so far
//   await proxy.close();
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { TestCluster } from './testbed.ts';

export interface ThrottlingProxy {
  url: string;
  kubeconfig: string;
  /** Writes answered 429 so far, as "METHOD path". */
  readonly throttled: string[];
  /** Requests forwarded to the API server so far. */
  readonly forwarded: number;
  close(): Promise<void>;
}

const WRITES = new Set(['PATCH', 'POST', 'PUT', 'DELETE']);

export async function throttlingProxy(cluster: TestCluster, o: { throttle: number; retryAfterSeconds?: number }): Promise<ThrottlingProxy> {
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfig);
  const upstream = new URL(kc.getCurrentCluster()!.server);
  const throttled: string[] = [];
  let forwarded = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const what = `${req.method} ${req.url}`;
      if (WRITES.has(req.method ?? '') && throttled.length < o.throttle) {
        throttled.push(what);
        const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'TooManyRequests', code: 429, message: 'Too many requests, please try again later.' };
        res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(o.retryAfterSeconds ?? 1) });
        res.end(JSON.stringify(status));
        return;
      }
      forwarded++;
      void forward(kc, upstream, req, Buffer.concat(chunks), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    kubeconfig: proxyKubeconfig(url),
    throttled,
    get forwarded() {
      return forwarded;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function forward(kc: KubeConfig, upstream: URL, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): Promise<void> {
  const headers = { ...req.headers, host: upstream.host };
  const opts: https.RequestOptions = { method: req.method, headers };
  await kc.applyToHTTPSOptions(opts);
  const out = https.request(new URL(req.url ?? '/', upstream), opts, (up) => {
    res.writeHead(up.statusCode ?? 502, up.headers);
    up.pipe(res);
  });
  out.on('error', (err) => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(err.message);
  });
  out.end(body);
}

function proxyKubeconfig(url: string): string {
  return [
    'apiVersion: v1', 'kind: Config',
    `clusters: [{ name: throttled, cluster: { server: "${url}", insecure-skip-tls-verify: true } }]`,
    'users: [{ name: proxy, user: {} }]',
    'contexts: [{ name: throttled, context: { cluster: throttled, user: proxy } }]',
    'current-context: throttled', '',
  ].join('\n');
}
