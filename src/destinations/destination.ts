// Destinations take leads in batches: open -> write(batch) -> close(ok | failed). Awaiting
// write() is the backpressure: a slow destination slows the warehouse read, memory stays flat.
import type { RunTime } from '../plan/time.ts';

export interface Lead {
  /** The person key, as text (big integers keep every digit). */
  key: string;
  /** Lead field values in the order of `fields`. */
  values: unknown[];
}

export interface DestinationContext {
  job: string;
  runId: string;
  at: RunTime;
  fields: string[];
  channel?: string;
}

/** What one batch did: keys acknowledged by the receiver, and keys that failed for good. */
export interface WriteResult {
  delivered: Lead[];
  failed: { lead: Lead; error: string }[];
}

export interface DestinationSummary {
  type: string;
  target: string;
  delivered: number;
  failed: number;
}

export interface Destination {
  readonly type: string;
  /** Where leads go, safe to print (no secrets). */
  readonly target: string;
  /** CSV files commit only at close: their leads count as delivered once the file is complete. */
  readonly deliversOnClose: boolean;
  open(ctx: DestinationContext): Promise<void>;
  write(batch: Lead[]): Promise<WriteResult>;
  close(outcome: 'ok' | 'failed'): Promise<DestinationSummary>;
}
