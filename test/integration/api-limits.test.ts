// Limits that keep one client from hurting others (src/api/limits.ts), on a real listening server:
// a per-token rate limit answering 429 problem+json with RateLimit and Retry-After headers while
// other tokens go on; a request whose body trickles in is cut off with 408; oversized headers are a
// problem+json 431. The server's limits are set small so the test is quick; no test waits on a timer
// of its own: each waits for the server's answer or the socket's close.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { buildApp } from '../../src/api/app.ts';
import type { Api } from '../../src/api/context.ts';
import { apiDeps, storeHandle, type StoreHandle } from '../helpers/api-harness.ts';
import type { Store } from '../../src/domain/ports/store.ts';

/** Sends raw bytes, optionally holding the socket open, and resolves with everything the server sent once it closes. */
function rawExchange(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(head));
    let got = '';
    socket.on('data', (d) => { got += d.toString(); });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

describe('API limits on a listening server', () => {
  let handle: StoreHandle;
  let store: Store;
  let app: Api;
  let base: string;
  let port: number;
  let other: string;
  before(async () => {
    handle = await storeHandle('embedded');
    store = await handle.open();
    await store.tokens.create({ name: 'admin', tenant: null, role: 'admin' }, handle.adminToken);
    other = `fpt_other_${'a'.repeat(24)}`;
    await store.tokens.create({ name: 'other-admin', tenant: null, role: 'admin' }, other);
    app = await buildApp(await apiDeps(store, handle.dataDir), { logger: false, limits: { rateLimitMax: 5, rateLimitWindowMs: 3_600_000, requestTimeoutMs: 1_000, headersTimeoutMs: 1_000 } });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(base).port);
  });
  after(async () => {
    await app?.close();
    await store?.close();
    await handle?.destroy();
  });

  test('per token: the 6th request in the window is a 429 problem+json with RateLimit and Retry-After; another token is unaffected', async () => {
    const call = (token: string) => fetch(`${base}/v1/tenants`, { headers: { authorization: `Bearer ${token}` } });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) {
      last = await call(handle.adminToken);
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.match(String(last!.headers.get('content-type')), /application\/problem\+json/);
    assert.equal(last!.headers.get('ratelimit-limit'), '5');
    assert.equal(last!.headers.get('ratelimit-remaining'), '0');
    assert.ok(Number(last!.headers.get('retry-after')) > 0, String(last!.headers.get('retry-after')));
    const body = await last!.json() as { type: string; status: number };
    assert.equal(body.type, 'https://fleetplane.io/problems/rate-limited');
    assert.equal(body.status, 429);
    const fresh = await call(other);
    assert.equal(fresh.status, 200);
    assert.equal(fresh.headers.get('ratelimit-remaining'), '4');
  });

  test('a body that trickles in is cut off with 408 problem+json', async () => {
    const head = `POST /v1/tenants HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${other}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"slug"`;
    const answer = await rawExchange(port, head);
    assert.match(answer, /^HTTP\/1\.1 408/);
    assert.match(answer, /application\/problem\+json/);
    assert.match(answer, /request-timeout/);
  });

  test('oversized headers are a 431 problem+json', async () => {
    const answer = await rawExchange(port, `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70_000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431/);
    assert.match(answer, /application\/problem\+json/);
  });
});
