// GET /v1/events/stream read with fetch streaming (EventSource cannot send the Authorization header),
// parsed by eventsource-parser. Reconnects after a drop with Last-Event-ID, so no change is missed;
// an `event: reset` (the id is older than the kept feed) tells the caller to re-read everything.
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { getToken } from './token';

export interface ChangeEvent {
  seq: number;
  at: string;
  topic: 'environment' | 'operation' | 'rollout' | 'rollout-target';
  tenant: string | null;
  subject: string;
  data: Record<string, unknown>;
}

export interface StreamOptions {
  query?: Record<string, string | undefined>;
  onEvent: (e: ChangeEvent) => void;
  onReset?: () => void;
  onStatus?: (s: 'connecting' | 'live' | 'retrying') => void;
}

/** Starts the stream; returns the function that stops it. */
export function openStream(o: StreamOptions): () => void {
  const stop = new AbortController();
  let lastId: string | null = null;
  let retryMs = 3000;
  const run = async () => {
    while (!stop.signal.aborted) {
      o.onStatus?.('connecting');
      try {
        await once();
      } catch {
        // dropped or refused: retry below
      }
      if (stop.signal.aborted) return;
      o.onStatus?.('retrying');
      await new Promise((r) => setTimeout(r, retryMs));
    }
  };
  const once = async () => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(o.query ?? {})) if (v) params.set(k, v);
    const headers: Record<string, string> = { accept: 'text/event-stream', authorization: `Bearer ${getToken() ?? ''}` };
    if (lastId) headers['last-event-id'] = lastId;
    const res = await fetch(`/v1/events/stream?${params}`, { headers, signal: stop.signal });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    o.onStatus?.('live');
    const parser = createParser({
      onEvent: (m: EventSourceMessage) => {
        if (m.id) lastId = m.id;
        if (m.event === 'reset') return o.onReset?.();
        try {
          o.onEvent(JSON.parse(m.data) as ChangeEvent);
        } catch {
          // not one of ours
        }
      },
      onRetry: (ms) => { retryMs = ms; },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  };
  void run();
  return () => stop.abort();
}
