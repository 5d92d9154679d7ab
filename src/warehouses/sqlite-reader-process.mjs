// The SQLite reader: a process of its own that owns the run's better-sqlite3 connection and runs
// its queries for src/warehouses/sqlite.ts. better-sqlite3 is synchronous: a step that holds the
// first row back for minutes (a sort or an aggregate over a big table) would block the CLI's
// event loop, so a SIGTERM could not be handled until it returned. Here it blocks only this
// process, which the parent kills (SIGKILL) the moment a run must stop. A process, not a worker
// thread: SQLite cannot be interrupted through better-sqlite3, and Node joins a worker thread
// stuck in a native call before the process may exit, so a worker would hold the exit back
// until the step returned.
//
// Protocol (IPC with advanced serialization, so BigInt and Buffer cross intact), one reply per
// message unless said:
//   { op: 'open', id, path, readonly, fileMustExist, crc32 }   -> { id, opened: true }
//   { op: 'stream', id, sql, bindings, batchSize, window }     -> { id, rows } ... { id, rows, done: true }
//       at most `window` batches ahead of the parent; each { op: 'more', id } allows one more
//   { op: 'stop', id }                                         -> (none) the statement is released
//   { op: 'all', id, sql, bindings }                           -> { id, rows, done: true }
//   { op: 'version', id }                                      -> { id, version }
// Any request may instead get { id, error: { message, code, name } }. Rows are arrays in select
// order; integers within +-(2^53 - 1) are numbers, larger ones decimal text (every digit kept).
// Plain JavaScript, so that it starts without a TypeScript loader from src/ and dist/ alike.
import { crc32 } from 'node:zlib';

const driver = import('better-sqlite3').then((m) => m.default);
/** @type {import('better-sqlite3').Database | undefined} */
let db;
/** Streams being read, by request id: { rows: iterator, size, credit }. */
const streams = new Map();

process.on('message', (message) => {
  handle(message).catch((err) => reply(message.id, { error: describe(err) }));
});
// Without the parent there is no one to read for (its exit or kill -9 closes the channel).
process.on('disconnect', () => {
  for (const s of streams.values()) s.rows.return?.();
  db?.close();
  process.exit(0);
});
// A terminal's Ctrl-C (and a service manager's SIGTERM to the group) reach this process too: the
// parent decides how its run ends and stops this process itself.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});

async function handle(m) {
  switch (m.op) {
    case 'open': {
      const Database = await driver;
      db = new Database(m.path, { readonly: m.readonly, fileMustExist: m.fileMustExist });
      db.function(m.crc32, { deterministic: true }, (value) => crc32(String(value)));
      return reply(m.id, { opened: true });
    }
    case 'stream': {
      const rows = prepare(m.sql).iterate(...m.bindings);
      const stream = { rows, size: m.batchSize, credit: m.window };
      streams.set(m.id, stream);
      return pump(m.id, stream);
    }
    case 'more': {
      const stream = streams.get(m.id);
      if (!stream) return;
      stream.credit++;
      return pump(m.id, stream);
    }
    case 'stop': {
      streams.get(m.id)?.rows.return?.();
      streams.delete(m.id);
      return;
    }
    case 'all':
      return reply(m.id, { rows: [...widened(prepare(m.sql).iterate(...m.bindings))], done: true });
    case 'version':
      return reply(m.id, { version: `SQLite ${db.prepare('select sqlite_version()').pluck().get()}` });
  }
}

function prepare(sql) {
  return db.prepare(sql).raw(true).safeIntegers(true);
}

// Sends batches while the parent has room for them; the last one says done.
function pump(id, stream) {
  try {
    while (stream.credit > 0) {
      const batch = [];
      let done = false;
      while (!done && batch.length < stream.size) {
        const next = stream.rows.next();
        if (next.done) done = true;
        else batch.push(widen(next.value));
      }
      stream.credit--;
      if (done) streams.delete(id);
      reply(id, done ? { rows: batch, done } : { rows: batch });
      if (done) return;
    }
  } catch (err) {
    streams.delete(id);
    stream.rows.return?.();
    reply(id, { error: describe(err) });
  }
}

// Integers come as BigInt (safeIntegers) so that keys beyond 2^53 keep every digit.
function widen(row) {
  for (let i = 0; i < row.length; i++) {
    const v = row[i];
    if (typeof v === 'bigint')
      row[i] = v <= Number.MAX_SAFE_INTEGER && v >= Number.MIN_SAFE_INTEGER ? Number(v) : v.toString();
  }
  return row;
}

function* widened(rows) {
  for (const row of rows) yield widen(row);
}

function reply(id, body) {
  if (process.connected) process.send({ id, ...body });
}

function describe(err) {
  return { message: String(err?.message ?? err), code: err?.code, name: err?.name };
}
