// followed_by through the window-function pass (src/sql/trigger-window.ts), on the edges that
// the washer-chain fixture does not reach: a step with A's own event name (the same event is a
// candidate for two roles) and events at the same instant in two roles, which must never count
// as "after" each other. Real SQLite, MariaDB and PostgreSQL through the CLI; leads by hand.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

const AT = '2026-11-23T09:00:00';
const DAY = '2026-11-23';
const event = (user_id: number, event_name: string, time: string) => ({
  user_id,
  event_name,
  event_time: `${DAY} ${time}`,
});

// Job: view_item, followed by another view_item within 1h, then add_cart within 1h.
const EVENTS = [
  // 1: view 06:00 -> view 06:30 -> cart 07:00. The 06:30 view is no A (no view after it). LEAD 06:00.
  event(1, 'view_item', '06:00:00'),
  event(1, 'view_item', '06:30:00'),
  event(1, 'add_cart', '07:00:00'),
  // 2: two views at the same instant, then a cart: neither view is after the other. Not a lead.
  event(2, 'view_item', '06:00:00'),
  event(2, 'view_item', '06:00:00'),
  event(2, 'add_cart', '06:30:00'),
  // 3: the cart is at the same instant as the second view: not after it. Not a lead.
  event(3, 'view_item', '06:00:00'),
  event(3, 'view_item', '06:20:00'),
  event(3, 'add_cart', '06:20:00'),
  // 4: as 3, plus a cart 5 minutes later, which completes the chain. LEAD 06:00.
  event(4, 'view_item', '06:00:00'),
  event(4, 'view_item', '06:20:00'),
  event(4, 'add_cart', '06:20:00'),
  event(4, 'add_cart', '06:25:00'),
  // 5: views 06:00, 06:50, 07:40, cart 08:30. 06:00 -> 06:50 has no cart within 1h of 06:50;
  // 06:50 -> 07:40 -> 08:30 completes; 07:40 has no later view. LEAD 06:50 (the 06:50 view is
  // A in one chain and step 1 in another).
  event(5, 'view_item', '06:00:00'),
  event(5, 'view_item', '06:50:00'),
  event(5, 'view_item', '07:40:00'),
  event(5, 'add_cart', '08:30:00'),
];

const JOB = `name: revisit
source: wh
timezone: UTC
audience: { table: dim_user }
trigger:
  table: events
  event: view_item
  within: 24h
  followed_by:
    - { event: view_item, within: 1h }
    - { event: add_cart, within: 1h }
lead: { fields: [user_id, trigger.event_time] }
`;

describe.each(DIALECTS)('followed_by window pass on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-trigger-window-'));

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'trigger_window');
    await loadFixture(db, [
      { name: 'dim_user', columns: { user_id: 'bigInteger' }, rows: [1, 2, 3, 4, 5].map((user_id) => ({ user_id })) },
      {
        name: 'events',
        columns: { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime' },
        rows: EVENTS,
      },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'revisit.yaml'), JOB);
  }, 120_000);
  afterAll(async () => db?.drop());

  it('a step named like A and events at the same instant: only strictly later events chain', async () => {
    const result = await runCli(['run', 'revisit.yaml', '--at', AT, '--csv', '-'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const rows = result.stdout
      .split(/\r?\n/)
      .filter((line) => /^\d/.test(line))
      .sort();
    expect(rows).toEqual([`1,${DAY} 06:00:00`, `4,${DAY} 06:00:00`, `5,${DAY} 06:50:00`]);
  });
});
