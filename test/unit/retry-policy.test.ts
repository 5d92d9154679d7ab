// Which webhook answers are retried, how long the waits are, and how Retry-After is read.
import { describe, expect, it } from 'vitest';
import { backoffMs, DEFAULT_BACKOFF, isRetryableStatus, parseRetryAfter } from '../../src/destinations/retry-policy.ts';

describe('webhook retry policy', () => {
  it('retries 408, 429 and 5xx; other statuses are answers', () => {
    expect([408, 429, 500, 502, 503, 504, 599].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 413, 422].some(isRetryableStatus)).toBe(false);
  });

  it('waits exponentially longer, with jitter in the upper half, up to the cap', () => {
    const options = { ...DEFAULT_BACKOFF, baseMs: 100, capMs: 1000 };
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, options, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect([1, 2, 3, 4, 5].map((n) => backoffMs(n, options, () => 1))).toEqual([100, 200, 400, 800, 1000]);
    const samples = Array.from({ length: 200 }, () => backoffMs(3, options));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(200);
    expect(Math.max(...samples)).toBeLessThanOrEqual(400);
    expect(new Set(samples).size).toBeGreaterThan(20); // jittered, not one fixed wait
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-23T09:00:00Z');
    expect(parseRetryAfter('3', now)).toBe(3000);
    expect(parseRetryAfter('0.5', now)).toBe(500);
    expect(parseRetryAfter('Mon, 23 Nov 2026 09:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Mon, 23 Nov 2026 08:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['7'], now)).toBe(7000);
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});
