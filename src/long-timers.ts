// Timers that keep their promise for any delay. Node's setTimeout takes at most 2^31-1 ms
// (~24.8 days): a longer delay prints a TimeoutOverflowWarning and fires after 1 ms. Durations
// in job and connection files go up to 3660d (realtime.every, read_timeout, webhook timeout), so
// every wait that a user's duration can reach goes through here, in steps of at most that much.
import { setTimeout as sleepStep } from 'node:timers/promises';

/** The longest delay Node's timers accept, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Resolves after `ms` milliseconds (any non-negative number, also beyond MAX_TIMER_MS).
 * Rejects with the signal's AbortError as soon as `signal` aborts, like timers/promises.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const end = Date.now() + ms;
  signal?.throwIfAborted();
  for (let left = ms; left > 0; left = end - Date.now())
    await sleepStep(Math.min(left, MAX_TIMER_MS), undefined, { signal });
}

export interface LongTimeout {
  /** Cancels the timer; idempotent. */
  clear(): void;
}

/**
 * Calls `fire` once after `ms` milliseconds (any non-negative number). `unref`: the timer does
 * not keep the process alive.
 */
export function setLongTimeout(fire: () => void, ms: number, options: { unref?: boolean } = {}): LongTimeout {
  const end = Date.now() + ms;
  let timer: NodeJS.Timeout | undefined;
  const arm = (left: number) => {
    timer = setTimeout(
      () => {
        const rest = end - Date.now();
        if (rest > 0) arm(rest);
        else fire();
      },
      Math.min(Math.max(left, 0), MAX_TIMER_MS),
    );
    if (options.unref) timer.unref();
  };
  arm(ms);
  return { clear: () => clearTimeout(timer) };
}
