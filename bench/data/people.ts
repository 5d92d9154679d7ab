// The people warehouse of the export benchmarks, the same rows on MariaDB, PostgreSQL and
// SQLite: 2,000,000 users and 500,000 orders, built once per engine from arithmetic on a
// sequence (no randomness, so every engine holds identical data) and reused while its marker
// row says it is complete.
//
// Users: tier by user_id % 20 (0-4 high, 5-9 top, 10-14 mid, 15-19 low), Chinese names (one in
// a thousand needs CSV quoting), five cities. Orders: order n belongs to user (n * 7919) mod 2M
// + 1, a permutation (7919 is prime to 2M), so 500,000 distinct buyers; orders with n % 5 in
// {0, 1} (200,000) were paid inside [AT - 30d, AT), the rest 31..330 days before. Half of those
// recent buyers are high/top, hence 1,000,000 - 100,000 = 900,000 leads for the export job.
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { log } from '../lib/measure.ts';

export const PEOPLE_DATABASE = 'crm_leads_bench';
export const USERS = 2_000_000;
export const ORDERS = 500_000;
/** Bump when the data's shape changes: a marker with another layout forces a rebuild. */
const LAYOUT = 1;
const CHUNK = 500_000;
export const AT = '2026-11-23T09:00:00';
export const AT_SQL = '2026-11-23 09:00:00';
/** The SQLite copy (a file the bench keeps between runs). */
export const SQLITE_PEOPLE = join(tmpdir(), 'crm-leads-bench', 'people.db');

export const MYSQL_SERVER = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
};
export const PG_SERVER = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD ?? '',
};

const TABLES = (bigint: string, text: (n: number) => string, time: string) => [
  `CREATE TABLE dim_user (user_id ${bigint} NOT NULL PRIMARY KEY, name ${text(64)} NOT NULL, phone ${text(20)} NOT NULL,
     city ${text(16)} NOT NULL, value_tier ${text(8)} NOT NULL, income INT NOT NULL)`,
  `CREATE TABLE orders (order_id ${bigint} NOT NULL PRIMARY KEY, user_id ${bigint} NOT NULL, category ${text(16)} NOT NULL,
     paid_at ${time} NOT NULL)`,
  'CREATE INDEX by_user_time ON orders (user_id, paid_at)',
];

// Per dialect: the sequence source, text concatenation, and the pieces that differ.
interface Sql {
  seq(from: number, to: number): string;
  cat(...parts: string[]): string;
  pad8(x: string): string;
  pick(index: string, values: string[]): string;
  minusSeconds(x: string): string;
  minusDays(x: string): string;
}

const SQL: Record<'mysql' | 'postgres' | 'sqlite', Sql> = {
  mysql: {
    seq: (from, to) => `seq_${from}_to_${to}`,
    cat: (...p) => `CONCAT(${p.join(', ')})`,
    pad8: (x) => `LPAD(${x}, 8, '0')`,
    pick: (i, v) => `ELT(1 + ${i}, ${v.map((s) => `'${s}'`).join(', ')})`,
    minusSeconds: (x) => `TIMESTAMP('${AT_SQL}') - INTERVAL (${x}) SECOND`,
    minusDays: (x) => `TIMESTAMP('${AT_SQL}') - INTERVAL (${x}) DAY`,
  },
  postgres: {
    seq: (from, to) => `generate_series(CAST(${from} AS bigint), ${to}) AS s(seq)`,
    cat: (...p) => `(${p.map((x) => `CAST(${x} AS text)`).join(' || ')})`,
    pad8: (x) => `lpad(CAST(${x} AS text), 8, '0')`,
    pick: (i, v) => `(ARRAY[${v.map((s) => `'${s}'`).join(', ')}])[1 + ${i}]`,
    minusSeconds: (x) => `TIMESTAMP '${AT_SQL}' - (${x}) * INTERVAL '1 second'`,
    minusDays: (x) => `TIMESTAMP '${AT_SQL}' - (${x}) * INTERVAL '1 day'`,
  },
  sqlite: {
    seq: (from, to) =>
      `(WITH RECURSIVE r(seq) AS (SELECT ${from} UNION ALL SELECT seq + 1 FROM r WHERE seq < ${to}) SELECT seq FROM r)`,
    cat: (...p) => `(${p.join(' || ')})`,
    pad8: (x) => `printf('%08d', ${x})`,
    pick: (i, v) => `CASE ${i} ${v.map((s, n) => `WHEN ${n} THEN '${s}'`).join(' ')} END`,
    minusSeconds: (x) => `datetime('${AT_SQL}', '-' || (${x}) || ' seconds')`,
    minusDays: (x) => `datetime('${AT_SQL}', '-' || (${x}) || ' days')`,
  },
};

function inserts(d: Sql): string[] {
  const out: string[] = [];
  for (let from = 1; from <= USERS; from += CHUNK)
    out.push(`INSERT INTO dim_user SELECT seq,
      CASE WHEN seq % 1000 = 0 THEN ${d.cat(`'Lee, "'`, 'seq', `'"'`)} ELSE ${d.cat(`'用户'`, 'seq')} END,
      ${d.cat(`'138'`, d.pad8('seq'))},
      ${d.pick('seq % 5', ['北京', '上海', '深圳', '杭州', '广州'])},
      CASE WHEN seq % 20 < 5 THEN 'high' WHEN seq % 20 < 10 THEN 'top' WHEN seq % 20 < 15 THEN 'mid' ELSE 'low' END,
      (seq * 37) % 50000
      FROM ${d.seq(from, Math.min(from + CHUNK - 1, USERS))}`);
  for (let from = 1; from <= ORDERS; from += CHUNK)
    out.push(`INSERT INTO orders SELECT seq, (seq * 7919) % ${USERS} + 1,
      ${d.pick('seq % 4', ['fridge', 'tv', 'washer', 'phone'])},
      CASE WHEN seq % 5 < 2 THEN ${d.minusSeconds(`1 + seq % (30 * 86400 - 1)`)} ELSE ${d.minusDays('31 + seq % 300')} END
      FROM ${d.seq(from, Math.min(from + CHUNK - 1, ORDERS))}`);
  return out;
}

interface Exec {
  query(sql: string): Promise<unknown[]>;
}

async function ensure(engine: string, db: Exec, dialect: keyof typeof SQL, ddl: string[]): Promise<void> {
  const marker = await db
    .query('SELECT users, orders, layout FROM bench_meta')
    .then((rows) => rows[0] as { users: number; orders: number; layout: number } | undefined)
    .catch(() => undefined);
  if (
    marker &&
    Number(marker.users) === USERS &&
    Number(marker.orders) === ORDERS &&
    Number(marker.layout) === LAYOUT
  ) {
    log(`${engine} people warehouse: reused (${USERS} users, ${ORDERS} orders)`);
    return;
  }
  log(`${engine} people warehouse: building ${USERS} users and ${ORDERS} orders ...`);
  const started = Date.now();
  for (const t of ['bench_meta', 'orders', 'dim_user']) await db.query(`DROP TABLE IF EXISTS ${t}`);
  for (const statement of [...ddl, ...inserts(SQL[dialect])]) await db.query(statement);
  await db.query(dialect === 'mysql' ? 'ANALYZE TABLE dim_user, orders' : 'ANALYZE');
  // The marker goes last: an interrupted build has none and is rebuilt next time.
  await db.query('CREATE TABLE bench_meta (users INT NOT NULL, orders INT NOT NULL, layout INT NOT NULL)');
  await db.query(`INSERT INTO bench_meta VALUES (${USERS}, ${ORDERS}, ${LAYOUT})`);
  log(`${engine} people warehouse built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

export async function ensureMysqlPeople(): Promise<void> {
  const conn = await mysql.createConnection({ ...MYSQL_SERVER, charset: 'utf8mb4' });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${PEOPLE_DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await conn.query(`USE ${PEOPLE_DATABASE}`);
    const ddl = TABLES('BIGINT', (n) => `VARCHAR(${n})`, 'DATETIME');
    await ensure('MariaDB', { query: async (s) => (await conn.query(s))[0] as unknown[] }, 'mysql', ddl);
  } finally {
    await conn.end();
  }
}

export async function ensurePostgresPeople(): Promise<void> {
  const admin = new pg.Client({ ...PG_SERVER, database: 'postgres' });
  await admin.connect();
  try {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PEOPLE_DATABASE]);
    if (exists.rowCount === 0)
      await admin.query(`CREATE DATABASE ${PEOPLE_DATABASE} ENCODING 'UTF8' TEMPLATE template0`);
  } finally {
    await admin.end();
  }
  const client = new pg.Client({ ...PG_SERVER, database: PEOPLE_DATABASE });
  await client.connect();
  try {
    const ddl = TABLES('BIGINT', (n) => `VARCHAR(${n})`, 'TIMESTAMP');
    await ensure('PostgreSQL', { query: async (s) => (await client.query(s)).rows }, 'postgres', ddl);
  } finally {
    await client.end();
  }
}

export async function ensureSqlitePeople(): Promise<void> {
  mkdirSync(join(tmpdir(), 'crm-leads-bench'), { recursive: true });
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(SQLITE_PEOPLE);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    const ddl = TABLES('INTEGER', () => 'TEXT', 'TEXT');
    await ensure(
      'SQLite',
      {
        query: async (s) => {
          if (/^\s*SELECT/i.test(s)) return db.prepare(s).all();
          db.exec(s);
          return [];
        },
      },
      'sqlite',
      ddl,
    );
  } finally {
    db.close();
  }
  if (!existsSync(SQLITE_PEOPLE)) throw new Error(`bench: ${SQLITE_PEOPLE} was not created`);
}
