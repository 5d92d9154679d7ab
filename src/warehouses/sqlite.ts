// The embedded SQLite warehouse (better-sqlite3). Its queries run in a reader process of their
// own (sqlite-reader-process.mjs): better-sqlite3 is synchronous, and a long step here would
// block the event loop, so a SIGTERM could not end the run until the step returned. The reader
// iterates a true cursor (knex's .stream() would load every row first, so the SQL from knex runs
// on the driver directly) and sends the rows in batches, at most STREAM_WINDOW ahead of the
// consumer; an abort kills the reader, wherever the query is, and the next query starts another.
import { existsSync } from 'node:fs';
import { RunError } from '../errors.ts';
import { SQLITE_CRC32_FUNCTION } from '../sql/shard.ts';
import type { SqlQuery } from '../sql/render-query.ts';
import type { ConnectionSpec } from '../config/connection-schema.ts';
import { abortedError } from './cancel-on-abort.ts';
import {
  type ReaderError,
  type ReaderReply,
  type ReaderRequest,
  type SqliteReader,
  startSqliteReader,
} from './sqlite-reader.ts';
import {
  databaseError,
  DEFAULT_BATCH_SIZE,
  missingDriverError,
  type Row,
  type StreamOptions,
  type Warehouse,
} from './warehouse.ts';

type SqliteSpec = Extract<ConnectionSpec, { type: 'sqlite' }>;

/** Batches the reader may send ahead of the one being consumed (its backpressure). */
const STREAM_WINDOW = 2;

/**
 * Opens the SQLite file of a connection, read-only, in a reader process.
 * @throws RunError when the file does not exist, cannot be opened as a database, or
 * better-sqlite3 is not installed.
 */
export async function openSqlite(name: string, spec: SqliteSpec): Promise<Warehouse> {
  if (spec.path !== ':memory:' && !existsSync(spec.path))
    throw new RunError(`${name}: SQLite file ${spec.path} does not exist`);
  const open: ReaderRequest = {
    op: 'open',
    path: spec.path,
    readonly: true,
    fileMustExist: spec.path !== ':memory:',
    crc32: SQLITE_CRC32_FUNCTION,
  };
  const start = async () => {
    const started = startSqliteReader();
    try {
      await ask(started, open);
    } catch (err) {
      started.kill('not needed');
      throw openError(name, err);
    }
    return started;
  };
  let reader = await start();
  // A reader killed by an abort is replaced on the next query.
  const ready = async () => {
    if (!reader.alive) reader = await start();
    return reader;
  };
  return {
    dialect: 'sqlite',
    stream: (query, opts) => streamRows(name, ready, query, opts ?? {}),
    async all(query, options) {
      const signal = options?.signal;
      const running = await ready();
      const onAbort = () => running.kill('query cancelled');
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        signal?.throwIfAborted();
        return (await ask(running, { op: 'all', ...sqliteQuery(query) })).rows ?? [];
      } catch (err) {
        throw abortedError(name, signal) ?? databaseError(name, err);
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    },
    async version() {
      return (await ask(await ready(), { op: 'version' })).version!;
    },
    close: () => reader.close(),
    destroy: () => reader.kill('the connection was dropped'),
  };
}

async function* streamRows(
  name: string,
  ready: () => Promise<SqliteReader>,
  query: SqlQuery,
  opts: StreamOptions,
): AsyncGenerator<Row[]> {
  const { signal } = opts;
  const reader = await ready();
  const replies: ReaderReply[] = [];
  let wake: (() => void) | undefined;
  const id = reader.request(
    { op: 'stream', ...sqliteQuery(query), batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE, window: STREAM_WINDOW },
    (reply) => {
      replies.push(reply);
      wake?.();
    },
  );
  // The query stops now, in whatever step it is: killing the reader is SQLite's only cancel here.
  const onAbort = () => reader.kill('query cancelled');
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let finished = false;
  try {
    for (;;) {
      while (replies.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const reply = replies.shift()!;
      if (reply.error) throw readerError(reply.error);
      if (reply.done) finished = true;
      else reader.more(id);
      signal?.throwIfAborted();
      if (reply.rows?.length) yield reply.rows;
      if (finished) return;
    }
  } catch (err) {
    throw abortedError(name, signal) ?? databaseError(name, err);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!finished) reader.stop(id);
  }
}

// One request with one final reply.
function ask(reader: SqliteReader, message: ReaderRequest): Promise<ReaderReply> {
  return new Promise((resolve, reject) => {
    reader.request(message, (reply) => (reply.error ? reject(readerError(reply.error)) : resolve(reply)));
  });
}

// better-sqlite3 cannot bind booleans; SQLite stores them as 1 and 0 anyway.
function sqliteQuery(query: SqlQuery): { sql: string; bindings: unknown[] } {
  return { sql: query.sql, bindings: query.bindings.map((b) => (typeof b === 'boolean' ? (b ? 1 : 0) : b)) };
}

// The reader's error as an Error with better-sqlite3's message and code, for databaseError.
function readerError(e: ReaderError): Error {
  return Object.assign(new Error(e.message), { code: e.code, name: e.name ?? 'Error' });
}

function openError(name: string, err: unknown): RunError {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return missingDriverError('better-sqlite3', name);
  return databaseError(name, err);
}
