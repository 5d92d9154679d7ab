// SIGHUP reloads connections.yaml for an open warehouse (issue 11): a job whose connection
// spec changed gets its warehouse closed and reopened with the new spec at its next tick. Two
// real SQLite warehouses: the watcher starts on `a`, the connection is pointed at `b`, and only
// `b` has the new event; its lead arrives, and the log says the connection was reopened.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import { liveWatchDir, naiveUtc } from '../support/live-watch.ts';
import { startCli } from '../support/long-running-cli.ts';

const job = (url: string) => `name: reload-conn
source: wh
timezone: UTC
realtime: { every: 1s, lateness: 1s }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id] }
destinations: [ { type: webhook, url: "${url}" } ]
`;

const warehouse = async (name: string) => {
  const db = await createTestDatabase('sqlite', name);
  await loadFixture(db, [
    { name: 'dim_user', columns: { user_id: 'integer' }, rows: [{ user_id: 1 }, { user_id: 2 }] },
    { name: 'events', columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' }, rows: [] },
  ]);
  return db;
};

describe('watch: SIGHUP with a changed connection', () => {
  let a: TestDatabase;
  let b: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  beforeAll(async () => {
    a = await warehouse('watch_reload_a');
    b = await warehouse('watch_reload_b');
    receiver = await startReceiver();
    dir = liveWatchDir('crm-leads-watch-reload-', a, { 'job.yaml': job(receiver.url) });
  });
  afterAll(async () => {
    await receiver.close();
    await a.drop();
    await b.drop();
  });

  it('reopens the warehouse with the new spec at the next tick', async () => {
    const child = startCli(['watch', 'job.yaml', '--log-format', 'json'], { cwd: dir });
    try {
      await child.waitFor((e) => e.event === 'watching', 60_000);
      await a.knex('events').insert({ user_id: 1, event_name: 'signup', event_time: naiveUtc(Date.now()) });
      await child.waitFor((e) => e.event === 'tick' && e.leads === 1, 30_000);
      writeFileSync(join(dir, 'connections.yaml'), `wh: ${b.yaml}\n`);
      child.child.kill('SIGHUP');
      await child.waitFor((e) => e.event === 'reloaded', 30_000);
      const reopened = await child.waitFor((e) => e.event === 'reconnect', 30_000);
      expect(reopened.msg).toBe('reload-conn: connection "wh" changed; reopening it');
      const from = child.events.length;
      await b.knex('events').insert({ user_id: 2, event_name: 'signup', event_time: naiveUtc(Date.now()) });
      await child.waitFor((e) => e.event === 'tick' && e.leads === 1, 30_000, from);
      const keys = receiver.acknowledged.flatMap((r) => leadsOf(r).map((l) => String(l.key)));
      expect(keys).toEqual(['1', '2']);
      // Reopened once, not on every tick.
      expect(child.events.filter((e) => e.event === 'reconnect')).toHaveLength(1);
    } finally {
      child.child.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    }
  }, 120_000);
});
