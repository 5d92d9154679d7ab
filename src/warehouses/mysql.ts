// MySQL / MariaDB through mysql2: rows as arrays, streamed with backpressure; dates, DECIMALs
// and big integers as strings so nothing is shifted by the Node process's timezone or rounded.
import { DateTime } from 'luxon';
import type * as Mysql2 from 'mysql2';
import { type ConnectionSpec, serverFields } from '../config/connection-schema.ts';
import type { SqlQuery } from '../sql/render-query.ts';
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

type MysqlSpec = Extract<ConnectionSpec, { type: 'mysql' | 'mariadb' }>;

export function mysqlOptions(spec: MysqlSpec): Mysql2.ConnectionOptions {
  const base: Mysql2.ConnectionOptions = spec.url ? { uri: spec.url } : serverFields(spec, 3306);
  return {
    ...base,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    rowsAsArray: true,
    connectTimeout: 10000,
    charset: 'utf8mb4',
  };
}

/**
 * The session time_zone for a run: the job zone's UTC offset at the run's time ('+08:00').
 * Not the zone's name: MySQL and MariaDB know names only from their time zone tables, which many
 * servers never load (SET time_zone = 'Asia/Shanghai' fails there). So TIMESTAMP columns are
 * read at one offset per run: exact unless a DST change falls inside the run's window.
 */
export function sessionTimeZone(zone: SessionZone): string {
  return DateTime.fromMillis(zone.atMs, { zone: zone.timezone }).toFormat('ZZ');
}

// The server stops a running statement only when told on another connection.
async function killQuery(mysql: typeof Mysql2, spec: MysqlSpec, threadId: number | null): Promise<void> {
  if (threadId === null) return;
  const killer = mysql.createConnection(mysqlOptions(spec));
  killer.on('error', () => {});
  try {
    await killer.promise().query(`KILL QUERY ${Number(threadId)}`);
  } finally {
    killer.destroy();
  }
}

export async function openMysql(name: string, spec: MysqlSpec): Promise<Warehouse> {
  const mysql = await loadDriver<typeof Mysql2>('mysql2', name);
  let conn: Mysql2.Connection;
  try {
    conn = await new Promise<Mysql2.Connection>((resolve, reject) => {
      const c = mysql.createConnection(mysqlOptions(spec));
      c.connect((err) => (err ? reject(err) : resolve(c)));
    });
  } catch (err) {
    throw databaseError(name, err);
  }
  // A connection the server closed or reset while no query ran (a restart, wait_timeout, a
  // proxy gone between two watch ticks) is remembered here: mysql2 would take the next query
  // onto the dead socket and wait for an answer that cannot come (until read_timeout).
  let gone: Error | undefined;
  conn.on('error', (err) => (gone ??= err)); // during a query: surfaced through that query too
  conn.on('end', () => (gone ??= connectionLost()));
  const ensureOpen = () => {
    if (gone) throw databaseError(name, gone);
  };
  let busy = false;
  let sessionOffset: string | undefined;
  return {
    dialect: 'mysql',
    async setTimeZone(zone: SessionZone) {
      ensureOpen();
      const offset = sessionTimeZone(zone);
      if (offset === sessionOffset) return;
      try {
        await conn.promise().query({ sql: 'SET time_zone = ?', values: [offset] });
      } catch (err) {
        throw databaseError(name, err);
      }
      sessionOffset = offset;
    },
    async *stream(query: SqlQuery, opts: StreamOptions = {}) {
      ensureOpen();
      busy = true;
      const { next: nextBatch, detach } = resultBatches(conn, query, opts.batchSize ?? DEFAULT_BATCH_SIZE);
      const stopCancelling = cancelOnAbort(opts.signal, () => killQuery(mysql, spec, conn.threadId));
      let finished = false;
      try {
        for (let batch = await nextBatch(); batch; batch = await nextBatch()) {
          opts.signal?.throwIfAborted();
          yield batch;
        }
        finished = true;
      } catch (err) {
        throw abortedError(name, opts.signal) ?? databaseError(name, err);
      } finally {
        stopCancelling();
        detach();
        busy = false;
        // Leaving early: the server is still sending; dropping the connection stops it.
        if (!finished) conn.destroy();
      }
    },
    async all(query) {
      ensureOpen();
      try {
        const [rows] = await conn.promise().query({ sql: query.sql, values: query.bindings, rowsAsArray: true });
        return rows as Row[];
      } catch (err) {
        throw databaseError(name, err);
      }
    },
    async version() {
      ensureOpen();
      const [rows] = await conn.promise().query({ sql: 'select version()', rowsAsArray: true });
      const v = String((rows as Row[])[0][0]);
      return /mariadb/i.test(v) ? `MariaDB ${v}` : `MySQL ${v}`;
    },
    destroy: () => conn.destroy(),
    async close() {
      if (busy) conn.destroy();
      else
        await conn
          .promise()
          .end()
          .catch(() => conn.destroy());
    },
  };
}

// Rows go from the query's 'result' events straight into batches: no Readable stream, whose
// per-row push and async-iterator promise cost about a third of a 900k-row export's CPU.
// Backpressure: the connection pauses (stops reading the socket) once two batches wait, and
// resumes as the consumer takes them, so memory stays at a few batches whatever the size.
// `next` resolves with the next batch, undefined at the end; `detach` removes the listeners this
// query put on the connection (also done when the result ends or fails): a long-lived watch
// connection runs one query per tick, and listeners left behind would pile up (a leak, and
// MaxListenersExceededWarning after 10 ticks).
function resultBatches(
  conn: Mysql2.Connection,
  query: SqlQuery,
  size: number,
): { next: () => Promise<Row[] | undefined>; detach: () => void } {
  const ready: Row[][] = [];
  let batch: Row[] = [];
  let ended = false;
  let failure: unknown;
  let paused = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  conn
    .query({ sql: query.sql, values: query.bindings })
    .on('result', (row) => {
      batch.push(row as unknown as Row);
      if (batch.length < size) return;
      ready.push(batch);
      batch = [];
      if (ready.length >= 2 && !paused) {
        paused = true;
        conn.pause();
      }
      notify();
    })
    .on('error', (err) => {
      failure = err;
      detach();
      notify();
    })
    .on('end', () => {
      if (batch.length > 0) ready.push(batch);
      batch = [];
      ended = true;
      detach();
      notify();
    });
  // A connection closed or reset mid-result is reported on the connection, not on the query:
  // without these the result would wait for its next row forever.
  const lost = (err?: unknown) => {
    if (ended || failure) return;
    failure = err ?? connectionLost();
    notify();
  };
  const lostAtEnd = () => lost();
  const detach = () => {
    conn.off('error', lost);
    conn.off('end', lostAtEnd);
  };
  conn.on('error', lost);
  conn.on('end', lostAtEnd);
  const next = async () => {
    for (;;) {
      if (failure) throw failure;
      const next = ready.shift();
      if (next) {
        if (paused && ready.length < 2) {
          paused = false;
          conn.resume();
        }
        return next;
      }
      if (ended) return undefined;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { next, detach };
}

/** mysql2's own error for a connection the server closed (lost-connection.ts recognises its code). */
function connectionLost(): Error {
  return Object.assign(new Error('Connection lost: The server closed the connection.'), {
    code: 'PROTOCOL_CONNECTION_LOST',
  });
}
