// The one retry loop: tries, a delay that grows (linearly or doubling, with
// a cap), on the injected clock (virtual in tests), and only for errors
// classify() calls transient unless the policy says otherwise.
import { classify } from './errors';
import type { Clock } from './ports';

export interface RetryPolicy {
  /** Tries in all, the first included (1 = no retry). */
  tries: number;
  delayMs: number;
  /** linear: delay × attempt; exponential: delay × 2^(attempt-1). */
  backoff?: 'linear' | 'exponential' | 'constant';
  maxDelayMs?: number;
  /** Which failures are worth another try (default: transient ones). */
  retryIf?(e: unknown): boolean;
  /** Called before sleeping, e.g. to log. */
  onRetry?(e: unknown, attempt: number): void;
  /** Beyond `tries`, keep trying while `now()` is before `at` (ms): a recovery's deadline for transient faults. */
  until?: { at: number; now(): number };
}

export function retryDelay(p: RetryPolicy, attempt: number): number {
  const d = p.backoff === 'exponential' ? p.delayMs * 2 ** (attempt - 1) : p.backoff === 'constant' ? p.delayMs : p.delayMs * attempt;
  return p.maxDelayMs === undefined ? d : Math.min(p.maxDelayMs, d);
}

/** Runs fn until it succeeds, fails for good, or runs out of tries; `attempt` counts from 1. */
export async function retry<T>(policy: RetryPolicy, fn: (attempt: number) => Promise<T>, clock: Pick<Clock, 'sleep'>): Promise<T> {
  const worth = policy.retryIf ?? ((e: unknown) => classify(e).transient);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      const outOfTries = attempt >= policy.tries && !(policy.until && policy.until.now() < policy.until.at);
      if (outOfTries || !worth(e)) throw e;
      policy.onRetry?.(e, attempt);
      await clock.sleep(retryDelay(policy, attempt));
    }
  }
}
