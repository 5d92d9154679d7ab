// `crm-leads watch` when the next tick is far away (issue 11): `every: 25d` (more than Node's
// 2^31-1 ms timer limit) and a replay of a period in the future. A tick is evaluated only when
// its time has come: nothing is delivered, no watermark in the future is stored, no
// TimeoutOverflowWarning, and SIGTERM still ends the wait at once (exit 0).
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';
import { startReceiver, type Receiver } from '../support/http-receiver.ts';
import { liveWatchDir, naiveUtc } from '../support/live-watch.ts';
import { startCli } from '../support/long-running-cli.ts';
import { openStateStore } from '../../src/state/state-store.ts';
import { readWatermark } from '../../src/state/watermarks.ts';

const job = (name: string, url: string, every: string) => `name: ${name}
source: wh
timezone: UTC
realtime: { every: ${every}, lateness: 1s, start: 1h }
audience: { table: dim_user }
trigger: { table: events, event: signup, within: 1h }
lead: { fields: [user_id] }
destinations: [ { type: webhook, url: "${url}" } ]
`;

describe('watch: ticks far in the future wait until due', () => {
  let db: TestDatabase;
  let dir: string;
  let receiver: Receiver;
  beforeAll(async () => {
    db = await createTestDatabase('sqlite', 'watch_long_wait');
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'integer' }, rows: [{ user_id: 1 }] },
      {
        name: 'events',
        columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' },
        // Matured 30 minutes ago: a tick that ran now would deliver it.
        rows: [{ user_id: 1, event_name: 'signup', event_time: naiveUtc(Date.now() - 30 * 60_000) }],
      },
    ]);
    receiver = await startReceiver();
    dir = liveWatchDir('crm-leads-watch-long-', db, {
      'monthly.yaml': job('monthly', receiver.url, '25d'),
      'future.yaml': job('future', receiver.url, '1s'),
    });
  });
  afterAll(async () => {
    await receiver.close();
    await db.drop();
  });

  const watchFor = async (args: string[], job: string) => {
    const child = startCli(['watch', ...args, '--connections', 'connections.yaml', '--log-format', 'json'], {
      cwd: dir,
    });
    const watching = await child.waitFor((e) => e.event === 'watching', 60_000);
    await sleep(4000);
    // Still waiting for the first tick, which is not due.
    expect(child.child.exitCode).toBeNull();
    expect(child.events.filter((e) => e.event === 'tick' || e.event === 'tick_failed')).toEqual([]);
    const stopAt = Date.now();
    child.child.kill('SIGTERM');
    expect(await child.exited()).toBe(0);
    expect(Date.now() - stopAt).toBeLessThan(5000);
    expect(child.stderr()).not.toMatch(/TimeoutOverflowWarning|does not fit into a 32-bit/);
    expect(receiver.requests).toEqual([]);
    const store = await openStateStore(join(dir, '.crm-leads', 'state.db'));
    try {
      const stored = await readWatermark(store, job);
      // Nothing decided: either no watermark yet, or one that is not in the future.
      if (stored) expect(stored.ms).toBeLessThanOrEqual(Date.now());
    } finally {
      await store.close();
    }
    return watching;
  };

  it('every: 25d waits for its first tick instead of running ticks back to back', async () => {
    const watching = await watchFor(['monthly.yaml'], 'monthly');
    expect(watching.first_tick_ms as number).toBeGreaterThan(Date.now() + 24 * 86_400_000);
  }, 120_000);

  it('--from/--until in the future waits until the ticks are due', async () => {
    const watching = await watchFor(
      ['future.yaml', '--from', '2030-01-01T00:00:00Z', '--until', '2030-01-01T00:00:05Z'],
      'future',
    );
    expect(watching.first_tick_ms).toBe(Date.parse('2030-01-01T00:00:01Z'));
  }, 120_000);
});
