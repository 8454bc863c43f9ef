// Waiting on a condition in an integration test: the probe's value once it is not undefined, polled
// every `everyMs` up to a generous `limitMs` (the machine is shared; never a timed assertion).
import { setTimeout as sleep } from 'node:timers/promises';

export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 180_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(everyMs);
  }
}
