// Item-aware sequences (issue 13): B and followed_by steps with item conditions, same_item, their
// own table, followed_within, and trigger.item.X fields. Five jobs over one fixture, with the
// leads each must give computed by hand (reasoning beside each person). The same rows on
// SQLite, MariaDB, PostgreSQL and Hive (test server); the boundary rules of issue 3 (strictly
// after, within W closed, the wait over) are in trigger-fixture.ts and hold here too.
//
// AT = 2026-11-23 09:00:00 (naive, Asia/Shanghai). A = view_item of a fridge in the last 24h.
import type { FixtureTable } from './databases.ts';

export const ITEM_AT = '2026-11-23T09:00:00';
const D = '2026-11-23';

// Prices are integers so that every engine prints them alike.
const items = [
  { item_id: 1, category: 'fridge', price: 8999 },
  { item_id: 2, category: 'fridge', price: 2999 },
  { item_id: 3, category: 'tv', price: 6000 },
  { item_id: 4, category: 'fridge', price: 12000 },
];

type Row = { user_id: number; event_name: string; event_time: string; item_id: number };
const ev = (user_id: number, event_name: string, time: string, item_id: number): Row => ({
  user_id,
  event_name,
  event_time: `${D} ${time}`,
  item_id,
});

const events: Row[] = [
  // 501: views fridge 1 at 07:00, pays for the TV at 07:10: B's item (a fridge) fails. Every not_followed_by job: LEAD.
  ev(501, 'view_item', '07:00:00', 1),
  ev(501, 'pay_order', '07:10:00', 3),
  // 502: views fridge 1, pays for fridge 2 at 07:10: blocks "did not buy a fridge"; not the same item.
  ev(502, 'view_item', '07:00:00', 1),
  ev(502, 'pay_order', '07:10:00', 2),
  // 503: views fridge 1, pays for fridge 1 exactly 30m later (closed on the right): blocks both.
  ev(503, 'view_item', '07:00:00', 1),
  ev(503, 'pay_order', '07:30:00', 1),
  // 504: views fridge 1, pays for it 30m + 1s later: too late to block. LEAD.
  ev(504, 'view_item', '07:00:00', 1),
  ev(504, 'pay_order', '07:30:01', 1),
  // 505: views a TV: A's item condition fails. Never a lead.
  ev(505, 'view_item', '07:00:00', 3),
  // 506: views fridge 1; pay_success at 07:10 in server_events (below). 507: the same event in
  // events, not in server_events: it does not block the server-paid job.
  ev(506, 'view_item', '07:00:00', 1),
  ev(507, 'view_item', '07:00:00', 1),
  ev(507, 'pay_success', '07:10:00', 1),
  // 511: fridge 1 at 06:00, cart fridge 1 at 06:10, checkout 06:50 (<= A + 1h). cart-chain: LEAD.
  ev(511, 'view_item', '06:00:00', 1),
  ev(511, 'add_cart', '06:10:00', 1),
  ev(511, 'checkout', '06:50:00', 1),
  // 512: cart on fridge 4, not the viewed fridge 1 (same_item fails). cart-chain: not a lead.
  ev(512, 'view_item', '06:00:00', 1),
  ev(512, 'add_cart', '06:10:00', 4),
  ev(512, 'checkout', '06:20:00', 4),
  // 513: checkout exactly A + 1h (followed_within is closed). cart-chain: LEAD.
  ev(513, 'view_item', '06:00:00', 1),
  ev(513, 'add_cart', '06:10:00', 1),
  ev(513, 'checkout', '07:00:00', 1),
  // 514: checkout A + 1h + 1s: within 1h of the cart, but the chain is over followed_within. Not a lead.
  ev(514, 'view_item', '06:00:00', 1),
  ev(514, 'add_cart', '06:10:00', 1),
  ev(514, 'checkout', '07:00:01', 1),
  // 515: views fridge 1 at 06:00 and fridge 4 at 06:05, carts fridge 1: only the 06:00 A has a
  // chain on its own item. cart-chain: LEAD with A at 06:00 and fridge 1's price (8999).
  // (The not_followed_by jobs take the latest A, 06:05, fridge 4: price 12000.)
  ev(515, 'view_item', '06:00:00', 1),
  ev(515, 'view_item', '06:05:00', 4),
  ev(515, 'add_cart', '06:20:00', 1),
  ev(515, 'checkout', '06:30:00', 1),
  // 516: cart on the TV, then a server payment: the cart step's item (a fridge) fails. Not a lead.
  ev(516, 'view_item', '06:00:00', 1),
  ev(516, 'add_cart', '06:10:00', 3),
  // 517: cart on fridge 2, then a server payment 10m later. cart-then-server-pay: LEAD.
  ev(517, 'view_item', '06:00:00', 1),
  ev(517, 'add_cart', '06:10:00', 2),
];

const serverEvents: Row[] = [
  ev(506, 'pay_success', '07:10:00', 1),
  ev(516, 'pay_success', '06:20:00', 3),
  ev(517, 'pay_success', '06:20:00', 2),
];

const people = [501, 502, 503, 504, 505, 506, 507, 511, 512, 513, 514, 515, 516, 517];
const eventColumns = { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime', item_id: 'integer' };

export const ITEM_TABLES: FixtureTable[] = [
  { name: 'dim_user', columns: { user_id: 'bigInteger' }, rows: people.map((user_id) => ({ user_id })) },
  { name: 'dim_item', columns: { item_id: 'integer', category: 'string', price: 'integer' }, rows: items },
  { name: 'events', columns: eventColumns, rows: events, indexes: [['user_id', 'event_name', 'event_time']] },
  { name: 'server_events', columns: eventColumns, rows: serverEvents },
];

const A = `
  table: events
  event: view_item
  within: 24h
  item: { table: dim_item, key: item_id, where: { category: fridge } }`;
const job = (name: string, rest: string) =>
  `name: ${name}\nsource: wh\ntimezone: Asia/Shanghai\naudience: { table: dim_user }\ntrigger:${A}\n${rest}\nlead: { fields: [user_id, trigger.event_time, trigger.item.category, trigger.item.price] }\n`;

export const ITEM_JOBS: Record<string, string> = {
  'fridge-not-bought.yaml': job(
    'fridge-not-bought',
    '  not_followed_by: { event: pay_order, within: 30m, item: { where: { category: fridge } } }',
  ),
  'fridge-not-bought-same.yaml': job(
    'fridge-not-bought-same',
    '  not_followed_by: { event: pay_order, within: 30m, same_item: true }',
  ),
  'server-paid.yaml': job(
    'server-paid',
    '  not_followed_by: { table: server_events, event: pay_success, within: 30m }',
  ),
  'cart-chain.yaml': job(
    'cart-chain',
    '  followed_by:\n    - { event: add_cart, within: 30m, same_item: true }\n    - { event: checkout, within: 1h }\n  followed_within: 1h',
  ),
  'cart-then-server-pay.yaml': job(
    'cart-then-server-pay',
    '  followed_by:\n    - { event: add_cart, within: 30m, item: { where: { category: fridge } } }\n    - { table: server_events, event: pay_success, within: 1h }',
  ),
};

const lead = (id: number, time: string, price = 8999, category = 'fridge') => `${id},${D} ${time},${category},${price}`;
const NOT_FOLLOWED = [501, 502, 503, 504, 506, 507, 511, 512, 513, 514];

/** Expected CSV rows (user_id, trigger.event_time, trigger.item.category, trigger.item.price), sorted. */
export const ITEM_LEADS: Record<string, string[]> = {
  'fridge-not-bought': [
    ...NOT_FOLLOWED.filter((id) => id !== 502 && id !== 503).map((id) => lead(id, id < 510 ? '07:00:00' : '06:00:00')),
    lead(515, '06:05:00', 12000),
    lead(516, '06:00:00'),
    lead(517, '06:00:00'),
  ].sort(),
  'fridge-not-bought-same': [
    ...NOT_FOLLOWED.filter((id) => id !== 503).map((id) => lead(id, id < 510 ? '07:00:00' : '06:00:00')),
    lead(515, '06:05:00', 12000),
    lead(516, '06:00:00'),
    lead(517, '06:00:00'),
  ].sort(),
  'server-paid': [
    ...NOT_FOLLOWED.filter((id) => id !== 506).map((id) => lead(id, id < 510 ? '07:00:00' : '06:00:00')),
    lead(515, '06:05:00', 12000),
  ].sort(),
  'cart-chain': [lead(511, '06:00:00'), lead(513, '06:00:00'), lead(515, '06:00:00')],
  'cart-then-server-pay': [lead(517, '06:00:00')],
};
