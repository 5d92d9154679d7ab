// Hive end to end (issue 5): the real CLI and the unmodified hive-driver against the HiveServer2
// test server (test/support/hive-server: real Thrift TCLIService, statements executed on
// MariaDB). The offline, trigger and sequence jobs must give the same leads through Hive as on
// MySQL directly (and as computed by hand in the fixtures); every transport connects; each
// failure (bad credentials, missing table, dead host, a server that never answers, Ctrl-C
// mid-stream) ends with one line that says why, and exit 1.
//
// What this does not prove: that a real Hive accepts these statements. The SQL engine behind
// the server is MariaDB; every statement is also checked with Hive's grammar in
// test/unit/hive-render.test.ts and hive-literal.property.test.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planJob, type Shard } from '../../src/plan/plan.ts';
import { resolveRunTime } from '../../src/plan/time.ts';
import { renderHiveQuery } from '../../src/sql/hive/render-hive.ts';
import { renderQuery } from '../../src/sql/render-query.ts';
import type { ConnectionSpec } from '../../src/config/connection-schema.ts';
import { loadJob } from '../../src/config/load-job.ts';
import { openHive } from '../../src/warehouses/hive.ts';
import { openMysql } from '../../src/warehouses/mysql.ts';
import type { Warehouse } from '../../src/warehouses/warehouse.ts';
import { BIN, csvThenSummaryPerJob, runCli, type CliResult } from '../support/cli.ts';
import { createTestDatabase, testDatabaseName, loadFixture, type TestDatabase } from '../support/databases.ts';
import { startHiveTestServer, type HiveTestServer } from '../support/hive-server/index.ts';
import { hiveSyntaxErrors } from '../support/hiveql.ts';
import {
  crmTables,
  csvRows,
  MAIN_FUNNEL,
  OFFLINE_AT,
  OFFLINE_CASES,
  warehouseTables,
} from '../support/offline-fixture.ts';
import { AT as TRIGGER_AT, EXPECTED_LEADS, TRIGGER_JOBS, TRIGGER_TABLES } from '../support/trigger-fixture.ts';

const USERS = { analyst: 's3cret' };
const BIG_KEYS = ['9007199254740993', '-9223372036854775807', '9223372036854775807', '42'];
const HOSTILE_NAMES = [
  "O'Brien",
  'back\\slash',
  'C:\\new\\table',
  '\\u0041 not A',
  '\\012 not a newline',
  "'; DROP TABLE dim_user; --",
  '/* not a comment */',
  '-- nor this',
  '${env:HOME}',
  '${hiveconf:hive.root.logger}',
  'tab\there',
  'line\nbreak',
  'cr\rlf',
  '双引号 "quoted"',
  '😀 emoji',
  'percent % and _',
  'ends with \\',
  "''",
  '?',
  ':1',
];
const MANY_PEOPLE = 200_000;

const hiveYaml = (server: HiveTestServer, database: string, extra = '', fetchSize = 500) =>
  `{ type: hive, host: 127.0.0.1, port: ${server.port}, database: ${database}, connect_timeout: 10s, fetch_size: ${fetchSize}${extra} }`;

type HiveSpec = Extract<ConnectionSpec, { type: 'hive' }>;

/** A binary NOSASL connection to a test server on `port`, as the connections file's defaults give it. */
const nosaslSpec = (port: number, overrides: Partial<HiveSpec> = {}): HiveSpec => ({
  type: 'hive',
  host: '127.0.0.1',
  port,
  database: 'default',
  auth: 'nosasl',
  transport: 'binary',
  path: '/cliservice',
  tls: false,
  connect_timeout: '10s',
  query_timeout: '1m',
  hive_conf: {},
  fetch_size: 1000,
  ...overrides,
});

/** The CSV that `run --csv -` printed before its JSON summary line, as sorted data lines. */
const stdoutCsvRows = (stdout: string) =>
  stdout
    .split(/\r?\n/)
    .filter((l) => l !== '' && !l.startsWith('{'))
    .slice(1)
    .sort();

/** The error lines of a failed run: exactly one is expected, and no stack trace. */
function errorLines(r: CliResult): string[] {
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return r.stderr.split('\n').filter((l) => l.startsWith('error:'));
}

function writeJobs(dir: string, jobs: Record<string, string>): string[] {
  for (const [file, text] of Object.entries(jobs)) writeFileSync(join(dir, file), text);
  return Object.keys(jobs);
}

describe('Hive through the HiveServer2 test server (MariaDB behind it)', () => {
  let offline: TestDatabase;
  let trigger: TestDatabase;
  let nosasl: HiveTestServer;
  let plain: HiveTestServer;
  let http: HiveTestServer;
  const offlineJobs = Object.fromEntries(Object.entries(OFFLINE_CASES).map(([name, c]) => [`${name}.yaml`, c.yaml]));

  beforeAll(async () => {
    offline = await createTestDatabase('mysql', 'hive_offline');
    trigger = await createTestDatabase('mysql', 'hive_trigger');
    await loadFixture(offline, [
      ...warehouseTables(),
      ...crmTables(),
      {
        name: 'big_keys',
        columns: { user_id: 'bigInteger', name: 'string' },
        rows: BIG_KEYS.map((user_id, i) => ({ user_id, name: `big ${i}` })),
      },
      {
        name: 'odd_names',
        columns: { user_id: 'integer', name: 'string' },
        rows: HOSTILE_NAMES.map((name, i) => ({ user_id: i + 1, name })),
      },
    ]);
    await offline.knex.raw(
      `CREATE TABLE many_people AS SELECT seq AS user_id, CONCAT('138', LPAD(seq, 8, '0')) AS phone FROM seq_1_to_${MANY_PEOPLE}`,
    );
    await loadFixture(trigger, TRIGGER_TABLES);
    // The events as a Hive table partitioned by day would hold them: a dt column beside the time.
    await trigger.knex.raw(
      "CREATE TABLE events_p AS SELECT e.*, DATE_FORMAT(e.event_time, '%Y-%m-%d') AS dt FROM events e",
    );
    nosasl = await startHiveTestServer({ database: testDatabaseName('hive_offline') });
    plain = await startHiveTestServer({ database: testDatabaseName('hive_offline'), auth: 'plain', users: USERS });
    http = await startHiveTestServer({ database: testDatabaseName('hive_offline'), transport: 'http', users: USERS });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([nosasl?.close(), plain?.close(), http?.close()]);
    await offline?.drop();
    await trigger?.drop();
  });

  describe('the offline jobs', () => {
    const hiveDir = mkdtempSync(join(tmpdir(), 'crm-leads-hive-offline-'));
    const mysqlDir = mkdtempSync(join(tmpdir(), 'crm-leads-mysql-offline-'));
    let hiveRun: CliResult;
    let mysqlRun: CliResult;

    beforeAll(async () => {
      writeFileSync(
        join(hiveDir, 'connections.yaml'),
        `wh: ${hiveYaml(nosasl, testDatabaseName('hive_offline'))}\ncrm: ${offline.yaml}\n`,
      );
      writeFileSync(join(mysqlDir, 'connections.yaml'), `wh: ${offline.yaml}\ncrm: ${offline.yaml}\n`);
      const files = writeJobs(hiveDir, offlineJobs);
      writeJobs(mysqlDir, offlineJobs);
      [hiveRun, mysqlRun] = await Promise.all([
        runCli(['run', ...files, '--at', OFFLINE_AT], { cwd: hiveDir, timeoutMs: 120_000 }),
        runCli(['run', ...files, '--at', OFFLINE_AT], { cwd: mysqlDir, timeoutMs: 120_000 }),
      ]);
    }, 180_000);

    it('run with exit 0 on both', () => {
      expect(hiveRun.stderr).not.toMatch(/error/i);
      expect(hiveRun.code).toBe(0);
      expect(mysqlRun.code).toBe(0);
    });

    it.each(Object.keys(OFFLINE_CASES))(
      '%s: the same leads through Hive as on MySQL, and as computed by hand',
      (name) => {
        const c = OFFLINE_CASES[name];
        const viaHive = readFileSync(join(hiveDir, 'out', `${name}.csv`), 'utf8');
        const viaMysql = readFileSync(join(mysqlDir, 'out', `${name}.csv`), 'utf8');
        if (c.ordered) {
          expect(viaHive).toBe(c.csv);
          expect(viaHive).toBe(viaMysql);
        } else {
          expect(csvRows(viaHive)).toEqual(csvRows(c.csv));
          expect(csvRows(viaHive)).toEqual(csvRows(viaMysql));
        }
      },
    );

    it('sent HiveQL that Hive parses, with every value written in', () => {
      const selects = nosasl.statements.filter((s) => /^select/i.test(s));
      expect(selects.length).toBeGreaterThanOrEqual(Object.keys(OFFLINE_CASES).length);
      for (const sql of selects) expect(hiveSyntaxErrors(sql)).toEqual([]);
      expect(selects.join('\n')).toContain("`c`.`paid_at` >= TIMESTAMP '2026-10-24 09:00:00'");
    });

    it('counts the same dry-run funnel through Hive', async () => {
      const r = await runCli(['run', 'offline-main.yaml', '--at', OFFLINE_AT, '--dry-run'], { cwd: hiveDir });
      expect(r.code).toBe(0);
      expect(r.summary?.funnel).toEqual(MAIN_FUNNEL);
    });

    it('closes every session it opened', () => {
      expect(nosasl.sessionsOpen()).toBe(0);
    });
  });

  describe('the trigger and sequence jobs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-hive-trigger-'));
    const HEADER = 'user_id,trigger.event_time,trigger.item_id';
    const leadsOf = (r: CliResult) => {
      const out = new Map<string, string[]>();
      let rows: string[] = [];
      for (const line of csvThenSummaryPerJob(r).split(/\r?\n/)) {
        if (line.startsWith('{')) {
          out.set(String(JSON.parse(line).job), rows.filter((l) => l !== HEADER).sort());
          rows = [];
        } else if (line !== '') rows.push(line);
      }
      return out;
    };
    let viaHive: Map<string, string[]>;
    let viaMysql: Map<string, string[]>;
    let partitioned: Map<string, string[]>;
    let runs: CliResult[];

    beforeAll(async () => {
      writeFileSync(
        join(dir, 'connections.yaml'),
        `wh: ${hiveYaml(nosasl, testDatabaseName('hive_trigger'))}\nmy: ${trigger.yaml}\n`,
      );
      const files = writeJobs(dir, TRIGGER_JOBS);
      const onMysql = writeJobs(
        dir,
        Object.fromEntries(
          Object.entries(TRIGGER_JOBS).map(([f, t]) => [`mysql-${f}`, t.replace('source: wh', 'source: my')]),
        ),
      );
      // The same jobs on a day-partitioned events table: the window becomes a dt range too.
      const onPartitions = writeJobs(
        dir,
        Object.fromEntries(
          Object.entries(TRIGGER_JOBS).map(([f, t]) => [
            `partitioned-${f}`,
            t.replace('table: events', 'table: events_p\n  partition: { column: dt, format: yyyy-MM-dd }'),
          ]),
        ),
      );
      // Same job names in parallel: each run keeps its own ledger, or they would lock each other out.
      runs = await Promise.all(
        [files, onMysql, onPartitions].map((jobs, i) =>
          runCli(['run', ...jobs, '--at', TRIGGER_AT, '--csv', '-', '--state', join(dir, `state-${i}.db`)], {
            cwd: dir,
            timeoutMs: 120_000,
          }),
        ),
      );
      [viaHive, viaMysql, partitioned] = runs.map(leadsOf);
    }, 180_000);

    it('run with exit 0', () => {
      for (const r of runs) {
        expect(r.stderr).not.toMatch(/error/i);
        expect(r.code).toBe(0);
      }
    });

    it.each(Object.keys(EXPECTED_LEADS))('%s: the same leads through Hive as on MySQL, partitioned or not', (job) => {
      expect(viaHive.get(job)).toEqual(EXPECTED_LEADS[job]);
      expect(viaHive.get(job)).toEqual(viaMysql.get(job));
      expect(partitioned.get(job)).toEqual(EXPECTED_LEADS[job]);
    });

    it('pruned partitions with a dt range in every read of the events table', () => {
      const sql = nosasl.statements.find((s) => s.includes('`events_p`') && s.includes('`s2`'))!;
      expect(sql).toBeDefined();
      expect(sql.match(/`dt` >= '2026-11-22' and `\w+`\.`dt` <= '2026-11-23'/g)).toHaveLength(3);
      expect(sql).toContain("INTERVAL '3600' SECOND");
      expect(hiveSyntaxErrors(sql)).toEqual([]);
    });

    it('compile shows the HiveQL with the partition range, without connecting', async () => {
      const r = await runCli(['compile', 'partitioned-fridge-not-paid.yaml', '--at', TRIGGER_AT], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("`e`.`dt` >= '2026-11-22' and `e`.`dt` <= '2026-11-23'");
      expect(r.stdout).toContain("`e`.`event_time` >= TIMESTAMP '2026-11-22 09:00:00'");
    });
  });

  describe('transports and auth', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-hive-auth-'));
    beforeAll(() => {
      writeFileSync(
        join(dir, 'connections.yaml'),
        [
          `nosasl: ${hiveYaml(nosasl, 'default', ', hive_conf: { mapreduce.job.queuename: crm }')}`,
          `plain: ${hiveYaml(plain, 'default', ', auth: plain, user: analyst, password: s3cret')}`,
          `http: ${hiveYaml(http, 'default', ', auth: plain, user: analyst, password: s3cret, transport: http, path: /cliservice')}`,
          `plain_bad: ${hiveYaml(plain, 'default', ', auth: plain, user: analyst, password: Xq7-nope')}`,
          `http_bad: ${hiveYaml(http, 'default', ', auth: plain, user: analyst, password: Xq7-nope, transport: http')}`,
          `mismatch: ${hiveYaml(plain, 'default')}`,
        ].join('\n') + '\n',
      );
      const job = OFFLINE_CASES['offline-main'].yaml;
      for (const source of ['nosasl', 'plain', 'http', 'plain_bad', 'http_bad', 'mismatch']) {
        writeFileSync(
          join(dir, `${source}.yaml`),
          job
            .replace('name: offline-main', `name: main-${source.replace('_', '-')}`)
            .replace('source: wh', `source: ${source}`),
        );
      }
    });

    it.each(['nosasl', 'plain', 'http'])('%s: connects and gives the same leads', async (source) => {
      const r = await runCli(['run', `${source}.yaml`, '--at', OFFLINE_AT, '--csv', '-'], { cwd: dir });
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      expect(stdoutCsvRows(r.stdout)).toEqual(csvRows(OFFLINE_CASES['offline-main'].csv));
    });

    it('sets hive_conf on the session', async () => {
      const w = await openHive(
        'nosasl',
        nosaslSpec(nosasl.port, {
          hive_conf: { 'mapreduce.job.queuename': 'crm', 'hive.execution.engine': 'tez' },
          fetch_size: 100,
        }),
      );
      try {
        expect(await w.all({ sql: 'set mapreduce.job.queuename', bindings: [] })).toEqual([
          ['mapreduce.job.queuename=crm'],
        ]);
        expect(await w.all({ sql: 'set hive.execution.engine', bindings: [] })).toEqual([
          ['hive.execution.engine=tez'],
        ]);
        expect(await w.version()).toBe('Apache Hive 3.1.3');
      } finally {
        await w.close();
      }
    });

    it.each([
      ['plain_bad', /^error: plain_bad: HiveServer2 at 127\.0\.0\.1:\d+ refused the login: .+$/],
      ['http_bad', /^error: http_bad: HiveServer2 at 127\.0\.0\.1:\d+ answered HTTP 401 \(check user and password\)$/],
      [
        'mismatch',
        /^error: mismatch: HiveServer2 at 127\.0\.0\.1:\d+ closed the connection while connecting: does it expect another auth \(set: nosasl\) or transport \(set: binary\)\?$/,
      ],
    ])('%s: bad credentials (or NOSASL against a SASL server) give one line and exit 1', async (source, message) => {
      const r = await runCli(['run', `${source}.yaml`, '--at', OFFLINE_AT, '--csv', '-'], { cwd: dir });
      expect(r.code).toBe(1);
      const lines = errorLines(r);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
    });
  });

  describe('Hive as the other connection, and Kerberos', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-hive-other-'));
    beforeAll(() => {
      writeFileSync(
        join(dir, 'connections.yaml'),
        [
          `wh: ${offline.yaml}`,
          `crm: ${hiveYaml(nosasl, 'default')}`,
          'kerb: { type: hive, host: 127.0.0.1, port: 1, auth: kerberos, kerberos_service: hive }',
        ].join('\n') + '\n',
      );
      writeFileSync(join(dir, 'cross-connection.yaml'), OFFLINE_CASES['cross-connection'].yaml);
      writeFileSync(
        join(dir, 'kerb.yaml'),
        'name: kerb\nsource: kerb\naudience: { table: dim_user }\nlead: { fields: [user_id] }\n',
      );
    });

    it('conversions kept on Hive filter a MySQL audience the same way', async () => {
      const r = await runCli(['run', 'cross-connection.yaml', '--at', OFFLINE_AT], { cwd: dir });
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      expect(readFileSync(join(dir, 'out', 'cross-connection.csv'), 'utf8')).toBe(
        OFFLINE_CASES['cross-connection'].csv,
      );
      expect(nosasl.statements.at(-1)).toMatch(
        /^select distinct `c`\.`buyer_id` from `crm_orders` as `c` where `c`\.`paid_at` >= TIMESTAMP '2026-10-24 09:00:00'/,
      );
    });

    it('auth kerberos without the optional kerberos package says which package to install', async () => {
      const r = await runCli(['run', 'kerb.yaml', '--csv', '-'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(errorLines(r)).toEqual(['error: connection kerb needs the kerberos package: npm install kerberos']);
    });
  });

  describe('failures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-hive-fail-'));
    let closedPort: number;
    let silent: Server;
    const silentSockets: Socket[] = [];

    beforeAll(async () => {
      // A port nobody listens on: the connection is refused.
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      closedPort = (probe.address() as { port: number }).port;
      await new Promise((resolve) => probe.close(resolve));
      // A server that accepts and never answers: what hive-driver meets with NOSASL against a
      // SASL server, or a host behind a firewall that swallows packets.
      silent = createServer((socket) => {
        silentSockets.push(socket);
        socket.on('error', () => {});
      });
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const silentPort = (silent.address() as { port: number }).port;
      writeFileSync(
        join(dir, 'connections.yaml'),
        [
          `wh: ${hiveYaml(nosasl, 'default')}`,
          `dead: { type: hive, host: 127.0.0.1, port: ${closedPort}, connect_timeout: 5s }`,
          `silent: { type: hive, host: 127.0.0.1, port: ${silentPort}, connect_timeout: 2s }`,
          // Small pages: 2000 FetchResults for many_people, so Ctrl-C lands mid-stream.
          `slow: ${hiveYaml(nosasl, 'default', '', 100)}`,
        ].join('\n') + '\n',
      );
      const job = (name: string, source: string, table: string) =>
        `name: ${name}\nsource: ${source}\ntimezone: Asia/Shanghai\naudience: { table: ${table} }\nlead: { fields: [user_id, phone] }\n`;
      writeJobs(dir, {
        'missing.yaml': job('missing-table', 'wh', 'no_such_table'),
        'dead.yaml': job('dead-host', 'dead', 'dim_user'),
        'silent.yaml': job('silent-host', 'silent', 'dim_user'),
        'many.yaml': job('many-people', 'slow', 'many_people'),
        'big.yaml':
          'name: big-keys\nsource: wh\naudience: { table: big_keys }\nlead: { fields: [user_id, name], order_by: { name: asc } }\n',
      });
    });

    afterAll(async () => {
      for (const s of silentSockets) s.destroy();
      await new Promise((resolve) => silent?.close(resolve));
    });

    it("a missing table: the server's one-line cause, exit 1", async () => {
      const r = await runCli(['run', 'missing.yaml', '--csv', '-'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(errorLines(r)).toEqual([
        expect.stringMatching(
          /^error: wh: Error while processing statement: Table '[\w.]*no_such_table' doesn't exist$/,
        ),
      ]);
      expect(r.summary).toMatchObject({ job: 'missing-table', status: 'failed', exit: 1 });
    });

    it('a dead host (closed port): refused, one line, exit 1', async () => {
      const r = await runCli(['run', 'dead.yaml', '--csv', '-'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(errorLines(r)).toEqual([
        `error: dead: cannot connect to HiveServer2 at 127.0.0.1:${closedPort} (connect ECONNREFUSED 127.0.0.1:${closedPort})`,
      ]);
    });

    it("a server that never answers: a connect timeout instead of hive-driver's silent hang", async () => {
      const started = Date.now();
      const r = await runCli(['run', 'silent.yaml', '--csv', '-'], { cwd: dir, timeoutMs: 30_000 });
      expect(r.code).toBe(1);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(errorLines(r)).toEqual([
        expect.stringMatching(
          /^error: silent: no answer from HiveServer2 at 127\.0\.0\.1:\d+ within 2s \(auth nosasl, transport binary\): the host may be down, or the server expects another auth or transport$/,
        ),
      ]);
    });

    it('Ctrl-C mid-stream cancels the operation, closes the session, one line, exit 1', async () => {
      const cancelledBefore = nosasl.cancelled;
      const child = spawn(process.execPath, [BIN, 'run', 'many.yaml', '--csv', '-'], {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let interrupted = false;
      child.stderr.on('data', (d) => (stderr += d));
      child.stdout.on('data', (d) => {
        stdout += d;
        // Well into the stream (a few fetches in), far from its end: interrupt as Ctrl-C does.
        if (!interrupted && stdout.length > 100_000) {
          interrupted = true;
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(interrupted).toBe(true);
      const leadLines = stdout.split('\n').filter((l) => /^\d+,/.test(l)).length;
      expect(leadLines).toBeGreaterThan(0);
      expect(leadLines).toBeLessThan(MANY_PEOPLE);
      expect(code).toBe(1);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
        'error: slow: query cancelled; the Hive operation was cancelled and the session closed',
      ]);
      expect(nosasl.cancelled).toBeGreaterThan(cancelledBefore);
      expect(nosasl.sessionsOpen()).toBe(0);
    }, 60_000);

    it('BIGINT keys beyond 2^53 keep every digit', async () => {
      const r = await runCli(['run', 'big.yaml', '--csv', '-'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stdout.split(/\r?\n/).filter((l) => l !== '' && !l.startsWith('{'))).toEqual([
        'user_id,name',
        ...BIG_KEYS.map((k, i) => `${k},big ${i}`),
      ]);
    });
  });

  describe('the same statements, in process', () => {
    const at = resolveRunTime('2026-11-23T09:00:00', 'Asia/Shanghai');
    const spec = () => nosaslSpec(nosasl.port);
    let hive: Warehouse;
    let mysql: Warehouse;
    beforeAll(async () => {
      hive = await openHive('hive', spec());
      mysql = await openMysql('mysql', offline.connection as Extract<ConnectionSpec, { type: 'mysql' }>);
    });
    afterAll(async () => {
      await hive?.close();
      await mysql?.close();
    });

    const planFor = (yaml: string, dialect: 'hive' | 'mysql', shard?: Shard) =>
      planJob(
        loadJob('/virtual/in-process.yaml', undefined, {}, `name: in-process\nsource: wh\n${yaml}`),
        at,
        dialect,
        { shard },
      );
    const rowsOf = async (w: Warehouse, query: { sql: string; bindings: unknown[] }) => {
      const rows: unknown[][] = [];
      for await (const batch of w.stream(query)) rows.push(...batch);
      return rows.map((r) => String(r[0])).sort();
    };

    it.each(HOSTILE_NAMES.map((name, i) => [JSON.stringify(name), name, i + 1] as const))(
      'the value %s arrives as written',
      async (_label, name, id) => {
        const job = planFor(`audience: { table: odd_names }\nlead: { fields: [name] }\n`, 'hive');
        job.job.audience.where = [{ column: 'name', condition: { op: 'eq', value: name } }];
        const query = renderHiveQuery(job);
        expect(await rowsOf(hive, query)).toEqual([String(id)]);
        expect(query.sql).not.toContain('${');
      },
    );

    it('shards split the audience as on MySQL: the same CRC32 of the key text', async () => {
      const yaml = 'audience: { table: dim_user }\nlead: { fields: [user_id] }\n';
      const all: string[] = [];
      for (let index = 0; index < 3; index++) {
        const viaHive = await rowsOf(hive, renderHiveQuery(planFor(yaml, 'hive', { index, count: 3 })));
        const viaMysql = await rowsOf(mysql, renderQuery(planFor(yaml, 'mysql', { index, count: 3 })));
        expect(viaHive).toEqual(viaMysql);
        all.push(...viaHive);
      }
      expect(all.sort()).toEqual((await rowsOf(mysql, renderQuery(planFor(yaml, 'mysql')))).sort());
    });

    it('query_timeout: a query still running when it passes is cancelled on the server', async () => {
      const slow = await startHiveTestServer({ database: testDatabaseName('hive_offline'), queryDelayMs: 5000 });
      const w = await openHive('slow', { ...spec(), port: slow.port, query_timeout: '1s' });
      try {
        const started = Date.now();
        await expect(w.all({ sql: 'select 1', bindings: [] })).rejects.toThrow(
          /^slow: the query took longer than query_timeout \(1s\) at HiveServer2 127\.0\.0\.1:\d+ and was cancelled$/,
        );
        expect(Date.now() - started).toBeLessThan(4000);
        expect(slow.cancelled).toBe(1);
      } finally {
        await w.close();
        expect(slow.sessionsOpen()).toBe(0);
        await slow.close();
      }
    });

    it('stops early without reading the rest: breaking out cancels and closes the operation', async () => {
      const cancelled = nosasl.cancelled;
      let seen = 0;
      for await (const batch of hive.stream(
        { sql: 'select user_id from many_people', bindings: [] },
        { batchSize: 100 },
      )) {
        seen += batch.length;
        if (seen >= 300) break;
      }
      expect(seen).toBe(300);
      expect(nosasl.cancelled).toBe(cancelled + 1);
      // The session is still usable for the next statement.
      expect(await hive.all({ sql: 'select count(*) from many_people', bindings: [] })).toEqual([[MANY_PEOPLE]]);
    });
  });
});
