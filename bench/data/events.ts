// The 10M-event trigger warehouse on PostgreSQL, shaped like bench/trigger.ts builds it on
// MariaDB: 1M users, 10k items, 10M events in sessions of 4 (a view, then maybe a cart, a
// checkout, a payment, minutes apart) of random users, appended in time order over the 30
// days before AT, with both recommended indexes. PostgreSQL has no crc32(): the pseudo-random
// numbers come from hashint8, so the rows (and the lead counts) differ from MariaDB's; each
// engine's ratio compares two queries on its own data. Built once, reused while the marker
// row matches.
import pg from 'pg';
import { log } from '../lib/measure.ts';
import { PG_SERVER } from './people.ts';

export const TRIGGER_DATABASE = 'crm_leads_bench_trigger';
const EVENTS = 10_000_000;
const USERS = 1_000_000;
const ITEMS = 10_000;
const CHUNK = 1_000_000;
const DAYS = 30;
const MARKER = `${EVENTS} events, time-ordered, hashint8, v1`;
const AT_SQL = '2026-11-23 09:00:00';

const h = (x: string) => `(CAST(hashint8(${x}) AS bigint) & 2147483647)`;
const pick = (i: string, values: string[]) => `(ARRAY[${values.map((v) => `'${v}'`).join(', ')}])[${i} + 1]`;

export async function ensurePostgresEvents(): Promise<void> {
  const admin = new pg.Client({ ...PG_SERVER, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [TRIGGER_DATABASE]);
    if (exists.rowCount === 0)
      await admin.query(`CREATE DATABASE ${TRIGGER_DATABASE} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const db = new pg.Client({ ...PG_SERVER, database: TRIGGER_DATABASE });
  await db.connect();
  try {
    const marker = await db.query("SELECT v FROM bench_meta WHERE k = 'build'").catch(() => undefined);
    if (marker?.rows[0]?.v === MARKER) {
      log(`PostgreSQL ${TRIGGER_DATABASE}: reused (${EVENTS} events)`);
      return;
    }
    log(`PostgreSQL ${TRIGGER_DATABASE}: building ${EVENTS} events ...`);
    const started = Date.now();
    await db.query('DROP TABLE IF EXISTS bench_meta, events, dim_item, dim_user');
    await db.query(
      'CREATE TABLE dim_user (user_id bigint PRIMARY KEY, name varchar(32), phone varchar(16), value_tier varchar(8), income int)',
    );
    await db.query(
      'CREATE TABLE dim_item (item_id int PRIMARY KEY, item_name varchar(64), brand varchar(16), category varchar(16), price numeric(10,2))',
    );
    await db.query(`CREATE TABLE events (id bigint PRIMARY KEY, user_id bigint NOT NULL, event_name varchar(32) NOT NULL,
      event_time timestamp NOT NULL, item_id int, duration_s int, channel varchar(16), amount numeric(14,2))`);
    await db.query(`INSERT INTO dim_user SELECT seq, 'user ' || seq, '138' || lpad(CAST(seq AS text), 8, '0'),
      ${pick(`${h('seq')} % 4`, ['low', 'mid', 'high', 'top'])}, 3000 + ${h('seq')} % 60000
      FROM generate_series(CAST(1 AS bigint), ${USERS}) AS s(seq)`);
    await db.query(`INSERT INTO dim_item SELECT seq, 'item ' || seq,
      ${pick('(seq / 6) % 6', ['西门子', '海尔', '美的', '格力', '小米', '松下'])},
      ${pick('seq % 6', ['fridge', 'washer', 'tv', 'kitchen', 'hotel', 'phone'])},
      CASE WHEN seq % 6 = 0 THEN 1999 + ${h('seq')} % 14000 ELSE 99 + ${h('seq')} % 8900 END
      FROM generate_series(CAST(1 AS bigint), ${ITEMS}) AS s(seq)`);
    for (let low = 1; low <= EVENTS; low += CHUNK) {
      const high = Math.min(EVENTS, low + CHUNK - 1);
      await db.query(`INSERT INTO events
        SELECT seq, h % ${USERS} + 1, name,
          TIMESTAMP '${AT_SQL}' - INTERVAL '${DAYS} days'
            + (((seq - 1) / 4) * ${DAYS * 86400} / ${EVENTS / 4} + h % 300 + k * 600 + CASE WHEN k = 0 THEN 0 ELSE h2 % 1200 END) * INTERVAL '1 second',
          CAST((h / 13) % ${ITEMS} + 1 AS int),
          CASE WHEN name = 'view_item' THEN CAST(h2 % 300 AS int) END,
          ${pick('h2 % 4', ['app', 'douyin', 'wechat', 'web'])},
          CASE WHEN name IN ('pay_order', 'checkout') THEN h2 % 10000 END
        FROM (SELECT seq, k, h, h2,
                CASE k WHEN 0 THEN 'view_item'
                       WHEN 1 THEN CASE WHEN h2 % 10 < 6 THEN 'add_cart' ELSE 'view_item' END
                       WHEN 2 THEN CASE WHEN h2 % 10 < 3 THEN 'pay_order' WHEN h2 % 10 < 5 THEN 'checkout' ELSE 'view_item' END
                       ELSE CASE WHEN h2 % 10 < 3 THEN 'checkout' WHEN h2 % 10 < 5 THEN 'pay_order' ELSE 'view_item' END END AS name
              FROM (SELECT seq, (seq - 1) % 4 AS k, ${h('(seq - 1) / 4')} AS h, ${h('seq')} AS h2
                    FROM generate_series(CAST(${low} AS bigint), ${high}) AS g(seq)) s) e`);
      log(`  events ${high.toLocaleString('en')} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    await db.query('CREATE INDEX name_time ON events (event_name, event_time)');
    await db.query('CREATE INDEX user_name_time ON events (user_id, event_name, event_time)');
    await db.query('ANALYZE');
    await db.query('CREATE TABLE bench_meta (k varchar(16) PRIMARY KEY, v varchar(64))');
    await db.query("INSERT INTO bench_meta VALUES ('build', $1)", [MARKER]);
    log(`PostgreSQL ${TRIGGER_DATABASE} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } finally {
    await db.end();
  }
}
