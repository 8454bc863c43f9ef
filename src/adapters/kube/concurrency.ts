// Runs `fn` over `items` with at most `limit` calls in flight; results keep input order and a
// failure of one item never stops the others (fleet work expects partial failure).
import { coerceError } from '../../domain/errors.ts';

export type Settled<T> = { ok: true; value: T } | { ok: false; error: Error };

export async function mapLimit<I, O>(items: readonly I[], limit: number, fn: (item: I, index: number) => Promise<O>): Promise<Settled<O>[]> {
  const results: Settled<O>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { ok: true, value: await fn(items[i]!, i) };
      } catch (err) {
        results[i] = { ok: false, error: coerceError(err) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
