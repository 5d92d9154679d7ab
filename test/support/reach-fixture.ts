// The reach fixture (issue 12): twelve members, their ids bound on WeCom, SMS and the call
// list, opt-outs, and SMS deliveries by another job in the ledger. Each person is one case:
//   1  WeCom bound                                  -> wecom wx_1
//   2  WeCom row unbound, SMS bound                 -> sms (unbound rows do not count)
//   3  no binding at all                            -> no_address
//   4  WeCom bound but opted out of WeCom, SMS bound -> sms (fallback)
//   5  opted out with channel '*'                   -> opted_out
//   6  opted out with channel NULL                  -> opted_out
//   7  WeCom bound, opt-out dated after `at`        -> wecom wx_7
//   8  SMS 2 of max 2 in 7 days (capped), call bound -> outbound_call
//   9  SMS 1 of max 2 in 7 days (one older delivery does not count) -> sms
//   10 call list only                               -> outbound_call
//   11 SMS capped, nothing else                     -> capped
//   12 call list only                               -> outbound_call
import type { FixtureTable } from './databases.ts';

export const MEMBERS: FixtureTable[] = [
  {
    name: 'members',
    columns: { user_id: 'bigInteger', name: 'string' },
    rows: Array.from({ length: 12 }, (_, i) => ({ user_id: i + 1, name: `会员${i + 1}` })),
  },
  {
    name: 'user_channel_binding',
    columns: { user_id: 'bigInteger', channel: 'string', address: 'string', status: 'string' },
    rows: [
      { user_id: 1, channel: 'wecom', address: 'wx_1', status: 'bound' },
      { user_id: 2, channel: 'wecom', address: 'wx_2', status: 'unbound' },
      { user_id: 2, channel: 'sms', address: '13800000002', status: 'bound' },
      { user_id: 4, channel: 'wecom', address: 'wx_4', status: 'bound' },
      { user_id: 4, channel: 'sms', address: '13800000004', status: 'bound' },
      { user_id: 5, channel: 'wecom', address: 'wx_5', status: 'bound' },
      { user_id: 5, channel: 'sms', address: '13800000005', status: 'bound' },
      { user_id: 6, channel: 'sms', address: '13800000006', status: 'bound' },
      { user_id: 7, channel: 'wecom', address: 'wx_7', status: 'bound' },
      { user_id: 8, channel: 'sms', address: '13800000008', status: 'bound' },
      { user_id: 8, channel: 'outbound_call', address: '13800000008', status: 'bound' },
      { user_id: 9, channel: 'sms', address: '13800000009', status: 'bound' },
      { user_id: 10, channel: 'outbound_call', address: '13800000010', status: 'bound' },
      { user_id: 11, channel: 'sms', address: '13800000011', status: 'bound' },
      { user_id: 12, channel: 'outbound_call', address: '13800000012', status: 'bound' },
    ],
  },
  {
    name: 'user_opt_out',
    columns: { user_id: 'bigInteger', channel: 'string', opted_out_at: 'datetime' },
    rows: [
      { user_id: 4, channel: 'wecom', opted_out_at: '2026-11-01 10:00:00' },
      { user_id: 5, channel: '*', opted_out_at: '2026-11-02 10:00:00' },
      { user_id: 6, channel: null, opted_out_at: '2026-11-03 10:00:00' },
      { user_id: 7, channel: 'wecom', opted_out_at: '2026-11-25 10:00:00' },
    ],
  },
  { name: 'orders', columns: { user_id: 'bigInteger', paid_at: 'datetime' }, rows: [] },
];

/** SMS deliveries by another job, in the ledger before the first run: [run id, at (Shanghai), keys]. */
export const PRIOR_SMS: [string, string, string[]][] = [
  ['seed-a', '2026-11-20T10:00:00+08:00', ['8', '9', '11']],
  ['seed-b', '2026-11-21T10:00:00+08:00', ['8', '11']],
  // Older than 7 days at every run of the test: never counts.
  ['seed-c', '2026-11-10T10:00:00+08:00', ['9']],
];

export function reachJob(dir: string): string {
  return `name: members-reach
source: wh
timezone: Asia/Shanghai
audience: { table: members }
contacts: { table: user_channel_binding, where: { status: bound } }
consent: { table: user_opt_out }
lead:
  fields: [user_id, name]
  channel: [wecom, sms, outbound_call]
quiet_hours:
  outbound_call: "21:00-09:00"
  sms: "22:00-08:00"
  hold: 12h
exclude:
  converted: { table: orders, time: paid_at, within: 30d }
  delivered:
    - { within: 24h }
    - { within: 7d, scope: all, channel: sms, max: 2 }
    - { within: 1d, scope: all, max: 3 }
destinations:
  - { type: csv, path: "${dir}/wecom-{{run_id}}.csv", bom: false, channels: [wecom] }
  - { type: csv, path: "${dir}/sms-{{run_id}}.csv", bom: false, channels: [sms] }
  - { type: csv, path: "${dir}/call-{{run_id}}.csv", bom: false, channels: [outbound_call] }
`;
}
