// A warehouse streams the rows of one query as arrays, in batches, with backpressure: the
// consumer's `await` between batches is what paces the driver. The handle owns its release.
import type { SqlQuery } from '../sql/render-query.ts';
import type { Dialect } from '../config/connection-schema.ts';
import { RunError } from '../errors.ts';

export type Row = unknown[];

export interface StreamOptions {
  batchSize?: number;
  signal?: AbortSignal;
}

/**
 * The zone a run reads time in: the job's timezone, at the run's time (epoch ms). Sessions of
 * engines with zone-carrying columns (PostgreSQL timestamptz, MySQL/MariaDB TIMESTAMP) compare
 * the naive bounds with them, and print their values, in it.
 */
export interface SessionZone {
  timezone: string;
  atMs: number;
}

export interface Warehouse {
  readonly dialect: Dialect;
  /**
   * Sets the session's time zone for the next queries (issue 9). PostgreSQL takes the IANA name
   * (exact across DST changes); MySQL/MariaDB the zone's UTC offset at `atMs` (servers without
   * time zone tables refuse names), exact for a window no DST change falls in. Engines whose
   * times carry no zone (SQLite, Hive) or that keep the server's (Oracle) have none.
   */
  setTimeZone?(zone: SessionZone): Promise<void>;
  /**
   * Rows as arrays in select order, batch by batch (a query with `keyAt` gets its key copied to
   * the front: src/warehouses/key-first.ts). Breaking out of the loop cancels the query.
   */
  stream(query: SqlQuery, options?: StreamOptions): AsyncIterable<Row[]>;
  /**
   * Runs a statement and returns all rows (small results only: counts, version checks). The
   * signal ends the wait at once (SQLite and Hive stop the query; the guard drops the others'
   * connection after a short grace).
   */
  all(query: SqlQuery, options?: { signal?: AbortSignal }): Promise<Row[]>;
  /** Server name and version, for `connections check`. */
  version(): Promise<string>;
  close(): Promise<void>;
  /**
   * Drops the connection at once, without a goodbye to the server (lost, silent or a run that
   * must stop now): a read in progress fails soon after. Optional: embedded engines cannot stall.
   */
  destroy?(): void;
}

export const DEFAULT_BATCH_SIZE = 1000;

/** Loads an optional driver, or says which package to install. */
export async function loadDriver<T>(pkg: string, connection: string): Promise<T> {
  try {
    return (await import(pkg)) as T;
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' ||
      (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
    )
      throw missingDriverError(pkg, connection);
    throw err;
  }
}

/** The error for a driver package that is not installed: which one, and how to install it. */
export function missingDriverError(pkg: string, connection: string): RunError {
  return new RunError(`connection ${connection} needs the ${pkg} package: npm install ${pkg}`);
}

/** One line that says why a database operation failed, without the driver's stack. */
export function databaseError(connection: string, err: unknown): RunError {
  if (err instanceof RunError) return err;
  const e = err as { code?: string; message?: string; errno?: number };
  const message = (e.message ?? String(err)).split('\n')[0];
  const code = e.code && !message.includes(e.code) ? ` (${e.code})` : '';
  return new RunError(`${connection}: ${message}${code}`, { cause: err });
}
