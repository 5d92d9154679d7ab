// Aborting a run (Ctrl-C, SIGTERM, the scheduler's grace over) stops a long query on the
// server at once, not at the next batch: a sort or join can hold the first row for minutes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';
import type { Warehouse } from '../../src/warehouses/warehouse.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';

const SLEEP = { mysql: 'SELECT SLEEP(20), 1', postgres: 'SELECT pg_sleep(20), 1' } as const;

describe.each(['mysql', 'postgres'] as const)('cancelling a running query on %s', (dialect) => {
  let db: TestDatabase;
  let warehouse: Warehouse;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'cancel_query');
    warehouse = await openWarehouse('wh', db.connection);
  });
  afterAll(async () => {
    await warehouse?.close();
    await db?.drop();
  });

  it('ends the stream with a CancelledError soon after the abort', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const started = Date.now();
    let error: unknown;
    try {
      for await (const batch of warehouse.stream({ sql: SLEEP[dialect], bindings: [] }, { signal: abort.signal }))
        expect(batch).toBeUndefined();
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as Error).message).toBe('wh: query cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
