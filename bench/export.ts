// CSV export of 900,000 leads on MariaDB, PostgreSQL and SQLite, each against the engine's own
// command-line client on the same SQL (the statement `crm-leads compile` prints):
//   MariaDB     crm-leads run --csv  vs  mysql --batch -e SQL            (goal <= 1.0)
//   PostgreSQL  crm-leads run --csv  vs  psql -c "COPY (SQL) TO STDOUT CSV"  (goal <= 1.3)
//   SQLite      crm-leads run --csv  vs  sqlite3 -csv FILE SQL            (goal <= 1.5)
// Alternating pairs in one process; the ratio is the median of the per-pair ratios. A client
// that is not installed is reported as such (the bench installs nothing). Peak RSS of crm-leads
// at 100k, 900k and 2M leads on every engine (goal <= 120 MB, growing <= 10 MB to 2M).
//
//   npm run bench -- export        BENCH_PAIRS=N (default 3)   BENCH_PROFILE=1: --cpu-prof areas
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  AT,
  ensureMysqlPeople,
  ensurePostgresPeople,
  ensureSqlitePeople,
  MYSQL_SERVER,
  PEOPLE_DATABASE,
  PG_SERVER,
  SQLITE_PEOPLE,
  USERS,
} from './data/people.ts';
import { alternate, hasCommand, lineCount, log, measure, median, type Measured, type TableRow } from './lib/measure.ts';

const BIN = fileURLToPath(new URL('../bin/crm-leads.js', import.meta.url));
const EXPECTED_LEADS = 900_000;
const PAIRS = Number(process.env.BENCH_PAIRS ?? 3);

type Engine = 'mysql' | 'postgres' | 'sqlite';

interface EngineSetup {
  label: string;
  goal: number;
  client: string;
  ensure(): Promise<void>;
  connection: string;
  /** The client's command line for `sql`, writing rows to stdout. */
  clientArgs(sql: string): string[];
  clientName: string;
}

const ENGINES: Record<Engine, EngineSetup> = {
  mysql: {
    label: 'MariaDB',
    goal: 1.0,
    client: 'mysql',
    clientName: 'mysql --batch',
    ensure: ensureMysqlPeople,
    connection: `{ type: mysql, host: "${MYSQL_SERVER.host}", port: ${MYSQL_SERVER.port}, user: "${MYSQL_SERVER.user}", password: "${MYSQL_SERVER.password}", database: ${PEOPLE_DATABASE} }`,
    clientArgs: (sql) => [
      '--batch',
      '-h',
      MYSQL_SERVER.host,
      '-P',
      String(MYSQL_SERVER.port),
      '-u',
      MYSQL_SERVER.user,
      ...(MYSQL_SERVER.password ? [`-p${MYSQL_SERVER.password}`] : []),
      PEOPLE_DATABASE,
      '-e',
      sql,
    ],
  },
  postgres: {
    label: 'PostgreSQL',
    goal: 1.3,
    client: 'psql',
    clientName: 'psql COPY ... TO STDOUT CSV',
    ensure: ensurePostgresPeople,
    connection: `{ type: postgres, host: "${PG_SERVER.host}", port: ${PG_SERVER.port}, user: "${PG_SERVER.user}", password: "${PG_SERVER.password}", database: ${PEOPLE_DATABASE} }`,
    clientArgs: (sql) => [
      '-X',
      '-q',
      '-h',
      PG_SERVER.host,
      '-p',
      String(PG_SERVER.port),
      '-U',
      PG_SERVER.user,
      '-d',
      PEOPLE_DATABASE,
      '-c',
      `COPY (${sql}) TO STDOUT WITH (FORMAT csv, HEADER)`,
    ],
  },
  sqlite: {
    label: 'SQLite',
    goal: 1.5,
    client: 'sqlite3',
    clientName: 'sqlite3 -csv',
    ensure: ensureSqlitePeople,
    connection: `{ type: sqlite, path: "${SQLITE_PEOPLE}" }`,
    clientArgs: (sql) => ['-csv', '-header', '-readonly', SQLITE_PEOPLE, sql],
  },
};

const JOB = (source: string, options: { limit?: number; everyone?: boolean } = {}) => `name: bench-export
source: ${source}
timezone: UTC
audience:
  table: dim_user${options.everyone ? '' : '\n  segments: { value_tier: [high, top] }'}
${options.everyone ? '' : 'exclude:\n  converted: { table: orders, time: paid_at, within: 30d }\n'}lead:
  fields: [user_id, name, phone, city, income]${options.limit ? `\n  limit: ${options.limit}` : ''}
`;

/** Heap cost of a Set<string> of one million keys, as the cooldown / converted-key sets hold them. */
export function keySetCost(): { stringMb: number; numberMb: number } {
  const script = `
    const keys = Number(process.argv[1]);
    const heap = () => { gc(); gc(); return process.memoryUsage().heapUsed; };
    let before = heap();
    let set = new Set();
    for (let i = 0; i < keys; i++) set.add(String(10000000 + i * 7));
    const stringMb = (heap() - before) / 1048576;
    set = null;
    before = heap();
    set = new Set();
    for (let i = 0; i < keys; i++) set.add(10000000 + i * 7);
    const numberMb = (heap() - before) / 1048576;
    console.log(JSON.stringify({ stringMb, numberMb, size: set.size }));`;
  const r = spawnSync(process.execPath, ['--expose-gc', '-e', script, '1000000'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

// Self time of one --cpu-prof run, summed by area, so a missed goal names its cause.
const AREAS: [string, RegExp][] = [
  [
    'run ledger (src/state, knex, better-sqlite3)',
    /\/src\/state\/|\/dist\/state\/|knex|better-sqlite3|tracked-destinations/,
  ],
  ['warehouse driver (mysql2, pg, better-sqlite3)', /mysql2|\/pg\/|pg-protocol|pg-query-stream|\/warehouses\//],
  ['CSV writing', /\/destinations\/|node:buffer|node:fs|internal\/fs/],
  ['stream loop and filters', /\/(src|dist)\/run\//],
  ['waiting (idle)', /^\(idle\)$/],
  ['garbage collection', /^\(garbage collector\)$/],
];

function profileAreas(dir: string): { area: string; ms: number }[] {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).size - statSync(a).size)[0];
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: { id: number; callFrame: { functionName: string; url: string } }[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)!.callFrame;
    const area = AREAS.find(([, p]) => p.test(frame.url) || p.test(frame.functionName))?.[0] ?? 'start-up and the rest';
    totals.set(area, (totals.get(area) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms);
}

async function benchEngine(engine: Engine, dir: string): Promise<TableRow[]> {
  const setup = ENGINES[engine];
  await setup.ensure();
  const source = `bench_${engine}`;
  writeFileSync(join(dir, `${engine}.yaml`), JOB(source));
  writeFileSync(join(dir, `${engine}-100k.yaml`), JOB(source, { limit: 100_000 }));
  writeFileSync(join(dir, `${engine}-2m.yaml`), JOB(source, { everyone: true }));
  const cli = (...args: string[]) => [BIN, ...args, '--at', AT, '--connections', 'connections.yaml'];
  // Every run starts from an empty run ledger, as a day's first run would.
  const freshLedger = () => rmSync(join(dir, '.crm-leads'), { recursive: true, force: true });
  const crmRun = async (job: string, csv: string, extra: string[] = []) => {
    freshLedger();
    const m = await measure(process.execPath, [...extra, ...cli('run', job, '--csv', csv)], {
      cwd: dir,
      stdoutFile: join(dir, 'summary.json'),
    });
    return { ...m, rows: lineCount(csv) - 1 };
  };
  const csv = join(dir, 'leads.csv');
  const rss = async (job: string, expected: number) => {
    const m = await crmRun(job, csv);
    if (m.rows !== expected) throw new Error(`${setup.label} ${job}: expected ${expected} leads, got ${m.rows}`);
    return m;
  };

  const rows: TableRow[] = [];
  const work = `CSV export, 900k leads, ${setup.label}`;
  if (!hasCommand(setup.client)) {
    log(`${setup.label}: the ${setup.client} client is not installed: no ratio measured (the bench installs nothing)`);
    rows.push({
      work,
      goal: `<= ${setup.goal.toFixed(1)}x ${setup.clientName}`,
      detail: `${setup.client} not installed`,
    });
  } else {
    const compiled = spawnSync(process.execPath, cli('compile', `${engine}.yaml`), { cwd: dir, encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`compile failed: ${compiled.stderr}`);
    const sql = compiled.stdout
      .split('\n')
      .filter((l) => !l.startsWith('--'))
      .join('\n')
      .trim()
      .replace(/;$/, '');
    const out = join(dir, 'client.out');
    const pairs = await alternate<Measured & { rows: number }>(
      PAIRS,
      () => crmRun(`${engine}.yaml`, csv),
      async () => ({
        ...(await measure(setup.client, setup.clientArgs(sql), { cwd: dir, stdoutFile: out })),
        rows: lineCount(out) - 1,
      }),
      (m) => m.seconds,
    );
    for (const [i, r] of pairs.ratios.entries()) {
      const [a, b] = [pairs.a[i], pairs.b[i]];
      if (a.rows !== EXPECTED_LEADS || b.rows !== EXPECTED_LEADS)
        throw new Error(
          `${setup.label}: expected ${EXPECTED_LEADS} leads; crm-leads wrote ${a.rows}, ${setup.client} ${b.rows}`,
        );
      log(
        `  pair ${i + 1}: crm-leads ${a.seconds.toFixed(2)} s (peak RSS ${a.peakMb.toFixed(0)} MB) | ${setup.clientName} ${b.seconds.toFixed(2)} s (${b.peakMb.toFixed(0)} MB) | ratio ${r.toFixed(2)}`,
      );
    }
    const ratio = median(pairs.ratios);
    rows.push({
      work,
      ratio,
      goal: `<= ${setup.goal.toFixed(1)}x ${setup.clientName}`,
      met: ratio <= setup.goal,
      detail: `crm-leads ${median(pairs.a.map((m) => m.seconds)).toFixed(2)} s, ${setup.clientName} ${median(pairs.b.map((m) => m.seconds)).toFixed(2)} s; pairs ${pairs.ratios.map((r) => r.toFixed(2)).join(', ')}`,
    });
  }
  const small = await rss(`${engine}-100k.yaml`, 100_000);
  const mid = await rss(`${engine}.yaml`, EXPECTED_LEADS);
  const all = await rss(`${engine}-2m.yaml`, USERS);
  const peak = Math.max(small.peakMb, mid.peakMb, all.peakMb);
  const growth = all.peakMb - small.peakMb;
  rows.push({
    work: `peak RSS, 100k -> 900k -> 2M leads, ${setup.label}`,
    goal: '<= 120 MB, growing <= 10 MB',
    met: peak <= 120 && growth <= 10,
    detail: `${small.peakMb.toFixed(0)} / ${mid.peakMb.toFixed(0)} / ${all.peakMb.toFixed(0)} MB (growth ${growth.toFixed(0)} MB); 2M run ${all.seconds.toFixed(2)} s`,
  });
  if (process.env.BENCH_PROFILE === '1') {
    const profileDir = join(dir, `profile-${engine}`);
    await crmRun(`${engine}.yaml`, csv, ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
    const areas = profileAreas(profileDir);
    const total = areas.reduce((n, a) => n + a.ms, 0);
    log(
      `  where crm-leads' main thread spends a 900k ${setup.label} run (--cpu-prof, ${(total / 1000).toFixed(1)} s):`,
    );
    for (const a of areas)
      log(
        `    ${a.area.padEnd(48)} ${(a.ms / 1000).toFixed(2).padStart(6)} s ${((100 * a.ms) / total).toFixed(0).padStart(3)}%`,
      );
  }
  rmSync(csv, { force: true });
  return rows;
}

export async function run(): Promise<TableRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-export-'));
  try {
    writeFileSync(
      join(dir, 'connections.yaml'),
      Object.entries(ENGINES)
        .map(([engine, s]) => `bench_${engine}: ${s.connection}\n`)
        .join(''),
    );
    const engines = (process.env.BENCH_ENGINES?.split(',') ?? Object.keys(ENGINES)) as Engine[];
    const rows: TableRow[] = [];
    for (const engine of engines) {
      log(`\n${ENGINES[engine].label}:`);
      rows.push(...(await benchEngine(engine, dir)));
    }
    const keys = keySetCost();
    rows.push({
      work: 'cooldown / converted key set, per million keys',
      goal: 'reported',
      detail: `${keys.stringMb.toFixed(1)} MB as Set<string>; ${keys.numberMb.toFixed(1)} MB as Set<number>`,
    });
    for (const r of rows) log(`${r.work}: ${r.ratio?.toFixed(2) ?? '-'} (${r.goal}) ${r.detail}`);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
