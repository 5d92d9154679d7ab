// Counted behaviour (audience.behaviour, issue 13) at its edges: one orders table and one
// events table, six jobs, and the leads each must give, computed by hand (the reasoning is
// beside each person). The same rows on SQLite, MariaDB, PostgreSQL and Hive (test server).
//
// AT = 2026-11-23 09:00:00 (naive, Asia/Shanghai): the 30d window is
// [2026-10-24 09:00:00, 2026-11-23 09:00:00), the 7d window [2026-11-16 09:00:00, AT).
import { DateTime } from 'luxon';
import type { FixtureTable } from './databases.ts';

export const BEHAVIOUR_AT = '2026-11-23T09:00:00';

type Order = { user_id: number; paid_at: string; category: string; amount: number | null };

const order = (user_id: number, paid_at: string, category = 'hotel', amount: number | null = 2500): Order => ({
  user_id,
  paid_at,
  category,
  amount,
});
/** n hotel orders over 2,000, one every 18 hours from 2026-10-25 00:00 (the 30th on 11-15 18:00: all in the window). */
const hotelOrders = (user_id: number, n: number): Order[] =>
  Array.from({ length: n }, (_, i) =>
    order(
      user_id,
      DateTime.fromISO('2026-10-25T00:00:00', { zone: 'UTC' })
        .plus({ hours: 18 * i })
        .toFormat('yyyy-MM-dd HH:mm:ss'),
    ),
  );

const orders: Order[] = [
  // 401: 30 hotel orders over 2,000 in the window. hotel-30: LEAD.
  ...hotelOrders(401, 30),
  // 402: 29, plus one of exactly 2,000 (amount gt 2000 fails): 29. hotel-30: not a lead.
  ...hotelOrders(402, 29),
  order(402, '2026-11-20 10:00:00', 'hotel', 2000),
  // 403: 29, plus one exactly at at - 30d (the window is closed on the left): 30. hotel-30: LEAD.
  ...hotelOrders(403, 29),
  order(403, '2026-10-24 09:00:00'),
  // 404: 29, plus one a second before at - 30d: 29. hotel-30: not a lead.
  ...hotelOrders(404, 29),
  order(404, '2026-10-24 08:59:59'),
  // 405: 29, plus one exactly at `at` (open on the right): 29. hotel-30: not a lead.
  ...hotelOrders(405, 29),
  order(405, '2026-11-23 09:00:00'),
  // 406: 29 hotel, plus one flight over 2,000 (category fails): 29. hotel-30: not a lead.
  ...hotelOrders(406, 29),
  order(406, '2026-11-20 10:00:00', 'flight', 9000),
  // 407: no orders at all. no-hotel (count eq 0): LEAD.
  // 408: one hotel order, a second before the window. no-hotel: LEAD (count 0 in the window).
  order(408, '2026-10-24 08:59:59'),
  // 409: gifts 3,000 + NULL + 2,000. gift-sum-5000: sum 5,000 (NULL ignored): LEAD.
  // gift-avg-2000-3000: avg over the two non-NULL amounts = 2,500: LEAD (over three it would be 1,666.67).
  order(409, '2026-11-01 10:00:00', 'gift', 3000),
  order(409, '2026-11-02 10:00:00', 'gift', null),
  order(409, '2026-11-03 10:00:00', 'gift', 2000),
  // 410: one gift with a NULL amount: count 1, sum/avg NULL, which fails every comparison,
  // even lt: gift-small (count >= 1 and sum < 100): not a lead.
  order(410, '2026-11-01 10:00:00', 'gift', null),
  // 411: one gift of 4,999.99: gift-sum-5000 not a lead; avg not in [2000, 3000].
  order(411, '2026-11-01 10:00:00', 'gift', 4999.99),
  // 412: one gift of 50: gift-small: LEAD.
  order(412, '2026-11-01 10:00:00', 'gift', 50),
];

type Event = { user_id: number; event_name: string; event_time: string; duration_s: number | null };
const event = (user_id: number, event_time: string, duration_s: number | null, event_name = 'view_item'): Event => ({
  user_id,
  event_name,
  event_time,
  duration_s,
});

const events: Event[] = [
  // 413: 300 s + 300 s of view_item in 7d: sum 600. long-viewers (sum gte 600): LEAD.
  event(413, '2026-11-20 10:00:00', 300),
  event(413, '2026-11-22 10:00:00', 300),
  // 414: 300 + 299: 599. Not a lead.
  event(414, '2026-11-20 10:00:00', 300),
  event(414, '2026-11-22 10:00:00', 299),
  // 415: 300 of view_item + 300 of view_list (the event name fails). Not a lead.
  event(415, '2026-11-20 10:00:00', 300),
  event(415, '2026-11-22 10:00:00', 300, 'view_list'),
  // 416: 300 at at - 7d exactly (in) + 300 a second before it (out) + 300 inside: 600. LEAD.
  event(416, '2026-11-16 09:00:00', 300),
  event(416, '2026-11-16 08:59:59', 300),
  event(416, '2026-11-22 10:00:00', 300),
];

const people = Array.from({ length: 16 }, (_, i) => 401 + i);

export const BEHAVIOUR_TABLES: FixtureTable[] = [
  {
    name: 'dim_user',
    columns: { user_id: 'bigInteger', phone: 'string' },
    rows: people.map((id) => ({ user_id: id, phone: `139000${id}` })),
  },
  {
    name: 'orders',
    columns: { user_id: 'bigInteger', paid_at: 'datetime', category: 'string', amount: 'decimal' },
    rows: orders,
    indexes: [['user_id', 'paid_at']],
  },
  {
    name: 'events',
    columns: { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime', duration_s: 'integer' },
    rows: events,
    indexes: [['user_id', 'event_name', 'event_time']],
  },
];

const job = (name: string, behaviour: string) =>
  `name: ${name}\nsource: wh\ntimezone: Asia/Shanghai\naudience:\n  table: dim_user\n  behaviour:\n${behaviour}\nlead: { fields: [user_id] }\n`;

/** Job files by file name. */
export const BEHAVIOUR_JOBS: Record<string, string> = {
  'hotel-30.yaml': job(
    'hotel-30',
    '    - { table: orders, time: paid_at, within: 30d, where: { category: hotel, amount: { gt: 2000 } }, count: { gte: 30 } }',
  ),
  'no-hotel.yaml': job(
    'no-hotel',
    '    - { table: orders, time: paid_at, within: 30d, where: { category: hotel }, count: { eq: 0 } }',
  ),
  'gift-sum-5000.yaml': job(
    'gift-sum-5000',
    '    - { table: orders, time: paid_at, within: 30d, where: { category: gift }, sum: { column: amount, gte: 5000 } }',
  ),
  'gift-small.yaml': job(
    'gift-small',
    '    - { table: orders, time: paid_at, within: 30d, where: { category: gift }, count: { gte: 1 }, sum: { column: amount, lt: 100 } }',
  ),
  'gift-avg.yaml': job(
    'gift-avg',
    '    - { table: orders, time: paid_at, within: 30d, where: { category: gift }, avg: { column: amount, between: [2000, 3000] } }',
  ),
  'long-viewers.yaml': job(
    'long-viewers',
    '    - { table: events, event: view_item, within: 7d, sum: { column: duration_s, gte: 600 } }',
  ),
};

/** Expected user_ids per job, sorted as text. */
export const BEHAVIOUR_LEADS: Record<string, string[]> = {
  'hotel-30': ['401', '403'],
  'no-hotel': ['407', '408', '409', '410', '411', '412', '413', '414', '415', '416'],
  'gift-sum-5000': ['409'],
  'gift-small': ['412'],
  'gift-avg': ['409'],
  'long-viewers': ['413', '416'],
};
