// `crm-leads watch` when the receiver is down (issue 11): a batch that still fails with a 503
// after its retries fails the tick — one log line, the watermark stays — and the retried tick
// delivers the same leads, with the same Idempotency-Key; a 4xx is an answer, not an outage:
// those leads are recorded as failed (as in `run`) and the watermark moves on, no retry.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { leadsOf, startReceiver, type Receiver } from '../support/http-receiver.ts';
import { startCli } from '../support/long-running-cli.ts';

const naive = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

const job = (name: string, url: string) => `name: ${name}
source: wh
timezone: UTC
realtime: { every: 1s, lateness: 1s, start: 1m }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id] }
destinations: [ { type: webhook, url: "${url}", max_retries: 0 } ]
`;

describe('watch: receiver down, receiver refusing', () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'watch_receiver_down');
    const at = naive(Date.now() - 20_000); // in the first tick's slice
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'integer' }, rows: [{ user_id: 1 }, { user_id: 2 }] },
      {
        name: 'events',
        columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' },
        rows: [1, 2].map((user_id) => ({ user_id, event_name: 'signup', event_time: at })),
      },
    ]);
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'crm-leads-watch-down-'));
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'down.yaml'), job('down', `${receiver.url}/down`));
    writeFileSync(join(dir, 'refused.yaml'), job('refused', `${receiver.url}/refused`));
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  const watch = (file: string) =>
    startCli(['watch', file, '--connections', 'connections.yaml', '--log-format', 'json'], { cwd: dir });

  it('a 503 fails the tick and keeps the watermark; the retry delivers the same leads, same key', async () => {
    receiver.reset();
    receiver.queue({ status: 503 });
    const child = watch('down.yaml');
    try {
      const failed = await child.waitFor((e) => e.event === 'tick_failed', 60_000);
      expect(failed.msg).toMatch(
        /^down: tick at .* failed \(webhook .*: a batch failed after 0 retries each .*503.*\); the watermark stays at .*; retrying in \d+s$/,
      );
      await child.waitFor((e) => e.event === 'tick' && e.leads === 2, 60_000);
      await sleep(2000); // later ticks send nothing more
      const [refused, delivered, ...more] = receiver.requests;
      expect(more).toEqual([]);
      expect(refused.status).toBe(503);
      expect(delivered.status).toBe(200);
      expect(leadsOf(delivered).map((l) => String(l.key))).toEqual(['1', '2']);
      expect(delivered.headers['idempotency-key']).toBe(refused.headers['idempotency-key']);
    } finally {
      child.child.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    }
  }, 120_000);

  it('a 400 is recorded as failed and the watermark moves on: not sent again', async () => {
    receiver.reset();
    receiver.script = (r) => (r.path.endsWith('/refused') ? { status: 400, body: 'no such campaign' } : undefined);
    const child = watch('refused.yaml');
    try {
      const tick = await child.waitFor((e) => e.event === 'tick' && e.not_delivered === 2, 60_000);
      expect(tick.leads).toBe(2);
      await sleep(3000); // later ticks: the slice is decided, nothing is sent again
      expect(receiver.requests).toHaveLength(1);
      expect(child.events.some((e) => e.event === 'tick_failed')).toBe(false);
    } finally {
      receiver.script = () => undefined;
      child.child.kill('SIGTERM');
      expect(await child.exited()).toBe(0);
    }
  }, 120_000);
});
