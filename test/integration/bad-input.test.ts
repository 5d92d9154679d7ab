// Bad input through the real CLI: each case checks the exit code (2 invalid, 1 run failed),
// the exact message (file:line:column, key, a suggestion for a misspelt key), that nothing is
// written, and that no stack trace appears unless --debug.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.ts';
import { createTestDatabase, loadFixture, MYSQL, POSTGRES, type TestDatabase } from '../support/databases.ts';

// Line numbers below refer to this file: 1 name, 2 source, 3 audience, 4 table, 5 where, 6 age,
// 7 exclude, 8 converted, 9 lead, 10 fields, 11 require, 12 destinations.
const GOOD_JOB = `name: bad-input
source: wh
audience:
  table: dim_user
  where:
    age: { between: [25, 45] }
exclude:
  converted: { table: orders, time: paid_at, within: 30d }
lead:
  fields: [user_id, phone]
  require: [phone]
destinations: [ { type: csv, path: out/leads.csv } ]
`;

const STACK_LINE = /^\s+at /m;
const root = mkdtempSync(join(tmpdir(), 'crm-leads-bad-input-'));
let db: TestDatabase;
let caseNumber = 0;

interface Case {
  job?: string;
  /** Extra CLI arguments after `run job.yaml`. */
  args?: string[];
  connections?: string;
  env?: NodeJS.ProcessEnv;
  jobs?: Record<string, string>;
}

/** Runs one case in a fresh folder; returns the result, the job file's path and the folder. */
async function runCase(c: Case): Promise<CliResult & { file: string; dir: string; connectionsFile: string }> {
  const dir = join(root, `case-${++caseNumber}`);
  mkdirSync(dir);
  const file = join(dir, 'job.yaml');
  writeFileSync(file, c.job ?? GOOD_JOB);
  for (const [name, text] of Object.entries(c.jobs ?? {})) writeFileSync(join(dir, name), text);
  const connectionsFile = join(dir, 'connections.yaml');
  writeFileSync(connectionsFile, c.connections ?? `wh: ${db.yaml}\n`);
  const jobFiles = c.jobs ? Object.keys(c.jobs) : ['job.yaml'];
  const result = await runCli(['run', ...jobFiles, '--at', '2026-11-23T09:00:00', ...(c.args ?? [])], {
    cwd: dir,
    env: c.env,
  });
  return { ...result, file, dir, connectionsFile };
}

/** The stderr lines that report errors. */
const errorLines = (r: CliResult) => r.stderr.split('\n').filter((l) => l.startsWith('error:'));

function expectInvalid(r: CliResult & { dir: string }, message: string | RegExp): void {
  expect(r.code).toBe(2);
  const lines = errorLines(r);
  expect(lines.length).toBeGreaterThanOrEqual(1);
  if (typeof message === 'string') expect(lines, r.stderr).toContain(message);
  else expect(lines.some((l) => message.test(l))).toBe(true);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(existsSync(join(r.dir, 'out'))).toBe(false);
}

beforeAll(async () => {
  db = await createTestDatabase('sqlite', 'bad_input');
  await loadFixture(db, [
    {
      name: 'dim_user',
      columns: { user_id: 'bigInteger', phone: 'string', age: 'integer' },
      rows: [{ user_id: 1, phone: '13800000001', age: 30 }],
    },
    { name: 'orders', columns: { user_id: 'bigInteger', paid_at: 'datetime' }, rows: [] },
  ]);
});
afterAll(async () => {
  await db?.drop();
  rmSync(root, { recursive: true, force: true });
});

describe('the good job (so that "nothing written" below means something)', () => {
  it('runs and writes out/leads.csv', async () => {
    const r = await runCase({});
    expect(r.code).toBe(0);
    expect(readFileSync(join(r.dir, 'out', 'leads.csv'), 'utf8')).toBe('\uFEFFuser_id,phone\r\n1,13800000001\r\n');
  });
});

describe.concurrent('invalid jobs: exit 2, file:line:column key: message, nothing written', () => {
  it('YAML syntax', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('[25, 45] }', '[25, 45 }') });
    expectInvalid(r, new RegExp(`^error: ${r.file}:6:\\d+: YAML syntax: `));
  });

  it('unknown key, with "did you mean"', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('  where:', '  wher:') });
    expectInvalid(r, `error: ${r.file}:5:3: audience.wher: unknown key "wher" (did you mean "where"?)`);
  });

  it('unknown top-level key, with "did you mean"', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('exclude:', 'exclud:') });
    expectInvalid(r, `error: ${r.file}:7:1: exclud: unknown key "exclud" (did you mean "exclude"?)`);
  });

  it('wrong type', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('  require: [phone]', '  require: [phone]\n  limit: many') });
    expectInvalid(r, `error: ${r.file}:12:10: lead.limit: expected number, received string`);
  });

  it('bad duration', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('within: 30d', 'within: 30days') });
    expectInvalid(
      r,
      `error: ${r.file}:8:54: exclude.converted.within: "30days" is not a duration: write a whole number and a unit s, m, h or d, e.g. 30d`,
    );
  });

  it('bad operator, with "did you mean"', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('between:', 'betwen:') });
    expectInvalid(
      r,
      `error: ${r.file}:6:20: audience.where.age.betwen: unknown operator "betwen" (did you mean "between"?); operators: eq, ne, in, not_in, gt, gte, lt, lte, between, like, ilike, is_null`,
    );
  });

  it('unknown connection', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('source: wh', 'source: warehouse') });
    expectInvalid(r, `error: ${r.file}:2:9: source: unknown connection "warehouse" (in ${r.connectionsFile}: wh)`);
  });

  it('unset variable', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('table: dim_user', 'table: ${DW_TABLE}'), env: { DW_TABLE: '' } });
    expectInvalid(
      r,
      `error: ${r.file}:4:10: audience.table: environment variable DW_TABLE is not set (use \${DW_TABLE:-default} for a default)`,
    );
  });

  it('non-identifier column', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('age: {', '"age; drop table dim_user": {') });
    expectInvalid(
      r,
      `error: ${r.file}:6:33: audience.where.age; drop table dim_user: "age; drop table dim_user" is not a valid column name (letters, digits and _ only)`,
    );
  });

  it('non-identifier lead field', async () => {
    const r = await runCase({
      job: GOOD_JOB.replace('fields: [user_id, phone]', 'fields: [user_id, "phone as p"]').replace(
        'require: [phone]',
        'require: []',
      ),
    });
    expectInvalid(
      r,
      `error: ${r.file}:10:21: lead.fields[1]: not a column name (or trigger.COLUMN, trigger.item.COLUMN)`,
    );
  });

  it('bad table name', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('table: dim_user', 'table: "dim_user; drop table x"') });
    expectInvalid(
      r,
      `error: ${r.file}:4:10: audience.table: not a valid table name (name or schema.name; letters, digits and _)`,
    );
  });

  it('bad timezone', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('source: wh', 'source: wh\ntimezone: Asia/Shanghia') });
    expectInvalid(
      r,
      `error: ${r.file}:3:11: timezone: "Asia/Shanghia" is not an IANA time zone such as Asia/Shanghai or America/New_York`,
    );
  });

  it('bad job name', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('name: bad-input', 'name: Bad Input') });
    expectInvalid(
      r,
      `error: ${r.file}:1:7: name: a job name is lower-case letters, digits, _ and -, starting with a letter or digit`,
    );
  });

  it('require names a field that is not in lead.fields', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('require: [phone]', 'require: [email]') });
    expectInvalid(r, `error: ${r.file}:11:13: lead.require[0]: "email" is not one of lead.fields (user_id, phone)`);
  });

  it('missing required key', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('source: wh\n', '') });
    expectInvalid(r, `error: ${r.file}:1:1: source: required key is missing`);
  });

  it('unknown destination type', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('type: csv', 'type: excel') });
    expectInvalid(
      r,
      `error: ${r.file}:12:25: destinations[0].type: unknown destination type; expected csv, xlsx, webhook or table`,
    );
  });

  it('every problem of the file is reported at once', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('  where:', '  wher:').replace('within: 30d', 'within: soon') });
    expectInvalid(r, `error: ${r.file}:5:3: audience.wher: unknown key "wher" (did you mean "where"?)`);
    expect(errorLines(r)).toContain(
      `error: ${r.file}:8:54: exclude.converted.within: "soon" is not a duration: write a whole number and a unit s, m, h or d, e.g. 30d`,
    );
  });

  it('one invalid job stops the whole command: the valid one writes nothing either', async () => {
    const r = await runCase({
      jobs: {
        'a-good.yaml': GOOD_JOB,
        'b-bad.yaml': GOOD_JOB.replace('name: bad-input', 'name: other').replace('30d', '30'),
      },
    });
    expectInvalid(
      r,
      `error: ${join(r.dir, 'b-bad.yaml')}:8:54: exclude.converted.within: 30 is not a duration: write a whole number and a unit s, m, h or d, e.g. 30d`,
    );
  });
});

describe.concurrent('invalid command line and connections: exit 2', () => {
  it('bad --at', async () => {
    const r = await runCase({ args: ['--at', 'yesterday'] });
    expectInvalid(
      r,
      'error: --at: "yesterday" is not an ISO date-time such as 2026-11-23T09:00:00 or 2026-11-23T09:00:00+08:00',
    );
  });

  it('missing connections file', async () => {
    const r = await runCase({ args: ['--connections', 'nope.yaml'] });
    expectInvalid(r, `error: ${join(r.dir, 'nope.yaml')}: cannot read file: ENOENT`);
  });

  it('unknown connection type in the connections file', async () => {
    const r = await runCase({ connections: 'wh: { type: sqllite, path: wh.db }\n' });
    expectInvalid(
      r,
      `error: ${r.connectionsFile}:1:13: wh.type: unknown connection type; expected sqlite, mysql, mariadb, postgres, postgresql, hive or oracle`,
    );
  });

  it('unknown key in the connections file, with "did you mean"', async () => {
    const r = await runCase({ connections: `wh: { type: mysql, hots: 127.0.0.1, port: ${MYSQL.port} }\n` });
    expectInvalid(r, `error: ${r.connectionsFile}:1:20: wh.hots: unknown key "hots" (did you mean "host"?)`);
  });

  it("unknown option, with commander's suggestion", async () => {
    const r = await runCase({ args: ['--cvs', 'x.csv'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("error: unknown option '--cvs'");
    expect(r.stderr).toContain('--csv');
    expect(existsSync(join(r.dir, 'out'))).toBe(false);
  });
});

describe('run-time failures: exit 1, one line, no stack without --debug', () => {
  const MISSING_TABLE = GOOD_JOB.replace('table: dim_user', 'table: dim_usr');

  it('a table that does not exist', async () => {
    const r = await runCase({ job: MISSING_TABLE });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual(['error: wh: no such table: dim_usr (SQLITE_ERROR)']);
    expect(r.summary).toMatchObject({
      job: 'bad-input',
      status: 'failed',
      error: 'wh: no such table: dim_usr (SQLITE_ERROR)',
      exit: 1,
    });
    expect(existsSync(join(r.dir, 'out', 'leads.csv'))).toBe(false);
  });

  it('--debug adds the stack trace', async () => {
    const r = await runCase({ job: MISSING_TABLE, args: ['--debug'] });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('error: wh: no such table: dim_usr');
    expect(r.stderr).toMatch(STACK_LINE);
  });

  it('--debug adds the stack trace to invalid input too', async () => {
    const r = await runCase({ job: GOOD_JOB.replace('  where:', '  wher:'), args: ['--debug'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(STACK_LINE);
  });

  it.each([
    ['MariaDB', `wh: { type: mysql, host: "${MYSQL.host}", port: 1, user: root, database: dw }\n`],
    ['PostgreSQL', `wh: { type: postgres, host: "${POSTGRES.host}", port: 1, user: postgres, database: dw }\n`],
  ])('an unreachable %s server (port 1)', async (_name, connections) => {
    const r = await runCase({ connections });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error: wh: .*ECONNREFUSED/);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(join(r.dir, 'out'))).toBe(false);
  });

  it.each([
    ['MariaDB', `mysql://root:Hunter2pw@${MYSQL.host}:1/x`],
    ['PostgreSQL', `postgres://postgres:Hunter2pw@${POSTGRES.host}:${POSTGRES.port}/crm_leads_no_such_db`],
  ])('a %s state store that cannot be reached: one line, stdout only the JSON summary', async (_name, state) => {
    // knex's own logger used to print "Acquire connection error: ... at TCPConnectWrap..." to stdout.
    const r = await runCase({ args: ['--state', state] });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^error: state /)]);
    const out = r.stdout.trim().split('\n');
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0]).status).toBe('failed');
    expect(r.stdout + r.stderr).not.toMatch(STACK_LINE);
    expect(r.stdout + r.stderr).not.toContain('Hunter2pw');
  });

  it('a SQLite warehouse file that does not exist', async () => {
    const r = await runCase({ connections: 'wh: { type: sqlite, path: missing.db }\n' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`error: wh: SQLite file ${join(r.dir, 'missing.db')} does not exist`]);
  });

  it('a wrong password names the cause, never the password', async () => {
    const r = await runCase({
      connections: `wh: { type: postgres, url: "postgres://nobody:s3cret-pw@${POSTGRES.host}:${POSTGRES.port}/no_such_db" }\n`,
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: wh: /);
    expect(r.stderr + r.stdout).not.toContain('s3cret-pw');
  });
});
