// Oracle (issue 5). There is no Oracle server on the machines that run these tests by default,
// so two parts:
//   - always: node-oracledb loads in Thin mode (no Instant Client), and a connection to a closed
//     port fails through the CLI with one line and exit 1;
//   - only when ORACLE_URL (oracle://user:password@host:port/service) or ORACLE_CONNECT_STRING
//     with ORACLE_USER and ORACLE_PASSWORD is set: the offline and trigger fixtures are loaded
//     into that schema and every job must give the hand-computed leads. Without the variables
//     the block is not defined at all, so CI never reports it as skipped.
// README: "Oracle tests" says how to start an Oracle XE container for the second part.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { csvThenSummaryPerJob, runCli } from '../support/cli.ts';
import type { FixtureTable } from '../support/databases.ts';
import {
  crmTables,
  csvRows,
  MAIN_FUNNEL,
  OFFLINE_AT,
  OFFLINE_CASES,
  warehouseTables,
} from '../support/offline-fixture.ts';
import { AT as TRIGGER_AT, EXPECTED_LEADS, TRIGGER_JOBS, TRIGGER_TABLES } from '../support/trigger-fixture.ts';

/* eslint-disable @typescript-eslint/no-explicit-any */
type OracleDb = any;

async function loadOracledb(): Promise<OracleDb> {
  const driver = 'oracledb'; // untyped package: a computed specifier keeps tsc from looking for its types
  const mod = await import(driver);
  return (mod as any).default ?? mod;
}

describe('oracledb', () => {
  it('loads in Thin mode: no Oracle Client libraries needed', async () => {
    const oracledb = await loadOracledb();
    expect(oracledb.thin).toBe(true);
    expect(oracledb.maxRows).toBe(0); // never set: it would truncate every query silently
  });

  it('a closed port: one line that says why, exit 1', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-oracle-down-'));
    writeFileSync(
      join(dir, 'connections.yaml'),
      `ora: { type: oracle, host: 127.0.0.1, port: ${port}, service_name: XEPDB1, user: app, password: Pw-7xq }\nnowhere: { type: oracle, user: app }\n`,
    );
    writeFileSync(
      join(dir, 'job.yaml'),
      'name: oracle-down\nsource: ora\naudience: { table: dim_user }\nlead: { fields: [user_id] }\n',
    );
    writeFileSync(
      join(dir, 'nowhere.yaml'),
      'name: oracle-nowhere\nsource: nowhere\naudience: { table: dim_user }\nlead: { fields: [user_id] }\n',
    );
    const r = await runCli(['run', 'job.yaml', '--csv', '-'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      `error: ora: NJS-503: connection to host 127.0.0.1 port ${port} could not be established (connect ECONNREFUSED 127.0.0.1:${port})`,
    ]);
    const nowhere = await runCli(['run', 'nowhere.yaml', '--csv', '-'], { cwd: dir });
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toContain(
      'error: connection nowhere: an oracle connection needs connect_string (host:port/service), or host and service_name',
    );
  });
});

interface OracleTarget {
  user: string;
  password: string;
  connectString: string;
}

function oracleFromEnv(env = process.env): OracleTarget | undefined {
  if (env.ORACLE_URL) {
    const url = new URL(env.ORACLE_URL);
    return {
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      connectString: `${url.hostname}:${url.port || 1521}${url.pathname}`,
    };
  }
  if (env.ORACLE_CONNECT_STRING && env.ORACLE_USER)
    return { user: env.ORACLE_USER, password: env.ORACLE_PASSWORD ?? '', connectString: env.ORACLE_CONNECT_STRING };
  return undefined;
}

const ORACLE = oracleFromEnv();

// Oracle column types for the fixture's knex types; times as DATE (whole seconds, no zone).
const ORACLE_TYPES: Record<string, string> = {
  integer: 'NUMBER(10)',
  bigInteger: 'NUMBER(20)',
  string: 'VARCHAR2(255 CHAR)',
  text: 'CLOB',
  decimal: 'NUMBER(14,2)',
  float: 'BINARY_DOUBLE',
  boolean: 'NUMBER(1)',
  datetime: 'DATE',
};

/** Drops and creates each table in the connected schema (unquoted, so upper-case names) and fills it. */
async function loadOracleFixture(conn: any, tables: FixtureTable[]): Promise<void> {
  for (const table of tables) {
    await conn.execute(
      `BEGIN EXECUTE IMMEDIATE 'DROP TABLE ${table.name} PURGE'; EXCEPTION WHEN OTHERS THEN IF SQLCODE != -942 THEN RAISE; END IF; END;`,
    );
    const columns = Object.entries(table.columns);
    await conn.execute(`CREATE TABLE ${table.name} (${columns.map(([c, t]) => `${c} ${ORACLE_TYPES[t]}`).join(', ')})`);
    if (table.rows.length === 0) continue;
    const values = columns.map(([c, t], i) =>
      t === 'datetime' ? `TO_DATE(:${i + 1}, 'YYYY-MM-DD HH24:MI:SS')` : `:${i + 1}`,
    );
    const rows = table.rows.map((row) => columns.map(([c]) => (row[c] === undefined ? null : row[c])));
    await conn.executeMany(
      `INSERT INTO ${table.name} (${columns.map(([c]) => c).join(', ')}) VALUES (${values.join(', ')})`,
      rows,
    );
  }
  await conn.commit();
}

if (ORACLE) {
  describe(`the pipeline on Oracle (${ORACLE.connectString})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-leads-oracle-'));
    let conn: any;

    beforeAll(async () => {
      const oracledb = await loadOracledb();
      conn = await oracledb.getConnection(ORACLE);
      const yaml = `{ type: oracle, connect_string: "${ORACLE.connectString}", user: "${ORACLE.user}", password: "\${ORACLE_TEST_PASSWORD}" }`;
      writeFileSync(join(dir, 'connections.yaml'), `wh: ${yaml}\ncrm: ${yaml}\n`);
    }, 120_000);
    afterAll(async () => conn?.close());

    const run = (args: string[]) =>
      runCli(args, { cwd: dir, env: { ORACLE_TEST_PASSWORD: ORACLE.password }, timeoutMs: 180_000 });

    it('the offline jobs give the hand-computed leads', async () => {
      await loadOracleFixture(conn, [...warehouseTables(), ...crmTables()]);
      for (const [name, c] of Object.entries(OFFLINE_CASES)) writeFileSync(join(dir, `${name}.yaml`), c.yaml);
      const r = await run(['run', ...Object.keys(OFFLINE_CASES).map((n) => `${n}.yaml`), '--at', OFFLINE_AT]);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      for (const [name, c] of Object.entries(OFFLINE_CASES)) {
        const got = readFileSync(join(dir, 'out', `${name}.csv`), 'utf8');
        if (c.ordered) expect(got, name).toBe(c.csv);
        else expect(csvRows(got), name).toEqual(csvRows(c.csv));
      }
      const dry = await run(['run', 'offline-main.yaml', '--at', OFFLINE_AT, '--dry-run']);
      expect(dry.summary?.funnel).toEqual(MAIN_FUNNEL);
    }, 300_000);

    it('the trigger and sequence jobs give the hand-computed leads', async () => {
      await loadOracleFixture(conn, TRIGGER_TABLES);
      for (const [file, text] of Object.entries(TRIGGER_JOBS)) writeFileSync(join(dir, file), text);
      const r = await run(['run', ...Object.keys(TRIGGER_JOBS), '--at', TRIGGER_AT, '--csv', '-']);
      expect(r.stderr).not.toMatch(/error/i);
      expect(r.code).toBe(0);
      const leads = new Map<string, string[]>();
      let rows: string[] = [];
      for (const line of csvThenSummaryPerJob(r).split(/\r?\n/)) {
        if (line.startsWith('{')) {
          leads.set(String(JSON.parse(line).job), rows.slice(1).sort());
          rows = [];
        } else if (line !== '') rows.push(line);
      }
      for (const [job, expected] of Object.entries(EXPECTED_LEADS)) expect(leads.get(job), job).toEqual(expected);
    }, 300_000);

    it('a missing table: one line (ORA-00942), exit 1', async () => {
      writeFileSync(
        join(dir, 'missing.yaml'),
        'name: oracle-missing\nsource: wh\naudience: { table: no_such_table }\nlead: { fields: [user_id] }\n',
      );
      const r = await run(['run', 'missing.yaml', '--csv', '-']);
      expect(r.code).toBe(1);
      expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
        expect.stringMatching(/^error: wh: ORA-00942: /),
      ]);
    });
  });
}
