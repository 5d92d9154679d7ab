// Issue 9.2: among a person's trigger events at the same timestamp, every engine picks the
// same A. Without trigger.id: the greatest text of the selected columns in code-point order
// (so case and trailing spaces decide, even under MariaDB's default utf8mb4_general_ci);
// with trigger.id: the greatest id (whole numbers in numeric order, then code points).
// Expected leads written by hand beside each person.
import { describe, expect, it } from 'vitest';
import { DIALECTS, type FixtureTable } from '../support/databases.ts';
import { fixtureDatabase, jobRows, jobText } from '../support/job-leads.ts';

const T = '2026-11-23 08:00:00';
const view = (event_id: number, user_id: number, channel: string) => ({
  event_id,
  user_id,
  event_name: 'view_item',
  event_time: T,
  channel,
});

const TABLES: FixtureTable[] = [
  { name: 'dim_user', columns: { user_id: 'integer' }, rows: [1, 2, 3, 4].map((user_id) => ({ user_id })) },
  {
    name: 'events',
    columns: {
      event_id: 'integer',
      user_id: 'integer',
      event_name: 'string',
      event_time: 'datetime',
      channel: 'string',
    },
    rows: [
      // 1: 'app' (0x61) > 'App' (0x41) by code point; id 5 > 3.
      view(3, 1, 'app'),
      view(5, 1, 'App'),
      // 2: 'b' > 'B '; id 10 > 9 as a number (as text '9' > '10').
      view(9, 2, 'b'),
      view(10, 2, 'B '),
      // 3: 'x ' > 'x' (a trailing space counts); id 21 > 20.
      view(20, 3, 'x '),
      view(21, 3, 'x'),
      // 4: one event at another time wins over both: newest first.
      view(30, 4, 'z'),
      { ...view(31, 4, 'zz'), event_time: '2026-11-23 08:00:01' },
    ],
  },
];

const job = (id: string) =>
  jobText(
    `audience: { table: dim_user }\ntrigger: { table: events, event: view_item, within: 24h${id} }\nlead: { fields: [user_id, trigger.channel] }`,
  );

describe.each(DIALECTS)('trigger ties at one timestamp on %s', (dialect) => {
  const db = fixtureDatabase(dialect, 'trigger_ties', TABLES, { mysqlCollation: 'utf8mb4_general_ci' });

  const sorted = (rows: unknown[][]) =>
    rows.map((r) => [Number(r[0]), r[2]]).sort((a, b) => Number(a[0]) - Number(b[0]));

  it('without trigger.id: the greatest selected text by code point', async () => {
    expect(sorted(await jobRows(db(), job('')))).toEqual([
      [1, 'app'],
      [2, 'b'],
      [3, 'x '],
      [4, 'zz'],
    ]);
  });

  it('with trigger.id: the greatest id, whole numbers in numeric order', async () => {
    expect(sorted(await jobRows(db(), job(', id: event_id')))).toEqual([
      [1, 'App'],
      [2, 'B '],
      [3, 'x'],
      [4, 'zz'],
    ]);
  });
});
