// PostgreSQL reads a result as one statement with socket backpressure (src/warehouses/
// postgres-rows.ts), not through a cursor. What that must keep: leaving the loop early stops the
// statement on the server and leaves the session usable (its time zone included) for the next
// query; and a statement is still one statement (the extended protocol refuses two).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunError } from '../../src/errors.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';
import type { Row, Warehouse } from '../../src/warehouses/warehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

// A billion rows made one by one (a set-returning function in the select list streams; in FROM it
// would be materialized first): read to the end, it would take many minutes.
const ENDLESS = { sql: "SELECT generate_series(1, 1000000000), repeat('x', 200)", bindings: [] };

describe('PostgreSQL streaming without a cursor', () => {
  let db: TestDatabase;
  let warehouse: Warehouse;
  let watcher: Warehouse;
  beforeAll(async () => {
    db = await createTestDatabase('postgres', 'pg_stream');
    warehouse = await openWarehouse('wh', db.connection, { timezone: 'Asia/Shanghai', atMs: Date.now() });
    watcher = await openWarehouse('watcher', db.connection);
  });
  afterAll(async () => {
    await warehouse?.close();
    await watcher?.close();
    await db?.drop();
  });

  it('leaving the loop early cancels the statement on the server; the same session answers the next query', async () => {
    const [[pid]] = await warehouse.all({ sql: 'SELECT pg_backend_pid()', bindings: [] });
    let seen = 0;
    for await (const batch of warehouse.stream(ENDLESS, { batchSize: 500 })) {
      seen += batch.length;
      if (seen >= 1500) break;
    }
    expect(seen).toBe(1500);
    // The next query waits for the cancelled one to end, then runs in the same session: it comes
    // back in seconds only if the server stopped the billion rows.
    const started = Date.now();
    const rows = (
      await collect(warehouse, { sql: 'SELECT $1::int + 1, current_setting($2)', bindings: [41, 'TimeZone'] })
    ).flat();
    expect(rows).toEqual([[42, 'Asia/Shanghai']]);
    expect(Date.now() - started).toBeLessThan(20_000);
    const [[samePid]] = await warehouse.all({ sql: 'SELECT pg_backend_pid()', bindings: [] });
    expect(samePid).toBe(pid);
    // The cancelled statement left no trace on the backend: it is idle, not still sending.
    const state = await watcher.all({ sql: 'SELECT state FROM pg_stat_activity WHERE pid = $1', bindings: [pid] });
    expect(state).toEqual([['idle']]);
  });

  it('the cancel of a statement left early never reaches the next one, even when the server had already finished', async () => {
    // 5,000 short rows are all sent at once; the loop leaves after the first 1,000 and the next
    // statement (which sleeps, so a late cancel would find it running) must still succeed.
    for (let round = 0; round < 5; round++) {
      for await (const _ of warehouse.stream(
        { sql: 'SELECT g FROM generate_series(1, 5000) g', bindings: [] },
        { batchSize: 1000 },
      ))
        break;
      expect(await warehouse.all({ sql: 'SELECT 42 FROM pg_sleep(0.2)', bindings: [] })).toEqual([[42]]);
    }
  });

  it('reads every row of a result larger than memory would hold unread, in order', async () => {
    let count = 0;
    let last = 0;
    let ordered = true;
    for await (const batch of warehouse.stream(
      { sql: 'SELECT g FROM generate_series(1, $1::int) g ORDER BY g', bindings: [250_000] },
      { batchSize: 1000 },
    ))
      for (const [g] of batch) {
        if (g !== last + 1) ordered = false;
        last = g as number;
        count++;
      }
    expect({ count, last, ordered }).toEqual({ count: 250_000, last: 250_000, ordered: true });
  });

  it('runs one statement only: two in one text are refused, and the session goes on', async () => {
    const error = await collect(warehouse, { sql: 'SELECT 1; SELECT 2', bindings: [] }).catch((e) => e);
    expect(error).toBeInstanceOf(RunError);
    expect(error.message).toMatch(/^wh: cannot insert multiple commands into a prepared statement/);
    expect((await collect(warehouse, { sql: 'SELECT 3', bindings: [] })).flat()).toEqual([[3]]);
  });
});

async function collect(w: Warehouse, query: { sql: string; bindings: unknown[] }): Promise<Row[][]> {
  const batches: Row[][] = [];
  for await (const batch of w.stream(query)) batches.push(batch);
  return batches;
}
