/**
 * Retry timing for network calls: exponential backoff with full jitter (so many
 * clients that failed together do not retry together), a server's Retry-After
 * taken as the minimum wait, and hard bounds on both the number of retries and
 * the total time spent, so a dead endpoint fails in bounded time.
 */

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  baseDelayMs: number;
  /** Cap on one computed backoff (a Retry-After may ask for more, up to `maxElapsedMs`). */
  maxDelayMs: number;
  /** Give up rather than wait past this much time since the first attempt. */
  maxElapsedMs: number;
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxElapsedMs: 300_000,
});

/** Full jitter: uniform in [0, min(maxDelay, base * 2^retry)). `retry` counts from 0. */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(random() * ceiling);
}

/**
 * The wait a server asked for, in ms: `retry-after-ms` (OpenAI's), else
 * `retry-after` as seconds or an HTTP date. Undefined when absent or unreadable.
 */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined, now = Date.now()): number | undefined {
  if (headers === undefined) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms !== null && ms.trim() !== '') {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return n;
  }
  const value = headers.get('retry-after');
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The delay before retry number `retry`: the server's wish if it gave one, else backoff. */
export function retryDelay(
  retry: number,
  policy: RetryPolicy,
  serverWaitMs: number | undefined,
  random: () => number = Math.random,
): number {
  const backoff = backoffDelay(retry, policy, random);
  // A little jitter on top of Retry-After keeps concurrent requests from returning in lockstep.
  return serverWaitMs === undefined ? backoff : serverWaitMs + Math.floor(random() * Math.min(backoff, 250));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
