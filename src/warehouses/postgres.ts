// PostgreSQL through pg: rows as arrays, read as one statement with socket backpressure
// (postgres-rows.ts); timestamps, dates, numerics and int8 as the server's text so nothing is
// shifted or rounded.
import type * as Pg from 'pg';
import { type ConnectionSpec, serverFields } from '../config/connection-schema.ts';
import type { SqlQuery } from '../sql/render-query.ts';
import { abortedError, cancelOnAbort } from './cancel-on-abort.ts';
import { postgresRows } from './postgres-rows.ts';
import {
  databaseError,
  DEFAULT_BATCH_SIZE,
  loadDriver,
  type Row,
  type SessionZone,
  type StreamOptions,
  type Warehouse,
} from './warehouse.ts';

type PostgresSpec = Extract<ConnectionSpec, { type: 'postgres' | 'postgresql' }>;

const TEXT_TYPES = new Set([1082, 1083, 1114, 1184, 1266]); // date, time, timestamp, timestamptz, timetz

export function postgresConfig(spec: PostgresSpec): Pg.ClientConfig {
  const base: Pg.ClientConfig = spec.url ? { connectionString: spec.url } : serverFields(spec, 5432);
  return {
    ...base,
    connectionTimeoutMillis: 10000,
    options: spec.schema ? `-c search_path=${spec.schema}` : undefined,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        TEXT_TYPES.has(oid) ? (v: string) => v : pgTypes.getTypeParser(oid, format as 'text')) as never,
    },
  };
}

let pgTypes: typeof Pg.types;

// PostgreSQL cancels a running statement only through another connection.
async function cancelBackend(pg: typeof Pg, spec: PostgresSpec, pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  const canceller = new pg.Client(postgresConfig(spec));
  canceller.on('error', () => {});
  try {
    await canceller.connect();
    await canceller.query('SELECT pg_cancel_backend($1)', [pid]);
  } finally {
    await canceller.end().catch(() => {});
  }
}

export async function openPostgres(name: string, spec: PostgresSpec): Promise<Warehouse> {
  const pg = (await loadDriver<{ default: typeof Pg }>('pg', name)).default;
  pgTypes = pg.types;
  const client = new pg.Client(postgresConfig(spec));
  client.on('error', () => {}); // surfaced through the query that was running
  try {
    await client.connect();
  } catch (err) {
    throw databaseError(name, err);
  }
  let sessionZone: string | undefined;
  // The cancel of a statement left early, until delivered: every statement after it waits, so
  // the cancel cannot stop it instead (postgres-rows.ts, stop()).
  let cancelling: Promise<void> | undefined;
  const settled = () => cancelling;
  return {
    dialect: 'postgres',
    // The IANA name: PostgreSQL has its own tz database, so timestamptz values are compared with
    // the naive bounds, and printed, in the job's zone at each value's own offset.
    async setTimeZone(zone: SessionZone) {
      if (zone.timezone === sessionZone) return;
      await settled();
      try {
        await client.query("SELECT set_config('TimeZone', $1, false)", [zone.timezone]);
      } catch (err) {
        throw databaseError(name, err);
      }
      sessionZone = zone.timezone;
    },
    async *stream(query: SqlQuery, opts: StreamOptions = {}) {
      await settled();
      const rows = postgresRows(client, pg.Query, query.sql, query.bindings, opts.batchSize ?? DEFAULT_BATCH_SIZE);
      const cancel = () => cancelBackend(pg, spec, (client as unknown as { processID?: number }).processID);
      const stopCancelling = cancelOnAbort(opts.signal, cancel);
      let finished = false;
      try {
        for (let batch = await rows.next(); batch; batch = await rows.next()) {
          opts.signal?.throwIfAborted();
          yield batch;
        }
        finished = true;
      } catch (err) {
        throw abortedError(name, opts.signal) ?? databaseError(name, err);
      } finally {
        stopCancelling();
        // Left early (a limit reached, an error downstream): the statement is cancelled, unless
        // the abort signal already did that.
        if (!finished) cancelling = rows.stop(opts.signal?.aborted ? async () => {} : cancel);
      }
    },
    async all(query) {
      await settled();
      try {
        return (await client.query({ text: query.sql, values: query.bindings, rowMode: 'array' })).rows as Row[];
      } catch (err) {
        throw databaseError(name, err);
      }
    },
    async version() {
      await settled();
      const v = (await client.query('show server_version')).rows[0].server_version;
      return `PostgreSQL ${v}`;
    },
    destroy: () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
    async close() {
      await settled();
      await client.end().catch(() => {});
    },
  };
}
