// `crm-leads run --dry-run`: how many people remain after each rule, on a small fixture whose
// answer is worked out by hand below; and nothing is written (no CSV, no ledger).
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import { createTestDatabase, DIALECTS, loadFixture, type TestDatabase } from '../support/databases.ts';

// Eleven people; each fails exactly one rule, in funnel order, except 1, 9 and 10:
//  2 age 50 (where) · 3 tier low (segments) · 4 no vip tag (tags all) · 5 complainer (tags none)
//  6 viewed 2 days before at (trigger, 24h) · 7 paid 5 days before at (converted, 30d)
//  8 no phone, 11 empty phone (require) · 9 paid 40 days before at: still a lead
// Leads by income: 9 (300), 10 (200), 1 (100); limit 1 keeps 9. The unreachable 8 and 11 have
// the lowest incomes, so a dry run that stopped reading at the limit would miss them.
const users = [
  [1, 25, 100, '13800000001'],
  [2, 50, 900, '13800000002'],
  [3, 30, 900, '13800000003'],
  [4, 30, 900, '13800000004'],
  [5, 30, 900, '13800000005'],
  [6, 30, 900, '13800000006'],
  [7, 30, 900, '13800000007'],
  [8, 30, 10, null],
  [9, 35, 300, '13800000009'],
  [10, 40, 200, '13800000010'],
  [11, 22, 5, ''],
] as const;
const all = users.map(([id]) => id);

const EXPECTED = [
  { rule: 'audience', remaining: 11 },
  { rule: 'where', remaining: 10 },
  { rule: 'segments', remaining: 9 },
  { rule: 'tags', remaining: 7 },
  { rule: 'trigger', remaining: 6 },
  { rule: 'converted', remaining: 5 },
  { rule: 'require', remaining: 3 },
  { rule: 'limit', remaining: 1 },
];

const JOB = `name: funnel
source: wh
timezone: UTC
audience:
  table: dim_user
  where: { age: { between: [20, 40] } }
  segments: { table: user_segment, value_tier: [high] }
  tags: { table: user_tag, all: [vip], none: [complainer] }
trigger: { table: events, event: view, within: 24h }
exclude:
  converted: { table: orders, time: paid_at, within: 30d }
lead:
  fields: [user_id, phone, income]
  require: [phone]
  order_by: { income: desc }
  limit: 1
destinations: [ { type: csv, path: out/leads.csv, bom: false } ]
`;

describe.each(DIALECTS)('dry-run funnel on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-funnel-'));
  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'funnel');
    await loadFixture(db, [
      {
        name: 'dim_user',
        columns: { user_id: 'integer', age: 'integer', income: 'integer', phone: 'string' },
        rows: users.map(([user_id, age, income, phone]) => ({ user_id, age, income, phone })),
      },
      {
        name: 'user_segment',
        columns: { user_id: 'integer', dimension: 'string', segment: 'string' },
        rows: all.map((id) => ({ user_id: id, dimension: 'value_tier', segment: id === 3 ? 'low' : 'high' })),
      },
      {
        name: 'user_tag',
        columns: { user_id: 'integer', tag: 'string' },
        rows: [
          ...all.filter((id) => id !== 4).map((id) => ({ user_id: id, tag: 'vip' })),
          { user_id: 5, tag: 'complainer' },
        ],
      },
      {
        name: 'events',
        columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime' },
        rows: all.map((id) => ({
          user_id: id,
          event_name: 'view',
          event_time: id === 6 ? '2026-11-21 08:00:00' : '2026-11-23 08:00:00',
        })),
      },
      {
        name: 'orders',
        columns: { user_id: 'integer', paid_at: 'datetime' },
        rows: [
          { user_id: 7, paid_at: '2026-11-18 00:00:00' },
          { user_id: 9, paid_at: '2026-10-14 00:00:00' },
        ],
      },
    ]);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(join(dir, 'job.yaml'), JOB);
  });
  afterAll(async () => db?.drop());

  it('counts the people left after each rule, as worked out by hand, and writes nothing', async () => {
    const before = readdirSync(dir).sort();
    const r = await runCli(['run', 'job.yaml', '--dry-run', '--at', '2026-11-23T12:00:00'], { cwd: dir });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.summary).toMatchObject({ job: 'funnel', status: 'dry_run', funnel: EXPECTED, outputs: [] });
    // On stderr each rule is a bar, its count and its share of the audience.
    const audience = EXPECTED[0].remaining;
    for (const step of EXPECTED) {
      const share = `${((step.remaining / audience) * 100).toFixed(1)}%`;
      expect(r.stderr).toMatch(
        new RegExp(`^\\s+${step.rule}\\s+[█▏▎▍▌▋▊▉]*\\s+${step.remaining.toLocaleString('en-US')}\\s+${share}$`, 'm'),
      );
    }
    // No CSV, no ledger, no temporary file: the folder is as it was.
    expect(readdirSync(dir).sort()).toEqual(before);
  });

  it("the real run delivers exactly the funnel's last count", async () => {
    const r = await runCli(
      ['run', 'job.yaml', '--at', '2026-11-23T12:00:00', '--csv', '-', '--state', join(dir, 'state.db')],
      { cwd: dir },
    );
    expect(r.code).toBe(0);
    expect(r.stdout.slice(0, r.stdout.lastIndexOf('\r\n') + 2)).toBe('user_id,phone,income\r\n9,13800000009,300\r\n');
  });
});
