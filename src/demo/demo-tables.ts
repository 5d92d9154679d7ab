// The demo warehouse's tables (examples/demo.db, built by examples/build-demo.ts), described
// once so that `demo load` creates them alike on SQLite, MySQL/MariaDB and PostgreSQL.

export type DemoColumnType = 'id' | 'integer' | 'text' | 'real' | 'time';

export interface DemoTable {
  name: string;
  columns: [string, DemoColumnType][];
  primaryKey?: string[];
  indexes?: { name: string; columns: string[] }[];
}

/** In load order; `demo load` drops and re-creates exactly these tables, no other. */
export const DEMO_TABLES: DemoTable[] = [
  {
    name: 'dim_user',
    columns: [
      ['user_id', 'id'],
      ['name', 'text'],
      ['phone', 'text'],
      ['gender', 'text'],
      ['age', 'integer'],
      ['city', 'text'],
      ['income', 'integer'],
      ['value_tier', 'text'],
      ['register_time', 'time'],
    ],
    primaryKey: ['user_id'],
  },
  {
    name: 'user_segment',
    columns: [
      ['user_id', 'id'],
      ['dimension', 'text'],
      ['segment', 'text'],
    ],
    primaryKey: ['user_id', 'dimension'],
  },
  {
    name: 'user_tag',
    columns: [
      ['user_id', 'id'],
      ['tag', 'text'],
    ],
    primaryKey: ['user_id', 'tag'],
  },
  {
    name: 'dim_item',
    columns: [
      ['item_id', 'id'],
      ['item_name', 'text'],
      ['brand', 'text'],
      ['category', 'text'],
      ['price', 'real'],
    ],
    primaryKey: ['item_id'],
  },
  {
    name: 'events',
    columns: [
      ['user_id', 'id'],
      ['event_name', 'text'],
      ['event_time', 'time'],
      ['item_id', 'id'],
      ['duration_s', 'integer'],
      ['channel', 'text'],
      ['amount', 'real'],
    ],
    indexes: [
      { name: 'events_name_time', columns: ['event_name', 'event_time'] },
      { name: 'events_user_time', columns: ['user_id', 'event_time'] },
    ],
  },
  {
    name: 'orders',
    columns: [
      ['order_id', 'id'],
      ['user_id', 'id'],
      ['category', 'text'],
      ['amount', 'real'],
      ['paid_at', 'time'],
    ],
    primaryKey: ['order_id'],
    indexes: [{ name: 'orders_user_paid', columns: ['user_id', 'paid_at'] }],
  },
  {
    // 各平台渠道绑定的用户ID: one row per (person, channel), the address that channel reaches them at.
    name: 'user_channel_binding',
    columns: [
      ['user_id', 'id'],
      ['channel', 'text'],
      ['address', 'text'],
      ['status', 'text'],
      ['bound_at', 'time'],
    ],
    primaryKey: ['user_id', 'channel'],
  },
  {
    // 退订: channel '*' or NULL opts out of every channel, so no primary key over it.
    name: 'user_opt_out',
    columns: [
      ['user_id', 'id'],
      ['channel', 'text'],
      ['opted_out_at', 'time'],
    ],
    indexes: [{ name: 'user_opt_out_user', columns: ['user_id'] }],
  },
];
