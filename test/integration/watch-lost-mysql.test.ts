// `crm-leads watch` on MariaDB behind a real TCP proxy process (issue 10 "never stuck", issue 11):
// - the proxy dies between two ticks (the server side of the idle connection closes) and comes
//   back 4 s later: the next tick fails within seconds with one log line instead of waiting for
//   read_timeout, the watcher reconnects once the proxy is back, and a new lead arrives;
// - the link goes dead (the proxy stops forwarding) while a tick's query waits: the first
//   SIGTERM ends watch after --grace, the tick logged as interrupted, its watermark not stored.
import { createServer } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL, type TestDatabase } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import { liveWatchDatabase, liveWatchDir, naiveUtc } from '../support/live-watch.ts';
import { startCli, type LongRunningCli } from '../support/long-running-cli.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy/index.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { readWatermark } from '../../src/state/watermarks.ts';

const job = (url: string) => `name: lost-link
source: wh
timezone: UTC
realtime: { every: 1s, lateness: 1s }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id] }
destinations: [ { type: webhook, url: "${url}" } ]
`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('watch on MariaDB through a proxy that dies or stalls', () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  let port: number;
  let proxy: TcpProxy | undefined;
  let child: LongRunningCli | undefined;
  const proxied = () => startTcpProxy(MYSQL.host, MYSQL.port, 'none', 0, port);
  const signup = (user: number) =>
    db.knex('events').insert({ user_id: user, event_name: 'signup', event_time: naiveUtc(Date.now()) });
  const deliveredKeys = () => receiver.acknowledged.flatMap((r) => leadsOf(r).map((l) => String(l.key)));

  beforeAll(async () => {
    db = await liveWatchDatabase('mysql', 'watch_lost_link', 10);
    receiver = await startReceiver();
    dir = liveWatchDir('crm-leads-watch-lost-', db, { 'job.yaml': job(receiver.url) });
    port = await freePort();
    const database = (db.connection as { database: string }).database;
    writeFileSync(
      join(dir, 'connections.yaml'),
      `wh: { type: mariadb, host: "${MYSQL.host}", port: ${port}, user: "${MYSQL.user}", password: "${MYSQL.password}", database: ${database} }\n`,
    );
    proxy = await proxied();
    child = startCli(['watch', 'job.yaml', '--grace', '2s', '--log-format', 'json'], { cwd: dir });
    await child.waitFor((e) => e.event === 'watching', 60_000);
  }, 120_000);
  afterAll(async () => {
    child?.child.kill('SIGKILL');
    await proxy?.close();
    await receiver.close();
    await db.drop();
  });

  it('a connection closed between ticks fails the next tick within seconds, then reconnects', async () => {
    const w = child!;
    await signup(1);
    await w.waitFor((e) => e.event === 'tick' && e.leads === 1, 30_000);
    await sleep(1500); // idle between ticks
    const killedAt = Date.now();
    await proxy!.close();
    const failed = await w.waitFor((e) => e.event === 'tick_failed', 4000);
    expect(Date.parse(failed.time) - killedAt).toBeLessThan(4000);
    expect(failed.msg).toMatch(
      /^lost-link: tick at .* failed \(.*(lost the connection|Connection lost|ECONNREFUSED).*\); the watermark stays at .*; retrying in \d+s$/,
    );
    expect(failed.msg).not.toContain('\n');
    expect(failed.msg).not.toMatch(/read_timeout/);
    await sleep(4000 - (Date.now() - killedAt));
    proxy = await proxied(); // back on the same port
    const from = w.events.length;
    await signup(2);
    await w.waitFor((e) => e.event === 'tick' && e.leads === 1, 30_000, from);
    expect(deliveredKeys().sort()).toEqual(['1', '2']);
    expect(w.child.exitCode).toBeNull();
  }, 90_000);

  it('the first SIGTERM ends watch after --grace while a tick waits on a dead link', async () => {
    const w = child!;
    const from = w.events.length;
    await signup(3);
    await w.waitFor((e) => e.event === 'tick' && e.leads === 1, 30_000, from);
    await sleep(1500);
    proxy!.stall();
    await sleep(2500); // the next tick's query is sent and waits for an answer that never comes
    const termAt = Date.now();
    w.child.kill('SIGTERM');
    const code = await w.exited(60_000);
    const took = Date.now() - termAt;
    expect(code).toBe(0);
    // --grace 2s, then the query is cancelled and its connection dropped within seconds.
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThan(12_000);
    const interrupted = w.events.find((e) => e.event === 'tick_interrupted');
    expect(interrupted?.msg).toMatch(/^lost-link: tick at .* interrupted \(.*\); the watermark stays at /);
    const store = await openStateStore(join(dir, '.crm-leads', 'state.db'));
    try {
      const stored = await readWatermark(store, 'lost-link');
      // Not moved by the interrupted tick: at most the previous tick's (tick − every − lateness).
      expect(stored!.ms).toBeLessThanOrEqual((interrupted!.tick_ms as number) - 2000);
    } finally {
      await store.close();
    }
  }, 90_000);
});
