// A watch tick whose acknowledgement is lost (issue 11: deliveries are idempotent per job,
// person and trigger event time): a real receiver gets the batch and never answers, the
// watcher is killed (kill -9) before the ledger records it; the restarted watcher ticks at
// other times (another `at`, another run_id), decides the same slice again and resends the
// same leads with the same Idempotency-Key, so the receiver can drop the copy. Then nothing more.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import { startCli, type LongRunningCli } from '../support/long-running-cli.ts';

const naive = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

const job = (url: string) => `name: signups-once
source: wh
timezone: UTC
realtime: { every: 1s, lateness: 1s, start: 1m }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id, trigger.event_time] }
destinations: [ { type: webhook, url: "${url}", timeout: 60s } ]
`;

describe('watch: a lost acknowledgement is resent with the same Idempotency-Key', () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  let child: LongRunningCli | undefined;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'watch_idempotency');
    // Three signups 20 s ago: all in the first tick's slice, both before and after the restart.
    const at = naive(Date.now() - 20_000);
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'integer' }, rows: [{ user_id: 1 }, { user_id: 2 }, { user_id: 3 }] },
      {
        name: 'events',
        columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' },
        rows: [1, 2, 3].map((user_id) => ({ user_id, event_name: 'signup', event_time: at })),
      },
    ]);
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'crm-leads-watch-idem-'));
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'job.yaml'), job(receiver.url));
  });
  afterAll(async () => {
    child?.child.kill('SIGKILL');
    await receiver.close();
    await db.drop();
  });

  const start = () =>
    startCli(['watch', 'job.yaml', '--connections', 'connections.yaml', '--log-format', 'json'], {
      cwd: dir,
      // The killed watcher's lock expires after 3 s (60 s by default): the restart waits for it.
      env: { CRM_LEADS_LOCK_TTL: '3' },
    });

  it('kill -9 after the receiver got the batch, before the ledger: the restart resends it with the same key', async () => {
    receiver.script = () => ({ hang: true }); // got it, never acknowledges
    child = start();
    const deadline = Date.now() + 60_000;
    while (receiver.requests.length === 0 && Date.now() < deadline) await sleep(100);
    expect(receiver.requests, child.stderr() + child.stdoutLines.join('\n')).toHaveLength(1);
    child.child.kill('SIGKILL');
    await child.exited();

    receiver.script = () => undefined; // 200 from now on
    child = start();
    await child.waitFor((e) => e.event === 'tick' && e.leads === 3, 60_000);
    await sleep(3000); // more ticks: nothing is sent again
    child.child.kill('SIGTERM');
    expect(await child.exited()).toBe(0);

    const [lost, resent, ...more] = receiver.requests;
    expect(more).toEqual([]);
    expect(resent.status).toBe(200);
    const body = (r: typeof lost) => leadsOf(r).map((l) => [l.key, l.event_time]);
    expect(body(resent)).toEqual(body(lost));
    expect(body(lost).map(([key]) => String(key))).toEqual(['1', '2', '3']);
    // Another tick (its own run_id and at) sent it, with the same key.
    expect(JSON.parse(resent.body).run_id).not.toBe(JSON.parse(lost.body).run_id);
    expect(resent.headers['idempotency-key']).toMatch(/^[0-9a-f]{48}$/);
    expect(resent.headers['idempotency-key']).toBe(lost.headers['idempotency-key']);
  }, 120_000);
});
