// Delays beyond Node's 2^31-1 ms timer limit (~24.8 days): a plain setTimeout fires them after
// 1 ms. Durations up to 3660d pass validate, so a read_timeout or a webhook timeout of 30d must
// not time out at once, and a long sleep must still end on its abort signal.
import { setTimeout as wait } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, setLongTimeout, sleep } from '../../src/long-timers.ts';
import { guardWarehouse } from '../../src/warehouses/lost-connection.ts';
import type { Warehouse } from '../../src/warehouses/warehouse.ts';

const DAY_MS = 86_400_000;

describe('long timers', () => {
  it('a timeout of 30 days does not fire within the first 300 ms', async () => {
    let fired = false;
    const timer = setLongTimeout(() => (fired = true), 30 * DAY_MS);
    await wait(300);
    timer.clear();
    expect(fired).toBe(false);
  });

  it('a timeout within the limit fires on time', async () => {
    let firedAt = 0;
    const start = Date.now();
    setLongTimeout(() => (firedAt = Date.now()), 50);
    await wait(400);
    expect(firedAt - start).toBeGreaterThanOrEqual(45);
  });

  it('a sleep of 100 days ends on its abort signal, not before', async () => {
    const stop = new AbortController();
    let ended = false;
    const sleeping = sleep(100 * DAY_MS, stop.signal).then(
      () => (ended = true),
      (err: Error) => err.name,
    );
    await wait(300);
    expect(ended).toBe(false);
    stop.abort();
    expect(await sleeping).toBe('AbortError');
    expect(MAX_TIMER_MS).toBe(2_147_483_647);
  });

  it('read_timeout 30d does not fail a read that is still waiting after 300 ms', async () => {
    let destroyed = false;
    const silent: Warehouse = {
      dialect: 'sqlite',
      async *stream() {
        await new Promise(() => {}); // the server never answers
      },
      all: () => new Promise(() => {}),
      version: async () => 'silent',
      close: async () => {},
      destroy: () => (destroyed = true),
    };
    const guarded = guardWarehouse('wh', silent, 30 * DAY_MS);
    let outcome = 'pending';
    guarded.all({ sql: 'select 1', bindings: [] }).then(
      () => (outcome = 'resolved'),
      (err: Error) => (outcome = err.message),
    );
    await wait(300);
    expect(outcome).toBe('pending');
    expect(destroyed).toBe(false);
  });
});
