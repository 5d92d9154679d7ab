// Leads held during quiet hours (issue 12): one row per job and person, with the channel and
// address chosen and the lead's field values, until the first run after the quiet hours end
// delivers it, or it turns older than quiet_hours.hold and is dropped as expired.
import { TABLES } from './schema.ts';
import type { StateStore } from './state-store.ts';

export interface HeldLead {
  job: string;
  key: string;
  channel: string;
  address: unknown;
  /** Field values by field name. */
  fields: Record<string, unknown>;
  /** The logical time (epoch ms) of the run that first held the lead. */
  heldAtMs: number;
  runId: string;
}

interface HoldRow {
  job: string;
  person_key: string;
  channel: string;
  address: string | null;
  fields: string;
  held_at_ms: number | string;
  run_id: string;
}

const CHUNK = 400;

/** Stores held leads; a person already held by this job keeps the first hold (its age counts from it). */
export async function storeHolds(store: StateStore, leads: readonly HeldLead[]): Promise<void> {
  for (let i = 0; i < leads.length; i += CHUNK) {
    const rows = leads.slice(i, i + CHUNK).map((l) => ({
      job: l.job,
      person_key: l.key,
      channel: l.channel,
      address: l.address === null || l.address === undefined ? null : String(l.address),
      fields: JSON.stringify(l.fields),
      held_at_ms: l.heldAtMs,
      run_id: l.runId,
    }));
    await store.knex(TABLES.holds).insert(rows).onConflict(['job', 'person_key']).ignore();
  }
}

/** Held leads of a job (every job when undefined), oldest first; at most `limit`. */
export async function listHolds(store: StateStore, job?: string, limit?: number): Promise<HeldLead[]> {
  const q = store.knex(TABLES.holds).select('*').orderBy('held_at_ms').orderBy('person_key');
  if (job !== undefined) q.where({ job });
  if (limit !== undefined) q.limit(limit);
  return ((await q) as HoldRow[]).map((r) => ({
    job: r.job,
    key: r.person_key,
    channel: r.channel,
    address: r.address,
    fields: JSON.parse(r.fields) as Record<string, unknown>,
    heldAtMs: Number(r.held_at_ms),
    runId: r.run_id,
  }));
}

/** Held leads that a run delivered, dropped or let expire: no longer held. */
export async function deleteHolds(store: StateStore, job: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += CHUNK)
    await store
      .knex(TABLES.holds)
      .where({ job })
      .whereIn('person_key', keys.slice(i, i + CHUNK))
      .delete();
}
