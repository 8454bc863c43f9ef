// Tiny HTTPS client for the testbed's own health checks (readyz, version, nodes) and its throughput
// probe. The project's real Kubernetes client lives in src/adapters/kube; the testbed stays independent of it.
import https from 'node:https';
import net from 'node:net';

export interface ApiTarget {
  server: string;
  ca: string;
  token: string;
}

export function apiGet(t: ApiTarget, path: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return apiRequest(t, 'GET', path, undefined, timeoutMs);
}

export function apiRequest(t: ApiTarget, method: string, path: string, body?: unknown, timeoutMs = 5000, contentType = 'application/json'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Authorization: `Bearer ${t.token}` };
    if (data !== undefined) headers['Content-Type'] = contentType;
    const req = https.request(new URL(path, t.server), { method, ca: t.ca, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs}ms: ${method} ${path}`)));
    req.on('error', reject);
    req.end(data);
  });
}

export async function apiJson<T>(t: ApiTarget, path: string): Promise<T> {
  const res = await apiGet(t, path);
  if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as T;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` until it returns true; the error names what was awaited and the last failure. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}${last ? `: ${last}` : ''}`);
    await sleep(everyMs);
  }
}

export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
