// A MariaDB warehouse connection runs one query per watch tick for as long as watch runs: each
// query's listeners on the connection must go when the query ends. Before, every query added
// an 'error' and an 'end' listener for good (a leak, and MaxListenersExceededWarning on stderr
// after ~10 ticks). Checked in a real `watch` child replaying 60 one-second ticks, and in
// process with the warning threshold at 2 (the connection's own listener plus one query's).
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import type { TestDatabase } from '../support/databases.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { liveWatchDatabase, liveWatchDir, naiveUtc } from '../support/live-watch.ts';
import { openWarehouse } from '../../src/warehouses/open-warehouse.ts';

const job = (url: string) => `name: many-ticks
source: wh
timezone: UTC
realtime: { every: 1s, lateness: 0s }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id] }
destinations: [ { type: webhook, url: "${url}" } ]
`;

describe('MariaDB: no listener left behind per query', () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  beforeAll(async () => {
    db = await liveWatchDatabase('mysql', 'mysql_listeners', 3);
    receiver = await startReceiver();
    dir = liveWatchDir('crm-leads-listeners-', db, { 'job.yaml': job(receiver.url) });
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  it('a watch replay of 60 ticks on one connection prints no MaxListenersExceededWarning', async () => {
    const until = Math.floor(Date.now() / 1000) * 1000 - 5000;
    const from = until - 60_000;
    await db.knex('events').insert({ user_id: 1, event_name: 'signup', event_time: naiveUtc(from + 30_500) });
    const r = await runCli(
      ['watch', 'job.yaml', '--from', new Date(from).toISOString(), '--until', new Date(until).toISOString()],
      { cwd: dir, timeoutMs: 120_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/many-ticks: tick .*: 1 lead from 1 person matured/);
    expect(r.stderr).not.toMatch(/MaxListenersExceededWarning|memory leak/);
    expect(receiver.acknowledged).toHaveLength(1);
  }, 150_000);

  it('30 queries on one warehouse keep at most one listener per query on the connection', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    const previous = EventEmitter.defaultMaxListeners;
    process.on('warning', onWarning);
    EventEmitter.defaultMaxListeners = 2;
    const wh = await openWarehouse('wh', db.connection);
    try {
      for (let i = 0; i < 30; i++) {
        const batches = [];
        for await (const rows of wh.stream({ sql: 'select user_id from dim_user order by user_id', bindings: [] }))
          batches.push(...rows);
        expect(batches.map((row) => Number(row[0]))).toEqual([1, 2, 3]);
      }
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      await wh.close();
      EventEmitter.defaultMaxListeners = previous;
      process.off('warning', onWarning);
    }
  });
});
