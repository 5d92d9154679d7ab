// Opens the run ledger (SQLite file, MySQL or PostgreSQL through knex) and migrates its schema.
// Runs, deliveries and locks are small modules that take this store.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { RunError } from '../errors.ts';
import { NO_VALUES_IN_ERRORS, withoutSqlInErrors } from '../knex-errors.ts';
import { retryingDeadlocks } from './deadlock-retry.ts';
import { migrate } from './schema.ts';
import { resolveStateLocation, type StateDialect, type StateLocation } from './state-location.ts';

export interface StateStore {
  readonly dialect: StateDialect;
  /** Where the ledger is, safe to print. */
  readonly display: string;
  readonly knex: Knex;
  close(): Promise<void>;
}

/** `state` is --state (else $CRM_LEADS_STATE, else the default SQLite file). */
export async function openStateStore(state?: string | StateLocation): Promise<StateStore> {
  const location = typeof state === 'object' ? state : resolveStateLocation(state);
  if (location.file) return openSharedSqlite(location);
  return openMigrated(location);
}

async function openMigrated(location: StateLocation): Promise<StateStore> {
  if (location.file) {
    try {
      mkdirSync(dirname(location.file), { recursive: true });
    } catch (err) {
      throw new RunError(`state ${location.display}: cannot create its folder: ${(err as Error).message}`);
    }
  }
  const knex = withoutSqlInErrors(knexFactory({ ...location.knexConfig, ...NO_VALUES_IN_ERRORS }));
  stateErrorsName(knex, location.display);
  try {
    await migrate(knex, location.dialect);
  } catch (err) {
    await knex.destroy().catch(() => {});
    throw new RunError(`state ${location.display}: ${ledgerCause(location.display, err)}`, { cause: err });
  }
  return { dialect: location.dialect, display: location.display, knex, close: () => knex.destroy() };
}

// better-sqlite3 is synchronous: two connections of one process to one file would wait for
// each other inside a blocked event loop (busy_timeout), and neither could finish. So a process
// has one connection per ledger file, shared by every run (the scheduler's concurrent jobs),
// and knex queues their statements on it.
const sharedSqlite = new Map<string, { store: Promise<StateStore>; users: number }>();

async function openSharedSqlite(location: StateLocation): Promise<StateStore> {
  const file = location.file!;
  let entry = sharedSqlite.get(file);
  if (!entry) {
    entry = { store: openMigrated(location), users: 0 };
    sharedSqlite.set(file, entry);
    entry.store.catch(() => sharedSqlite.delete(file));
  }
  entry.users++;
  let inner: StateStore;
  try {
    inner = await entry.store;
  } catch (err) {
    entry.users--;
    throw err;
  }
  let closed = false;
  return {
    ...inner,
    async close() {
      if (closed) return;
      closed = true;
      if (--entry!.users > 0) return;
      sharedSqlite.delete(file);
      await inner.close();
    },
  };
}

/** A ledger to read from if one exists: a dry run or `runs` never creates an SQLite file. */
export async function openExistingStateStore(state?: string): Promise<StateStore | undefined> {
  const location = resolveStateLocation(state);
  if (location.file && !existsSync(location.file)) return undefined;
  return openStateStore(location);
}

// Every failed ledger statement says it is the ledger's, in one line: "state <where>: <cause>".
function stateErrorsName(knex: Knex, display: string): void {
  knex.on('query-error', (err: Error) => {
    if (err?.message !== undefined && !err.message.startsWith('state '))
      err.message = `state ${display}: ${firstLine(err)}`;
  });
}

/**
 * The cause of a failed ledger statement in one line, without the "state <where>: " that
 * stateErrorsName already put on it: for messages that name the ledger themselves, once.
 */
export function ledgerCause(display: string, err: unknown): string {
  const line = firstLine(err);
  const named = `state ${display}: `;
  return line.startsWith(named) ? line.slice(named.length) : line;
}

export function firstLine(err: unknown): string {
  const e = err as { message?: string; code?: string };
  const message = (e?.message ?? String(err)).split('\n')[0];
  return e?.code && !message.includes(e.code) ? `${message} (${e.code})` : message;
}

/**
 * The same store inside a transaction: the ledger's helpers write through it unchanged. A
 * transaction the server rolls back for a deadlock runs again (deadlock-retry.ts), so `fn` must
 * only write through `trx`.
 */
export function inTransaction<T>(store: StateStore, fn: (trx: StateStore) => Promise<T>): Promise<T> {
  return retryingDeadlocks(() =>
    store.knex.transaction((trx: Knex.Transaction) => fn({ ...store, knex: trx as unknown as Knex })),
  );
}
