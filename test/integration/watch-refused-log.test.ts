// Leads a webhook refuses with a 4xx are an answer, not an outage: the tick moves on and does
// not retry them. Its human log line must say so, as `run` does ("0 delivered, 3 NOT
// delivered"), instead of only "3 leads from 3 people matured". Real watch child (text log),
// real HTTP receiver answering 400, replaying a past minute.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { liveWatchDir, naiveUtc } from '../support/live-watch.ts';

const job = (url: string) => `name: refused
source: wh
timezone: UTC
realtime: { every: 5s, lateness: 0s }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id] }
destinations: [ { type: webhook, url: "${url}" } ]
`;

describe('watch: a tick whose leads a webhook refuses', () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  const until = Math.floor(Date.now() / 1000) * 1000 - 5000;
  const from = until - 30_000;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'watch_refused');
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'integer' }, rows: [1, 2, 3].map((user_id) => ({ user_id })) },
      {
        name: 'events',
        columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' },
        rows: [1, 2, 3].map((user_id) => ({ user_id, event_name: 'signup', event_time: naiveUtc(from + 12_000) })),
      },
    ]);
    receiver = await startReceiver(() => ({ status: 400, body: 'bad lead' }));
    dir = liveWatchDir('crm-leads-watch-refused-', db, { 'job.yaml': job(receiver.url) });
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  it('says how many were not delivered in the tick line', async () => {
    const r = await runCli(
      ['watch', 'job.yaml', '--from', new Date(from).toISOString(), '--until', new Date(until).toISOString()],
      { cwd: dir, timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(receiver.requests.length).toBeGreaterThan(0);
    const line = r.stderr.split('\n').find((l) => l.includes('refused: tick '));
    expect(line).toMatch(
      /refused: tick \S+: 3 leads from 3 people matured in \[.*\): 0 delivered, 3 NOT delivered \(see crm-leads runs show \S+\)$/,
    );
    // Only that tick: the others read nothing and print nothing.
    expect(r.stderr.split('\n').filter((l) => l.includes('refused: tick '))).toHaveLength(1);
  }, 90_000);
});
