// PostgreSQL through pg + pg-query-stream (a server-side cursor): rows as arrays, timestamps,
// dates, numerics and int8 as the server's text so nothing is shifted or rounded.
import type * as Pg from 'pg';
import { type ConnectionSpec, serverFields } from '../config/connection-schema.ts';
import type { SqlQuery } from '../sql/render-query.ts';
import { batchRows } from './batch-rows.ts';
import { abortedError, cancelOnAbort } from './cancel-on-abort.ts';
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
  const { default: QueryStream } = await loadDriver<{ default: typeof import('pg-query-stream') }>(
    'pg-query-stream',
    name,
  );
  pgTypes = pg.types;
  const client = new pg.Client(postgresConfig(spec));
  client.on('error', () => {}); // surfaced through the query that was running
  try {
    await client.connect();
    // Rows are read through a cursor, which PostgreSQL plans for the first 10% of the result
    // (cursor_tuple_fraction): index-order merge joins and JIT instead of the hash anti join
    // `psql COPY` gets for the same statement (bench/export.ts). A run reads every row.
    await client.query('SET cursor_tuple_fraction = 1');
  } catch (err) {
    throw databaseError(name, err);
  }
  let sessionZone: string | undefined;
  return {
    dialect: 'postgres',
    // The IANA name: PostgreSQL has its own tz database, so timestamptz values are compared with
    // the naive bounds, and printed, in the job's zone at each value's own offset.
    async setTimeZone(zone: SessionZone) {
      if (zone.timezone === sessionZone) return;
      try {
        await client.query("SELECT set_config('TimeZone', $1, false)", [zone.timezone]);
      } catch (err) {
        throw databaseError(name, err);
      }
      sessionZone = zone.timezone;
    },
    async *stream(query: SqlQuery, opts: StreamOptions = {}) {
      const size = opts.batchSize ?? DEFAULT_BATCH_SIZE;
      const rows = client.query(
        new QueryStream(query.sql, query.bindings, { batchSize: size, highWaterMark: size, rowMode: 'array' }),
      );
      const stopCancelling = cancelOnAbort(opts.signal, () =>
        cancelBackend(pg, spec, (client as unknown as { processID?: number }).processID),
      );
      // A connection closed or reset mid-result is reported on the client, never to the cursor
      // (whose destroy() waits for a reply that cannot come): each read is raced against it.
      // Not with Promise.race on one long-lived `lost` promise: every race leaves a reaction on
      // it that holds the race's result (a whole batch) until the connection ends, so memory
      // grew with the result (335 MB peak for 900k rows).
      let lostError: Error | undefined;
      let wake: ((err: Error) => void) | undefined;
      const onLost = (err?: Error) => {
        lostError ??= err ?? Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
        wake?.(lostError);
      };
      client.on('error', onLost);
      client.on('end', onLost);
      const batches = batchRows(rows as AsyncIterable<Row>, size, opts.signal)[Symbol.asyncIterator]();
      const nextBatch = () =>
        new Promise<IteratorResult<Row[]>>((resolve, reject) => {
          if (lostError) return reject(lostError);
          wake = reject;
          batches.next().then(resolve, reject);
        }).finally(() => {
          wake = undefined;
        });
      try {
        for (;;) {
          const step = await nextBatch();
          if (step.done) break;
          yield step.value;
        }
      } catch (err) {
        throw abortedError(name, opts.signal) ?? databaseError(name, err);
      } finally {
        client.off('error', onLost);
        client.off('end', onLost);
        stopCancelling();
        rows.destroy();
      }
    },
    async all(query) {
      try {
        return (await client.query({ text: query.sql, values: query.bindings, rowMode: 'array' })).rows as Row[];
      } catch (err) {
        throw databaseError(name, err);
      }
    },
    async version() {
      const v = (await client.query('show server_version')).rows[0].server_version;
      return `PostgreSQL ${v}`;
    },
    destroy: () => (client as unknown as { connection: { stream: { destroy(): void } } }).connection.stream.destroy(),
    async close() {
      await client.end().catch(() => {});
    },
  };
}
