// Retry delays: exponential with full jitter, capped ("Exponential Backoff And Jitter", AWS
// Architecture Blog). The queue computes the same formula in SQL for operation retries; this one
// serves step retries inside a running operation. Randomness is injected (pure core).

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** 0 = no jitter, 1 = full jitter (delay uniformly in [0, exp]). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1000, maxMs: 60_000, jitter: 0.5 };

/** Delay before retry number `attempt` (1 = first retry). `random` returns a number in [0, 1). */
export function backoffMs(attempt: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(attempt));
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(n - 1, 30));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const r = Math.min(1, Math.max(0, random));
  return Math.round(exp * (1 - jitter) + exp * jitter * r);
}
