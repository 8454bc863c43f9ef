// The CLI's side of GET /v1/events/stream: a "something changed" signal for watch commands, so they
// re-read when the server says so instead of polling every second. fetch streaming with the token,
// parsed by eventsource-parser; Last-Event-ID on reconnect. When the stream cannot be opened (an
// older server, a proxy that buffers), wait() falls back to the caller's poll interval.
import { createParser } from 'eventsource-parser';
import type { ApiClient } from './client.ts';

export interface ChangeSignal {
  /** Resolves on the next matching event, or after `maxMs` (whichever comes first). */
  wait(maxMs: number): Promise<void>;
  close(): void;
}

export function changeSignal(client: ApiClient, query: Record<string, string>): ChangeSignal {
  const stop = new AbortController();
  let pending = false;
  let wake: (() => void) | null = null;
  let lastId: string | undefined;
  const notify = () => {
    pending = true;
    wake?.();
  };
  const connect = async (): Promise<void> => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (client.opts.token) headers.authorization = `Bearer ${client.opts.token}`;
    if (lastId) headers['last-event-id'] = lastId;
    const res = await fetch(client.url('/v1/events/stream', query), { headers, signal: stop.signal });
    if (!res.ok || !res.body) return;
    // Whatever changed before the stream was open is caught by one more read now.
    notify();
    const parser = createParser({ onEvent: (m) => { if (m.id) lastId = m.id; notify(); } });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  };
  // One reconnect loop for the signal's life; failures only make wait() fall back to its timeout.
  void (async () => {
    while (!stop.signal.aborted) {
      await connect().catch(() => undefined);
      if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, 3000).unref());
    }
  })();
  return {
    wait(maxMs) {
      if (pending) {
        pending = false;
        return Promise.resolve();
      }
      return new Promise<void>((resolve) => {
        const t = setTimeout(done, maxMs);
        t.unref();
        function done() {
          clearTimeout(t);
          wake = null;
          pending = false;
          resolve();
        }
        wake = done;
      });
    },
    close: () => stop.abort(),
  };
}
