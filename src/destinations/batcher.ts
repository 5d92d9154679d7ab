// The batcher: leads arrive in whatever sizes the pipeline hands over and leave in batches of
// exactly `size` (a request's or a transaction's worth), the remainder only when flushed.
import type { Lead } from './destination.ts';

export interface Batcher {
  /** Adds one lead; returns a full batch of `size` leads when this lead completes one. */
  add(lead: Lead): Lead[] | undefined;
  /** The leads not yet in a full batch (possibly none), and starts a new batch. */
  rest(): Lead[];
  /** Leads held, not yet handed out. */
  readonly held: number;
}

/**
 * A batcher of `size` leads (a destination's batch_size, >= 1).
 * Holds at most size - 1 leads between calls, so memory stays at one batch.
 */
export function batcher(size: number): Batcher {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`batch size must be a whole number >= 1, not ${size}`);
  let current: Lead[] = [];
  return {
    add(lead) {
      current.push(lead);
      if (current.length < size) return undefined;
      const full = current;
      current = [];
      return full;
    },
    rest() {
      const rest = current;
      current = [];
      return rest;
    },
    get held() {
      return current.length;
    },
  };
}
