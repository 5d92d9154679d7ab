// The destinations of one run, joined to the ledger: each destination gets the leads that
// earlier runs of the same (job, at) did not already deliver to it, and every lead it
// acknowledges is recorded as delivered right away (CSV leads once the file is complete), so a
// crash loses at most the acknowledgements in flight.
import { createHash } from 'node:crypto';
import {
  DestinationStoppedError,
  type Destination,
  type DestinationContext,
  type DestinationSummary,
  type Lead,
  type WriteResult,
} from '../destinations/destination.ts';
import {
  confirmPending,
  deliveredByEarlierRuns,
  discardPending,
  recordDeliveries,
  recordFailures,
} from '../state/deliveries.ts';
import { inTransaction, type StateStore } from '../state/state-store.ts';

export interface OutputSummary extends DestinationSummary {
  /** Leads this destination already had from an earlier run with the same --at (resumed run). */
  already_delivered: number;
}

export interface LedgerBinding {
  store: StateStore;
  atMs: number;
  /**
   * Also records an acknowledged batch elsewhere in the ledger (watch: the sent trigger events),
   * in the same transaction as its delivery row.
   */
  onDelivered?: (store: StateStore, destination: string, leads: readonly Lead[]) => Promise<void>;
  /** After acknowledged leads are recorded; `pending` for a CSV file not yet complete (the reach step's touches). */
  onAcknowledged?: (leads: readonly Lead[], pending: boolean) => Promise<void>;
}

interface Tracked {
  destination: Destination;
  id: string;
  /** Keys delivered here by earlier runs of this (job, at): not sent again. */
  skip?: Set<string>;
  already: number;
  /** Acknowledged (and recorded) by this run; for a CSV, written to the file. */
  delivered: number;
  failed: number;
  /** CSV keys written but not yet in the ledger as pending rows (flushed by PENDING_FLUSH_KEYS). */
  pendingKeys: string[];
}

// A CSV's leads count only once the file is complete, so its keys need not reach the ledger
// batch by batch: they are written as pending rows every 20,000 keys (one transaction each,
// ~200 KB of text held), not once per warehouse batch. A crash discards pending rows either way.
const PENDING_FLUSH_KEYS = 20_000;

/** The destination's identity in the ledger: its type and printable target, at most 255 characters. */
export function destinationId(d: Destination): string {
  const id = `${d.type}:${d.target}`;
  if (id.length <= 255) return id;
  return `${id.slice(0, 230)}~${createHash('sha256').update(id).digest('hex').slice(0, 24)}`;
}

export class TrackedDestinations {
  private tracked: Tracked[] = [];
  private ctx!: DestinationContext;

  constructor(
    private readonly destinations: Destination[],
    private readonly ledger?: LedgerBinding,
  ) {}

  /** Leads that a destination refused or never acknowledged, over every destination. */
  get notDelivered(): number {
    return this.tracked.reduce((n, t) => n + t.failed, 0);
  }

  async open(ctx: DestinationContext): Promise<void> {
    this.ctx = ctx;
    for (const destination of this.destinations) {
      await destination.open(ctx);
      this.tracked.push({
        destination,
        id: destinationId(destination),
        already: 0,
        delivered: 0,
        failed: 0,
        pendingKeys: [],
      });
    }
    if (!this.ledger) return;
    // A CSV is rewritten whole on a re-run (it replaces the previous file), so it is not resumed.
    const resumable = this.tracked.filter((t) => !t.destination.deliversOnClose);
    const earlier = await deliveredByEarlierRuns(
      this.ledger.store,
      ctx.job,
      this.ledger.atMs,
      resumable.map((t) => t.id),
    );
    for (const t of resumable) {
      const keys = earlier.get(t.id);
      if (keys && keys.size > 0) t.skip = keys;
    }
  }

  async write(batch: Lead[]): Promise<void> {
    await settleAll(
      this.tracked.map(async (t) => {
        const leads = t.skip ? batch.filter((lead) => !t.skip!.has(lead.key)) : batch;
        t.already += batch.length - leads.length;
        // One destination batch at a time: each write returns the acknowledgements that arrived
        // meanwhile, recorded before more is sent. (An empty write still collects them.)
        const size = t.destination.batchSize ?? Math.max(leads.length, 1);
        let from = 0;
        do {
          const slice = leads.length <= size ? leads : leads.slice(from, from + size);
          await this.record(t, await this.collect(t, () => t.destination.write(slice)));
          from += size;
        } while (from < leads.length);
      }),
    );
  }

  /** Every destination flushed and closed; CSV leads confirmed. Throws (after abort) if one fails. */
  async finish(): Promise<OutputSummary[]> {
    try {
      await settleAll(
        this.tracked.map(async (t) => {
          if (t.destination.flush) await this.record(t, await this.collect(t, () => t.destination.flush!()));
        }),
      );
    } catch (err) {
      await this.abort();
      throw err;
    }
    const outputs: OutputSummary[] = [];
    for (const t of this.tracked) {
      await this.flushPending(t);
      const summary = await t.destination.close('ok');
      if (t.destination.deliversOnClose && this.ledger) await confirmPending(this.ledger.store, this.pendingScope(t));
      outputs.push({ ...summary, already_delivered: t.already });
    }
    return outputs;
  }

  /** The run failed: record what was acknowledged so far, then close every destination as failed. */
  async abort(): Promise<void> {
    await Promise.allSettled(
      this.tracked.map(async (t) => {
        // An empty write hands over acknowledgements that arrived since the last one.
        if (!t.destination.deliversOnClose) {
          try {
            await this.record(t, await this.collect(t, () => t.destination.write([])));
          } catch {
            /* the run already failed; its first error is the one reported */
          }
        }
        await t.destination.close('failed');
        if (t.destination.deliversOnClose && this.ledger) await discardPending(this.ledger.store, this.pendingScope(t));
      }),
    );
    // Destinations that were never opened still release what they hold.
    const opened = new Set(this.tracked.map((t) => t.destination));
    await Promise.allSettled(this.destinations.filter((d) => !opened.has(d)).map((d) => d.close('failed')));
  }

  /** What a run that failed midway did, for its ledger record. */
  outputsSoFar(): OutputSummary[] {
    return this.tracked.map((t) => ({
      type: t.destination.type,
      target: t.destination.target,
      delivered: t.delivered,
      failed: t.failed,
      already_delivered: t.already,
    }));
  }

  private pendingScope(t: Tracked) {
    return { runId: this.ctx.runId, destination: t.id };
  }

  // A destination that stops the run hands over what it delivered first: that is recorded too.
  private async collect(t: Tracked, call: () => Promise<WriteResult>): Promise<WriteResult> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof DestinationStoppedError) await this.record(t, err.results);
      throw err;
    }
  }

  private deliveryContext(t: Tracked) {
    return {
      job: this.ctx.job,
      atMs: this.ledger!.atMs,
      runId: this.ctx.runId,
      destination: t.id,
      channel: this.ctx.channel,
    };
  }

  private async flushPending(t: Tracked): Promise<void> {
    if (!this.ledger || t.pendingKeys.length === 0) return;
    const keys = t.pendingKeys;
    t.pendingKeys = [];
    await recordDeliveries(this.ledger.store, this.deliveryContext(t), keys, { pending: true });
  }

  private async record(t: Tracked, result: WriteResult): Promise<void> {
    t.delivered += result.delivered.length;
    t.failed += result.failed.length;
    if (!this.ledger) return;
    if (t.destination.deliversOnClose) {
      for (const lead of result.delivered) t.pendingKeys.push(lead.key);
      if (t.pendingKeys.length >= PENDING_FLUSH_KEYS) await this.flushPending(t);
    } else if (result.delivered.length > 0) {
      // Acknowledged leads are recorded before more is sent: a crash loses only those in flight.
      // Each with the channel it went out on (issue 12: chosen per person).
      const onDelivered = this.ledger.onDelivered;
      for (const [channel, leads] of byChannel(result.delivered, this.ctx.channel)) {
        const ctx = { ...this.deliveryContext(t), channel };
        const keys = leads.map((l) => l.key);
        if (onDelivered)
          await inTransaction(this.ledger.store, async (trx) => {
            await recordDeliveries(trx, ctx, keys);
            await onDelivered(trx, t.id, leads);
          });
        else await recordDeliveries(this.ledger.store, ctx, keys);
      }
    }
    await this.ledger.onAcknowledged?.(result.delivered, t.destination.deliversOnClose);
    await recordFailures(
      this.ledger.store,
      this.ctx.runId,
      t.id,
      result.failed.map((f) => ({ key: f.lead.key, error: f.error })),
    );
  }
}

function byChannel(leads: readonly Lead[], fallback: string | undefined): Map<string | undefined, readonly Lead[]> {
  const by = new Map<string | undefined, Lead[]>();
  // The usual case, one channel for the run: the leads as they are, not copied one by one.
  if (leads.every((lead) => lead.channel === undefined)) return new Map([[fallback, leads]]);
  for (const lead of leads) {
    const channel = lead.channel ?? fallback;
    const list = by.get(channel);
    if (list) list.push(lead);
    else by.set(channel, [lead]);
  }
  return by;
}

/** Like Promise.all, but waits for every promise before throwing the first error. */
async function settleAll(promises: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
}
