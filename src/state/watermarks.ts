// `watch` state (issue 11): a job's watermark, and the leads its ticks delivered keyed by
// (job, destination, person, trigger event time).
//
// Why both: the watermark says which slice of maturity time the next tick decides; it moves
// only in the transaction that closes a tick (with the tick's run record), after every
// destination acknowledged. A crash before that leaves it where it was, so the slice is decided
// again on restart; the sent keys, written in the same transaction as each acknowledged batch's
// ledger row, make that second decision deliver only what the first did not.
import { finishRun, type RunEnd } from './runs.ts';
import { TABLES } from './schema.ts';
import { inTransaction, type StateStore } from './state-store.ts';

export interface Watermark {
  /** Unix ms: trigger events that matured before it were decided. */
  ms: number;
  /** The same instant as the job's naive local time. */
  local: string;
}

/** The job's stored watermark, or undefined before its first tick. */
export async function readWatermark(store: StateStore, job: string): Promise<Watermark | undefined> {
  const row = await store.knex(TABLES.watermarks).where({ job }).first('watermark_ms', 'watermark_local');
  return row ? { ms: Number(row.watermark_ms), local: String(row.watermark_local) } : undefined;
}

/**
 * Closes a tick: its run record (when it delivered anything) and the new watermark, in one
 * transaction, so that a crash leaves both as they were or both updated.
 */
export async function commitTick(
  store: StateStore,
  tick: { job: string; watermark: Watermark; runId?: string; runEnd?: RunEnd },
): Promise<void> {
  await inTransaction(store, async (trx) => {
    if (tick.runId && tick.runEnd) await finishRun(trx, tick.runId, tick.runEnd);
    const row = {
      job: tick.job,
      watermark_ms: tick.watermark.ms,
      watermark_local: tick.watermark.local,
      run_id: tick.runId ?? null,
      updated_ms: Date.now(),
    };
    await trx.knex(TABLES.watermarks).insert(row).onConflict('job').merge();
  });
}

/** A delivered lead's identity for watch: the person and the time of their trigger event. */
export const sentKey = (person: string, triggerTime: string) => `${person}\u0000${triggerTime}`;

/**
 * What earlier ticks delivered, per destination id, for trigger events in [fromTime, toTime)
 * (naive local): the keys are sentKey(person, trigger time).
 */
export async function sentInSlice(
  store: StateStore,
  job: string,
  destinations: readonly string[],
  window: { fromTime: string; toTime: string },
): Promise<Map<string, Set<string>>> {
  const byDestination = new Map(destinations.map((d) => [d, new Set<string>()]));
  if (destinations.length === 0) return byDestination;
  const rows = (await store
    .knex(TABLES.watchSent)
    .select('destination', 'person_key', 'trigger_time')
    .where({ job })
    .andWhere('trigger_time', '>=', window.fromTime)
    .andWhere('trigger_time', '<', window.toTime)
    .whereIn('destination', [...destinations])) as { destination: string; person_key: string; trigger_time: string }[];
  for (const r of rows) byDestination.get(r.destination)?.add(sentKey(r.person_key, r.trigger_time));
  return byDestination;
}

// 6 bound values per row: well under SQLite's 32766 variables and PostgreSQL's 65535.
const CHUNK = 1000;

/** Records delivered (person, trigger time) pairs; a pair already recorded is left as it is. */
export async function recordSent(
  store: StateStore,
  ctx: { job: string; destination: string; runId: string },
  sent: readonly { person: string; triggerTime: string }[],
): Promise<void> {
  const now = Date.now();
  for (let i = 0; i < sent.length; i += CHUNK) {
    const rows = sent.slice(i, i + CHUNK).map((s) => ({
      job: ctx.job,
      destination: ctx.destination,
      person_key: s.person,
      trigger_time: s.triggerTime,
      run_id: ctx.runId,
      sent_ms: now,
    }));
    await store
      .knex(TABLES.watchSent)
      .insert(rows)
      .onConflict(['job', 'destination', 'person_key', 'trigger_time'])
      .ignore();
  }
}
