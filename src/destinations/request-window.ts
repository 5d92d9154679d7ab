// The request window: at most `concurrency` requests in flight. start() waits for a free slot
// (that wait is the backpressure a slow receiver puts on the warehouse read), then lets the
// request run on its own; drain() waits for every one.

export interface RequestWindow {
  /**
   * Waits for a free slot, runs `beforeStart` (which may throw to refuse), then starts `task`
   * without waiting for it. `task` must not reject: it handles its own errors.
   */
  start(task: () => Promise<void>, beforeStart?: () => void): Promise<void>;
  /** Waits until no request is in flight, including ones started meanwhile. */
  drain(): Promise<void>;
  /** Requests in flight now. */
  readonly inFlight: number;
}

/** A window of `concurrency` (>= 1) slots. */
export function requestWindow(concurrency: number): RequestWindow {
  const pending = new Set<Promise<void>>();
  const slotWaiters: (() => void)[] = [];
  return {
    async start(task, beforeStart) {
      while (pending.size >= concurrency) await new Promise<void>((wake) => slotWaiters.push(wake));
      beforeStart?.();
      const request: Promise<void> = task().finally(() => {
        pending.delete(request);
        slotWaiters.shift()?.();
      });
      pending.add(request);
    },
    async drain() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    get inFlight() {
      return pending.size;
    },
  };
}
