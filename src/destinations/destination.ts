// Destinations take leads in batches: open -> write(batch) -> close(ok | failed). Awaiting
// write() is the backpressure: a slow destination slows the warehouse read, memory stays flat.
import { RunError } from '../errors.ts';
import type { RunTime } from '../plan/time.ts';

export interface Lead {
  /** The person key, as text (big integers keep every digit). */
  key: string;
  /**
   * The person key as the warehouse gave it (a number for an integer column), when known:
   * the webhook sends it with the same JSON type as a lead field of that column.
   */
  keyValue?: unknown;
  /** Lead field values in the order of `fields`. */
  values: unknown[];
  /** The channel the reach step chose for this lead (issue 12): routes it and is recorded in the ledger. */
  channel?: string;
}

export interface DestinationContext {
  job: string;
  runId: string;
  at: RunTime;
  fields: string[];
  channel?: string;
  /** The person key's name (audience.key): the table destination's key column. */
  keyName?: string;
  /**
   * Set by `watch`: the trigger event time of a lead of this tick (naive local text). A webhook
   * then keys its Idempotency-Key on (job, destination, each lead's key and trigger time)
   * instead of the run's `at`, which differs after a restart.
   */
  triggerTimeOf?: (lead: Lead) => string;
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
  /**
   * Leads per request or transaction. The pipeline hands over at most this many per write(),
   * so that acknowledgements come back (and reach the ledger) batch by batch.
   */
  readonly batchSize?: number;
  open(ctx: DestinationContext): Promise<void>;
  /**
   * Results are reported as they come: a destination with requests in flight (webhook) may
   * return from write() once the batch is sent, with the acknowledgements that arrived so far.
   */
  write(batch: Lead[]): Promise<WriteResult>;
  /** Sends what is buffered and waits for every request in flight; their results. Before close('ok'). */
  flush?(): Promise<WriteResult>;
  close(outcome: 'ok' | 'failed'): Promise<DestinationSummary>;
}

/** A destination that stops the run (e.g. a receiver down for good) still reports what it delivered first. */
export class DestinationStoppedError extends RunError {
  constructor(
    message: string,
    readonly results: WriteResult,
  ) {
    super(message);
    this.name = 'DestinationStoppedError';
  }
}
