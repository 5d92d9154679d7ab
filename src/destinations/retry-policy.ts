// When to retry a webhook request and how long to wait: network errors, timeouts, 408, 429
// and 5xx are transient; other statuses are answers. Waits grow exponentially with jitter,
// and a receiver's Retry-After (seconds or an HTTP date) is honoured as given.

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** The longest Retry-After honoured; a longer one still waits this long. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, capMs: 30_000, maxRetryAfterMs: 10 * 60_000 };

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** Wait before retry number `retry` (1-based): exponential, "equal jitter" (half fixed, half random). */
export function backoffMs(retry: number, options: BackoffOptions, random = Math.random): number {
  const ceiling = Math.min(options.capMs, options.baseMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Retry-After as milliseconds, or undefined if absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
