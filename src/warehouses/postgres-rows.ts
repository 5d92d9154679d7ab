// A PostgreSQL result read as one statement (no cursor): the server sends rows as fast as it
// makes them while this process parses and writes the previous ones. A cursor (pg-query-stream,
// FETCH 1000) cost a round trip per batch during which one side waited: 900 round trips made a
// 900k-row export about 3x `psql COPY` (bench/README-figures.md, issue 15).
// Backpressure: the socket is paused (no more bytes read, so TCP holds the server) once two
// batches wait, and resumed as the consumer takes them: memory stays at a few batches.
import type * as Pg from 'pg';
import type { Row } from './warehouse.ts';

export interface PostgresRows {
  /** The next batch of at most `size` rows; undefined at the end. Throws the query's error. */
  next(): Promise<Row[] | undefined>;
  /**
   * Stops reading before the end: rows still arriving are dropped and `cancel` asks the server
   * to stop the statement, so the session stays usable. Resolves once the cancel was delivered
   * (never rejects): the session's next statement must wait for that, or a cancel still on its
   * way when this statement had already ended would stop the next one. Not the statement's end:
   * the client queues the next statement behind it by itself, and waiting for it would hang on
   * a server gone silent.
   */
  stop(cancel: () => Promise<void>): Promise<void>;
}

type Socket = { pause(): void; resume(): void };

/**
 * Runs `sql` on `client` (the extended protocol, so one statement only, values bound) with rows
 * as arrays parsed by the client's type parsers, and hands them out in batches of `size`.
 */
export function postgresRows(
  client: Pg.Client,
  Query: typeof Pg.Query,
  sql: string,
  values: readonly unknown[],
  size: number,
): PostgresRows {
  const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
  const ready: Row[][] = [];
  let batch: Row[] = [];
  let ended = false;
  let failure: unknown;
  let paused = false;
  let dropping = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const resume = () => {
    if (!paused) return;
    paused = false;
    socket.resume();
  };
  // rowMode and queryMode are options of pg's Query that @types/pg's QueryConfig does not list.
  const query = new Query({
    text: sql,
    values: [...values],
    rowMode: 'array',
    queryMode: 'extended',
  } as Pg.QueryConfig);
  // A 'row' listener before the row description: the Query then keeps no rows of its own.
  query.on('row', (row: Row) => {
    if (dropping) return;
    batch.push(row);
    if (batch.length < size) return;
    ready.push(batch);
    batch = [];
    if (ready.length >= 2 && !paused) {
      paused = true;
      socket.pause();
    }
    notify();
  });
  // A lost connection fails the active query too (pg errors every query on 'end' / 'error').
  query.on('error', (err: Error) => {
    failure = err;
    resume();
    notify();
  });
  query.on('end', () => {
    if (batch.length > 0) ready.push(batch);
    batch = [];
    ended = true;
    resume();
    notify();
  });
  client.query(query);
  return {
    async next() {
      for (;;) {
        if (failure) throw failure;
        if (dropping) return undefined;
        const next = ready.shift();
        if (next) {
          if (ready.length < 2) resume();
          return next;
        }
        if (ended) return undefined;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async stop(cancel) {
      if (ended || failure || dropping) return;
      dropping = true;
      ready.length = 0;
      batch = [];
      resume();
      await cancel().catch(() => {});
    },
  };
}
