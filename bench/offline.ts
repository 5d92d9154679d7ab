// Benchmark: the offline export (issue 2). crm-leads against the `mysql --batch` client on the
// same SQL, over a MariaDB warehouse of 2,000,000 users and 500,000 orders.
//
// Builds `crm_leads_bench` once (reused while its marker row says it is complete) with
// INSERT ... SELECT from MariaDB's SEQUENCE engine. The job exports the high/top-tier users
// (half of them) not converted in the 30 days before AT: 1,000,000 - 100,000 = 900,000 leads.
// Then, alternating, three pairs: `crm-leads run --csv FILE` and `mysql --batch -e SQL > FILE`
// (the SQL printed by `crm-leads compile`). Prints the median time ratio, crm-leads' peak RSS
// at 100k and 900k leads (goals: ratio <= 1.3, RSS <= 150 MB) and the memory cost of the
// cross-connection conversion key Set per million keys.
//
//   npm run bench -- offline        (through bench/run.ts)
//   npx tsx bench/offline.ts        (alone)
// Server from MYSQL_HOST / MYSQL_PORT / MYSQL_USER / MYSQL_PASSWORD (default root@127.0.0.1:3306).
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import mysql from 'mysql2/promise';

const DATABASE = 'crm_leads_bench';
const USERS = 2_000_000;
const ORDERS = 500_000;
/** Bump when the data's shape changes: a marker with another layout forces a rebuild. */
const LAYOUT = 1;
const CHUNK = 500_000;
const AT = '2026-11-23T09:00:00';
const AT_SQL = '2026-11-23 09:00:00';
const EXPECTED_LEADS = 900_000;
const PAIRS = 3;
const BIN = fileURLToPath(new URL('../bin/crm-leads.js', import.meta.url));
const TIME = '/usr/bin/time';

const server = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD ?? '',
};

// --- the warehouse ---------------------------------------------------------------------------

// Users: tier by user_id % 20 (0-4 high, 5-9 top, 10-14 mid, 15-19 low), Chinese names (one in
// a thousand needs CSV quoting), five cities. Orders: order n belongs to user (n * 7919) mod 2M
// + 1, a permutation (7919 is prime to 2M), so 500,000 distinct buyers; orders with n % 5 in
// {0, 1} (200,000) were paid inside [AT - 30d, AT), the rest 31..330 days before. Half of those
// recent buyers are high/top (user % 20 = (1 - n) mod 20), hence 1,000,000 - 100,000 leads.
const BUILD = [
  `CREATE TABLE dim_user (
     user_id BIGINT NOT NULL PRIMARY KEY,
     name VARCHAR(64) NOT NULL,
     phone VARCHAR(20) NOT NULL,
     city VARCHAR(16) NOT NULL,
     value_tier VARCHAR(8) NOT NULL,
     income INT NOT NULL
   ) ENGINE=InnoDB`,
  `CREATE TABLE orders (
     order_id BIGINT NOT NULL PRIMARY KEY,
     user_id BIGINT NOT NULL,
     category VARCHAR(16) NOT NULL,
     paid_at DATETIME NOT NULL,
     KEY by_user_time (user_id, paid_at)
   ) ENGINE=InnoDB`,
];

const insertUsers = (from: number, to: number) => `INSERT INTO dim_user
  SELECT seq,
    CASE WHEN seq % 1000 = 0 THEN CONCAT('Lee, "', seq, '"') ELSE CONCAT('用户', seq) END,
    CONCAT('138', LPAD(seq, 8, '0')),
    ELT(1 + seq % 5, '北京', '上海', '深圳', '杭州', '广州'),
    CASE WHEN seq % 20 < 5 THEN 'high' WHEN seq % 20 < 10 THEN 'top' WHEN seq % 20 < 15 THEN 'mid' ELSE 'low' END,
    (seq * 37) % 50000
  FROM seq_${from}_to_${to}`;

const insertOrders = (from: number, to: number) => `INSERT INTO orders
  SELECT seq, (seq * 7919) % ${USERS} + 1,
    ELT(1 + seq % 4, 'fridge', 'tv', 'washer', 'phone'),
    CASE WHEN seq % 5 < 2 THEN TIMESTAMP('${AT_SQL}') - INTERVAL (1 + seq % (30 * 86400 - 1)) SECOND
         ELSE TIMESTAMP('${AT_SQL}') - INTERVAL (31 + seq % 300) DAY END
  FROM seq_${from}_to_${to}`;

async function ensureWarehouse(): Promise<void> {
  const conn = await mysql.createConnection({ ...server, charset: 'utf8mb4' });
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
    await conn.query(`USE ${DATABASE}`);
    const marker = await conn
      .query('SELECT users, orders, layout FROM bench_meta')
      .then(([rows]) => (rows as { users: number; orders: number; layout: number }[])[0])
      .catch(() => undefined);
    if (marker && marker.users === USERS && marker.orders === ORDERS && marker.layout === LAYOUT) {
      log(`warehouse ${DATABASE}: reused (${USERS} users, ${ORDERS} orders)`);
      return;
    }
    log(`warehouse ${DATABASE}: building ${USERS} users and ${ORDERS} orders ...`);
    const started = Date.now();
    await conn.query('DROP TABLE IF EXISTS bench_meta, orders, dim_user');
    for (const statement of BUILD) await conn.query(statement);
    for (let from = 1; from <= USERS; from += CHUNK)
      await conn.query(insertUsers(from, Math.min(from + CHUNK - 1, USERS)));
    for (let from = 1; from <= ORDERS; from += CHUNK)
      await conn.query(insertOrders(from, Math.min(from + CHUNK - 1, ORDERS)));
    await conn.query('ANALYZE TABLE dim_user, orders');
    // The marker goes last: an interrupted build has none and is rebuilt next time.
    await conn.query('CREATE TABLE bench_meta (users INT NOT NULL, orders INT NOT NULL, layout INT NOT NULL)');
    await conn.query('INSERT INTO bench_meta VALUES (?, ?, ?)', [USERS, ORDERS, LAYOUT]);
    log(`warehouse built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await conn.end();
  }
}

// --- measuring one process -----------------------------------------------------------------------

interface Measured {
  seconds: number;
  /** Peak resident set size in MB (of the measured process). */
  peakMb: number;
  stderr: string;
}

/** Runs a command with stdout to a file; wall time, and peak RSS from /usr/bin/time -v or /proc. */
function measure(command: string, args: string[], stdoutFile: string, cwd: string): Promise<Measured> {
  const useTime = existsSync(TIME);
  const out = openSync(stdoutFile, 'w');
  const started = process.hrtime.bigint();
  const child = useTime
    ? spawn(TIME, ['-v', command, ...args], { cwd, stdio: ['ignore', out, 'pipe'] })
    : spawn(command, args, { cwd, stdio: ['ignore', out, 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  let polledKb = 0;
  // Without /usr/bin/time: poll the high-water mark the kernel keeps for the process.
  const poll = useTime
    ? undefined
    : setInterval(() => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) polledKb = Math.max(polledKb, Number(m[1]));
        } catch {
          /* exited */
        }
      }, 20);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (poll) clearInterval(poll);
      closeSync(out);
      if (code !== 0) return reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`));
      const kb = useTime ? Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? 0) : polledKb;
      resolve({ seconds, peakMb: kb / 1024, stderr });
    });
  });
}

const lineCount = (file: string) => {
  const text = readFileSync(file, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n;
};

// --- the cross-connection key Set --------------------------------------------------------------

/** Heap cost of a Set<string> of one million keys as converted-keys.ts builds it (String(id)). */
function measureKeySet(): { stringMb: number; numberMb: number } {
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

// --- where crm-leads' time goes ------------------------------------------------------------------

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

// Self time of one --cpu-prof run, summed by area, so a missed goal names its cause.
const AREAS: [string, RegExp][] = [
  ['run ledger (src/state, better-sqlite3)', /\/src\/state\/|better-sqlite3|tracked-destinations/],
  ['mysql2 driver', /mysql2/],
  ['CSV writing', /\/src\/destinations\/|node:buffer|node:fs|internal\/fs/],
  ['stream loop and filters', /\/src\/(run|warehouses)\//],
  ['waiting for the server', /^\(idle\)$/],
  ['garbage collection', /^\(garbage collector\)$/],
];

function profileAreas(file: string): { area: string; ms: number }[] {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    timeDeltas: number[];
  };
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)!.callFrame;
    const area =
      AREAS.find(([, pattern]) => pattern.test(frame.url) || pattern.test(frame.functionName))?.[0] ??
      'start-up and the rest';
    totals.set(area, (totals.get(area) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms);
}

// --- the run ---------------------------------------------------------------------------------------

const JOB = (name: string, limit?: number) => `name: ${name}
source: bench
timezone: UTC
audience:
  table: dim_user
  segments: { value_tier: [high, top] }
exclude:
  converted: { table: orders, time: paid_at, within: 30d }
lead:
  fields: [user_id, name, phone, city, income]${limit ? `\n  limit: ${limit}` : ''}
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const log = (line: string) => process.stdout.write(`${line}\n`);

export async function run(): Promise<void> {
  await ensureWarehouse();
  const dir = mkdtempSync(join(tmpdir(), 'crm-leads-bench-offline-'));
  try {
    writeFileSync(
      join(dir, 'connections.yaml'),
      `bench: { type: mysql, host: "${server.host}", port: ${server.port}, user: "${server.user}", password: "${server.password}", database: ${DATABASE} }\n`,
    );
    writeFileSync(join(dir, 'all.yaml'), JOB('bench-offline'));
    writeFileSync(join(dir, 'first100k.yaml'), JOB('bench-offline-100k', 100_000));
    const cli = (...args: string[]) => [BIN, ...args, '--at', AT, '--connections', 'connections.yaml'];
    // Every run starts from an empty run ledger (.crm-leads/ in the cwd), as a day's first run
    // would: with the previous run's rows in place its inserts would be ignored duplicates.
    const freshLedger = () => rmSync(join(dir, '.crm-leads'), { recursive: true, force: true });

    // The exact statement `run` executes, values written in, for the mysql client.
    const compiled = spawnSync(process.execPath, cli('compile', 'all.yaml'), { cwd: dir, encoding: 'utf8' });
    if (compiled.status !== 0) throw new Error(`compile failed: ${compiled.stderr}`);
    const sql = compiled.stdout
      .split('\n')
      .filter((l) => !l.startsWith('--'))
      .join('\n')
      .trim()
      .replace(/;$/, '');
    log(`SQL: ${sql}`);
    const mysqlArgs = [
      '--batch',
      '-h',
      server.host,
      '-P',
      String(server.port),
      '-u',
      server.user,
      ...(server.password ? [`-p${server.password}`] : []),
      DATABASE,
      '-e',
      sql,
    ];

    const crm: Measured[] = [];
    const client: Measured[] = [];
    for (let pair = 1; pair <= PAIRS; pair++) {
      const csv = join(dir, 'leads.csv');
      const tsv = join(dir, 'leads.tsv');
      freshLedger();
      crm.push(await measure(process.execPath, cli('run', 'all.yaml', '--csv', csv), join(dir, 'summary.json'), dir));
      client.push(await measure('mysql', mysqlArgs, tsv, dir));
      const leads = lineCount(csv) - 1;
      const rows = lineCount(tsv) - 1;
      if (leads !== EXPECTED_LEADS || rows !== EXPECTED_LEADS)
        throw new Error(`expected ${EXPECTED_LEADS} leads; crm-leads wrote ${leads}, mysql ${rows}`);
      log(
        `pair ${pair}: crm-leads ${crm.at(-1)!.seconds.toFixed(2)} s (${(statSync(csv).size / 1e6).toFixed(0)} MB CSV, peak RSS ${crm.at(-1)!.peakMb.toFixed(0)} MB) | mysql --batch ${client.at(-1)!.seconds.toFixed(2)} s`,
      );
      rmSync(csv);
      rmSync(tsv);
    }
    freshLedger();
    const small = await measure(
      process.execPath,
      cli('run', 'first100k.yaml', '--csv', join(dir, 'first100k.csv')),
      join(dir, 'summary.json'),
      dir,
    );
    const smallLeads = lineCount(join(dir, 'first100k.csv')) - 1;
    if (smallLeads !== 100_000) throw new Error(`expected 100000 leads, got ${smallLeads}`);
    const keySet = measureKeySet();
    // One more run under the V8 profiler (not timed): where crm-leads' own time goes.
    const profileDir = join(dir, 'profile');
    freshLedger();
    await measure(
      process.execPath,
      ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, ...cli('run', 'all.yaml', '--csv', join(dir, 'profiled.csv'))],
      join(dir, 'summary.json'),
      dir,
    );
    const mainProfile = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(profileDir, f))
      .sort((a, b) => statSync(b).size - statSync(a).size)[0];
    const areas = profileAreas(mainProfile);
    const profiledMs = areas.reduce((n, a) => n + a.ms, 0);

    const ratios = crm.map((c, i) => c.seconds / client[i].seconds);
    const ratio = median(ratios);
    const rss900k = Math.max(...crm.map((c) => c.peakMb));
    log('');
    log(`leads: ${EXPECTED_LEADS} (5 fields) from ${USERS} users / ${ORDERS} orders, MariaDB ${DATABASE}`);
    log(
      `crm-leads median ${median(crm.map((c) => c.seconds)).toFixed(2)} s, mysql --batch median ${median(client.map((c) => c.seconds)).toFixed(2)} s`,
    );
    log(
      `median time ratio crm-leads / mysql --batch: ${ratio.toFixed(2)} (pairs: ${ratios.map((r) => r.toFixed(2)).join(', ')}) goal <= 1.3: ${ratio <= 1.3 ? 'met' : 'MISSED'}`,
    );
    log(
      `crm-leads peak RSS: ${small.peakMb.toFixed(0)} MB at 100k leads (${small.seconds.toFixed(2)} s), ${rss900k.toFixed(0)} MB at 900k leads; goal <= 150 MB: ${Math.max(small.peakMb, rss900k) <= 150 ? 'met' : 'MISSED'}`,
    );
    log(`where crm-leads' main thread spends a 900k run (--cpu-prof, ${(profiledMs / 1000).toFixed(1)} s):`);
    for (const a of areas)
      log(
        `  ${a.area.padEnd(40)} ${(a.ms / 1000).toFixed(2).padStart(6)} s  ${((100 * a.ms) / profiledMs).toFixed(0).padStart(3)}%`,
      );
    log(
      `cross-connection key Set: ${keySet.stringMb.toFixed(1)} MB per million string keys (Set<string>, as converted-keys.ts builds it); ${keySet.numberMb.toFixed(1)} MB as Set<number>`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
