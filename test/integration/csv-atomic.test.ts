// CSV through the real CLI on every dialect: tricky cells round-trip exactly as csv-stringify
// (the reference) writes them; a run that fails half-way leaves no partial file and the
// previous CSV untouched; parent folders are created; `--csv -` streams to stdout with the
// JSON summary still the last line.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';
import {
  createTestDatabase,
  DIALECTS,
  loadFixture,
  type TestDatabase,
  type TestDialect,
} from '../support/databases.ts';

// Text cells that test quoting, line breaks, Chinese and formula neutralisation. Numbers
// stay numbers; a text '-12.5' is a plain number and is left alone.
const TRICKY: { id: number; label: string; note: string | null; amount: number }[] = [
  { id: 1, label: 'plain', note: '张伟，北京市朝阳区', amount: 0 },
  { id: 2, label: 'comma, inside', note: 'say "hi"', amount: -12 },
  { id: 3, label: 'line\nfeed', note: 'carriage\rreturn', amount: 7 },
  { id: 4, label: 'crlf\r\ninside', note: null, amount: 123456789 },
  { id: 5, label: '=HYPERLINK("http://evil.example")', note: '+86 138 0000 0000', amount: 1 },
  { id: 6, label: '-12.5', note: '-2+3', amount: -5 },
  { id: 7, label: '@SUM(A1)', note: '\tindent', amount: 2 },
  { id: 8, label: '＝全角', note: '', amount: 3 },
];

// The reference writer and the neutralisation rule (see test/unit/csv.test.ts).
const REFERENCE = { record_delimiter: 'windows', quote_record_delimiter: true } as const;
const neutralise = (v: unknown) =>
  typeof v === 'string' && /^[=+\-@\t\r＝＋－＠]/.test(v) && !(v.trim() === v && Number.isFinite(Number(v)))
    ? `'${v}`
    : v;
const expectedTricky = (bom: boolean) =>
  (bom ? '\uFEFF' : '') +
  stringify(
    [['id', 'label', 'note', 'amount'], ...TRICKY.map((r) => [r.id, r.label, r.note, r.amount].map(neutralise))],
    REFERENCE,
  );

const PEOPLE = 5000;
// Row 3000 of people_failing fails while being read: three batches of 1000 have already
// been written to the temporary file by then.
const FAILING_VIEW: Record<TestDialect, string[]> = {
  sqlite: [
    `create view people_failing as select user_id, name, case when user_id = 3000 then json('not json') else 'ok' end as checked from people`,
  ],
  postgres: [
    `create view people_failing as select user_id, name, case when user_id = 3000 then (1 / (user_id - 3000))::text else 'ok' end as checked from people`,
  ],
  mysql: [
    `create function fail_at(id bigint) returns varchar(10) deterministic
     begin
       if id = 3000 then signal sqlstate '45000' set message_text = 'simulated failure half-way'; end if;
       return 'ok';
     end`,
    'create view people_failing as select user_id, name, fail_at(user_id) as checked from people',
  ],
};

const job = (name: string, table: string, fields: string, destination = '') => `name: ${name}
source: wh
audience: { table: ${table}, key: ${table === 'tricky' ? 'id' : 'user_id'} }
lead: { fields: ${fields} }
${destination}`;

describe.each(DIALECTS)('csv output on %s', (dialect) => {
  let db: TestDatabase;
  const dir = mkdtempSync(join(tmpdir(), `crm-leads-csv-${dialect}-`));
  const cli = (args: string[]) => runCli([...args, '--connections', 'connections.yaml'], { cwd: dir });

  beforeAll(async () => {
    db = await createTestDatabase(dialect, 'csv_atomic');
    await loadFixture(db, [
      { name: 'tricky', columns: { id: 'integer', label: 'text', note: 'text', amount: 'integer' }, rows: TRICKY },
      {
        name: 'people',
        columns: { user_id: 'bigInteger', name: 'string' },
        rows: Array.from({ length: PEOPLE }, (_, i) => ({ user_id: i + 1, name: `用户${i + 1}` })),
      },
    ]);
    for (const statement of FAILING_VIEW[dialect]) await db.knex.raw(statement);
    writeFileSync(join(dir, 'connections.yaml'), `wh: ${db.yaml}\n`);
    writeFileSync(
      join(dir, 'tricky-bom.yaml'),
      job(
        'tricky-bom',
        'tricky',
        '[id, label, note, amount]',
        'destinations: [ { type: csv, path: out/tricky-bom.csv } ]',
      ),
    );
    writeFileSync(
      join(dir, 'tricky-plain.yaml'),
      job(
        'tricky-plain',
        'tricky',
        '[id, label, note, amount]',
        'destinations: [ { type: csv, path: out/tricky-plain.csv, bom: false } ]',
      ),
    );
    writeFileSync(
      join(dir, 'failing.yaml'),
      job(
        'failing',
        'people_failing',
        '[user_id, name, checked]',
        'destinations: [ { type: csv, path: out/leads.csv } ]',
      ),
    );
    writeFileSync(
      join(dir, 'missing.yaml'),
      job('missing', 'no_such_table', '[user_id]', 'destinations: [ { type: csv, path: out/leads.csv } ]'),
    );
    writeFileSync(join(dir, 'people.yaml'), job('people', 'people', '[user_id, name]'));
  });
  afterAll(async () => {
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips quotes, commas, CR/LF/CRLF, Chinese and formula-like cells, BOM on and off', async () => {
    const r = await cli(['run', 'tricky-bom.yaml', 'tricky-plain.yaml']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'out', 'tricky-bom.csv'), 'utf8')).toBe(expectedTricky(true));
    expect(readFileSync(join(dir, 'out', 'tricky-plain.csv'), 'utf8')).toBe(expectedTricky(false));
  });

  it('a query failing half-way leaves no partial CSV and the previous file untouched (exit 1, one line)', async () => {
    mkdirSync(join(dir, 'out'), { recursive: true });
    writeFileSync(join(dir, 'out', 'leads.csv'), 'the previous run\r\n');
    const before = readdirSync(join(dir, 'out')).sort();
    const r = await cli(['run', 'failing.yaml']);
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: wh: .*(malformed JSON|division by zero|simulated failure half-way)/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(r.summary).toMatchObject({ job: 'failing', status: 'failed', exit: 1 });
    expect(readFileSync(join(dir, 'out', 'leads.csv'), 'utf8')).toBe('the previous run\r\n');
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(before);
  });

  it('a table that does not exist: exit 1, one line, previous file untouched, no temporary file', async () => {
    writeFileSync(join(dir, 'out', 'leads.csv'), 'the previous run\r\n');
    const before = readdirSync(join(dir, 'out')).sort();
    const r = await cli(['run', 'missing.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: wh: .*no_such_table/);
    expect(readFileSync(join(dir, 'out', 'leads.csv'), 'utf8')).toBe('the previous run\r\n');
    expect(readdirSync(join(dir, 'out')).sort()).toEqual(before);
  });

  it('creates the parent folders of --csv', async () => {
    const r = await cli(['run', 'people.yaml', '--csv', 'deep/er/still/people.csv']);
    expect(r.code).toBe(0);
    const text = readFileSync(join(dir, 'deep', 'er', 'still', 'people.csv'), 'utf8');
    expect(text.startsWith('\uFEFFuser_id,name\r\n1,用户1\r\n')).toBe(true);
    expect(text.split('\r\n')).toHaveLength(PEOPLE + 2);
    expect(r.summary).toMatchObject({
      leads: PEOPLE,
      outputs: [{ type: 'csv', target: join(dir, 'deep', 'er', 'still', 'people.csv'), delivered: PEOPLE }],
    });
  });

  it('--csv - writes only the CSV (no BOM) to stdout; the JSON summary is the last line of stderr', async () => {
    const r = await cli(['run', 'tricky-bom.yaml', '--csv', '-']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(expectedTricky(false));
    const last = JSON.parse(r.stderr.trim().split('\n').pop()!);
    expect(last).toMatchObject({
      job: 'tricky-bom',
      status: 'ok',
      preview: true,
      leads: TRICKY.length,
      outputs: [{ type: 'csv', target: 'stdout', delivered: TRICKY.length }],
    });
  });
});
