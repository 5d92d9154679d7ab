// Sequence triggers over 10M events: the SQL crm-leads generates (load -> plan -> render, what
// `run` executes) against the hand-written window-function queries of
// bench/alternatives/sequences.ts, on MariaDB and PostgreSQL, both indexes in place
// ((event_name, event_time) and (user_id, event_name, event_time)). Alternating pairs on one
// connection, each query read to its last row; both must return the same leads. Goal <= 1.1x.
//
//   npm run bench -- sequences        BENCH_PAIRS=N (default 3)   BENCH_ENGINES=mysql,postgres
import { pathToFileURL } from 'node:url';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { loadJob } from '../src/config/load-job.ts';
import { planJob } from '../src/plan/plan.ts';
import { resolveRunTime } from '../src/plan/time.ts';
import { renderForDialect } from '../src/sql/render.ts';
import { followedBy, notFollowedBy, type SqlDialect } from './alternatives/sequences.ts';
import { ensurePostgresEvents, TRIGGER_DATABASE } from './data/events.ts';
import { MYSQL_SERVER, PG_SERVER } from './data/people.ts';
import { alternate, log, median, type TableRow } from './lib/measure.ts';
import { build, isBuilt, SCENARIOS, setIndexes } from './trigger.ts';

const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);
const AT = '2026-11-23T09:00:00';

interface Query {
  sql: string;
  values: unknown[];
}

interface Runner {
  /** Seconds to the last row, and the leads as comparable text (user_id|event_time|item_id). */
  time(q: Query, columns: number[]): Promise<{ seconds: number; leads: string[] }>;
  close(): Promise<void>;
}

async function compile(text: string, dialect: SqlDialect): Promise<Query> {
  const job = loadJob('bench.yaml', undefined, {}, text);
  const { sql, bindings } = await renderForDialect(planJob(job, resolveRunTime(AT, job.timezone), dialect));
  return { sql, values: bindings };
}

const leadsOf = (rows: unknown[][], columns: number[]) =>
  rows.map((r) => columns.map((c) => String(r[c])).join('|')).sort();

async function mysqlRunner(): Promise<Runner> {
  const admin = await mysql.createConnection(MYSQL_SERVER);
  await admin.query(`CREATE DATABASE IF NOT EXISTS ${TRIGGER_DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  await admin.end();
  const conn = await mysql.createConnection({
    ...MYSQL_SERVER,
    database: TRIGGER_DATABASE,
    dateStrings: true,
    charset: 'utf8mb4',
  });
  if (!(await isBuilt(conn))) await build(conn);
  await setIndexes(conn, ['name_time', 'user_name_time']);
  return {
    async time(q, columns) {
      const started = performance.now();
      const [rows] = await conn.query({ sql: q.sql, values: q.values, rowsAsArray: true });
      return { seconds: (performance.now() - started) / 1000, leads: leadsOf(rows as unknown[][], columns) };
    },
    close: () => conn.end(),
  };
}

async function postgresRunner(): Promise<Runner> {
  await ensurePostgresEvents();
  const client = new pg.Client({
    ...PG_SERVER,
    database: TRIGGER_DATABASE,
    types: {
      getTypeParser: ((oid: number, format: string) =>
        oid === 1114 ? (v: string) => v : pg.types.getTypeParser(oid, format as 'text')) as never,
    },
  });
  await client.connect();
  return {
    async time(q, columns) {
      const started = performance.now();
      const { rows } = await client.query({ text: q.sql, values: q.values, rowMode: 'array' });
      return { seconds: (performance.now() - started) / 1000, leads: leadsOf(rows as unknown[][], columns) };
    },
    close: () => client.end(),
  };
}

const CASES = [
  {
    scenario: 'cart followed_by (2 steps)',
    label: '`followed_by` (view -> cart -> checkout)',
    alternative: followedBy,
  },
  { scenario: 'fridge not_followed_by', label: '`not_followed_by` (fridge)', alternative: notFollowedBy },
] as const;

export async function run(): Promise<TableRow[]> {
  const engines = (process.env.BENCH_ENGINES?.split(',') ?? ['mysql', 'postgres']) as SqlDialect[];
  const rows: TableRow[] = [];
  for (const dialect of engines) {
    const engine = dialect === 'mysql' ? 'MariaDB' : 'PostgreSQL';
    log(`\n${engine}, 10M events:`);
    const runner = dialect === 'mysql' ? await mysqlRunner() : await postgresRunner();
    try {
      for (const c of CASES) {
        const generated = await compile(SCENARIOS[c.scenario], dialect);
        const handWritten = { sql: c.alternative(dialect), values: [] };
        // One untimed run of each first: the first query to read the events after another case
        // would otherwise pay for the cold cache (2.3x in the first pair on PostgreSQL).
        await runner.time(generated, [0]);
        await runner.time(handWritten, [0]);
        // Generated: user_id, user_id, phone, event_time, item_id; hand-written: user_id, phone, event_time, item_id.
        const pairs = await alternate(
          PAIRS,
          () => runner.time(generated, [0, 3, 4]),
          () => runner.time(handWritten, [0, 2, 3]),
          (m) => m.seconds,
        );
        const same = pairs.a.every((m, i) => m.leads.join('\n') === pairs.b[i].leads.join('\n'));
        if (!same)
          throw new Error(
            `${engine} ${c.scenario}: crm-leads returned ${pairs.a[0].leads.length} leads, the hand-written query ${pairs.b[0].leads.length}, not the same`,
          );
        const ratio = median(pairs.ratios);
        const row: TableRow = {
          work: `${c.label}, 10M events, ${engine}`,
          ratio,
          goal: '<= 1.1x hand-written window SQL',
          met: ratio <= 1.1,
          detail: `crm-leads ${median(pairs.a.map((m) => m.seconds)).toFixed(2)} s, hand-written ${median(pairs.b.map((m) => m.seconds)).toFixed(2)} s, ${pairs.a[0].leads.length} leads; pairs ${pairs.ratios.map((r) => r.toFixed(2)).join(', ')}`,
        };
        log(`  ${row.work}: ${ratio.toFixed(2)} (${row.detail})`);
        rows.push(row);
      }
    } finally {
      await runner.close();
    }
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
