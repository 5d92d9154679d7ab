// Touches: one row per person and channel that a run is about to send (claimed), has written
// into a CSV file not yet complete (pending), or has had acknowledged (sent). They make
// frequency caps hold when several jobs run at once: a run claims its people first, then counts
// what every other run has claimed or sent for them, and backs off if that puts a person at the
// cap. Two runs racing for one person both insert before they count, so at least one of them
// sees the other: never both go ahead (at worst both back off, and the next run delivers).
//
// A claim expires (CLAIM_TTL_MS) so that a run that crashed holds nobody for long; a run that
// ends releases its unsent claims at once.
import { ledgerStatement } from './deadlock-retry.ts';
import { TABLES } from './schema.ts';
import type { StateStore } from './state-store.ts';

/** How long a claim or a pending CSV touch counts without its run confirming it: 30 minutes. */
export const CLAIM_TTL_MS = 30 * 60_000;

// Rows per insert and keys per IN list: far below SQLite's 32766 bound variables.
const CHUNK = 400;

export interface TouchScope {
  job: string;
  runId: string;
  /** The run's logical time (epoch ms). */
  atMs: number;
  /** Wall-clock start of the run (epoch ms). */
  startedMs: number;
}

/** A delivery or an in-flight send that counts toward a person's caps. */
export interface Touch {
  runId: string;
  job: string;
  /** '' when the job names no channel. */
  channel: string;
  atMs: number;
  /** Claimed or pending by a run still in flight (counts whatever its at). */
  inFlight: boolean;
}

/** Inserts claims for (person, channel) pairs of this run. */
export async function claim(
  store: StateStore,
  scope: TouchScope,
  pairs: readonly { key: string; channel: string }[],
  nowMs = Date.now(),
): Promise<void> {
  for (let i = 0; i < pairs.length; i += CHUNK) {
    const rows = pairs.slice(i, i + CHUNK).map((p) => ({
      person_key: p.key,
      channel: p.channel,
      job: scope.job,
      run_id: scope.runId,
      at_ms: scope.atMs,
      state: 'claimed',
      claimed_ms: nowMs,
      expires_ms: nowMs + CLAIM_TTL_MS,
    }));
    await ledgerStatement(store.knex, () => store.knex(TABLES.touches).insert(rows));
  }
}

/**
 * Touches of other runs for these people: sent in [fromMs, at] of logical time (at itself only
 * by other jobs), or sent by a run that claimed while this one was going (concurrent runs whose
 * `at` is a moment later), or still in flight. A backfill with an earlier `at` does not see later runs finished before it.
 */
export async function touchesOfOthers(
  store: StateStore,
  scope: TouchScope,
  keys: readonly string[],
  fromMs: number,
  nowMs = Date.now(),
): Promise<Map<string, Touch[]>> {
  const out = new Map<string, Touch[]>();
  for (let i = 0; i < keys.length; i += CHUNK) {
    const rows = (await store
      .knex(TABLES.touches)
      .select('person_key', 'channel', 'job', 'run_id', 'at_ms', 'state', 'claimed_ms')
      .whereIn('person_key', keys.slice(i, i + CHUNK))
      .whereNot('run_id', scope.runId)
      .where((w) =>
        w
          .where((sent) => sent.where('state', 'sent').where('at_ms', '>=', fromMs))
          .orWhere((live) => live.whereIn('state', ['claimed', 'pending']).where('expires_ms', '>', nowMs)),
      )) as {
      person_key: string;
      channel: string;
      job: string;
      run_id: string;
      at_ms: number | string;
      state: string;
      claimed_ms: number | string;
    }[];
    for (const r of rows) {
      const sent = r.state === 'sent';
      const atMs = Number(r.at_ms);
      // An earlier attempt of this same run (same job and at, resumed) is not another touch.
      if (r.job === scope.job && atMs === scope.atMs) continue;
      // Another job at the same logical moment counts; later ones only if they ran alongside.
      if (sent && atMs > scope.atMs && Number(r.claimed_ms) < scope.startedMs) continue;
      const list = out.get(r.person_key) ?? [];
      list.push({
        runId: r.run_id,
        job: r.job,
        channel: r.channel,
        atMs: Number(r.at_ms),
        inFlight: !sent,
      });
      out.set(r.person_key, list);
    }
  }
  return out;
}

/** This run's claims of these people on these channels are given up (capped after all, or not sent). */
export async function releaseClaims(
  store: StateStore,
  scope: TouchScope,
  pairs: readonly { key: string; channel: string }[],
): Promise<void> {
  const byChannel = groupKeys(pairs);
  for (const [channel, keys] of byChannel)
    for (let i = 0; i < keys.length; i += CHUNK)
      await ledgerStatement(store.knex, () =>
        store
          .knex(TABLES.touches)
          .where({ run_id: scope.runId, channel, state: 'claimed' })
          .whereIn('person_key', keys.slice(i, i + CHUNK))
          .delete(),
      );
}

/**
 * Acknowledged by a destination: the claim becomes `sent` (counts from now on by its at), or
 * `pending` when the lead is in a CSV file that is not complete yet.
 */
export async function markTouches(
  store: StateStore,
  scope: TouchScope,
  pairs: readonly { key: string; channel: string }[],
  state: 'sent' | 'pending',
): Promise<void> {
  const from = state === 'sent' ? ['claimed', 'pending'] : ['claimed'];
  for (const [channel, keys] of groupKeys(pairs))
    for (let i = 0; i < keys.length; i += CHUNK)
      await ledgerStatement(store.knex, () =>
        store
          .knex(TABLES.touches)
          .where({ run_id: scope.runId, channel })
          .whereIn('state', from)
          .whereIn('person_key', keys.slice(i, i + CHUNK))
          .update({ state }),
      );
}

/**
 * Keeps this run's claims and pending touches alive: called on every beat of the run's lock
 * (locks.ts), so a run longer than CLAIM_TTL_MS keeps the people it is sending to, while a
 * crashed run's claims still expire CLAIM_TTL_MS after its last beat.
 */
export async function renewTouches(store: StateStore, runId: string, nowMs = Date.now()): Promise<void> {
  await ledgerStatement(store.knex, () =>
    store
      .knex(TABLES.touches)
      .where({ run_id: runId })
      .whereIn('state', ['claimed', 'pending'])
      .update({ expires_ms: nowMs + CLAIM_TTL_MS }),
  );
}

/**
 * The run is over. ok: its CSV files are complete, so pending touches are sent; claims never
 * acknowledged are released. Failed: pending and claimed rows are removed (sent ones stay).
 */
export async function settleTouches(store: StateStore, runId: string, outcome: 'ok' | 'failed'): Promise<void> {
  const k = store.knex;
  if (outcome === 'ok')
    await ledgerStatement(k, () =>
      k(TABLES.touches).where({ run_id: runId, state: 'pending' }).update({ state: 'sent' }),
    );
  await ledgerStatement(k, () =>
    k(TABLES.touches).where({ run_id: runId }).whereIn('state', ['claimed', 'pending']).delete(),
  );
}

function groupKeys(pairs: readonly { key: string; channel: string }[]): Map<string, string[]> {
  const by = new Map<string, string[]>();
  for (const p of pairs) {
    const list = by.get(p.channel) ?? [];
    list.push(p.key);
    by.set(p.channel, list);
  }
  return by;
}
