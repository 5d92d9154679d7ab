// --log-format json: every stderr line is a structured record (level, time, msg), from the first
// usage error to the run summary that `--csv -` moves to stderr, for log collectors that drop or
// mangle anything else. stdout stays the data: the CSV, or the plain JSON summary.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogRecords, runCli } from '../support/cli.ts';
import { createTestDatabase, loadFixture, type TestDatabase } from '../support/databases.ts';

let wh: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'crm-leads-json-logs-'));
const cli = (args: string[]) => runCli(args, { cwd: dir });

beforeAll(async () => {
  wh = await createTestDatabase('sqlite', 'json_logs');
  await loadFixture(wh, [
    {
      name: 'dim_user',
      columns: { user_id: 'integer', phone: 'string' },
      rows: [
        { user_id: 1, phone: '13800000001' },
        { user_id: 2, phone: '13800000002' },
      ],
    },
  ]);
  writeFileSync(join(dir, 'connections.yaml'), `wh: ${wh.yaml}\n`);
  const job = (name: string, table: string) =>
    `name: ${name}\nsource: wh\naudience: { table: ${table} }\nlead: { fields: [user_id, phone] }\ndestinations: [ { type: csv, path: out.csv } ]\n`;
  writeFileSync(join(dir, 'ok.yaml'), job('ok', 'dim_user'));
  writeFileSync(join(dir, 'missing.yaml'), job('missing', 'dim_nobody'));
});
afterAll(async () => {
  await wh?.drop();
});

const records = jsonLogRecords;

describe('--log-format json', () => {
  it('--csv -: stdout is only the CSV; the summary on stderr is a record with the summary fields', async () => {
    const r = await cli(['run', 'ok.yaml', '--csv', '-', '--log-format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('user_id,phone\r\n1,13800000001\r\n2,13800000002\r\n');
    const all = records(r);
    expect(all.at(-1)).toMatchObject({
      level: 'info',
      event: 'summary',
      msg: 'ok: ok',
      job: 'ok',
      status: 'ok',
      leads: 2,
      preview: true,
    });
    expect(all.filter((x) => x.event === 'summary')).toHaveLength(1);
  });

  it('a failed run: the error and the failed summary are records at level error; exit 1', async () => {
    const r = await cli(['run', 'missing.yaml', '--csv', '-', '--log-format=json']);
    expect(r.code).toBe(1);
    const all = records(r);
    expect(all).toEqual([
      expect.objectContaining({ level: 'error', msg: expect.stringMatching(/^wh: no such table: dim_nobody/) }),
      expect.objectContaining({ level: 'error', event: 'summary', job: 'missing', status: 'failed', exit: 1 }),
    ]);
  });

  it('without --csv the summary stays the plain JSON last line of stdout', async () => {
    const r = await cli(['run', 'ok.yaml', '--log-format', 'json', '--state', join(dir, 'state.db')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.summary).toMatchObject({ job: 'ok', status: 'ok', leads: 2 });
    expect(r.summary).not.toHaveProperty('level');
    records(r);
  });

  it.each([
    [['run', 'ok.yaml', '--bogus', '--log-format', 'json'], "unknown option '--bogus'"],
    [['run', '--log-format=json'], "missing required argument 'jobs'"],
  ])('a usage error found while parsing %j is a record too, exit 2', async (args, message) => {
    const r = await cli(args);
    expect(r.code).toBe(2);
    expect(records(r)).toEqual([expect.objectContaining({ level: 'error', msg: message })]);
  });

  it('in text format the same usage error stays a plain line', async () => {
    const r = await cli(['run', 'ok.yaml', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: unknown option '--bogus'\n");
  });
});
