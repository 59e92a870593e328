import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs, retryDelay, sleep, type RetryPolicy } from '../../src/embed/retry.js';

const policy: RetryPolicy = { maxRetries: 5, baseDelayMs: 100, maxDelayMs: 1000, maxElapsedMs: 10_000 };
const headers = (h: Record<string, string>): { get(name: string): string | null } => ({
  get: (name) => h[name.toLowerCase()] ?? null,
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, with full jitter below it', () => {
    expect(backoffDelay(0, policy, () => 0.999)).toBe(99);
    expect(backoffDelay(3, policy, () => 0.999)).toBe(799);
    expect(backoffDelay(10, policy, () => 0.999)).toBe(999);
    expect(backoffDelay(10, policy, () => 0)).toBe(0);
  });
});

describe('retryAfterMs', () => {
  it('reads retry-after-ms first, then seconds, then an HTTP date', () => {
    expect(retryAfterMs(headers({ 'retry-after-ms': '250', 'retry-after': '9' }))).toBe(250);
    expect(retryAfterMs(headers({ 'retry-after': '2' }))).toBe(2000);
    expect(retryAfterMs(headers({ 'retry-after': '1.5' }))).toBe(1500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMs(headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:03 GMT' }), now)).toBe(3000);
  });

  it('ignores absent, negative and unreadable values', () => {
    expect(retryAfterMs(undefined)).toBeUndefined();
    expect(retryAfterMs(headers({}))).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': '-1' }))).toBeUndefined();
    expect(retryAfterMs(headers({ 'retry-after': 'soon' }))).toBeUndefined();
  });
});

describe('retryDelay', () => {
  it('waits at least what the server asked', () => {
    expect(retryDelay(0, policy, 2000, () => 0)).toBe(2000);
    expect(retryDelay(0, policy, 2000, () => 0.999)).toBeLessThan(2100);
  });

  it('falls back to backoff', () => {
    expect(retryDelay(1, policy, undefined, () => 0.5)).toBe(100);
  });
});

describe('sleep', () => {
  it('rejects when aborted', async () => {
    const c = new AbortController();
    const p = sleep(10_000, c.signal);
    c.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
});
