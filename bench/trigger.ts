// Benchmark: crm-leads' trigger query over 10 million events on MariaDB.
//
// Builds `crm_leads_bench_trigger` once (reused while its marker row says it is complete):
// 1M users, 10k items and 10M events made by INSERT ... SELECT from the SEQUENCE engine, in
// sessions of 4 events (a view, then maybe a cart, a checkout, a payment, minutes apart, not
// always in order) of random users, appended in time order over the 30 days before AT. Then it compiles two jobs with crm-leads
// itself (load -> plan -> render, exactly what `run` executes) and times them under four index
// sets: none, (event_name, event_time), (user_id, event_name, event_time), and both.
//
//   npm run bench -- trigger        (through bench/run.ts)
//   npx tsx bench/trigger.ts        (alone)
// Server from MYSQL_HOST / MYSQL_PORT / MYSQL_USER / MYSQL_PASSWORD (default root@127.0.0.1:3306).
// BENCH_TRIGGER_TIMEOUT_S caps each query (default 60): without indexes the NOT EXISTS probes
// scan the table once per trigger event and would otherwise run for hours.
// BENCH_TRIGGER_QUICK=1 times only the recommended indexes; BENCH_TRIGGER_BUFFER_POOL_MB=N
// runs with an InnoDB buffer pool of N MiB (restored afterwards; see resizeBufferPool).
import { pathToFileURL } from 'node:url';
import mysql from 'mysql2/promise';
import { planJob } from '../src/plan/plan.ts';
import { resolveRunTime } from '../src/plan/time.ts';
import { renderQuery } from '../src/sql/render-query.ts';
import { loadJob } from '../src/config/load-job.ts';

export const DATABASE = 'crm_leads_bench_trigger';
const EVENTS = 10_000_000;
const USERS = 1_000_000;
const ITEMS = 10_000;
const CHUNK = 1_000_000;
const DAYS = 30;
// Bumped whenever the generated data changes, so that an old build is not reused.
const BUILD_MARKER = `${EVENTS} events, time-ordered, v2`;
const AT = '2026-11-23T09:00:00';
const AT_SQL = '2026-11-23 09:00:00';
const TIMEOUT_S = Number(process.env.BENCH_TRIGGER_TIMEOUT_S ?? 60);

const INDEXES = {
  name_time: '(event_name, event_time)',
  user_name_time: '(user_id, event_name, event_time)',
} as const;
type IndexName = keyof typeof INDEXES;

const LEAD = 'lead: { fields: [user_id, phone, trigger.event_time, trigger.item_id] }\n';
/** A bench job: high and top tier users (plus `audienceExtra` lines), the trigger text, the lead. */
const benchJob = (trigger: string, audienceExtra = '') =>
  `name: bench\nsource: bench\ntimezone: Asia/Shanghai\naudience:\n  table: dim_user\n  where: { value_tier: [high, top] }\n${audienceExtra}trigger:\n${trigger}${LEAD}`;
/** The fridge viewer: a long view of a Siemens fridge over 5,000 on the app or Douyin. */
const FRIDGE_VIEW = `  table: events
  event: view_item
  within: 24h
  where: { duration_s: { gte: 60 }, channel: [app, douyin] }
  item: { table: dim_item, key: item_id, where: { brand: 西门子, category: fridge, price: { gt: 5000 } } }
`;
export const SCENARIOS = {
  // The reference the issue-13 rules are measured against: the same trigger with no rule on B.
  'plain trigger': benchJob(FRIDGE_VIEW),
  // Issue 13: B with item conditions ("did not buy a fridge"), not any payment.
  'fridge not_followed_by a fridge payment (item-aware)': benchJob(
    `${FRIDGE_VIEW}  not_followed_by: { event: pay_order, within: 30m, item: { where: { category: fridge } } }\n`,
  ),
  // Issue 13: counted behaviour over the whole 30 days of events, next to the same trigger.
  'plain trigger + behaviour count (3+ payments in 30d)': benchJob(
    FRIDGE_VIEW,
    '  behaviour:\n    - { table: events, event: pay_order, within: 30d, count: { gte: 3 } }\n',
  ),
  'fridge not_followed_by': benchJob(`${FRIDGE_VIEW}  not_followed_by: { event: pay_order, within: 30m }\n`),
  'cart followed_by (2 steps)': benchJob(`  table: events
  event: view_item
  within: 24h
  followed_by:
    - { event: add_cart, within: 1h }
    - { event: checkout, within: 1h, where: { amount: { gt: 0 } } }
`),
};

const server = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
};

type Conn = mysql.Connection;

const seconds = (from: number) => (performance.now() - from) / 1000;
const log = (line: string) => process.stdout.write(`${line}\n`);

export async function isBuilt(conn: Conn): Promise<boolean> {
  const [rows] = await conn.query(
    "select 1 from information_schema.tables where table_schema = ? and table_name = 'bench_meta'",
    [DATABASE],
  );
  if ((rows as unknown[]).length === 0) return false;
  const [marker] = await conn.query("select v from bench_meta where k = 'build'");
  return (marker as { v: string }[])[0]?.v === BUILD_MARKER;
}

// Deterministic pseudo-randomness from CRC32 of the sequence number, so every build is the same.
// Sessions start in id order over the 30 days, as an append-only event log is written: the
// rows of one day sit together in the clustered primary key, as they do in production.
export async function build(conn: Conn): Promise<void> {
  const started = performance.now();
  await conn.query(`drop table if exists bench_meta, events, dim_item, dim_user`);
  await conn.query(
    `create table dim_user (user_id bigint primary key, name varchar(32), phone varchar(16), value_tier varchar(8), income int) engine=InnoDB`,
  );
  await conn.query(
    `create table dim_item (item_id int primary key, item_name varchar(64), brand varchar(16), category varchar(16), price decimal(10,2)) engine=InnoDB`,
  );
  await conn.query(`create table events (id bigint primary key, user_id bigint not null, event_name varchar(32) not null, event_time datetime not null,
    item_id int, duration_s int, channel varchar(16), amount decimal(14,2)) engine=InnoDB`);
  await conn.query(`insert into dim_user select seq, concat('user ', seq), concat('138', lpad(seq, 8, '0')),
    elt(crc32(seq) % 4 + 1, 'low', 'mid', 'high', 'top'), 3000 + crc32(seq) % 60000 from seq_1_to_${USERS}`);
  await conn.query(`insert into dim_item select seq, concat('item ', seq), elt((seq div 6) % 6 + 1, '西门子', '海尔', '美的', '格力', '小米', '松下'),
    elt(seq % 6 + 1, 'fridge', 'washer', 'tv', 'kitchen', 'hotel', 'phone'),
    if(seq % 6 = 0, 1999 + crc32(seq) % 14000, 99 + crc32(seq) % 8900) from seq_1_to_${ITEMS}`);
  // Session s = (seq - 1) div 4 of one user on one item starting at t0; step k = (seq - 1) % 4.
  for (let low = 1; low <= EVENTS; low += CHUNK) {
    const high = Math.min(EVENTS, low + CHUNK - 1);
    await conn.query(
      `insert into events
      select seq, h % ${USERS} + 1, name,
        timestamp(?) - interval ${DAYS} day + interval ((seq - 1) div 4) * ${DAYS * 86400} div ${EVENTS / 4} + h % 300 + k * 600 + if(k = 0, 0, h2 % 1200) second,
        (h div 13) % ${ITEMS} + 1,
        if(name = 'view_item', h2 % 300, null),
        elt(h2 % 4 + 1, 'app', 'douyin', 'wechat', 'web'),
        if(name in ('pay_order', 'checkout'), h2 % 10000, null)
      from (select seq, k, h, h2,
              case k when 0 then 'view_item'
                     when 1 then if(h2 % 10 < 6, 'add_cart', 'view_item')
                     when 2 then case when h2 % 10 < 3 then 'pay_order' when h2 % 10 < 5 then 'checkout' else 'view_item' end
                     else case when h2 % 10 < 3 then 'checkout' when h2 % 10 < 5 then 'pay_order' else 'view_item' end end as name
            from (select seq, (seq - 1) % 4 as k, crc32((seq - 1) div 4) as h, crc32(seq) as h2 from seq_${low}_to_${high}) s) e`,
      [AT_SQL],
    );
    log(`  events ${high.toLocaleString('en')} (${seconds(started).toFixed(0)} s)`);
  }
  await conn.query(`analyze table dim_user, dim_item, events`);
  await conn.query(`create table bench_meta (k varchar(16) primary key, v varchar(64))`);
  await conn.query(`insert into bench_meta values ('build', ?)`, [BUILD_MARKER]);
  log(
    `built ${DATABASE}: ${USERS.toLocaleString('en')} users, ${ITEMS.toLocaleString('en')} items, ${EVENTS.toLocaleString('en')} events in ${seconds(started).toFixed(0)} s`,
  );
}

async function existingIndexes(conn: Conn): Promise<Set<string>> {
  const [rows] = await conn.query(
    `select distinct index_name as name from information_schema.statistics where table_schema = ? and table_name = 'events'`,
    [DATABASE],
  );
  return new Set((rows as { name: string }[]).map((r) => r.name));
}

export async function setIndexes(conn: Conn, wanted: IndexName[]): Promise<void> {
  const have = await existingIndexes(conn);
  for (const name of Object.keys(INDEXES) as IndexName[]) {
    const started = performance.now();
    if (wanted.includes(name) && !have.has(name)) {
      await conn.query(`alter table events add index ${name} ${INDEXES[name]}`);
      log(`  built index ${name} ${INDEXES[name]} in ${seconds(started).toFixed(0)} s`);
    } else if (!wanted.includes(name) && have.has(name)) {
      await conn.query(`alter table events drop index ${name}`);
    }
  }
}

function compile(jobText: string): { sql: string; values: unknown[] } {
  const job = loadJob('bench.yaml', undefined, {}, jobText);
  const { sql, bindings } = renderQuery(planJob(job, resolveRunTime(AT, job.timezone), 'mysql'));
  return { sql, values: bindings };
}

/** Runs the query to the last row; the time until then, or undefined when it hit the cap. */
async function timeQuery(conn: Conn, query: { sql: string; values: unknown[] }): Promise<{ s?: number; rows: number }> {
  const started = performance.now();
  try {
    // SET STATEMENT caps this query only (a session cap would also stop the index builds).
    const [rows] = await conn.query({
      sql: `set statement max_statement_time = ${TIMEOUT_S} for ${query.sql}`,
      values: query.values,
      rowsAsArray: true,
    });
    return { s: seconds(started), rows: (rows as unknown[]).length };
  } catch (err) {
    if (/max_statement_time|interrupted|1969/i.test(String((err as Error).message))) return { rows: 0 };
    throw err;
  }
}

async function explain(conn: Conn, query: { sql: string; values: unknown[] }): Promise<string[]> {
  const [rows] = await conn.query({ sql: `explain ${query.sql}`, values: query.values });
  return (rows as Record<string, unknown>[]).map(
    (r) =>
      `    ${String(r.id).padEnd(2)} ${String(r.select_type).padEnd(18)} ${String(r.table).padEnd(12)} ${String(r.type).padEnd(7)} ${String(r.key ?? '-').padEnd(15)} rows=${String(r.rows).padEnd(9)} ${r.Extra ?? ''}`,
  );
}

// Index sets in an order that changes one index at a time; ends on the recommended pair, so a
// rerun with BENCH_TRIGGER_QUICK=1 times only that without rebuilding anything.
const VARIANTS: { label: string; indexes: IndexName[] }[] = [
  { label: 'no secondary index', indexes: [] },
  { label: '(event_name, event_time) only', indexes: ['name_time'] },
  { label: '(user_id, event_name, event_time) only', indexes: ['user_name_time'] },
  { label: 'both (recommended)', indexes: ['name_time', 'user_name_time'] },
];

/**
 * Opt-in (BENCH_TRIGGER_BUFFER_POOL_MB): a buffer pool that holds the hot indexes, as a
 * production server has. The server's default (128 MiB, O_DIRECT) turns every index probe into
 * a disk read. Returns a function that restores the previous size.
 */
async function resizeBufferPool(conn: Conn, megabytes: number): Promise<() => Promise<void>> {
  const [[before]] = (await conn.query('select @@innodb_buffer_pool_size as size')) as unknown as [{ size: string }[]];
  const resize = async (bytes: number) => {
    await conn.query('set global innodb_buffer_pool_size = ?', [bytes]);
    // The resize runs in the background: wait for it (at most a minute).
    for (let i = 0; i < 120; i++) {
      const [[now]] = (await conn.query('select @@innodb_buffer_pool_size as size')) as unknown as [{ size: string }[]];
      const [status] = (await conn.query("show status like 'Innodb_buffer_pool_resize_status'")) as unknown as [
        { Value: string }[],
      ];
      if (Number(now.size) === bytes && !/resiz|started|withdraw/i.test(status[0]?.Value ?? '')) return;
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  await resize(megabytes * 2 ** 20);
  log(`innodb_buffer_pool_size set to ${megabytes} MiB for this run`);
  return () => resize(Number(before.size));
}

export async function run(): Promise<void> {
  const admin = await mysql.createConnection(server);
  await admin.query(`create database if not exists ${DATABASE} character set utf8mb4 collate utf8mb4_bin`);
  await admin.end();
  const conn = await mysql.createConnection({ ...server, database: DATABASE, dateStrings: true, charset: 'utf8mb4' });
  let restorePool = async () => {};
  try {
    if (process.env.BENCH_TRIGGER_BUFFER_POOL_MB)
      restorePool = await resizeBufferPool(conn, Number(process.env.BENCH_TRIGGER_BUFFER_POOL_MB));
    const [[version]] = (await conn.query('select version() as v, @@innodb_buffer_pool_size as pool')) as unknown as [
      { v: string; pool: string }[],
    ];
    log(`MariaDB ${version.v}, innodb_buffer_pool_size ${Math.round(Number(version.pool) / 2 ** 20)} MiB`);
    if (await isBuilt(conn)) log(`reusing ${DATABASE} (${EVENTS.toLocaleString('en')} events)`);
    else await build(conn);
    const queries = Object.entries(SCENARIOS).map(([name, text]) => ({ name, query: compile(text) }));
    const variants = process.env.BENCH_TRIGGER_QUICK === '1' ? VARIANTS.slice(-1) : VARIANTS;
    const show = (t: { s?: number }) => (t.s === undefined ? `> ${TIMEOUT_S} s (stopped)` : `${t.s.toFixed(2)} s`);
    const table: string[] = [];
    // Second-run seconds per scenario with the recommended indexes (the last variant).
    const seconds_ = new Map<string, number | undefined>();
    for (const variant of variants) {
      log(`\nindexes: ${variant.label}`);
      await setIndexes(conn, variant.indexes);
      for (const { name, query } of queries) {
        const first = await timeQuery(conn, query);
        const second = first.s === undefined ? first : await timeQuery(conn, query);
        const leads = first.s === undefined ? '?' : String(first.rows);
        log(`  ${name}: ${show(first)} first, ${show(second)} again; ${leads} leads`);
        log((await explain(conn, query)).join('\n'));
        table.push(`| ${variant.label} | ${name} | ${show(first)} | ${show(second)} | ${leads} |`);
        if (variant === variants[variants.length - 1]) seconds_.set(name, second.s);
      }
    }
    log(
      `\n| indexes on events | scenario | first run | second run | leads |\n|---|---|---|---|---|\n${table.join('\n')}`,
    );
    log(ratiosToPlain(seconds_));
  } finally {
    await restorePool();
    await conn.end();
  }
}

/** Each scenario's time as a ratio to the plain trigger's, with the recommended indexes. */
function ratiosToPlain(times: Map<string, number | undefined>): string {
  const plain = times.get('plain trigger');
  const rows = [...times]
    .filter(([name]) => name !== 'plain trigger')
    .map(([name, s]) => `| ${name} | ${plain && s ? `${(s / plain).toFixed(2)}x` : '-'} |`);
  return `\n| scenario (recommended indexes) | ÷ plain trigger |\n|---|---|\n${rows.join('\n')}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  run().catch((err) => {
    process.stderr.write(`${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  });
}
