// The reach rules in `crm-leads watch` (issues 11 and 12): thirteen members, their ids bound on
// WeCom, SMS and the call list, opt-outs, and one view_item each (person 1 twice), replayed
// from 2026-11-23 20:00 to 2026-11-24 09:10 (Asia/Shanghai) with every 10m and lateness 1m.
// A plain trigger matures at its event time; the tick at t decides [t - 11m, t - 1m).
//
// The job: lead.channel [wecom, sms, outbound_call]; sms and outbound_call are quiet
// 21:00-09:00 (held leads expire after 700m = 11h40m); caps: this job once in 24h, and at most
// one touch of any job per person per day. Each person, worked out by hand:
//   1  wecom wx_1, viewed 20:05      -> tick 20:10: wecom wx_1. Viewed again 22:30 -> tick 22:40: capped (24h)
//   2  opted out of wecom, sms bound, viewed 20:15 -> tick 20:20: sms (fallback)
//   3  wecom row unbound only, viewed 20:25 -> tick 20:30: no_address
//   4  wecom and sms bound, opted out of '*', viewed 20:25 -> tick 20:30: opted_out
//   5  wecom unbound, sms and call bound, viewed 20:35 -> tick 20:40: sms
//   9  wecom bound, delivered by the `run` of another job at 19:00 -> tick 20:50: capped
//   12 sms, viewed 20:45 -> tick 20:50 (not quiet yet): sms
//   13 sms, viewed 20:52 -> tick 21:00:00 is quiet: held at 21:00; at 09:00 it is 12h old: expired
//   10 wecom, viewed 20:55 -> tick 21:00: wecom (no quiet hours on wecom)
//   6  sms, viewed 21:30 -> tick 21:40: held; tick 09:00 (first after the quiet hours, no rows
//      in its slice) delivers it: 11h20m old
//   8  wecom, opted out of wecom at 23:00 (after the tick), viewed 22:00 -> tick 22:10: wecom wx_8
//   7  call list only, viewed 22:05 -> tick 22:10: held; tick 09:00 delivers it on outbound_call
//   11 wecom, no event: the `run` of another job at 2026-11-24 09:30 delivers it; person 10,
//      delivered by watch at 21:00 the day before, is capped there (scope all, 1 per day)
import type { FixtureTable } from './databases.ts';

export const FROM = '2026-11-23T20:00:00';
export const UNTIL = '2026-11-24T09:10:00';
const D = '2026-11-23';

const bound = (user_id: number, channel: string, address: string, status = 'bound') => ({
  user_id,
  channel,
  address,
  status,
});
const phone = (id: number) => `138000000${String(id).padStart(2, '0')}`;
const view = (user_id: number, time: string) => ({ user_id, event_name: 'view_item', event_time: `${D} ${time}` });

export const TABLES: FixtureTable[] = [
  {
    name: 'members',
    columns: { user_id: 'bigInteger', name: 'string' },
    rows: Array.from({ length: 13 }, (_, i) => ({ user_id: i + 1, name: `会员${i + 1}` })),
  },
  {
    name: 'user_channel_binding',
    columns: { user_id: 'bigInteger', channel: 'string', address: 'string', status: 'string' },
    rows: [
      bound(1, 'wecom', 'wx_1'),
      bound(2, 'wecom', 'wx_2'),
      bound(2, 'sms', phone(2)),
      bound(3, 'wecom', 'wx_3', 'unbound'),
      bound(4, 'wecom', 'wx_4'),
      bound(4, 'sms', phone(4)),
      bound(5, 'wecom', 'wx_5', 'unbound'),
      bound(5, 'sms', phone(5)),
      bound(5, 'outbound_call', phone(5)),
      bound(6, 'sms', phone(6)),
      bound(7, 'outbound_call', phone(7)),
      bound(8, 'wecom', 'wx_8'),
      bound(9, 'wecom', 'wx_9'),
      bound(10, 'wecom', 'wx_10'),
      bound(11, 'wecom', 'wx_11'),
      bound(12, 'sms', phone(12)),
      bound(13, 'sms', phone(13)),
    ],
  },
  {
    name: 'user_opt_out',
    columns: { user_id: 'bigInteger', channel: 'string', opted_out_at: 'datetime' },
    rows: [
      { user_id: 2, channel: 'wecom', opted_out_at: '2026-11-01 10:00:00' },
      { user_id: 4, channel: '*', opted_out_at: '2026-11-02 10:00:00' },
      { user_id: 8, channel: 'wecom', opted_out_at: `${D} 23:00:00` },
    ],
  },
  {
    name: 'events',
    columns: { user_id: 'bigInteger', event_name: 'string', event_time: 'datetime' },
    rows: [
      view(1, '20:05:00'),
      view(2, '20:15:00'),
      view(3, '20:25:00'),
      view(4, '20:25:00'),
      view(5, '20:35:00'),
      view(9, '20:45:00'),
      view(12, '20:45:00'),
      view(13, '20:52:00'),
      view(10, '20:55:00'),
      view(6, '21:30:00'),
      view(8, '22:00:00'),
      view(7, '22:05:00'),
      view(1, '22:30:00'),
    ],
    indexes: [
      ['user_id', 'event_name', 'event_time'],
      ['event_name', 'event_time'],
    ],
  },
];

/** What each destination of the watched job receives: person -> [trigger time, address]. */
export const EXPECTED: Record<'wecom' | 'sms' | 'calls', Record<string, [string, string]>> = {
  wecom: {
    '1': [`${D} 20:05:00`, 'wx_1'],
    '10': [`${D} 20:55:00`, 'wx_10'],
    '8': [`${D} 22:00:00`, 'wx_8'],
  },
  sms: {
    '2': [`${D} 20:15:00`, phone(2)],
    '5': [`${D} 20:35:00`, phone(5)],
    '12': [`${D} 20:45:00`, phone(12)],
    '6': [`${D} 21:30:00`, phone(6)],
  },
  calls: {
    '7': [`${D} 22:05:00`, phone(7)],
  },
};

const CONTACTS = 'contacts: { table: user_channel_binding, where: { status: bound } }';

/** The watched job: fallback wecom -> sms -> call list, consent, quiet hours, caps; one webhook per channel. */
export function watchedJob(url: string): string {
  return `name: watch-reach
source: wh
timezone: Asia/Shanghai
realtime: { every: 10m, lateness: 1m }
audience: { table: members }
trigger: { table: events, event: view_item, within: 1h }
${CONTACTS}
consent: { table: user_opt_out }
lead:
  fields: { user_id: user_id, viewed_at: trigger.event_time }
  channel: [wecom, sms, outbound_call]
quiet_hours: { sms: "21:00-09:00", outbound_call: "21:00-09:00", hold: 700m }
exclude:
  delivered:
    - { within: 24h }
    - { within: 1d, scope: all, max: 1 }
destinations:
  - { type: webhook, url: "${url}/wecom", channels: [wecom] }
  - { type: webhook, url: "${url}/sms", channels: [sms] }
  - { type: webhook, url: "${url}/calls", channels: [outbound_call] }
`;
}

/** A batch job run with `crm-leads run`: WeCom to the given people, optionally capped across jobs. */
export function runJob(name: string, people: number[], url: string, capped: boolean): string {
  return `name: ${name}
source: wh
timezone: Asia/Shanghai
audience: { table: members, where: { user_id: [${people.join(', ')}] } }
${CONTACTS}
lead: { fields: [user_id], channel: wecom }
${capped ? 'exclude: { delivered: [ { within: 1d, scope: all, max: 1 } ] }\n' : ''}destinations: [ { type: webhook, url: "${url}/${name}" } ]
`;
}
