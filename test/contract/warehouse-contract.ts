// The warehouse contract: one suite every warehouse runs (the habit of Kysely's per-dialect
// tables): the same tables on each engine, the same queries through the real Warehouse handle,
// and what each engine must give back written by hand per engine below (EXPECTED).
//
// HOW A WAREHOUSE JOINS (a new engine, or Oracle where a server can run):
//   1. Write a WarehouseSubject (test/contract/warehouse-subjects.ts has SQLite, MariaDB,
//      PostgreSQL and Hive through the HiveServer2 test server): `start()` gives a TestDatabase
//      the contract creates its tables in, and `connection()` the connections.yaml entry that
//      reads them through the engine.
//   2. Add its row to EXPECTED (how the engine returns BIGINT, DECIMAL and DATETIME values).
//   3. Add ONE line to test/contract/warehouses.test.ts:  warehouseContract(oracleSubject());
// The suite checks: streaming in batches (order kept, no batch over batchSize), backpressure
// (a consumer that pauses holds the driver: memory stays flat over a 200 MB result), cancel
// mid-stream (break, and an AbortSignal), nothing retained once yielded (heap after GC), close twice, a missing table's one-line message,
// BIGINT and DECIMAL exactness, and naive DATETIMEs unchanged whatever the process time zone.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

setFlagsFromString('--expose-gc'); // for the retention check: a forced GC before each heap reading
import type { ConnectionSpec } from '../../src/config/connection-schema.ts';
import { CancelledError, RunError } from '../../src/errors.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';
import type { Row, Warehouse } from '../../src/warehouses/warehouse.ts';
import type { TestDatabase } from '../support/databases.ts';

export interface WarehouseSubject {
  /** Shown in the suite's title and the key of its EXPECTED row. */
  name: keyof typeof EXPECTED;
  /** A fresh database to create the contract's tables in (its dialect picks the column types). */
  start(): Promise<TestDatabase>;
  /** The connection that reads that database through the engine under test. */
  connection(): ConnectionSpec;
  stop(): Promise<void>;
}

/** The values table's rows as typed in the database: id, BIGINT, DECIMAL(20,4), naive DATETIME. */
const VALUES = [
  { id: 1, big: '9007199254740993', amount: '12345678901234.5678', at_local: '2026-03-29 02:30:00' },
  { id: 2, big: '-9223372036854775807', amount: '-0.0001', at_local: '2026-11-23 09:00:00' },
  { id: 3, big: '9223372036854775807', amount: '0.1000', at_local: '2026-10-25 01:30:00' },
  { id: 4, big: '42', amount: '100.0000', at_local: '2026-01-01 00:00:00' },
];

/**
 * How each engine gives those rows back (String() of each value), by hand. Big integers and
 * decimals come as text, never rounded through a double; DATETIMEs as the text stored.
 * SQLite has no exact DECIMAL: NUMERIC affinity stores 12345678901234.5678 as a double
 * (sqlite.org/datatype3.html), so its row says what SQLite keeps, not what was typed.
 */
export const EXPECTED = {
  sqlite: {
    big: ['9007199254740993', '-9223372036854775807', '9223372036854775807', '42'],
    amount: ['12345678901234.568', '-0.0001', '0.1', '100'],
    at_local: VALUES.map((v) => v.at_local),
  },
  mysql: {
    big: VALUES.map((v) => v.big),
    amount: VALUES.map((v) => v.amount),
    at_local: VALUES.map((v) => v.at_local),
  },
  postgres: {
    big: VALUES.map((v) => v.big),
    amount: VALUES.map((v) => v.amount),
    at_local: VALUES.map((v) => v.at_local),
  },
  hive: {
    big: VALUES.map((v) => v.big),
    amount: VALUES.map((v) => v.amount),
    at_local: VALUES.map((v) => v.at_local),
  },
};

const ROWS = 2_500;
const WIDE_ROWS = 150; // cross joined: 22,500 rows of 10,000 characters, about 225 MB of text
const PAYLOAD = 10_000;

async function createTables(db: TestDatabase): Promise<void> {
  const k = db.knex;
  const datetime =
    db.dialect === 'postgres' ? 'timestamp(0) without time zone' : db.dialect === 'mysql' ? 'datetime' : 'text';
  for (const t of ['contract_rows', 'contract_wide', 'contract_values']) await k.schema.dropTableIfExists(t);
  await k.schema.createTable('contract_rows', (t) => {
    t.integer('id').primary();
    t.string('name', 40);
  });
  await k.schema.createTable('contract_wide', (t) => {
    t.integer('id').primary();
    t.text('payload');
  });
  await k.schema.createTable('contract_values', (t) => {
    t.integer('id').primary();
    t.bigInteger('big');
    t.decimal('amount', 20, 4);
    t.specificType('at_local', datetime);
  });
  const rows = Array.from({ length: ROWS }, (_, i) => ({ id: i + 1, name: `名字 ${i + 1}` }));
  for (let i = 0; i < rows.length; i += 500) await k('contract_rows').insert(rows.slice(i, i + 500));
  const wide = Array.from({ length: WIDE_ROWS }, (_, i) => ({ id: i + 1, payload: 'x'.repeat(PAYLOAD) }));
  for (let i = 0; i < wide.length; i += 10) await k('contract_wide').insert(wide.slice(i, i + 10));
  await k('contract_values').insert(VALUES);
}

const sql = (text: string) => ({ sql: text, bindings: [] });
const WIDE = sql('SELECT a.id, b.id, a.payload FROM contract_wide a CROSS JOIN contract_wide b');

async function collect(w: Warehouse, query: { sql: string; bindings: unknown[] }, batchSize = 1000): Promise<Row[][]> {
  const batches: Row[][] = [];
  for await (const batch of w.stream(query, { batchSize })) batches.push(batch);
  return batches;
}

/** The warehouse contract for one subject. */
export function warehouseContract(subject: WarehouseSubject): void {
  describe(`warehouse contract: ${subject.name}`, () => {
    const open: Warehouse[] = [];
    const openOne = async () => {
      const w = await openWarehouse('wh', subject.connection());
      open.push(w);
      return w;
    };
    beforeAll(async () => createTables(await subject.start()));
    afterAll(async () => {
      for (const w of open) await w.close().catch(() => {});
      await subject.stop();
    });

    it('streams every row in order, in batches of at most batchSize', async () => {
      const w = await openOne();
      const batches = await collect(w, sql('SELECT id, name FROM contract_rows ORDER BY id'), 1000);
      for (const batch of batches) expect(batch.length).toBeGreaterThan(0);
      for (const batch of batches) expect(batch.length).toBeLessThanOrEqual(1000);
      const rows = batches.flat();
      expect(rows).toHaveLength(ROWS);
      expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1));
      expect(rows[6]).toEqual([expect.anything(), '名字 7']);
    });

    it('applies backpressure: a consumer that pauses holds the driver, memory stays flat', async () => {
      const w = await openOne();
      const rows = w.stream(WIDE, { batchSize: 100 })[Symbol.asyncIterator]();
      const first = await rows.next();
      expect(first.value).toHaveLength(100);
      const before = process.memoryUsage().rss;
      // Unread: without backpressure the rows keep arriving (measured on MariaDB with its pause
      // removed: +80 MB after 2 s, +180 MB after 4 s on a busy host; with it: +5 MB, flat).
      await new Promise((r) => setTimeout(r, 3000));
      const grown = (process.memoryUsage().rss - before) / 1048576;
      expect(grown).toBeLessThan(40);
      let more = 0;
      for (let next = await rows.next(); !next.done && more < 5; next = await rows.next()) more++;
      expect(more).toBe(5); // still streaming after the pause
      await rows.return?.();
    });

    it('retains nothing it has yielded: heap stays flat over a 60 MB result read to the end', async () => {
      // Found in PostgreSQL: each Promise.race against one long-lived "connection lost" promise
      // left a reaction holding that read's batch, so the heap grew with the result (191 MB
      // for 600k rows). Measured after a forced GC, so only what is still referenced counts.
      const gc = runInNewContext('gc') as () => void;
      const w = await openOne();
      const heap = () => {
        gc();
        return process.memoryUsage().heapUsed / 1048576;
      };
      const before = heap();
      let rows = 0;
      let peak = 0;
      for await (const batch of w.stream(sql(`${WIDE.sql} WHERE a.id <= 40`), { batchSize: 200 })) {
        rows += batch.length;
        if (rows % 1000 === 0) peak = Math.max(peak, heap() - before);
      }
      expect(rows).toBe(40 * WIDE_ROWS);
      expect(peak).toBeLessThan(25);
    });

    it('cancels mid-stream: leaving the loop or aborting ends at once, and the connection still closes', async () => {
      const w = await openOne();
      let started = Date.now();
      let seen = 0;
      for await (const batch of w.stream(WIDE, { batchSize: 100 })) {
        seen += batch.length;
        if (seen >= 300) break;
      }
      expect(Date.now() - started).toBeLessThan(15_000);
      const abort = new AbortController();
      const other = await openOne();
      started = Date.now();
      const error = await (async () => {
        for await (const _ of other.stream(WIDE, { batchSize: 100, signal: abort.signal })) abort.abort();
      })().catch((e) => e);
      expect(error).toBeInstanceOf(CancelledError);
      expect(error.message).toMatch(/^wh: query cancelled/);
      expect(Date.now() - started).toBeLessThan(15_000);
      await w.close();
      await other.close();
    });

    it('closes twice without an error', async () => {
      const w = await openOne();
      expect((await collect(w, sql('SELECT id FROM contract_rows WHERE id = 1'))).flat()).toHaveLength(1);
      await w.close();
      await expect(w.close()).resolves.toBeUndefined();
    });

    it("says in one line that a table is missing, naming it; the handle's connection name first", async () => {
      const w = await openOne();
      const error = await collect(w, sql('SELECT id FROM contract_missing')).catch((e) => e);
      expect(error).toBeInstanceOf(RunError);
      expect(error.message).toMatch(/^wh: .*contract_missing/);
      expect(error.message).not.toMatch(/\n/);
    });

    it('keeps BIGINT and DECIMAL exact (text, never a rounded double)', async () => {
      const w = await openOne();
      const rows = (await collect(w, sql('SELECT big, amount FROM contract_values ORDER BY id'))).flat();
      expect(rows.map((r) => String(r[0]))).toEqual(EXPECTED[subject.name].big);
      expect(rows.map((r) => String(r[1]))).toEqual(EXPECTED[subject.name].amount);
      for (const r of rows) if (typeof r[0] === 'number') expect(Number.isSafeInteger(r[0])).toBe(true);
    });

    it('gives naive DATETIMEs back as stored, whatever the process time zone (DST gaps included)', async () => {
      const zone = process.env.TZ;
      try {
        for (const tz of ['UTC', 'Asia/Shanghai', 'Europe/Berlin', 'America/New_York']) {
          process.env.TZ = tz;
          const w = await openOne();
          const rows = (await collect(w, sql('SELECT at_local FROM contract_values ORDER BY id'))).flat();
          expect(
            rows.map((r) => String(r[0])),
            tz,
          ).toEqual(EXPECTED[subject.name].at_local);
          await w.close();
        }
      } finally {
        if (zone === undefined) delete process.env.TZ;
        else process.env.TZ = zone;
      }
    });
  });
}
