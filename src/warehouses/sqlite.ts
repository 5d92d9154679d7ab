// The embedded SQLite warehouse (better-sqlite3). Its iterate() is a true cursor: knex's
// .stream() would load every row first, so the SQL from knex runs on the driver directly.
import { existsSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type BetterSqlite3 from 'better-sqlite3';
import { RunError } from '../errors.ts';
import { SQLITE_CRC32_FUNCTION } from '../sql/shard.ts';
import type { SqlQuery } from '../sql/render-query.ts';
import type { ConnectionSpec } from '../config/connection-schema.ts';
import { batchRows } from './batch-rows.ts';
import { abortedError } from './cancel-on-abort.ts';
import {
  databaseError,
  DEFAULT_BATCH_SIZE,
  loadDriver,
  type Row,
  type StreamOptions,
  type Warehouse,
} from './warehouse.ts';

type SqliteSpec = Extract<ConnectionSpec, { type: 'sqlite' }>;

export async function openSqlite(
  name: string,
  spec: SqliteSpec,
  options: { readonly?: boolean } = {},
): Promise<Warehouse> {
  if (spec.path !== ':memory:' && !existsSync(spec.path))
    throw new RunError(`${name}: SQLite file ${spec.path} does not exist`);
  const { default: Database } = await loadDriver<{ default: typeof BetterSqlite3 }>('better-sqlite3', name);
  let db: BetterSqlite3.Database;
  try {
    db = new Database(spec.path, { readonly: options.readonly ?? true, fileMustExist: spec.path !== ':memory:' });
  } catch (err) {
    throw databaseError(name, err);
  }
  db.function(SQLITE_CRC32_FUNCTION, { deterministic: true }, (value: unknown) => crc32(String(value)));
  const prepare = (query: SqlQuery) => {
    try {
      return db.prepare(query.sql).raw(true).safeIntegers(true);
    } catch (err) {
      throw databaseError(name, err);
    }
  };
  // Statements being read: a stream abandoned mid-read (an abort that does not wait for the
  // read in progress) still holds its statement, and SQLite refuses to close while one does.
  const reading = new Set<IterableIterator<Row>>();
  return {
    dialect: 'sqlite',
    async *stream(query: SqlQuery, opts: StreamOptions = {}) {
      const rows = prepare(query).iterate(...sqliteBindings(query.bindings)) as IterableIterator<Row>;
      reading.add(rows);
      try {
        for await (const batch of batchRows(widenIntegers(rows), opts.batchSize ?? DEFAULT_BATCH_SIZE, opts.signal))
          yield batch;
      } catch (err) {
        throw abortedError(name, opts.signal) ?? databaseError(name, err);
      } finally {
        rows.return?.();
        reading.delete(rows);
      }
    },
    async all(query) {
      return [...widenIntegers(prepare(query).iterate(...sqliteBindings(query.bindings)) as IterableIterator<Row>)];
    },
    async version() {
      return `SQLite ${db.prepare('select sqlite_version()').pluck().get() as string}`;
    },
    async close() {
      for (const rows of reading) rows.return?.();
      reading.clear();
      db.close();
    },
  };
}

// better-sqlite3 cannot bind booleans; SQLite stores them as 1 and 0 anyway.
function sqliteBindings(bindings: unknown[]): unknown[] {
  return bindings.map((b) => (typeof b === 'boolean' ? (b ? 1 : 0) : b));
}

// Integers come as BigInt so that keys beyond 2^53 keep every digit; the rest become numbers.
function* widenIntegers(rows: Iterable<Row>): Generator<Row> {
  for (const row of rows) {
    for (let i = 0; i < row.length; i++) {
      const v = row[i];
      if (typeof v === 'bigint')
        row[i] = v <= Number.MAX_SAFE_INTEGER && v >= Number.MIN_SAFE_INTEGER ? Number(v) : v.toString();
    }
    yield row;
  }
}
