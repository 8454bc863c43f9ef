// Parses server-sent events text (GET /v1/events/stream) with eventsource-parser, the parser the
// console uses in the browser; returns the change events' JSON payloads, in order.
import { createParser } from 'eventsource-parser';

export interface StreamedChange {
  seq: number;
  at: string;
  topic: string;
  tenant: string | null;
  subject: string;
  data: Record<string, unknown>;
  /** The SSE `event:` field. */
  event: string;
  id: string | undefined;
}

export function readEvents(text: string): StreamedChange[] {
  const out: StreamedChange[] = [];
  const parser = createParser({
    onEvent: (m) => {
      if (m.event === 'reset') {
        out.push({ seq: -1, at: '', topic: 'reset', tenant: null, subject: '', data: JSON.parse(m.data) as Record<string, unknown>, event: 'reset', id: m.id });
        return;
      }
      out.push({ ...(JSON.parse(m.data) as Omit<StreamedChange, 'event' | 'id'>), event: m.event ?? 'message', id: m.id });
    },
  });
  parser.feed(text);
  return out;
}
