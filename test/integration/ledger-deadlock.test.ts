// A server ledger rolls one of two deadlocked transactions back (InnoDB ER_LOCK_DEADLOCK,
// PostgreSQL 40P01); inTransaction runs it again, so concurrent runs' ledger writes both land.
// Two real transactions take the same two rows in opposite orders.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDeadlock } from '../../src/state/deadlock-retry.ts';
import { inTransaction, openStateStore, type StateStore } from '../../src/state/state-store.ts';
import { createTestDatabase, serverUrl, type TestDatabase } from '../support/databases.ts';

describe.each(['mysql', 'postgres'] as const)('ledger deadlocks on %s', (dialect) => {
  let db: TestDatabase;
  let store: StateStore;
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'ledger_deadlock');
    store = await openStateStore(serverUrl(dialect, 'ledger_deadlock'));
    await store.knex.schema.createTable('pair', (t) => {
      t.integer('id').primary();
      t.integer('v').notNullable();
    });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  /** Two transactions: each bumps its first row, waits until the other holds its own, then bumps the other. */
  async function crossedTransactions(run: (fn: (trx: StateStore) => Promise<void>) => Promise<void>) {
    await store.knex('pair').delete();
    await store.knex('pair').insert([
      { id: 1, v: 0 },
      { id: 2, v: 0 },
    ]);
    let attempts = 0;
    let holding = 0;
    const bothHold = () =>
      new Promise<void>((resolve) => {
        const check = () => (holding >= 2 ? resolve() : setTimeout(check, 5));
        check();
      });
    const side = (first: number, second: number) =>
      run(async (trx) => {
        attempts++;
        await trx.knex('pair').where({ id: first }).increment('v', 1);
        holding++;
        await bothHold();
        await trx.knex('pair').where({ id: second }).increment('v', 1);
      });
    const results = await Promise.allSettled([side(1, 2), side(2, 1)]);
    const rows = (await store.knex('pair').orderBy('id').select('v')) as { v: number }[];
    return { results, attempts, values: rows.map((r) => Number(r.v)) };
  }

  it('the crossed transactions deadlock when nothing retries them', async () => {
    const { results } = await crossedTransactions((fn) =>
      store.knex.transaction((trx) => fn({ ...store, knex: trx as unknown as StateStore['knex'] })),
    );
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect(isDeadlock((failed[0] as PromiseRejectedResult).reason)).toBe(true);
  }, 30_000);

  it('inTransaction runs the victim again: both transactions land', async () => {
    const { results, attempts, values } = await crossedTransactions((fn) => inTransaction(store, fn));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(attempts).toBeGreaterThanOrEqual(3);
    expect(values).toEqual([2, 2]);
  }, 30_000);
});
