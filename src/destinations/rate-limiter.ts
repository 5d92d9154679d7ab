// max_requests_per_second: request starts (retries included) are spaced evenly, shared by every
// concurrent request of one destination. Waiting here is backpressure like any other.
import { sleep } from '../long-timers.ts';

export interface RateLimiter {
  take(signal?: AbortSignal): Promise<void>;
}

export function rateLimiter(perSecond: number | undefined): RateLimiter {
  if (!perSecond) return { take: async () => {} };
  const intervalMs = 1000 / perSecond;
  let next = 0;
  return {
    async take(signal) {
      const now = performance.now();
      const start = Math.max(now, next);
      next = start + intervalMs;
      if (start > now) await sleep(start - now, signal);
    },
  };
}
