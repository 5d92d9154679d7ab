// Six hours of behaviour events for `crm-leads watch` (issue 11), and the leads each job must
// give when replayed from FROM to UNTIL, worked out by hand beside each person.
//
// Replay: --from 2026-11-23T08:00:00 --until 2026-11-23T14:00:00 (Asia/Shanghai), lateness
// 2m. The first watermark is 08:00 - 2m = 07:58 and the last tick (14:00) decides up to
// 13:58, so the union over ticks decides exactly the A events that mature in [07:58, 13:58),
// whatever `every` is (1m, 5m and 1h all tick at 14:00 last).
import type { FixtureTable } from './databases.ts';

export const FROM = '2026-11-23T08:00:00';
export const UNTIL = '2026-11-23T14:00:00';
const D = '2026-11-23';

type Event = { user_id: number; event_name: string; event_time: string; item_id: number | null };
const ev = (user_id: number, event_name: string, time: string, item_id: number | null = null): Event => ({
  user_id,
  event_name,
  event_time: `${D} ${time}`,
  item_id,
});
const FRIDGE = 1; // 8999 yuan: the fridge job's item
const CHEAP_FRIDGE = 2; // 2999 yuan: not > 5000
const WASHER = 5; // the sequence job's item

// --- Job "fridge": view_item of a fridge over 5000, not_followed_by pay_order within 30m;
// A matures at tA + 30m. exclude.delivered 3h (the cooldown). Lead: (user, trigger.event_time).
const fridgeEvents: Event[] = [
  // 1: viewed 08:10, never paid: matures 08:40. LEAD 08:10.
  ev(1, 'view_item', '08:10:00', FRIDGE),
  // 2: viewed 08:20, paid 08:35 (inside the wait): not a lead.
  ev(2, 'view_item', '08:20:00', FRIDGE),
  ev(2, 'pay_order', '08:35:00'),
  // 3: viewed 09:00, paid exactly at tA + W (09:30:00): B in (tA, tA + W] blocks. Not a lead.
  ev(3, 'view_item', '09:00:00', FRIDGE),
  ev(3, 'pay_order', '09:30:00'),
  // 4: viewed 09:00, paid 09:30:01, one second after the wait: LEAD 09:00.
  ev(4, 'view_item', '09:00:00', FRIDGE),
  ev(4, 'pay_order', '09:30:01'),
  // 5: qualifies twice within the 3h cooldown: 10:00 (matures 10:30) and 11:00 (matures
  // 11:30). Each `every` decides them in different ticks (10:30 and 11:30 fall in different
  // hours too), and the second tick is within 3h of the first: LEAD 10:00 only.
  ev(5, 'view_item', '10:00:00', FRIDGE),
  ev(5, 'view_item', '11:00:00', FRIDGE),
  // 6: viewed 07:20, matured 07:50: before the first watermark (07:58), decided before this
  // replay began. Not delivered.
  ev(6, 'view_item', '07:20:00', FRIDGE),
  // 11: viewed 07:40 (before --from), matures 08:10 (after the first watermark): LEAD 07:40.
  ev(11, 'view_item', '07:40:00', FRIDGE),
  // 7: viewed 13:20, matures 13:50 < 13:58: LEAD 13:20.
  ev(7, 'view_item', '13:20:00', FRIDGE),
  // 8: viewed 13:29, matures 13:59 >= 13:58: not decided by the last tick. Not delivered.
  ev(8, 'view_item', '13:29:00', FRIDGE),
  // 9: a cheap fridge (2999): the item condition fails. Not a lead.
  ev(9, 'view_item', '09:10:00', CHEAP_FRIDGE),
];

// --- Job "sequence": view_item of a washer, followed_by add_cart within 1h; A matures at the
// add_cart that completes its chain (the first one).
const sequenceEvents: Event[] = [
  // 21: viewed 08:30, cart 09:20: matures 09:20. LEAD 08:30.
  ev(21, 'view_item', '08:30:00', WASHER),
  ev(21, 'add_cart', '09:20:00'),
  // 22: viewed 09:00, cart 10:10 (70 minutes later): no chain. Not a lead.
  ev(22, 'view_item', '09:00:00', WASHER),
  ev(22, 'add_cart', '10:10:00'),
  // 23: a sequence completing late: viewed 12:00, cart 12:59:59, one second inside the hour:
  // matures 12:59:59 (with every 1h, in the 14:00 tick's slice [12:58, 13:58)). LEAD 12:00.
  ev(23, 'view_item', '12:00:00', WASHER),
  ev(23, 'add_cart', '12:59:59'),
  // 24: viewed 13:30, cart 13:58:30: matures after the last slice ends (13:58). Not delivered.
  ev(24, 'view_item', '13:30:00', WASHER),
  ev(24, 'add_cart', '13:58:30'),
  // 25: viewed 07:00, cart 07:59: A long before --from, matures 07:59 >= 07:58. LEAD 07:00.
  ev(25, 'view_item', '07:00:00', WASHER),
  ev(25, 'add_cart', '07:59:00'),
  // 26: viewed 10:00, carts at 10:30 and 10:50: matures at 10:30, decided in that tick only
  // (the 10:50 chain does not make A new again). LEAD 10:00, once.
  ev(26, 'view_item', '10:00:00', WASHER),
  ev(26, 'add_cart', '10:30:00'),
  ev(26, 'add_cart', '10:50:00'),
];

/** The leads each job gives over the replay: person key -> trigger.event_time. */
export const EXPECTED = {
  fridge: {
    '1': `${D} 08:10:00`,
    '4': `${D} 09:00:00`,
    '5': `${D} 10:00:00`,
    '7': `${D} 13:20:00`,
    '11': `${D} 07:40:00`,
  },
  sequence: {
    '21': `${D} 08:30:00`,
    '23': `${D} 12:00:00`,
    '25': `${D} 07:00:00`,
    '26': `${D} 10:00:00`,
  },
};

const people = [1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 21, 22, 23, 24, 25, 26];

export const WATCH_TABLES: FixtureTable[] = [
  {
    name: 'dim_user',
    columns: { user_id: 'integer', name: 'string', phone: 'string' },
    rows: people.map((id) => ({ user_id: id, name: `客户${id}`, phone: `1380000${String(id).padStart(4, '0')}` })),
  },
  {
    name: 'dim_item',
    columns: { item_id: 'integer', category: 'string', price: 'decimal' },
    rows: [
      { item_id: FRIDGE, category: 'fridge', price: 8999 },
      { item_id: CHEAP_FRIDGE, category: 'fridge', price: 2999 },
      { item_id: WASHER, category: 'washer', price: 3999 },
    ],
  },
  {
    name: 'events',
    columns: { user_id: 'integer', event_name: 'string', event_time: 'datetime', item_id: 'integer' },
    rows: [...fridgeEvents, ...sequenceEvents],
    indexes: [
      ['user_id', 'event_name', 'event_time'],
      ['event_name', 'event_time'],
    ],
  },
];

/** The fridge job (the seed's scenario) with a given every, delivering to `url`. */
export function fridgeJob(name: string, every: string, url: string): string {
  return watchJob(name, every, url, {
    trigger: `item: { table: dim_item, where: { category: fridge, price: { gt: 5000 } } }
  not_followed_by: { event: pay_order, within: 30m }
exclude: { delivered: 3h }`,
    channel: ', channel: outbound_call',
  });
}

/** The sequence job: washer viewed, then added to the cart within 1h. */
export function sequenceJob(name: string, every: string, url: string): string {
  return watchJob(name, every, url, {
    trigger: `item: { table: dim_item, where: { category: washer } }
  followed_by: [ { event: add_cart, within: 1h } ]`,
  });
}

// What the two jobs share: a view_item trigger within 1h, lateness 2m, (user, viewed_at) leads
// to a webhook. `trigger` goes on after the trigger's own keys (indented as they are).
function watchJob(name: string, every: string, url: string, o: { trigger: string; channel?: string }): string {
  return `name: ${name}
source: wh
timezone: Asia/Shanghai
realtime: { every: ${every}, lateness: 2m }
audience: { table: dim_user }
trigger:
  table: events
  event: view_item
  within: 1h
  ${o.trigger}
lead: { fields: { user_id: user_id, viewed_at: trigger.event_time }${o.channel ?? ''} }
destinations: [ { type: webhook, url: "${url}" } ]
`;
}
