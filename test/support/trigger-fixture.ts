// One events fixture with every boundary of the trigger semantics (issue 3), three jobs over
// it, and the leads each job must give, computed by hand (the reasoning is beside each person).
// The same rows are loaded on SQLite, MariaDB and PostgreSQL; the answers must be identical.
//
// The run time is AT = 2026-11-23 09:00:00 (naive, Asia/Shanghai), so the 24h trigger window
// is [2026-11-22 09:00:00, 2026-11-23 09:00:00).
import type { FixtureTable } from './databases.ts';

export const AT = '2026-11-23T09:00:00';

const DAY1 = '2026-11-22';
const DAY2 = '2026-11-23';

type EventRow = {
  user_id: number;
  event_name: string;
  event_time: string;
  item_id: number | null;
  duration_s: number | null;
  channel: string | null;
  amount: number | null;
};

const view = (user_id: number, event_time: string, item_id: number, duration_s = 120, channel = 'app'): EventRow => ({
  user_id,
  event_name: 'view_item',
  event_time,
  item_id,
  duration_s,
  channel,
  amount: null,
});
const other = (user_id: number, event_name: string, event_time: string, amount: number | null = null): EventRow => ({
  user_id,
  event_name,
  event_time,
  item_id: 1,
  duration_s: null,
  channel: 'app',
  amount,
});
const pay = (user_id: number, event_time: string, amount = 8999) => other(user_id, 'pay_order', event_time, amount);
const cart = (user_id: number, event_time: string) => other(user_id, 'add_cart', event_time);
const checkout = (user_id: number, event_time: string, amount = 100) => other(user_id, 'checkout', event_time, amount);

// Items: 1 and 4 are fridges over 5000 (the fridge jobs' item.where); 2 is a cheap fridge,
// 3 an expensive TV, 5 a washer (the followed_by job views washers, so its people never
// match the fridge jobs, and the fridge people have no add_cart, so they never match it).
const items = [
  { item_id: 1, item_name: '西门子冰箱 KA92', brand: '西门子', category: 'fridge', price: 8999 },
  { item_id: 2, item_name: '小冰箱', brand: '海尔', category: 'fridge', price: 2999 },
  { item_id: 3, item_name: '电视', brand: '松下', category: 'tv', price: 6000 },
  { item_id: 4, item_name: '西门子冰箱 KA98', brand: '西门子', category: 'fridge', price: 12000 },
  { item_id: 5, item_name: '洗衣机', brand: '美的', category: 'washer', price: 3999 },
];

// --- Job "fridge-window": view_item in the last 24h, duration_s >= 60, channel app/douyin,
// item a fridge over 5000. No sequence. Fields: user_id, trigger.event_time, trigger.item_id.
const windowEvents: EventRow[] = [
  // 101: A exactly at at - within (09:00:00 the day before): the window is closed on the left. LEAD at DAY1 09:00:00.
  view(101, `${DAY1} 09:00:00`, 1),
  // 102: A one second earlier: outside the window. Not a lead.
  view(102, `${DAY1} 08:59:59`, 1),
  // 103: A exactly at `at` (the window is open on the right) and one after `at`: both ignored. Not a lead.
  view(103, `${DAY2} 09:00:00`, 1),
  view(103, `${DAY2} 09:30:00`, 1),
  // 104: two qualifying As (item 1 at 10:00 the day before, item 4 at 08:00); a later view of
  // the cheap fridge (item 2) does not qualify. LEAD with the latest QUALIFYING A: DAY2 08:00:00, item 4.
  view(104, `${DAY1} 10:00:00`, 1),
  view(104, `${DAY2} 08:00:00`, 4),
  view(104, `${DAY2} 08:30:00`, 2),
  // 105: browsed 59 seconds only (where duration_s >= 60 fails). Not a lead.
  view(105, `${DAY2} 08:00:00`, 1, 59),
  // 106: channel web (where channel in [app, douyin] fails). Not a lead.
  view(106, `${DAY2} 08:00:00`, 1, 120, 'web'),
  // 107: a TV over 5000 (item.where category fridge fails). Not a lead.
  view(107, `${DAY2} 08:00:00`, 3),
  // 108: exactly 60 seconds on douyin (gte and IN hold). LEAD at DAY2 07:00:00, item 1.
  view(108, `${DAY2} 07:00:00`, 1, 60, 'douyin'),
  // 999: qualifies, but is not in dim_user (the audience). Not a lead.
  view(999, `${DAY2} 08:00:00`, 1),
];

// --- Job "fridge-not-paid": the same A, not_followed_by pay_order within 30m where amount > 0.
// A must be at or before at - 30m = DAY2 08:30:00 (the wait is over), and no paying B in (tA, tA + 30m].
// From the people above: 101 (A DAY1 09:00, no pay) LEAD; 104: the latest qualifying A 08:00
// is at or before 08:30 and unpaid: LEAD with DAY2 08:00:00, item 4; 108 LEAD (07:00, no pay);
// 102, 103, 105, 106, 107, 999 still fail as above.
const notPaidEvents: EventRow[] = [
  // 201: pay exactly 30m after A: (tA, tA + W] is closed on the right, so it blocks. Not a lead.
  view(201, `${DAY2} 07:00:00`, 1),
  pay(201, `${DAY2} 07:30:00`),
  // 202: pay 30m + 1s after A: too late to block. LEAD at DAY2 07:00:00.
  view(202, `${DAY2} 07:00:00`, 1),
  pay(202, `${DAY2} 07:30:01`),
  // 203: pay at the same instant as A: (tA, ...] is open on the left, it does not count. LEAD at DAY2 07:00:00.
  view(203, `${DAY2} 07:00:00`, 1),
  pay(203, `${DAY2} 07:00:00`),
  // 204: A at 08:40: 08:40 + 30m = 09:10 > at, the wait is not over (they may still pay). Not a lead.
  view(204, `${DAY2} 08:40:00`, 1),
  // 205: A at 08:30:00: 08:30 + 30m = at, the wait is just over. LEAD at DAY2 08:30:00.
  view(205, `${DAY2} 08:30:00`, 1),
  // 206: A at 08:30:00 and a pay exactly at `at` = tA + W: it is not after `at` and lies in
  // (tA, tA + W], so it blocks (A's verdict is final once tA + W <= at). Not a lead.
  view(206, `${DAY2} 08:30:00`, 1),
  pay(206, `${DAY2} 09:00:00`),
  // 207: a blocked A (06:00, paid 06:10) and a later unblocked A (07:00; the 06:10 pay is
  // before it). LEAD at DAY2 07:00:00, item 4.
  view(207, `${DAY2} 06:00:00`, 1),
  pay(207, `${DAY2} 06:10:00`),
  view(207, `${DAY2} 07:00:00`, 4),
  // 208: an unblocked A (05:00, item 4) and a later blocked A (07:00, paid 07:10): the latest
  // QUALIFYING A is the 05:00 one. LEAD at DAY2 05:00:00, item 4.
  view(208, `${DAY2} 05:00:00`, 4),
  view(208, `${DAY2} 07:00:00`, 1),
  pay(208, `${DAY2} 07:10:00`),
  // 209: the only B has amount 0 (B's where amount > 0 fails): it does not block. LEAD at DAY2 07:00:00.
  view(209, `${DAY2} 07:00:00`, 1),
  pay(209, `${DAY2} 07:10:00`, 0),
  // 210: a pay by another person (211) 5 minutes after 210's A does not block 210. LEAD at DAY2 07:00:00.
  view(210, `${DAY2} 07:00:00`, 1),
  pay(211, `${DAY2} 07:05:00`),
];

// --- Job "washer-chain": view_item (any item, no where) in the last 24h, followed_by
// add_cart within 1h, then checkout within 1h where amount > 0. Fields as above.
const chainEvents: EventRow[] = [
  // 301: view 06:00, cart 06:30, checkout 07:00. LEAD at DAY2 06:00:00, item 5.
  view(301, `${DAY2} 06:00:00`, 5),
  cart(301, `${DAY2} 06:30:00`),
  checkout(301, `${DAY2} 07:00:00`),
  // 302: steps out of order: checkout 06:10 before cart 06:20, and no checkout after the cart. Not a lead.
  view(302, `${DAY2} 06:00:00`, 5),
  checkout(302, `${DAY2} 06:10:00`),
  cart(302, `${DAY2} 06:20:00`),
  // 303: not greedy: cart 06:10 has no checkout within 1h (07:30 > 07:10), but the later cart
  // 06:50 does (07:30 <= 07:50). LEAD at DAY2 06:00:00.
  view(303, `${DAY2} 06:00:00`, 5),
  cart(303, `${DAY2} 06:10:00`),
  cart(303, `${DAY2} 06:50:00`),
  checkout(303, `${DAY2} 07:30:00`),
  // 304: cart 1h + 1s after the view: too late. Not a lead.
  view(304, `${DAY2} 06:00:00`, 5),
  cart(304, `${DAY2} 07:00:01`),
  checkout(304, `${DAY2} 07:10:00`),
  // 305: each step exactly its `within` after the previous one (closed on the right). LEAD at DAY2 06:00:00.
  view(305, `${DAY2} 06:00:00`, 5),
  cart(305, `${DAY2} 07:00:00`),
  checkout(305, `${DAY2} 08:00:00`),
  // 306: checkout exactly at `at`, and one after it: the chain must finish before `at`. Not a lead.
  view(306, `${DAY2} 08:00:00`, 5),
  cart(306, `${DAY2} 08:30:00`),
  checkout(306, `${DAY2} 09:00:00`),
  checkout(306, `${DAY2} 09:10:00`),
  // 307: the only checkout has amount 0 (step where fails). Not a lead.
  view(307, `${DAY2} 06:00:00`, 5),
  cart(307, `${DAY2} 06:10:00`),
  checkout(307, `${DAY2} 06:20:00`, 0),
  // 308: cart at the same instant as the view: steps are strictly after. Not a lead.
  view(308, `${DAY2} 06:00:00`, 5),
  cart(308, `${DAY2} 06:00:00`),
  checkout(308, `${DAY2} 06:30:00`),
  // 309: the early view (03:00) completes a chain, the later one (08:00) does not: the latest
  // QUALIFYING A is 03:00. LEAD at DAY2 03:00:00, item 3.
  view(309, `${DAY2} 03:00:00`, 3),
  cart(309, `${DAY2} 03:10:00`),
  checkout(309, `${DAY2} 03:20:00`),
  view(309, `${DAY2} 08:00:00`, 5),
  // 310: not greedy on the last step: the first checkout (amount 0) fails, a later one within
  // 1h of the cart completes the chain. LEAD at DAY2 06:00:00.
  view(310, `${DAY2} 06:00:00`, 5),
  cart(310, `${DAY2} 06:10:00`),
  checkout(310, `${DAY2} 06:20:00`, 0),
  checkout(310, `${DAY2} 06:40:00`),
  // 311: the step events belong to the chain of the later view only (cart 07:30 is 2h30 after
  // the 05:00 view, 30m after the 07:00 one). LEAD at DAY2 07:00:00.
  view(311, `${DAY2} 05:00:00`, 5),
  view(311, `${DAY2} 07:00:00`, 5),
  cart(311, `${DAY2} 07:30:00`),
  checkout(311, `${DAY2} 07:45:00`),
  // 312: the view is outside the 24h window although its chain is inside it. Not a lead.
  view(312, `${DAY1} 08:30:00`, 5),
  cart(312, `${DAY1} 09:10:00`),
  checkout(312, `${DAY1} 09:20:00`),
];

const people = [
  101, 102, 103, 104, 105, 106, 107, 108, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 301, 302, 303, 304,
  305, 306, 307, 308, 309, 310, 311, 312,
];

export const TRIGGER_TABLES: FixtureTable[] = [
  {
    name: 'dim_user',
    columns: { user_id: 'bigInteger', name: 'string', phone: 'string' },
    rows: people.map((id) => ({ user_id: id, name: `user ${id}`, phone: `138000${id}` })),
  },
  {
    name: 'dim_item',
    columns: { item_id: 'integer', item_name: 'string', brand: 'string', category: 'string', price: 'decimal' },
    rows: items,
  },
  {
    name: 'events',
    columns: {
      user_id: 'bigInteger',
      event_name: 'string',
      event_time: 'datetime',
      item_id: 'integer',
      duration_s: 'integer',
      channel: 'string',
      amount: 'decimal',
    },
    rows: [...windowEvents, ...notPaidEvents, ...chainEvents],
    indexes: [
      ['event_name', 'event_time'],
      ['user_id', 'event_name', 'event_time'],
    ],
  },
];

const FRIDGE_A = `
  table: events
  event: view_item
  within: 24h
  where: { duration_s: { gte: 60 }, channel: [app, douyin] }
  item: { table: dim_item, key: item_id, where: { category: fridge, price: { gt: 5000 } } }`;

const jobText = (name: string, trigger: string) =>
  `name: ${name}\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: dim_user }\ntrigger:${trigger}\nlead: { fields: [user_id, trigger.event_time, trigger.item_id] }\n`;

/** The job files of the fixture, by file name. */
export const TRIGGER_JOBS: Record<string, string> = {
  'fridge-window.yaml': jobText('fridge-window', FRIDGE_A),
  'fridge-not-paid.yaml': jobText(
    'fridge-not-paid',
    `${FRIDGE_A}\n  not_followed_by: { event: pay_order, within: 30m, where: { amount: { gt: 0 } } }`,
  ),
  'washer-chain.yaml': jobText(
    'washer-chain',
    `
  table: events
  event: view_item
  within: 24h
  followed_by:
    - { event: add_cart, within: 1h }
    - { event: checkout, within: 1h, where: { amount: { gt: 0 } } }`,
  ),
};

/** Expected CSV rows (user_id,trigger.event_time,trigger.item_id), sorted, per job name. */
export const EXPECTED_LEADS: Record<string, string[]> = {
  'fridge-window': [
    `101,${DAY1} 09:00:00,1`,
    `104,${DAY2} 08:00:00,4`,
    `108,${DAY2} 07:00:00,1`,
    `201,${DAY2} 07:00:00,1`,
    `202,${DAY2} 07:00:00,1`,
    `203,${DAY2} 07:00:00,1`,
    `204,${DAY2} 08:40:00,1`,
    `205,${DAY2} 08:30:00,1`,
    `206,${DAY2} 08:30:00,1`,
    `207,${DAY2} 07:00:00,4`,
    `208,${DAY2} 07:00:00,1`,
    `209,${DAY2} 07:00:00,1`,
    `210,${DAY2} 07:00:00,1`,
  ],
  'fridge-not-paid': [
    `101,${DAY1} 09:00:00,1`,
    `104,${DAY2} 08:00:00,4`,
    `108,${DAY2} 07:00:00,1`,
    `202,${DAY2} 07:00:00,1`,
    `203,${DAY2} 07:00:00,1`,
    `205,${DAY2} 08:30:00,1`,
    `207,${DAY2} 07:00:00,4`,
    `208,${DAY2} 05:00:00,4`,
    `209,${DAY2} 07:00:00,1`,
    `210,${DAY2} 07:00:00,1`,
  ],
  'washer-chain': [
    `301,${DAY2} 06:00:00,5`,
    `303,${DAY2} 06:00:00,5`,
    `305,${DAY2} 06:00:00,5`,
    `309,${DAY2} 03:00:00,3`,
    `310,${DAY2} 06:00:00,5`,
    `311,${DAY2} 07:00:00,5`,
  ],
};
