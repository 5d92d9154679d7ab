// Delivered leads, written only after the destination acknowledged them. One row per
// acknowledged batch: (job, the run's at, destination, channel, run, wall-clock time, and the
// batch's person keys). They answer two questions: who did this job (or any job) deliver in a
// window of logical time (exclude.delivered), and what did earlier runs of the same (job, at)
// already deliver to each destination (resuming a run).
//
// Why a row per batch and not per lead: both questions load whole key sets, and recording is on
// the hot path. A row per lead costs 2-8 µs on SQLite (measured: 900,000 CSV leads would add
// seconds to a run that otherwise takes a few); a row per batch costs about nothing. To find a
// person:  where person_keys like '%' || char(10) || '123' || char(10) || '%'  (keys are
// stored one per line, with a line break before the first and after the last).
import type { Knex } from 'knex';
import { RunError } from '../errors.ts';
import { redact } from '../secrets.ts';
import { TABLES } from './schema.ts';
import { ledgerCause, type StateStore } from './state-store.ts';

export interface DeliveryContext {
  job: string;
  atMs: number;
  runId: string;
  destination: string;
  channel?: string;
}

// Keys per row: a few tens of KB of text, well inside MySQL's MEDIUMTEXT.
const KEYS_PER_ROW = 2000;
// Failure rows: 4 bound values each, far below SQLite's 32766 variables.
const CHUNK = 500;

/**
 * Records acknowledged leads: one row per KEYS_PER_ROW keys, all rows of the call in one
 * statement (SQLite: one prepared statement in one transaction). `pending` rows (a CSV still
 * being written) count only once confirmed. Throws RunError for a key with a line break.
 */
export async function recordDeliveries(
  store: StateStore,
  ctx: DeliveryContext,
  keys: readonly string[],
  options: { pending?: boolean } = {},
): Promise<void> {
  if (keys.length === 0) return;
  const base = {
    job: ctx.job,
    at_ms: ctx.atMs,
    destination: ctx.destination,
    channel: ctx.channel ?? null,
    run_id: ctx.runId,
    delivered_ms: Date.now(),
    pending: options.pending === true,
  };
  const rows: DeliveryRow[] = [];
  for (let i = 0; i < keys.length; i += KEYS_PER_ROW) {
    const chunk = keys.length <= KEYS_PER_ROW ? keys : keys.slice(i, i + KEYS_PER_ROW);
    const text = `\n${chunk.join('\n')}\n`;
    // A key with a line break would end the joined text early: the line count shows it.
    if (countBreaks(text) !== chunk.length + 1)
      throw new RunError(
        `a person key contains a line break: ${JSON.stringify(chunk.find((key) => key.includes('\n')))}; audience.key must be an id`,
      );
    rows.push({ ...base, lead_count: chunk.length, person_keys: text });
  }
  if (store.dialect === 'sqlite') await insertSqlite(store, rows);
  else await store.knex(TABLES.deliveries).insert(rows);
}

type DeliveryRow = {
  job: string;
  at_ms: number;
  destination: string;
  channel: string | null;
  run_id: string;
  delivered_ms: number;
  pending: boolean;
  lead_count: number;
  person_keys: string;
};

function countBreaks(text: string): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

interface SqliteConnection {
  prepare(sql: string): { run(...values: unknown[]): unknown };
  transaction<A extends unknown[]>(fn: (...args: A) => void): (...args: A) => void;
}

const INSERT_SQLITE = `insert into ${TABLES.deliveries} (job, at_ms, destination, channel, run_id, delivered_ms, pending, lead_count, person_keys) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const sqliteInserts = new WeakMap<SqliteConnection, (rows: DeliveryRow[]) => void>();

// Through knex each insert is compiled and queued anew (about half a millisecond of CPU per
// row, measured: 0.75 s for a 900k-lead CSV run); a statement prepared once on the ledger's one
// connection, all rows in one transaction, costs a third of that. The connection is taken from
// knex's pool, so a knex transaction in progress finishes first.
async function insertSqlite(store: StateStore, rows: DeliveryRow[]): Promise<void> {
  const client = store.knex.client as {
    acquireConnection(): Promise<SqliteConnection>;
    releaseConnection(c: SqliteConnection): Promise<unknown>;
  };
  const conn = await client.acquireConnection();
  try {
    let insertAll = sqliteInserts.get(conn);
    if (!insertAll) {
      const insert = conn.prepare(INSERT_SQLITE);
      insertAll = conn.transaction((all: DeliveryRow[]) => {
        for (const r of all)
          insert.run(
            r.job,
            r.at_ms,
            r.destination,
            r.channel,
            r.run_id,
            r.delivered_ms,
            r.pending ? 1 : 0,
            r.lead_count,
            r.person_keys,
          );
      });
      sqliteInserts.set(conn, insertAll);
    }
    insertAll(rows);
  } catch (err) {
    // Straight from better-sqlite3, past knex's error hook: named here as every ledger error is
    // (a full disk: "state <file>: database or disk is full (SQLITE_FULL)"), never with the rows.
    throw new RunError(`state ${store.display}: ${ledgerCause(store.display, err)}`, { cause: err });
  } finally {
    await client.releaseConnection(conn);
  }
}

function addKeys(into: Set<string>, text: string): void {
  const keys = text.split('\n');
  // The first and last entries are the empty strings around the leading and trailing breaks.
  for (let i = 1; i < keys.length - 1; i++) into.add(keys[i]);
}

export interface PendingScope {
  runId: string;
  destination: string;
}

/** The CSV file is complete: its pending leads now count as delivered. */
export async function confirmPending(store: StateStore, p: PendingScope): Promise<void> {
  await store
    .knex(TABLES.deliveries)
    .where({ run_id: p.runId, destination: p.destination, pending: true })
    .update({ pending: false, delivered_ms: Date.now() });
}

export async function discardPending(store: StateStore, p: PendingScope): Promise<void> {
  await store.knex(TABLES.deliveries).where({ run_id: p.runId, destination: p.destination, pending: true }).delete();
}

/**
 * Pending CSV leads left by runs that died while writing their file. Called while holding the
 * job's lock: no run of this job that is not running will ever confirm them.
 */
export async function discardAbandonedPending(store: StateStore, job: string): Promise<void> {
  const k = store.knex;
  const running = k(TABLES.runs).select('id').where({ job, status: 'running' });
  await k(TABLES.deliveries).where({ job, pending: true }).whereNotIn('run_id', running).delete();
}

/** People delivered in [fromMs, toMs) of logical time: by this job, or by every job (job undefined). */
export async function deliveredInWindow(
  store: StateStore,
  window: {
    job?: string;
    fromMs: number;
    toMs: number;
    /**
     * Also count deliveries at exactly `toMs` (the run's own `at`) by jobs other than this one:
     * cron and Airflow pin every job of a slot to the same logical time, and a frequency cap
     * across jobs must see what the slot's earlier jobs delivered.
     */
    sameAtExceptJob?: string;
  },
): Promise<Set<string>> {
  const q = store
    .knex(TABLES.deliveries)
    .select('person_keys')
    .where((w) => {
      w.where('at_ms', '>=', window.fromMs).andWhere('at_ms', '<', window.toMs);
      if (window.sameAtExceptJob !== undefined)
        w.orWhere((same) => same.where('at_ms', window.toMs).andWhereNot('job', window.sameAtExceptJob!));
    })
    .andWhere({ pending: false });
  if (window.job !== undefined) q.andWhere({ job: window.job });
  const keys = new Set<string>();
  for (const row of (await q) as { person_keys: string }[]) addKeys(keys, row.person_keys);
  return keys;
}

/** What earlier runs of this (job, at) delivered, per destination id. */
export async function deliveredByEarlierRuns(
  store: StateStore,
  job: string,
  atMs: number,
  destinations: readonly string[],
): Promise<Map<string, Set<string>>> {
  const byDestination = new Map<string, Set<string>>();
  for (const destination of destinations) byDestination.set(destination, new Set());
  if (destinations.length === 0) return byDestination;
  const rows = (await store
    .knex(TABLES.deliveries)
    .select('destination', 'person_keys')
    .where({ job, at_ms: atMs, pending: false })
    .whereIn('destination', [...destinations])) as { destination: string; person_keys: string }[];
  for (const row of rows) addKeys(byDestination.get(row.destination)!, row.person_keys);
  return byDestination;
}

export interface FailureRecord {
  destination: string;
  person_key: string;
  error: string;
}

// A receiver's answer can quote the credentials it was sent: redacted before it is stored,
// since `runs show` prints it from a process that never loaded the job's secrets.
export async function recordFailures(
  store: StateStore,
  runId: string,
  destination: string,
  failures: readonly { key: string; error: string }[],
): Promise<void> {
  if (failures.length === 0) return;
  await store.knex.transaction(async (trx: Knex.Transaction) => {
    for (let i = 0; i < failures.length; i += CHUNK) {
      const rows = failures
        .slice(i, i + CHUNK)
        .map((f) => ({ run_id: runId, destination, person_key: f.key, error: redact(f.error).slice(0, 500) }));
      await trx(TABLES.failures).insert(rows);
    }
  });
}

export async function listFailures(
  store: StateStore,
  runId: string,
  limit: number,
): Promise<{ total: number; failures: FailureRecord[] }> {
  const [{ n }] = (await store.knex(TABLES.failures).where({ run_id: runId }).count({ n: '*' })) as {
    n: number | string;
  }[];
  const failures = (await store
    .knex(TABLES.failures)
    .select('destination', 'person_key', 'error')
    .where({ run_id: runId })
    .limit(limit)) as FailureRecord[];
  return { total: Number(n), failures };
}

/** One person's latest acknowledged delivery: its wall-clock time (ms since epoch) and channel. */
export interface LatestDelivery {
  ms: number;
  channel: string | null;
}

/**
 * A few people of a window with their latest delivery (follow-ups with at most BIND_LIMIT
 * people, src/run/follow-up.ts; more go to a DeliveredScratch). Each person costs one Map entry
 * whose value is a small integer (the index of their ledger batch row), not an object.
 */
export class LatestDeliveries {
  private readonly batchOf = new Map<string, number>();
  private readonly batches: LatestDelivery[] = [];

  /** People in the window. */
  get size(): number {
    return this.batchOf.size;
  }

  /** Records one acknowledged batch row; a person keeps their latest. */
  add(keys: readonly string[], delivery: LatestDelivery): void {
    const index = this.batches.push(delivery) - 1;
    for (const key of keys) {
      const seen = this.batchOf.get(key);
      if (seen === undefined || this.batches[seen].ms < delivery.ms) this.batchOf.set(key, index);
    }
  }

  get(key: string): LatestDelivery | undefined {
    const index = this.batchOf.get(key);
    return index === undefined ? undefined : this.batches[index];
  }

  keys(): IterableIterator<string> {
    return this.batchOf.keys();
  }

  /** The batches as recorded, each with the people whose latest it is (for moving them elsewhere). */
  *batchesWithKeys(): Generator<{ keys: string[]; delivery: LatestDelivery }> {
    const keysOf = this.batches.map(() => [] as string[]);
    for (const [key, index] of this.batchOf) keysOf[index].push(key);
    for (let i = 0; i < this.batches.length; i++) yield { keys: keysOf[i], delivery: this.batches[i] };
  }
}

/**
 * The acknowledged batch rows of `job` with acknowledgement time (wall clock, delivered_ms) in
 * [fromMs, toMs), optionally only on `channel` (follow-ups, issue 13), streamed one row (up to
 * 2,000 keys) at a time in no particular order. A person may be in several rows.
 */
export async function* deliveryBatches(
  store: StateStore,
  window: { job: string; fromMs: number; toMs: number; channel?: string },
): AsyncGenerator<{ keys: string[]; delivery: LatestDelivery }> {
  const q = store
    .knex(TABLES.deliveries)
    .select('person_keys', 'delivered_ms', 'channel')
    .where({ job: window.job, pending: false })
    .andWhere('delivered_ms', '>=', window.fromMs)
    .andWhere('delivered_ms', '<', window.toMs);
  if (window.channel !== undefined) q.andWhere({ channel: window.channel });
  for await (const row of q.stream() as AsyncIterable<{
    person_keys: string;
    delivered_ms: number | string;
    channel: string | null;
  }>) {
    // person_keys is framed by newlines: '\nk1\nk2\n'.
    const keys = row.person_keys.split('\n').slice(1, -1);
    yield { keys, delivery: { ms: Number(row.delivered_ms), channel: row.channel } };
  }
}
