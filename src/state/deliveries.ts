// Delivered leads: one row per (job, run's at, destination, person), written only after the
// destination acknowledged the lead. They answer two questions: who did this job (or any job)
// deliver in a window of logical time (exclude.delivered), and what did earlier runs of the
// same (job, at) already deliver to each destination (resuming a run).
import type BetterSqlite3 from 'better-sqlite3';
import type { Knex } from 'knex';
import { TABLES } from './schema.ts';
import type { StateStore } from './state-store.ts';

export interface DeliveryContext {
  job: string;
  atMs: number;
  runId: string;
  destination: string;
  channel?: string;
}

// 8 bound values a row: 500 rows stay far below SQLite's 32766 variables.
const CHUNK = 500;
const PRIMARY_KEY = ['job', 'at_ms', 'destination', 'person_key'];

/** Records acknowledged leads. `pending` rows (a CSV still being written) count only once confirmed. */
export async function recordDeliveries(store: StateStore, ctx: DeliveryContext, keys: readonly string[], options: { pending?: boolean } = {}): Promise<void> {
  if (keys.length === 0) return;
  const base = { job: ctx.job, at_ms: ctx.atMs, destination: ctx.destination, channel: ctx.channel ?? null, run_id: ctx.runId, delivered_ms: Date.now(), pending: options.pending === true };
  if (store.dialect === 'sqlite') return recordOnSqlite(store, base, keys);
  await store.knex.transaction(async (trx) => {
    for (let i = 0; i < keys.length; i += CHUNK) {
      const rows = keys.slice(i, i + CHUNK).map((person_key) => ({ ...base, person_key }));
      // A lead resent after a crash (its acknowledgement was never recorded) is recorded once.
      await trx(TABLES.deliveries).insert(rows).onConflict(PRIMARY_KEY).ignore();
    }
  });
}

// SQLite: one prepared statement in one transaction on the driver (about 10x knex's
// compound inserts), so recording a large CSV's leads stays a small part of the run.
async function recordOnSqlite(store: StateStore, base: Record<string, unknown>, keys: readonly string[]): Promise<void> {
  const db = (await store.knex.client.acquireConnection()) as BetterSqlite3.Database;
  try {
    const insert = db.prepare(
      `insert or ignore into ${TABLES.deliveries} (job, at_ms, destination, person_key, channel, run_id, delivered_ms, pending) values (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    db.transaction(() => {
      for (const key of keys) insert.run(base.job, base.at_ms, base.destination, key, base.channel, base.run_id, base.delivered_ms, base.pending ? 1 : 0);
    })();
  } finally {
    await store.knex.client.releaseConnection(db);
  }
}

/** The CSV file is complete: its pending leads now count as delivered. */
export async function confirmPending(store: StateStore, runId: string, destination: string): Promise<void> {
  await store.knex(TABLES.deliveries).where({ run_id: runId, destination, pending: true }).update({ pending: false, delivered_ms: Date.now() });
}

export async function discardPending(store: StateStore, runId: string, destination: string): Promise<void> {
  await store.knex(TABLES.deliveries).where({ run_id: runId, destination, pending: true }).delete();
}

/** CSV leads still pending from runs of this job that are no longer running (died while writing the file). */
export async function discardAbandonedPending(store: StateStore, job: string): Promise<void> {
  const running = store.knex(TABLES.runs).select('id').where({ job, status: 'running' });
  await store.knex(TABLES.deliveries).where({ job, pending: true }).whereNotIn('run_id', running).delete();
}

/** People delivered in [fromMs, toMs) of logical time: by this job, or by every job (job undefined). */
export async function deliveredInWindow(store: StateStore, window: { job?: string; fromMs: number; toMs: number }): Promise<Set<string>> {
  const q = store.knex(TABLES.deliveries).distinct('person_key').where('at_ms', '>=', window.fromMs).andWhere('at_ms', '<', window.toMs).andWhere({ pending: false });
  if (window.job !== undefined) q.andWhere({ job: window.job });
  return new Set(((await q) as { person_key: string }[]).map((r) => r.person_key));
}

/** What earlier runs of this (job, at) delivered, per destination id. */
export async function deliveredByEarlierRuns(store: StateStore, job: string, atMs: number, destinations: readonly string[]): Promise<Map<string, Set<string>>> {
  const byDestination = new Map<string, Set<string>>();
  for (const destination of destinations) byDestination.set(destination, new Set());
  if (destinations.length === 0) return byDestination;
  const rows = (await store.knex(TABLES.deliveries)
    .select('destination', 'person_key')
    .where({ job, at_ms: atMs, pending: false })
    .whereIn('destination', [...destinations])) as { destination: string; person_key: string }[];
  for (const row of rows) byDestination.get(row.destination)!.add(row.person_key);
  return byDestination;
}

export interface FailureRecord {
  destination: string;
  person_key: string;
  error: string;
}

export async function recordFailures(store: StateStore, runId: string, destination: string, failures: readonly { key: string; error: string }[]): Promise<void> {
  if (failures.length === 0) return;
  await store.knex.transaction(async (trx: Knex.Transaction) => {
    for (let i = 0; i < failures.length; i += CHUNK) {
      const rows = failures.slice(i, i + CHUNK).map((f) => ({ run_id: runId, destination, person_key: f.key, error: f.error.slice(0, 500) }));
      await trx(TABLES.failures).insert(rows);
    }
  });
}

export async function listFailures(store: StateStore, runId: string, limit: number): Promise<{ total: number; failures: FailureRecord[] }> {
  const [{ n }] = (await store.knex(TABLES.failures).where({ run_id: runId }).count({ n: '*' })) as { n: number | string }[];
  const failures = (await store.knex(TABLES.failures).select('destination', 'person_key', 'error').where({ run_id: runId }).limit(limit)) as FailureRecord[];
  return { total: Number(n), failures };
}
